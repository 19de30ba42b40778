"""The decision plan against cases worked by hand (issue 11, 'Done when').

Each test builds its own small workbook and trace rows, computes the metrics and the recommendation the way
the app does, and checks the plan's figures against the arithmetic written in its docstring. A rule table
with no rules makes every route 'supported' where a test is about pricing rather than the gates.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from desktop.domain.workbook import (BuyerContext, PlanConstraint, PlanLever, PlanSettings, Workbook, Workload)
from desktop.economics.catalog import Catalog, GpuHourPrice, TokenPrice
from desktop.economics.metrics import compute_metrics
from desktop.economics.plan import build_plan, plan_json
from desktop.economics.recommend import recommend
from desktop.economics.scenarios import make_scenario

HOURS = 730
SECONDS_PER_MONTH = 730 * 3600  # 2,628,000


def no_rules(playbook):
    return {"routes": [{"route": r.slug, "rules": []} for r in playbook.procurement_routes],
            "gpuBilledRoutes": ["dedicated-hosted-endpoint", "cloud-gpu-self-hosting", "owned-hardware"]}


CATALOG = Catalog(
    token_prices=(TokenPrice("half-batch", "OpenAI", "half-batch-model", 2.0, 8.0, "test", "2026-12-01",
                             cache_read_usd_per_million=0.5, batch_input_usd_per_million=1.0,
                             batch_output_usd_per_million=4.0),),
    gpu_hour_prices=(GpuHourPrice("together-ai-dedicated-endpoint-h100-sxm", "Together AI", "Dedicated endpoint",
                                  "h100-sxm", 4.0, "test", "2026-12-01"),))


def row(n, workload, route, **fields):
    base = {"id": n, "workload": workload, "route": route, "provider": "OpenAI", "model": "half-batch-model",
            "inputTokens": 1000.0, "outputTokens": 500.0, "cacheHitRate": 0.0, "batchEligible": True,
            "concurrency": 4.0, "ttftMs": 500.0, "latencyP50Ms": 5000.0, "latencyP95Ms": 10000.0,
            "outputTokensPerSecond": 50.0, "acceptedOutputRate": 0.8, "costUsd": 0.02, "reviewMinutes": 1.0}
    return {**base, **fields}


def workbook_for(playbook, workloads, *, target=20_000.0, rate=60.0, plan=PlanSettings(), currency="USD",
                 fx_to_usd=1.0):
    workbook = Workbook.empty(playbook)
    workbook.context = replace(BuyerContext(), reviewer_rate_usd_per_hour=rate, target_p95_ms=target,
                               workloads=tuple(Workload(n, v) for n, v in workloads), currency=currency,
                               fx_to_usd=fx_to_usd, fx_date="2026-12-01" if currency != "USD" else None,
                               fx_source="ECB reference rate" if currency != "USD" else None)
    workbook.plan = plan
    return workbook


def plan_for(playbook, workbook, rows, *, rules=None, scenarios=(), levers=(), sensitivity=False):
    rules = rules if rules is not None else no_rules(playbook)
    context = workbook.context
    report = compute_metrics(rows, context.reviewer_rate_usd_per_hour, context.target_p95_ms)
    recommendation = recommend(workbook, report, scenarios, playbook=playbook, rules=rules, catalog=CATALOG)
    return build_plan(workbook, report, recommendation, catalog=CATALOG, scenarios=scenarios, playbook=playbook,
                      rules=rules, levers=levers, sensitivity=sensitivity)


def erlang_c(servers, load):
    """Probability of waiting, closed form: [A^c/c! * c/(c-A)] / [sum_{k<c} A^k/k! + A^c/c! * c/(c-A)]."""
    top = load ** servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load ** k / math.factorial(k) for k in range(servers)) + top)


def slots_for(arrival, service, wait_target, p=0.95):
    """Fewest servers whose p-th percentile queue wait ln(C/(1-p)) / (c mu - lambda) is within the target."""
    load = arrival * service
    c = math.floor(load) + 1
    while True:
        wait_probability = erlang_c(c, load)
        tail = 0.0 if wait_probability <= 1 - p else math.log(wait_probability / (1 - p)) / (c / service - arrival)
        if tail <= wait_target:
            return c
        c += 1


# ---- per-token -------------------------------------------------------------------------------------

def test_per_token_workload_is_volume_times_cost_per_accepted_output(playbook):
    """10,000 requests/month on one Managed frontier API row: costUsd 0.02, acceptance 0.8, review 1 minute at
    $60/h. Cost per accepted output = 0.02 / 0.8 + 1/60 x 60 = 0.025 + 1.00 = $1.025.
    Monthly = 10,000 x 1.025 = $10,250: model spend 10,000 x 0.025 = $250, review 10,000 x 1.00 = $10,000.
    No other route has rows or a catalog price from which to be modelled, so there is no fallback."""
    workbook = workbook_for(playbook, [("chat", 10_000)])
    plan = plan_for(playbook, workbook, [row(1, "chat", "Managed frontier API")])
    chat = plan.workload("chat")
    assert chat.route == "managed-api-only" and chat.cost_shape == "per-token" and chat.measured
    assert chat.monthly_cost_usd == pytest.approx(10_250)
    assert chat.monthly_model_cost_usd == pytest.approx(250)
    assert chat.monthly_review_cost_usd == pytest.approx(10_000)
    assert chat.fallback is None and "No other route qualifies" in chat.fallback_reason
    assert plan.totals.monthly_cost_usd == pytest.approx(10_250)
    assert plan.totals.yearly_cost_usd == pytest.approx(123_000)
    assert plan.totals.baseline_monthly_cost_usd == pytest.approx(10_250)  # the plan is the baseline
    assert plan.totals.monthly_savings_usd == pytest.approx(0)


def test_route_without_rows_is_modelled_from_the_catalog_and_never_called_measured(playbook):
    """'other' has only a Managed API row (costUsd 0.02); 'chat' has only a serverless row. Managed API for
    'chat' is modelled: its own tokens (1,000 in, 500 out, no cache) x the route's catalog price (2 / 8 per
    1M, found from 'other''s Managed row) = (1,000 x 2 + 500 x 8) / 1e6 = $0.006 a request."""
    workbook = workbook_for(playbook, [("chat", 1_000), ("other", 1_000)])
    rows = [row(1, "other", "Managed frontier API"),
            row(2, "chat", "Hosted open-weight serverless", provider="Together AI", model="not-in-catalog",
                costUsd=0.01)]
    plan = plan_for(playbook, workbook, rows)
    managed = plan.workload("chat").candidate("managed-api-only")
    assert managed.basis == "modelled" and managed.measured is False and managed.meets_target is None
    assert managed.cost_per_request_usd == pytest.approx(0.006)
    assert managed.monthly_model_cost_usd == pytest.approx(1_000 * 0.006 / 0.8)
    serverless = plan.workload("chat").candidate("hosted-open-weight-serverless")
    assert serverless.basis == "measured" and serverless.measured is True
    # measured latency at target ranks before a modelled route: serverless is chosen, the modelled one falls back
    assert plan.workload("chat").route == "hosted-open-weight-serverless"
    assert plan.workload("chat").fallback == "managed-api-only"
    assert any(r.startswith("Cheaper but only modelled") for r in plan.workload("chat").reasons)


