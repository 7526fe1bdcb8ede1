"""``db copy FROM TO`` (SPEC §14): a whole database, SQLite or PostgreSQL, into an empty one.

The source is read in one snapshot (a read transaction) and must hold the current schema;
the target gets the current schema and every row in one transaction, so a failure leaves
it as it was (a new SQLite file is removed again). Rows stream in batches, so memory stays
flat whatever the size. Ids continue after the highest copied one on the target
(PostgreSQL sequences, SQLite's ``sqlite_sequence``), so no id is ever given twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import Database, sort_models  # type: ignore[attr-defined]

from journey_desktop.paths import database_path
from journey_desktop.store import db as sqlite_db
from journey_desktop.store import postgres_sql
from journey_desktop.store.migrations import SCHEMA_VERSION
from journey_desktop.store.postgres import (
    PostgresStore,
    connect_postgres,
    create_schema,
    database_url,
    is_database_url,
    stored_version,
)
from journey_desktop.store.records import ALL_RECORDS, AutoIncrementField
from journey_desktop.store.repository import RepositoryError
from journey_desktop.store.team_copy import create_sqlite_schema

BATCH_ROWS = 5000
PROGRESS_EVERY = 50_000  # rows between two progress lines of one table

Progress = Callable[[str], None]


class CopyError(RepositoryError):
    """A copy refused or failed; nothing was written to the target."""


@dataclass(frozen=True)
class Place:
    """One side of a copy: a team database's URL, or a SQLite file."""

    url: str | None = None
    path: Path | None = None

    @classmethod
    def of(cls, text: str) -> Place:
        """A team database's address (``database_url``), a data folder (its
        ``journeys.db``) or a file path."""
        if is_database_url(text):
            return cls(url=database_url(text))
        path = Path(text).expanduser()
        return cls(path=database_path(path) if path.is_dir() else path)

    def __str__(self) -> str:
        if self.url is not None:
            from journey_desktop.store.postgres import describe_url

            return f"team database {describe_url(self.url)}"
        return str(self.path)


def tables() -> list[Any]:
    """Every record in an order where a row's references are copied before it."""
    return sort_models(ALL_RECORDS)


def copy_database(source: Place, target: Place,
                  progress: Progress | None = None) -> dict[str, int]:
    """Copy every table of ``source`` into the empty ``target``; returns the rows per table
    (checked equal on both sides)."""
    say = progress or (lambda _text: None)
    if source == target or (source.path is not None and target.path is not None
                            and source.path.resolve() == target.path.resolve()):
        raise CopyError("the source and the target are the same database")
    with _open_source(source) as reader:
        return _write_target(target, reader, say)


# --- the source -------------------------------------------------------------------------

