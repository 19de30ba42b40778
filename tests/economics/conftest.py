"""Shared economics fixtures: the playbook's three template rows (ids 1-3) and a sample-like workbook.

The workbook is built here rather than taken from the app's sample module so these tests pin exactly the
inputs their worked values assume: reviewer rate 60 USD/h, target p95 20,000 ms, 100,000 requests/month
for each of the three workloads, the playbook's reference readiness scores, gates not assessed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop.domain.trace import make_trace_row
from desktop.domain.workbook import BuyerContext, GateStatus, ReadinessScore, Workbook, Workload
from desktop.resources import playbook as load_playbook


@pytest.fixture(scope="session")
def playbook():
    return load_playbook()


def template_rows(playbook):
    aliases = playbook.trace_route_aliases()
    return [{"id": n, **make_trace_row(raw, aliases).as_dict()}
            for n, raw in enumerate(playbook.template_rows, start=1)]


@pytest.fixture
def rows(playbook):
    return template_rows(playbook)


def make_workbook(playbook, *, target=20_000.0, rate=60.0, volumes=None, gates=None, scores=None, threshold=70):
    workbook = Workbook.empty(playbook)
    if volumes is None:
        volumes = {"coding-agent-maintenance": 100_000, "invoice-review": 100_000, "support-policy": 100_000}
    workbook.context = replace(BuyerContext(), reviewer_rate_usd_per_hour=rate, target_p95_ms=target,
                               workloads=tuple(Workload(n, v) for n, v in volumes.items()),
                               readiness_threshold=threshold)
    workbook.scores = {d.slug: ReadinessScore(d.slug, (scores or {}).get(d.slug, d.reference_score))
                       for d in playbook.readiness}
    for slug, status in (gates or {}).items():
        workbook.gates[slug] = replace(workbook.gates[slug], status=GateStatus(status))
    return workbook


@pytest.fixture
def workbook(playbook):
    return make_workbook(playbook)


@pytest.fixture
def workbook_factory(playbook):
    """make_workbook(...) with the playbook bound: keyword arguments target, rate, volumes, gates, scores."""
    return lambda **kwargs: make_workbook(playbook, **kwargs)
