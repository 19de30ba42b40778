"""The economics of a workbook as the CLI, the GUI and the exports show it: traces, saved scenarios, the
recommendation override and the catalog read from the store, then `desktop.economics.analysis`.

`run_economics` is the GUI's background computation: it opens its own connection to the working copy, so
it can run off the GUI thread while the officer keeps editing.
"""

from __future__ import annotations

from pathlib import Path

from desktop.domain.playbook import Playbook
from desktop.domain.progress import NO_PROGRESS, Cancelled, Progress, check_cancelled
from desktop.domain.workbook import Workbook
from desktop.economics.analysis import UNSET, Economics, compute_economics
from desktop.economics.catalog import bundled_catalog
from desktop.economics.recommend import RecommendationOverride
from desktop.storage import economics_store
from desktop.storage.economics_store import EconomicsInputs
from desktop.storage.trace_frame import read_trace_frame
from desktop.services.workers import gc_paused
from desktop.storage.workbook_file import WorkbookStore

__all__ = ["Economics", "EconomicsInputs", "compute_economics", "load_economics", "load_inputs",
           "remember_decision", "run_economics"]


def load_inputs(store: WorkbookStore) -> EconomicsInputs:
    """What the workbook stores for its economics, with its catalog overrides over the bundled catalog."""
    return economics_store.load_inputs(store, bundled_catalog())


def load_economics(store: WorkbookStore, workbook: Workbook, playbook: Playbook | None = None, *,
                   reviewer_rate: float | None = UNSET, target_p95_ms: float | None = UNSET,
                   override: RecommendationOverride | None = UNSET) -> Economics:
    """Read traces (column-wise, as one frame), scenarios, the override and the catalog from `store` and
    compute the economics.

    `reviewer_rate` and `target_p95_ms` apply to this computation only (the CLI's one-off options);
    `override` replaces the recorded one for this computation (e.g. to preview an override).
    """
    inputs = load_inputs(store)
    return compute_economics(read_trace_frame(store), workbook, scenarios=inputs.scenarios,
                             override=inputs.override if override is UNSET else override,
                             catalog=inputs.catalog, playbook=playbook, reviewer_rate=reviewer_rate,
                             target_p95_ms=target_p95_ms, problems=inputs.problems)


def remember_decision(store: WorkbookStore, workbook: Workbook, playbook: Playbook, economics: Economics) -> None:
    """Leave the decision parts of `economics`, computed for `workbook` as `store` keeps it (no one-off option),
    in the user's cache, so describing the workbook next (`ipw info`, the tamper banner) computes nothing: about
    0.14 s at a million rows, against the 1.6 s of economics it would otherwise compute again. Only when the
    store keeps a current traces hash that this app has seen its rows hash to (hashing them here would cost
    more than it saves; parts are never kept for a record that may not name the rows)."""
    from desktop.exports.decision_cache import decision_fingerprint
    from desktop.storage.trace_hash import known_rows_hash, stored_traces_hash

    record = stored_traces_hash(store)
    if record is not None and known_rows_hash(store) == record:
        decision_fingerprint(store, workbook, playbook, economics=economics)


def run_economics(database: Path, workbook: Workbook, playbook: Playbook,
                  progress: Progress = NO_PROGRESS) -> Economics:
    """The economics of `workbook` (a snapshot) with the traces in the working copy `database`, read over
    a connection of its own. Raises Cancelled when `progress` asks to stop or the copy is gone (the
    document was closed meanwhile)."""
    from desktop.storage.trace_store import open_worker_connection

    progress.stage("Computing the economics")
    if progress.cancelled() or not Path(database).exists():
        raise Cancelled("superseded")
    store = open_worker_connection(database)
    try:
        with gc_paused():
            economics = load_economics(store, workbook, playbook)
    finally:
        store.close()
    check_cancelled(progress)
    return economics