class _Reader:
    """Rows of the source, in one read snapshot."""

    def __init__(self, db: Database, team: bool, place: Place) -> None:
        self.db = db
        self.team = team
        self.place = place
        self.guessed: list[str] = []  # tables whose last id came from rows, not a sequence

    def count(self, table: str) -> int:
        return int(self.db.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def rows(self, table: str, columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'SELECT {names} FROM "{table}"'
        if self.team:
            cursor = self.db.connection().cursor(name=f"copy_{table}")
            cursor.execute(sql)
        else:
            cursor = self.db.connection().execute(sql)
        try:
            while batch := cursor.fetchmany(BATCH_ROWS):
                yield batch
        finally:
            cursor.close()

    def last_id(self, table: str, column: str) -> int:
        """The highest id the source ever gave in ``table.column`` (still in a row or not).
        A team database's sequence the role may not read (a viewer's) is guessed from the
        rows: the highest id in them or written down elsewhere (``guessed`` names it)."""
        if self.team:
            given = postgres_sql.sequence_value(self.db, table, column)
            if given is None:
                self.guessed.append(table)
                given = max([0, *(self._highest(t, c) for t, c in _NAMED_ELSEWHERE.get(
                    (table, column), ()))])
        else:
            row = self.db.execute_sql(
                "SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
            given = int(row[0]) if row is not None and row[0] is not None else 0
        return max(given, self._highest(table, column))

    def _highest(self, table: str, column: str) -> int:
        return int(self.db.execute_sql(
            f'SELECT max("{column}") FROM "{table}"').fetchone()[0] or 0)


# Columns that keep ids of a sequence after their row may be gone (watermarks, the run or
# event a mark or result names): a guessed sequence starts above them too.
_NAMED_ELSEWHERE: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("run", "id"): (("goal_mark", "run_id"), ("conversion", "run_id")),
    ("event", "seq"): (("event_mark", "seq"), ("event_queue", "seq"), ("goal_mark", "seq"),
                       ("run", "event_seq"), ("run", "matched_seq"),
                       ("conversion", "event_seq")),
}


def _say_guessed(reader: _Reader, say: Progress) -> None:
    if reader.guessed:
        say(f"note: your database role may not read the id sequences of {reader.place}"
            f" ({', '.join(sorted(set(reader.guessed)))}); the copy's new ids continue after"
            " the highest ones found in its rows")


def _refuse_version(place: Place, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise CopyError(
            f"{place}: its schema is version {version}, newer than this version's"
            f" {SCHEMA_VERSION}: it was made by a newer Journey Desktop; copy it with that"
            " version")
    if version != SCHEMA_VERSION:
        raise CopyError(
            f"{place}: its schema is version {version}, not this version's {SCHEMA_VERSION};"
            " open it with this version of Journey Desktop first (it upgrades it), then copy")


@contextmanager
def _open_source(place: Place) -> Iterator[_Reader]:
    if place.url is not None:
        team = connect_postgres(place.url)
        try:
            _refuse_version(place, stored_version(team))
            with team.atomic():
                team.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield _Reader(team, team=True, place=place)
        finally:
            team.close()
        return
    assert place.path is not None
    if not place.path.is_file():
        raise CopyError(f"{place}: no such database file")
    version = sqlite_db.read_schema_version(place.path)
    if version == 0:
        raise CopyError(f"{place}: the database is empty; there is nothing to copy")
    _refuse_version(place, version)
    file = sqlite_db.connect(place.path)
    try:
        with file.atomic():  # one read snapshot (WAL lets writers go on meanwhile)
            yield _Reader(file, team=False, place=place)
    finally:
        file.close()


# --- the target -------------------------------------------------------------------------

def _write_target(place: Place, reader: _Reader, say: Progress) -> dict[str, int]:
    if place.url is not None:
        team = connect_postgres(place.url)
        try:
            if stored_version(team) != 0:
                raise CopyError(f"{place}: it already holds a Journey Desktop database;"
                                " the target must be empty, nothing was written")
            with team.atomic():
                create_schema(team, ALL_RECORDS, None)
                counts = _copy_tables(reader, team, say)
                for table, column in postgres_sql.sequences(team):
                    postgres_sql.set_sequence(team, table, column,
                                              reader.last_id(table, column))
                _check_counts(team, counts)
            _say_guessed(reader, say)
            return counts
        finally:
            team.close()
    assert place.path is not None
    path = place.path
    if path.is_dir():
        raise CopyError(f"{place}: is a folder")
    if path.exists() and path.stat().st_size > 0:
        raise CopyError(f"{place}: the file exists; the target must be a new file,"
                        " nothing was written")
    if not path.parent.is_dir():
        raise CopyError(f"{place}: no such folder")
    file = sqlite_db.connect(path)
    try:
        with file.atomic():
            create_sqlite_schema(file)
            counts = _copy_tables(reader, file, say)
            for record in tables():
                pk = record._meta.primary_key
                if isinstance(pk, AutoIncrementField):
                    table = record._meta.table_name
                    file.execute_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
                    file.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                     (table, reader.last_id(table, pk.column_name)))
            _check_counts(file, counts)
        file.close()
        _say_guessed(reader, say)
        return counts
    except BaseException:
        file.close()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        raise


def _copy_tables(reader: _Reader, target: Database, say: Progress) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in tables():
        table = record._meta.table_name
        columns = [field.column_name for field in record._meta.sorted_fields]
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        expected = reader.count(table)
        say(f"copying {table}: {expected:,} rows")
        copied = shown = 0
        with _writer(target, table, names, marks) as write:
            for batch in reader.rows(table, columns):
                write(batch)
                copied += len(batch)
                if copied - shown >= PROGRESS_EVERY:
                    shown = copied
                    say(f"  {table}: {copied:,} of {expected:,}")
        if copied != expected:
            raise CopyError(f"{table}: {copied:,} rows read of {expected:,}; nothing was written")
        counts[table] = copied
    return counts


@contextmanager
def _writer(target: Database, table: str, names: str,
            marks: str) -> Iterator[Callable[[list[tuple[Any, ...]]], None]]:
    """Writes batches of rows into ``table``: PostgreSQL's ``COPY`` (several times faster
    than inserts), SQLite's prepared insert."""
    if isinstance(target, PostgresStore):
        with target.cursor() as cursor, cursor.copy(
                f'COPY "{table}" ({names}) FROM STDIN') as copy:
            def write_copy(rows: list[tuple[Any, ...]]) -> None:
                for row in rows:
                    copy.write_row(row)
            yield write_copy
        return
    conn = target.connection()
    assert isinstance(conn, sqlite3.Connection)
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'

    def write_rows(rows: list[tuple[Any, ...]]) -> None:
        conn.executemany(insert, rows)
    yield write_rows


def _check_counts(target: Database, counts: dict[str, int]) -> None:
    """Every table of the target holds as many rows as were read from the source."""
    for table, expected in counts.items():
        found = int(target.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        if found != expected:
            raise CopyError(f"{table}: {found:,} rows written of {expected:,};"
                            " nothing was written")