# ---- capacity --------------------------------------------------------------------------------------

def test_capacity_workload_is_erlang_c_replicas_times_gpu_hour_times_hours(playbook):
    """2,628,000 requests/month = 1 request/s on average, x3 peak = 3/s; acceptance 1 (no retries).
    Service time = TTFT 0.5 s + 400 output tokens / 50 tokens/s = 8.5 s, so the offered load is 25.5 Erlangs.
    Queue-wait target = target p95 20 s - measured p95 10 s = 10 s at the 95th percentile.
    Erlang C: with 27 slots the 95th-percentile wait is ln(C/0.05) / (27/8.5 - 3) > 10 s; with 28 slots it is
    under 10 s (computed below with the closed form), so 28 slots = 4 replicas of 8.
    Monthly = 4 replicas x 1 GPU x $2.50 (saved dedicated scenario) x 730 h = $7,300; review 0 minutes = $0."""
    agent = capacity_case(playbook)
    slots = slots_for(3.0, 8.5, 10.0)
    assert slots == 28  # the hand-worked value above, from the closed form
    dedicated = agent.candidate("dedicated-hosted-endpoint")
    assert dedicated.replicas == math.ceil(slots / 8) == 4
    assert dedicated.gpu_hour_usd == 2.5 and dedicated.gpus_per_replica == 1
    assert agent.route == "dedicated-hosted-endpoint" and agent.cost_shape == "capacity" and agent.measured
    assert agent.monthly_cost_usd == pytest.approx(4 * 1 * 2.5 * HOURS) == pytest.approx(7_300)
    assert agent.monthly_review_cost_usd == 0


