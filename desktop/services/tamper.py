"""Whether a signed-off workbook still holds what was signed: shown where people look, not only in Verify.

A raw edit of the file (a score changed with an SQLite tool) keeps the sign-off block, so the workbook
still says "signed off". Its content fingerprint, recomputed from the file, then differs from the one stored
at sign-off: the GUI shows a red TAMPERED banner on every page and `ipw info` exits 3.
"""

from __future__ import annotations

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.exports.decision_cache import decision_fingerprint
from desktop.storage.workbook_file import WorkbookStore

DRAFT, SIGNED, TAMPERED = "draft", "signed", "tampered"

TAMPERED_TEXT = ("TAMPERED: this workbook was signed off, but its content was changed afterwards (it no longer "
                 "matches the signed fingerprint). Do not rely on it: run Verify for details, or ask the "
                 "approver for the signed original.")


def signoff_state(store: WorkbookStore, workbook: Workbook, playbook: Playbook) -> str:
    """'draft' (not signed off), 'signed' (content matches the sign-off) or 'tampered'."""
    signoff = workbook.signoff
    if signoff is None:
        return DRAFT
    try:
        current = decision_fingerprint(store, workbook, playbook)
    except DomainError:  # content that cannot even be computed is not what was signed
        return TAMPERED
    return SIGNED if current == signoff.fingerprint else TAMPERED
