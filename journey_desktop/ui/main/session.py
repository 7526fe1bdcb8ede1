"""The main window on one database, with its evaluator, and the switch to another database
(File → Connect to team database…, SPEC §14)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication

from journey_desktop.services.journey_watch import JourneyWatcher
from journey_desktop.services.scheduler import EvaluatorScheduler
from journey_desktop.services.settings import DatabaseChoice
from journey_desktop.store import close_store, store_is_read_only
from journey_desktop.ui.common.jobs import wait_for_jobs
from journey_desktop.ui.main.window import MainWindow
from journey_desktop.ui.startup import open_chosen_database


class WindowSession(QObject):
    """Opens the main window on the open store; a database chosen in it closes the window
    (asking about unsaved edits first), opens that database and a new window on it."""

    def __init__(self, data_dir: Path, url: str | None, choice: DatabaseChoice, *,
                 first_tick_in: float | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.choice = choice
        self.first_tick_in = first_tick_in
        self.window: MainWindow | None = None
        self.scheduler: EvaluatorScheduler | None = None
        self.watcher: JourneyWatcher | None = None
        self._open_window(url)

    def _open_window(self, url: str | None) -> None:
        window = MainWindow(self.data_dir, database_url=url)
        window.database_chosen.connect(self._on_window_database_chosen)
        self.window = window
        if not store_is_read_only():  # a read-only role never runs the evaluator
            scheduler = EvaluatorScheduler(window)
            # Takes the evaluator lock (or says which process holds it); the first tick, a
            # catch-up of what fell due while the application was closed, comes once the
            # window is up.
            scheduler.start(first_tick_in=self.first_tick_in)
            window.attach_scheduler(scheduler)
            self.scheduler = scheduler
        watcher = JourneyWatcher(window)  # others' journey changes, within a few seconds
        window.attach_watcher(watcher)
        watcher.start()
        self.watcher = watcher
        window.show()

    @Slot()
    def bring_to_front(self) -> None:
        if self.window is not None:
            self.window.bring_to_front()

    def stop(self) -> None:
        """Stop the journey watch and the evaluator (at exit, or before another database is
        opened)."""
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None

    @Slot(object)
    def _on_window_database_chosen(self, url: str | None) -> None:
        old = self.window
        if old is None:
            return
        app = QApplication.instance()
        quits = isinstance(app, QApplication) and app.quitOnLastWindowClosed()
        QApplication.setQuitOnLastWindowClosed(False)  # the new window comes next
        try:
            if not old.close():  # an editor kept unsaved changes open
                return
            wait_for_jobs()
            self.stop()
            close_store()
            old.deleteLater()
            self.window = None
            opened, url = open_chosen_database(self.data_dir, url)
            if not opened:
                QApplication.quit()
                return
            self.choice.remember(url)
            self._open_window(url)
        finally:
            QApplication.setQuitOnLastWindowClosed(quits)