def test_two_workloads_on_one_model_share_a_deployment(playbook):
    """Two workloads each 1,314,000 requests/month = 0.5/s, x3 peak = 1.5/s, service 8.5 s (12.75 Erlangs each),
    10 slots per replica, wait target 10 s. Alone, each needs the slots given by Erlang C at 12.75 Erlangs
    (2 replicas of 10); pooled, one fleet carries 3/s = 25.5 Erlangs with 28 slots = 3 replicas.
    Pooled GPU spend = 3 x $4.00 (catalog dedicated H100) x 730 = $8,760, split 50/50 by offered load;
    unpooled = 2 x 2 x 4.00 x 730 = $11,680."""
    volume = SECONDS_PER_MONTH * 0.5
    workbook = workbook_for(playbook, [("a", volume), ("b", volume)])
    common = dict(provider="Fireworks", model="llama", concurrency=10.0, outputTokens=400.0, ttftMs=500.0,
                  outputTokensPerSecond=50.0, latencyP95Ms=10_000.0, acceptedOutputRate=1.0, reviewMinutes=0.0,
                  costUsd=None)
    rows = [row(1, "a", "Dedicated endpoint", **common), row(2, "b", "Dedicated endpoint", **common)]
    plan = plan_for(playbook, workbook, rows)
    alone = math.ceil(slots_for(1.5, 8.5, 10.0) / 10)
    pooled = math.ceil(slots_for(3.0, 8.5, 10.0) / 10)
    assert (alone, pooled) == (2, 3)
    assert len(plan.pooling) == 1
    pool = plan.pooling[0]
    assert pool.workloads == ("a", "b") and pool.replicas_pooled == 3 and pool.replicas_unpooled == 4
    assert pool.monthly_pooled_usd == pytest.approx(3 * 4.0 * HOURS)
    assert pool.monthly_unpooled_usd == pytest.approx(4 * 4.0 * HOURS)
    for name in ("a", "b"):
        w = plan.workload(name)
        assert w.monthly_cost_usd == pytest.approx(3 * 4.0 * HOURS / 2)
        assert w.candidate("dedicated-hosted-endpoint").unpooled_monthly_cost_usd == pytest.approx(2 * 4.0 * HOURS)
    assert plan.totals.monthly_cost_usd == pytest.approx(8_760)
    assert plan_json(plan)["pooling"][0]["replicasPooled"] == 3


# ---- levers ----------------------------------------------------------------------------------------

def test_batch_share_one_at_half_price_halves_the_model_spend(playbook):
    """The catalog's batch prices for the row's model are half its standard prices (1/4 vs 2/8 per 1M), so
    the batch discount is 50%. Model spend without the lever: 10,000 x 0.02 / 0.8 = $250; with batch share 1:
    250 x (1 - 1 x 0.5) = $125. Review ($10,000) does not change; the lever saves $125 a month."""
    workbook = workbook_for(playbook, [("chat", 10_000)])
    rows = [row(1, "chat", "Managed frontier API")]
    before = plan_for(playbook, workbook, rows).workload("chat")
    plan = plan_for(playbook, workbook, rows, levers=[PlanLever("batch", "chat", 1.0)])
    after = plan.workload("chat")
    assert before.monthly_model_cost_usd == pytest.approx(250)
    assert after.monthly_model_cost_usd == pytest.approx(before.monthly_model_cost_usd / 2) == pytest.approx(125)
    assert after.monthly_review_cost_usd == pytest.approx(10_000)
    (effect,) = plan.levers
    assert effect.lever == "batch" and effect.saved is False and effect.monthly_saving_usd == pytest.approx(125)
    steps = plan.waterfall
    assert [s.kind for s in steps] == ["start", "step", "step", "end"]
    assert steps[0].amount_usd + sum(s.amount_usd for s in steps[1:-1]) == pytest.approx(steps[-1].amount_usd)
    assert steps[2].amount_usd == pytest.approx(-125)


