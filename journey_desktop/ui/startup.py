"""Start-up problems shown in words: a database we refuse to open, a busy database, and
unexpected errors."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from journey_desktop import APP_NAME
from journey_desktop.paths import database_path
from journey_desktop.store import open_store
from journey_desktop.store.db import (
    DatabaseOpenError,
    NewerDatabaseError,
    add_busy_listener,
    proxy,
    set_aside,
)
from journey_desktop.store.errors import (
    BUSY_TIMEOUT_SECONDS,
    RepositoryError,
    StoreError,
    map_error,
)
from journey_desktop.store.postgres import describe_url, use_password, without_password
from journey_desktop.ui import prompts
from journey_desktop.ui.common.formatting import sentence

log = logging.getLogger(__name__)


def ask_fresh_database(parent: QWidget | None, error: DatabaseOpenError) -> bool:
    """Tell the user why the database was refused; True when they choose a fresh one."""
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME,
                      "The journey database cannot be opened.", parent=parent)
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


def open_database(data_dir: Path) -> bool:
    """Open the store for the window, or say why not; False when the app should quit.

    Every page is checked first (about a second per 300 MB), so that a damaged file is
    offered a fresh database beside it before anything is written. Only a file proven
    damaged or newer is ever set aside: a read-only folder or a full disk is said as such.
    """
    try:
        open_store(data_dir, check_pages=True)
        return True
    except DatabaseOpenError as exc:
        if not ask_fresh_database(None, exc):
            return False
        try:
            start_fresh_beside(exc)
            open_store(data_dir)
            return True
        except (DatabaseOpenError, StoreError, OSError) as again:
            prompts.show_error(None, APP_NAME, f"A fresh database cannot be started: {again}.")
            return False
    except StoreError as exc:
        log.warning("database %s cannot be used: %s", database_path(data_dir), exc)
        prompts.show_error(
            None, APP_NAME,
            f"The journey database cannot be used: {exc}.\n\n{database_path(data_dir)}",
        )
        return False


RETRY, USE_LOCAL, QUIT = "retry", "local", "quit"


def ask_team_failure(parent: QWidget | None, url: str, reason: str) -> str:
    """Say in one line why the team database cannot be opened; the user's choice: RETRY
    (with a password, when one was typed), USE_LOCAL or QUIT."""
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME,
                      "The team database cannot be opened.", parent=parent)
    box.setObjectName("team_database_error_box")
    box.setInformativeText(
        f"{reason}\n\n{describe_url(without_password(url))}\n\nCheck the address, the "
        "server and the password (PGPASSWORD or ~/.pgpass), then try again; or work on the "
        "local file for now."
    )
    retry = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
    password = box.addButton("Retry with a password…", QMessageBox.ButtonRole.ActionRole)
    password.setObjectName("team_password_button")
    local = box.addButton("Use the local file", QMessageBox.ButtonRole.ResetRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(retry)
    box.exec()
    clicked = box.clickedButton()
    if clicked is password:
        typed = prompts.ask_password(parent, APP_NAME, f"Password for {describe_url(url)}:")
        use_password(typed or "")
        return RETRY
    return RETRY if clicked is retry else USE_LOCAL if clicked is local else QUIT


def open_chosen_database(data_dir: Path, url: str | None) -> tuple[bool, str | None]:
    """Open the team database ``url`` (or, for None, the data folder's file) for the window.

    A team database that cannot be opened (unreachable, refused, missing, newer) is said in
    one line, offering Retry, the local file or Quit. Returns whether a database is open and
    the URL opened (None: the local file)."""
    while url:
        try:
            open_store(data_dir, url=url)
            return True, url
        except RepositoryError as exc:
            reason = sentence(exc)
        except Exception as exc:  # a bug: logged with its traceback, said in one line
            log.exception("team database %s cannot be opened", describe_url(url))
            reason = sentence(f"unexpected error: {exc}")
        log.warning("team database cannot be opened: %s", reason)
        choice = ask_team_failure(None, url, reason)
        if choice == QUIT:
            return False, None
        if choice == USE_LOCAL:
            url = None
    return open_database(data_dir), None


class BusyNotice(QObject):
    """Tells the window, on its own thread, that a write is waiting for the database."""

    BUSY_TEXT = (
        "The evaluator (or another program) is busy with the database; retrying for up "
        f"to {BUSY_TIMEOUT_SECONDS} seconds…"
    )
    waiting = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        remove = add_busy_listener(self._on_database_waiting)
        self.destroyed.connect(lambda *_: remove())

    def _on_database_waiting(self) -> None:  # on the writing thread: signals cross safely
        self.waiting.emit(self.BUSY_TEXT)


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
        mapped = map_error(exc, _open_path())
        if mapped is not None:  # the database failed, not the code: say so in words
            log.warning("database error: %s (%s)", mapped, exc)
            prompts.show_error(None, APP_NAME, f"The database could not do that: {mapped}.")
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


def _open_path() -> Path | None:
    """The open database file, to say how much room its disk has left."""
    path = getattr(proxy.obj, "path", None)
    return path if isinstance(path, Path) else None
