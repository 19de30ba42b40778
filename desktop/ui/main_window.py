"""The main window: menus, navigation between pages, title with modified marker, save prompts."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QStackedWidget,
                               QVBoxLayout, QWidget)

from desktop import __version__
from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.services.tamper import TAMPERED, TAMPERED_TEXT
from desktop.ui import settings, theme, welcome
from desktop.ui.document import Document, ReadOnlyTargetError, follow
from desktop.ui.navigation import Navigation
from desktop.ui.signoff_check import CHECKING, UNCHECKED, signoff_check, signoff_state_note
from desktop.ui.trace_hash_keeper import trace_hash_keeper
from desktop.ui.trace_summary import trace_summary_state
from desktop.ui.widgets.banner import Banner
from desktop.ui.pages.base import Page
from desktop.ui.wizard import AssessmentWizard

FILE_FILTER = "Procurement workbooks (*.ipwb)"
OPEN_FILTER = f"{FILE_FILTER};;All files (*)"
WORKBOOK_SUFFIX = ".ipwb"
TRACE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".ods", ".json", ".jsonl")


def dropped_paths(mime) -> list[Path]:
    """The local files in a drag's data (URLs that are not local files are left out)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def build_pages(playbook: Playbook) -> list[tuple[str, Page]]:
    """The navigation's entries in order: (key, page)."""
    from desktop.ui.pages.context import ContextPage
    from desktop.ui.pages.economics import EconomicsPage
    from desktop.ui.pages.traces import TracesPage
    from desktop.ui.pages.gate import GatePage
    from desktop.ui.pages.overview import OverviewPage
    from desktop.ui.pages.plan import PlanPage
    from desktop.ui.pages.playbook_page import PlaybookPage
    from desktop.ui.pages.readiness import ReadinessPage
    from desktop.ui.pages.signoff import SignoffPage
    from desktop.ui.pages.summary import SummaryPage

    pages: list[tuple[str, Page]] = [("overview", OverviewPage(playbook)), ("context", ContextPage(playbook))]
    pages += [(f"gate:{gate.slug}", GatePage(playbook, gate)) for gate in playbook.gates]
    pages += [
        ("readiness", ReadinessPage(playbook)),
        ("summary", SummaryPage(playbook)),
        ("traces", TracesPage(playbook)),
        ("economics", EconomicsPage(playbook)),
        ("plan", PlanPage(playbook)),
        ("signoff", SignoffPage(playbook)),
        ("playbook", PlaybookPage(playbook)),
    ]
    from desktop.ui import economics_facts

    economics_facts.install_overview_panels(pages[0][1])
    from desktop.ui import plan_card

    plan_card.install_overview_panel(pages[0][1])
    return pages


def redo_shortcuts() -> list[QKeySequence]:
    """Both conventions for redo (Ctrl+Y and Ctrl+Shift+Z), whatever the platform's standard one is."""
    sequences = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
    for extra in ("Ctrl+Y", "Ctrl+Shift+Z"):
        if QKeySequence(extra) not in sequences:
            sequences.append(QKeySequence(extra))
    return sequences


