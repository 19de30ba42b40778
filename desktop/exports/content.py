"""The workbook's decision content, assembled from an open store: what a fingerprint and a signature cover.

`decision_content_for` gathers everything `desktop.domain.canonical.decision_content` needs from a
WorkbookStore (trace rows' content hash, imports' hashes, saved scenarios, catalog entries used, the
recommendation and its override, the audit-log anchor) and `content_fingerprint` hashes it. The exports
embed exactly this content, so `ipw verify` can recompute it from the workbook and compare.

`build_decision` returns the same content together with what it was computed from (the trace frame, metrics,
recommendation), so an export can reuse them instead of reading and computing everything twice.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from desktop.domain.audit import GENESIS
from desktop.domain.canonical import canonical_bytes, canonical_number, canonicalise, decision_content
from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.trace import FIELD_NAMES
from desktop.domain.workbook import AuditEntry, Workbook
from desktop.storage.schema import SCHEMA_VERSION
from desktop.storage.workbook_file import WorkbookStore

# Row keys that identify a row inside this file but are not its content (a re-import gives new ids).
_ROW_IDS = ("id", "importId")
_FIELD_KEYS = frozenset(FIELD_NAMES)
_SORTED_FIELDS = tuple(sorted(FIELD_NAMES))
_CATALOG_INPUTS = {"price": "token-prices", "model": "models", "gpu": "gpus"}  # scenario input -> catalog


# ---------------------------------------------------------------------------------------------- traces

def _value_json(value: Any) -> str:
    kind = type(value)
    if kind is float:
        return '"' + canonical_number(value) + '"'
    if kind is str:
        return encode_basestring(value if value.isascii() else unicodedata.normalize("NFC", value))
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return '"' + str(value) + '"'
    return json.dumps(canonicalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def row_content(row: Mapping[str, Any]) -> dict[str, Any]:
    """A trace row as the content hash sees it: its fields and extras, without the file's row ids."""
    return {k: v for k, v in row.items() if k not in _ROW_IDS}


def _column_json(values: list[Any]) -> list[str]:
    """The canonical JSON text of each value of one column (numbers as quoted shortest decimals)."""
    kinds = set(map(type, values))
    if kinds == {float}:
        texts = list(map(repr, values))
        if any("e" in t or "n" in t or t == "-0.0" for t in texts):
            return [_value_json(v) for v in values]
        return ['"' + (t[:-2] if t.endswith(".0") else t) + '"' for t in texts]
    if kinds == {str} and all(map(str.isascii, values)):
        return list(map(encode_basestring, values))
    return [_value_json(v) for v in values]


_ROW_TEMPLATE = "{" + ",".join(encode_basestring(name).replace("%", "%%") + ":%s" for name in _SORTED_FIELDS) + "}\n"
_CHUNK = 4096