def test_quality_and_peak_levers_change_the_money(playbook):
    """acceptance 1.0 instead of 0.8: model spend 10,000 x 0.02 / 1.0 = $200 (saves $50); review minutes 0.5
    instead of 1: review 10,000 x 0.5/60 x 60 = $5,000 (saves $5,000)."""
    workbook = workbook_for(playbook, [("chat", 10_000)])
    rows = [row(1, "chat", "Managed frontier API")]
    plan = plan_for(playbook, workbook, rows, levers=[PlanLever("acceptance", "chat", 1.0),
                                                        PlanLever("review-minutes", "*", 0.5)])
    savings = [e.monthly_saving_usd for e in plan.levers]
    assert savings == [pytest.approx(50), pytest.approx(5_000)]
    assert plan.totals.monthly_cost_usd == pytest.approx(200 + 5_000)


# ---- constraints -----------------------------------------------------------------------------------

def test_data_boundary_removes_the_cheapest_route(playbook):
    """'chat' has a Managed API row (costUsd 0.02) and a serverless row (costUsd 0.004), same quality:
    serverless 10,000 x (0.004/0.8 + 1) = $10,050 beats managed $10,250. Allowing only Managed API and the
    capacity routes (data stays with a vendor under contract) removes serverless: managed is chosen."""
    rows = [row(1, "chat", "Managed frontier API"),
            row(2, "chat", "Hosted open-weight serverless", provider="Together AI", model="x", costUsd=0.004)]
    free = plan_for(playbook, workbook_for(playbook, [("chat", 10_000)]), rows).workload("chat")
    assert free.route == "hosted-open-weight-serverless" and free.monthly_cost_usd == pytest.approx(10_050)
    assert free.fallback == "managed-api-only"
    boundary = PlanSettings(constraints=(PlanConstraint("chat", ("managed-api-only", "dedicated-hosted-endpoint")),))
    bound = plan_for(playbook, workbook_for(playbook, [("chat", 10_000)], plan=boundary), rows).workload("chat")
    assert bound.route == "managed-api-only" and bound.monthly_cost_usd == pytest.approx(10_250)
    assert bound.candidate("hosted-open-weight-serverless").allowed is False
    assert any("Hosted open-weight serverless: not allowed" in r for r in bound.reasons)


def test_budget_breach_is_flagged_per_workload_and_for_the_workbook(playbook):
    """Monthly cost $10,250 (see the per-token case) against a $10,000 workload budget and a $10,000 workbook
    budget: both breached; a $20,000 cap is not."""
    rows = [row(1, "chat", "Managed frontier API")]
    tight = PlanSettings(constraints=(PlanConstraint("chat", monthly_budget_usd=10_000.0),
                                      PlanConstraint("*", monthly_budget_usd=10_000.0)))
    plan = plan_for(playbook, workbook_for(playbook, [("chat", 10_000)], plan=tight), rows)
    assert plan.workload("chat").budget_breached and plan.totals.budget_breached
    assert "over the plan" not in " ".join(plan.notes) and any("over the workbook's budget" in n for n in plan.notes)
    loose = PlanSettings(constraints=(PlanConstraint("*", monthly_budget_usd=20_000.0),))
    plan = plan_for(playbook, workbook_for(playbook, [("chat", 10_000)], plan=loose), rows)
    assert not plan.totals.budget_breached and not plan.workload("chat").budget_breached


