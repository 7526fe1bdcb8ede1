"""Delivery reports (SPEC §15): message ids, the report import as one transaction, and
what the statistics read back.

The import stages the file in a TEMP table (one streaming pass, memory flat), then applies
it set-based: unknown ids are listed, each line's status and those it implies are inserted
in file order with ``ON CONFLICT DO NOTHING`` (so a repeat, or a status a later one
implied, changes nothing), the per-quarter-hour counters are added to, and the new
statuses become customer events through the events import's ``EventInsert``. A cancel, an
error or a crash rolls all of it back.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
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
    EVENT_PREFIX,
    STATUSES,
    ReportBatch,
    ReportReader,
    database_of,
    implied,
)
from journey_desktop.store import sqlite_bulk
from journey_desktop.store.audience import Progress, collector_paused
from journey_desktop.store.db import database
from journey_desktop.store.delivery_status import database_id
from journey_desktop.store.outbox import csv_cell
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
_LADDER = "delivery_ladder"


def _ladder_rows() -> list[tuple[str, int, str]]:
    """``domain.delivery.implied`` as rows: each status a report can give, whether a status
    it reaches is implied, and that status."""
    return [(given, int(status != given), status)
            for given in STATUSES for status in implied(given)]


class _NothingApplied(Exception):
    """Rolls the transaction back when no line could be applied."""


def import_report(path: str | Path, *, now: int | None = None, progress: Progress | None = None,
                  tz: dt.tzinfo | None = None) -> ReportResult:
    """Apply a delivery report in one transaction; returns ``committed=False`` (and stores
    nothing) when no line applied. Raises CsvFileError for a file that cannot be read."""
    stamp = int(time.time()) if now is None else int(now)
    started = time.perf_counter()
    result = ReportResult()
    try:
        with collector_paused(), sqlite_bulk.write_transaction():
            conn = database.connection()
            dbid = database_id()
            reader = ReportReader(str(path), dbid, tz=tz)
            result.rejects = reader.rejects
            result.unknowns = RejectLog(reader.delimiter, reader.encoding)
            import_id = sqlite_bulk.next_import_id(conn)
            _stage(conn, reader, progress)
            result.read = reader.read
            result.rejected = reader.rejects.count
            result.unknowns.header = reader.rejects.header
            _list_unknown(conn, result)
            (before,) = conn.execute("SELECT coalesce(max(id), 0) FROM delivery").fetchone()
            changes = conn.total_changes
            # In line order, so the first line to give a status (or imply it) keeps it; the
            # ladder's key gives each line's rows in order (the status given first), unsorted.
            conn.execute(
                "INSERT INTO delivery (outbox_id, status, occurred_at, detail, early, implied,"
                " line, imported_at, import_id) SELECT i.outbox_id, l.status, i.occurred_at,"
                " i.detail, i.occurred_at < o.created_at, l.implied, i.line, ?, ?"
                f" FROM {_STAGE} i CROSS JOIN {_LADDER} l ON l.given = i.status"
                " JOIN outbox o ON o.id = i.outbox_id WHERE 1 ORDER BY i.line, l.implied"
                " ON CONFLICT (outbox_id, status) DO NOTHING", (stamp, import_id))
            new = conn.total_changes - changes
            result.applied, result.early = conn.execute(
                "SELECT count(*), coalesce(sum(early), 0) FROM delivery WHERE id > ?"
                " AND implied = 0", (before,)).fetchone()
            result.early_lines = [line for (line,) in conn.execute(
                "SELECT line FROM delivery WHERE id > ? AND implied = 0 AND early = 1"
                " ORDER BY line LIMIT 10", (before,))]
            result.duplicates = result.read - result.rejected - result.unknown - result.applied
            if not result.applied:
                raise _NothingApplied()
            _count(conn, before)
            _events(conn, before, new, dbid, stamp, import_id)
        result.committed = True
    except _NothingApplied:
        result.committed = False
    except DatabaseError as exc:
        if sqlite_bulk.is_busy_error(exc):
            raise DeliveryImportError(
                "the database is busy (the evaluator or another import is writing); "
                "nothing was imported, try again in a moment") from None
        raise
    finally:
        _drop_stage()
    result.seconds = time.perf_counter() - started
    log.info("delivery report: read %d, applied %d, duplicates %d, unknown %d, rejected %d, "
             "early %d, %.1f s", result.read, result.applied, result.duplicates,
             result.unknown, result.rejected, result.early, result.seconds)
    return result


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
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_LADDER} (given TEXT, implied INTEGER,"
                 " status TEXT, PRIMARY KEY (given, implied, status)) WITHOUT ROWID")
    conn.execute(f"DELETE FROM {_STAGE}")
    conn.execute(f"DELETE FROM {_LADDER}")
    conn.executemany(f"INSERT INTO {_LADDER} VALUES (?, ?, ?)", _ladder_rows())
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


def _count(conn: Any, before: int) -> None:
    """The new statuses added to the per-quarter-hour counters, one upsert a row: the
    counters are a few small pages, and a GROUP BY first sorted millions of rows on five
    columns (about 1.6 times as long for three million)."""
    conn.execute(
        "INSERT INTO delivery_count (journey_id, node, channel, status, bucket, count)"
        " SELECT o.journey_id, o.node, o.channel, d.status,"
        f" d.occurred_at - d.occurred_at % {BUCKET_SECONDS}, 1"
        " FROM delivery d JOIN outbox o ON o.id = d.outbox_id WHERE d.id > ?"
        " ON CONFLICT DO UPDATE SET count = delivery_count.count + excluded.count", (before,))


def _events(conn: Any, before: int, new: int, dbid: str, now: int, import_id: int) -> None:
    """Each new status (implied ones too: a click is also an open) as the customer event
    ``message_<status>`` with ``journey`` (its name), ``node`` and ``message_id``; keyed by
    message id and status, so it is stored once whatever imports it again."""
    insert = sqlite_bulk.EventInsert(now, import_id)
    message = "?1 || '-' || d.outbox_id"  # domain.delivery.message_id
    insert.insert_select(
        message_id=f"{message} || '/' || d.status", external_id="o.external_id",
        name=f"'{EVENT_PREFIX}' || d.status", occurred_at="d.occurred_at",
        properties=f"json_object('journey', j.name, 'message_id', {message}, 'node', o.node)",
        source="FROM delivery d JOIN outbox o ON o.id = d.outbox_id"
               " JOIN journey j ON j.id = o.journey_id WHERE d.id > ?2 ORDER BY d.id",
        params=(dbid, before), rows=new)
    insert.finish()


def _drop_stage() -> None:
    try:
        conn = database.connection()
        conn.execute(f"DROP TABLE IF EXISTS temp.{_STAGE}")
        conn.execute(f"DROP TABLE IF EXISTS temp.{_LADDER}")
    except Exception:  # the connection is gone: so is its TEMP table
        log.debug("delivery stage not dropped", exc_info=True)


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
    for node, channel, status, count in db.execute_sql(
            "SELECT node, channel, status, sum(count) FROM delivery_count WHERE journey_id = ?"
            " GROUP BY node, channel, status", (journey_id,)):
        row = rows.setdefault((node, channel), NodeDelivery(node, channel))
        row.reached[status] = int(count)
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
    for bucket, status, count in _db(db).execute_sql(
            "SELECT bucket, status, sum(count) FROM delivery_count WHERE journey_id = ?"
            " GROUP BY bucket, status", (journey_id,)):
        day = days.setdefault(engine.local_date(int(bucket), tz), dict.fromkeys(STATUSES, 0))
        day[status] += int(count)
    return dict(sorted(days.items()))
