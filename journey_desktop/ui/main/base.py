"""What every part of the main window shares: the selection, the status-bar line, how a
refusal is shown and how a write runs (on the spot, or in a job behind a busy dialog)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from journey_desktop.services.settings import WindowSettings
from journey_desktop.store.repository import JourneyRepository, JourneySummary, RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.common.formatting import sentence
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.journey_table import (
    COL_NAME,
    JourneyFilterProxy,
    JourneyTableModel,
)
from journey_desktop.ui.journey_view import JourneyTableView
from journey_desktop.ui.startup import BusyNotice

if TYPE_CHECKING:
    from journey_desktop.services.scheduler import EvaluatorScheduler
    from journey_desktop.ui.main.child_windows import ChildWindows

log = logging.getLogger(__name__)

MESSAGE_TIMEOUT_MS = 8000
# Up to this many customers, runs and messages, the list is counted and written on the GUI
# thread (about 50 ms at this size); above, in a job.
INLINE_COUNT_ROWS = 100_000

_Counted = TypeVar("_Counted")


class MainWindowBase(QMainWindow):
    """The state and helpers the main window's parts (list, actions) have in common."""

    audience_file_dropped = Signal(int, str)  # journey id, path of a .csv dropped on its row
    journeys_reloaded = Signal()  # the list shows the database as it is now
    journeys_counted = Signal()  # ... and its counts too
    database_chosen = Signal(object)  # File → Connect…: a team database's URL, None: the file

    data_dir: Path
    database_url: str | None  # the team database open (SPEC §14); None: the local file
    read_only: bool  # the database role may only read: every writing action is greyed out
    repository: JourneyRepository
    settings: WindowSettings
    scheduler: EvaluatorScheduler | None
    child_windows: ChildWindows
    model: JourneyTableModel
    proxy: JourneyFilterProxy
    table: JourneyTableView
    stack: QStackedWidget
    empty_state: QWidget
    search_box: QLineEdit
    status_filter: QComboBox
    count_label: QLabel
    validate_button: QPushButton
    activate_button: QPushButton
    action_new: QAction
    action_edit: QAction
    action_clone: QAction
    action_remove: QAction
    action_import_audience: QAction
    action_deactivate: QAction
    action_stats: QAction
    action_forecast: QAction
    action_outbox: QAction
    action_customers: QAction
    action_validate: QAction
    action_activate: QAction
    action_refresh: QAction
    action_run_now: QAction
    action_preferences: QAction
    action_open_file: QAction
    action_export_file: QAction
    action_import_customers: QAction
    action_import_delivery_report: QAction
    action_report: QAction
    action_import_events: QAction
    action_quit: QAction
    action_about: QAction
    action_find: QAction
    action_connect: QAction

    if TYPE_CHECKING:  # defined by the parts the window is assembled from
        def refresh(self, select_id: int | None = None) -> None: ...
        def refresh_in_background(self) -> None: ...
        def update_actions(self) -> None: ...
        def open_editor(self, journey_id: int, node_id: str | None = None) -> None: ...

    # --- the selection --------------------------------------------------------------------

    def selected_journey(self) -> JourneySummary | None:
        rows = self.table.selectionModel().selectedRows(COL_NAME)
        if not rows:
            return None
        source = self.proxy.mapToSource(rows[0])
        return self.model.summary_at(source.row()) if source.isValid() else None

    def selected_journey_id(self) -> int | None:
        summary = self.selected_journey()
        return summary.id if summary is not None else None

    def select_journey(self, journey_id: int) -> bool:
        """Select a journey's row and scroll to it; False when it is filtered out or gone."""
        row = self.proxy.proxy_row_of(journey_id)
        if row < 0:
            self.table.clearSelection()
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.proxy.index(row, COL_NAME))
        return True

    def reveal(self, journey_id: int) -> None:
        """Reload and select a journey, clearing the filters if they would hide it."""
        self.refresh(select_id=journey_id)
        if self.proxy.proxy_row_of(journey_id) < 0:
            self.search_box.clear()
            self.status_filter.setCurrentIndex(0)
            self.select_journey(journey_id)
        self.update_actions()
        self.table.setFocus()

    # --- telling the user -----------------------------------------------------------------

    def say(self, text: str) -> None:
        """A short note in the status bar (what was done)."""
        self.statusBar().showMessage(text, MESSAGE_TIMEOUT_MS)

    def show_refusal(self, title: str, refusal: object) -> None:
        """An expected refusal (a RepositoryError, a database busy or full, a bad file) in
        a dialog, as a sentence: every part of the window reports one this way."""
        prompts.show_error(self, title, sentence(refusal))

    @contextmanager
    def refusals(self, title: str) -> Iterator[None]:
        """Show an expected refusal in words, then reload (the list may be out of date)."""
        try:
            yield
        except RepositoryError as exc:
            self.show_refusal(title, exc)
            self.refresh()

    def count_or_refusal(self, title: str, count: Callable[[int], _Counted],
                         journey_id: int) -> _Counted | None:
        """A journey's counts as they are now (the list's may be a moment old)."""
        with self.refusals(title):
            return count(journey_id)
        return None

    # --- writing --------------------------------------------------------------------------

    def counts_inline(self) -> bool:
        """Whether the database is small enough to count and write on the GUI thread."""
        return self.repository.rows_to_count() <= INLINE_COUNT_ROWS

    def write(self, title: str, busy_text: str, done: Callable[[Any], None],
              change: Callable[[], Any]) -> None:
        """Run a repository write, then ``done(its result)``.

        On a small database on the spot; on a large one in a job, behind a busy dialog
        that keeps the window from other actions meanwhile: copying, stopping or deleting a
        million customers with their runs and messages takes 2 to 8 seconds."""
        ticking = self.scheduler is not None and self.scheduler.busy  # holds the write lock
        if self.counts_inline() and not ticking:
            with self.refusals(title):
                done(change())
            return
        busy = _BusyDialog(BusyNotice.BUSY_TEXT if ticking else busy_text, self)
        busy.setWindowTitle(title)

        def finished(result: object) -> None:
            busy.hide()  # not close(): it would reject, which this dialog ignores
            busy.deleteLater()
            done(result)

        def failed(message: str) -> None:
            busy.hide()  # not close(): it would reject, which this dialog ignores
            busy.deleteLater()
            self.show_refusal(title, message)
            self.refresh()

        busy.show()
        run_job(lambda _control: change(), finished, failed)


class _BusyDialog(QProgressDialog):
    """A moving bar over the window while one transaction is written: no Cancel (nothing
    can stop half-way), and Esc does not hide it."""

    def __init__(self, text: str, parent: QWidget) -> None:
        super().__init__(text, "", 0, 0, parent)
        self.setObjectName("busy_dialog")
        self.setCancelButton(None)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)

    def reject(self) -> None:  # Qt override
        pass
