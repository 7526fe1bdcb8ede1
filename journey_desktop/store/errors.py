"""One map from SQLite's error codes to errors worded for users (no Qt).

A failing statement may be followed by a failing rollback (SQLite already rolled back after
a full disk), so the map looks through the chain of errors for the first, real cause.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

BUSY_TIMEOUT_SECONDS = 30


class RepositoryError(Exception):
    """An expected refusal (unknown journey, taken name, wrong status), worded for users."""


class StoreError(RepositoryError):
    """The database itself could not do what was asked; the message says why in words."""


class BusyError(StoreError):
    """Another connection kept the write lock longer than the busy timeout."""

    def __init__(self) -> None:
        super().__init__(
            "the evaluator (or another program) is busy with the database; "
            "nothing was changed, try again in a moment"
        )


class FullError(StoreError):
    """No room left on the disk; nothing of the failed change was written."""

    def __init__(self, path: Path | None) -> None:
        free = free_megabytes(path)
        room = f" ({free} MB free)" if free is not None else ""
        super().__init__(f"the disk is full{room}; nothing was changed")


class ReadOnlyError(StoreError):
    """The file or its folder cannot be written (permissions, a read-only disk)."""

    def __init__(self, path: Path | None) -> None:
        where = f" ({path.parent} is read-only or not writable)" if path is not None else ""
        super().__init__(f"cannot write here{where}")


class DamagedError(StoreError):
    """SQLite found damaged pages: the file is kept as it is and nothing more is written."""

    def __init__(self, path: Path | None, detail: str = "") -> None:
        where = f" {path}" if path is not None else ""
        more = f" ({detail})" if detail else ""
        super().__init__(f"the database file{where} is damaged{more}; nothing was changed")
        self.path = path


class DiskError(StoreError):
    """The disk failed to read or write (an I/O error that is not a full disk)."""

    def __init__(self, path: Path | None) -> None:
        where = f" {path}" if path is not None else ""
        super().__init__(f"the database file{where} could not be read or written (disk I/O error)")


def free_megabytes(path: Path | None) -> int | None:
    """Free space where ``path`` lives, in whole megabytes; None when it cannot be told."""
    if path is None:
        return None
    try:
        return shutil.disk_usage(path if path.is_dir() else path.parent).free >> 20
    except OSError:
        return None


def error_code(exc: BaseException) -> int | None:
    """The primary SQLite result code of ``exc`` (peewee keeps the sqlite3 error as its first
    argument), or None when it is not a SQLite error."""
    for candidate in (exc, *exc.args[:1]):
        code = getattr(candidate, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the errors it was raised while handling, the first (oldest) cause first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return reversed(chain)


def map_error(exc: BaseException, path: Path | None = None) -> StoreError | None:
    """The worded error for a SQLite failure; None when it is not one of the expected kinds
    (a constraint or a syntax error is a bug and stays as it is)."""
    for cause in _causes(exc):
        if isinstance(cause, StoreError):
            return cause
        mapped = _from_code(error_code(cause), path)
        if mapped is not None:
            return mapped
    return None


def _from_code(code: int | None, path: Path | None) -> StoreError | None:
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return BusyError()
    if code == SQLITE_FULL:
        return FullError(path)
    if code in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN):
        return ReadOnlyError(path)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DamagedError(path)
    if code == SQLITE_IOERR:
        free = free_megabytes(path)
        if free == 0:  # less than a megabyte left: the write ran out of room
            return FullError(path)
        return DiskError(path)
    return None


def is_sqlite_error(exc: BaseException) -> bool:
    """A failure raised by SQLite (directly, or wrapped by peewee)."""
    return isinstance(exc, sqlite3.Error) or error_code(exc) is not None


def raise_sqlite_error(exc: BaseException, path: Path | None = None) -> None:
    """Raise the worded error for ``exc`` from it, if it is one of the expected kinds."""
    mapped = map_error(exc, path)
    if mapped is None or mapped is exc:
        return
    if mapped.__traceback__ is not None:  # already raised once, deeper in the chain
        raise mapped
    raise mapped from exc
