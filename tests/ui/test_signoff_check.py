"""Issue 16 in the GUI: a signed workbook opens at once and says "checking sign-off…" while its tamper state is
worked out in the background (desktop.ui.signoff_check); only the newest state lands; the Sign-off page and the
check take the one shared economics computation of each state."""

import shutil
import threading

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop import paths
from desktop.cli import main as ipw
from desktop.domain.errors import DomainError
from desktop.economics import analysis
from desktop.exports.decision_cache import KIND
from desktop.resources import playbook
from desktop.services import economics as economics_service
from desktop.ui import commands, signoff_check as signoff_check_module
from desktop.ui.document import Document
from desktop.ui.economics_state import economics_state
from desktop.ui.main_window import MainWindow
from desktop.ui.plan_state import plan_state
from desktop.ui.signoff_check import CHECKING_TEXT, signoff_check
from desktop.ui.widgets import dialogs

WAIT_MS = 30_000


@pytest.fixture
def signed_path(tmp_path):
    path = tmp_path / "signed.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    assert ipw(["sign", str(path), "--name", "Dana", "--role", "CFO", "--decision", "approve"]) == 0
    forget_decision_parts()
    return path


def forget_decision_parts():
    """A cold decision cache: the check cannot take the fingerprint from cached parts and needs the economics."""
    shutil.rmtree(paths.user_cache_dir() / KIND, ignore_errors=True)


@pytest.fixture
def blocked_check(monkeypatch):
    """The check's worker function waits for `release` before it runs (its first call only, or every call)."""
    real = signoff_check_module.check_signoff
    state = {"release": threading.Event(), "calls": 0, "first_result": None, "started": threading.Event()}

    def blocked(database, workbook, playbook_, economics, control):
        state["calls"] += 1
        if state["calls"] == 1:
            state["started"].set()
            assert state["release"].wait(WAIT_MS / 1000)
            if state["first_result"] is not None:  # what a stale check would say, were it to land
                return state["first_result"]
        return real(database, workbook, playbook_, economics, control)

    monkeypatch.setattr(signoff_check_module, "check_signoff", blocked)
    yield state
    state["release"].set()


@pytest.fixture
def economics_computations(monkeypatch):
    """Every economics computation, wherever it starts (the shared state's worker, build_decision, the plan)."""
    calls = []
    real = analysis.compute_economics

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "compute_economics", counted)
    monkeypatch.setattr(economics_service, "compute_economics", counted)
    return calls


def open_window(qtbot, path):
    window = MainWindow(playbook(), Document.open(playbook(), path))
    qtbot.addWidget(window)
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    window.show()
    qtbot.waitExposed(window)
    return window


def test_signed_workbook_opens_and_says_checking_until_the_check_lands(qtbot, signed_path, blocked_check):
    window = open_window(qtbot, signed_path)
    document = window.document
    qtbot.waitUntil(blocked_check["started"].is_set, timeout=WAIT_MS)  # the check is under way, on a worker thread
    assert window.isVisible()
    assert document.signoff_state() == "checking"
    assert CHECKING_TEXT in window.status_label.text()
    assert not window.tamper_banner.isVisible()
    overview = window.pages["overview"]
    assert CHECKING_TEXT.removesuffix("\u2026") in overview.panels["signoff"].state.text()
    assert CHECKING_TEXT in overview.banner.text()
    window.show_page("signoff")
    assert "Checking sign-off\u2026" in window.pages["signoff"].state_banner.text()
    # unknown is not a draft: the signed workbook still refuses edits while it is checked
    assert document.read_only
    with pytest.raises(DomainError):
        document.push(commands.set_context(document, document.workbook.context))

    blocked_check["release"].set()
    qtbot.waitUntil(lambda: document.signoff_state() == "signed", timeout=WAIT_MS)
    assert "checking" not in window.status_label.text()
    assert window.status_label.text() == "Signed off: read-only until the sign-off is revoked."
    assert not window.tamper_banner.isVisible()
    assert "checking" not in window.pages["signoff"].state_banner.text()
    assert window.pages["signoff"].state_banner.text().startswith("<b>Signed off: Approve</b>")
    assert "checking" not in overview.panels["signoff"].state.text()


def test_a_tampered_workbook_turns_red_when_the_check_lands(qtbot, signed_path, tamper, blocked_check):
    tamper(signed_path)
    window = open_window(qtbot, signed_path)
    qtbot.waitUntil(blocked_check["started"].is_set, timeout=WAIT_MS)
    assert not window.tamper_banner.isVisible() and CHECKING_TEXT in window.status_label.text()
    blocked_check["release"].set()
    qtbot.waitUntil(lambda: window.tamper_banner.isVisible(), timeout=WAIT_MS)
    assert window.document.signoff_state() == "tampered"
    assert window.status_label.text().startswith("TAMPERED")
    assert "TAMPERED" in window.pages["overview"].panels["signoff"].state.text()
    navigation = window.navigation.item(window.navigation.row_of("signoff"))
    assert navigation.text().endswith("\u26a0 changed") and "changed since the sign-off" in navigation.toolTip()


