"""Composition root of the window: database, repository, main window."""

from __future__ import annotations

import sys

from journey_desktop import APP_NAME, __version__
from journey_desktop.paths import resolve_data_dir


def run_gui(data_dir_arg: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from journey_desktop.store import open_store
    from journey_desktop.store.db import DatabaseOpenError
    from journey_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("journey-desktop")
    data_dir = resolve_data_dir(data_dir_arg)
    try:
        open_store(data_dir)
    except DatabaseOpenError as exc:
        QMessageBox.critical(None, APP_NAME, f"The database cannot be opened.\n\n{exc.reason}\n\n{exc.path}")
        return 2
    window = MainWindow(data_dir)
    window.show()
    return app.exec()
