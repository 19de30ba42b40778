"""Whether a signed-off workbook still holds what was signed: shown where people look, not only in Verify.

A raw edit of the file (a score changed with an SQLite tool) keeps the sign-off block, so the workbook
still says "signed off". Its content fingerprint, recomputed from the file, then differs from the one stored
at sign-off: the GUI shows a red TAMPERED banner on every page and `ipw info` exits 3.
"""

from __future__ import annotations

from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.exports.decision_cache import cached_decision_fingerprint, decision_fingerprint
from desktop.storage.workbook_file import WorkbookStore

DRAFT, SIGNED, TAMPERED = "draft", "signed", "tampered"

TAMPERED_TEXT = ("TAMPERED: this workbook was signed off, but its content was changed afterwards (it no longer "
                 "matches the signed fingerprint). Do not rely on it: run Verify for details, or ask the "
                 "approver for the signed original.")


def signoff_state(store: WorkbookStore, workbook: Workbook, playbook: Playbook, *, economics: Any = None) -> str:
    """'draft' (not signed off), 'signed' (content matches the sign-off) or 'tampered'. `economics`, when given,
    is the Economics already computed for this very state (the GUI's shared result), used on a cache miss
    instead of computing them again."""
    signoff = workbook.signoff
    if signoff is None:
        return DRAFT
    try:
        current = decision_fingerprint(store, workbook, playbook, economics=economics)
    except DomainError:  # content that cannot even be computed is not what was signed
        return TAMPERED
    return SIGNED if current == signoff.fingerprint else TAMPERED


def cached_signoff_state(store: WorkbookStore, workbook: Workbook, playbook: Playbook) -> str | None:
    """`signoff_state` when it can be told without the economics (a draft, or the decision parts cached for
    this state), else None: the caller computes (or waits for) the economics and asks `signoff_state`."""
    signoff = workbook.signoff
    if signoff is None:
        return DRAFT
    try:
        current = cached_decision_fingerprint(store, workbook, playbook)
    except DomainError:
        return TAMPERED
    if current is None:
        return None
    return SIGNED if current == signoff.fingerprint else TAMPERED