# ---- currency --------------------------------------------------------------------------------------

def test_amounts_are_converted_to_the_display_currency_at_the_edge(playbook):
    """EUR at 0.92 EUR per USD (fxToUsd = 1/0.92): $10,250 a month shows as 10,250 x 0.92 = EUR 9,430,
    and the USD amount stays beside it."""
    workbook = workbook_for(playbook, [("chat", 10_000)], currency="EUR", fx_to_usd=1 / 0.92)
    data = plan_json(plan_for(playbook, workbook, [row(1, "chat", "Managed frontier API")]))
    assert data["currency"] == {"code": "EUR", "perUsd": pytest.approx(0.92), "date": "2026-12-01",
                                "source": "ECB reference rate"}
    chat = data["workloads"][0]
    assert chat["monthlyCostUsd"] == pytest.approx(10_250)
    assert chat["monthlyCost"] == pytest.approx(9_430)
    assert data["totals"]["yearlyCost"] == pytest.approx(9_430 * 12)
    assert any("0.92 EUR per USD" in a["text"] and a["source"] == "ECB reference rate" for a in data["assumptions"])


# ---- nothing qualifies -----------------------------------------------------------------------------

def test_workload_with_no_qualifying_route_is_said_not_hidden(playbook):
    """'slow' has one Managed API row at 28,200 ms, over the 20,000 ms target: no route qualifies, its cost is
    not known, and the plan total is not known either (not a smaller number)."""
    workbook = workbook_for(playbook, [("slow", 1_000), ("chat", 10_000)])
    rows = [row(1, "slow", "Managed frontier API", latencyP95Ms=28_200.0), row(2, "chat", "Managed frontier API")]
    plan = plan_for(playbook, workbook, rows)
    slow = plan.workload("slow")
    assert slow.route is None and slow.monthly_cost_usd is None and slow.basis == "not priced"
    assert slow.reasons[0].startswith("No route qualifies")
    managed = slow.candidate("managed-api-only")
    # priced from the catalog, but its own rows are measured over the target, so it cannot qualify
    assert managed.meets_target is False and not managed.qualifies
    assert plan.totals.monthly_cost_usd is None and plan.totals.unpriced_workloads == ("slow",)
    assert plan_json(plan)["workloads"][0]["route"] is None


def test_gate_rules_still_decide_what_is_supported(playbook):
    """With the bundled rule table and no gate assessed, Dedicated hosted endpoint is 'not-yet' even though it
    is the only priced route; the workload then has no qualifying route and the reason names the gate."""
    volume = SECONDS_PER_MONTH * 1.0
    workbook = workbook_for(playbook, [("agent", volume)])
    rows = [row(1, "agent", "Dedicated endpoint", provider="Fireworks", model="llama", costUsd=None)]
    from desktop.economics.recommend import bundled_rules
    plan = plan_for(playbook, workbook, rows, rules=bundled_rules(playbook))
    agent = plan.workload("agent")
    assert agent.candidate("dedicated-hosted-endpoint").status == "not-yet"
    assert agent.route is None
    assert any("Dedicated hosted endpoint: rated not-yet" in r and "Demand shape" in r for r in agent.reasons)


def test_sensitivity_moves_the_total_and_finds_the_volume_where_the_route_flips(playbook):
    """'chat': Managed API $0.02/request vs a dedicated deployment at 1 replica x $4 x 730 = $2,920 a month
    (one replica of 8 slots carries the low volumes), same review cost. Managed costs V x 0.02 / 0.8 =
    V x 0.025 model spend, so dedicated becomes cheaper from V = 2,920 / 0.025 = 116,800 requests a month
    (while one replica still suffices). At 20,000 requests the plan picks Managed API and the range ends there."""
    workbook = workbook_for(playbook, [("chat", 20_000)])
    rows = [row(1, "chat", "Managed frontier API"),
            row(2, "chat", "Dedicated endpoint", provider="Fireworks", model="llama", concurrency=8.0)]
    plan = plan_for(playbook, workbook, rows, sensitivity=True)
    assert plan.workload("chat").route == "managed-api-only"
    volume_row = next(r for r in plan.sensitivity.rows if r.input == "Monthly volume")
    assert volume_row.low_total_usd == pytest.approx(plan.totals.monthly_cost_usd / 2)
    (chat_range,) = plan.sensitivity.volume_ranges
    assert chat_range.route == "managed-api-only" and chat_range.low_volume is None
    assert chat_range.high_volume == pytest.approx(116_800, rel=1e-4)


