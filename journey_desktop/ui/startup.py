"""Start-up problems shown in words: a database we refuse to open, and unexpected errors."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from journey_desktop import APP_NAME
from journey_desktop.store.db import DatabaseOpenError, NewerDatabaseError, set_aside

log = logging.getLogger(__name__)


def ask_fresh_database(parent: QWidget | None, error: DatabaseOpenError) -> bool:
    """Tell the user why the database was refused; True when they choose a fresh one."""
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, "The journey database cannot be opened.", parent=parent)
    box.setObjectName("database_error_box")
    box.setInformativeText(
        f"{error.reason}.\n\nThe file is kept as it is:\n{error.path}\n\n"
        "You can start with a fresh, empty database. The old file will be renamed, "
        "not deleted, so nothing is lost."
    )
    fresh = box.addButton("Start a fresh database", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is fresh


def start_fresh_beside(error: DatabaseOpenError) -> Path:
    """Rename the refused file aside; the caller then opens a new database in its place."""
    label = "newer" if isinstance(error, NewerDatabaseError) else "damaged"
    kept = set_aside(error.path, label)
    log.warning("database %s refused (%s); kept as %s", error.path, error.reason, kept)
    return kept


class ErrorReporter:
    """Shows an unexpected error once, with where the log is, and keeps the app running."""

    def __init__(self, log_file: Path | None) -> None:
        self._log_file = log_file
        self._shown: set[str] = set()

    def install(self) -> None:
        sys.excepthook = self.handle

    def handle(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        key = f"{exc_type.__name__}: {exc}"
        if key in self._shown:
            return
        self._shown.add(key)
        where = f"\n\nDetails are in the log:\n{self._log_file}" if self._log_file else ""
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, "Something went wrong.")
        box.setObjectName("unexpected_error_box")
        box.setInformativeText(f"{key}{where}\n\nYour data is safe; you can keep working.")
        box.exec()
