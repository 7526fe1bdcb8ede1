"""The About box text: version and where the data lives."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6 import __version__ as pyside_version

from journey_desktop import APP_NAME, __version__
from journey_desktop.paths import database_path


def about_text(data_dir: Path) -> str:
    folder = html.escape(str(data_dir))
    database = html.escape(str(database_path(data_dir)))
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>Plan, validate and run customer journeys offline, on one local SQLite file.</p>"
        f"<p><b>Data folder:</b> {folder}<br><b>Database:</b> {database}</p>"
        f"<p style='color:gray'>Qt for Python {pyside_version}</p>"
    )
