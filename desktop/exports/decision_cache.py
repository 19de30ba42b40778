"""The decision fingerprint without recomputing the economics when nothing they rest on has changed.

`ipw info`, the tamper banner and the sign-off's draft fingerprint describe a workbook; for a million trace rows
the recommendation inside the decision content takes seconds to compute. Its economics-derived parts (the
usable scenarios, catalog entries used, the recommendation and the override as applied) depend only on the
trace rows (their content hash: for a draft the record kept at write time; for a signed-off workbook the hash
this app computed from its rows, so a file whose rows were edited behind its record never meets the parts of
the one it imitates), the buyer context, the gates and readiness, the saved
scenarios, override and catalog overrides, the bundled catalog and this program's version. Those go into a key;
the parts are kept under it in the user's cache folder (`desktop.storage.derived_cache`), and the content is put
together from them. A miss computes everything once (`build_decision`) and keeps the parts.

Whatever else builds the decision of the workbook as it stands (signing, an export, `ipw verify`) keeps its
parts too (`keep_parts`), so describing the workbook next computes nothing: the key is computed from the inputs,
and those parts were computed from the same inputs. `ipw verify` itself never reads the cache (the auditor's
check recomputes everything from the file); what it computed is kept only when the traces hash it recomputed is
the one the file keeps (`keep_recomputed_parts`).
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from desktop import __version__, paths
from desktop.domain.canonical import canonical_bytes, decision_content
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.storage import derived_cache
from desktop.storage.schema import SCHEMA_VERSION
from desktop.storage.trace_hash import (decision_traces_hash, known_decision_traces_hash, known_rows_hash, rows_hash,
                                         stored_traces_hash)
from desktop.storage.workbook_file import WorkbookStore

KIND = "decision-parts"
PARTS = ("scenarios", "catalogEntries", "recommendation", "override")


@cache
def _bundled_catalog_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(paths.resource("catalog").glob("*")):
        if path.is_file():
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _content(store: WorkbookStore, workbook: Workbook, playbook: Playbook, traces: tuple[str, int],
             parts: dict[str, Any] | None) -> dict[str, Any]:
    from desktop.exports.content import audit_anchor

    parts = parts or {}
    return decision_content(workbook, playbook, schema_version=SCHEMA_VERSION, traces_hash=traces[0],
                            trace_count=traces[1], imports=store.imports(), scenarios=parts.get("scenarios"),
                            catalog_entries=parts.get("catalogEntries"), recommendation=parts.get("recommendation"),
                            override=parts.get("override"), audit=audit_anchor(workbook.audit, workbook.signed))


def parts_key(store: WorkbookStore, workbook: Workbook, playbook: Playbook, traces: tuple[str, int]) -> str:
    """SHA-256 of everything the economics-derived parts are computed from."""
    from desktop.exports.content import draft_of

    draft = draft_of(workbook)  # who signed does not change the economics
    inputs = _content(store, draft, playbook, traces, None)
    inputs["audit"] = None
    return hashlib.sha256(canonical_bytes({
        "content": inputs, "economicsInputs": derived_cache.economics_inputs_digest(store),
        "bundledCatalog": _bundled_catalog_digest(), "program": __version__})).hexdigest()


def cached_decision_fingerprint(store: WorkbookStore, workbook: Workbook, playbook: Playbook) -> str | None:
    """The decision fingerprint from cached parts, or None when their inputs changed since, or when this app has
    not hashed the rows of this version of the file (nothing is computed and no trace row is read either way)."""
    traces = known_decision_traces_hash(store, signed=workbook.signed)
    if traces is None or not _names_its_rows(store, workbook, traces):
        return None
    return _from_cached_parts(store, workbook, playbook, traces)


def decision_fingerprint(store: WorkbookStore, workbook: Workbook, playbook: Playbook, *,
                         economics: Any = None) -> str:
    """The fingerprint `build_decision(store, workbook, playbook).fingerprint` gives, from cached parts when
    their inputs are unchanged (no economics are computed then; the rows are hashed once per version of the
    file). On a miss the decision is built (with `economics` when given: the Economics already computed for
    this very state) and its parts are kept. A draft whose record does not name its rows (edited with another
    tool) is always computed: its parts are neither taken from nor left for a file with that record."""
    traces = decision_traces_hash(store, signed=workbook.signed)
    cacheable = workbook.signed or rows_hash(store) == traces
    cached = _from_cached_parts(store, workbook, playbook, traces) if cacheable else None
    if cached is not None:
        return cached
    from desktop.exports.content import build_decision

    decision = build_decision(store, workbook, playbook, economics=economics)
    keep_parts(store, workbook, playbook, decision)
    return decision.fingerprint


def _names_its_rows(store: WorkbookStore, workbook: Workbook, traces: tuple[str, int]) -> bool:
    """Whether `traces`, the hash a decision's content carries, is known to be the rows' own: always for a
    signed-off workbook (its content carries that); for a draft, when this app hashed its rows to the record."""
    return workbook.signed or known_rows_hash(store) == traces


def _from_cached_parts(store: WorkbookStore, workbook: Workbook, playbook: Playbook,
                       traces: tuple[str, int]) -> str | None:
    parts = derived_cache.get(KIND, parts_key(store, workbook, playbook, traces))
    if not isinstance(parts, dict) or set(parts) != set(PARTS):
        return None
    return hashlib.sha256(canonical_bytes(_content(store, workbook, playbook, traces, parts))).hexdigest()


def keep_parts(store: WorkbookStore, workbook: Workbook, playbook: Playbook, decision: Any) -> None:
    """Keep the economics-derived parts of `decision`, which `build_decision(store, workbook, playbook)` just
    returned, under the key `decision_fingerprint` looks them up by; only when its traces hash is known to be
    the rows' own (see `_names_its_rows`: a draft's record this app has not seen match its rows keeps nothing)."""
    traces = _traces_of(decision)
    if _names_its_rows(store, workbook, traces):
        derived_cache.put(KIND, parts_key(store, workbook, playbook, traces),
                          {name: decision.content[name] for name in PARTS})


def keep_recomputed_parts(store: WorkbookStore, workbook: Workbook, playbook: Playbook, decision: Any) -> None:
    """`keep_parts` for a decision built with the traces hash recomputed from the rows (`ipw verify`): only when
    the file keeps a record of that same hash. Rows changed behind the record (a tampered file) are not what the
    file says it holds: nothing is kept for them."""
    if stored_traces_hash(store) == _traces_of(decision):
        keep_parts(store, workbook, playbook, decision)


def _traces_of(decision: Any) -> tuple[str, int]:
    traces = decision.content["traces"]
    return traces["contentSha256"], traces["count"]
