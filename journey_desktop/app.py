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


def run_gui(data_dir_arg: str | None = None, database_arg: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from journey_desktop.logs import LOG_FILE_NAME
    from journey_desktop.paths import log_dir
    from journey_desktop.services.settings import DatabaseChoice
    from journey_desktop.services.single_instance import (
        SingleInstanceServer,
        ask_running_instance_to_activate,
    )
    from journey_desktop.store.postgres import NotADatabaseAddress, resolve_database_url
    from journey_desktop.ui import prompts
    from journey_desktop.ui.common.formatting import sentence
    from journey_desktop.ui.common.jobs import wait_for_jobs
    from journey_desktop.ui.main.session import WindowSession
    from journey_desktop.ui.startup import ErrorReporter, open_chosen_database

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons", "journey-desktop.svg"))))
    data_dir = resolve_data_dir(data_dir_arg)
    if ask_running_instance_to_activate(data_dir):
        return 0
    choice = DatabaseChoice()
    try:
        url = resolve_database_url(database_arg) or choice.team_url()
    except NotADatabaseAddress as exc:  # said where it was given, and in the window
        print(f"journey-desktop: {exc}", file=sys.stderr)
        prompts.show_error(None, APP_NAME, sentence(exc))
        return 2
    opened, url = open_chosen_database(data_dir, url)
    if not opened:
        return 2
    ErrorReporter(log_dir() / LOG_FILE_NAME).install()
    session = WindowSession(data_dir, url, choice, first_tick_in=FIRST_TICK_SECONDS)
    server = SingleInstanceServer(data_dir, session)
    server.activation_requested.connect(session.bring_to_front)
    server.listen()
    if os.environ.get(STARTUP_PROBE_ENV):
        QTimer.singleShot(0, partial(_report_shown_and_quit, app))
    result = app.exec()
    wait_for_jobs()  # the list's, and an activation or import being written
    session.stop()
    server.close()
    return result


def _report_shown_and_quit(app: object) -> None:
    print("shown", flush=True)
    app.quit()  # type: ignore[attr-defined]
