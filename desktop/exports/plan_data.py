"""The decision plan every export shows, computed once per export from the economics the export already holds.

The plan is the `ipw plan --json` object (amounts in the workbook's display currency with USD beside them),
with the sensitivity analysis, so the memo's tornado, the Plan sheet and the matrices read the same numbers
as `ipw plan --json --sensitivity`. A workbook whose plan cannot be worked out (a rule table that does not
match the playbook, say) still exports: the plan is None and each export says so in words.
"""

from __future__ import annotations

import logging
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.workbook import Workbook

log = logging.getLogger(__name__)


def export_plan(economics: Any, workbook: Workbook) -> dict[str, Any] | None:
    """The plan's JSON object for `workbook` from its `Economics`; None when it cannot be computed."""
    from desktop.economics.plan import plan_json, plan_of

    try:
        return plan_json(plan_of(economics, workbook, sensitivity=True))
    except DomainError as exc:
        log.warning("the plan cannot be computed for the export: %s", exc)
        return None
