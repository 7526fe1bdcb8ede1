"""Logging to a rotated file in the platformdirs log folder."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from journey_desktop.paths import log_dir

LOG_FILE_NAME = "journey-desktop.log"


def configure_logging(directory: Path | None = None, level: int = logging.INFO) -> Path | None:
    """Send logs to a rotated file; returns its path, or None when the folder is not writable."""
    directory = directory or log_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            directory / LOG_FILE_NAME, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.setLevel(level)
    for existing in list(root.handlers):
        if isinstance(existing, logging.handlers.RotatingFileHandler):
            root.removeHandler(existing)
            existing.close()
    root.addHandler(handler)
    return directory / LOG_FILE_NAME
