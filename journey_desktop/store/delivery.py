"""Delivery reports (SPEC §15): message ids, the report import as one transaction, and
what the statistics read back.

The import stages the file in a TEMP table (one streaming pass, memory flat), then applies
it set-based: unknown ids are listed; the lines that move their message (a step further on
the ladder, or a status apart not given yet: a repeat, or opened after clicked, changes
nothing) are picked in file order with the step each message stood at before; each becomes
one customer event (through the events import's ``EventInsert``), one upsert of the
per-quarter-hour counters, and one upsert of its message's one ``delivery`` row. A click
stores one row and one event, not four: what it implies is read from the step, by the
statistics here and by journeys through ``domain.delivery.ladder_event``. A cancel, an
error or a crash rolls all of it back.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peewee import Database, DatabaseError

from journey_desktop.domain import engine
from journey_desktop.domain.audience_csv import create_text
from journey_desktop.domain.csv_records import Reject, RejectLog
from journey_desktop.domain.delivery import (
    APART,
    EVENT_PREFIX,
    LADDER,
    STATUSES,
    ReportBatch,
    ReportReader,
    database_of,
    level,
    moved,
)
from journey_desktop.store import dialect as dialects
from journey_desktop.store import sqlite_bulk
from journey_desktop.store.audience import Progress, collector_paused
from journey_desktop.store.db import database
from journey_desktop.store.delivery_status import database_id
from journey_desktop.store.outbox import csv_cell
from journey_desktop.store.postgres import on_postgres, portable_connection
from journey_desktop.store.read_ahead import ReadAhead
from journey_desktop.store.repository import RepositoryError

log = logging.getLogger(__name__)

BUCKET_SECONDS = 900  # every time zone's day starts on a quarter hour
UNKNOWN = "no such message in this database"


class DeliveryImportError(RepositoryError):
    """A report import that could not be done (a busy database, ...); worded for users."""


def _db(db: Database | None) -> Database:
    return db if db is not None else database


# --- the import ----------------------------------------------------------------------------


@dataclass
class ReportResult:
    """The counts of SPEC §15; ``committed`` is False when nothing was applied."""

    read: int = 0
    applied: int = 0
    duplicates: int = 0  # the status was already there (or implied by a later one)
    unknown: int = 0
    rejected: int = 0
    early: int = 0  # applied with a timestamp before the message was written (flagged)
    committed: bool = False
    foreign: str = ""  # the database every unknown id names, when it is not this one
    rejects: RejectLog = field(default_factory=RejectLog)
    unknowns: RejectLog = field(default_factory=RejectLog)
    early_lines: list[int] = field(default_factory=list)  # the first ones
    seconds: float = 0.0

    def all_unknown_text(self) -> str | None:
        """One line when no message of the report is this database's."""
        if self.applied or self.duplicates or not self.unknown:
            return None
        source = f" (ids of database {self.foreign})" if self.foreign else ""
        return (f"none of the {self.unknown} messages is in this database{source}: the report "
                "is for messages exported from another data folder")

    def save_rejects(self, path: str | Path) -> None:
        """Rejected and unknown lines, in file order, ``line,reason`` then the source's
        columns (formula-like cells escaped)."""
        merged = sorted([*self.rejects, *self.unknowns], key=lambda reject: reject.line)
        header = self.rejects.header or self.unknowns.header
        with create_text(path, self.rejects.encoding) as out:
            writer = csv.writer(out, delimiter=self.rejects.delimiter)
            writer.writerow(["line", "reason", *map(csv_cell, header)])
            for reject in merged:
                writer.writerow([reject.line, reject.reason, *map(csv_cell, reject.cells)])

    @property
    def listed(self) -> list[Reject]:
        """The first rejected and unknown lines, in file order, for display."""
        return sorted([*self.rejects.kept, *self.unknowns.kept], key=lambda r: r.line)


