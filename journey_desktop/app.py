"""Composition root of the window: database, repository, settings, main window."""

from __future__ import annotations

import os
import sys
from functools import partial

from journey_desktop import APP_NAME, __version__
from journey_desktop.paths import resolve_data_dir, resource_path

ORGANIZATION_NAME = "journey-desktop"
# Set by benchmarks: print "shown" once the window is up, then quit (cold-start timing).
STARTUP_PROBE_ENV = "JOURNEY_DESKTOP_STARTUP_PROBE"
FIRST_TICK_SECONDS = 5


def run_gui(data_dir_arg: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from journey_desktop.logs import LOG_FILE_NAME
    from journey_desktop.paths import log_dir
    from journey_desktop.services.journey_watch import JourneyWatcher
    from journey_desktop.services.scheduler import EvaluatorScheduler
    from journey_desktop.services.single_instance import (
        SingleInstanceServer,
        ask_running_instance_to_activate,
    )
    from journey_desktop.ui.common.jobs import wait_for_jobs
    from journey_desktop.ui.main import MainWindow
    from journey_desktop.ui.startup import ErrorReporter, open_database

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons", "journey-desktop.svg"))))
    data_dir = resolve_data_dir(data_dir_arg)
    if ask_running_instance_to_activate(data_dir):
        return 0
    if not open_database(data_dir):
        return 2
    ErrorReporter(log_dir() / LOG_FILE_NAME).install()
    window = MainWindow(data_dir)
    server = SingleInstanceServer(data_dir, window)
    server.activation_requested.connect(window.bring_to_front)
    server.listen()
    scheduler = EvaluatorScheduler(window)
    # Takes the evaluator lock (or says which process holds it); the first tick, a catch-up
    # of what fell due while the application was closed, comes once the window is up.
    scheduler.start(first_tick_in=FIRST_TICK_SECONDS)
    window.attach_scheduler(scheduler)
    watcher = JourneyWatcher(window)  # others' journey changes, within a few seconds
    window.attach_watcher(watcher)
    watcher.start()
    window.show()
    if os.environ.get(STARTUP_PROBE_ENV):
        QTimer.singleShot(0, partial(_report_shown_and_quit, app))
    result = app.exec()
    wait_for_jobs()  # the list's, and an activation or import being written
    watcher.stop()
    scheduler.stop()
    server.close()
    return result


def _report_shown_and_quit(app: object) -> None:
    print("shown", flush=True)
    app.quit()  # type: ignore[attr-defined]
