"""Persistence: peewee records on one SQLite file (or a team PostgreSQL database),
migrations and repositories (no Qt)."""

from __future__ import annotations

from pathlib import Path

from peewee import Database

from journey_desktop.paths import database_path
from journey_desktop.store.db import connect, database, proxy, read_schema_version
from journey_desktop.store.migrations import (
    SCHEMA_VERSION,
    check_version,
    migrate,
    migrate_postgres,
)
from journey_desktop.store.postgres import (
    TeamDatabaseError,
    check_upgrade_allowed,
    connect_postgres,
    role_may_write,
    stored_version,
)


def open_store(data_dir: Path, *, check_pages: bool = False, url: str | None = None) -> Database:
    """Open (creating if needed) the data folder's database, migrated to the current schema;
    with ``url``, the team database it names (SPEC §14) instead.

    Raises ``DatabaseOpenError`` for a corrupt or newer file, which is left untouched, and a
    ``StoreError`` when the file is fine but cannot be used here (read-only, disk full).
    ``check_pages`` reads every page first (about a second per 300 MB), so that the window
    can offer a fresh database at once; otherwise the first write checks them.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    if url is not None:
        team = connect_postgres(url)
        proxy.initialize(team)
        try:
            migrate_postgres(team)
            team.read_only = not role_may_write(team)
        except BaseException:
            team.close()
            raise
        return team
    path = database_path(data_dir)
    current = read_schema_version(path, check_pages=check_pages)
    check_version(path, current)
    db = connect(path, checked=check_pages)
    proxy.initialize(db)
    migrate(db, path, current)
    return db


def store_is_read_only() -> bool:
    """Whether the open database may only be read: a team database whose role has no right
    to change the app's tables (SPEC §14). The local file is never read-only here (a file
    that cannot be written is refused with ``ReadOnlyError`` when written)."""
    return bool(getattr(proxy.obj, "read_only", False))


def close_store() -> None:
    if proxy.obj is not None and not database.is_closed():
        database.close()


def try_team_database(url: str) -> str:
    """Connect to a team database, look and disconnect, changing nothing: one line on what
    was found (the window's Test connection). Raises the worded error when it cannot be
    used: unreachable, refused, missing, someone else's tables, a newer schema."""
    team = connect_postgres(url)
    try:
        version = stored_version(team)
        if version > SCHEMA_VERSION:
            raise TeamDatabaseError(
                f"team database {team.where}: it was made by a newer Journey Desktop (schema "
                f"{version}, this version knows up to {SCHEMA_VERSION})")
        if 0 < version < SCHEMA_VERSION:
            check_upgrade_allowed(team, version)
        may_write = role_may_write(team)
    finally:
        team.close()
    found = ("an empty database: the journey tables will be created" if version == 0
             else f"schema {version}")
    rights = "you may change the data" if may_write else "read-only for your role"
    return f"Connected to {team.where}: {found}; {rights}."
