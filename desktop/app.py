"""GUI entry point: QApplication, crash recovery offer, start-up errors as dialogs, the main window."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop import __version__


def run_gui(path: Path | None = None, argv: list[str] | None = None) -> int:
    from desktop.offline import forbid_network_if_requested
    forbid_network_if_requested()
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop import paths
    from desktop.domain.errors import DomainError
    from desktop.resources import playbook
    from desktop.storage.working_copy import find_recoverable
    from desktop.ui.document import Document
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Inference Procurement Workbook")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(paths.resource("icons/procurement-workbook.svg"))))
    app.setDesktopFileName("io.ipw.ProcurementWorkbook")  # the .desktop entry (packaging/linux/)
    from desktop.ui import theme
    theme.apply(app, theme.chosen())  # light, dark or high contrast if chosen (View > Theme); else the system's
    book = playbook()

    document = None
    for candidate in find_recoverable(paths.recovery_dir()):
        name = candidate.origin.name if candidate.origin else "an untitled workbook"
        answer = QMessageBox.question(
            None, "Recover unsaved changes",
            f"The app closed unexpectedly while {name} had unsaved changes "
            f"(last autosaved {candidate.autosaved_at}). Recover them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes and document is None:
            try:
                document = Document.recover(book, candidate)
                continue
            except DomainError as exc:
                QMessageBox.warning(None, "Recovery failed", str(exc))
        if answer == QMessageBox.StandardButton.No:
            candidate.database.unlink(missing_ok=True)
            candidate.sidecar.unlink(missing_ok=True)
    if document is None and path is not None:
        try:
            document = Document.open(book, path)
        except DomainError as exc:
            QMessageBox.warning(None, "Cannot open workbook", f"{exc}\n\nA new workbook is opened instead.")
    if document is None:
        document = Document.new(book)
    window = MainWindow(book, document)
    window.show()
    return app.exec()


def main() -> int:
    """The `procurement-workbook` gui-script: the app without a terminal.

    It goes through the CLI (`ipw open FILE`) so both entry points parse arguments and report start-up
    errors the same way; the CLI comes back to `run_gui` lazily (desktop.cli.workbook_commands.launch_gui).
    """
    from desktop.cli import main as cli_main

    argv = sys.argv[1:]
    return cli_main(["open", *argv] if argv else [])
