"""The calculator panels: built from the input specs, results next to inputs with assumptions and sources,
and "Save scenario" (undoable) putting the scenario where it is used: its gate's facts panel.

Worked values as in tests/cli/test_economics_cli.py: the dedicated example breaks even at
2.69 / (14,539.5 x 3600) x 1e6 / 0.20 = 25.7% utilization; Llama 3.1 70B fp8 on 2 x H100 at 8,192 tokens
holds floor(65.45e9 / (327,680 x 8192)) = 24 sequences; the fallback blend 0.85 x 2.84 + 0.15 x 3.76.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QMessageBox

from desktop.economics.calculators import CALCULATORS
from desktop.resources import playbook
from desktop.storage import economics_store
from desktop.ui import main_window as main_window_module
from desktop.domain.formatting import format_value
from desktop.ui.calculators import EXAMPLES, CalculatorPanel
from desktop.ui.main_window import MainWindow
from desktop.ui.pages.economics import EconomicsPage


@pytest.fixture
def window(qtbot, document, monkeypatch):
    original = main_window_module.build_pages

    def build_pages(book):
        return [(key, EconomicsPage(book) if key == "economics" and not isinstance(page, EconomicsPage)
                 else page) for key, page in original(book)]

    monkeypatch.setattr(main_window_module, "build_pages", build_pages)
    window = MainWindow(playbook(), document)
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def calculators(window):
    window.show_page("economics")
    page = window.pages["economics"]
    page.tabs.setCurrentWidget(page.calculators)
    return page.calculators


@pytest.fixture
def panel(qtbot, document):
    def make(kind):
        panel = CalculatorPanel(kind)
        qtbot.addWidget(panel)
        panel.bind(document)
        return panel
    return make


def test_every_panel_has_an_editor_per_input_and_a_row_per_result(panel):
    for kind, calculator in CALCULATORS.items():
        p = panel(kind)
        assert list(p.editors) == [spec.key for spec in calculator.specs()]
        for spec in calculator.specs():
            editor = p.editors[spec.key]
            assert isinstance(editor, QComboBox if spec.text else QLineEdit), (kind, spec.key)
        if any(spec.required for spec in calculator.specs()):
            assert p.result is None and p.error.startswith("Fill in"), kind


@pytest.mark.parametrize("kind", list(CALCULATORS))
def test_example_results_equal_the_calculator_and_show_sources(panel, kind):
    p = panel(kind)
    p.set_values(EXAMPLES[kind])
    assert p.error is None, p.error
    expected = CALCULATORS[kind].run_mapping(EXAMPLES[kind])
    assert p.result == expected
    assert "Sources" in p.details.text() and "Assumptions" in p.details.text()
    shown = p.result_text()
    assert any(shown.values())


def test_dedicated_panel_numbers(panel):
    p = panel("dedicated")
    p.set_values(EXAMPLES["dedicated"])
    shown = p.result_text()
    full = 2.69 / (14539.5 * 3600) * 1e6
    assert shown["breakEvenUtilization"] == f"{full / 0.20:.1%}" == "25.7%"
    assert shown["monthlyCostUsd"] == "1,963.70"
    assert shown["cheaperThanApi"] == "yes"
    p.editors["utilization"].setText("0.1")
    assert p.result_text()["cheaperThanApi"] == "no"


def test_missing_and_invalid_inputs_say_why_and_cannot_be_saved(panel):
    p = panel("memory")
    assert "Fill in" in p.error_label.text() and not p.save_button.isEnabled()
    p.set_values(EXAMPLES["memory"])
    assert p.save_button.isEnabled()
    p.editors["memoryUtilization"].setText("1.5")
    assert "--memory-utilization" in p.error_label.text() and not p.save_button.isEnabled()
    p.editors["memoryUtilization"].setText("0.9")
    p.editors["model"].setEditText("no-such-model")
    assert "unknown model" in p.error_label.text()


def test_memory_fit_verdict_and_catalog_lists(panel):
    p = panel("memory")
    assert p.editors["model"].findData("llama-3.1-70b") >= 0
    assert p.editors["gpu"].findData("h100-sxm") >= 0
    p.set_values(EXAMPLES["memory"])
    assert p.result_text()["concurrentSequences"] == "24"
    assert p.result_text()["verdict"].startswith("Fits: 24 concurrent")
    p.editors["concurrency"].setText("40")
    assert p.result.fits is False and p.result_text()["verdict"].startswith("Does not fit")


def test_saved_memory_scenario_appears_in_its_gate_panel_and_undo_removes_it(qtbot, window, calculators, document):
    gate_page = window.pages["gate:memory-and-context-fit"]
    gate_page.refresh()
    window.show_page("gate:memory-and-context-fit")  # the facts fill in when the shared economics land
    qtbot.waitUntil(lambda: "No data yet" in gate_page.facts.text(), timeout=30_000)
    p = calculators.show_calculator("memory")
    p.set_values(EXAMPLES["memory"])
    p.name_edit.setText("70B on 2 x H100")
    assert p.save_scenario()
    [saved] = economics_store.list_scenarios(document.store)
    assert (saved.name, saved.kind, saved.inputs["gpus"]) == ("70B on 2 x H100", "memory", 2)
    assert p.saved_combo.currentText() == "70B on 2 x H100"
    assert document.is_modified()

    window.show_page("gate:memory-and-context-fit")
    qtbot.waitUntil(lambda: "Memory fit" in gate_page.facts.text(), timeout=30_000)
    text = gate_page.facts.text()
    assert "Memory fit (scenario '70B on 2 x H100'): Fits: 24 concurrent sequence(s) of 8,192 tokens" in text
    assert "Weights: 70.55 GB" in text

    document.undo_stack.undo()
    assert economics_store.list_scenarios(document.store) == []
    assert "No data yet" in gate_page.facts.text()  # the state before the save: computed already, no wait
    document.undo_stack.redo()
    assert "70B on 2 x H100" in gate_page.facts.text()  # likewise


def test_saved_fallback_and_dedicated_scenarios_reach_their_gates(qtbot, window, calculators, document):
    p = calculators.show_calculator("fallback")
    p.set_values(EXAMPLES["fallback"])
    p.name_edit.setText("15% to frontier")
    assert p.save_scenario()
    d = calculators.show_calculator("dedicated")
    d.set_values(EXAMPLES["dedicated"])
    d.name_edit.setText("H100 at 2.69")
    assert d.save_scenario()
    blend = 0.85 * 2.84 + 0.15 * 3.76
    window.show_page("gate:fallback-economics")
    qtbot.waitUntil(lambda: f"${blend:,.2f} with 15% to the fallback" in
                    window.pages["gate:fallback-economics"].facts.text(), timeout=30_000)
    window.show_page("gate:utilization-proof")
    assert "Break-even utilization (dedicated, scenario 'H100 at 2.69'): 26%" in \
        window.pages["gate:utilization-proof"].facts.text()


def test_replacing_a_scenario_by_name_undoes_to_the_old_inputs(panel, document):
    p = panel("replicas")
    p.set_values(EXAMPLES["replicas"])
    p.name_edit.setText("peak")
    assert p.save_scenario()
    p.editors["arrivalRate"].setText("20")
    assert p.save_scenario()
    assert economics_store.get_scenario(document.store, "peak").inputs["arrivalRate"] == 20
    document.undo_stack.undo()
    assert economics_store.get_scenario(document.store, "peak").inputs["arrivalRate"] == 10


def test_load_and_delete_saved_scenarios(panel, document):
    p = panel("owned")
    p.set_values(EXAMPLES["owned"])
    p.name_edit.setText("DGX H100")
    assert p.save_scenario()
    p.set_values({})
    assert p.result is None
    p.saved_combo.setCurrentText("DGX H100")
    p.load_selected()
    assert p.result == CALCULATORS["owned"].run_mapping(EXAMPLES["owned"])
    p.delete_selected()
    assert economics_store.list_scenarios(document.store) == []
    document.undo_stack.undo()
    assert [s.name for s in economics_store.list_scenarios(document.store)] == ["DGX H100"]


def test_a_scenario_needs_a_name(panel, document):
    p = panel("fallback")
    p.set_values(EXAMPLES["fallback"])
    p.name_edit.setText("   ")
    assert not p.save_scenario()
    assert "Not saved" in p.scenario_message.text()
    assert document.undo_stack.count() == 0


def test_format_value():
    assert format_value(0.257, "share 0-1") == "25.7%"
    assert format_value(19104903000.0, "tokens/month") == "19,104,903,000"
    assert format_value(None) == "not known"
    assert format_value(True) == "yes"
    assert format_value(0.05139, "USD") == "0.05139"


def test_calculators_are_a_list_beside_one_panel_not_tabs_in_tabs(qtbot):
    """Issue 14: the Economics page's Calculators tab holds no second row of tabs: a list on the left chooses
    the one panel shown on the right."""
    from PySide6.QtWidgets import QTabWidget

    from desktop.ui.calculators import CalculatorsWidget

    widget = CalculatorsWidget()
    qtbot.addWidget(widget)
    assert widget.findChildren(QTabWidget) == []
    assert [widget.list.item(r).text() for r in range(widget.list.count())] == [
        "Dedicated", "Owned hardware", "API bill", "Memory fit", "Replicas", "Fallback blend"]
    panel = widget.show_calculator("memory")
    assert widget.list.currentRow() == 3 and widget.stack.currentWidget().isAncestorOf(panel)
    widget.list.setCurrentRow(0)
    assert widget.stack.currentWidget().isAncestorOf(widget.panels["dedicated"])
