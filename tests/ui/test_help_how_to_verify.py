"""The one-page "How to verify a memo" (resources/how-to-verify.md) is reached from the guide's verify
section in the app's own help viewer, offline, and reads as a page of its own."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QUrl

from desktop import paths
from desktop.ui.help_viewer import HelpViewer


def test_the_guide_links_to_how_to_verify_a_memo(qtbot):
    viewer = HelpViewer()
    qtbot.addWidget(viewer)
    viewer.show_anchor("verify")
    assert "How to check that a memo is the one that was signed" in viewer.current_text()
    assert "--trusted-key" in viewer.current_text() and "a draft: nothing was signed" in viewer.current_text()
    viewer._follow(QUrl("../how-to-verify.md"))  # the link in that section
    assert not viewer.notice.isVisible()
    assert viewer.browser.source().toLocalFile() == str(paths.resource("how-to-verify.md"))
    text = viewer.current_text()
    assert text.startswith("How to verify a memo")
    for step in ("ipw verify memo.pdf --trusted-key", "pdfsig memo.pdf", "Total document signed",
                 "Not total document signed", "trusted-keys.txt", "a draft"):
        assert step in text, step
    shots = os.environ.get("IPW_SCREENSHOTS")
    if shots:  # look at it: IPW_SCREENSHOTS=/tmp/shots pytest tests/ui/test_help_how_to_verify.py
        viewer.resize(1366, 768)
        viewer.grab().save(str(Path(shots) / "how-to-verify.png"))