_STAGE = "delivery_in"
_APPLIED = "delivery_applied"
_LEVEL_SQL = ("CASE {} WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'opened' THEN 3"
              " WHEN 'clicked' THEN 4 ELSE 0 END")  # domain.delivery.level, in SQL
_APART_AT = {status: f"{status}_at" for status in APART}  # the delivery row's columns


def _level_sql(column: str) -> str:
    assert [level(status) for status in STATUSES] == [1, 2, 3, 4, 0, 0, 0]
    return _LEVEL_SQL.format(column)


class _NothingApplied(Exception):
    """Rolls the transaction back when no line could be applied."""


def import_report(path: str | Path, *, now: int | None = None, progress: Progress | None = None,
                  tz: dt.tzinfo | None = None) -> ReportResult:
    """Apply a delivery report in one transaction; returns ``committed=False`` (and stores
    nothing) when no line applied. Raises CsvFileError for a file that cannot be read."""
    stamp = int(time.time()) if now is None else int(now)
    started = time.perf_counter()
    result = ReportResult()
    dialect, steps = dialects.bulk(), _steps()
    try:
        with collector_paused(), dialect.write_transaction():
            conn = portable_connection()
            dbid = database_id()
            reader = ReportReader(str(path), dbid, tz=tz)
            result.rejects = reader.rejects
            result.unknowns = RejectLog(reader.delimiter, reader.encoding)
            import_id = dialect.next_import_id(conn)
            steps.stage(conn, reader, progress)
            result.read = reader.read
            result.rejected = reader.rejects.count
            result.unknowns.header = reader.rejects.header
            _list_unknown(conn, result)
            applied = steps.applied_lines(conn)
            result.applied, result.early = conn.execute(
                f"SELECT count(*), coalesce(sum(early), 0) FROM {_APPLIED}").fetchone()
            result.early_lines = [line for (line,) in conn.execute(
                f"SELECT line FROM {_APPLIED} WHERE early = 1 ORDER BY line LIMIT 10")]
            result.duplicates = result.read - result.rejected - result.unknown - result.applied
            if not result.applied:
                raise _NothingApplied()
            steps.events(conn, applied, dbid, stamp, import_id)
            steps.count(conn)
            steps.move(conn, stamp, import_id)
        result.committed = True
    except _NothingApplied:
        result.committed = False
    except DatabaseError as exc:
        if dialect.is_busy_error(exc):
            raise DeliveryImportError(
                "the database is busy (the evaluator or another import is writing); "
                "nothing was imported, try again in a moment") from None
        raise
    finally:
        steps.drop_stage()
    result.seconds = time.perf_counter() - started
    log.info("delivery report: read %d, applied %d, duplicates %d, unknown %d, rejected %d, "
             "early %d, %.1f s", result.read, result.applied, result.duplicates,
             result.unknown, result.rejected, result.early, result.seconds)
    return result


def _steps() -> Any:
    """The import's SQL steps in the open store's dialect: SQLite's are this module's,
    a team database's ``postgres_delivery``'s."""
    if on_postgres():
        from journey_desktop.store import postgres_delivery

        return postgres_delivery
    return _SqliteSteps


