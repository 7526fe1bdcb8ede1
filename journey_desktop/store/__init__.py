"""Persistence: peewee records on one SQLite file, migrations and repositories (no Qt)."""

from __future__ import annotations

from pathlib import Path

from peewee import Database

from journey_desktop.paths import database_path
from journey_desktop.store.db import connect, database, read_schema_version
from journey_desktop.store.migrations import check_version, migrate


def open_store(data_dir: Path) -> Database:
    """Open (creating if needed) the data folder's database, migrated to the current schema.

    Raises ``DatabaseOpenError`` for a corrupt or newer file, which is left untouched.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = database_path(data_dir)
    current = read_schema_version(path)
    check_version(path, current)
    db = connect(path)
    database.initialize(db)
    migrate(db, path, current)
    return db


def close_store() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()
