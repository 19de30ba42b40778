import pytest

from desktop.domain.errors import FieldError, SignedWorkbookError
from desktop.domain.trace import make_trace_row
from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.workbook import BuyerContext, ReadinessScore, SignOff, Workbook, Workload
from desktop.resources import playbook


def test_empty_workbook_is_unscored_and_unassessed():
    workbook = Workbook.empty(playbook())
    assert all(s.score is None for s in workbook.scores.values())
    assert [len(g.items) for g in workbook.gates.values()] == [5, 5, 6, 5, 5]
    assert all(g.status.value == "not-assessed" for g in workbook.gates.values())
    assert workbook.context.readiness_threshold == 70


def test_sample_workbook_follows_the_playbook():
    book = playbook()
    workbook = sample_workbook(book)
    assert {s.slug: s.score for s in workbook.scores.values()} == {d.slug: d.reference_score for d in book.readiness}
    assert workbook.context.currency == "USD"
    assert workbook.context.reviewer_rate_usd_per_hour == 60
    assert workbook.context.target_p95_ms == 20000
    assert [w.name for w in workbook.context.workloads] == ["coding-agent-maintenance", "invoice-review",
                                                             "support-policy"]
    traces = sample_traces(book)
    # the playbook's three template rows, then five illustrative rows derived from them (issue 11, item 8)
    assert [dict(t.values) for t in traces[:3]] == [dict(t.values) for t in (
        make_trace_row(row, book.trace_route_aliases()) for row in book.template_rows)]
    assert len(traces) == 3 + 5
    assert all(t["provenance"].startswith("illustrative") for t in traces[3:])


@pytest.mark.parametrize("kwargs, field", [
    ({"currency": "euro"}, "currency"),
    ({"fx_to_usd": 0}, "fxToUsd"),
    ({"fx_date": "28/11/2026"}, "fxDate"),
    ({"reviewer_rate_usd_per_hour": -1}, "reviewerRateUsdPerHour"),
    ({"target_p95_ms": 0}, "targetP95Ms"),
    ({"readiness_threshold": 101}, "readinessThreshold"),
    ({"readiness_threshold": 70.5}, "readinessThreshold"),
    ({"workloads": (Workload("a", 1), Workload("A", 2))}, "workloads"),
])
def test_context_rules(kwargs, field):
    with pytest.raises(FieldError) as info:
        BuyerContext(**kwargs)
    assert info.value.field == field


def test_workload_rules_and_update():
    with pytest.raises(FieldError):
        Workload("x", -3)
    with pytest.raises(FieldError):
        Workload(" ", 3)
    context = BuyerContext().with_workload("chat", 10).with_workload("CHAT", 20)
    assert context.workloads == (Workload("chat", 20),)


@pytest.mark.parametrize("score", [-1, 101, 50.5, True])
def test_score_rules(score):
    with pytest.raises(FieldError):
        ReadinessScore("ops-ownership", score)


def test_signed_workbook_refuses_every_edit():
    workbook = Workbook.empty(playbook())
    workbook.signoff = SignOff("A", "CFO", "approve", "", "2026-11-28", "f" * 64, "2026-11-28T00:00:00+00:00")
    with pytest.raises(SignedWorkbookError):
        workbook.set_context(BuyerContext(title="x"))
    with pytest.raises(SignedWorkbookError):
        workbook.set_score(ReadinessScore("ops-ownership", 10))
    with pytest.raises(SignedWorkbookError):
        workbook.set_gate(workbook.gates["demand-shape"])
