"""A panel per calculator, built from its input specs: inputs on the left; results, notes, assumptions and
sources on the right; saved scenarios below. Results update as the officer types.

"Save scenario" stores the inputs in the workbook as a named scenario through an undoable command; the
gate panels, the Assumptions sheet and the memo read scenarios from there.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.formatting import format_value
from desktop.economics.calculators import CALCULATORS, Calculator
from desktop.economics.params import InputSpec, figures, inputs_from_mapping
from desktop.economics.scenarios import Scenario, make_scenario, usable
from desktop.storage import economics_store
from desktop.ui import commands, theme
from desktop.ui.document import Document
from desktop.ui.pages.base import scrolling

SHORT_TITLES = {"dedicated": "Dedicated", "owned": "Owned hardware", "api-bill": "API bill", "memory": "Memory fit",
                "replicas": "Replicas", "fallback": "Fallback blend"}
CATALOG_LISTS = {"model": "models", "gpu": "gpus", "price": "token_prices"}


def error_style() -> str:
    return theme.style("error")


# ---- labels ----------------------------------------------------------------------------------------

def input_label(spec: InputSpec) -> str:
    """A short label from the input's help text: its first clause."""
    text = spec.help
    for stop in (" (", ", ", "; "):
        if stop in text:
            text = text.split(stop, 1)[0]
    return text


def _edit_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- one calculator ---------------------------------------------------------------------------------

