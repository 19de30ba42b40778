"""Saved calculator scenarios: the named inputs that gate panels, the Assumptions sheet and the memo reuse.

A scenario stores inputs, not results, so re-running it after a catalog edit shows today's numbers;
its JSON form is what storage keeps (name, kind, inputs by camelCase key, savedAt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from desktop.domain.economics_records import Scenario
from desktop.domain.errors import FieldError
from desktop.economics.calculators import calculator
from desktop.economics.catalog import Catalog
from desktop.economics.params import inputs_from_mapping, inputs_to_json

MAX_NAME = 120

__all__ = ["MAX_NAME", "Scenario", "latest", "make_scenario", "run_scenario", "scenario_from_json",
           "scenario_inputs"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make_scenario(name: str, kind: str, inputs: Any, saved_at: str | None = None) -> Scenario:
    """A scenario from an inputs dataclass or a mapping of inputs; validates both name and inputs."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        raise FieldError("name", name, f"a scenario needs a name of 1 to {MAX_NAME} characters")
    calc = calculator(kind)
    if isinstance(inputs, Mapping):
        inputs = inputs_from_mapping(calc.inputs, inputs)
    elif not isinstance(inputs, calc.inputs):
        raise FieldError("inputs", type(inputs).__name__, f"must be {calc.inputs.__name__} for a {kind} scenario")
    return Scenario(name, kind, inputs_to_json(inputs), saved_at or _now())


def scenario_from_json(data: Any) -> Scenario:
    if not isinstance(data, Mapping):
        raise FieldError("scenario", data, "must be an object with name, kind, inputs and savedAt")
    for key in ("name", "kind", "inputs", "savedAt"):
        if key not in data:
            raise FieldError(f"scenario.{key}", None, "is missing")
    if not isinstance(data["inputs"], Mapping):
        raise FieldError("scenario.inputs", data["inputs"], "must be an object")
    return make_scenario(data["name"], data["kind"], data["inputs"], str(data["savedAt"]))


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
