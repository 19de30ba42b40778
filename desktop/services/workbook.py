"""Creating and describing workbooks: what `ipw new`, `ipw info` and `ipw open --sample` do, and what the
app opens on first run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop import paths
from desktop.domain.gates import gate_progress
from desktop.domain.progress import NO_PROGRESS, Progress
from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.workbook import Workbook
from desktop.exports.decision_cache import decision_fingerprint
from desktop.resources import playbook
from desktop.storage.codec import context_to_dict
from desktop.storage.schema import SCHEMA_VERSION
from desktop.storage.workbook_file import WorkbookStore, create_workbook_file, open_store

SAMPLE_FILE_NAME = "Sample workbook.ipwb"


def run_new(path: Path, sample: bool = False, progress: Progress = NO_PROGRESS) -> Path:
    """Create a workbook file at `path` (refused when it exists): empty, or the sample built from the
    playbook (template traces, reference scores)."""
    book = playbook()
    progress.stage(f"Creating {Path(path).name}")
    if sample:
        create_workbook_file(path, book, sample_workbook(book), sample_traces(book))
    else:
        create_workbook_file(path, book, Workbook.empty(book))
    # The traces hash record from the start, so describing the new workbook never reads its rows.
    from desktop.storage.trace_hash import refresh_traces_hash

    store = open_store(Path(path), writable=True)
    try:
        refresh_traces_hash(store)
        decision_fingerprint(store, store.load(book), book)  # and its decision parts, for the first `ipw info`
    finally:
        store.close()
    return Path(path)


def workbook_summary(store: WorkbookStore, workbook: Workbook, *, fingerprint: bool = True) -> dict[str, Any]:
    """What `ipw info` says of a workbook. `fingerprint=False` leaves a draft's fingerprint out (None): it is
    the decision content's, economics included (a million rows: seconds, the first time for a version of the
    file), and a description that does not print it must not wait for it. A signed-off workbook's is always
    computed: it is how the summary knows whether the content still matches its sign-off."""
    book = playbook()
    gates = []
    for gate in book.gates:
        assessment = workbook.gates[gate.slug]
        progress = gate_progress(assessment)
        gates.append({"slug": gate.slug, "name": gate.name, "status": assessment.status.value,
                      "itemsDone": progress.done, "itemsTotal": progress.total})
    return {
        "schemaVersion": SCHEMA_VERSION,
        "playbookVersion": store.get_meta("playbookVersion"),
        **context_to_dict(workbook.context),  # the buyer context as the file stores it
        "gates": gates,
        "scores": [{"slug": d.slug, "dimension": d.name, "score": workbook.scores[d.slug].score,
                    "referenceScore": d.reference_score, "note": workbook.scores[d.slug].note}
                   for d in book.readiness],
        "traceCount": store.trace_count(),
        "signed": workbook.signed,
        # the fingerprint of the content as it stands (a draft's, or the signed-off content recomputed);
        # signedFingerprint is the one stored at sign-off (they differ only if the file was tampered with)
        "fingerprint": (decision_fingerprint(store, workbook, book) if fingerprint or workbook.signed
                        else None),
        "signedFingerprint": workbook.signoff.fingerprint if workbook.signoff else None,
    }


def sample_copy_path() -> Path:
    """The user's own copy of the sample workbook (the bundled data is never opened for editing)."""
    return paths.user_data_dir() / SAMPLE_FILE_NAME


def ensure_sample_copy() -> Path:
    path = sample_copy_path()
    if not path.exists():
        run_new(path, sample=True)
    return path