class CalculatorPanel(QWidget):
    """Inputs, results, assumptions and sources of one calculator, and its saved scenarios.

    Signals:
        sig_result_changed(): the inputs changed and the result was recomputed (or failed).
    """

    sig_result_changed = Signal()

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calculator: Calculator = CALCULATORS[kind]
        self.kind = kind
        self.document: Document | None = None
        self.result: Any = None
        self.error: str | None = None
        self.editors: dict[str, QWidget] = {}
        self._loading = False
        self.setAccessibleName(f"{self.calculator.title} calculator")

        inputs_box = QGroupBox("Inputs")
        form = QGridLayout(inputs_box)
        form.setColumnStretch(0, 3)
        form.setColumnStretch(1, 2)
        form.setHorizontalSpacing(8)
        for row, spec in enumerate(self.calculator.specs()):
            editor = self._make_editor(spec)
            self.editors[spec.key] = editor
            label = QLabel(input_label(spec) + ("*" if spec.required else ""))
            label.setToolTip(f"{spec.option}: {spec.describe()}")
            label.setBuddy(editor)
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.MinimumExpanding)
            unit = QLabel(spec.unit)
            unit.setStyleSheet(theme.style("muted"))
            unit.setWordWrap(True)
            form.addWidget(label, row, 0)
            form.addWidget(editor, row, 1)
            form.addWidget(unit, row, 2)
        note = QLabel("* required. Hover a label for its unit, default and CLI option.")
        note.setStyleSheet(theme.style("muted"))
        note.setWordWrap(True)
        form.addWidget(note, len(self.calculator.specs()), 0, 1, 3)

        self.error_label = QLabel()
        self.error_label.setStyleSheet(error_style())
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        scenario_box = QGroupBox("Scenario")
        scenario_layout = QGridLayout(scenario_box)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Name, e.g. 70B on 2 x H100")
        self.name_edit.setAccessibleName("Scenario name")
        self.save_button = QPushButton("Save scenario")
        self.save_button.clicked.connect(self.save_scenario)
        self.saved_combo = QComboBox()
        self.saved_combo.setAccessibleName("Saved scenarios")
        self.saved_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.saved_combo.setMinimumContentsLength(12)
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(self.load_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.scenario_message = QLabel()
        self.scenario_message.setWordWrap(True)
        scenario_layout.addWidget(QLabel("Name"), 0, 0)
        scenario_layout.addWidget(self.name_edit, 0, 1)
        scenario_layout.addWidget(self.save_button, 0, 2)
        scenario_layout.addWidget(QLabel("Saved"), 1, 0)
        scenario_layout.addWidget(self.saved_combo, 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.delete_button)
        scenario_layout.addLayout(buttons, 1, 2)
        scenario_layout.addWidget(self.scenario_message, 2, 0, 1, 3)
        scenario_layout.setColumnStretch(1, 1)

        left = QVBoxLayout()
        left.addWidget(inputs_box)
        left.addWidget(self.error_label)
        left.addWidget(scenario_box)
        left.addStretch(1)

        results_box = QGroupBox("Results")
        self.results_grid = QGridLayout(results_box)
        self.results_grid.setColumnStretch(0, 1)
        self.results_grid.setHorizontalSpacing(10)
        self.result_labels: dict[str, QLabel] = {}
        self.verdict_label: QLabel | None = None
        for row, f in enumerate(figures_template(self.calculator)):
            if f[0] == "verdict":  # a sentence: its own row across the box, above the figures
                self.verdict_label = QLabel()
                self.verdict_label.setWordWrap(True)
                self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.results_grid.addWidget(self.verdict_label, 100, 0, 1, 3)
                self.result_labels[f[0]] = self.verdict_label
                continue
            name = QLabel(f[1])
            name.setWordWrap(True)
            value = QLabel()
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            unit = QLabel(f[2])
            unit.setStyleSheet(theme.style("muted"))
            self.results_grid.addWidget(name, row, 0)
            self.results_grid.addWidget(value, row, 1)
            self.results_grid.addWidget(unit, row, 2)
            self.result_labels[f[0]] = value
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        details_box = QGroupBox("Notes, assumptions and sources")
        details_layout = QVBoxLayout(details_box)
        details_layout.addWidget(self.details)

        right = QVBoxLayout()
        right.addWidget(results_box)
        right.addWidget(details_box)
        right.addStretch(1)

        content = QWidget()
        columns = QHBoxLayout(content)
        columns.addLayout(left, 5)
        columns.addLayout(right, 6)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))
        self.recompute()

    # ---- editors
    def _make_editor(self, spec: InputSpec) -> QWidget:
        if spec.choices:
            combo = QComboBox()
            combo.addItems(list(spec.choices))
            if spec.default in spec.choices:
                combo.setCurrentText(spec.default)
            combo.currentTextChanged.connect(lambda _t: self.recompute())
            combo.setAccessibleName(input_label(spec))
            return combo
        if spec.text:
            combo = QComboBox()
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.lineEdit().setPlaceholderText("required" if spec.required else "none")
            combo.setCurrentText("")
            combo.editTextChanged.connect(lambda _t: self.recompute())
            combo.setAccessibleName(input_label(spec))
            return combo
        edit = QLineEdit()
        edit.setPlaceholderText("required" if spec.required else (
            "none" if spec.default is None else f"default {_edit_text(spec.default)}"))
        edit.textChanged.connect(lambda _t: self.recompute())
        edit.setAccessibleName(input_label(spec))
        edit.setMinimumWidth(90)
        return edit

    def _fill_catalog_lists(self) -> None:
        catalog = self._catalog()
        for spec in self.calculator.specs():
            attr = CATALOG_LISTS.get(spec.name)
            if attr is None or spec.key not in self.editors:
                continue
            combo: QComboBox = self.editors[spec.key]
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            for entry in getattr(catalog, attr):
                label = entry.key + (" (override)" if entry.override else "")
                combo.addItem(label, entry.key)
            combo.setCurrentIndex(-1)
            combo.setEditText(current)
            combo.blockSignals(False)

    def _catalog(self) -> Any:
        if self.document is not None:
            from desktop.services.economics import load_inputs
            from desktop.ui.economics_facts import cached_economics
            try:  # the shared result's catalog, else the stored one (a small read: no traces)
                economics = cached_economics(self.document)
                return economics.catalog if economics is not None else load_inputs(self.document.store).catalog
            except Exception:  # noqa: BLE001 - the bundled catalog still lets the officer calculate
                pass
        from desktop.economics.catalog import bundled_catalog
        return bundled_catalog()

    def _editor_value(self, spec: InputSpec) -> Any:
        editor = self.editors[spec.key]
        if isinstance(editor, QComboBox):
            text = editor.currentText().strip()
            if spec.text and not spec.choices:
                index = editor.findText(text)
                if index >= 0 and editor.itemData(index):
                    text = editor.itemData(index)
            return text or None
        text = editor.text().strip().replace(",", "")
        return text or None

    def values(self) -> dict[str, Any]:
        """The inputs as typed (camelCase keys), empty ones left out so defaults apply."""
        return {spec.key: value for spec in self.calculator.specs()
                if (value := self._editor_value(spec)) is not None}

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill the editors (camelCase keys); inputs not given are cleared to their defaults."""
        self._loading = True
        try:
            for spec in self.calculator.specs():
                editor = self.editors[spec.key]
                value = values.get(spec.key)
                if isinstance(editor, QComboBox):
                    if spec.choices:
                        editor.setCurrentText(str(value) if value is not None else str(spec.default))
                    else:
                        editor.setEditText(_edit_text(value))
                else:
                    editor.setText(_edit_text(value))
        finally:
            self._loading = False
        self.recompute()

    # ---- computing
    def inputs(self) -> Any:
        return inputs_from_mapping(self.calculator.inputs, self.values())

    def recompute(self) -> None:
        if self._loading:
            return
        self.result, self.error = None, None
        try:
            missing = [input_label(s) for s in self.calculator.specs()
                       if s.required and self._editor_value(s) is None]
            if missing:
                raise DomainError("Fill in: " + ", ".join(missing) + ".")
            self.result = self.calculator.run(self.inputs(), self._catalog())
        except (DomainError, ValueError) as exc:
            self.error = str(exc)
        self._show_result()
        self.sig_result_changed.emit()

    def _show_result(self) -> None:
        self.error_label.setVisible(self.error is not None)
        self.error_label.setText(self.error or "")
        self.save_button.setEnabled(self.result is not None and self.document is not None
                                    and not self.document.read_only)
        figs = {f.key: f for f in figures(self.result)} if self.result is not None else {}
        for key, label in self.result_labels.items():
            f = figs.get(key)
            label.setText("" if f is None else format_value(f.value, f.unit))
        if self.verdict_label is not None:
            fits = getattr(self.result, "fits", None)
            color = theme.colour("ok" if fits else "problem")
            self.verdict_label.setStyleSheet(f"QLabel {{ color: {color}; font-weight: bold; padding-top: 4px; }}"
                                             if self.result is not None else "")
        if self.result is None:
            self.details.setText("<i>Results appear when the required inputs are filled in.</i>")
            return
        blocks = []
        for title, attr in (("Missing", "missing"), ("Why", "reasons"), ("Notes", "notes"),
                            ("Assumptions", "assumptions")):
            items = getattr(self.result, attr, ()) or ()
            if items:
                blocks.append(f"<b>{title}</b><ul style='margin-top:2px'>" +
                              "".join(f"<li>{html.escape(str(i))}</li>" for i in items) + "</ul>")
        sources = getattr(self.result, "sources", ()) or ()
        if sources:
            blocks.append("<b>Sources</b><ul style='margin-top:2px'>" + "".join(
                f"<li>{html.escape(s.label)} <span style='color:{theme.colour('muted')}'>({html.escape(s.reference)}, "
                f"{html.escape(s.date)})</span></li>" for s in sources) + "</ul>")
        self.details.setText("".join(blocks))

    def result_text(self) -> dict[str, str]:
        """Result label -> shown value (for tests and screen readers)."""
        return {key: label.text() for key, label in self.result_labels.items()}

    # ---- document and scenarios
    def bind(self, document: Document) -> None:
        self.document = document
        self.refresh()

    def refresh(self) -> None:
        if self.document is None:
            return
        self._fill_catalog_lists()
        current = self.saved_combo.currentText()
        self.saved_combo.clear()
        for scenario in self.saved_scenarios():
            self.saved_combo.addItem(scenario.name)
        if current:
            self.saved_combo.setCurrentText(current)
        has = self.saved_combo.count() > 0
        editable = not self.document.read_only
        self.load_button.setEnabled(has)
        self.delete_button.setEnabled(has and editable)
        self.name_edit.setEnabled(editable)
        self.recompute()

    def saved_scenarios(self) -> list[Scenario]:
        if self.document is None:
            return []
        return [s for s in usable(economics_store.list_scenarios(self.document.store)) if s.kind == self.kind]

    def save_scenario(self) -> bool:
        """Save the current inputs under the typed name (undoable); False with a message when refused."""
        if self.document is None:
            return False
        try:
            scenario = make_scenario(self.name_edit.text(), self.kind, self.inputs())
            self.document.push(commands.save_scenario(self.document, scenario))
        except DomainError as exc:
            self.scenario_message.setStyleSheet(error_style())
            self.scenario_message.setText(f"Not saved: {exc}")
            return False
        self.scenario_message.setStyleSheet(theme.style("ok"))
        gate = f" The {self.calculator.gate.replace('-', ' ')} gate now shows it." if self.calculator.gate else ""
        self.scenario_message.setText(f"Saved scenario '{scenario.name}'.{gate}")
        self.refresh()
        self.saved_combo.setCurrentText(scenario.name)
        return True

    def load_selected(self) -> None:
        name = self.saved_combo.currentText()
        scenario = next((s for s in self.saved_scenarios() if s.name == name), None)
        if scenario is not None:
            self.name_edit.setText(scenario.name)
            self.set_values(dict(scenario.inputs))
            self.scenario_message.setStyleSheet("")
            self.scenario_message.setText(f"Loaded '{scenario.name}' (saved {scenario.saved_at}).")

    def delete_selected(self) -> None:
        if self.document is None:
            return
        name = self.saved_combo.currentText()
        scenario = next((s for s in self.saved_scenarios() if s.name == name), None)
        if scenario is None:
            return
        try:
            self.document.push(commands.delete_scenario(self.document, scenario))
        except DomainError as exc:
            self.scenario_message.setStyleSheet(error_style())
            self.scenario_message.setText(str(exc))
            return
        self.scenario_message.setStyleSheet("")
        self.scenario_message.setText(f"Deleted '{name}' (Edit > Undo brings it back).")
        self.refresh()


def figures_template(calculator: Calculator) -> list[tuple[str, str, str]]:
    """(key, label, unit) of the calculator's result figures, known before any result exists."""
    import dataclasses

    from desktop.economics.params import camel

    result_type = calculator.function.__annotations__.get("return")
    if isinstance(result_type, str):
        import sys
        module = sys.modules[calculator.function.__module__]
        result_type = getattr(module, result_type)
    return [(camel(f.name), f.metadata["label"], f.metadata["unit"]) for f in dataclasses.fields(result_type)
            if f.metadata.get("output")]


