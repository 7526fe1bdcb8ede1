"""Delivery reports (SPEC §15): message ids, the report import as one transaction, and
what the statistics read back.

The import reads the file in one streaming pass (memory flat) and applies it set-based,
on SQLite a batch of lines at a time (``sqlite_delivery``), on a team database the whole
file staged at once (``postgres_delivery``): unknown ids are listed; the lines that move
their message (a step further on the ladder, or a status apart not given yet: a repeat, or
opened after clicked, changes nothing) are picked in file order with the step each message
stood at before; each becomes one customer event (through the events import's
``EventInsert``), a count in the per-quarter-hour counters, and one upsert of its message's
one ``delivery`` row. A click stores one row and one event, not four: what it implies is
read from the step, by the statistics here and by journeys through
``domain.delivery.ladder_event``. A cancel, an error or a crash rolls all of it back.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peewee import Database, DatabaseError

from journey_desktop.domain import engine
from journey_desktop.domain.audience_csv import create_text
from journey_desktop.domain.csv_records import Reject, RejectLog, rejects_file_header
from journey_desktop.domain.delivery import (
    STATUSES,
    ReportPreview,
    ReportReader,
    database_of,
    mark_missing,
    moved,
    preview_report,
    sampled_outbox_ids,
)
from journey_desktop.domain.values import count_text
from journey_desktop.store import dialect as dialects
from journey_desktop.store.audience import Progress, collector_paused
from journey_desktop.store.db import database
from journey_desktop.store.delivery_status import database_id
from journey_desktop.store.postgres import on_postgres, portable_connection
from journey_desktop.store.repository import RepositoryError

log = logging.getLogger(__name__)

BUCKET_SECONDS = 900  # every time zone's day starts on a quarter hour
UNKNOWN = "no such message in this database"
UNKNOWN_KEPT = 10  # unknown lines an import keeps in memory (``Totals.unknown``)


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
    foreign: str = ""  # the database every unknown id names ("" when they differ)
    database: str = ""  # this database's id
    rejects: RejectLog = field(default_factory=RejectLog)
    unknowns: RejectLog = field(default_factory=RejectLog)
    early_lines: list[int] = field(default_factory=list)  # the first ones
    seconds: float = 0.0

    def all_unknown_text(self) -> str | None:
        """One line when no message of the report is in this database: the ids of another
        one, or this one's for messages no longer here (removed with their journey)."""
        if self.applied or self.duplicates or not self.unknown:
            return None
        if self.foreign and self.foreign == self.database:
            which = "the message is" if self.unknown == 1 else \
                f"the {self.unknown:,} messages are"
            return (f"{which} no longer in this database: their ids are this database's, so "
                    "they were removed (with their journey)")
        which = "the message is not" if self.unknown == 1 else \
            f"none of the {self.unknown:,} messages is"
        source = f" (ids of database {self.foreign})" if self.foreign else ""
        return (f"{which} in this database{source}: the report is for messages exported "
                "from another data folder")

    def nothing_applied_text(self) -> str:
        """Why nothing was applied, for the window's result and the command line."""
        if not self.read:
            return "the report has no lines (a header only)"
        return self.all_unknown_text() or "every line was a duplicate, unknown or rejected"

    def early_text(self) -> str:
        """The lines timestamped before their message was written, in words."""
        return (count_text(self.early, "status is", "statuses are") + " timestamped before "
                + ("its message was" if self.early == 1 else "their message was") + " written")

    def save_rejects(self, path: str | Path) -> None:
        """Rejected and unknown lines, in file order, ``line,reason`` then the source's
        columns, its cells exactly (the file is fixed and applied again, as SPEC §4 says of
        the customers' rejects); read back from both spools as they are written, so the
        file may hold millions of lines."""
        merged = heapq.merge(self.rejects, self.unknowns, key=lambda reject: reject.line)
        header = self.rejects.header or self.unknowns.header
        with create_text(path, self.rejects.encoding) as out:
            writer = csv.writer(out, delimiter=self.rejects.delimiter)
            writer.writerow(rejects_file_header(header))
            for reject in merged:
                writer.writerow([reject.line, reject.reason, *reject.cells])

    @property
    def listed(self) -> list[Reject]:
        """The first rejected and unknown lines, in file order, for display."""
        return sorted([*self.rejects.kept, *self.unknowns.kept], key=lambda r: r.line)


@dataclass
class Totals:
    """What an import's steps applied (either database's), for its result. Lines naming no
    message are counted, the first few kept as (line, id), and every one written with its
    cells to ``unknowns`` (spooled to disk): a report of millions of another database's
    messages keeps memory flat."""

    applied: int = 0
    early: int = 0
    early_lines: list[int] = field(default_factory=list)  # the first ten
    unknown: list[tuple[int, str]] = field(default_factory=list)  # the first, file order
    unknown_count: int = 0
    unknowns: RejectLog = field(default_factory=RejectLog)
    databases: set[str] = field(default_factory=set)  # those unknown ids name, up to two

    def add_unknown(self, line: int, message_id: str, cells: list[str]) -> None:
        """A line naming no message of this database (called in file order)."""
        self.unknown_count += 1
        if len(self.unknown) < UNKNOWN_KEPT:
            self.unknown.append((line, message_id))
        if len(self.databases) < 2:
            self.databases.add(database_of(message_id))
        self.unknowns.add(line, UNKNOWN, cells)


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
            result.rejects, result.database = reader.rejects, dbid
            import_id = dialect.next_import_id(conn)
            totals = Totals(unknowns=RejectLog(reader.delimiter, reader.encoding))
            result.unknowns = totals.unknowns
            steps.apply(conn, reader, progress, dbid, stamp, import_id, totals)
            result.read = reader.read
            result.rejected = reader.rejects.count
            result.unknowns.header = reader.rejects.header
            result.unknown = totals.unknown_count
            if len(totals.databases) == 1:
                result.foreign = totals.databases.pop()
            result.applied, result.early = totals.applied, totals.early
            result.early_lines = totals.early_lines[:10]
            result.duplicates = result.read - result.rejected - result.unknown - result.applied
            if not result.applied:
                raise _NothingApplied()
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


def preview_report_here(path: str | Path, *, tz: dt.tzinfo | None = None,
                        db: Database | None = None) -> ReportPreview:
    """The report's first lines as the import will read them (``preview_report``), the
    lines naming this database's messages no longer in its outbox (removed with their
    journey) noted as such; raises CsvFileError for a file that cannot be read."""
    db = _db(db)
    preview = preview_report(str(path), database_id(db), tz=tz)
    wanted = sampled_outbox_ids(preview)
    present: set[int] = set()
    if wanted:
        marks = ", ".join("?" for _ in wanted)
        present = {int(row[0]) for row in db.execute_sql(
            f"SELECT id FROM outbox WHERE id IN ({marks})", wanted)}
    return mark_missing(preview, present)


def _steps() -> Any:
    """The import's steps in the open store's dialect: ``sqlite_delivery``'s, or on a team
    database ``postgres_delivery``'s."""
    if on_postgres():
        from journey_desktop.store import postgres_delivery

        return postgres_delivery
    from journey_desktop.store import sqlite_delivery

    return sqlite_delivery


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
