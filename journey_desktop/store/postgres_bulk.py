"""PostgreSQL's bulk writes for the imports (SPEC §14): the team database's side of
``sqlite_bulk``, with the same classes and functions, chosen by ``store.dialect.bulk``.

Each import loads the file's rows, batch by batch, into a TEMP staging table with ``COPY
… FROM STDIN`` (no statement per row, no WAL for a temporary table), and merges them
set-based with ``INSERT … SELECT … ON CONFLICT … DO UPDATE`` (the audience import: every
``MERGE_ROWS`` rows as they come, while the next are read; the events: once, in file
order), all in the caller's one transaction: a cancel, an error or a lost connection
leaves nothing written. The staging tables are dropped at the end of the transaction
(``ON COMMIT DROP``; a rollback drops them too).

An ``ON CONFLICT DO UPDATE`` may not touch a row twice in one statement, so the staged
rows are first made one per ID, merged in file order as SQLite's row-by-row upsert merges
them: the last row of an ID wins, field by field, the fields in the order they came.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from journey_desktop.domain.audience_csv import CustomerBatch
from journey_desktop.domain.event_values import MESSAGE_KEY_PREFIX
from journey_desktop.domain.events_file import EventBatch
from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.domain.lifecycle import ACTIVE
from journey_desktop.store.db import database, proxy
from journey_desktop.store.postgres import PostgresStore, TeamConnection
from journey_desktop.store.records import EventRecord, MemberRecord, ProfileRecord
from journey_desktop.store.sqlite_bulk import (
    UpsertCounts,
    count_held,
    is_busy_error,
    next_import_id,
    profiles_written,
)

__all__ = [
    "CustomerUpsert", "EventInsert", "UpsertCounts", "copy_rows", "count_missing",
    "is_busy_error", "next_import_id", "profiles_written", "team_connection",
    "write_transaction",
]

_PROFILE = ProfileRecord._meta.table_name
_MEMBER = MemberRecord._meta.table_name
_EVENT = EventRecord._meta.table_name
_CUSTOMERS_IN = "audience_in"  # the file's rows, in file order (line)
_EVENTS_IN = "event_in"
_IDS = "audience_import_ids"
# Rows staged before they are merged: batches of the reader's size (10,000 rows) staged
# together, so the merges, and the TRUNCATE of the staging table after each, come fewer.
MERGE_ROWS = 50_000
# A field merge as SQLite's json_patch does it for the flat objects profiles hold: the
# fields kept in their order, a new value in place of the old, new fields after them, a
# field given as null removed (``json``, not ``jsonb``, which would sort the fields; the
# customers window and ``customers show`` list them in the order they came).
MERGED_FIELDS = (
    "(SELECT coalesce(json_object_agg(m.key, m.value ORDER BY m.added, m.pos),"
    " json_build_object())::text"
    " FROM (SELECT o.key, coalesce(n.value, o.value) AS value, n.key IS NOT NULL AS patched,"
    " false AS added, o.pos"
    " FROM json_each({0}.fields::json) WITH ORDINALITY AS o(key, value, pos)"
    " LEFT JOIN json_each({1}.fields::json) AS n ON n.key = o.key"
    " UNION ALL SELECT n.key, n.value, true, true, n.pos"
    " FROM json_each({1}.fields::json) WITH ORDINALITY AS n(key, value, pos)"
    " WHERE NOT EXISTS (SELECT 1 FROM json_each({0}.fields::json) AS o WHERE o.key = n.key)"
    ") AS m WHERE NOT (m.patched AND json_typeof(m.value) = 'null'))"
)
# A staged batch whose IDs repeat, one row per ID: its fields merged over its rows in file
# order, each in the place it first came, with the last value given (a row with no fields
# still gives its ID).
_REPEATS_MERGED = (
    "(SELECT external_id, coalesce(json_object_agg(key, value ORDER BY line, pos)"
    " FILTER (WHERE key IS NOT NULL), json_build_object())::text AS fields"
    " FROM (SELECT DISTINCT ON (s.external_id, f.key) s.external_id, f.key, s.line, f.pos,"
    " last_value(f.value) OVER (PARTITION BY s.external_id, f.key ORDER BY s.line, f.pos"
    " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS value"
    f" FROM {_CUSTOMERS_IN} s"
    " LEFT JOIN LATERAL json_each(s.fields::json) WITH ORDINALITY AS f(key, value, pos) ON true"
    " ORDER BY s.external_id, f.key, s.line, f.pos) AS k"
    " GROUP BY external_id) AS r")

# The members a staged batch whose IDs repeat names: its IDs, once each.
_IDS_ONCE = f"(SELECT DISTINCT external_id FROM {_CUSTOMERS_IN}) AS r"


def _db() -> PostgresStore:
    db = proxy.obj
    assert isinstance(db, PostgresStore), "postgres_bulk on a SQLite store"
    return db


def team_connection() -> TeamConnection:
    """The portable connection (``execute`` with ``?`` placeholders) on the team database."""
    return TeamConnection(_db())


@contextmanager
def write_transaction() -> Iterator[None]:
    """One transaction; rows lock as they are written, so nothing is taken up front.
    Failures of the raw cursor (``COPY``) are worded as the store's other errors are."""
    db = _db()
    with database.atomic():
        try:
            yield
        except Exception as exc:
            db._raise_mapped(exc)
            raise


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``rows`` into ``table`` with one ``COPY … FROM STDIN`` (psycopg's text format)."""
    db = _db()
    cursor = db.cursor()
    try:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    except Exception as exc:
        db._raise_mapped(exc)
        raise


class CustomerUpsert:
    """``sqlite_bulk.CustomerUpsert`` on the team database: each batch is staged with
    ``COPY``, and every ``MERGE_ROWS`` rows the staged rows are merged at once into the
    profiles (and the journey's members), so the server merges while the next batches are
    read; ``finish`` merges the rest and counts.

    Merge after merge, upserts merge as SQLite's row-by-row upsert does; within a merge an
    ID given on several rows is first made one row, its fields merged in file order (a
    later row's value wins; a field a later row leaves out keeps the earlier value)."""

    def __init__(self, journey_id: int | None, now: int, *, due: bool) -> None:
        self._conn = team_connection()
        self._journey_id = None if journey_id is None else int(journey_id)
        self._now = int(now)
        self.import_id = next_import_id(self._conn)
        profiles_written(self._conn, self.import_id)
        self.written = 0
        self._before = self._held()
        self._conn.execute(
            f"CREATE TEMP TABLE {_CUSTOMERS_IN} (line BIGINT NOT NULL, external_id TEXT NOT"
            " NULL, fields TEXT NOT NULL) ON COMMIT DROP")
        self._profiles = (
            f"INSERT INTO {_PROFILE} AS p (external_id, fields, created_at, updated_at,"
            f" import_id) SELECT external_id, fields, {self._now}, {self._now},"
            f" {self.import_id} FROM {{}} ON CONFLICT (external_id) DO UPDATE SET"
            f" fields = {MERGED_FIELDS.format('p', 'excluded')},"
            " updated_at = excluded.updated_at, import_id = excluded.import_id")
        next_check = str(self._now) if due else "NULL"
        self._new_members = "" if self._journey_id is None else (
            f"INSERT INTO {_MEMBER} (journey_id, external_id, entries, first_check_at,"
            f" next_check_at, imported_at, import_id) SELECT {self._journey_id}, external_id,"
            f" 0, NULL, {next_check}::bigint, {self._now}, {self.import_id} FROM {{}}")
        self._members = self._new_members and (
            f"{self._new_members} ON CONFLICT (journey_id, external_id) DO UPDATE SET"
            " imported_at = excluded.imported_at, import_id = excluded.import_id")
        # A draft with no members yet, under the journey's lock (``membership.audience_lock``,
        # taken by the caller), gets members from this import alone: a batch none of whose
        # IDs came earlier in the file is inserted without ``ON CONFLICT`` (no speculative
        # insertion: a third fewer WAL records a row). The IDs seen are kept as hashes; a
        # batch with a hash seen before takes the upsert, which is right in every case.
        self._seen: set[int] | None = (
            set() if self._journey_id is not None and not due and self._before == 0 else None)
        self._staged = 0
        self._staged_ids: set[int] = set()  # hashes of the staged rows' IDs

    def __enter__(self) -> CustomerUpsert:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _held(self) -> int:
        return count_held(self._conn, self._journey_id)

    def write(self, batch: CustomerBatch) -> None:
        """Upsert a batch of customers, in order (the last row of an ID wins): staged at
        once, merged with the batches staged before it once they make ``MERGE_ROWS``."""
        ids = batch.ids
        if not ids:
            return
        first = self.written
        copy_rows(_CUSTOMERS_IN, ("line", "external_id", "fields"),
                  zip(range(first, first + len(ids)), ids, batch.fields, strict=False))
        self._staged += len(ids)
        self._staged_ids.update(map(hash, ids))
        self.written += len(ids)
        if self._staged >= MERGE_ROWS:
            self._merge()

    def _merge(self) -> None:
        """Merge the staged rows into the profiles and the journey's members."""
        if not self._staged:
            return
        distinct = len(self._staged_ids) == self._staged
        self._conn.execute(self._profiles.format(_CUSTOMERS_IN if distinct else _REPEATS_MERGED))
        if self._members:
            source = _CUSTOMERS_IN if distinct else _IDS_ONCE
            if self._seen is not None and self._seen.isdisjoint(self._staged_ids):
                self._conn.execute(self._new_members.format(source))
            else:
                self._conn.execute(self._members.format(source))
            if self._seen is not None:
                self._seen |= self._staged_ids
        self._conn.execute(f"TRUNCATE {_CUSTOMERS_IN}")
        self._staged = 0
        self._staged_ids = set()

    def finish(self, *, replace: bool) -> UpsertCounts:
        """Count, and with ``replace`` remove the members the file did not name."""
        self._merge()
        return self._counts(replace=replace)

    def _counts(self, *, replace: bool) -> UpsertCounts:
        named = "coalesce(sum(CASE WHEN import_id = ? THEN 1 ELSE 0 END), 0)"
        if self._journey_id is None:
            held, distinct = self._conn.execute(
                f"SELECT count(*), {named} FROM {_PROFILE}", (self.import_id,)).fetchone()
        else:
            held, distinct = self._conn.execute(
                f"SELECT count(*), {named} FROM {_MEMBER} WHERE journey_id = ?",
                (self.import_id, self._journey_id)).fetchone()
        added = int(held) - self._before
        removed = 0
        if replace and self._journey_id is not None:
            removed = self._conn.execute(
                f"DELETE FROM {_MEMBER} WHERE journey_id = ?"
                " AND import_id IS DISTINCT FROM ?",
                (self._journey_id, self.import_id)).rowcount
        self._join_everyone_journeys()
        return UpsertCounts(written=self.written, added=added, updated=int(distinct) - added,
                            removed=removed)

    def _join_everyone_journeys(self) -> None:
        """As ``sqlite_bulk``: the import's profiles join every active journey for everyone."""
        journeys = [jid for (jid,) in self._conn.execute(
            "SELECT id FROM journey WHERE status = ? AND audience = ?", (ACTIVE, AUDIENCE_ALL))]
        for jid in journeys:
            self._conn.execute(
                f"INSERT INTO {_MEMBER} (journey_id, external_id, entries, first_check_at,"
                " next_check_at, imported_at) SELECT ?, external_id, 0, NULL, ?, ?"
                f" FROM {_PROFILE} WHERE import_id = ? ON CONFLICT DO NOTHING",
                (jid, self._now, self._now, self.import_id))

    def close(self) -> None:
        """Nothing to release: the staging tables go with the transaction."""


def count_missing(journey_id: int, id_batches: Iterable[list[str]]) -> int:
    """How many of the journey's customers have an ID that is not among ``id_batches``;
    the IDs are staged in a TEMP table in a transaction of their own, which writes nothing
    else."""
    conn = team_connection()
    with database.atomic():
        conn.execute(f"CREATE TEMP TABLE {_IDS} (external_id TEXT) ON COMMIT DROP")
        for batch in id_batches:
            copy_rows(_IDS, ("external_id",), zip(batch))
        (missing,) = conn.execute(
            f"SELECT count(*) FROM {_MEMBER} m WHERE journey_id = ? AND NOT EXISTS"
            f" (SELECT 1 FROM {_IDS} i WHERE i.external_id = m.external_id)",
            (int(journey_id),)).fetchone()
    return int(missing)


class EventInsert:
    """``sqlite_bulk.EventInsert`` on the team database: ``write`` stages the events,
    ``finish`` inserts them in file order (their seq), each stored once (``ON CONFLICT
    (event_key) DO NOTHING`` keeps the first of a key, stored or earlier in the file)."""

    _HEAD = (f"INSERT INTO {_EVENT} (event_key, external_id, name, occurred_at, properties,"
             " imported_at, import_id")

    def __init__(self, now: int, import_id: int) -> None:
        self._conn = team_connection()
        self._now = int(now)
        self._import_id = int(import_id)
        self._staged = 0
        self.written = 0
        self.added = 0

    def write(self, batch: EventBatch) -> None:
        """Stage a batch's events in file order."""
        if not self.written:
            self._conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_EVENTS_IN} (line BIGINT NOT NULL,"
                " event_key TEXT NOT NULL, external_id TEXT NOT NULL, name TEXT NOT NULL,"
                " occurred_at BIGINT NOT NULL, properties TEXT NOT NULL) ON COMMIT DROP")
        first = self.written
        copy_rows(_EVENTS_IN, ("line", "event_key", "external_id", "name", "occurred_at",
                               "properties"),
                  zip(range(first, first + len(batch)), batch.keys, batch.ids, batch.names,
                      batch.times, batch.properties, strict=False))
        self.written += len(batch)
        self._staged += len(batch)

    def insert_select(self, *, message_id: str, external_id: str, name: str,
                      occurred_at: str, properties: str, source: str,
                      params: Sequence[Any] = (), rows: int,
                      ladder_from: str = "NULL") -> None:
        """As ``sqlite_bulk.EventInsert.insert_select``, in PostgreSQL's SQL."""
        self.added += self._conn.execute(
            f"{self._HEAD}, ladder_from) SELECT '{MESSAGE_KEY_PREFIX}' || ({message_id}),"
            f" {external_id}, {name}, {occurred_at}, {properties}, {self._now},"
            f" {self._import_id}, {ladder_from} {source}"
            " ON CONFLICT (event_key) DO NOTHING", params).rowcount
        self.written += rows

    def worth_deferring(self, remaining: int) -> bool:
        """Never: the staged events go in with one statement, which keeps up the indexes."""
        return False

    def defer_indexes(self) -> None:
        """Nothing to defer (see ``worth_deferring``)."""

    def finish(self) -> None:
        """Insert the staged events, in file order."""
        if not self._staged:
            return
        self.added += self._conn.execute(
            f"{self._HEAD}) SELECT event_key, external_id, name, occurred_at, properties,"
            f" ?, ? FROM {_EVENTS_IN} ORDER BY line ON CONFLICT (event_key) DO NOTHING",
            (self._now, self._import_id)).rowcount
        self._conn.execute(f"TRUNCATE {_EVENTS_IN}")
        self._staged = 0
