"""The decision plan for a workbook file or store: economics loaded from storage, then the pure plan model.

The CLI (`ipw plan`, `ipw constraint`) and the GUI's Plan page call this; the exports call the pure
`desktop.economics.plan.plan_of` with the economics they already hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.domain.playbook import Playbook
from desktop.domain.progress import Progress
from desktop.domain.workbook import PlanLever, Workbook
from desktop.economics.plan import Plan, plan_json, plan_of
from desktop.economics.recommend import default_playbook
from desktop.services.economics import Economics, load_economics, remember_decision
from desktop.storage.workbook_file import WorkbookStore, open_store


@dataclass(frozen=True)
class PlanReport:
    """The plan with the economics it was computed from and the saved data that could not be used."""

    plan: Plan
    economics: Economics
    workbook: Workbook
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The `ipw plan --json` object (amounts in the workbook's display currency, USD beside them)."""
        return plan_json(self.plan)


def run_plan(store_or_path: WorkbookStore | Path | str, *, workbook: Workbook | None = None,
             playbook: Playbook | None = None, levers: Sequence[PlanLever] = (), sensitivity: bool = False,
             progress: Progress | None = None) -> PlanReport:
    """The plan of a workbook: `workbook` (e.g. the GUI's in-memory edit) replaces the stored decision content;
    `levers` apply to this run only, over the saved ones; `sensitivity` adds the tornado and volume ranges."""
    playbook = playbook or default_playbook()
    if isinstance(store_or_path, (str, Path)):
        store = open_store(Path(store_or_path), writable=False)
        try:
            report = _run(store, workbook, playbook, levers, sensitivity, progress)
            if workbook is None:  # the file as it is (`ipw plan`): describing it next computes nothing
                remember_decision(store, report.workbook, playbook, report.economics)
            return report
        finally:
            store.close()
    return _run(store_or_path, workbook, playbook, levers, sensitivity, progress)


def _run(store: WorkbookStore, workbook: Workbook | None, playbook: Playbook, levers: Sequence[PlanLever],
         sensitivity: bool, progress: Progress | None) -> PlanReport:
    workbook = workbook or store.load(playbook)
    economics = load_economics(store, workbook, playbook)
    plan = plan_of(economics, workbook, levers=levers, sensitivity=sensitivity, progress=progress)
    return PlanReport(plan, economics, workbook, economics.problems)


def replan(economics: Economics, workbook: Workbook, *, levers: Sequence[PlanLever] = (), sensitivity: bool = False,
           progress: Progress | None = None) -> PlanReport:
    """The plan again on economics already loaded (no storage access): for an edit that changes only the plan's
    levers or constraints, which the economics do not depend on (the GUI's lever panel recomputes in ms)."""
    plan = plan_of(economics, workbook, levers=levers, sensitivity=sensitivity, progress=progress)
    return PlanReport(plan, economics, workbook, economics.problems)
