"""The Plan page's inputs: the lever panel (the playbook's five levers as what-if values per workload) and
the constraints editor (allowed routes per workload, a monthly budget cap).

Neither widget changes the workbook: each asks for a new `PlanSettings` through `sig_settings_requested`
(settings, undo text), and the page pushes it as one undoable command. A lever's value is committed after
the officer pauses (a short timer), so dragging a spin box through ten values is one undo step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.formatting import NOT_KNOWN, DisplayCurrency, format_money
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import WORKBOOK_WIDE, PlanConstraint, PlanLever, PlanSettings
from desktop.ui import theme
from desktop.ui.tasks import single_shot

COMMIT_DELAY_MS = 350
BUDGET_WIDTH = 120  # pixels: room for a monthly amount such as 1,250,000
ALL_WORKLOADS = "All workloads"


@dataclass(frozen=True)
class LeverSpec:
    """How one lever kind is edited: its label, the playbook lever it belongs to, unit and range."""

    kind: str
    label: str
    playbook_lever: str
    suffix: str
    minimum: float
    maximum: float
    step: float
    scale: float  # shown value = stored value x scale (shares as percent)
    decimals: int


LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("batch", "Share sent to the batch lane", "batch-eligibility", " %", 0, 100, 5, 100, 0),
    LeverSpec("cache", "Target prompt-cache hit rate", "prompt-cache-shape", " %", 0, 100, 5, 100, 0),
    LeverSpec("utilization", "Target GPU utilization", "throughput-and-utilization", " %", 1, 100, 5, 100, 0),
    LeverSpec("peak", "Peak-to-average factor", "queueing-and-tail-latency", " x", 1, 100, 0.5, 1, 1),
    LeverSpec("acceptance", "Acceptance rate", "quality-adjusted-cost", " %", 0, 100, 1, 100, 0),
    LeverSpec("review-minutes", "Review minutes per output", "quality-adjusted-cost", " min", 0, 1440, 0.5, 1, 1),
    LeverSpec("fallback-share", "Hard cases sent to the fallback", "quality-adjusted-cost", " %", 0, 100, 5, 100, 0),
)
LEVER_BY_KIND = {spec.kind: spec for spec in LEVERS}


def _workload_key(text: str) -> str:
    return WORKBOOK_WIDE if text == ALL_WORKLOADS else text


class LeverPanel(QGroupBox):
    """A value per lever for the chosen workload (or all), with the monthly saving each one brings.

    A spin box at its lowest position reads "as measured": no lever is saved and the measured or catalog
    value holds. Signals:
        sig_settings_requested(object, str): new PlanSettings and the undo text.
    """

    sig_settings_requested = Signal(object, str)

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__("Levers: what-if", parent)
        self.playbook = playbook
        self.settings = PlanSettings()
        self.currency = DisplayCurrency()
        self.workload = QComboBox()
        self.workload.setAccessibleName("Workload the levers apply to")
        self.workload.currentTextChanged.connect(lambda _t: self._show_values())
        self.spins: dict[str, QDoubleSpinBox] = {}
        self.savings: dict[str, QLabel] = {}
        self._timers: dict[str, QTimer] = {}
        self._filling = False
        self._shown = WORKBOOK_WIDE  # the workload whose levers the spin boxes show
        form = QFormLayout()
        form.addRow("Workload:", self.workload)
        names = {lever.slug: lever.name for lever in playbook.levers}
        for spec in LEVERS:
            spin = QDoubleSpinBox()
            spin.setRange(spec.minimum - spec.step, spec.maximum)
            spin.setSingleStep(spec.step)
            spin.setDecimals(spec.decimals)
            spin.setSuffix(spec.suffix)
            spin.setSpecialValueText("as measured")
            spin.setAccessibleName(spec.label)
            spin.setToolTip(f"{names.get(spec.playbook_lever, spec.playbook_lever)}: {spec.label.lower()}")
            spin.valueChanged.connect(lambda _v, k=spec.kind: self._schedule(k))
            saving = QLabel()
            saving.setAccessibleName(f"Monthly saving of {spec.label}")
            saving.setMinimumWidth(110)
            row = QHBoxLayout()
            row.addWidget(spin, 1)
            row.addWidget(saving)
            form.addRow(f"{spec.label}:", row)
            timer = single_shot(self, COMMIT_DELAY_MS, lambda k=spec.kind: self.commit(k))
            self.spins[spec.kind], self.savings[spec.kind], self._timers[spec.kind] = spin, saving, timer
        self.reset = QPushButton("Clear the levers of this workload")
        self.reset.clicked.connect(self._clear)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reset, 0, Qt.AlignmentFlag.AlignLeft)

    # ---- Public API
    def show_settings(self, settings: PlanSettings, workloads: Sequence[str], editable: bool) -> None:
        self.settings = settings
        current = self.workload.currentText()
        self._filling = True
        self.workload.clear()
        self.workload.addItems([ALL_WORKLOADS, *workloads])
        if current in (ALL_WORKLOADS, *workloads):
            self.workload.setCurrentText(current)
        self._filling = False
        for spin in self.spins.values():
            spin.setEnabled(editable)
        self.reset.setEnabled(editable)
        self._show_values()

    def show_savings(self, plan: Mapping[str, Any] | None, currency: DisplayCurrency) -> None:
        """Each lever's monthly saving for the chosen workload, from the plan's `levers` list."""
        self.currency = currency
        target = _workload_key(self.workload.currentText())
        found: dict[str, Any] = {}
        for lever in (plan or {}).get("levers") or ():
            if str(lever.get("workload") or WORKBOOK_WIDE).casefold() == target.casefold():
                found[str(lever.get("lever"))] = lever.get("monthlySavingUsd")
        self._last_plan = plan
        for kind, label in self.savings.items():
            if kind not in found:
                label.setText("")
                continue
            value = found[kind]
            label.setText(f"saves {format_money(value, currency)}" if value is not None else f"saving {NOT_KNOWN}")

    def value(self, kind: str) -> float | None:
        """The lever as the spin box shows it, in stored units (None: as measured)."""
        spec, spin = LEVER_BY_KIND[kind], self.spins[kind]
        if spin.value() < spec.minimum:
            return None
        return round(spin.value() / spec.scale, 6)

    def commit(self, kind: str) -> None:
        """Ask for the settings with this lever as shown (or removed, at "as measured"), for the workload whose
        values the spin boxes show."""
        self._timers[kind].stop()
        workload = self._shown
        value = self.value(kind)
        saved = next((lv for lv in self.settings.levers if lv.kind == kind
                      and lv.workload.casefold() == workload.casefold()), None)
        if (saved.value if saved else None) == value:
            return
        spec = LEVER_BY_KIND[kind]
        where = "all workloads" if workload == WORKBOOK_WIDE else workload
        if value is None:
            new = self.settings.without_lever(kind, workload)
            text = f"Clear lever {spec.label.lower()} ({where})"
        else:
            new = self.settings.with_levers([PlanLever(kind, workload, value)])
            text = f"Set lever {spec.label.lower()} ({where})"
        self.sig_settings_requested.emit(new, text)

    # ---- Private API
    def _schedule(self, kind: str) -> None:
        if not self._filling:
            self._timers[kind].start()

    def _show_values(self) -> None:
        if self._filling:
            return
        for kind, timer in self._timers.items():  # an edit still waiting belongs to the workload shown so far
            if timer.isActive():
                self.commit(kind)
        workload = self._shown = _workload_key(self.workload.currentText())
        saved = {lv.kind: lv.value for lv in self.settings.levers if lv.workload.casefold() == workload.casefold()}
        self._filling = True
        for spec in LEVERS:
            spin = self.spins[spec.kind]
            value = saved.get(spec.kind)
            spin.setValue(spin.minimum() if value is None else value * spec.scale)
        self._filling = False
        self.show_savings(getattr(self, "_last_plan", None), self.currency)

    def _clear(self) -> None:
        workload = _workload_key(self.workload.currentText())
        new = self.settings
        for spec in LEVERS:
            new = new.without_lever(spec.kind, workload)
        if new != self.settings:
            self.sig_settings_requested.emit(new, f"Clear the levers of {self.workload.currentText()}")


class ConstraintsEditor(QGroupBox):
    """Which procurement routes each workload may use (a data boundary) and a monthly budget cap, per workload
    and for the whole workbook (the first row, "All workloads": its routes apply to every workload, its budget
    caps the plan's total).

    Signals:
        sig_settings_requested(object, str): new PlanSettings and the undo text.
    """

    sig_settings_requested = Signal(object, str)

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__("Constraints", parent)
        self.playbook = playbook
        self.routes = list(playbook.procurement_routes)
        self.budget_column = len(self.routes)
        self.settings = PlanSettings()
        self.currency = DisplayCurrency()
        self.workloads: list[str] = []
        self._filling = False
        note = QLabel("Untick a route a workload may not use, e.g. a data boundary: \"data stays in our cloud\" "
                      "rules out Managed API and hosted serverless. A budget is a monthly cap; blank: none.")
        note.setWordWrap(True)
        self.table = QTableWidget(0, len(self.routes) + 1)
        self.table.setAccessibleName("Allowed routes and monthly budget per workload")
        self.table.setHorizontalHeaderLabels([r.name.replace(" ", "\n", 1) for r in self.routes]
                                             + ["Budget\na month"])
        self.table.horizontalHeader().setMinimumSectionSize(70)
        self.table.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
        self.table.itemChanged.connect(self._on_item_changed)
        self.budget_state = QLabel()
        self.budget_state.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(self.budget_state)

    # ---- Public API
    def show_settings(self, settings: PlanSettings, workloads: Sequence[str], currency: DisplayCurrency,
                      editable: bool) -> None:
        self.settings, self.currency, self.workloads = settings, currency, list(workloads)
        names = [WORKBOOK_WIDE, *workloads]
        self._filling = True
        self.table.setRowCount(len(names))
        self.table.setVerticalHeaderLabels([ALL_WORKLOADS if n == WORKBOOK_WIDE else n for n in names])
        enabled = Qt.ItemFlag.ItemIsEnabled if editable else Qt.ItemFlag.NoItemFlags
        for row, workload in enumerate(names):
            constraint = settings.constraint(workload)
            allowed = None if constraint is None else constraint.allowed_routes
            where = "every workload" if workload == WORKBOOK_WIDE else workload
            for col, route in enumerate(self.routes):
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | enabled)
                item.setData(Qt.ItemDataRole.UserRole, workload)
                checked = allowed is None or route.slug in allowed or route.name in allowed
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                item.setToolTip(f"{route.name} {'allowed' if checked else 'ruled out'} for {where}")
                self.table.setItem(row, col, item)
            budget = None if constraint is None else constraint.monthly_budget_usd
            item = QTableWidgetItem("" if budget is None else f"{currency.from_usd(budget):,.0f}")
            item.setFlags((Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsSelectable) | enabled)
            item.setData(Qt.ItemDataRole.UserRole, workload)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(f"Monthly budget cap in {currency.code} for {where} (blank: no cap)")
            self.table.setItem(row, self.budget_column, item)
        self.table.setHorizontalHeaderItem(self.budget_column, QTableWidgetItem(f"Budget a month\n({currency.code})"))
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(self.budget_column, max(self.table.columnWidth(self.budget_column), BUDGET_WIDTH))
        self._filling = False

    def show_budget_state(self, plan: Mapping[str, Any] | None) -> None:
        over = []
        if ((plan or {}).get("totals") or {}).get("budgetBreached"):
            over.append("the plan's total")
        over += [w.get("workload") for w in (plan or {}).get("workloads") or () if w.get("budgetBreached")]
        self.budget_state.setText(theme.span("problem", f"Over the budget cap: {', '.join(map(str, over))}",
                                             bold=True) if over else "")

    def set_budget(self, workload: str, text: str) -> None:
        """Type `text` (an amount in the display currency, or blank) into a workload's budget cell."""
        row = ([WORKBOOK_WIDE, *self.workloads]).index(workload)
        self.table.item(row, self.budget_column).setText(text)

    # ---- Private API
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        workload = item.data(Qt.ItemDataRole.UserRole)
        old = self.settings.constraint(workload) or PlanConstraint(workload)
        where = "every workload" if workload == WORKBOOK_WIDE else workload
        if item.column() == self.budget_column:
            self._on_budget(workload, old, item.text(), where)
            return
        row = item.row()
        allowed = tuple(self.routes[c].slug for c in range(len(self.routes))
                        if self.table.item(row, c).checkState() == Qt.CheckState.Checked)
        if not allowed:  # a workload needs at least one route: put the tick back
            self.show_settings(self.settings, self.workloads, self.currency, True)
            return
        new_allowed = None if len(allowed) == len(self.routes) else allowed
        route = self.routes[item.column()]
        verb = "Allow" if item.checkState() == Qt.CheckState.Checked else "Rule out"
        constraint = PlanConstraint(workload, new_allowed, old.monthly_budget_usd)
        self.sig_settings_requested.emit(self.settings.with_constraint(constraint), f"{verb} {route.name} for {where}")

    def _on_budget(self, workload: str, old: PlanConstraint, text: str, where: str) -> None:
        cleaned = text.strip().replace(",", "").removeprefix(self.currency.prefix.strip()).strip()
        try:
            shown = float(cleaned) if cleaned else None
        except ValueError:
            shown = -1.0
        if shown is not None and (shown < 0 or not math.isfinite(shown)):
            self.show_settings(self.settings, self.workloads, self.currency, True)  # not an amount: put it back
            return
        budget = None if shown is None else shown / self.currency.per_usd
        if old.monthly_budget_usd == budget or (budget is not None and old.monthly_budget_usd is not None
                                                and round(self.currency.from_usd(old.monthly_budget_usd)) == round(shown)):
            return
        constraint = PlanConstraint(workload, old.allowed_routes, budget)
        text = f"Remove the monthly budget cap ({where})" if budget is None else f"Set the monthly budget cap ({where})"
        self.sig_settings_requested.emit(self.settings.with_constraint(constraint), text)
