"""A framed line of text for warnings and refusals, readable in light and dark themes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from desktop.ui import theme


class Banner(QFrame):
    """A message in a coloured frame; hidden while it has no text."""

    def __init__(self, kind: str = "warning", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("banner")
        self._apply_colours()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.label)
        self.setVisible(False)

    def set_kind(self, kind: str) -> None:
        """'warning', 'error' or 'info': the colours of the frame (a sign-off banner turns red when tampered)."""
        if kind != self.kind:
            self.kind = kind
            self._apply_colours()

    def _apply_colours(self) -> None:
        text, background, border = theme.banner_colours(self.kind)
        self.setStyleSheet(f"QFrame#banner {{ background: {background}; border: 1px solid {border}; "
                           f"border-radius: 4px; }} QFrame#banner QLabel {{ color: {text}; }}")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._apply_colours()  # the theme changed while the window is open
        super().changeEvent(event)

    def show_message(self, html: str) -> None:
        self.label.setText(html)
        self.setAccessibleName(f"{self.kind}: {self.label.text()}")
        self.setVisible(bool(html))

    def clear(self) -> None:
        self.show_message("")

    def text(self) -> str:
        """The message shown, or '' while hidden."""
        return self.label.text() if not self.isHidden() else ""