def _applied_lines(conn: Any) -> int:
    """The lines that move their message, in line order, into a TEMP table with the step it
    stood at before (``prior``): a status on the ladder above the message's furthest step
    (stored, or given by an earlier line of the file), or a status apart it was not given
    yet. Any other line is a duplicate: the same line again, or a status a later one implied
    (opened after clicked). Returns how many.

    Most reports move each message once on the ladder and once per status apart (clicked,
    then unsubscribed): the lines are then judged against the stored rows alone, and a
    unique key on (message, ladder or status apart) proves it. A report that moves a message
    twice on the ladder (delivered, then opened) is judged again against the file's earlier
    lines too, by a window over each message's lines: several times as long, for what needs
    it only."""
    conn.execute(f"DROP TABLE IF EXISTS temp.{_APPLIED}")
    conn.execute(f"CREATE TEMP TABLE {_APPLIED} (line INTEGER PRIMARY KEY, outbox_id INTEGER"
                 " NOT NULL, status TEXT NOT NULL, step INTEGER NOT NULL, prior INTEGER"
                 " NOT NULL, occurred_at INTEGER NOT NULL, detail TEXT, early INTEGER NOT NULL,"
                 " apart TEXT NOT NULL, UNIQUE (outbox_id, apart))")
    level = _level_sql("i.status")
    stored_apart = " OR ".join(f"(i.status = '{status}' AND d.{column} IS NOT NULL)"
                               for status, column in _APART_AT.items())
    try:
        return int(conn.execute(
            f"INSERT INTO {_APPLIED} SELECT i.line, i.outbox_id, i.status, {level},"
            " coalesce(d.level, 0), i.occurred_at, i.detail, i.occurred_at < o.created_at,"
            f" CASE WHEN {level} > 0 THEN '' ELSE i.status END"
            f" FROM {_STAGE} i JOIN outbox o ON o.id = i.outbox_id"
            " LEFT JOIN delivery d ON d.outbox_id = i.outbox_id"
            f" WHERE CASE WHEN {level} > 0 THEN {level} > coalesce(d.level, 0)"
            f" ELSE NOT ({stored_apart}) END ORDER BY i.line").rowcount)
    except sqlite3.IntegrityError:  # a message moved twice: the statement alone is undone
        pass
    conn.execute(f"DROP TABLE temp.{_APPLIED}")
    earlier = "OVER (PARTITION BY i.outbox_id ORDER BY i.line ROWS BETWEEN UNBOUNDED" \
              " PRECEDING AND 1 PRECEDING)"
    given_apart = ", ".join(f"coalesce(max(i.status = '{status}') {earlier}, 0) AS had_{status}"
                            for status in APART)
    before_apart = " OR ".join(
        f"(l.status = '{status}' AND (l.had_{status} OR d.{column} IS NOT NULL))"
        for status, column in _APART_AT.items())
    return int(conn.execute(
        f"CREATE TEMP TABLE {_APPLIED} AS SELECT l.line, l.outbox_id, l.status, l.step,"
        " max(coalesce(d.level, 0), l.file_prior) AS prior, l.occurred_at, l.detail,"
        " l.occurred_at < o.created_at AS early FROM ("
        f" SELECT i.line, i.outbox_id, i.status, {level} AS step, i.occurred_at, i.detail,"
        f" coalesce(max({level}) {earlier}, 0) AS file_prior, {given_apart}"
        f" FROM {_STAGE} i WHERE i.outbox_id IS NOT NULL) l"
        " JOIN outbox o ON o.id = l.outbox_id LEFT JOIN delivery d ON d.outbox_id = l.outbox_id"
        " WHERE CASE WHEN l.step > 0 THEN l.step > max(coalesce(d.level, 0), l.file_prior)"
        f" ELSE NOT ({before_apart}) END ORDER BY l.line").rowcount)


def _counted(reader: ReportReader) -> Iterator[tuple[ReportBatch, int, int]]:
    """Each batch with the lines and bytes read up to its end (for progress)."""
    for batch in reader.batches():
        yield batch, reader.read, reader.bytes_read


