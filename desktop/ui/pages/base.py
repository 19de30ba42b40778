"""What every page of the main window shares."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop.ui.document import Document


def scrolling(content: QWidget) -> QScrollArea:
    """`content` in a frameless vertical scroll area, so a page stays usable on small screens."""
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls; the area follows the focus
    return area


class Page(QWidget):
    """A page of the main window. Subclasses build widgets once and fill them in `refresh`."""

    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None

    def bind(self, document: Document) -> None:
        """Show `document`; called whenever a workbook is opened or created."""
        if self.document is not None:
            try:
                self.document.changed.disconnect(self._on_changed)
            except (RuntimeError, TypeError):
                pass
        self.document = document
        document.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, part: str) -> None:
        if self.isVisible() or part == "all":
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if getattr(self, "_stale", False):
            self._stale = False
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """Redraw from the document."""


class PendingPage(Page):
    """A page whose feature is not built yet; says so plainly instead of showing an empty screen."""

    def __init__(self, title: str, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        layout = QVBoxLayout(self)
        heading = QLabel(f"<h2>{title}</h2>")
        body = QLabel(message)
        body.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