def capacity_case(playbook, levers=()):
    volume = SECONDS_PER_MONTH * 1.0
    workbook = workbook_for(playbook, [("agent", volume)])
    rows = [row(1, "agent", "Dedicated endpoint", provider="Fireworks", model="llama", concurrency=8.0,
                outputTokens=400.0, ttftMs=500.0, outputTokensPerSecond=50.0, latencyP95Ms=10_000.0,
                acceptedOutputRate=1.0, reviewMinutes=0.0, costUsd=None)]
    scenario = make_scenario("h100", "dedicated", {"gpuHourUsd": 2.5, "gpus": 1, "tokensPerSecond": 1000,
                                                   "utilization": 0.5}, "2026-12-01T00:00:00Z")
    return plan_for(playbook, workbook, rows, scenarios=[scenario], levers=levers).workload("agent")


def test_peak_and_utilization_levers_resize_the_fleet(playbook):
    """The capacity case above (3/s at peak, 8.5 s, 8 slots a replica, $2.50 x 730 a replica-month).
    peak 1: 1/s at peak = 8.5 Erlangs; Erlang C gives the slots (computed below), replicas = ceil(slots / 8).
    utilization 0.5: replicas = ceil(25.5 / (8 x 0.5)) = ceil(6.375) = 7, i.e. 7 x 2.5 x 730 = $12,775."""
    calm = capacity_case(playbook, [PlanLever("peak", "agent", 1.0)])
    expected = math.ceil(slots_for(1.0, 8.5, 10.0) / 8)
    assert calm.candidate("dedicated-hosted-endpoint").replicas == expected
    assert calm.monthly_cost_usd == pytest.approx(expected * 2.5 * HOURS)
    assert calm.peak_factor == 1.0
    loose = capacity_case(playbook, [PlanLever("utilization", "agent", 0.5)])
    assert loose.candidate("dedicated-hosted-endpoint").replicas == 7
    assert loose.monthly_cost_usd == pytest.approx(12_775)


def test_cache_and_fallback_share_levers(playbook):
    """cache 0.5 on a row with no cache hits: each request reads 1,000 x 0.5 = 500 input tokens at the cache-read
    price instead of the input price, saving 500 x (2.00 - 0.50) / 1e6 = $0.00075, so costUsd 0.02 -> 0.01925 and
    model spend 10,000 x 0.01925 / 0.8 = $240.625 (saves $9.375).
    fallback-share 0.2 with serverless chosen ($10,050) and Managed API the fallback ($10,250):
    0.8 x 10,050 + 0.2 x 10,250 = $10,090, i.e. the lever costs $40 more (a negative saving)."""
    workbook = workbook_for(playbook, [("chat", 10_000)])
    cached = plan_for(playbook, workbook, [row(1, "chat", "Managed frontier API")],
                      levers=[PlanLever("cache", "chat", 0.5)])
    assert cached.workload("chat").monthly_model_cost_usd == pytest.approx(240.625)
    assert cached.levers[0].monthly_saving_usd == pytest.approx(9.375)
    rows = [row(1, "chat", "Managed frontier API"),
            row(2, "chat", "Hosted open-weight serverless", provider="Together AI", model="x", costUsd=0.004)]
    blended = plan_for(playbook, workbook, rows, levers=[PlanLever("fallback-share", "chat", 0.2)])
    chat = blended.workload("chat")
    assert chat.fallback_share == 0.2 and chat.monthly_cost_usd == pytest.approx(10_090)
    assert blended.levers[0].monthly_saving_usd == pytest.approx(-40)
