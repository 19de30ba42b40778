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


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str
    inputs: Mapping[str, Any]  # camelCase keys, validated
    saved_at: str  # ISO 8601, UTC

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "inputs": dict(self.inputs), "savedAt": self.saved_at}


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