# ---- all calculators --------------------------------------------------------------------------------

EXAMPLES: dict[str, dict[str, Any]] = {
    "dedicated": {"gpuHourUsd": 2.69, "gpus": 1, "tokensPerSecond": 14539.5, "utilization": 0.5,
                  "apiUsdPerMillion": 0.20},
    "owned": {"capexUsd": 270000, "gpus": 8, "years": 4, "powerKw": 10.2, "loadFactor": 0.75, "pue": 1.25,
              "usdPerKwh": 0.083, "coloUsdPerKwMonth": 184.06, "supportUsdPerYear": 27000,
              "rentalGpuHourUsd": 2.69},
    "api-bill": {"inputTokens": 400e6, "cacheReadTokens": 200e6, "outputTokens": 80e6, "price": "gpt-5",
                 "batchShare": 0.2},
    "memory": {"model": "llama-3.1-70b", "weights": "fp8", "kvDtype": "bf16", "gpu": "h100-sxm", "gpus": 2,
               "context": 8192, "memoryUtilization": 0.9, "reserveGb": 4},
    "replicas": {"arrivalRate": 10, "serviceTimeS": 15.5, "slotsPerReplica": 64, "p95WaitS": 1.0},
    "fallback": {"fallbackShare": 0.15, "primaryCostUsd": 2.84, "fallbackCostUsd": 3.76},
}


