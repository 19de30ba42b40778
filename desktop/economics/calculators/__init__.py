"""The six calculators behind the decision gates, by kind, so the CLI, panels and scenarios share one list.

Each is a pure function from an inputs dataclass (named inputs with unit and default, see `params`) to a
result dataclass carrying its figures, notes, assumptions and sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from desktop.domain.errors import UnknownNameError
from desktop.economics.calculators.api_bill import ApiBillInputs, ApiBillResult, api_bill
from desktop.economics.calculators.dedicated import DedicatedInputs, DedicatedResult, dedicated
from desktop.economics.calculators.fallback import FallbackInputs, FallbackResult, fallback
from desktop.economics.calculators.memory import MemoryInputs, MemoryResult, memory
from desktop.economics.calculators.owned import OwnedInputs, OwnedResult, owned
from desktop.economics.calculators.replicas import ReplicasInputs, ReplicasResult, replicas
from desktop.economics.catalog import Catalog
from desktop.economics.params import InputSpec, input_specs, inputs_from_mapping


@dataclass(frozen=True)
class Calculator:
    kind: str
    title: str
    gate: str | None  # the gate whose panel shows it
    inputs: type
    function: Callable[..., Any]
    uses_catalog: bool = False

    def specs(self) -> tuple[InputSpec, ...]:
        return input_specs(self.inputs)

    def run(self, inputs: Any, catalog: Catalog | None = None) -> Any:
        return self.function(inputs, catalog) if self.uses_catalog else self.function(inputs)

    def run_mapping(self, values: Mapping[str, Any], catalog: Catalog | None = None) -> Any:
        return self.run(inputs_from_mapping(self.inputs, values), catalog)


CALCULATORS: dict[str, Calculator] = {c.kind: c for c in (
    Calculator("dedicated", "Dedicated capacity vs per-token price", "utilization-proof", DedicatedInputs,
               dedicated),
    Calculator("owned", "Owned hardware cost per GPU-hour", "utilization-proof", OwnedInputs, owned),
    Calculator("api-bill", "Per-token monthly bill", "demand-shape", ApiBillInputs, api_bill, uses_catalog=True),
    Calculator("memory", "Memory and context fit", "memory-and-context-fit", MemoryInputs, memory,
               uses_catalog=True),
    Calculator("replicas", "Replicas for a queue-wait target (Erlang C)", "utilization-proof", ReplicasInputs,
               replicas),
    Calculator("fallback", "Fallback blend", "fallback-economics", FallbackInputs, fallback),
)}


def calculator(kind: str) -> Calculator:
    try:
        return CALCULATORS[kind]
    except KeyError:
        raise UnknownNameError(f"unknown calculator '{kind}' (choose one of: {', '.join(CALCULATORS)})") from None


__all__ = [
    "CALCULATORS", "Calculator", "calculator",
    "ApiBillInputs", "ApiBillResult", "api_bill", "DedicatedInputs", "DedicatedResult", "dedicated",
    "FallbackInputs", "FallbackResult", "fallback", "MemoryInputs", "MemoryResult", "memory",
    "OwnedInputs", "OwnedResult", "owned", "ReplicasInputs", "ReplicasResult", "replicas",
]
