"""The sample shows a plan with money (issue 11, item 8): every illustrative row is derived from the template
and the bundled catalog, and the plan gives each workload a route, a different fallback and a monthly cost.
"""

from __future__ import annotations

import pytest

from desktop.domain.sample import ILLUSTRATIVE_ROWS, illustrative_rows, sample_traces, sample_workbook
from desktop.economics.catalog import bundled_catalog
from desktop.economics.metrics import compute_metrics
from desktop.economics.plan import build_plan, total_is_sum
from desktop.economics.recommend import recommend

FIELDS_FROM_TEMPLATE = ("workload", "inputTokens", "outputTokens", "cacheHitRate", "batchEligible")


def test_illustrative_rows_keep_the_template_shape_and_price_tokens_with_the_catalog(playbook):
    """costUsd = (input x (1 - hit) x input price + input x hit x cache-read price + output x output price) / 1e6
    (every entry used publishes a cache-read price, the template rows all have cached input). E.g. coding-agent on
    gpt-5 (1.25 / 0.125 / 10 per 1M): (6,200 x 0.65 x 1.25 + 6,200 x 0.35 x 0.125 + 1,200 x 10) / 1e6
    = (5,037.5 + 271.25 + 12,000) / 1e6 = $0.01730875."""
    template = {row["workload"]: row for row in playbook.template_rows}
    catalog = bundled_catalog()
    rows = illustrative_rows(playbook)
    assert len(rows) == len(ILLUSTRATIVE_ROWS) == 5
    for row, (_workload, key, _changes) in zip(rows, ILLUSTRATIVE_ROWS):
        base = template[row["workload"]]
        assert all(row[f] == base[f] for f in FIELDS_FROM_TEMPLATE)
        assert row["provenance"].startswith("illustrative")
        price = catalog.token_price(key)
        tokens_in, tokens_out, hit = float(row["inputTokens"]), float(row["outputTokens"]), float(row["cacheHitRate"])
        assert hit > 0 and price.cache_read_usd_per_million is not None
        expected = (tokens_in * (1 - hit) * price.input_usd_per_million
                    + tokens_in * hit * price.cache_read_usd_per_million
                    + tokens_out * price.output_usd_per_million) / 1e6
        assert float(row["costUsd"]) == pytest.approx(expected, rel=1e-9), key
    assert float(rows[0]["costUsd"]) == pytest.approx(0.01730875)


def test_sample_plan_has_a_route_a_different_fallback_and_money_for_every_workload(playbook):
    """Hand check of one workload, support-policy on Hosted open-weight serverless (Fireworks gpt-oss-120b row):
    100,000 x (0.0005241 / 0.78 + 2.8 / 60 x 60) = 100,000 x (0.000671923 + 2.8) = $280,067.19 a month.
    Baseline for it: Managed API (gpt-5 row) 100,000 x (0.0069675 / 0.82 + 2.8) = $280,849.70."""
    workbook = sample_workbook(playbook)
    rows = [{"id": n, **t.as_dict()} for n, t in enumerate(sample_traces(playbook), start=1)]
    context = workbook.context
    report = compute_metrics(rows, context.reviewer_rate_usd_per_hour, context.target_p95_ms)
    plan = build_plan(workbook, report, recommend(workbook, report, playbook=playbook), playbook=playbook)
    for w in plan.workloads:
        assert w.route is not None and w.fallback is not None and w.fallback != w.route, w.workload
        assert w.monthly_cost_usd is not None and w.monthly_cost_usd > 0
        priced = [c for c in w.candidates if c.priced]
        assert len(priced) >= 2
    assert total_is_sum(plan)
    support = plan.workload("support-policy")
    assert support.route == "hosted-open-weight-serverless"
    assert support.monthly_cost_usd == pytest.approx(100_000 * (0.0005241 / 0.78 + 2.8))
    assert support.candidate("managed-api-only").monthly_cost_usd == pytest.approx(100_000 * (0.0069675 / 0.82 + 2.8))
    assert support.baseline_monthly_cost_usd == pytest.approx(100_000 * (0.0069675 / 0.82 + 2.8))
    assert plan.totals.baseline_monthly_cost_usd == pytest.approx(sum(w.baseline_monthly_cost_usd
                                                                      for w in plan.workloads))
    assert plan.totals.monthly_savings_usd > 0
    assert plan.totals.baseline_monthly_cost_usd > plan.totals.monthly_cost_usd
    (lever,) = plan.levers
    assert lever.saved and lever.lever == "batch" and lever.monthly_saving_usd > 0
