"""The readiness page and its chart: slider/spin sync, one undo step per action, not-scored, reset."""

from dataclasses import replace

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionSlider

from desktop.resources import playbook
from desktop.ui import commands
from desktop.ui.charts import ReadinessBar, ReadinessChart, bar_heights, wrap_label
from desktop.ui.document import Document
from desktop.ui.pages.readiness import ReadinessPage, readiness_summary

REFERENCE = [d.reference_score for d in playbook().readiness]


@pytest.fixture
def page(qtbot, document):
    widget = ReadinessPage(playbook())
    qtbot.addWidget(widget)
    widget.bind(document)
    widget.resize(1060, 760)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def stored(document, slug):
    return document.workbook.scores[slug]


def handle_center(slider):
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                         QStyle.SubControl.SC_SliderHandle, slider)
    return rect.center()


def send_mouse(widget, kind, pos, buttons):
    point = QPointF(pos)
    event = QMouseEvent(kind, point, widget.mapToGlobal(point), Qt.MouseButton.LeftButton, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


# ---- the chart ------------------------------------------------------------------------------------
def test_chart_plots_the_scores_and_threshold(page, document):
    assert page.chart.heights() == [float(s) for s in REFERENCE]
    assert list(page.chart.bar_item.opts["height"]) == REFERENCE  # the plot item's own data
    assert list(page.chart.bar_item.opts["x"]) == [0, 1, 2, 3, 4]
    assert page.chart.threshold() == 70.0
    assert page.chart.threshold_line.value() == 70
    assert page.chart.labels() == [d.name for d in playbook().readiness]
    assert page.chart.references() == [float(s) for s in REFERENCE]


def test_chart_follows_score_and_threshold_edits(page, document):
    document.push(commands.set_score(document, replace(stored(document, "ops-ownership"), score=91), "s"))
    assert page.chart.heights()[2] == 91.0
    document.push(commands.set_context(document, replace(document.workbook.context, readiness_threshold=55)))
    assert page.chart.threshold() == 55.0
    assert page.threshold.value() == 55
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert page.chart.heights() == [float(s) for s in REFERENCE] and page.chart.threshold() == 70.0


def test_chart_colours_split_at_the_threshold(qtbot):
    chart = ReadinessChart()
    qtbot.addWidget(chart)
    chart.set_data([ReadinessBar("A", 70), ReadinessBar("B", 69), ReadinessBar("C", None, 50)], 70)
    brushes = [b.color().name() for b in chart.bar_item.opts["brushes"]]
    assert brushes[0] != brushes[1] and brushes[1] == brushes[2]
    assert chart.heights() == [70.0, 69.0, 0.0]
    assert chart.value_texts() == ["70", "69", "not scored"]
    assert chart.references() == [50.0]
    assert "C: not scored" in chart.describe()
    chart.set_data([], 40)  # nothing to draw is not an error
    assert chart.heights() == [] and chart.threshold() == 40.0


def test_chart_helpers():
    assert bar_heights([ReadinessBar("x", None), ReadinessBar("y", 3)]) == [0.0, 3.0]
    assert wrap_label("Procurement clarity") == "Procurement\nclarity"
    assert wrap_label("Ops ownership") == "Ops\nownership"


# ---- slider and spin box ------------------------------------------------------------------------
def test_page_shows_guidance_reference_and_scores(page):
    for editor, dimension in zip(page.editors, playbook().readiness):
        assert editor.title() == dimension.name
        assert editor.guidance.text() == dimension.note
        assert str(dimension.reference_score) in editor.reference.text()
        assert editor.slider.value() == editor.spin.value() == dimension.reference_score
        assert not editor.reset.isEnabled()  # already at the reference score
    assert page.summary.text() == "2 of 5 dimensions meet the threshold of 70; 3 below."


def test_slider_keys_update_spin_box_and_document(page, document, qtbot):
    editor = page.editor("demand-forecast")
    editor.slider.setFocus()
    qtbot.keyClick(editor.slider, Qt.Key.Key_Left)
    assert editor.slider.value() == editor.spin.value() == 81
    assert stored(document, "demand-forecast").score == 81
    qtbot.keyClick(editor.slider, Qt.Key.Key_PageDown)
    assert editor.spin.value() == 71 and stored(document, "demand-forecast").score == 71
    assert document.undo_stack.count() == 2
    assert page.chart.heights()[0] == 71.0


def test_typing_in_spin_box_is_one_step(page, document, qtbot):
    editor = page.editor("Fallback design")
    editor.spin.setFocus()
    editor.spin.selectAll()
    qtbot.keyClicks(editor.spin, "35")
    assert stored(document, "fallback-design").score == 74  # nothing committed while typing
    qtbot.keyClick(editor.spin, Qt.Key.Key_Return)
    assert editor.slider.value() == 35
    assert stored(document, "fallback-design").score == 35
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Score Fallback design 35"


def test_slider_drag_is_one_undo_step(page, document):
    editor = page.editor("ops-ownership")
    slider = editor.slider
    start = handle_center(slider)
    send_mouse(slider, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    assert slider.isSliderDown()
    for dx in (10, 25, 40, 60):
        send_mouse(slider, QEvent.Type.MouseMove, start + QPoint(dx, 0), Qt.MouseButton.LeftButton)
        assert editor.spin.value() == slider.value()  # the spin box follows the drag live
    dragged = slider.value()
    assert dragged > 56
    assert stored(document, "ops-ownership").score == 56  # not committed mid-drag
    assert document.undo_stack.count() == 0
    send_mouse(slider, QEvent.Type.MouseButtonRelease, start + QPoint(60, 0), Qt.MouseButton.NoButton)
    assert stored(document, "ops-ownership").score == dragged
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert stored(document, "ops-ownership").score == 56
    assert slider.value() == editor.spin.value() == 56
    document.undo_stack.redo()
    assert slider.value() == editor.spin.value() == dragged


def test_wheel_over_unfocused_slider_does_not_change_score(page, document):
    editor = page.editor("demand-forecast")
    page.editor("ops-ownership").note.setFocus()
    center = QPointF(handle_center(editor.slider))
    event = QWheelEvent(center, editor.slider.mapToGlobal(center), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(editor.slider, event)
    assert editor.slider.value() == 82 and document.undo_stack.count() == 0


# ---- undo/redo of each kind of edit --------------------------------------------------------------
def test_undo_redo_score_and_modified_marker(page, document):
    editor = page.editor("utilization-model")
    assert not document.is_modified()
    editor.spin.setValue(90)
    assert stored(document, "utilization-model").score == 90 and document.is_modified()
    document.undo_stack.undo()
    assert stored(document, "utilization-model").score == 68
    assert editor.spin.value() == editor.slider.value() == 68
    assert not document.is_modified()  # follows the clean state
    document.undo_stack.redo()
    assert stored(document, "utilization-model").score == 90 and editor.slider.value() == 90


def test_note_typing_is_one_step_per_edit_session(page, document, qtbot):
    editor = page.editor("ops-ownership")
    editor.note.setFocus()
    qtbot.keyClicks(editor.note, "On-call rota agreed")
    assert stored(document, "ops-ownership").note == "On-call rota agreed"  # saved as typed
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Edit note on Ops ownership"
    qtbot.keyClick(editor.note, Qt.Key.Key_Return)  # ends the session
    assert document.undo_stack.count() == 1
    qtbot.keyClicks(editor.note, " with SRE")
    assert document.undo_stack.count() == 2  # a second session is a second step
    page.editor("demand-forecast").note.setFocus()  # leaving the field ends it too
    assert stored(document, "ops-ownership").note == "On-call rota agreed with SRE"

    document.undo_stack.undo()
    assert stored(document, "ops-ownership").note == "On-call rota agreed"
    assert editor.note.text() == "On-call rota agreed"
    document.undo_stack.undo()
    assert stored(document, "ops-ownership").note == "" and editor.note.text() == ""
    assert not document.is_modified()
    document.undo_stack.redo()
    assert editor.note.text() == "On-call rota agreed"


def test_note_is_trimmed_when_the_session_ends(page, document, qtbot):
    editor = page.editor("fallback-design")
    editor.note.setFocus()
    qtbot.keyClicks(editor.note, "  blended cost reported  ")
    qtbot.keyClick(editor.note, Qt.Key.Key_Return)
    assert stored(document, "fallback-design").note == "blended cost reported"
    assert editor.note.text() == "blended cost reported"
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert stored(document, "fallback-design").note == ""


def test_typing_back_to_the_old_note_leaves_no_step(page, document, qtbot):
    editor = page.editor("fallback-design")
    editor.note.setFocus()
    qtbot.keyClicks(editor.note, "x")
    qtbot.keyClick(editor.note, Qt.Key.Key_Backspace)
    assert stored(document, "fallback-design").note == ""
    assert document.undo_stack.count() == 0  # the merged step became obsolete and was dropped
    assert not document.is_modified()


def test_not_yet_scored_and_back(page, document, qtbot):
    editor = page.editor("procurement-clarity")
    qtbot.mouseClick(editor.not_scored, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, editor.not_scored.height() // 2))
    assert stored(document, "procurement-clarity").score is None
    assert editor.not_scored.isChecked()
    assert not editor.slider.isEnabled() and not editor.spin.isEnabled()
    assert editor.reset.isEnabled()
    assert page.chart.heights()[4] == 0.0 and page.chart.value_texts()[4] == "not scored"
    assert "1 not yet scored" in page.summary.text()
    assert document.undo_stack.undoText() == "Mark Procurement clarity not yet scored"

    editor.not_scored.click()  # scored again, at the value the slider shows
    assert stored(document, "procurement-clarity").score == 61
    assert editor.slider.isEnabled()
    document.undo_stack.undo()
    assert stored(document, "procurement-clarity").score is None and editor.not_scored.isChecked()
    document.undo_stack.undo()
    assert stored(document, "procurement-clarity").score == 61 and not editor.not_scored.isChecked()


def test_reset_to_reference_is_undoable(page, document, qtbot):
    editor = page.editor("demand-forecast")
    editor.spin.setValue(20)
    document.push(commands.set_score(document, replace(stored(document, "demand-forecast"), note="keep"), "n"))
    assert editor.reset.isEnabled()
    qtbot.mouseClick(editor.reset, Qt.MouseButton.LeftButton)
    assert stored(document, "demand-forecast").score == 82
    assert stored(document, "demand-forecast").note == "keep"  # reset touches only the score
    assert not editor.reset.isEnabled()
    assert document.undo_stack.undoText() == "Reset Demand forecast to reference score 82"
    document.undo_stack.undo()
    assert stored(document, "demand-forecast").score == 20 and editor.spin.value() == 20
    document.undo_stack.redo()
    assert stored(document, "demand-forecast").score == 82


def test_reset_scores_a_dimension_not_yet_scored(qtbot):
    doc = Document.new(playbook())  # empty workbook: nothing scored
    try:
        widget = ReadinessPage(playbook())
        qtbot.addWidget(widget)
        widget.bind(doc)
        widget.show()
        editor = widget.editor("ops-ownership")
        assert editor.not_scored.isChecked() and not editor.slider.isEnabled()
        assert widget.chart.heights() == [0.0] * 5
        assert widget.summary.text() == "0 of 5 dimensions meet the threshold of 70; 5 not yet scored."
        editor.reset.click()
        assert doc.workbook.scores["ops-ownership"].score == 56
    finally:
        doc.close()


def test_threshold_edit_is_undoable(page, document):
    page.threshold.setValue(60)
    assert document.workbook.context.readiness_threshold == 60
    assert page.chart.threshold() == 60.0
    assert page.summary.text() == "4 of 5 dimensions meet the threshold of 60; 1 below."
    document.undo_stack.undo()
    assert document.workbook.context.readiness_threshold == 70 and page.threshold.value() == 70


# ---- read-only, keyboard, accessibility ----------------------------------------------------------
def test_read_only_document_disables_editing(page, document):
    document.read_only_reason = "sample.ipwb is being edited by someone else; it is open read-only."
    page.refresh()
    assert page.banner.isVisibleTo(page) and "read-only" in page.banner.text()
    for editor in page.editors:
        assert not editor.slider.isEnabled() and not editor.spin.isEnabled()
        assert not editor.not_scored.isEnabled() and not editor.reset.isEnabled()
        assert editor.note.isReadOnly()
    assert not page.threshold.isEnabled()


def test_accessible_names_and_tab_order(page):
    for editor in page.editors:
        name = editor.dimension.name
        controls = [editor.not_scored, editor.slider, editor.spin, editor.reset, editor.note]
        assert all(name in c.accessibleName() for c in controls)
        assert len({c.accessibleName() for c in controls}) == len(controls)
    first, second = page.editors[0], page.editors[1]
    assert first.not_scored.nextInFocusChain() is not None
    chain, widget = [], first.not_scored
    for _ in range(12):
        chain.append(widget)
        widget = widget.nextInFocusChain()
    order = [first.not_scored, first.slider, first.spin, first.reset, first.note, second.not_scored]
    positions = [chain.index(w) for w in order]
    assert positions == sorted(positions)


def test_readiness_summary_counts(qapp):
    workbook = Document.new(playbook(), sample=True)
    try:
        assert readiness_summary(workbook.workbook, playbook()) == \
            "2 of 5 dimensions meet the threshold of 70; 3 below."
    finally:
        workbook.close()
