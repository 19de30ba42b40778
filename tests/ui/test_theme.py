"""Themes (issue 14): status colours pass WCAG AA (4.5:1) in light, dark and high contrast, and every page,
grabbed in the light and the dark palette, shows its coloured status text readably on what is behind it."""

import html
import re
from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QMessageBox, QTableWidget

from desktop.cli import main as ipw
from desktop.resources import playbook
from desktop.ui import theme
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow

AA = 4.5
_COLOUR = re.compile(r"color\s*:\s*(#[0-9a-fA-F]{6})\b")
_SPAN = re.compile(r"color\s*:\s*(#[0-9a-fA-F]{6})\b[^>]*>([^<]*)<")


def test_contrast_ratio_matches_the_wcag_examples():
    """WCAG 2.1: black on white is 21:1, a colour on itself 1:1, and #767676 on white is the classic 4.54:1."""
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert theme.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", ["light", "dark", "high-contrast"])
def test_every_status_colour_and_banner_passes_aa_on_its_palette(name):
    pal = theme.PALETTES[name]()
    for role in theme._STATUS:
        for background in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            ratio = theme.contrast_ratio(theme.colour(role, pal), pal.color(background))
            assert ratio >= AA, (name, role, background, ratio)
    for kind in ("warning", "error", "info"):
        text, background, _border = theme.banner_colours(kind, pal)
        assert theme.contrast_ratio(text, background) >= AA, (name, kind)
    assert theme.is_dark(pal) is (name != "light")
    assert theme.is_high_contrast(pal) is (name == "high-contrast")


@pytest.fixture(params=["light", "dark"])
def themed_window(request, qapp, qtbot, tmp_path):
    old_palette, old_style = qapp.palette(), qapp.style().name()
    theme.apply(qapp, request.param)
    path = tmp_path / "sample.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    window = MainWindow(playbook(), Document.open(playbook(), path))
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    yield request.param, window
    window.close()
    qapp.setStyle(old_style)
    qapp.setPalette(old_palette)


def _declared_colours(label: QLabel) -> list[str]:
    """The text colours a label asks for: in its rich text, its own style sheet, or a banner-like ancestor's
    "QLabel { color: ... }" rule. A coloured span holding only a symbol (a legend's swatch such as a square,
    drawn in the chart's bar colour) is a graphic, not text, and is left out."""
    words = [colour for colour, inner in _SPAN.findall(label.text())
             if re.search(r"[^\W\d_]|\d", html.unescape(inner))]
    found = words + _COLOUR.findall(label.styleSheet())
    parent = label.parentWidget()
    while parent is not None and not found:
        sheet = parent.styleSheet()
        if "QLabel" in sheet:
            found = _COLOUR.findall(sheet.split("QLabel", 1)[1])
        parent = parent.parentWidget()
    return found


def _background(widget) -> QColor:
    """The colour most of the widget's own pixels have, as grabbed: what its text sits on."""
    image = widget.grab().toImage()
    counts = Counter()
    step = max(1, min(image.width(), image.height()) // 12)
    for x in range(0, image.width(), step):
        for y in range(0, image.height(), step):
            counts[image.pixel(x, y)] += 1
    return QColor.fromRgb(counts.most_common(1)[0][0])


def test_status_text_on_every_page_is_readable_in_light_and_dark(qtbot, themed_window):
    name, window = themed_window
    checked = 0
    for key, page in window.pages.items():
        window.show_page(key)
        qtbot.wait(50)
        for label in page.findChildren(QLabel):
            if not label.isVisible() or not label.text().strip() or label.width() < 4 or label.height() < 4:
                continue
            for colour in _declared_colours(label):
                ratio = theme.contrast_ratio(colour, _background(label))
                assert ratio >= AA, (name, key, label.text()[:60], colour, round(ratio, 2))
                checked += 1
        for table in page.findChildren(QTableWidget):  # verdicts and route statuses drawn as coloured cells
            base = table.palette().color(QPalette.ColorRole.Base)
            for r in range(table.rowCount()):
                for c in range(table.columnCount()):
                    item = table.item(r, c)
                    if item is not None and item.data(Qt.ItemDataRole.ForegroundRole) is not None:
                        ratio = theme.contrast_ratio(item.foreground().color(), base)
                        assert ratio >= AA, (name, key, item.text(), round(ratio, 2))
                        checked += 1
    assert checked >= 10  # gate facts, banners, summary verdicts, route statuses... were all looked at
