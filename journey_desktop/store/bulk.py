"""The one place where an import picks its dialect's bulk writes: ``sqlite_bulk`` on the
SQLite file, ``postgres_bulk`` on a team database (SPEC §14). Both modules offer the same
names (``write_transaction``, ``CustomerUpsert``, ``count_missing``, ``EventInsert``,
``next_import_id``, ``is_busy_error``), so the imports are written once."""

from __future__ import annotations

from types import ModuleType

from journey_desktop.store.postgres import on_postgres


def dialect() -> ModuleType:
    """The bulk-write module of the open store."""
    if on_postgres():
        from journey_desktop.store import postgres_bulk

        return postgres_bulk
    from journey_desktop.store import sqlite_bulk

    return sqlite_bulk
