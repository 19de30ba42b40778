"""The economics records a workbook stores: saved calculator scenarios, the officer's recommendation
override and an imported LiteLLM price list. They are plain values in the domain layer, so the storage
layer that keeps them and the economics layer that computes with them stay siblings: neither imports the
other. Validating a scenario's inputs is the calculators' job (`desktop.economics.scenarios`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.domain.catalog import Catalog, TokenPrice
from desktop.domain.errors import FieldError

MAX_SCENARIO_NAME = 120


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str
    inputs: Mapping[str, Any]  # camelCase keys, validated
    saved_at: str  # ISO 8601, UTC

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "inputs": dict(self.inputs), "savedAt": self.saved_at}


def scenario_name(name: Any) -> str:
    """A scenario's name, stripped; raises FieldError unless it is 1 to MAX_SCENARIO_NAME characters."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_SCENARIO_NAME:
        raise FieldError("name", name, f"a scenario needs a name of 1 to {MAX_SCENARIO_NAME} characters")
    return name


def scenario_record(data: Any) -> Scenario:
    """A scenario as stored: its shape checked (name, kind, inputs object, savedAt), its inputs not.
    Whether the calculators still accept the inputs is `desktop.economics.scenarios.usable`."""
    if not isinstance(data, Mapping):
        raise FieldError("scenario", data, "must be an object with name, kind, inputs and savedAt")
    for key in ("name", "kind", "inputs", "savedAt"):
        if key not in data:
            raise FieldError(f"scenario.{key}", None, "is missing")
    if not isinstance(data["inputs"], Mapping):
        raise FieldError("scenario.inputs", data["inputs"], "must be an object")
    name = scenario_name(data["name"])
    if not isinstance(data["kind"], str):
        raise FieldError("scenario.kind", data["kind"], "must be a calculator's name")
    return Scenario(name, data["kind"], dict(data["inputs"]), str(data["savedAt"]))


@dataclass(frozen=True)
class RecommendationOverride:
    """The officer's choice: a route (with the reason, which is required) and/or a named fallback."""

    route: str | None = None  # slug
    reason: str = ""
    fallback: str | None = None  # slug

    def to_json(self) -> dict[str, Any]:
        return {"route": self.route, "reason": self.reason, "fallback": self.fallback}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecommendationOverride:
        return cls(route=data.get("route"), reason=data.get("reason") or "", fallback=data.get("fallback"))


@dataclass(frozen=True)
class LiteLLMImport:
    entries: tuple[TokenPrice, ...]
    skipped: tuple[tuple[str, str], ...]  # (key, reason)
    sha256: str
    source_name: str

    def apply(self, catalog: Catalog) -> Catalog:
        for entry in self.entries:
            catalog = catalog.with_entry("token-prices", entry)
        return catalog
