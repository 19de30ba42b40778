"""Issue 14's desktop conventions on the main window: navigation with status, F1 and the guide, drag and
drop of workbooks and trace files, both redo shortcuts, one status message, "All files" when opening."""

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from desktop.cli import main as ipw
from desktop.domain import gates as rules
from desktop.domain.workbook import GateStatus
from desktop.resources import playbook
from desktop.ui import commands, main_window
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, sample_path):
    win = MainWindow(playbook(), Document.open(playbook(), sample_path))
    win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.isVisible():
        win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
        win.close()


def rows(window):
    nav = window.navigation
    return [(nav.item(r).text(), nav.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(nav.count())]


# ---- navigation -------------------------------------------------------------------------------------------

def test_navigation_groups_the_pages_and_headings_cannot_be_chosen(window):
    texts = [text for text, _key in rows(window)]
    keys = [key for _text, key in rows(window)]
    assert [t for t, k in rows(window) if k is None] == ["DECIDE", "GATES", "EVIDENCE", "SIGN OFF", "REFERENCE"]
    assert keys[keys.index(None, 1) + 1: keys.index(None, 1) + 6] == [f"gate:{g.slug}" for g in playbook().gates]
    evidence = keys.index(None, keys.index("gate:fallback-economics"))
    assert keys[evidence + 1: evidence + 5] == ["readiness", "traces", "economics", "plan"]
    assert "Economics / Plan" in texts
    heading = window.navigation.item(0)
    assert not heading.flags() & Qt.ItemFlag.ItemIsSelectable
    # the arrow keys pass over a heading: Down from "Assessment summary" lands on the first gate
    window.show_page("summary")
    window.navigation.setFocus()
    QApplication.sendEvent(window.navigation, _key(Qt.Key.Key_Down))
    assert window.current_key() == "gate:demand-shape"
    assert window.stack.currentWidget() is window.pages["gate:demand-shape"]


def _key(key):
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtCore import QEvent
    return QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)


def test_gate_rows_show_verdict_and_evidence_count_live_in_text_and_for_screen_readers(qtbot, window):
    nav = window.navigation
    row = nav.row_of("gate:utilization-proof")
    gate = window.document.workbook.gates["utilization-proof"]
    total = len(gate.items)
    assert nav.item(row).text() == f"2. Utilization proof   0/{total}"
    spoken = nav.item(row).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken == f"Gate 2 of 5, Utilization proof: verdict not assessed; 0 of {total} evidence items collected"
    from dataclasses import replace
    ticked = rules.set_item(gate, 1, replace(gate.items[0], done=True))
    window.document.push(commands.set_gate(window.document, ticked, "tick"))
    window.document.push(commands.set_gate(window.document, rules.set_verdict(
        window.document.workbook.gates["utilization-proof"], GateStatus.AT_RISK, None), "at risk"))
    assert nav.item(row).text() == f"2. Utilization proof   1/{total}"
    assert "verdict at risk; 1 of" in nav.item(row).toolTip()
    window.document.undo_stack.undo()
    assert "verdict not assessed" in nav.item(row).data(Qt.ItemDataRole.AccessibleTextRole)
    traces = nav.item(nav.row_of("traces"))
    qtbot.waitUntil(lambda: traces.text() == "Traces   8", timeout=30_000)  # counted in the background
    assert "8 trace row(s)" in traces.toolTip()  # 3 template + 5 sample rows
    signoff = nav.item(nav.row_of("signoff"))
    assert signoff.text() == "Sign-off" and "not signed off yet" in signoff.toolTip()
    readiness = nav.item(nav.row_of("readiness"))
    scored = sum(1 for s in window.document.workbook.scores.values() if s.score is not None)
    assert readiness.text() == f"Readiness   {scored}/{len(window.document.workbook.scores)}"


# ---- help -------------------------------------------------------------------------------------------------

def test_f1_opens_the_bundled_guide_at_the_page_shown(qtbot, window):
    window.show_page("traces")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    viewer = window._help_viewer
    qtbot.waitUntil(viewer.isVisible)
    source = viewer.browser.source()
    assert source.isLocalFile() and source.toLocalFile().endswith("resources/help/guide.html")
    assert source.fragment() == "page-traces"
    text = viewer.current_text()
    for section in ("Your first launch", "The usual journeys", "Buyer context", "Traces",
                    "How to check that a memo is the one that was signed", "ipw verify memo.pdf"):
        assert section in text
    viewer.runbook_button.click()
    assert viewer.current_text().startswith("Trace kit runbook")  # resources/trace_runbook.md, the one source
    viewer.close()


def test_help_menu_lists_the_guide_and_the_runbook_and_web_links_stay_closed(qtbot, window):
    titles = [a.text().replace("&", "") for a in window.help_menu.actions() if a.text()]
    assert titles[:2] == ["User guide", "Trace runbook"] and "About" in titles
    window.runbook_action.trigger()
    viewer = window._help_viewer
    assert "Field by field" in viewer.current_text()
    viewer._follow(QUrl("https://example.com/"))
    assert "Not opened: https://example.com/" in viewer.notice.text()
    assert "Field by field" in viewer.current_text()  # still on the runbook
    viewer.close()


def test_help_opens_the_auditors_one_page_how_to_verify_a_memo(qtbot, window):
    window.verify_help_action.trigger()
    viewer = window._help_viewer
    assert viewer.current_text().startswith("How to verify a memo")  # resources/how-to-verify.md
    assert "ipw verify" in viewer.current_text()
    viewer.close()


