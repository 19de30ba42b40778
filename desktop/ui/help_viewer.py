"""The app's own help viewer: the bundled HTML user guide (resources/help/guide.html) and the trace runbook
(resources/trace_runbook.md, the same file `ipw template --runbook` writes), shown offline.

Links inside the bundle are followed; anything else (http, mailto) is never fetched or handed to a
browser: the app does not touch the network, so the viewer says so in one line instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence, QTextDocument
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from desktop import paths

GUIDE = "help/guide.html"
RUNBOOK = "trace_runbook.md"
RUNBOOK_ANCHOR = "trace-runbook"
VERIFY = "how-to-verify.md"
VERIFY_ANCHOR = "how-to-verify"
# Help pages that are documents of their own (Markdown in resources/), by the anchor that names them
_DOCUMENTS = {RUNBOOK_ANCHOR: RUNBOOK, VERIFY_ANCHOR: VERIFY}


def guide_url(anchor: str = "") -> QUrl:
    """The guide's URL, at `anchor` ("page-traces"...); "trace-runbook" and "how-to-verify" give those documents."""
    if anchor in _DOCUMENTS:
        return QUrl.fromLocalFile(str(paths.resource(_DOCUMENTS[anchor])))
    url = QUrl.fromLocalFile(str(paths.resource(GUIDE)))
    if anchor:
        url.setFragment(anchor)
    return url


class HelpViewer(QDialog):
    """A non-modal window with the guide, Back / Forward / Contents and a line for refused links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("User guide - Inference Procurement Workbook")
        self.setAccessibleName("User guide")
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("User guide text")
        self.browser.setOpenLinks(False)  # every link goes through _follow, which keeps it offline
        self.browser.setOpenExternalLinks(False)
        self.browser.anchorClicked.connect(self._follow)
        self.back_button = QPushButton("< &Back")
        self.back_button.setAccessibleName("Back in the guide")
        self.forward_button = QPushButton("&Forward >")
        self.forward_button.setAccessibleName("Forward in the guide")
        self.home_button = QPushButton("&Contents")
        self.home_button.setAccessibleName("The guide's contents")
        self.runbook_button = QPushButton("&Trace runbook")
        self.close_button = QPushButton("Close")
        self.close_button.setShortcut(QKeySequence.StandardKey.Close)
        for button in (self.back_button, self.forward_button, self.home_button, self.runbook_button,
                       self.close_button):
            button.setAutoDefault(False)
        self.back_button.clicked.connect(self.browser.backward)
        self.forward_button.clicked.connect(self.browser.forward)
        self.home_button.clicked.connect(lambda: self.show_anchor(""))
        self.runbook_button.clicked.connect(lambda: self.show_anchor(RUNBOOK_ANCHOR))
        self.close_button.clicked.connect(self.close)
        self.browser.backwardAvailable.connect(self.back_button.setEnabled)
        self.browser.forwardAvailable.connect(self.forward_button.setEnabled)
        self.back_button.setEnabled(False)
        self.forward_button.setEnabled(False)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        bar = QHBoxLayout()
        for button in (self.back_button, self.forward_button, self.home_button, self.runbook_button):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(self.browser, 1)
        self.resize(860, 680)

    def show_anchor(self, anchor: str) -> None:
        self.notice.setVisible(False)
        self._open(guide_url(anchor))

    def current_text(self) -> str:
        return self.browser.toPlainText()

    # ---- Private API --------------------------------------------------------------------------------
    def _open(self, url: QUrl) -> None:
        markdown = url.path().endswith(".md")
        kind = (QTextDocument.ResourceType.MarkdownResource if markdown
                else QTextDocument.ResourceType.HtmlResource)
        self.browser.setSource(url, kind)
        if url.hasFragment():
            self.browser.scrollToAnchor(url.fragment())

    def _follow(self, url: QUrl) -> None:
        if url.isRelative() or url.scheme() == "file":
            target = self.browser.source().resolved(url)
            if target.isLocalFile() and Path(target.toLocalFile()).is_file():
                self.notice.setVisible(False)
                self._open(target)
                return
        self.notice.setText(f"Not opened: {url.toString()} (the guide is offline and opens no web pages).")
        self.notice.setVisible(True)


def show_guide(parent: QWidget | None, anchor: str = "") -> HelpViewer:
    """Open (or raise) the guide window at `anchor`; returns it."""
    viewer = getattr(parent, "_help_viewer", None) if parent is not None else None
    if viewer is None:
        viewer = HelpViewer(parent)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        if parent is not None:
            parent._help_viewer = viewer
    viewer.show_anchor(anchor)
    viewer.show()
    viewer.raise_()
    viewer.activateWindow()
    return viewer
