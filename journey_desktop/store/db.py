"""Opening the one SQLite file: pragmas, and refusing files we must not touch (SPEC §10)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

database = DatabaseProxy()

SQLITE_HEADER = b"SQLite format 3\x00"
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 10000,
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


def read_schema_version(path: Path) -> int:
    """The stored schema version (0 for a new or empty file), read without writing anything."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise CorruptDatabaseError(path, "this is not a Journey Desktop database (not SQLite)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "schema_version" not in tables:
                if tables:
                    raise CorruptDatabaseError(
                        path, "this SQLite file was not made by Journey Desktop"
                    )
                return 0
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            return int(row[0] or 0)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabaseError(path, f"the database file is damaged ({exc})") from None


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


def connect(path: Path) -> SqliteDatabase:
    """A peewee database on ``path`` with the project's pragmas (WAL, foreign keys)."""
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, timeout=10)
    db.connect(reuse_if_open=True)
    return db