def _stage(conn: Any, reader: ReportReader, progress: Progress | None) -> None:
    """The report's lines into a TEMP table (no write lock on the database file), read a
    batch ahead in a thread of its own while the previous batch is written."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (line INTEGER PRIMARY KEY,"
                 " message_id TEXT, outbox_id INTEGER, status TEXT, occurred_at INTEGER,"
                 " detail TEXT)")
    conn.execute(f"DELETE FROM {_STAGE}")
    insert = sqlite_bulk.ColumnsInsert(conn, f"INSERT INTO {_STAGE} VALUES ", 6)
    with reader, ReadAhead(_counted(reader), name="delivery-reader") as batches:
        for batch, read, position in batches:
            insert.write((batch.lines, batch.message_ids, batch.outbox_ids, batch.statuses,
                          batch.times, batch.details))
            if progress is not None:
                progress(read, position, reader.size)


def _list_unknown(conn: Any, result: ReportResult) -> None:
    """Lines naming no message of this database: counted, listed, and left out."""
    databases: set[str] = set()
    for line, text in conn.execute(
            f"SELECT line, message_id FROM {_STAGE} i WHERE outbox_id IS NULL OR NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.id = i.outbox_id) ORDER BY line"):
        result.unknown += 1
        result.unknowns.add(line, UNKNOWN, [text])
        if len(databases) < 2:
            databases.add(database_of(text))
    if len(databases) == 1:
        result.foreign = databases.pop()


def _count(conn: Any) -> None:
    """The applied lines added to the per-quarter-hour counters, one upsert a line: the
    counters are a few small pages, and a GROUP BY first sorted millions of rows."""
    conn.execute(
        "INSERT INTO delivery_count (journey_id, node, channel, status, prior, bucket, count)"
        " SELECT o.journey_id, o.node, o.channel, a.status, a.prior,"
        f" a.occurred_at - a.occurred_at % {BUCKET_SECONDS}, 1"
        f" FROM {_APPLIED} a JOIN outbox o ON o.id = a.outbox_id WHERE 1"
        " ON CONFLICT DO UPDATE SET count = delivery_count.count + excluded.count")


def _events(conn: Any, applied: int, dbid: str, now: int, import_id: int) -> None:
    """Each applied line as the customer event ``message_<status>`` with ``journey`` (its
    name), ``node`` and ``message_id``, and for a status on the ladder the step the message
    stood at before (``ladder_from``: a click from step 2 stands for the open too, see
    ``domain.delivery.ladder_event``); keyed by message id and status, so it is stored once
    whatever imports it again."""
    insert = sqlite_bulk.EventInsert(now, import_id)
    message = "?1 || '-' || a.outbox_id"  # domain.delivery.message_id
    insert.insert_select(
        message_id=f"{message} || '/' || a.status", external_id="o.external_id",
        name=f"'{EVENT_PREFIX}' || a.status", occurred_at="a.occurred_at",
        properties=f"json_object('journey', j.name, 'message_id', {message}, 'node', o.node)",
        ladder_from="CASE WHEN a.step > 0 THEN a.prior END",
        source=f"FROM {_APPLIED} a JOIN outbox o ON o.id = a.outbox_id"
               " JOIN journey j ON j.id = o.journey_id WHERE 1 ORDER BY a.rowid",
        params=(dbid,), rows=applied)
    insert.finish()


def _move(conn: Any, now: int, import_id: int) -> None:
    """Each moved message's one row, line by line in file order: the furthest step only
    grows, and each status keeps the time it was first reached (a click sets the open,
    delivery and send it implies when they were not set yet)."""
    at = {status: (f"CASE WHEN a.step >= {level(status)} THEN a.occurred_at END"
                   if status in LADDER else
                   f"CASE WHEN a.status = '{status}' THEN a.occurred_at END")
          for status in STATUSES}
    columns = [f"{status}_at" for status in STATUSES]
    conn.execute(
        f"INSERT INTO delivery (outbox_id, level, {', '.join(columns)}, detail, early, line,"
        " imported_at, import_id) SELECT a.outbox_id, a.step,"
        f" {', '.join(at[status] for status in STATUSES)}, a.detail, a.early, a.line, ?, ?"
        f" FROM {_APPLIED} a WHERE 1 ORDER BY a.rowid ON CONFLICT (outbox_id) DO UPDATE SET"
        " level = max(level, excluded.level), "
        + ", ".join(f"{column} = coalesce({column}, excluded.{column})" for column in columns)
        + ", detail = CASE WHEN excluded.detail <> '' THEN excluded.detail ELSE detail END,"
        " early = max(early, excluded.early), line = excluded.line,"
        " imported_at = excluded.imported_at, import_id = excluded.import_id",
        (now, import_id))


def _drop_stage() -> None:
    try:
        conn = database.connection()
        conn.execute(f"DROP TABLE IF EXISTS temp.{_STAGE}")
        conn.execute(f"DROP TABLE IF EXISTS temp.{_APPLIED}")
    except Exception:  # the connection is gone: so is its TEMP table
        log.debug("delivery stage not dropped", exc_info=True)


class _SqliteSteps:
    """The steps above, under the names ``postgres_delivery`` gives its own."""

    stage = staticmethod(_stage)
    applied_lines = staticmethod(_applied_lines)
    events = staticmethod(_events)
    count = staticmethod(_count)
    move = staticmethod(_move)
    drop_stage = staticmethod(_drop_stage)


# --- reading back --------------------------------------------------------------------------


@dataclass
class NodeDelivery:
    """One message node and channel: written, then how many messages reached each status
    (cumulative: a click counts as an open, a delivery and a send)."""

    node: str
    channel: str
    written: int = 0
    reached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))


def node_delivery(journey_id: int, db: Database | None = None) -> list[NodeDelivery]:
    """Per message node and channel, from the outbox and the counters (a few rows each)."""
    db = _db(db)
    rows: dict[tuple[str, str], NodeDelivery] = {}
    for node, channel, written in db.execute_sql(
            "SELECT node, channel, written FROM message_count WHERE journey_id = ?",
            (journey_id,)):
        rows[(node, channel)] = NodeDelivery(node, channel, written)
    for node, channel, status, prior, count in db.execute_sql(
            "SELECT node, channel, status, prior, sum(count) FROM delivery_count"
            " WHERE journey_id = ? GROUP BY node, channel, status, prior", (journey_id,)):
        row = rows.setdefault((node, channel), NodeDelivery(node, channel))
        for reached in moved(status, int(prior)):
            row.reached[reached] += int(count)
    return list(rows.values())


def node_totals(rows: list[NodeDelivery]) -> dict[str, NodeDelivery]:
    """``node_delivery``'s rows with the channels of each node added up (``channel`` "" when
    a node wrote on several), for ``stats --json`` and the cards on the canvas."""
    out: dict[str, NodeDelivery] = {}
    for row in rows:
        total = out.get(row.node)
        if total is None:
            out[row.node] = NodeDelivery(row.node, row.channel, row.written, dict(row.reached))
            continue
        total.channel = total.channel if total.channel == row.channel else ""
        total.written += row.written
        for status, count in row.reached.items():
            total.reached[status] = total.reached.get(status, 0) + count
    return out


def delivery_json(rows: list[NodeDelivery]) -> dict[str, dict[str, int]]:
    """``stats --json`` ``delivery``: node → status → count (channels added up)."""
    return {node: {status: total.reached.get(status, 0) for status in STATUSES}
            for node, total in node_totals(rows).items()}


def daily_delivery(journey_id: int, *, tz: dt.tzinfo | None = None,
                   db: Database | None = None) -> dict[dt.date, dict[str, int]]:
    """Messages reaching each status per local day (the day of the report's timestamp)."""
    days: dict[dt.date, dict[str, int]] = {}
    for bucket, status, prior, count in _db(db).execute_sql(
            "SELECT bucket, status, prior, sum(count) FROM delivery_count WHERE journey_id = ?"
            " GROUP BY bucket, status, prior", (journey_id,)):
        day = days.setdefault(engine.local_date(int(bucket), tz), dict.fromkeys(STATUSES, 0))
        for reached in moved(status, int(prior)):
            day[reached] += int(count)
    return dict(sorted(days.items()))
