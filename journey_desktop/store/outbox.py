"""The outbox (SPEC §6): listing with filters and paging, and CSV export that marks rows."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from peewee import Database

from journey_desktop.domain import engine
from journey_desktop.domain.delivery import message_id, shown_status
from journey_desktop.domain.policy import EXPORTED, HELD, OUTBOX_STATUSES, READY, SUPPRESSED
from journey_desktop.store import sqlite_sql
from journey_desktop.store.db import database
from journey_desktop.store.delivery_status import database_id, deliveries_of, filter_clause
from journey_desktop.store.export_lock import ExportLock
from journey_desktop.store.output_path import check_output_path

__all__ = ["EXPORTED", "HELD", "OUTBOX_STATUSES", "READY", "SUPPRESSED"]
EXPORTABLE = (READY, EXPORTED)  # held and suppressed messages are never exported (§13)
# SPEC §7: the first eight stay as they are; §13's send_at and §15's columns follow.
CSV_HEADER = ["customerId", "journey", "node", "channel", "title", "body", "url", "due_at",
              "send_at", "entry", "status", "message_id"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";")  # comma by default; semicolon for spreadsheets in comma-decimal locales
FILE_ENCODING = "utf-8-sig"  # with a BOM: Excel then reads UTF-8 whatever the locale
PAGE = 5000
PROGRESS_EVERY = 1000  # rows between two export progress reports (and lock heartbeats)
TAKEN_OVER = "another export took over this one, which had stopped answering"


@dataclass
class OutboxFilter:
    """Which messages to show or export; every criterion is optional."""

    journey_id: int | None = None
    channel: str | None = None
    status: str | None = None  # ready | held | suppressed | exported
    exportable: bool = False  # only ready and exported messages
    delivery: str | None = None  # a report status, or delivery_status.NO_REPORT
    due_from: int | None = None  # UTC seconds, inclusive
    due_to: int | None = None  # UTC seconds, exclusive
    external_id: str | None = None
    up_to_id: int | None = None  # written no later than this message: a stable snapshot

    def where(self) -> tuple[str, list[Any]]:
        clauses = ["1 = 1"]
        params: list[Any] = []
        if self.journey_id is not None:
            clauses.append("o.journey_id = ?")
            params.append(self.journey_id)
        if self.channel:
            clauses.append("o.channel = ?")
            params.append(self.channel)
        if self.status:
            clauses.append("o.status = ?")
            params.append(self.status)
        if self.exportable:
            clauses.append(f"o.status IN ('{READY}', '{EXPORTED}')")
        if self.delivery:
            clause, values = filter_clause(self.delivery)
            clauses.append(clause)
            params.extend(values)
        if self.due_from is not None:
            clauses.append("o.due_at >= ?")
            params.append(self.due_from)
        if self.due_to is not None:
            clauses.append("o.due_at < ?")
            params.append(self.due_to)
        if self.external_id is not None:
            clauses.append("o.external_id = ?")
            params.append(self.external_id)
        if self.up_to_id is not None:
            clauses.append("o.id <= ?")
            params.append(self.up_to_id)
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    journey_id: int
    journey_name: str
    external_id: str
    entry_number: int
    node: str
    channel: str
    title: str
    body: str
    url: str
    extra: dict[str, str]
    due_at: int
    created_at: int
    exported_at: int | None
    status: str = READY  # ready | held | suppressed | exported (SPEC §13)
    send_at: int | None = None  # when it may go out
    reason: str | None = None  # why it was suppressed
    delivery: tuple[str, ...] = ()  # the report statuses it reached
    delivery_detail: str = ""  # what the last report line with a detail said (not exported)

    @property
    def delivery_status(self) -> str:
        return shown_status(self.delivery)


_COLUMNS = (
    "o.id, o.journey_id, j.name, o.external_id, o.entry_number, o.node, o.channel, o.title,"
    " o.body, o.url, o.extra, o.due_at, o.created_at, o.exported_at, o.status, o.send_at,"
    " o.reason"
)


def _with_delivery(messages: list[OutboxMessage], db: Database) -> list[OutboxMessage]:
    """The messages with the statuses the reports gave them (one indexed read per page)."""
    reached = deliveries_of([m.id for m in messages], db)
    return [replace(m, delivery=tuple(reached[m.id][0]), delivery_detail=reached[m.id][1])
            if m.id in reached else m for m in messages]


def _message(row: tuple[Any, ...]) -> OutboxMessage:
    try:
        extra = json.loads(row[10] or "{}")
    except ValueError:
        extra = {}
    return OutboxMessage(
        id=row[0], journey_id=row[1], journey_name=row[2], external_id=row[3],
        entry_number=row[4], node=row[5], channel=row[6], title=row[7], body=row[8],
        url=row[9], extra=extra, due_at=row[11], created_at=row[12], exported_at=row[13],
        status=row[14], send_at=row[15] if row[15] is not None else row[11], reason=row[16],
    )


def _db(db: Database | None) -> Database:
    return db if db is not None else database


def last_message_id(db: Database | None = None) -> int:
    """The newest message's id (0 for an empty outbox), to page over a fixed snapshot."""
    return int(_db(db).execute_sql("SELECT max(id) FROM outbox").fetchone()[0] or 0)


