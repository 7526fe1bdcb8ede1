"""SQLite-specific bulk writes for the audience import, on the raw sqlite3 connection.

Everything SQLite-only (IMMEDIATE transactions, multi-row upserts with ON CONFLICT, TEMP
tables and triggers) lives here, so that the rest of the store stays plain peewee; a team
database uses ``postgres_bulk`` instead (same names, chosen by ``store.dialect.bulk``).

Why not peewee's ``insert_many``: it builds each statement in Python and is about six times
slower than ``executemany`` on the same rows. Why multi-row VALUES: a statement step per row
is most of the cost of ``executemany``; hundreds of rows per step halve the import time, and
each step then runs long enough without the interpreter lock for the file to be read beside
it. Why 2000 rows: preparing the statement grows faster than its rows (5 ms for 500 rows,
270 ms for 5000: SQLite looks each numbered parameter ``?NNN`` up among those before it),
and 1000 to 2000 rows gave the fastest imports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any

from journey_desktop.domain.audience_csv import CustomerBatch
from journey_desktop.domain.event_values import MESSAGE_KEY_PREFIX
from journey_desktop.domain.events_file import EventBatch
from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.domain.lifecycle import ACTIVE
from journey_desktop.store.db import database
from journey_desktop.store.errors import raise_sqlite_error
from journey_desktop.store.records import EventRecord, MemberRecord, ProfileRecord

ROWS_PER_STATEMENT = 2000
SORT_CACHE_SIZE = -2000  # KB: the page cache while an index is built (``EventInsert.finish``)

_PROFILE = ProfileRecord._meta.table_name
_MEMBER = MemberRecord._meta.table_name
_EVENT = EventRecord._meta.table_name
_IDS = "audience_import_ids"
_LAST_IMPORT = "last_import_id"
_PROFILES_WRITTEN = "profiles_import_id"


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that takes the write lock at once (waiting up to the busy timeout),
    with foreign key checks off for its duration.

    IMMEDIATE: a deferred transaction could read a snapshot and then fail to upgrade it,
    without waiting, when the evaluator committed in between. Foreign keys: the caller
    checks the journey exists inside the transaction, and the write lock keeps it there,
    so the per-row parent lookups only cost time (over a third of a million-row import).
    The pragma cannot change inside a transaction, hence before BEGIN and after COMMIT.
    The bulk writes run on the raw connection: their SQLite errors (busy, full, damaged)
    go through the error map here, as peewee's do in the store.
    """
    conn = _connection()
    (enforced,) = conn.execute("PRAGMA foreign_keys").fetchone()
    if enforced:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with database.atomic("IMMEDIATE"):
            try:
                yield
            except sqlite3.Error as exc:
                raise_sqlite_error(exc)
                raise
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
    added: int  # new members of the journey (new profiles, for a profile import)
    updated: int  # distinct customers that were there before the import
    removed: int  # replace mode: members that were not in the file

    @property
    def duplicates(self) -> int:
        return self.written - self.added - self.updated


def next_import_id(conn: Any) -> int:
    """A number no earlier import had, kept in the settings (inside the caller's transaction).
    Portable SQL: ``conn`` is either database's (``postgres.portable_connection``).

    One statement reads and moves the number: on a team database two imports starting
    together each wait for the other's row, so neither takes the number the other took.
    """
    rows = conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE"
        " SET value = CAST(CAST(setting.value AS INTEGER) + 1 AS TEXT) RETURNING value",
        (_LAST_IMPORT,),
    ).fetchall()
    return int(rows[0][0])


def profiles_written(conn: Any, import_id: int) -> None:
    """Note that import ``import_id`` wrote profiles (the caller's transaction): every
    profile write stamps ``profile.import_id`` with its import's number and notes it here,
    so the exit rules on fields (``evaluator_goals``) know in one read whether a profile
    changed since they last looked, and which. Profiles change through imports only."""
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_PROFILES_WRITTEN, str(int(import_id))),
    )


def profiles_mark(conn: Any) -> int:
    """The number of the last import that wrote profiles; 0 before any."""
    row = conn.execute("SELECT value FROM setting WHERE key = ?",
                       (_PROFILES_WRITTEN,)).fetchone()
    return int(row[0]) if row and str(row[0]).isdigit() else 0


