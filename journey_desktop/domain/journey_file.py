"""Journey files (JSON in UTF-8): read and written the same way by the window and the CLI.

Every problem is a ``JourneyFileError`` whose text starts with the file, worded once.
"""

from __future__ import annotations

import re
from pathlib import Path

from journey_desktop.domain.journey import Journey, JourneyFileError

SUFFIX = ".json"


def read_journey_file(path: str | Path) -> Journey:
    """The journey in a file the user chose, or JourneyFileError saying what is wrong."""
    file = Path(path)
    if not file.exists():
        raise JourneyFileError(f"{path}: no such file")
    if file.is_dir():
        raise JourneyFileError(f"{path}: is a folder, not a file")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise JourneyFileError(
            f"{path}: not a text file (expected a journey file, JSON in UTF-8)") from None
    except OSError as exc:
        raise JourneyFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return Journey.from_file(text)
    except JourneyFileError as exc:
        raise JourneyFileError(f"{path}: not a valid journey file: {exc}") from None


def with_suffix(path: str | Path) -> Path:
    """A file name the user typed, with ``.json`` when it has no suffix."""
    file = Path(path)
    return file if file.suffix else file.with_suffix(SUFFIX)


def write_journey_file(path: str | Path, journey: Journey) -> None:
    """Write a journey file, or JourneyFileError saying why it cannot be written."""
    try:
        Path(path).write_text(journey.to_json(), encoding="utf-8")
    except OSError as exc:
        raise JourneyFileError(f"{path}: cannot be written: {exc.strerror or exc}") from None


def file_stem(name: str) -> str:
    """A file name for a journey name (letters, digits, dashes)."""
    stem = re.sub(r"[^\w\-]+", "-", name.strip().lower()).strip("-")
    return stem or "journey"
