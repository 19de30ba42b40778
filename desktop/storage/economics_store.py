"""What the economics layer keeps in a workbook file: saved scenarios, the officer's recommendation
override, and catalog overrides (hand edits and imported LiteLLM prices).

- scenarios: the `scenarios` table (name PK, kind, json, saved_at); json is `Scenario.to_json()`.
- recommendation override: the `parts` row "recommendation", {route, reason, fallback} (slugs).
- catalog overrides: the `parts` row "catalogOverrides", {"entries": [{"kind", "entry"}], "imports": [...]},
  each entry in the catalog's camelCase JSON, marked as an override with its reason.

Writers run inside the caller's transaction (`store.transaction()`, the CLI's `editing()`, or
`Document.run_in_transaction`), so a command's changes land together or not at all. Readers never raise
on a damaged row: they skip it and, when asked, say why (a workbook must still open to be repaired).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from desktop.domain.catalog import ENTRY_TYPES, Catalog, CatalogError, entry_from_json, entry_to_json
from desktop.domain.economics_records import LiteLLMImport, RecommendationOverride, Scenario, scenario_record
from desktop.domain.errors import DomainError, FieldError
from desktop.storage.workbook_file import WorkbookStore

RECOMMENDATION_PART = "recommendation"
CATALOG_PART = "catalogOverrides"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ---- parts ------------------------------------------------------------------------------------------

def _get_part(store: WorkbookStore, name: str) -> Any:
    row = store.conn.execute("SELECT json FROM parts WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0])
    except (TypeError, ValueError):
        return None


def _set_part(store: WorkbookStore, name: str, value: Any) -> None:
    store.put_part(name, None if value is None else json.dumps(value, sort_keys=True, allow_nan=False))


# ---- scenarios --------------------------------------------------------------------------------------

def list_scenarios(store: WorkbookStore, problems: list[tuple[str, str]] | None = None) -> list[Scenario]:
    """Saved scenarios as saved, oldest first; a damaged row is skipped (named in `problems`). Whether the
    calculators still accept a scenario's inputs is `desktop.economics.scenarios.usable`."""
    scenarios = []
    for name, kind, raw, saved_at in store.conn.execute(
            "SELECT name, kind, json, saved_at FROM scenarios ORDER BY saved_at, name"):
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise FieldError("scenario", raw, "must be a JSON object")
            data = {**data, "name": name, "kind": kind, "savedAt": saved_at}
            scenarios.append(scenario_record(data))
        except (ValueError, DomainError) as exc:
            if problems is not None:
                problems.append((name, str(exc)))
    return scenarios


def get_scenario(store: WorkbookStore, name: str) -> Scenario | None:
    wanted = name.strip()
    return next((s for s in list_scenarios(store) if s.name == wanted), None)


def save_scenario(store: WorkbookStore, scenario: Scenario) -> Scenario | None:
    """Save (or replace, by name) a scenario; returns the one it replaced, for undo."""
    previous = get_scenario(store, scenario.name)
    with store.leaving_traces_alone():
        store.conn.execute("INSERT OR REPLACE INTO scenarios (name, kind, json, saved_at) VALUES (?, ?, ?, ?)",
                           (scenario.name, scenario.kind, json.dumps(scenario.to_json(), sort_keys=True,
                                                                     allow_nan=False), scenario.saved_at))
    return previous


def delete_scenario(store: WorkbookStore, name: str) -> Scenario | None:
    """Remove a scenario by name; returns it (None when there was none)."""
    previous = get_scenario(store, name)
    with store.leaving_traces_alone():
        store.conn.execute("DELETE FROM scenarios WHERE name = ?", (name.strip(),))
    return previous


# ---- recommendation override ----------------------------------------------------------------------

def get_override(store: WorkbookStore) -> RecommendationOverride | None:
    data = _get_part(store, RECOMMENDATION_PART)
    if not isinstance(data, Mapping):
        return None
    override = RecommendationOverride.from_json(data)
    return override if override.route or override.fallback else None


def set_override(store: WorkbookStore, override: RecommendationOverride | None) -> None:
    """Record the officer's override (already normalized to slugs, with its reason); None clears it."""
    if override is not None and not (override.route or override.fallback):
        override = None
    _set_part(store, RECOMMENDATION_PART, None if override is None else override.to_json())


# ---- catalog overrides ------------------------------------------------------------------------------

def _catalog_part(store: WorkbookStore) -> dict[str, Any]:
    data = _get_part(store, CATALOG_PART)
    if not isinstance(data, dict):
        return {"entries": [], "imports": []}
    entries = data.get("entries") if isinstance(data.get("entries"), list) else []
    imports = data.get("imports") if isinstance(data.get("imports"), list) else []
    return {"entries": entries, "imports": imports}


