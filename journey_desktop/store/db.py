"""Opening the one SQLite file: pragmas, and refusing files we must not touch (SPEC §10)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from peewee import Database, DatabaseProxy, SqliteDatabase

from journey_desktop.store.errors import (
    BUSY_TIMEOUT_SECONDS,
    SQLITE_BUSY,
    SQLITE_CORRUPT,
    SQLITE_LOCKED,
    SQLITE_NOTADB,
    DamagedError,
    error_code,
    raise_sqlite_error,
)

proxy = DatabaseProxy()
# Everything but ``open_store`` uses the proxy as the Database it forwards every call to.
database = cast(Database, proxy)
log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
    "cache_size": -32000,
}


class DatabaseOpenError(Exception):
    """A database that is refused and left exactly as it is; the message says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class CorruptDatabaseError(DatabaseOpenError):
    pass


class NewerDatabaseError(DatabaseOpenError):
    pass


def read_schema_version(path: Path, *, check_pages: bool = False) -> int:
    """The stored schema version (0 for a new or empty file), read without writing anything.

    Only a file SQLite calls damaged, or one whose schema version is not ours, is refused as
    corrupt (and may be set aside); a read-only folder or a full disk raises the worded
    store error instead, because the file itself is fine.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise CorruptDatabaseError(path, "this is not a Journey Desktop database (not SQLite)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            damage = quick_check(conn) if check_pages else None
            if damage is not None:
                raise CorruptDatabaseError(path, f"the database file is damaged ({damage})")
            return _stored_version(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if error_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB):
            raise CorruptDatabaseError(path, f"the database file is damaged ({exc})") from None
        raise_sqlite_error(exc, path)
        raise


def _stored_version(conn: sqlite3.Connection, path: Path) -> int:
    """The version in ``schema_version``, refusing a table that this app never writes: no
    rows, missing columns, or a version that is not a whole number from 1 up."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_version" not in tables:
        if tables:
            raise CorruptDatabaseError(path, "this SQLite file was not made by Journey Desktop")
        return 0
    columns = {r[1] for r in conn.execute("PRAGMA table_info(schema_version)")}
    if not {"version", "applied_at"} <= columns:
        raise CorruptDatabaseError(path, "its schema version table is not valid (columns missing)")
    rows = conn.execute(
        "SELECT COUNT(*), MAX(version), "
        "SUM(typeof(version) != 'integer' OR version < 1) FROM schema_version"
    ).fetchone()
    count, highest, bad = rows
    if not count:
        raise CorruptDatabaseError(path, "its schema version table is empty")
    if bad:
        shown = conn.execute(
            "SELECT quote(version) FROM schema_version "
            "WHERE typeof(version) != 'integer' OR version < 1 LIMIT 1"
        ).fetchone()[0]
        raise CorruptDatabaseError(
            path, f"its schema version is not valid ({shown}; expected a whole number from 1)"
        )
    return int(highest)


def set_aside(path: Path, label: str) -> Path:
    """Rename a refused database (and its WAL files) so a fresh one can start beside it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    path.rename(target)
    return target


def connect(path: Path, *, checked: bool = False) -> JourneyDatabase:
    """A peewee database on ``path`` with the project's pragmas (WAL, foreign keys);
    ``checked`` when its pages were just checked, so that writes need not check again."""
    db = JourneyDatabase(path, checked=checked)
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:
        raise_sqlite_error(exc, path)
        raise
    return db


# --- waiting for the write lock, worded errors, no writes to a damaged file ---------------

_busy_listeners: list[Callable[[], None]] = []


def add_busy_listener(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` (on the writing thread) whenever a write starts waiting for the
    lock another connection holds; returns the function that removes it again."""
    _busy_listeners.append(listener)
    return lambda: _busy_listeners.remove(listener)


def quick_check(conn: sqlite3.Connection) -> str | None:
    """What SQLite's quick check finds wrong with the file's pages, or None when it is sound.

    The check reads every page (about a second per 300 MB) and is read-only."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        if error_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB):
            return str(exc)
        raise
    if problems == ["ok"]:
        return None
    lines = [line for p in problems for line in p.splitlines() if not line.startswith("***")]
    return "; ".join(lines)


class JourneyDatabase(SqliteDatabase):
    """SQLite with the rules of SPEC §10: errors in words (``store.errors``), write
    transactions that wait for the lock instead of failing at once, and no write to a file
    whose pages are damaged (checked once, before the first write)."""

    def __init__(self, path: Path, *, checked: bool = False) -> None:
        super().__init__(
            str(path), pragmas=PRAGMAS, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS
        )
        self.path = path
        self._check_lock = threading.Lock()
        self._damage: str | None = None
        self._sound = checked

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)
        except Exception as exc:
            raise_sqlite_error(exc, self.path)
            raise

    def begin(self, lock_type: str | None = None) -> None:
        """BEGIN; a write transaction (IMMEDIATE) first checks the file once, then takes the
        lock, telling the busy listeners when it has to wait for it."""
        try:
            if lock_type in ("IMMEDIATE", "EXCLUSIVE"):
                self.check_before_writing()
                self._begin_write(lock_type)
            else:
                super().begin(lock_type)
        except Exception as exc:
            raise_sqlite_error(exc, self.path)
            raise

    def commit(self) -> None:
        try:
            super().commit()
        except Exception as exc:
            raise_sqlite_error(exc, self.path)
            raise

    def rollback(self) -> None:
        """ROLLBACK, unless SQLite already rolled back (a full disk, an I/O error): then a
        second "cannot rollback" error would hide the real one."""
        if not self.is_closed() and not self.connection().in_transaction:
            return
        super().rollback()

    def check_before_writing(self) -> None:
        """Refuse to write to a damaged file: quick-check it before the first write."""
        with self._check_lock:
            if not self._sound and self._damage is None:
                self._damage = quick_check(self.connection())
                self._sound = self._damage is None
                if self._damage is not None:
                    log.error("database %s is damaged: %s", self.path, self._damage)
        if self._damage is not None:
            raise DamagedError(self.path, "SQLite's check found damaged pages")

    def _begin_write(self, lock_type: str) -> None:
        conn = self.connection()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute(f"BEGIN {lock_type}")
            return
        except sqlite3.OperationalError as exc:
            if error_code(exc) not in (SQLITE_BUSY, SQLITE_LOCKED):
                raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        log.info("database busy: waiting up to %d s for the write lock", BUSY_TIMEOUT_SECONDS)
        for listener in list(_busy_listeners):
            listener()
        conn.execute(f"BEGIN {lock_type}")