def traces_content_hash(rows: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 over the rows in order, each as its canonical bytes and a newline (without the row ids).

    Equal to `desktop.domain.canonical.rows_hash(row_content(r) for r in rows)`; rows holding exactly the
    trace kit's fields take a column-wise fast path that writes the same bytes.
    """
    digest = hashlib.sha256()
    chunk: list[Mapping[str, Any]] = []

    def flush() -> None:
        if not chunk:
            return
        columns = [_column_json([row[name] for row in chunk]) for name in _SORTED_FIELDS]
        text = "".join(_ROW_TEMPLATE % values for values in zip(*columns))
        digest.update(text.encode("utf-8"))
        chunk.clear()

    plain = len(_FIELD_KEYS)
    for row in rows:
        size = len(row) - ("id" in row) - ("importId" in row)
        if size == plain and _FIELD_KEYS.issubset(row.keys()):
            chunk.append(row)
            if len(chunk) >= _CHUNK:
                flush()
        else:
            flush()
            digest.update(canonical_bytes(row_content(row)))
            digest.update(b"\n")
    flush()
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- economics

def _override_json(override: Any) -> dict[str, Any] | None:
    if override is None:
        return None
    data = override.to_json() if hasattr(override, "to_json") else dict(override)
    if not (data.get("route") or data.get("fallback")):
        return None
    return {"route": data.get("route"), "reason": data.get("reason") or "", "fallback": data.get("fallback")}


def recommendation_content(recommendation: Any) -> dict[str, Any]:
    """The recommendation as the content records it: the route, its basis, each route's status and the
    numbers the rules compared."""
    numbers = recommendation.numbers
    return {
        "route": recommendation.route, "routeName": recommendation.route_name,
        "computedRoute": recommendation.computed_route,
        "fallback": recommendation.fallback, "fallbackName": recommendation.fallback_name,
        "basis": [{"code": r.code, "text": r.text} for r in recommendation.basis],
        "statuses": [{"slug": s.slug, "route": s.route, "stage": s.stage, "status": s.status,
                      "costAtTarget": s.cost_at_target,
                      "reasons": [{"code": r.code, "text": r.text} for r in s.reasons]}
                     for s in recommendation.statuses],
        "numbers": {
            "measuredUtilization": numbers.measured_utilization, "utilizationRows": numbers.utilization_rows,
            "dedicatedBreakEvenUtilization": numbers.dedicated_break_even_utilization,
            "dedicatedScenario": numbers.dedicated_scenario,
            "ownedBreakEvenUtilization": numbers.owned_break_even_utilization,
            "ownedScenario": numbers.owned_scenario,
            "memoryFits": numbers.memory_fits, "memoryVerdict": numbers.memory_verdict,
            "memoryScenario": numbers.memory_scenario,
            "notes": list(numbers.notes),
        },
    }


def catalog_entries_used(scenarios: Sequence[Any], catalog: Any, price_entries: Iterable[Any]) -> list[dict]:
    """Catalog entries the numbers rest on: those named by saved scenarios, the token prices that priced trace
    rows without an observed cost (`Economics.price_entries_used()`), and every officer override; each once,
    with its source and date."""
    from desktop.economics.catalog import entry_to_json

    found: dict[tuple[str, str], Any] = {}
    for scenario in scenarios:
        for key, kind in _CATALOG_INPUTS.items():
            name = scenario.inputs.get(key)
            if not name:
                continue
            try:
                entry = {"token-prices": catalog.token_price, "models": catalog.model, "gpus": catalog.gpu}[kind](name)
            except DomainError:
                continue
            found[(kind, entry.key)] = entry
    for entry in price_entries:
        found[("token-prices", entry.key)] = entry
    for kind, entry in catalog.overrides():
        found[(kind, entry.key)] = entry
    return [{"catalog": kind, **entry_to_json(entry)} for (kind, _), entry in sorted(found.items())]


# ---------------------------------------------------------------------------------------------- content

def audit_anchor(log: Sequence[AuditEntry], signed: bool) -> dict[str, Any]:
    """The audit log as the content records it: how many entries precede this content and the last one's
    hash. A signed workbook's content was made before its own sign entry was appended, so that entry (the
    last 'sign') and anything after it are left out."""
    kept = list(log)
    if signed:
        last_sign = max((i for i, e in enumerate(kept) if e.action == "sign"), default=None)
        if last_sign is not None:
            kept = kept[:last_sign]
    return {"entries": len(kept), "headHash": kept[-1].entry_hash if kept else GENESIS}


class TraceRows(Sequence):
    """The trace rows of a Decision as row dicts (`desktop.storage.trace_frame.frame_rows`), built only for the
    rows read: `len()` costs nothing and iterating converts one batch at a time, so callers that want a count
    or a few rows never hold a million dicts. Values are the economics' reading (a cell that is not a finite
    number is null); the exports show the stored values (`desktop.exports.shown_traces`)."""

    _BATCH = 20_000

    def __init__(self, frame: Any) -> None:
        self._frame = frame

    def __len__(self) -> int:
        return self._frame.height

    def __getitem__(self, index: Any) -> Any:
        from desktop.storage.trace_frame import frame_rows

        if isinstance(index, slice):
            return list(frame_rows(self._frame[index]))
        height = self._frame.height
        if index < 0:
            index += height
        if not 0 <= index < height:
            raise IndexError("trace row index out of range")
        return next(frame_rows(self._frame.slice(index, 1)))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from desktop.storage.trace_frame import frame_rows

        for start in range(0, self._frame.height, self._BATCH):
            yield from frame_rows(self._frame.slice(start, self._BATCH))


@dataclass
class Decision:
    """The decision content of a workbook and what it was computed from.

    Attributes:
        content: the decision content (a dict; `canonical_bytes(content)` is what is hashed and signed).
        fingerprint: SHA-256 of the canonical bytes, 64 hex digits.
        frame: the active trace rows as the economics read them, a polars DataFrame in id order
            (`desktop.storage.trace_frame.read_trace_frame`).
        economics: desktop.economics.analysis.Economics (report, recommendation, scenarios, override, catalog,
            modelled costs, problems).
    """

    content: dict[str, Any]
    fingerprint: str
    frame: Any
    economics: Any

    @property
    def canonical(self) -> bytes:
        return canonical_bytes(self.content)

    @property
    def trace_count(self) -> int:
        return self.frame.height

    @property
    def rows(self) -> TraceRows:
        """The trace rows as dicts, built on access (for small callers and tests; exports read `frame`)."""
        return TraceRows(self.frame)

    @property
    def metrics(self) -> Any:
        """desktop.economics.metrics.MetricsReport of the rows."""
        return self.economics.report

    @property
    def recommendation(self) -> Any:
        """desktop.economics.recommend.Recommendation."""
        return self.economics.recommendation

    @property
    def modelled(self) -> Mapping[Any, Any]:
        """Row id -> ModelledCost for rows without an observed cost."""
        return self.economics.modelled

    def with_content(self, content: dict[str, Any]) -> Decision:
        """The same computation with other content (e.g. the sign-off block filled in)."""
        return Decision(content, hashlib.sha256(canonical_bytes(content)).hexdigest(), self.frame, self.economics)


def build_decision(store: WorkbookStore, workbook: Workbook, playbook: Playbook, *,
                   recompute_traces_hash: bool = False, economics: Any = None) -> Decision:
    """Compute the decision content of `workbook` (its sign-off as it stands) with the store's traces,
    saved scenarios, recommendation override and catalog (`desktop.economics.analysis` over what
    `desktop.storage.economics_store.load_inputs` reads).

    The traces hash is, for a draft, the one kept up to date at write time; for a signed-off workbook, whose
    fingerprint must change with any of its rows, the one this app computed from them (remembered per version of
    the file, `desktop.storage.trace_hash.decision_traces_hash`); with `recompute_traces_hash` (the auditor's
    `ipw verify`, which must not trust what the file or this machine says of it), computed now.

    `economics`, when given, is the Economics already computed for this very state of the store and workbook
    (the GUI's shared result): it is used as it is, and no trace row is read again; the decision's frame is
    then the economics' own trace frame without its metric columns."""
    from desktop.storage.trace_hash import compute_traces_hash, decision_traces_hash

    traces_hash, trace_count = (compute_traces_hash(store) if recompute_traces_hash
                                else decision_traces_hash(store, signed=workbook.signed))
    if economics is None:
        from desktop.economics.analysis import compute_economics
        from desktop.economics.catalog import bundled_catalog
        from desktop.storage.economics_store import load_inputs
        from desktop.storage.trace_frame import read_trace_frame

        frame = read_trace_frame(store)
        inputs = load_inputs(store, bundled_catalog())
        economics = compute_economics(frame, workbook, scenarios=inputs.scenarios, override=inputs.override,
                                      catalog=inputs.catalog, playbook=playbook, problems=inputs.problems)
    else:
        frame = _economics_trace_frame(store, economics)
    scenarios = sorted(economics.scenarios, key=lambda s: (s.name, s.kind))
    content = decision_content(
        workbook, playbook, schema_version=SCHEMA_VERSION, traces_hash=traces_hash,
        trace_count=trace_count, imports=store.imports(),
        scenarios=[s.to_json() for s in scenarios],
        catalog_entries=catalog_entries_used(scenarios, economics.catalog, economics.price_entries_used()),
        recommendation=recommendation_content(economics.recommendation),
        override=_override_json(economics.override),
        audit=audit_anchor(workbook.audit, workbook.signed))
    return Decision(content, hashlib.sha256(canonical_bytes(content)).hexdigest(), frame, economics)


def _economics_trace_frame(store: WorkbookStore, economics: Any) -> Any:
    """The trace rows the economics were computed over (their report's frame less the metric columns: shared
    columns, no copy), or read from the store when the report keeps no frame."""
    from desktop.economics.metrics_frame import METRIC_COLUMNS

    frame = economics.report.frame
    if frame is None:
        from desktop.storage.trace_frame import read_trace_frame

        return read_trace_frame(store)
    return frame.select([c for c in frame.columns if c not in METRIC_COLUMNS])


def decision_content_for(store: WorkbookStore, workbook: Workbook, playbook: Playbook) -> dict[str, Any]:
    """The canonical decision content of `workbook` as it stands (draft: signoff null; signed: the sign-off)."""
    return build_decision(store, workbook, playbook).content


def content_fingerprint(store: WorkbookStore, workbook: Workbook, playbook: Playbook) -> str:
    """SHA-256 (64 hex digits) of the canonical bytes of `decision_content_for(...)`."""
    return build_decision(store, workbook, playbook).fingerprint


def draft_of(workbook: Workbook) -> Workbook:
    """The workbook as an unsigned draft (same content, no sign-off): what a DRAFT export shows.

    For a signed workbook this is the draft it was signed from: the audit log before its sign entry."""
    log = list(workbook.audit)
    if workbook.signed:
        last_sign = max((i for i, e in enumerate(log) if e.action == "sign"), default=None)
        if last_sign is not None:
            log = log[:last_sign]
    return Workbook(workbook.context, dict(workbook.gates), dict(workbook.scores), None, log, workbook.plan)


def draft_fingerprint(store: WorkbookStore, workbook: Workbook, playbook: Playbook) -> str:
    """The fingerprint the workbook's DRAFT exports carry (its content without the sign-off)."""
    return content_fingerprint(store, draft_of(workbook), playbook)
