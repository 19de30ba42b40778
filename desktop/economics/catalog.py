"""Catalogs the calculators read: model architectures, GPUs, token prices and GPU-hour prices.

Each entry carries its source and date, because a price without provenance cannot be defended in a memo.
The officer may edit entries; an edited or added entry is an override and says so (with the reason)
wherever it is used. Files are bundled under resources/catalog/ and are validated on load.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from desktop import paths
from desktop.domain.catalog import (ENTRY_TYPES, MAX_TEXT, Catalog, CatalogError, GpuHourPrice, GpuSpec, ModelSpec,
                                    TokenPrice, entry_from_json, entry_to_json)

__all__ = ["ENTRY_TYPES", "FILES", "MAX_TEXT", "Catalog", "CatalogError", "GpuHourPrice", "GpuSpec", "ModelSpec",
           "TokenPrice", "bundled_catalog", "entry_from_json", "entry_to_json", "load_catalog", "load_catalog_file"]

FILES = {"models": "models.json", "gpus": "gpus.json", "token-prices": "token_prices.json",
         "gpu-hour-prices": "gpu_hour_prices.json"}


def load_catalog_file(kind: str, path: Path) -> tuple[Any, ...]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CatalogError(f"{path}: must be an object with a list of entries")
    entries = tuple(entry_from_json(kind, e, f"{path.name} entries[{i}]") for i, e in enumerate(data["entries"]))
    keys = [e.key for e in entries]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate:
        raise CatalogError(f"{path.name}: key '{duplicate}' is listed twice")
    return entries


def load_catalog(folder: Path) -> Catalog:
    return Catalog(**{kind.replace("-", "_"): load_catalog_file(kind, Path(folder) / name)
                      for kind, name in FILES.items()})


@cache
def bundled_catalog() -> Catalog:
    """The catalog shipped in resources/catalog/, loaded once per process."""
    return load_catalog(paths.resource("catalog"))
