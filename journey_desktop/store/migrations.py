"""Schema versions: a new file gets the current schema; an older one is copied aside and
upgraded by ordered, atomic steps."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from peewee import Database

from journey_desktop.store.db import NewerDatabaseError
from journey_desktop.store.records import ALL_RECORDS, SchemaVersionRecord
from journey_desktop.store.sqlite_sql import write_transaction

SCHEMA_VERSION = 2


def _v2_customer_indexes(db: Database) -> None:
    """Customers: drop the index on journey_id alone (the unique (journey_id, external_id)
    index serves the same lookups), and index next_check_at only where it is set."""
    db.execute_sql('DROP INDEX IF EXISTS "customer_journey_id"')
    db.execute_sql('DROP INDEX IF EXISTS "customer_journey_id_next_check_at"')
    db.execute_sql(
        'CREATE INDEX "customer_journey_id_next_check_at" ON "customer" '
        '("journey_id", "next_check_at") WHERE ("next_check_at" IS NOT NULL)'
    )


# Step N upgrades a database at version N-1 to version N. A step must only use SQL or
# frozen table definitions, never the current records, which describe the newest schema.
MIGRATIONS: dict[int, Callable[[Database], None]] = {2: _v2_customer_indexes}


def backup_path(db_path: Path, version: int) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return db_path.with_name(f"{db_path.name}.v{version}-{stamp}.bak")


def copy_aside(db_path: Path, version: int) -> Path:
    """A consistent copy of the database (WAL included) before it is changed."""
    target = backup_path(db_path, version)
    source = sqlite3.connect(str(db_path))
    try:
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def check_version(db_path: Path, current: int) -> None:
    """Refuse a file from a newer version before anything connects to it."""
    if current > SCHEMA_VERSION:
        raise NewerDatabaseError(
            db_path,
            f"this database was made by a newer Journey Desktop (schema {current}, "
            f"this version knows up to {SCHEMA_VERSION})",
        )


def migrate(db: Database, db_path: Path | None, current: int) -> Path | None:
    """Bring the database from ``current`` to SCHEMA_VERSION; returns the backup made, if any."""
    if current == SCHEMA_VERSION:
        return None
    now = int(time.time())
    if current == 0:
        with write_transaction(db):
            db.create_tables(ALL_RECORDS)
            SchemaVersionRecord.insert(version=SCHEMA_VERSION, applied_at=now).execute()
        return None
    backup = copy_aside(db_path, current) if db_path is not None else None
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with write_transaction(db):
            MIGRATIONS[version](db)
            SchemaVersionRecord.insert(version=version, applied_at=now).execute()
    return backup
