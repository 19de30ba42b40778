"""The readiness page: the five dimensions scored 0-100 against the workbook's threshold."""

from __future__ import annotations

import itertools
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (QCheckBox, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook, ReadinessDimension
from desktop.domain.workbook import ReadinessScore, Workbook
from desktop.ui import commands, theme
from desktop.ui.charts import ReadinessChart, readiness_bars
from desktop.ui.document import Document
from desktop.ui.pages.base import Page

# ---- Constants
_sessions = itertools.count(1)


# ---- Public API
def readiness_summary(workbook: Workbook, playbook: Playbook) -> str:
    """One sentence: how many dimensions meet the threshold, fall short, or are not yet scored."""
    threshold = workbook.context.readiness_threshold
    scores = [workbook.scores[d.slug].score for d in playbook.readiness]
    met = sum(1 for s in scores if s is not None and s >= threshold)
    unscored = sum(1 for s in scores if s is None)
    below = len(scores) - met - unscored
    text = f"{met} of {len(scores)} dimensions meet the threshold of {threshold}"
    if below:
        text += f"; {below} below"
    if unscored:
        text += f"; {unscored} not yet scored"
    return text + "."


class DimensionEditor(QGroupBox):
    """One readiness dimension: guidance, reference, score (slider and spin box), not-scored, reset, note.

    The editor only shows the document and turns user actions into commands; a slider drag is committed
    once, when it is released, and typing in the spin box once, when editing finishes.
    """

    def __init__(self, dimension: ReadinessDimension, parent: QWidget | None = None) -> None:
        super().__init__(dimension.name, parent)
        self.dimension = dimension
        self.document: Document | None = None
        self._updating = False
        self._note_session = next(_sessions)
        name = dimension.name
        self.setAccessibleName(f"{name} readiness")

        self.guidance = QLabel(dimension.note)
        self.guidance.setWordWrap(True)
        self.guidance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.guidance.setAccessibleName(f"Playbook guidance for {name}")
        self.guidance.setStyleSheet(theme.style("muted", extra="font-style: italic;"))
        self.reference = QLabel(f"Reference score: <b>{dimension.reference_score}</b>")
        self.reference.setAccessibleName(f"Playbook reference score for {name}: {dimension.reference_score}")
        self.reference.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)

        self.not_scored = QCheckBox("Not yet scored")
        self.not_scored.setAccessibleName(f"{name} not yet scored")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setPageStep(10)
        self.slider.setTickInterval(10)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setAccessibleName(f"{name} score")
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.spin = QSpinBox()
        self.spin.setRange(0, 100)
        self.spin.setKeyboardTracking(False)
        self.spin.setAccessibleName(f"{name} score value")
        self.spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.reset = QPushButton(f"Reset to {dimension.reference_score}")
        self.reset.setAccessibleName(f"Reset {name} to the reference score {dimension.reference_score}")
        self.reset.setToolTip("Set the score back to the playbook's reference score (undoable)")
        self.note = QLineEdit()
        self.note.setPlaceholderText("Officer's note: why this score, which evidence backs it")
        self.note.setAccessibleName(f"Officer's note on {name}")
        self.note.setClearButtonEnabled(True)
        note_label = QLabel("&Note:")
        note_label.setBuddy(self.note)
        for widget in (self.slider, self.spin):
            widget.installEventFilter(self)

        grid = QGridLayout(self)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.guidance, 0, 0, 1, 4)
        grid.addWidget(self.reference, 0, 4)
        grid.addWidget(self.not_scored, 1, 0)
        grid.addWidget(self.slider, 1, 1, 1, 2)
        grid.addWidget(self.spin, 1, 3)
        grid.addWidget(self.reset, 1, 4)
        grid.addWidget(note_label, 2, 0, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.note, 2, 1, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.spin.valueChanged.connect(self._on_spin_value_changed)
        self.not_scored.clicked.connect(self._on_not_scored_clicked)
        self.reset.clicked.connect(self._on_reset_clicked)
        self.note.textEdited.connect(self._on_note_edited)
        self.note.editingFinished.connect(self._on_note_finished)

    # ---- Public API
    @property
    def stored(self) -> ReadinessScore:
        assert self.document is not None
        return self.document.workbook.scores[self.dimension.slug]

    def refresh(self) -> None:
        """Show the stored score; a note being typed is never overwritten by its own echo."""
        score = self.stored
        editable = not self.document.read_only
        self._updating = True
        try:
            shown = score.score if score.score is not None else self.dimension.reference_score
            if not self.slider.isSliderDown():
                self.slider.setValue(shown)
            self.spin.setValue(shown)
            self.not_scored.setChecked(score.score is None)
            if self.note.text() != score.note:
                self.note.setText(score.note)
                self._note_session = next(_sessions)
        finally:
            self._updating = False
        self.slider.setEnabled(editable and score.score is not None)
        self.spin.setEnabled(editable and score.score is not None)
        self.not_scored.setEnabled(editable)
        self.note.setReadOnly(not editable)
        self.reset.setEnabled(editable and score.score != self.dimension.reference_score)

    # ---- Qt overrides
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        # The wheel scrolls the page unless the score control has focus: no score changes by accident.
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()
            return True
        return super().eventFilter(watched, event)

    # ---- Private API
    def _push(self, command: QUndoCommand) -> None:
        try:
            self.document.push(command)
        except DomainError as exc:
            self.refresh()
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(str(exc), 8000)

    def _commit_score(self, value: int | None, text: str) -> None:
        if self.document is None or self._updating or value == self.stored.score:
            return
        self._push(commands.set_score(self.document, replace(self.stored, score=value), text))

    def _on_slider_value_changed(self, value: int) -> None:
        if self._updating:
            return
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        if not self.slider.isSliderDown():  # keyboard, click on the groove: one step each
            self._commit_score(value, f"Score {self.dimension.name} {value}")

    def _on_slider_released(self) -> None:
        value = self.slider.value()
        self._commit_score(value, f"Score {self.dimension.name} {value}")

    def _on_spin_value_changed(self, value: int) -> None:
        if self._updating:
            return
        self.slider.blockSignals(True)
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self._commit_score(value, f"Score {self.dimension.name} {value}")

    def _on_not_scored_clicked(self, checked: bool) -> None:
        if checked:
            self._commit_score(None, f"Mark {self.dimension.name} not yet scored")
        else:
            value = self.slider.value()
            self._commit_score(value, f"Score {self.dimension.name} {value}")
        self.refresh()

    def _on_reset_clicked(self) -> None:
        self._commit_score(self.dimension.reference_score,
                           f"Reset {self.dimension.name} to reference score {self.dimension.reference_score}")

    def _on_note_edited(self, text: str) -> None:
        if self.document is None or text == self.stored.note:
            return
        self._push(commands.EditScoreNoteCommand(self.document, replace(self.stored, note=text),
                                                 self._note_session, self.dimension.name))

    def _on_note_finished(self) -> None:
        if self.document is None or self.document.read_only:
            return
        text = self.note.text().strip()
        if text != self.stored.note:
            self._push(commands.EditScoreNoteCommand(self.document, replace(self.stored, note=text),
                                                     self._note_session, self.dimension.name))
        if self.note.text() != text:
            self._updating = True
            self.note.setText(text)
            self._updating = False
        self._note_session = next(_sessions)


class ReadinessPage(Page):
    """Score the five readiness dimensions; the chart shows them against the workbook's threshold."""

    title = "Readiness"

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        heading = QLabel(f"<h2>{self.title}</h2>")
        intro = QLabel("Score how ready the organisation is on each dimension, from 0 to 100. The playbook's "
                       "note says what the score should rest on; its reference score is a starting point.")
        intro.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        text, background, border = theme.banner_colours("warning")
        self.banner.setStyleSheet(f"color: {text}; background: {background}; border: 1px solid {border}; padding: 6px;")
        self.banner.hide()

        self.editors = [DimensionEditor(d) for d in playbook.readiness]
        editors_box = QWidget()
        editors_layout = QVBoxLayout(editors_box)
        editors_layout.setContentsMargins(0, 0, 6, 0)
        for editor in self.editors:
            editors_layout.addWidget(editor)
        editors_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(editors_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll = scroll

        self.chart = ReadinessChart()
        self.chart.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Readiness summary")
        self.threshold = QSpinBox()
        self.threshold.setRange(0, 100)
        self.threshold.setKeyboardTracking(False)
        self.threshold.setAccessibleName("Readiness threshold")
        self.threshold.setToolTip("The score each dimension should reach; part of the buyer context (undoable)")
        threshold_label = QLabel("Readiness &threshold:")
        threshold_label.setBuddy(self.threshold)
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(threshold_label)
        threshold_row.addWidget(self.threshold)
        threshold_row.addStretch(1)
        chart_box = QGroupBox("Scores against the threshold")
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.addWidget(self.chart, 1)
        chart_layout.addLayout(threshold_row)
        chart_layout.addWidget(self.summary)

        body = QHBoxLayout()
        body.addWidget(scroll, 3)
        body.addWidget(chart_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)

        self.threshold.valueChanged.connect(self._on_threshold_value_changed)
        previous: QWidget | None = None
        for editor in self.editors:
            for widget in (editor.not_scored, editor.slider, editor.spin, editor.reset, editor.note):
                if previous is not None:
                    QWidget.setTabOrder(previous, widget)
                previous = widget
        if previous is not None:
            QWidget.setTabOrder(previous, self.threshold)

    # ---- Public API
    def bind(self, document: Document) -> None:
        for editor in self.editors:
            editor.document = document
        super().bind(document)

    def editor(self, query: str) -> DimensionEditor:
        """The editor of a dimension, by slug or name."""
        slug = self.playbook.dimension(query).slug
        return next(e for e in self.editors if e.dimension.slug == slug)

    def refresh(self) -> None:
        if self.document is None:
            return
        workbook = self.document.workbook
        for editor in self.editors:
            editor.refresh()
        self.chart.set_data(readiness_bars(self.playbook, workbook), workbook.context.readiness_threshold)
        self.summary.setText(readiness_summary(workbook, self.playbook))
        self.threshold.blockSignals(True)
        self.threshold.setValue(workbook.context.readiness_threshold)
        self.threshold.blockSignals(False)
        self.threshold.setEnabled(not self.document.read_only)
        reason = self.document.read_only_reason or (
            "Signed off: read-only until the sign-off is revoked." if workbook.signed else "")
        self.banner.setText(reason)
        self.banner.setVisible(bool(reason))

    # ---- Private API
    def _on_threshold_value_changed(self, value: int) -> None:
        if self.document is None or value == self.document.workbook.context.readiness_threshold:
            return
        context = replace(self.document.workbook.context, readiness_threshold=value)
        try:
            self.document.push(commands.set_context(self.document, context,
                                                    f"Set readiness threshold to {value}"))
        except DomainError as exc:
            self.refresh()
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(str(exc), 8000)