def count_held(conn: Any, journey_id: int | None) -> int:
    """How many members the journey has (profiles the base has, for a profile import), on
    either database's connection."""
    if journey_id is None:
        (count,) = conn.execute(f"SELECT count(*) FROM {_PROFILE}").fetchone()
    else:
        (count,) = conn.execute(
            f"SELECT count(*) FROM {_MEMBER} WHERE journey_id = ?", (journey_id,)
        ).fetchone()
    return int(count)


class CustomerUpsert:
    """Upserts customers inside the caller's transaction: their profiles and, for an
    audience import, their membership of the journey.

    A profile's fields are merged: the file's columns replace those fields, the others are
    kept (SPEC §4). New members get ``entries = 0``, no first check and, with ``due``,
    ``next_check_at = now`` (due at the next tick; a draft's members get theirs when it is
    activated, and stay out of the due index until then); existing ones keep their state.
    Within the file the last row of an ID wins. Every row written carries this import's
    number, so the counts come from SQL: what the journey (or the base) holds now with that
    number, against what it held before.
    """

    def __init__(self, journey_id: int | None, now: int, *, due: bool) -> None:
        self._conn = _connection()
        self._journey_id = None if journey_id is None else int(journey_id)
        self._now = int(now)
        self.import_id = next_import_id(self._conn)
        profiles_written(self._conn, self.import_id)
        self.written = 0
        self._before = self._held()
        limit = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._k = k = max(1, min(ROWS_PER_STATEMENT, limit // 2))
        profile_head = (
            f"INSERT INTO {_PROFILE} (external_id, fields, created_at, updated_at, import_id) "
            "VALUES "
        )
        profile_tail = (
            " ON CONFLICT (external_id) DO UPDATE SET"
            f" fields = json_patch({_PROFILE}.fields, excluded.fields),"
            " updated_at = excluded.updated_at, import_id = excluded.import_id"
        )
        # Numbered parameters: a statement of k rows binds its k IDs, then their k fields.
        self._profile_single = profile_head + self._profile_row(1, 2) + profile_tail
        self._profile_multi = (
            profile_head + ", ".join(self._profile_row(i, k + i) for i in range(1, k + 1))
            + profile_tail
        )
        self._member_single = self._member_multi = ""
        if self._journey_id is not None:
            member_head = (
                f"INSERT INTO {_MEMBER} (journey_id, external_id, entries, first_check_at,"
                " next_check_at, imported_at, import_id) VALUES "
            )
            member_tail = (
                " ON CONFLICT (journey_id, external_id) DO UPDATE SET"
                " imported_at = excluded.imported_at, import_id = excluded.import_id"
            )
            next_check = str(self._now) if due else "NULL"
            # Anonymous parameters: SQLite looks each numbered one up among those before it,
            # so preparing k of them takes time in k squared (15 ms for 2,000, once).
            row = f"({self._journey_id}, ?, 0, NULL, {next_check}, {self._now}, {self.import_id})"
            self._member_single = member_head + row + member_tail
            self._member_multi = member_head + ", ".join([row] * k) + member_tail

    def __enter__(self) -> CustomerUpsert:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _profile_row(self, external_id: int, fields: int) -> str:
        return f"(?{external_id}, ?{fields}, {self._now}, {self._now}, {self.import_id})"

    def _held(self) -> int:
        return count_held(self._conn, self._journey_id)

    def write(self, batch: CustomerBatch) -> None:
        """Upsert a batch of customers, in order (the last row of an ID wins)."""
        ids, fields, k = batch.ids, batch.fields, self._k
        whole = len(ids) - len(ids) % k
        if whole:
            self._conn.executemany(
                self._profile_multi,
                [ids[i : i + k] + fields[i : i + k] for i in range(0, whole, k)],
            )
            if self._member_multi:
                self._conn.executemany(
                    self._member_multi, [ids[i : i + k] for i in range(0, whole, k)]
                )
        if whole < len(ids):
            self._conn.executemany(
                self._profile_single, zip(ids[whole:], fields[whole:], strict=True)
            )
            if self._member_single:
                self._conn.executemany(self._member_single, zip(ids[whole:]))
        self.written += len(ids)

    def finish(self, *, replace: bool) -> UpsertCounts:
        """Counts of the import; with ``replace``, then remove members not in the file.

        One pass over what the import wrote to: how many rows it holds now, and how many
        of them this import named. Into an empty journey (or base) every row was named by
        this import, and the count alone is a quicker pass (it decodes no row)."""
        named = "coalesce(sum(import_id = ?), 0)" if self._before else "count(*)"
        if self._journey_id is None:
            held, distinct = self._conn.execute(
                f"SELECT count(*), {named} FROM {_PROFILE}",
                (self.import_id,) if self._before else (),
            ).fetchone()
        else:
            held, distinct = self._conn.execute(
                f"SELECT count(*), {named} FROM {_MEMBER} WHERE journey_id = ?",
                (self.import_id, self._journey_id) if self._before else (self._journey_id,),
            ).fetchone()
        added = int(held) - self._before
        removed = 0
        if replace and self._journey_id is not None:
            removed = self._conn.execute(
                f"DELETE FROM {_MEMBER} WHERE journey_id = ? AND import_id IS NOT ?",
                (self._journey_id, self.import_id),
            ).rowcount
        self._join_everyone_journeys()
        return UpsertCounts(written=self.written, added=added, updated=int(distinct) - added,
                            removed=removed)

    def _join_everyone_journeys(self) -> None:
        """Profiles named by this import join every active journey whose audience is
        everyone (SPEC §4), due at the next tick; members already there keep their state.
        Without such a journey (the usual case) the profiles are not read again."""
        journeys = [jid for (jid,) in self._conn.execute(
            "SELECT id FROM journey WHERE status = ? AND audience = ?", (ACTIVE, AUDIENCE_ALL))]
        for jid in journeys:
            self._conn.execute(
                f"INSERT INTO {_MEMBER} (journey_id, external_id, entries, first_check_at,"
                f" next_check_at, imported_at) SELECT ?, external_id, 0, NULL, ?, ?"
                f" FROM {_PROFILE} WHERE import_id = ? ON CONFLICT DO NOTHING",
                (jid, self._now, self._now, self.import_id),
            )

    def close(self) -> None:
        """Nothing to release: every write is in the caller's transaction."""


def count_missing(journey_id: int, id_batches: Iterable[list[str]]) -> int:
    """How many of the journey's customers have an ID that is not among ``id_batches``.

    Writes only to a TEMP table, so it takes no write lock on the database.
    """
    conn = _connection()
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_IDS} (external_id TEXT PRIMARY KEY) WITHOUT ROWID"
    )
    try:
        conn.execute(f"DELETE FROM {_IDS}")
        for batch in id_batches:
            conn.executemany(f"INSERT OR IGNORE INTO {_IDS} (external_id) VALUES (?)", zip(batch))
        (missing,) = conn.execute(
            f"SELECT COUNT(*) FROM {_MEMBER} WHERE journey_id = ? "
            f"AND external_id NOT IN (SELECT external_id FROM {_IDS})",
            (int(journey_id),),
        ).fetchone()
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{_IDS}")
    return int(missing)


