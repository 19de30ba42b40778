"""Facts the workbook's numbers give for each decision gate, for the gate panels of the wizard.

The wizard shows a list of (label, value text, status) and knows nothing of economics; when the numbers
say nothing yet about a gate, it shows the honest `no_data` sentence instead of an empty or zero panel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.formatting import NOT_KNOWN, NOT_OBSERVED, format_money, format_percent
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.catalog import Catalog
from desktop.economics.metrics import MetricsReport
from desktop.economics.recommend import (
    BASELINE,
    RecommendationOverride,
    bundled_rules,
    default_playbook,
    normalize_override,
    route_cost,
    route_numbers,
)
from desktop.economics.scenarios import Scenario, latest, run_scenario

OK, WARN, NONE = "ok", "warn", "none"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    status: str  # ok | warn | none (no judgement)


@dataclass(frozen=True)
class GateFacts:
    slug: str
    facts: tuple[Fact, ...]
    no_data: str | None = None  # shown when there are no facts

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "facts": [{"label": f.label, "value": f.value, "status": f.status}
                                             for f in self.facts], "noData": self.no_data}


@dataclass(frozen=True)
class FactsInput:
    workbook: Workbook
    metrics: MetricsReport | None
    scenarios: Sequence[Scenario]
    catalog: Catalog | None
    playbook: Playbook
    override: RecommendationOverride | None




def _num(v: float) -> str:
    return f"{v:,.0f}"


def _has_rows(metrics: MetricsReport | None) -> bool:
    return bool(metrics and metrics.traces)


def _run(scenario: Scenario, data: FactsInput) -> tuple[Any, str | None]:
    try:
        return run_scenario(scenario, data.catalog), None
    except (DomainError, ValueError) as exc:
        return None, str(exc)


def demand_shape(data: FactsInput) -> GateFacts:
    facts = []
    context = data.workbook.context
    for w in context.workloads:
        facts.append(Fact(f"Forecast volume, {w.name}", f"{_num(w.monthly_requests)} requests/month",
                          OK if w.monthly_requests > 0 else WARN))
    if context.workloads or _has_rows(data.metrics):
        target = context.target_p95_ms
        facts.append(Fact("Target p95 latency", f"{_num(target)} ms" if target else "not set",
                          OK if target else WARN))
    for w in data.metrics.workloads if data.metrics else ():
        facts.append(Fact(f"Batch-eligible share, {w.workload}",
                          f"{format_percent(w.batch_displacement_share)} of {w.rows} trace row(s)", NONE))
        facts.append(Fact(f"Peak configured concurrency, {w.workload}", _num(w.max_concurrency), NONE))
    return GateFacts("demand-shape", tuple(facts),
                     None if facts else "No data yet: add workloads with forecast volumes or import traces.")


def utilization_proof(data: FactsInput) -> GateFacts:
    facts = []
    for r in data.metrics.routes if data.metrics else ():
        if r.accepted_tokens_per_second is not None:
            facts.append(Fact(f"Accepted output tokens/s, {r.route}",
                              f"{_num(r.accepted_tokens_per_second)} at concurrency {_num(r.at_concurrency)}", NONE))
        else:
            facts.append(Fact(f"Accepted output tokens/s, {r.route}",
                              f"{NOT_OBSERVED} (no outputTokensPerSecond or acceptedOutputRate)", WARN))
    numbers = route_numbers(data.workbook, data.metrics, data.scenarios, data.playbook,
                            bundled_rules(data.playbook), data.catalog)
    measured = numbers.measured_utilization
    if measured is not None or numbers.dedicated_scenario or numbers.owned_scenario:
        facts.append(Fact("Measured GPU utilization",
                          f"{format_percent(measured)} over {numbers.utilization_rows} row(s)" if measured is not None
                          else f"{NOT_OBSERVED} (no gpuUtilization on dedicated or self-hosted traces)",
                          NONE if measured is not None else WARN))
    for label, scenario, value in (("dedicated", numbers.dedicated_scenario, numbers.dedicated_break_even_utilization),
                                   ("owned", numbers.owned_scenario, numbers.owned_break_even_utilization)):
        if scenario is None:
            continue
        if value is None:
            facts.append(Fact(f"Break-even utilization ({label}, scenario '{scenario}')",
                              f"{NOT_KNOWN} (the scenario has no comparison price)", WARN))
            continue
        status = NONE if measured is None else (OK if measured >= value else WARN)
        text = format_percent(value) if measured is None else (
            f"{format_percent(measured)} measured {'>=' if measured >= value else '<'} {format_percent(value)} break-even")
        facts.append(Fact(f"Break-even utilization ({label}, scenario '{scenario}')", text, status))
    replicas = latest(data.scenarios, "replicas")
    if replicas is not None:
        result, error = _run(replicas, data)
        if result is None:
            facts.append(Fact(f"Replicas (scenario '{replicas.name}')", f"cannot run: {error}", WARN))
        elif result.stable:
            facts.append(Fact(f"Replicas (scenario '{replicas.name}')",
                              f"{result.replicas} replica(s), {result.slots} slots, utilization "
                              f"{format_percent(result.utilization)}", OK if result.meets_target else WARN))
        else:
            facts.append(Fact(f"Replicas (scenario '{replicas.name}')",
                              f"unstable: offered load {result.offered_load_erlangs:,.1f} Erlangs on {result.slots} "
                              "slots", WARN))
    for note in numbers.notes:
        facts.append(Fact("Scenario problem", note, WARN))
    return GateFacts("utilization-proof", tuple(facts), None if facts else (
        "No data yet: import traces with throughput and acceptance, and save a dedicated or owned scenario."))


def memory_and_context_fit(data: FactsInput) -> GateFacts:
    scenario = latest(data.scenarios, "memory")
    if scenario is None:
        return GateFacts("memory-and-context-fit", (), "No data yet: run the memory calculator and save a scenario.")
    result, error = _run(scenario, data)
    if result is None:
        return GateFacts("memory-and-context-fit",
                         (Fact(f"Memory fit (scenario '{scenario.name}')", f"cannot run: {error}", WARN),))
    inputs = scenario.inputs
    return GateFacts("memory-and-context-fit", (
        Fact(f"Memory fit (scenario '{scenario.name}')", result.verdict, OK if result.fits else WARN),
        Fact("Model and GPUs", f"{result.model_name} ({inputs.get('weights')}) on {inputs.get('gpus')} x "
                               f"{result.gpu_name}", NONE),
        Fact("Weights", f"{result.weights_gb:,.2f} GB", NONE),
        Fact("KV-cache budget", f"{result.kv_budget_gb:,.2f} GB", OK if result.kv_budget_gb > 0 else WARN),
        Fact(f"Concurrent sequences at {_num(inputs.get('context') or 0)} tokens",
             _num(result.concurrent_sequences), OK if result.fits else WARN),
    ))


def operations_maturity(data: FactsInput) -> GateFacts:
    return GateFacts("operations-maturity", (), "No figures bear on this gate: its evidence is the checklist "
                                                "(runbook owner, monitoring, rollback, upgrades, security).")


def fallback_economics(data: FactsInput) -> GateFacts:
    facts = []
    slug = data.override.fallback if data.override and data.override.fallback else BASELINE
    route = data.playbook.procurement_route(slug)
    scenario = latest(data.scenarios, "fallback")
    if scenario is not None:
        result, error = _run(scenario, data)
        if result is None:
            facts.append(Fact(f"Blended cost (scenario '{scenario.name}')", f"cannot run: {error}", WARN))
        else:
            share = scenario.inputs.get("fallbackShare") or 0
            facts.append(Fact(f"Blended cost per accepted output (scenario '{scenario.name}')",
                              f"{format_money(result.blended_cost_usd)} with {format_percent(share)} to the fallback", OK))
            facts.append(Fact("Saving against the fallback alone", format_money(result.saving_vs_fallback_only_usd),
                              OK if result.saving_vs_fallback_only_usd >= 0 else WARN))
    if _has_rows(data.metrics):
        cost = route_cost(slug, data.playbook, data.workbook, data.metrics)
        for workload, value, why in cost.per_workload:
            known = value is not None
            facts.append(Fact(f"Fallback cost per accepted output at target, {workload}",
                              format_money(value) if known else f"{NOT_KNOWN}: {why}", NONE if known else WARN))
    if facts:
        facts.insert(0, Fact("Fallback route", route.name, NONE))
    return GateFacts("fallback-economics", tuple(facts), None if facts else (
        "No data yet: save a fallback scenario or import traces on the fallback route."))


GATE_FACTS: Mapping[str, Callable[[FactsInput], GateFacts]] = {
    "demand-shape": demand_shape,
    "utilization-proof": utilization_proof,
    "memory-and-context-fit": memory_and_context_fit,
    "operations-maturity": operations_maturity,
    "fallback-economics": fallback_economics,
}


def gate_facts(slug: str, workbook: Workbook, metrics: MetricsReport | None = None,
               scenarios: Sequence[Scenario] = (), catalog: Catalog | None = None,
               playbook: Playbook | None = None,
               override: RecommendationOverride | Mapping[str, Any] | None = None) -> GateFacts:
    """The facts for one gate (by slug); an unknown slug is an error, a gate without numbers says so."""
    playbook = playbook or default_playbook()
    slug = playbook.gate(slug).slug
    data = FactsInput(workbook, metrics, tuple(scenarios), catalog, playbook, normalize_override(override, playbook))
    return GATE_FACTS[slug](data)
