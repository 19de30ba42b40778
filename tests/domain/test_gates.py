"""Gate rules: verdicts, justifications, item edits, progress and findings (pure, no Qt)."""

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from desktop.domain import evidence as ev
from desktop.domain import gates as rules
from desktop.domain.evidence import EvidenceCheck
from desktop.domain.gates import GateRuleError
from desktop.domain.workbook import EvidenceRef, GateAssessment, GateStatus, ItemState, Workbook
from desktop.resources import playbook


def gate(done=(), status=GateStatus.NOT_ASSESSED, justification="", total=5):
    items = tuple(ItemState(done=n in done) for n in range(1, total + 1))
    return GateAssessment("demand-shape", status, items, justification=justification)


# ---- verdicts ---------------------------------------------------------------------------------------

def test_passing_with_open_items_needs_a_justification():
    with pytest.raises(GateRuleError, match=r"item\(s\) 2, 3, 4, 5 are open"):
        rules.set_verdict(gate(done={1}), GateStatus.PASSED)


def test_passing_with_open_items_and_a_justification_is_an_exception():
    passed = rules.set_verdict(gate(done={1}), GateStatus.PASSED, "  pilot only  ")
    assert passed.status is GateStatus.PASSED
    assert passed.justification == "pilot only"
    assert passed.is_exception


def test_blank_justification_does_not_count():
    with pytest.raises(GateRuleError):
        rules.set_verdict(gate(), GateStatus.PASSED, "   ")


def test_passing_with_every_item_done_needs_no_justification():
    passed = rules.set_verdict(gate(done={1, 2, 3, 4, 5}), GateStatus.PASSED)
    assert passed.status is GateStatus.PASSED and not passed.is_exception


@pytest.mark.parametrize("status", [GateStatus.FAILED, GateStatus.AT_RISK, GateStatus.NOT_ASSESSED])
def test_other_verdicts_need_nothing_and_keep_the_justification(status):
    result = rules.set_verdict(gate(justification="kept"), status)
    assert result.status is status and result.justification == "kept"


def test_a_recorded_justification_lets_the_gate_pass_again():
    failed = gate(status=GateStatus.FAILED, justification="pilot")
    assert rules.set_verdict(failed, GateStatus.PASSED).is_exception


def test_needs_justification():
    assert rules.needs_justification(gate(), GateStatus.PASSED)
    assert not rules.needs_justification(gate(), GateStatus.FAILED)
    assert not rules.needs_justification(gate(justification="why"), GateStatus.PASSED)
    assert not rules.needs_justification(gate(done={1, 2, 3, 4, 5}), GateStatus.PASSED)


# ---- items, notes, justification ----------------------------------------------------------------------

def test_set_item_replaces_one_item():
    result = rules.set_item(gate(), 2, ItemState(done=True, owner="Ana"))
    assert result.items[1] == ItemState(done=True, owner="Ana")
    assert result.items_done == 1


@pytest.mark.parametrize("number", [0, 6, -1])
def test_unknown_item_numbers_are_refused(number):
    with pytest.raises(GateRuleError, match="items are 1 to 5"):
        rules.set_item(gate(), number, ItemState())


def test_reopening_an_item_of_a_passed_gate_without_justification_is_refused():
    passed = rules.set_verdict(gate(done={1, 2, 3, 4, 5}), GateStatus.PASSED)
    with pytest.raises(GateRuleError, match="cannot be reopened"):
        rules.set_item(passed, 3, ItemState(done=False))


def test_reopening_an_item_of_a_justified_pass_is_allowed():
    passed = rules.set_verdict(gate(done={1, 2, 3, 4, 5}), GateStatus.PASSED, "fine")
    assert rules.set_item(passed, 3, ItemState()).is_exception


def test_set_note_keeps_text_and_drops_trailing_blanks():
    assert rules.set_note(gate(), "line one\nline two  \n").note == "line one\nline two"


def test_justification_cannot_be_cleared_while_passed_with_open_items():
    passed = rules.set_verdict(gate(), GateStatus.PASSED, "pilot")
    with pytest.raises(GateRuleError, match="cannot be removed"):
        rules.set_justification(passed, "  ")
    assert rules.set_justification(passed, " new reason ").justification == "new reason"
    assert rules.set_justification(gate(justification="x"), "").justification == ""


def test_skip_warning_shows_until_passed():
    assert rules.shows_skip_warning(gate())
    assert rules.shows_skip_warning(gate(status=GateStatus.AT_RISK))
    assert rules.shows_skip_warning(gate(status=GateStatus.FAILED))
    assert not rules.shows_skip_warning(gate(status=GateStatus.PASSED, justification="x"))


# ---- progress and findings ---------------------------------------------------------------------------

