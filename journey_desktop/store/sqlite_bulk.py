"""SQLite-specific bulk writes for the audience import, on the raw sqlite3 connection.

Everything SQLite-only (IMMEDIATE transactions, multi-row upserts with ON CONFLICT, TEMP
tables and triggers) lives here, so that the rest of the store stays plain peewee and a
PostgreSQL port replaces this one module (COPY into a staging table, then the same steps).

Why not peewee's ``insert_many``: it builds each statement in Python and is about six times
slower than ``executemany`` on the same rows. Why multi-row VALUES: a statement step per row
is most of the cost of ``executemany``; hundreds of rows per step halve the import time, and
each step then runs long enough without the interpreter lock for the file to be read beside
it. Why 2000 rows: preparing the statement grows faster than its rows (5 ms for 500 rows,
270 ms for 5000), and 1000 to 2000 rows gave the fastest imports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from journey_desktop.domain.audience_csv import CustomerBatch
from journey_desktop.store.db import database
from journey_desktop.store.records import CustomerRecord

ROWS_PER_STATEMENT = 2000

_TABLE = CustomerRecord._meta.table_name
_ID = CustomerRecord.id.column_name
_JOURNEY = CustomerRecord.journey.column_name
_EXTERNAL_ID = CustomerRecord.external_id.column_name
_FIELDS = CustomerRecord.fields.column_name
_ENTRIES = CustomerRecord.entries.column_name
_FIRST_CHECK = CustomerRecord.first_check_at.column_name
_NEXT_CHECK = CustomerRecord.next_check_at.column_name
_IMPORTED = CustomerRecord.imported_at.column_name

_TOUCHED = "audience_import_touched"
_TRIGGER = "audience_import_touched_trigger"
_IDS = "audience_import_ids"


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that takes the write lock at once (waiting up to the busy timeout),
    with foreign key checks off for its duration.

    IMMEDIATE: a deferred transaction could read a snapshot and then fail to upgrade it,
    without waiting, when the evaluator committed in between. Foreign keys: the caller
    checks the journey exists inside the transaction, and the write lock keeps it there,
    so the per-row parent lookups only cost time (over a third of a million-row import).
    The pragma cannot change inside a transaction, hence before BEGIN and after COMMIT.
    """
    conn = _connection()
    (enforced,) = conn.execute("PRAGMA foreign_keys").fetchone()
    if enforced:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with database.atomic("IMMEDIATE"):
            yield
    finally:
        if enforced:
            conn.execute("PRAGMA foreign_keys = ON")


