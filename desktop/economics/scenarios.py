"""Saved calculator scenarios: the named inputs that gate panels, the Assumptions sheet and the memo reuse.

A scenario stores inputs, not results, so re-running it after a catalog edit shows today's numbers;
its JSON form is what storage keeps (name, kind, inputs by camelCase key, savedAt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from desktop.domain.economics_records import MAX_SCENARIO_NAME, Scenario, scenario_name, scenario_record
from desktop.domain.errors import DomainError, FieldError
from desktop.economics.calculators import calculator
from desktop.economics.catalog import Catalog
from desktop.economics.params import inputs_from_mapping, inputs_to_json

MAX_NAME = MAX_SCENARIO_NAME

__all__ = ["MAX_NAME", "Scenario", "latest", "make_scenario", "run_scenario", "scenario_from_json",
           "scenario_inputs", "usable"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make_scenario(name: str, kind: str, inputs: Any, saved_at: str | None = None) -> Scenario:
    """A scenario from an inputs dataclass or a mapping of inputs; validates both name and inputs."""
    name = scenario_name(name)
    calc = calculator(kind)
    if isinstance(inputs, Mapping):
        inputs = inputs_from_mapping(calc.inputs, inputs)
    elif not isinstance(inputs, calc.inputs):
        raise FieldError("inputs", type(inputs).__name__, f"must be {calc.inputs.__name__} for a {kind} scenario")
    return Scenario(name, kind, inputs_to_json(inputs), saved_at or _now())


def scenario_from_json(data: Any) -> Scenario:
    """A stored scenario whose inputs the calculators accept; raises FieldError naming what is wrong."""
    record = scenario_record(data)
    return make_scenario(record.name, record.kind, record.inputs, record.saved_at)


def usable(scenarios: Iterable[Scenario], problems: list[tuple[str, str]] | None = None) -> list[Scenario]:
    """The scenarios whose inputs today's calculators accept; each other one is named in `problems`
    as (name, why). Storage keeps scenarios as they were saved; this is where they are checked."""
    kept = []
    for scenario in scenarios:
        try:
            kept.append(scenario_from_json(scenario.to_json()))
        except DomainError as exc:
            if problems is not None:
                problems.append((scenario.name, str(exc)))
    return kept


def scenario_inputs(scenario: Scenario) -> Any:
    return inputs_from_mapping(calculator(scenario.kind).inputs, scenario.inputs)


def run_scenario(scenario: Scenario, catalog: Catalog | None = None) -> Any:
    """The calculator's result for the scenario's inputs (today's catalog)."""
    return calculator(scenario.kind).run(scenario_inputs(scenario), catalog)


def latest(scenarios: Iterable[Scenario], kind: str) -> Scenario | None:
    """The most recently saved scenario of a kind (ties: the later in the list)."""
    best = None
    for s in scenarios:
        if s.kind == kind and (best is None or s.saved_at >= best.saved_at):
            best = s
    return best
