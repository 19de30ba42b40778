"""A small workbook of its own for the figure tests (so they do not move when the sample does), and the values
its figures must show, worked out by hand.

Reviewer rate 60 USD/h, target p95 20,000 ms, workloads alpha 1,000 + beta 2,000 + gamma 300,000 requests a month.
Cost per accepted output = costUsd / acceptedOutputRate + reviewMinutes / 60 x 60:
row 1 alpha on Managed frontier API:          0.20 / 0.80 + 3 = 3.25 at p95 24,000 ms (concurrency 4: misses target)
row 2 beta on Hosted open-weight serverless:  0.05 / 0.50 + 5 = 5.10 at p95 15,000 ms (concurrency 16)
row 3 gamma on Dedicated endpoint:            0.03 / 0.75 + 2 = 2.04 at p95  9,000 ms (concurrency 32)
Row 3's replica serves 90 tokens/s x 32 concurrent / 500 output tokens = 5.76 requests a second.
"""

from __future__ import annotations

from pathlib import Path

from desktop.cli import main
from desktop.economics.figures import ChartData
from tests.exports.export_helpers import add_rows, base_row

COSTS = {1: 3.25, 2: 5.10, 3: 2.04}
P95 = {1: 24_000.0, 2: 15_000.0, 3: 9_000.0}
CONCURRENCY = {1: 4.0, 2: 16.0, 3: 32.0}
ROUTES = {1: "Managed frontier API", 2: "Hosted open-weight serverless", 3: "Dedicated endpoint"}
WORKLOADS = {1: "alpha", 2: "beta", 3: "gamma"}
COST_PER_REQUEST = {1: 0.20, 2: 0.05, 3: 0.03}
REPLICA_REQUESTS_PER_SECOND = 90 * 32 / 500
SCORES = {"demand-forecast": 82, "utilization-model": 55, "ops-ownership": 70, "fallback-design": 40,
          "procurement-clarity": 90}
ROWS = [base_row(route=ROUTES[1], provider="OpenAI", model="m1", workload="alpha", costUsd=0.20,
                 acceptedOutputRate=0.8, reviewMinutes=3, latencyP95Ms=24_000, concurrency=4),
        base_row(route=ROUTES[2], provider="Fireworks", model="m2", workload="beta", costUsd=0.05,
                 acceptedOutputRate=0.5, reviewMinutes=5, latencyP95Ms=15_000, concurrency=16),
        base_row(route=ROUTES[3], provider="Fireworks", model="m3", workload="gamma", costUsd=0.03,
                 acceptedOutputRate=0.75, reviewMinutes=2, latencyP95Ms=9_000, concurrency=32)]


def three_row_workbook(path: Path) -> Path:
    assert main(["new", str(path)]) == 0
    assert main(["context", str(path), "--reviewer-rate", "60", "--target-p95-ms", "20000",
                 "--workload", "alpha=1000", "--workload", "beta=2000", "--workload", "gamma=300000"]) == 0
    for slug, score in SCORES.items():
        assert main(["score", str(path), slug, str(score)]) == 0
    add_rows(path, ROWS)
    return path


def gather_export_data(path: Path):
    """The export data of the workbook at `path` (what `ipw export` draws from)."""
    from desktop.exports.matrix import gather
    from desktop.resources import playbook
    from desktop.storage.workbook_file import open_store

    store = open_store(path, writable=False)
    try:
        return gather(store, store.load(playbook()), playbook())
    finally:
        store.close()


def chart_data(export_data) -> ChartData:
    economics = export_data.decision.economics
    return ChartData(export_data.metrics, export_data.workbook, export_data.playbook, tuple(economics.scenarios),
                     economics.catalog)