def test_progress_per_gate_and_overall():
    one, two = gate(done={1, 2}), gate(done={5}, total=6)
    assert rules.gate_progress(one) == rules.Progress(2, 5)
    assert rules.gate_progress(one).fraction == pytest.approx(0.4)
    assert rules.overall_progress([one, two]) == rules.Progress(3, 11)
    assert rules.Progress(0, 0).fraction == 0.0
    assert rules.gates_assessed([one, gate(status=GateStatus.FAILED)]) == 1


def test_findings_list_exceptions_failures_risks_and_open_gates_in_gate_order():
    book = playbook()
    workbook = Workbook.empty(book)
    slugs = [g.slug for g in book.gates]
    workbook.gates[slugs[0]] = rules.set_verdict(workbook.gates[slugs[0]], GateStatus.PASSED, "pilot only")
    workbook.gates[slugs[1]] = rules.set_verdict(workbook.gates[slugs[1]], GateStatus.FAILED)
    workbook.gates[slugs[2]] = rules.set_verdict(workbook.gates[slugs[2]], GateStatus.AT_RISK)
    done = tuple(ItemState(done=True) for _ in workbook.gates[slugs[3]].items)
    workbook.gates[slugs[3]] = rules.set_verdict(GateAssessment(slugs[3], items=done), GateStatus.PASSED)
    found = rules.findings(book, workbook.gates)
    assert [(f.slug, f.kind) for f in found] == [(slugs[0], "exception"), (slugs[1], "failed"),
                                                (slugs[2], "at-risk"), (slugs[4], "not-assessed")]
    assert "pilot only" in found[0].text
    assert book.gates[1].failure_if_skipped in found[1].text


# ---- evidence references (pure parts) ---------------------------------------------------------------

def test_recorded_path_is_relative_beside_the_workbook_and_absolute_elsewhere():
    folder = PurePosixPath("/work/decision")
    assert ev.recorded_path(PurePosixPath("/work/decision/hist.csv"), folder) == "hist.csv"
    assert ev.recorded_path(PurePosixPath("/work/decision/evidence/a b.pdf"), folder) == "evidence/a b.pdf"
    assert ev.recorded_path(PurePosixPath("/elsewhere/hist.csv"), folder) == "/elsewhere/hist.csv"
    assert ev.recorded_path(PurePosixPath("/work/hist.csv"), None) == "/work/hist.csv"


def test_windows_paths_are_recorded_with_forward_slashes():
    folder = PureWindowsPath(r"C:\Decisions")
    assert ev.recorded_path(PureWindowsPath(r"C:\Decisions\evidence\h.csv"), folder) == "evidence/h.csv"
    assert not ev.is_relative(r"D:\other\h.csv")


def test_locate_resolves_relative_paths_against_the_workbook_folder():
    folder = PurePosixPath("/work/decision")
    assert ev.locate("evidence/h.csv", folder) == PurePosixPath("/work/decision/evidence/h.csv")
    assert ev.locate("/abs/h.csv", folder) == PurePosixPath("/abs/h.csv")
    assert ev.locate("h.csv", None) is None


def test_check_compares_the_current_hash_with_the_recorded_one():
    ref = EvidenceRef("file", path="h.csv", sha256="a" * 64, size=3)
    assert ev.check(ref, "a" * 64) is EvidenceCheck.UNCHANGED
    assert ev.check(ref, "b" * 64) is EvidenceCheck.CHANGED
    assert ev.check(ref, None) is EvidenceCheck.MISSING
    assert ev.check(EvidenceRef("text", text="DOC-1"), None) is EvidenceCheck.TEXT
    assert EvidenceCheck.CHANGED.flagged and EvidenceCheck.MISSING.flagged
    assert not EvidenceCheck.UNCHANGED.flagged and not EvidenceCheck.TEXT.flagged


def test_describe_check_mentions_the_embedded_copy_of_a_missing_file():
    ref = EvidenceRef("file", path="h.csv", sha256="a" * 64, embedded=True)
    assert "embedded copy" in ev.describe_check(ref, EvidenceCheck.MISSING)
    assert "Changed since attached" in ev.describe_check(ref, EvidenceCheck.CHANGED)


@pytest.mark.parametrize("size, text", [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1024, "1.0 KB"),
                                        (20 * 1024 * 1024, "20.0 MB"), (3 * 1024 ** 3, "3.0 GB")])
def test_format_size(size, text):
    assert ev.format_size(size) == text


@pytest.mark.parametrize("name, allowed", [("report.pdf", True), ("hist.csv", True), ("notes", True),
                                           ("setup.EXE", False), ("run.sh", False), ("macro.xlsm", False),
                                           ("tool.py", False), ("link.lnk", False)])
def test_programs_and_scripts_may_not_be_opened(name, allowed):
    assert ev.may_open(name) is allowed