# ---- shortcuts, status, file dialogs ---------------------------------------------------------------------

def test_redo_answers_ctrl_y_and_ctrl_shift_z(window):
    shortcuts = window.redo_action.shortcuts()
    assert QKeySequence("Ctrl+Y") in shortcuts and QKeySequence("Ctrl+Shift+Z") in shortcuts
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)


def test_a_signed_workbook_says_so_once(window, monkeypatch):
    monkeypatch.setattr(type(window.document.workbook), "signed", property(lambda self: True))
    window._update_status()
    text = window.status_label.text()
    assert text.count("Signed off") == 1
    assert window.statusBar().currentMessage() == ""  # no second copy in the message area


def test_open_dialog_offers_all_files(window, monkeypatch):
    seen = {}
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, caption, folder, filters: seen.update(f=filters) or ("", "")))
    window.on_open()
    assert seen["f"].split(";;") == ["Procurement workbooks (*.ipwb)", "All files (*)"]


# ---- drag and drop ----------------------------------------------------------------------------------------

def drag(window, path: Path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    where = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    drop = QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    return enter, drop, mime


def test_dropping_a_workbook_opens_it(window, tmp_path):
    other = tmp_path / "other.ipwb"
    assert ipw(["new", str(other)]) == 0
    enter, drop, _mime = drag(window, other)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, drop)
    assert window.document.path == other.resolve() or window.document.path == other
    assert "other.ipwb" in window.windowTitle()


def test_dropping_a_trace_file_opens_the_import_dialog_with_it(qtbot, window, tmp_path):
    source = tmp_path / "runs.csv"
    source.write_text("route,provider\nManaged frontier API,Acme\n", encoding="utf-8")
    enter, drop, _mime = drag(window, source)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, drop)
    assert window.current_key() == "traces"
    dialog = window.pages["traces"].dialog
    assert dialog is not None and dialog.paths == [source]
    dialog.reject()


def test_a_file_of_another_kind_is_not_accepted(window, tmp_path):
    other = tmp_path / "notes.docx"
    other.write_bytes(b"PK")
    enter, _drop, _mime = drag(window, other)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()
    assert main_window.dropped_paths(_mime) == [other]


# ---- first launch ---------------------------------------------------------------------------------------

def test_the_welcome_panel_explains_the_first_steps_and_is_dismissed_once(qtbot, window):
    panel = window.welcome
    assert panel.isVisible() and window.current_key() == "overview"
    assert window.pages["overview"].isAncestorOf(panel)
    text = panel.body.text()
    for words in ("Frame the decision", "Walk the five gates", "Bring in the numbers", "F1"):
        assert words in text
    opened = []
    window.on_new_sample = lambda: opened.append("sample")  # the buttons reach the window's file actions
    panel.sig_sample.disconnect()
    panel.sig_sample.connect(window.on_new_sample)
    panel.sample_button.click()
    assert opened == ["sample"]
    panel.dismiss_button.click()
    assert not panel.isVisible()
    again = MainWindow(playbook(), Document.new(playbook()))
    qtbot.addWidget(again)
    again.show()
    assert not again.welcome.isVisible()  # remembered for the user
    again.welcome_action.trigger()  # Help > Show welcome panel
    assert again.welcome.isVisible() and again.current_key() == "overview"
    again.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    again.close()


def test_new_workbook_from_the_welcome_panel_replaces_the_document(window):
    before = window.document
    window.welcome.new_button.click()
    assert window.document is not before and window.document.path is None


def test_view_theme_remembers_the_choice_for_the_next_start(window, monkeypatch):
    from desktop.ui import theme

    monkeypatch.delenv("IPW_THEME", raising=False)
    assert theme.chosen() == "system"
    dark = next(a for a in window.theme_menu.actions() if a.text() == "&Dark")
    dark.trigger()
    assert theme.chosen() == "dark" and dark.isChecked()
    assert sum(a.isChecked() for a in window.theme_menu.actions()) == 1
    assert "next start" in window.statusBar().currentMessage()
    monkeypatch.setenv("IPW_THEME", "high-contrast")
    assert theme.chosen() == "high-contrast"


def test_every_page_has_its_section_in_the_guide(window):
    guide = (Path(__file__).resolve().parents[2] / "resources" / "help" / "guide.html").read_text(encoding="utf-8")
    for key in window.pages:
        window.show_page(key)
        anchor = window._help_anchor()
        assert f'id="{anchor}"' in guide, key


def test_a_workload_without_volume_is_flagged_on_the_plan_and_in_the_navigation(qtbot, window):
    from dataclasses import replace

    from desktop.domain.workbook import Workload

    context = window.document.workbook.context
    window.document.push(commands.set_context(window.document, replace(
        context, workloads=context.workloads + (Workload("contract-summaries", 0.0),)), "add"))
    nav = window.navigation.item(window.navigation.row_of("context"))
    assert "\u26a0" in nav.text() and "contract-summaries" in nav.toolTip()
    window.show_page("plan")
    banner = window.pages["plan"].volume_warning
    assert banner.isVisible() and "contract-summaries" in banner.text() and "0 requests a month" in banner.text()
    window.document.undo_stack.undo()
    window.pages["plan"].refresh()
    assert not banner.isVisible() and "\u26a0" not in nav.text()
