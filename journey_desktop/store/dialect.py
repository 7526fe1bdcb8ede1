"""Which dialect the open store speaks: the one place that chooses between
``store/sqlite_sql.py`` and ``store/postgres_sql.py`` for the reads' SQL, and between
``store/sqlite_bulk.py`` and ``store/postgres_bulk.py`` for the imports' bulk writes (both
offer the same names: ``write_transaction``, ``CustomerUpsert``, ``count_missing``,
``EventInsert``, ``next_import_id``, ``is_busy_error``), and between
``store/sqlite_browse_sql.py`` and ``store/postgres_browse_sql.py`` for what the window
browses; callers are written once."""

from __future__ import annotations

from types import ModuleType

from journey_desktop.store import (
    postgres_browse_sql,
    postgres_sql,
    sqlite_browse_sql,
    sqlite_sql,
)
from journey_desktop.store.postgres import on_postgres


def sql(db: object | None = None) -> ModuleType:
    """The SQL module of ``db`` (by default the open store)."""
    return postgres_sql if on_postgres(db) else sqlite_sql


def bulk() -> ModuleType:
    """The bulk-write module of the open store."""
    if on_postgres():
        from journey_desktop.store import postgres_bulk

        return postgres_bulk
    from journey_desktop.store import sqlite_bulk

    return sqlite_bulk


def browse_sql(db: object | None = None) -> ModuleType:
    """The SQL module of what the window browses (event properties, the customer base)."""
    return postgres_browse_sql if on_postgres(db) else sqlite_browse_sql


def lock_writers(db: object, name: str) -> None:
    """Inside a write transaction, exclude every other writer taking the lock ``name``:
    SQLite's write transaction already does; PostgreSQL takes a named lock."""
    if on_postgres(db):
        postgres_sql.lock_writers(db, name)  # type: ignore[arg-type]