class MainWindow(QMainWindow):
    """Signals:
        documentReplaced(): a different workbook is now shown.
    """

    documentReplaced = Signal()

    def __init__(self, playbook: Playbook, document: Document) -> None:
        super().__init__()
        self.playbook = playbook
        self.document = document
        self.setMinimumSize(1024, 680)
        self.setAcceptDrops(True)  # a workbook or a trace file dropped anywhere on the window
        self.navigation = Navigation()
        self.stack = QStackedWidget()
        self.pages: dict[str, Page] = {}
        for key, page in build_pages(playbook):
            self.pages[key] = page
            self.stack.addWidget(page)
        self.navigation.build({key: page.title for key, page in self.pages.items()})
        self.welcome = welcome.install_on_overview(self.pages["overview"])  # first launch: what to do first
        self.welcome.sig_sample.connect(self.on_new_sample)
        self.welcome.sig_new.connect(self.on_new)
        self.welcome.sig_open.connect(self.on_open)
        self.navigation.currentRowChanged.connect(self._on_navigation_row)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.navigation)
        pages_column = QVBoxLayout()
        pages_column.setSpacing(0)
        self.tamper_banner = Banner("error")  # above every page: a tampered sign-off is never out of sight
        self.tamper_banner.setAccessibleName("Tampered workbook")
        pages_column.addWidget(self.tamper_banner)
        pages_column.addWidget(self.stack, 1)
        layout.addLayout(pages_column, 1)
        self.setCentralWidget(central)
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self._build_menus()
        self.wizard = AssessmentWizard(self)  # the guided walk-through: its footer and Assessment menu
        pages_column.addWidget(self.wizard.footer)
        self.show_page("overview")
        self._restore_geometry()
        self._bind(document)

    # -- menus -------------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: QKeySequence | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action("&New", self.on_new, QKeySequence.StandardKey.New)
        self.new_sample_action = self._action("New from &Sample", self.on_new_sample)
        self.open_action = self._action("&Open...", self.on_open, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.save_action = self._action("&Save", self.on_save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save &As...", self.on_save_as, QKeySequence.StandardKey.SaveAs)
        self.export_action = self._action("&Export...", self.open_export_dialog, QKeySequence("Ctrl+E"))
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu.insertAction(self.recent_menu.menuAction(), self.new_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.new_sample_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.edit_menu = edit_menu
        view_menu = self.menuBar().addMenu("&View")
        self.theme_menu = view_menu.addMenu("&Theme")
        current = theme.chosen()
        for mode, label in theme.THEMES.items():
            action = self.theme_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(mode == current)
            action.triggered.connect(lambda _=False, m=mode: self.choose_theme(m))
        help_menu = self.menuBar().addMenu("&Help")
        self.help_menu = help_menu
        self.guide_action = self._action("&User guide", self.show_user_guide, QKeySequence.StandardKey.HelpContents)
        if self.guide_action.shortcut().isEmpty():  # platforms without a standard help key still get F1
            self.guide_action.setShortcut(QKeySequence("F1"))
        self.runbook_action = self._action("&Trace runbook", lambda: self.show_user_guide("trace-runbook"))
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.runbook_action)
        self.verify_help_action = self._action("How to &verify a memo", lambda: self.show_user_guide("how-to-verify"))
        help_menu.addAction(self.verify_help_action)
        self.welcome_action = self._action("Show &welcome panel", self.show_welcome)
        help_menu.addAction(self.welcome_action)
        help_menu.addSeparator()
        help_menu.addAction(self._action("&About", self.on_about))

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = settings.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for path in files:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))

    def _install_undo_actions(self) -> None:
        self.edit_menu.clear()
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts(redo_shortcuts())
        self.undo_action, self.redo_action = undo, redo
        self.edit_menu.addAction(undo)
        self.edit_menu.addAction(redo)

    # -- document ----------------------------------------------------------------------------------
    def _bind(self, document: Document) -> None:
        self.document = document
        document.modifiedChanged.connect(lambda _m: self._update_title())
        document.pathChanged.connect(self._update_title)
        self._install_undo_actions()
        for page in self.pages.values():
            page.bind(document)
        document.changed.connect(self._on_document_changed)
        self._update_title()
        self._update_status()
        self.navigation.update_status(document, self.playbook)
        trace_hash_keeper(document)  # Save then finds the rows' hash kept, not computed on the GUI thread
        follow(self, signoff_check(document).updated,  # the sign-off state lands from the background
               lambda _state, d=document: d is self.document and self._on_signoff_checked(d))
        follow(self, trace_summary_state(document).updated,
               lambda _summary, d=document: d is self.document and self.navigation.update_status(d, self.playbook,
                                                                                                  "traces"))
        self.documentReplaced.emit()

    def _on_document_changed(self, part: str) -> None:
        if part in ("signoff", "all"):
            self._update_title()
            self._update_status()
        self.navigation.update_status(self.document, self.playbook, part)

    def status_messages(self) -> list[str]:
        """Why the workbook is read-only, and where it lives if that is risky: each reason once."""
        document = self.document
        messages = [m for m in (document.read_only_reason, document.warning) if m]
        state = document.signoff_state()  # never computes: CHECKING until the background check lands
        tampered = state == TAMPERED
        self.tamper_banner.show_message(f"<b>TAMPERED</b>: {html.escape(TAMPERED_TEXT.removeprefix('TAMPERED: '))}"
                                        if tampered else "")
        if tampered:
            messages.insert(0, "TAMPERED: the content changed after sign-off.")
        elif document.workbook.signed and not document.read_only_reason:
            messages.append(f"Signed off{signoff_state_note(state, True)}: read-only until the sign-off is revoked.")
        elif document.workbook.signed and state in (CHECKING, UNCHECKED):
            messages.append(f"Signed off{signoff_state_note(state, True)}.")
        return messages

    def _on_signoff_checked(self, document: Document) -> None:
        self._update_status()
        self.navigation.update_status(document, self.playbook, "signoff")

    def _update_status(self) -> None:
        """One place for the lasting state: the permanent label (transient messages such as "Saved" use the
        bar's own message area and do not repeat it)."""
        text = " ".join(self.status_messages())
        self.status_label.setText(text)
        self.status_label.setAccessibleName(f"Workbook status: {text}" if text else "Workbook status")

    def replace_document(self, document: Document) -> None:
        old = self.document
        self._bind(document)
        old.close()

    def _update_title(self) -> None:
        suffix = " (read-only)" if self.document.read_only else ""
        self.setWindowTitle(f"{self.document.display_name()}[*]{suffix} - Inference Procurement Workbook")
        self.setWindowModified(self.document.is_modified())

    def show_page(self, key: str) -> None:
        self.navigation.setCurrentRow(self.navigation.row_of(key))

    def current_key(self) -> str:
        """The key of the page shown ("overview", "gate:demand-shape"...)."""
        return self.navigation.key_at(self.navigation.currentRow()) or ""

    def _on_navigation_row(self, row: int) -> None:
        key = self.navigation.key_at(row)
        if key is not None:
            self.stack.setCurrentWidget(self.pages[key])

    # -- save prompts ------------------------------------------------------------------------------
    def ask_save_changes(self) -> QMessageBox.StandardButton:
        """Ask what to do with unsaved edits (tests replace this)."""
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.display_name()}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
            QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded or unmodified)."""
        if not self.document.is_modified():
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.on_save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        if not self.maybe_save():
            event.ignore()
            return
        settings.settings().setValue("window/geometry", self.saveGeometry())
        settings.settings().setValue("window/state", self.saveState())
        self.document.close()
        event.accept()

    def _restore_geometry(self) -> None:
        geometry = settings.settings().value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = settings.settings().value("window/state")
        if state is not None:
            self.restoreState(state)

    # -- file actions ------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def on_new(self) -> None:
        if self.maybe_save():
            self.replace_document(Document.new(self.playbook))

    def on_new_sample(self) -> None:
        if self.maybe_save():
            self.replace_document(Document.new(self.playbook, sample=True))

    def on_open(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open workbook", settings.last_folder("workbook"), OPEN_FILTER)
        if path:
            self.open_path(Path(path), asked=True)

    def open_path(self, path: Path, *, asked: bool = False) -> bool:
        if not asked and not self.maybe_save():
            return False
        try:
            document = Document.open(self.playbook, path)
        except DomainError as exc:
            self.show_error("Cannot open workbook", str(exc))
            return False
        self.replace_document(document)
        settings.add_recent_file(Path(path).resolve())
        settings.set_last_folder("workbook", Path(path).resolve().parent)
        return True

    def on_save(self) -> bool:
        if self.document.path is None or self.document.read_only_reason:
            return self.on_save_as()
        return self._save_to(None)

    def on_save_as(self) -> bool:
        suggested = str(Path(settings.last_folder("workbook")) / (self.document.display_name()
                                                                 if self.document.path else "Untitled.ipwb"))
        path, _ = QFileDialog.getSaveFileName(self, "Save workbook as", suggested, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".ipwb"):
            path += ".ipwb"
        return self._save_to(Path(path))

    def offer_save_as(self, message: str) -> bool:
        """Save over a read-only file was refused: offer Save As (tests replace this)."""
        answer = QMessageBox.question(self, "Cannot save", f"{message}\n\nSave a copy with Save As?",
                                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Save)
        return answer == QMessageBox.StandardButton.Save

    def _save_to(self, path: Path | None) -> bool:
        try:
            self.document.save(path)
        except ReadOnlyTargetError as exc:
            if path is None and self.offer_save_as(str(exc)):
                return self.on_save_as()
            if path is not None:
                self.show_error("Save failed", f"The workbook was not saved: {exc}")
            return False
        except (DomainError, OSError) as exc:
            self.show_error("Save failed", f"The workbook was not saved: {exc}")
            return False
        if self.document.path is not None:
            settings.add_recent_file(self.document.path)
            settings.set_last_folder("workbook", self.document.path.parent)
        self.statusBar().showMessage(f"Saved {self.document.display_name()}", 5000)
        return True

    def open_export_dialog(self) -> None:
        from desktop.ui.export_dialog import open_export_dialog

        open_export_dialog(self.document, self)

    # -- help ----------------------------------------------------------------------------------------
    def show_user_guide(self, anchor: str = "") -> None:
        """F1 / Help > User guide: the bundled HTML guide in the app's own viewer (offline)."""
        from desktop.ui.help_viewer import show_guide

        self.help_viewer = show_guide(self, anchor or self._help_anchor())

    def choose_theme(self, mode: str) -> None:
        theme.choose(mode)
        for action in self.theme_menu.actions():
            action.setChecked(action.text() == theme.THEMES[mode])
        self.statusBar().showMessage(f"The {theme.THEMES[mode].replace('&', '').lower()} theme is used from the "
                                     "next start of the app.", 10000)

    def show_welcome(self) -> None:
        self.welcome.reopen()
        self.show_page("overview")

    def _help_anchor(self) -> str:
        """The guide's section about the page shown (F1 on a gate opens the gates section)."""
        key = self.current_key()
        return "page-gates" if key.startswith("gate:") else f"page-{key}" if key else ""

    # -- drag and drop ---------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        paths = dropped_paths(event.mimeData())
        if paths and all(p.suffix.lower() in (WORKBOOK_SUFFIX, *TRACE_SUFFIXES) for p in paths):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        event.acceptProposedAction() if dropped_paths(event.mimeData()) else event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        paths = dropped_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_dropped(paths)

    def open_dropped(self, paths: list[Path]) -> None:
        """A dropped .ipwb opens as the workbook; trace files open the import dialog with them listed."""
        workbooks = [p for p in paths if p.suffix.lower() == WORKBOOK_SUFFIX]
        if workbooks:
            self.open_path(workbooks[0])
            return
        traces = [p for p in paths if p.suffix.lower() in TRACE_SUFFIXES]
        if not traces:
            self.statusBar().showMessage("Drop a workbook (.ipwb) or a trace file (CSV, XLSX, ODS, JSON).", 8000)
            return
        self.show_page("traces")
        dialog = self.pages["traces"].on_import()
        if dialog is not None:
            dialog.add_paths(traces)

    def on_about(self) -> None:
        from desktop import paths

        notices = paths.third_party_notices()  # None in a development checkout
        box = QMessageBox(QMessageBox.Icon.NoIcon, "About Inference Procurement Workbook",
                          f"<b>Inference Procurement Workbook</b> {__version__}<br>"
                          f"Playbook {self.playbook.version} ({self.playbook.generated_at[:10]})<br><br>"
                          "Decide how to buy LLM inference: five decision gates, measured traces, route economics, "
                          "and a signed-off procurement matrix.<br><br>Built with open-source components under "
                          "their own licenses" + (": see Third-party licenses." if notices else
                                                  " (their notices ship with the desktop bundle)."), parent=self)
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        licenses = box.addButton("Third-party licenses…", QMessageBox.ButtonRole.ActionRole) if notices else None
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if licenses is not None and box.clickedButton() is licenses:
            self.show_text_file("Third-party licenses", notices)

    def show_text_file(self, title: str, path: Path) -> None:
        from PySide6.QtGui import QFontDatabase
        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit

        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        view = QPlainTextEdit(path.read_text(encoding="utf-8", errors="replace"), dialog)
        view.setReadOnly(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(view)
        layout.addWidget(buttons)
        dialog.resize(900, 640)
        dialog.exec()