def catalog_overrides(store: WorkbookStore, problems: list[str] | None = None) -> list[tuple[str, Any]]:
    """The workbook's catalog entries as (kind, entry), in the order they were recorded."""
    result = []
    for i, item in enumerate(_catalog_part(store)["entries"]):
        try:
            if not isinstance(item, dict):
                raise CatalogError("must be an object with kind and entry")
            kind = item.get("kind")
            entry = entry_from_json(kind, item.get("entry"), f"catalogOverrides[{i}]")
            if not entry.override:
                entry = replace(entry, override=True)
            result.append((kind, entry))
        except DomainError as exc:
            if problems is not None:
                problems.append(str(exc))
    return result


def catalog_imports(store: WorkbookStore) -> list[dict[str, Any]]:
    """Records of LiteLLM imports: source, sha256, entries, skipped, importedAt."""
    return [i for i in _catalog_part(store)["imports"] if isinstance(i, dict)]


def _write_catalog_part(store: WorkbookStore, entries: Iterable[tuple[str, Any]], imports: list[dict]) -> None:
    payload = {"entries": [{"kind": kind, "entry": entry_to_json(entry)} for kind, entry in entries],
               "imports": imports}
    _set_part(store, CATALOG_PART, payload if payload["entries"] or imports else None)


def set_catalog_override(store: WorkbookStore, kind: str, data: Mapping[str, Any], reason: str) -> Any:
    """Add or replace (by key) an officer's catalog entry; the reason is required. Returns the entry."""
    if kind not in ENTRY_TYPES:
        raise CatalogError(f"unknown catalog '{kind}' (choose one of: {', '.join(ENTRY_TYPES)})")
    if not reason or not reason.strip():
        raise FieldError("--reason", reason, "a catalog override needs a reason")
    entry = entry_from_json(kind, {**dict(data), "override": True, "overrideReason": reason.strip()},
                            f"{kind} override")
    kept = [(k, e) for k, e in catalog_overrides(store) if not (k == kind and e.key == entry.key)]
    _write_catalog_part(store, kept + [(kind, entry)], catalog_imports(store))
    return entry


def remove_catalog_override(store: WorkbookStore, kind: str, key: str) -> bool:
    entries = catalog_overrides(store)
    kept = [(k, e) for k, e in entries if not (k == kind and e.key == key)]
    if len(kept) == len(entries):
        return False
    _write_catalog_part(store, kept, catalog_imports(store))
    return True


def import_litellm(store: WorkbookStore, imported: LiteLLMImport) -> int:
    """Record a parsed LiteLLM file's token prices as overrides (replacing same keys); returns the count."""
    keys = {e.key for e in imported.entries}
    kept = [(k, e) for k, e in catalog_overrides(store) if not (k == "token-prices" and e.key in keys)]
    record = {"source": imported.source_name, "sha256": imported.sha256, "entries": len(imported.entries),
              "skipped": len(imported.skipped), "importedAt": _now()}
    _write_catalog_part(store, kept + [("token-prices", e) for e in imported.entries],
                        catalog_imports(store) + [record])
    return len(imported.entries)


def merge_catalog(base: Catalog, overrides: Iterable[tuple[str, Any]]) -> Catalog:
    """`base` with each override replacing the entry with its key (or added), in one pass per kind."""
    tables: dict[str, dict[str, Any]] = {}
    for kind, entry in overrides:
        attr = kind.replace("-", "_")
        table = tables.get(attr)
        if table is None:
            table = tables[attr] = {e.key: e for e in getattr(base, attr)}
        table.pop(entry.key, None)  # an override moves to the end, as Catalog.with_entry does
        table[entry.key] = entry
    return replace(base, **{attr: tuple(table.values()) for attr, table in tables.items()})


def workbook_catalog(store: WorkbookStore, base: Catalog, problems: list[str] | None = None) -> Catalog:
    """`base` (the bundled catalog, `desktop.economics.catalog.bundled_catalog()`) with this workbook's
    overrides applied."""
    return merge_catalog(base, catalog_overrides(store, problems))


# ---- everything at once -----------------------------------------------------------------------------

@dataclass(frozen=True)
class EconomicsInputs:
    """What a workbook stores for its economics besides the trace rows."""

    scenarios: tuple[Scenario, ...]
    override: RecommendationOverride | None
    catalog: Catalog
    problems: tuple[str, ...] = ()


def load_inputs(store: WorkbookStore, base_catalog: Catalog) -> EconomicsInputs:
    """Saved scenarios, the recorded override and `base_catalog` with the workbook's overrides.

    Saved data that cannot be read is left out and named in `problems`, never raised: a workbook must
    still open to be repaired. Scenarios come as saved; `compute_economics` leaves out (and names) those
    whose inputs today's calculators refuse.
    """
    scenario_problems: list[tuple[str, str]] = []
    catalog_problems: list[str] = []
    scenarios = list_scenarios(store, scenario_problems)
    catalog = workbook_catalog(store, base_catalog, problems=catalog_problems)
    override = get_override(store)
    problems = [f"Saved scenario '{name}' cannot be used: {why}" for name, why in scenario_problems]
    problems += [f"A catalog override cannot be used: {why}" for why in catalog_problems]
    return EconomicsInputs(tuple(scenarios), override, catalog, tuple(problems))