class ColumnsInsert:
    """An INSERT of rows handed over as columns, ``ROWS_PER_STATEMENT`` rows to a statement
    (fewer when SQLite allows fewer parameters). Parameters are numbered by column (k values
    of the first column, then k of the second, ...), so a statement's values are a few list
    slices joined, with no Python per row. ``constants``: SQL appended to every row.
    """

    def __init__(self, conn: sqlite3.Connection, head: str, columns: int, tail: str = "",
                 constants: str = "") -> None:
        self._conn = conn
        self._columns = columns
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._k = k = max(1, min(ROWS_PER_STATEMENT, limit // columns))

        def row(i: int, rows: int) -> str:
            slots = ", ".join(f"?{i + rows * c}" for c in range(columns))
            return f"({slots}{constants})"

        self._single = head + row(1, 1) + tail
        self._multi = head + ", ".join(row(i, k) for i in range(1, k + 1)) + tail

    def write(self, columns: Sequence[Sequence[Any]]) -> None:
        """Insert the rows, in order; every column as long as the first."""
        assert len(columns) == self._columns
        k, count = self._k, len(columns[0])
        whole = count - count % k
        if whole:
            self._conn.executemany(self._multi, [
                list(chain.from_iterable(column[i : i + k] for column in columns))
                for i in range(0, whole, k)
            ])
        if whole < count:
            self._conn.executemany(self._single, zip(*(c[whole:] for c in columns),
                                                     strict=True))


class EventInsert:
    """Inserts events inside the caller's transaction, in file order (their seq), each
    stored once: ``ON CONFLICT (event_key) DO NOTHING`` keeps the first of a key, from the
    database or earlier in the file, and the connection's change count says how many were
    new. Rows come as columns (``write``) or from a SELECT (``insert_select``, for events
    the database already holds the makings of).

    A large import into a small table first drops the secondary indexes and builds them
    again at the end (``defer_indexes``, ``finish``), in the same transaction: a customer's
    events are spread over the whole file, and entering them one by one in the (external_id,
    ...) index cost three times what sorting them once does (4.4 s against 1.3 s for a
    million events). A cancel or a crash rolls the drop back with everything else.
    """

    COLUMNS = 5
    DEFER_MIN_ROWS = 100_000  # below this, keeping the indexes up is quick anyway
    _HEAD = (f"INSERT INTO {_EVENT} (event_key, external_id, name, occurred_at, properties,"
             " imported_at, import_id) ")
    _TAIL = " ON CONFLICT (event_key) DO NOTHING"

    def __init__(self, now: int, import_id: int) -> None:
        self._conn = _connection()
        last = self._conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (_EVENT,)).fetchone()
        self.stored = int(last[0]) if last else 0  # events ever stored, about
        self._deferred: list[str] = []  # CREATE statements of the dropped indexes
        self._stamp = f", {int(now)}, {int(import_id)}"
        self._rows = ColumnsInsert(self._conn, self._HEAD + "VALUES ", self.COLUMNS,
                                   self._TAIL, self._stamp)
        self.written = 0
        self.added = 0

    def write(self, batch: EventBatch) -> None:
        """Insert a batch's events in order; counts those that were new."""
        before = self._conn.total_changes
        self._rows.write((batch.keys, batch.ids, batch.names, batch.times, batch.properties))
        self.added += self._conn.total_changes - before
        self.written += len(batch)

    def insert_select(self, *, message_id: str, external_id: str, name: str,
                      occurred_at: str, properties: str, source: str,
                      params: Sequence[Any] = (), rows: int,
                      ladder_from: str = "NULL", expected: int | None = None) -> None:
        """Insert, in ``source``'s order, the events a SELECT makes: one SQL expression per
        column (``occurred_at`` in UTC seconds, ``properties`` a JSON text, ``ladder_from``
        a delivery event's step before it) and ``source`` its ``FROM ... WHERE ... [ORDER
        BY ...]`` (a WHERE is needed: ON CONFLICT follows). Each event is keyed by its
        ``message_id`` as ``event_values.event_key`` keys an event with one. ``rows``: how
        many the SELECT gives; ``expected``: how many this call and the later ones will give
        (``rows`` when unsaid), to decide on the indexes."""
        if self.worth_deferring(rows if expected is None else expected):
            self.defer_indexes()
        before = self._conn.total_changes
        head = self._HEAD.replace(" import_id) ", " import_id, ladder_from) ")
        self._conn.execute(
            f"{head}SELECT '{MESSAGE_KEY_PREFIX}' || ({message_id}), {external_id},"
            f" {name}, {occurred_at}, {properties}{self._stamp}, {ladder_from}"
            f" {source}{self._TAIL}", params)
        self.added += self._conn.total_changes - before
        self.written += rows

    def worth_deferring(self, remaining: int) -> bool:
        """Whether rebuilding the indexes beats keeping them up for ``remaining`` more rows:
        building costs about a third per row of what entering one by one does, but over
        every row of the table."""
        if self._deferred or remaining < self.DEFER_MIN_ROWS:
            return False
        return remaining * 2 > self.stored + self.written

    def defer_indexes(self) -> None:
        """Drop the table's indexes but its unique key (which ON CONFLICT needs)."""
        unique = {name for _, name, is_unique, *_ in
                  self._conn.execute(f"PRAGMA index_list({_EVENT})") if is_unique}
        rows = self._conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL", (_EVENT,)).fetchall()
        for name, sql in rows:
            if name not in unique:
                self._conn.execute(f'DROP INDEX "{name}"')
                self._deferred.append(sql)

    def finish(self) -> None:
        """Build again the indexes ``defer_indexes`` dropped.

        With a small page cache: SQLite's sorter keeps as many keys in memory as the cache
        holds pages, and sorting a million keys in one 32 MB run cost more (1.1-1.7 s) than
        sorting them in small runs that fit the processor's caches and merging those
        (0.7-1.1 s). The cache is set back at once."""
        if not self._deferred:
            return
        (cache,) = self._conn.execute("PRAGMA cache_size").fetchone()
        self._conn.execute(f"PRAGMA cache_size = {SORT_CACHE_SIZE}")
        try:
            for sql in self._deferred:
                self._conn.execute(sql)
        finally:
            self._conn.execute(f"PRAGMA cache_size = {int(cache)}")
        self._deferred = []