def count_messages(flt: OutboxFilter | None = None, db: Database | None = None) -> int:
    where, params = (flt or OutboxFilter()).where()
    return int(_db(db).execute_sql(f"SELECT count(*) FROM outbox o WHERE {where}", params)
               .fetchone()[0])


def list_messages(
    flt: OutboxFilter | None = None,
    *,
    offset: int = 0,
    limit: int = 200,
    newest_first: bool = True,
    db: Database | None = None,
) -> list[OutboxMessage]:
    """One page of messages (by due time, then id) for the Outbox view.

    The page's ids are picked first, sorting only (due_at, id) pairs: sorting whole rows
    made a page of a 100,000-message outbox several times slower.
    """
    where, params = (flt or OutboxFilter()).where()
    order = "DESC" if newest_first else "ASC"
    rows = _db(db).execute_sql(
        f"SELECT {_COLUMNS} FROM outbox o JOIN journey j ON j.id = o.journey_id "
        f"WHERE o.id IN (SELECT o.id FROM outbox o WHERE {where} "
        f"ORDER BY o.due_at {order}, o.id {order} LIMIT ? OFFSET ?) "
        f"ORDER BY o.due_at {order}, o.id {order}",
        (*params, int(limit), int(offset)),
    )
    return _with_delivery([_message(r) for r in rows], _db(db))


def iter_messages(flt: OutboxFilter | None = None, *, up_to_id: int | None = None,
                  db: Database | None = None) -> Iterator[OutboxMessage]:
    """Every matching message in id order, read page by page (no long read transaction)."""
    where, params = (flt or OutboxFilter()).where()
    last = 0
    while True:
        bound = "" if up_to_id is None else f" AND o.id <= {int(up_to_id)}"
        rows = _db(db).execute_sql(
            f"SELECT {_COLUMNS} FROM outbox o JOIN journey j ON j.id = o.journey_id "
            f"WHERE {where} AND o.id > ?{bound} ORDER BY o.id LIMIT {PAGE}",
            (*params, last),
        ).fetchall()
        if not rows:
            return
        yield from _with_delivery([_message(row) for row in rows], _db(db))
        last = rows[-1][0]


def csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (SPEC §6)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def iso_time(ts: int, tz: dt.tzinfo | None = None) -> str:
    """A UTC instant as local ISO 8601 with its offset (``2025-03-03T10:00:00+01:00``)."""
    return engine.local_datetime(int(ts), tz).isoformat()


def mark_exported(ids: list[int], now: int, db: Database | None = None) -> int:
    """Mark messages exported at ``now`` (only those not exported before)."""
    db = _db(db)
    marked = 0
    with db.atomic():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            marked += db.execute_sql(
                f"UPDATE outbox SET exported_at = ?, status = ? WHERE id IN ({marks})"
                " AND exported_at IS NULL AND status = ?",
                (int(now), EXPORTED, *chunk, READY),
            ).rowcount
    return marked


class ExportError(Exception):
    """An export that failed and marked nothing; the message names the user's file."""


@dataclass(frozen=True)
class ExportResult:
    written: int  # rows in the file
    marked: int  # of those, rows exported for the first time


def _check_delimiter(delimiter: str) -> str:
    """Only the delimiters spreadsheets read without asking (a caller's bug otherwise)."""
    if delimiter not in DELIMITERS:
        raise ValueError(f"the delimiter must be one of {' '.join(DELIMITERS)}")
    return delimiter