def test_only_the_newest_state_lands(qtbot, signed_path, blocked_check):
    blocked_check["first_result"] = "tampered"  # the first check, were its outcome heard, would say tampered
    window = open_window(qtbot, signed_path)
    document = window.document
    check = signoff_check(document)
    heard = []
    check.updated.connect(heard.append)
    qtbot.waitUntil(blocked_check["started"].is_set, timeout=WAIT_MS)
    document.changed.emit("traces")  # what an import or its undo sends: the fingerprint rests on the traces
    assert document.signoff_state() == "checking"
    blocked_check["release"].set()
    qtbot.waitUntil(lambda: document.signoff_state() == "signed", timeout=WAIT_MS)
    qtbot.wait(50)  # anything late would have arrived by now
    assert "tampered" not in heard and heard[-1] == "signed"
    assert blocked_check["calls"] >= 2 and check.checks >= 2  # the stale one, then the newest (cold: twice)
    assert not window.tamper_banner.isVisible()


def test_revoke_and_sign_while_a_check_runs_keep_the_newest_state(qtbot, signed_path, blocked_check, monkeypatch):
    monkeypatch.setattr(dialogs, "confirm", lambda *a: True)
    monkeypatch.setattr(dialogs, "inform", lambda *a: None)
    blocked_check["first_result"] = "tampered"
    window = open_window(qtbot, signed_path)
    document = window.document
    qtbot.waitUntil(blocked_check["started"].is_set, timeout=WAIT_MS)
    document.revoke(by="Dana", reason="one more look")
    assert document.signoff_state() == "draft"  # a draft needs no check
    document.sign(approver="Dana", role="CFO", decision="approve", conditions="", date="2026-12-06",
                  draft_fingerprint=None)
    assert document.signoff_state() == "signed"  # just signed from this very content
    blocked_check["release"].set()
    qtbot.wait(200)
    assert document.signoff_state() == "signed" and not window.tamper_banner.isVisible()


def test_a_cold_signed_workbook_takes_one_economics_computation(qtbot, signed_path, economics_computations):
    window = open_window(qtbot, signed_path)
    document = window.document
    window.show_page("signoff")
    page = window.pages["signoff"]
    qtbot.waitUntil(lambda: document.signoff_state() == "signed" and page.decision is not None
                    and not plan_state(document).busy, timeout=WAIT_MS)
    assert len(economics_computations) == 1  # the check, the page and the plan share it
    assert economics_state(document).computations == 1
    assert page.decision.fingerprint == document.workbook.signoff.fingerprint


def test_signoff_page_takes_the_shared_economics_once_per_state(qtbot, tmp_path, economics_computations):
    path = tmp_path / "draft.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    economics_computations.clear()  # `ipw new` computed the new workbook's decision parts
    window = open_window(qtbot, path)
    document = window.document
    window.show_page("signoff")
    page = window.pages["signoff"]
    qtbot.waitUntil(lambda: page.decision is not None and not plan_state(document).busy, timeout=WAIT_MS)
    assert len(economics_computations) == 1
    first = page.decision
    assert first.economics is economics_state(document).current().economics  # the very shared result

    context = document.workbook.context
    document.push(commands.set_context(document, context.__class__(**{**context.__dict__,
                                                                       "title": "A new title"})))
    qtbot.waitUntil(lambda: page.decision is not None and page.decision is not first
                    and not plan_state(document).busy, timeout=WAIT_MS)
    assert len(economics_computations) == 2  # one per state, page open or not
    assert economics_state(document).computations == 2
    assert page.decision.content["context"]["title"] == "A new title"


def test_signing_from_the_page_takes_the_shared_economics(qtbot, tmp_path, economics_computations, monkeypatch):
    from desktop.exports.verify import verify_path

    monkeypatch.setattr(dialogs, "confirm", lambda *a: True)
    monkeypatch.setattr(dialogs, "inform", lambda *a: None)
    path = tmp_path / "draft.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    economics_computations.clear()
    window = open_window(qtbot, path)
    document = window.document
    window.show_page("signoff")
    page = window.pages["signoff"]
    qtbot.waitUntil(lambda: page.decision is not None and not plan_state(document).busy, timeout=WAIT_MS)
    page.name_edit.setText("Dana")
    page.role_edit.setText("CFO")
    page.sign_button.click()
    assert document.workbook.signed and document.signoff_state() == "signed"
    qtbot.wait(100)
    assert len(economics_computations) == 1  # signing put the content together from the shared economics
    assert verify_path(path).exit_code == 0  # and the auditor's recomputation from the file agrees


def test_a_check_that_fails_says_so_and_is_not_taken_for_signed(qtbot, signed_path, monkeypatch):
    def broken(*_args):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(signoff_check_module, "check_signoff", broken)
    window = open_window(qtbot, signed_path)
    qtbot.waitUntil(lambda: window.document.signoff_state() == "unchecked", timeout=WAIT_MS)
    assert "could not be checked" in window.status_label.text()
    assert not window.tamper_banner.isVisible()
    assert window.document.read_only  # still refuses edits: it is signed
    window.show_page("signoff")
    assert "the disk went away" in window.pages["signoff"].state_banner.text()
    assert window.pages["signoff"].state_banner.kind == "warning"


def test_a_draft_starts_no_check(qtbot, tmp_path):
    path = tmp_path / "draft.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    window = open_window(qtbot, path)
    check = signoff_check(window.document)
    qtbot.wait(100)
    assert window.document.signoff_state() == "draft" and check.checks == 0
    assert "Signed off" not in window.status_label.text()