class CalculatorsWidget(QWidget):
    """The six calculators as a list on the left and the chosen one on the right (no tabs inside the
    Economics page's tabs), each with a "Fill example" button that fills the documented example."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Calculators")
        self.list.setStyleSheet("QListWidget::item { padding: 4px 6px; }")
        self.stack = QStackedWidget()
        self.panels: dict[str, CalculatorPanel] = {}
        for kind, calculator in CALCULATORS.items():
            panel = CalculatorPanel(kind)
            self.panels[kind] = panel
            page = QWidget()
            layout = QVBoxLayout(page)
            layout.setContentsMargins(4, 4, 4, 4)
            header = QHBoxLayout()
            title = QLabel(f"<b>{html.escape(calculator.title)}</b>" + (
                f" <span style='color:{theme.colour('muted')}'>"
                f"(shown in the {calculator.gate.replace('-', ' ')} gate)</span>"
                if calculator.gate else ""))
            title.setWordWrap(True)
            example = QPushButton("Fill example")
            example.setToolTip("Fill the inputs with the worked example from the documentation")
            example.clicked.connect(lambda _=False, k=kind: self.panels[k].set_values(EXAMPLES[k]))
            header.addWidget(title, 1)
            header.addWidget(example)
            layout.addLayout(header)
            layout.addWidget(panel, 1)
            self.stack.addWidget(page)
            item = QListWidgetItem(SHORT_TITLES.get(kind, kind))
            item.setToolTip(calculator.title)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.list.setCurrentRow(0)
        width = max(self.list.sizeHintForColumn(0), 100) + 2 * self.list.frameWidth() + 16
        self.list.setFixedWidth(width)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.list)
        outer.addWidget(self.stack, 1)

    def bind(self, document: Document) -> None:
        for panel in self.panels.values():
            panel.bind(document)

    def refresh(self) -> None:
        for panel in self.panels.values():
            panel.refresh()

    def show_calculator(self, kind: str) -> CalculatorPanel:
        self.list.setCurrentRow(list(self.panels).index(kind))
        return self.panels[kind]