def _write_rows(out: TextIO, flt: OutboxFilter | None, only_new: bool, tz: dt.tzinfo | None,
                db: Database, lock: ExportLock, progress: Callable[[int], None] | None,
                delimiter: str) -> list[int]:
    """Write the header and every matching row; the ids written, in order."""
    flt = OutboxFilter(**vars(flt or OutboxFilter()))
    flt.exportable = True
    if only_new:
        flt.status = READY
    top = db.execute_sql("SELECT max(id) FROM outbox").fetchone()[0]
    writer = csv.writer(out, delimiter=_check_delimiter(delimiter), lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    ids: list[int] = []
    if top is None:
        return ids
    dbid = database_id(db)
    for message in iter_messages(flt, up_to_id=int(top), db=db):
        writer.writerow([
            csv_cell(message.external_id),
            csv_cell(message.journey_name),
            csv_cell(message.node),
            csv_cell(message.channel),
            csv_cell(message.title),
            csv_cell(message.body),
            csv_cell(message.url),
            iso_time(message.due_at, tz),
            iso_time(message.send_at if message.send_at is not None else message.due_at, tz),
            message.entry_number,
            message.delivery_status,
            message_id(dbid, message.id),
        ])
        ids.append(message.id)
        if len(ids) % PROGRESS_EVERY == 0:
            if not lock.heartbeat():
                raise ExportError(TAKEN_OVER)
            if progress is not None:
                progress(len(ids))
    return ids


def _commit(ids: list[int], now: int, db: Database, lock: ExportLock,
            place: Callable[[], None] | None = None) -> ExportResult:
    """Mark the rows written, in one transaction that also puts the file in place.

    The file is moved in before the marks are committed: if the move fails, nothing is
    marked; the rows are never marked without a complete file where the user asked.
    """
    with sqlite_sql.write_transaction(db):
        if not lock.heartbeat():
            raise ExportError(TAKEN_OVER)
        marked = mark_exported(ids, now, db=db)
        if place is not None:
            place()
    return ExportResult(written=len(ids), marked=marked)


def export_csv(
    out: TextIO,
    flt: OutboxFilter | None = None,
    *,
    only_new: bool = False,
    now: int,
    tz: dt.tzinfo | None = None,
    db: Database | None = None,
    progress: Callable[[int], None] | None = None,
    delimiter: str = ",",
) -> ExportResult:
    """Write matching messages as CSV to a stream (standard output) and mark them exported.

    Rows are marked only after the whole stream was written, so a failed write marks
    nothing. ``progress(rows written)`` is called every PROGRESS_EVERY rows; an exception it
    raises (a cancel) stops the export before anything is marked. One export runs at a time
    per database (ExportBusyError otherwise), so two exports never write the same new row.
    """
    db = _db(db)
    with ExportLock(db) as lock:
        ids = _write_rows(out, flt, only_new, tz, db, lock, progress, delimiter)
        out.flush()
        return _commit(ids, now, db, lock)


def export_file(
    path: str | Path,
    flt: OutboxFilter | None = None,
    *,
    only_new: bool = False,
    now: int,
    tz: dt.tzinfo | None = None,
    db: Database | None = None,
    progress: Callable[[int], None] | None = None,
    delimiter: str = ",",
) -> ExportResult:
    """Export to a file for spreadsheets: UTF-8 with a BOM, so Excel reads it in any locale.

    The rows go to ``FILE.part`` beside the target, which replaces the target only when
    complete, in the transaction that marks the rows. On any failure or cancel the part
    file is removed, nothing is marked, and ExportError names the user's file.
    """
    db = _db(db)
    target = Path(path)
    check_output_path(target, db)
    if target.is_dir():
        raise ExportError(f"{target}: is a folder; choose a file name")
    partial = target.with_name(target.name + ".part")
    with ExportLock(db) as lock:
        try:
            with partial.open("w", encoding=FILE_ENCODING, newline="") as out:
                ids = _write_rows(out, flt, only_new, tz, db, lock, progress, delimiter)
            return _commit(ids, now, db, lock, lambda: os.replace(partial, target))
        except OSError as exc:
            raise ExportError(f"{target}: cannot write the export ({exc.strerror or exc})"
                              ) from exc
        finally:
            partial.unlink(missing_ok=True)
