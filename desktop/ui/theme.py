"""The app's colours in one place: light, dark and high-contrast, chosen from the running palette.

Widgets never write a colour literal; they ask this module for a role ("passed", "warning", "muted"...)
and get the shade that reads on the current window background. Every status shade is chosen to pass
WCAG 2.1 AA (contrast ratio 4.5:1 or more) on the window and base colours of its own palette; the GUI
tests measure it (tests/ui/test_theme.py). High contrast (the system's, detected as near-black on
near-white or the reverse) uses the palette's own text colour for every role: the words carry the
status there, never the colour alone.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

# role: (light shade, dark shade)
_STATUS = {
    "passed": ("#1e7b34", "#7bd88f"),
    "ok": ("#1e7b34", "#7bd88f"),
    "supported": ("#1e7b34", "#7bd88f"),
    "at-risk": ("#8a5a00", "#f2c14e"),
    "warning": ("#8a5a00", "#f2c14e"),
    "not-yet": ("#8a5a00", "#f2c14e"),
    "failed": ("#9b1c1c", "#ff8f87"),
    "problem": ("#9b1c1c", "#ff8f87"),
    "error": ("#9b1c1c", "#ff8f87"),
    "avoid": ("#9b1c1c", "#ff8f87"),
    "not-assessed": ("#555555", "#b8b8b8"),
    "muted": ("#555555", "#b8b8b8"),
    "info": ("#1d4f91", "#9cc3ff"),
}
# kind: ((text, background, border) light, (text, background, border) dark)
_BANNERS = {
    "warning": (("#6b4500", "#fff6e0", "#e0a800"), ("#f5cd6e", "#3a2c05", "#a07800")),
    "error": (("#8a1818", "#fdecec", "#d64545"), ("#ffa39c", "#3d1616", "#c04040")),
    "info": (("#1d4f91", "#eaf2fd", "#5b8fd9"), ("#a9ccff", "#15263d", "#4a78c0")),
}
# a verdict drawn as a pill (text, fill): light pills read the same on light and dark windows
_PILLS = {"not-assessed": ("#555555", "#eeeeee"), "passed": ("#1b5e20", "#dcedc8"),
          "at-risk": ("#8a5300", "#ffe0b2"), "failed": ("#b71c1c", "#ffcdd2")}
# a highlight behind text (search hits, edited cells): (background, text) light and dark
_HIGHLIGHT = (("#fff1c2", "#1a1a1a"), ("#5a4a12", "#f5f5f5"))
# charts are drawn on white paper in every theme (as in the memo): their axis and text colours
CHART_AXIS = "#555555"
CHART_TEXT = "#222222"
CHART_FRAME = "#bbbbbb"  # the legend's box
# a drop target's border while a file is dragged over it
_DROP_BORDER = ("#2f6fc9", "#7fb0ff")


def palette() -> QPalette:
    app = QGuiApplication.instance()
    return app.palette() if app is not None else QPalette()


def is_dark(pal: QPalette | None = None) -> bool:
    """True when the window background is dark (a dark theme is active)."""
    return (pal or palette()).color(QPalette.ColorRole.Window).lightness() < 128


def is_high_contrast(pal: QPalette | None = None) -> bool:
    """True for a high-contrast system theme: window text against window at 19.5:1 or more (pure black on
    white or white on black is 21:1; ordinary themes, Fusion's default black on #efefef included, stay below)."""
    pal = pal or palette()
    return contrast_ratio(pal.color(QPalette.ColorRole.WindowText),
                          pal.color(QPalette.ColorRole.Window)) >= 19.5


def colour(role: str, pal: QPalette | None = None) -> str:
    """The hex colour of a status or text role for the current palette."""
    pal = pal or palette()
    if is_high_contrast(pal):
        return pal.color(QPalette.ColorRole.WindowText).name()
    light, dark = _STATUS[role]
    return dark if is_dark(pal) else light


def style(role: str, *, extra: str = "") -> str:
    """A style sheet line colouring a label's text in `role`."""
    return f"color: {colour(role)};{(' ' + extra) if extra else ''}"


def span(role: str, text_html: str, *, bold: bool = False) -> str:
    """Rich text of `text_html` in the colour of `role`."""
    tag = "b" if bold else "span"
    return f"<{tag} style='color:{colour(role)}'>{text_html}</{tag}>"


def banner_colours(kind: str, pal: QPalette | None = None) -> tuple[str, str, str]:
    """(text, background, border) of a banner of `kind` ("warning", "error", "info")."""
    pal = pal or palette()
    if is_high_contrast(pal):
        text = pal.color(QPalette.ColorRole.WindowText).name()
        return text, pal.color(QPalette.ColorRole.Window).name(), text
    light, dark = _BANNERS[kind]
    return dark if is_dark(pal) else light


def highlight_colours(pal: QPalette | None = None) -> tuple[str, str]:
    """(background, text) for text picked out of its surroundings."""
    return _HIGHLIGHT[1] if is_dark(pal or palette()) else _HIGHLIGHT[0]


def pill_colours(status: str, pal: QPalette | None = None) -> tuple[str, str]:
    """(text, fill) of a verdict pill ("passed", "at-risk", "failed", "not-assessed"); high contrast: the
    palette's own text on its window."""
    pal = pal or palette()
    if is_high_contrast(pal):
        return (pal.color(QPalette.ColorRole.WindowText).name(), pal.color(QPalette.ColorRole.Window).name())
    return _PILLS[status]


def drop_border(pal: QPalette | None = None) -> str:
    return _DROP_BORDER[1] if is_dark(pal or palette()) else _DROP_BORDER[0]


def chart_pens(pal: QPalette | None = None) -> tuple[str, str]:
    """(axis, text) colours for charts drawn on the window background."""
    pal = pal or palette()
    return colour("muted", pal), pal.color(QPalette.ColorRole.WindowText).name()


# ---- contrast (WCAG 2.1) ----------------------------------------------------------------------------------

def _linear(channel: float) -> float:
    c = channel / 255.0
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(value: QColor | str) -> float:
    c = QColor(value)
    return 0.2126 * _linear(c.red()) + 0.7152 * _linear(c.green()) + 0.0722 * _linear(c.blue())


def contrast_ratio(foreground: QColor | str, background: QColor | str) -> float:
    """WCAG 2.1 contrast ratio, 1.0 to 21.0 (AA for body text needs 4.5)."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# ---- palettes ---------------------------------------------------------------------------------------------

def _palette(colours: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    pal = QPalette()
    for role, value in colours.items():
        pal.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled_text))
    return pal


def light_palette() -> QPalette:
    R = QPalette.ColorRole
    return _palette({R.Window: "#f3f3f3", R.WindowText: "#1b1b1b", R.Base: "#ffffff", R.AlternateBase: "#f5f7fa",
                     R.Text: "#1b1b1b", R.Button: "#ececec", R.ButtonText: "#1b1b1b", R.ToolTipBase: "#ffffdc",
                     R.ToolTipText: "#1b1b1b", R.Highlight: "#2f6fc9", R.HighlightedText: "#ffffff",
                     R.Link: "#1d4f91", R.PlaceholderText: "#6b6b6b", R.Mid: "#b8b8b8", R.Midlight: "#dadada",
                     R.Dark: "#8a8a8a", R.Light: "#ffffff", R.Shadow: "#5a5a5a", R.BrightText: "#ffffff"},
                    "#8a8a8a")


def dark_palette() -> QPalette:
    R = QPalette.ColorRole
    return _palette({R.Window: "#2b2b2b", R.WindowText: "#e8e8e8", R.Base: "#1f1f1f", R.AlternateBase: "#262a30",
                     R.Text: "#e8e8e8", R.Button: "#3a3a3a", R.ButtonText: "#e8e8e8", R.ToolTipBase: "#3a3a3a",
                     R.ToolTipText: "#e8e8e8", R.Highlight: "#3d7ad6", R.HighlightedText: "#ffffff",
                     R.Link: "#9cc3ff", R.PlaceholderText: "#9a9a9a", R.Mid: "#5a5a5a", R.Midlight: "#4a4a4a",
                     R.Dark: "#1a1a1a", R.Light: "#505050", R.Shadow: "#101010", R.BrightText: "#ffffff"},
                    "#8a8a8a")


def high_contrast_palette() -> QPalette:
    R = QPalette.ColorRole
    return _palette({R.Window: "#000000", R.WindowText: "#ffffff", R.Base: "#000000", R.AlternateBase: "#000000",
                     R.Text: "#ffffff", R.Button: "#000000", R.ButtonText: "#ffffff", R.ToolTipBase: "#000000",
                     R.ToolTipText: "#ffffff", R.Highlight: "#ffff00", R.HighlightedText: "#000000",
                     R.Link: "#ffff00", R.PlaceholderText: "#c0c0c0", R.Mid: "#ffffff", R.Midlight: "#ffffff",
                     R.Dark: "#ffffff", R.Light: "#ffffff", R.Shadow: "#ffffff", R.BrightText: "#ffffff"},
                    "#c0c0c0")


PALETTES = {"light": light_palette, "dark": dark_palette, "high-contrast": high_contrast_palette}
THEME_KEY = "appearance/theme"
THEMES = {"system": "&System", "light": "&Light", "dark": "&Dark", "high-contrast": "&High contrast"}


def chosen() -> str:
    """The theme to start with: $IPW_THEME, else the one chosen under View > Theme, else "system"."""
    import os

    from desktop.ui import settings

    value = os.environ.get("IPW_THEME") or str(settings.settings().value(THEME_KEY, "system"))
    return value if value in THEMES else "system"


def choose(mode: str) -> None:
    """Remember `mode` for the next start (widgets built with the old colours keep them until then)."""
    from desktop.ui import settings

    settings.settings().setValue(THEME_KEY, mode)


def apply(app, mode: str) -> None:
    """Use the light, dark or high-contrast palette ("system" keeps the platform's own)."""
    if mode in PALETTES:
        app.setStyle("Fusion")  # the platform style may ignore a palette; Fusion draws with it
        app.setPalette(PALETTES[mode]())
