"""The plan's stored inputs: validation of levers and constraints, storage in the workbook file, and their
place in the fingerprinted decision content."""

from __future__ import annotations

import json

import pytest

from desktop.domain.canonical import decision_content, fingerprint
from desktop.domain.errors import FieldError, SignedWorkbookError
from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.workbook import PlanConstraint, PlanLever, PlanSettings, SignOff
from desktop.economics.plan import parse_lever, parse_routes
from desktop.storage.workbook_file import create_workbook_file, open_store


@pytest.mark.parametrize("kind, value", [("batch", 1.5), ("cache", -0.1), ("utilization", 0.0), ("peak", 0.5),
                                         ("review-minutes", -1.0), ("turbo", 1.0), ("acceptance", float("nan"))])
def test_bad_lever_values_are_refused(kind, value):
    with pytest.raises(FieldError):
        PlanLever(kind, "w", value)


def test_constraints_and_levers_replace_by_workload_and_kind():
    settings = PlanSettings()
    settings = settings.with_constraint(PlanConstraint("W", ("managed-api-only",), 100.0))
    settings = settings.with_constraint(PlanConstraint("w", None, 50.0))
    assert settings.constraints == (PlanConstraint("w", None, 50.0),)
    assert settings.with_constraint(PlanConstraint("w")).constraints == ()  # empty: removed
    settings = settings.with_levers([PlanLever("batch", "w", 0.5), PlanLever("peak", "*", 2.0)])
    settings = settings.with_levers([PlanLever("batch", "W", 0.25)])
    assert settings.levers == (PlanLever("batch", "W", 0.25), PlanLever("peak", "*", 2.0))
    assert settings.without_lever("peak", "*").levers == (PlanLever("batch", "W", 0.25),)
    with pytest.raises(FieldError):
        PlanSettings(constraints=(PlanConstraint("a", monthly_budget_usd=1.0), PlanConstraint("A")))
    with pytest.raises(FieldError):
        PlanConstraint("a", allowed_routes=())


def test_text_forms(playbook):
    assert parse_lever("Batch:Invoice-Review=0.5", ["invoice-review"]) == PlanLever("batch", "invoice-review", 0.5)
    assert parse_lever("peak:*=2", ["a"]) == PlanLever("peak", "*", 2.0)
    assert parse_routes("Managed API only, owned-hardware,managed-api-only", playbook) == (
        "managed-api-only", "owned-hardware")


def test_plan_inputs_round_trip_through_the_file_and_damaged_entries_are_named(tmp_path, playbook):
    path = tmp_path / "w.ipwb"
    workbook = sample_workbook(playbook)
    workbook.plan = workbook.plan.with_constraint(PlanConstraint("*", ("managed-api-only",), 5_000.0))
    create_workbook_file(path, playbook, workbook, sample_traces(playbook))
    store = open_store(path, writable=True)
    try:
        assert store.load(playbook).plan == workbook.plan
        damaged = {"levers": [{"kind": "batch", "workload": "x", "value": 7}, {"kind": "peak", "workload": "x",
                                                                                "value": 2}],
                   "constraints": [{"workload": "*", "allowedRoutes": ["managed-api-only"]}, {"workload": ""}]}
        with store.transaction():
            store.conn.execute("UPDATE parts SET json = ? WHERE name = 'plan'", (json.dumps(damaged),))
        loaded = store.load(playbook).plan
        assert loaded.levers == (PlanLever("peak", "x", 2.0),)  # the valid entries are kept
        assert loaded.constraints == (PlanConstraint("*", ("managed-api-only",)),)
        assert len(loaded.problems) == 2 and "lever cannot be used" in loaded.problems[1]
        with store.transaction():
            store.conn.execute("UPDATE parts SET json = '[1]' WHERE name = 'plan'")
        assert store.load(playbook).plan.problems == ("The saved plan constraints and levers cannot be read.",)
    finally:
        store.close()


def _content(workbook, playbook):
    return decision_content(workbook, playbook, schema_version=1, traces_hash="0" * 64, trace_count=0, imports=[])


def test_plan_inputs_are_fingerprinted_only_when_set(playbook):
    workbook = sample_workbook(playbook)
    workbook.plan = PlanSettings()
    empty = _content(workbook, playbook)
    assert "plan" not in empty and "fxSource" not in empty["context"]  # earlier fingerprints stay valid
    workbook.set_plan(PlanSettings(levers=(PlanLever("batch", "invoice-review", 0.5),)))
    first = fingerprint(_content(workbook, playbook))
    workbook.set_plan(PlanSettings(levers=(PlanLever("batch", "invoice-review", 0.6),)))
    assert fingerprint(_content(workbook, playbook)) != first
    assert _content(workbook, playbook)["plan"]["levers"] == [{"kind": "batch", "workload": "invoice-review",
                                                               "value": 0.6}]


def test_a_signed_workbook_refuses_plan_edits(playbook):
    workbook = sample_workbook(playbook)
    workbook.signoff = SignOff("Dana", "CFO", "approve", "", "2026-12-01", "f" * 64, "2026-12-01T00:00:00Z")
    with pytest.raises(SignedWorkbookError):
        workbook.set_plan(PlanSettings())