def is_busy_error(exc: BaseException) -> bool:
    """True for "database is locked"/"busy": another process holds the write lock."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _connection() -> sqlite3.Connection:
    conn: sqlite3.Connection = database.connection()
    return conn


@dataclass
class UpsertCounts:
    written: int  # rows handed to the upsert, duplicates included
    added: int
    updated: int  # distinct customers that existed before the import
    removed: int  # replace mode: customers that were not in the file

    @property
    def duplicates(self) -> int:
        return self.written - self.added - self.updated


class CustomerUpsert:
    """Upserts one journey's customers inside the caller's transaction.

    New customers get ``entries = 0``, no first check and, with ``due``, ``next_check_at =
    now`` (due at the next tick; a draft's customers get theirs when it is activated, and
    stay out of the due index until then); existing ones only get new ``fields`` and
    ``imported_at``. Within the file the
    last row of an ID wins. Counts come from SQL: rows past the highest id before the import
    are added; a TEMP trigger records which existing rows were updated.
    """

    def __init__(self, journey_id: int, now: int, *, due: bool) -> None:
        self._conn = _connection()
        self._journey_id = int(journey_id)
        self._now = int(now)
        self._next_check = str(self._now) if due else "NULL"
        self.written = 0
        (self._max_id,) = self._conn.execute(f"SELECT COALESCE(MAX({_ID}), 0) FROM {_TABLE}").fetchone()
        self._had_customers = (
            self._conn.execute(
                f"SELECT 1 FROM {_TABLE} WHERE {_JOURNEY} = ? LIMIT 1", (self._journey_id,)
            ).fetchone()
            is not None
        )
        head = (
            f"INSERT INTO {_TABLE} ({_JOURNEY}, {_EXTERNAL_ID}, {_FIELDS}, {_ENTRIES}, "
            f"{_FIRST_CHECK}, {_NEXT_CHECK}, {_IMPORTED}) VALUES "
        )
        tail = (
            f" ON CONFLICT ({_JOURNEY}, {_EXTERNAL_ID}) DO UPDATE SET "
            f"{_FIELDS} = excluded.{_FIELDS}, {_IMPORTED} = excluded.{_IMPORTED}"
        )
        # Numbered parameters: a statement of k rows binds its k IDs, then their k fields.
        limit = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._k = k = max(1, min(ROWS_PER_STATEMENT, limit // 2))
        self._single = head + self._row(1, 2) + tail
        self._multi = head + ", ".join(self._row(i, k + i) for i in range(1, k + 1)) + tail
        if self._had_customers:
            self._conn.execute(f"CREATE TEMP TABLE {_TOUCHED} (id INTEGER PRIMARY KEY)")
            # Not INSERT OR IGNORE: inside a trigger, the conflict policy of the upsert that
            # fires it (ABORT) overrides the trigger's own, so a customer updated twice (an
            # ID twice in the file) would fail the import on the TEMP table's key.
            self._conn.execute(
                f"CREATE TEMP TRIGGER {_TRIGGER} AFTER UPDATE OF {_FIELDS} ON {_TABLE} "
                f"WHEN old.{_JOURNEY} = {self._journey_id} AND old.{_ID} <= {int(self._max_id)} "
                f"AND NOT EXISTS (SELECT 1 FROM {_TOUCHED} WHERE id = old.{_ID}) "
                f"BEGIN INSERT INTO {_TOUCHED} (id) VALUES (old.{_ID}); END"
            )

    def __enter__(self) -> CustomerUpsert:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _row(self, external_id: int, fields: int) -> str:
        return (
            f"({self._journey_id}, ?{external_id}, ?{fields}, 0, NULL, {self._next_check}, "
            f"{self._now})"
        )

    def write(self, batch: CustomerBatch) -> None:
        """Upsert a batch of customers, in order (the last row of an ID wins)."""
        ids, fields, k = batch.ids, batch.fields, self._k
        whole = len(ids) - len(ids) % k
        if whole:
            self._conn.executemany(
                self._multi, [ids[i : i + k] + fields[i : i + k] for i in range(0, whole, k)]
            )
        if whole < len(ids):
            self._conn.executemany(self._single, zip(ids[whole:], fields[whole:], strict=True))
        self.written += len(ids)

    def finish(self, *, replace: bool) -> UpsertCounts:
        """Counts of the import; with ``replace``, first delete customers not in the file."""
        (added,) = self._conn.execute(
            f"SELECT COUNT(*) FROM {_TABLE} WHERE {_ID} > ? AND {_JOURNEY} = ?",
            (self._max_id, self._journey_id),
        ).fetchone()
        updated = removed = 0
        if self._had_customers:
            (updated,) = self._conn.execute(f"SELECT COUNT(*) FROM {_TOUCHED}").fetchone()
            if replace:
                removed = self._conn.execute(
                    f"DELETE FROM {_TABLE} WHERE {_JOURNEY} = ? AND {_ID} <= ? "
                    f"AND {_ID} NOT IN (SELECT id FROM {_TOUCHED})",
                    (self._journey_id, self._max_id),
                ).rowcount
        return UpsertCounts(written=self.written, added=added, updated=updated, removed=removed)

    def close(self) -> None:
        """Drop the TEMP trigger and table (a rollback would drop them too)."""
        if self._had_customers:
            self._conn.execute(f"DROP TRIGGER IF EXISTS temp.{_TRIGGER}")
            self._conn.execute(f"DROP TABLE IF EXISTS temp.{_TOUCHED}")
            self._had_customers = False


def count_missing(journey_id: int, id_batches: Iterable[list[str]]) -> int:
    """How many of the journey's customers have an ID that is not among ``id_batches``.

    Writes only to a TEMP table, so it takes no write lock on the database.
    """
    conn = _connection()
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_IDS} (external_id TEXT PRIMARY KEY) WITHOUT ROWID")
    try:
        conn.execute(f"DELETE FROM {_IDS}")
        for batch in id_batches:
            conn.executemany(f"INSERT OR IGNORE INTO {_IDS} (external_id) VALUES (?)", zip(batch))
        (missing,) = conn.execute(
            f"SELECT COUNT(*) FROM {_TABLE} WHERE {_JOURNEY} = ? "
            f"AND {_EXTERNAL_ID} NOT IN (SELECT external_id FROM {_IDS})",
            (int(journey_id),),
        ).fetchone()
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{_IDS}")
    return int(missing)
