"""The delivery report import's steps on SQLite (SPEC §15), a batch of lines at a time.

Each batch the reader hands over (in a thread of its own, reading the next one meanwhile)
is applied in turn: staged in a TEMP table, then one join with the outbox
and the messages' ``delivery`` rows picks its lines that move a message (each with the step
it stood at before and the outbox columns the later steps need) and its lines naming no
message; those that move become customer events, the counters' upserts (summed per counter)
and the ``delivery`` upserts. A batch is judged against the rows the earlier batches left,
so the batches give what the whole file at once gives: a line moves its message when its
status is above every step stored or given by an earlier line. Every batch's tables stay a
few megabytes (the import's memory does not grow with the file), and the next batch is
read while this one is written (on another core when one is free).

What a batch most often is, a message once each: judged against the stored rows alone.
When one message has several lines in the batch and two of them move it on the ladder (or
by the same status apart), the batch is judged again against its own earlier lines, by a
window over each message's lines (several times as long, for what needs it only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from journey_desktop.domain.delivery import (
    APART,
    EVENT_PREFIX,
    LADDER,
    STATUSES,
    ReportBatch,
    ReportReader,
    ids_as_written,
    level,
)
from journey_desktop.store import sqlite_bulk
from journey_desktop.store.audience import Progress
from journey_desktop.store.db import database
from journey_desktop.store.delivery import BUCKET_SECONDS, Totals
from journey_desktop.store.read_ahead import ReadAhead

log = logging.getLogger(__name__)

BATCH_LINES = 50_000
STAGE = "delivery_in"
APPLIED = "delivery_applied"
_LEVEL_SQL = ("CASE {} WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'opened' THEN 3"
              " WHEN 'clicked' THEN 4 ELSE 0 END")  # domain.delivery.level, in SQL
_APPLIED_COLUMNS = ("line, outbox_id, status, step, prior, occurred_at, detail, early,"
                    " journey_id, node, channel, external_id, message_id")
# The outbox's columns each later step needs, read once; a line naming no message keeps
# its message id (outbox_id NULL) to be listed.
_FROM_OUTBOX = ("o.id, {status}, {step}, {prior}, {at}, {detail}, {at} < o.created_at,"
                " o.journey_id, o.node, o.channel, o.external_id,"
                " CASE WHEN o.id IS NULL THEN {message_id} END")


def _level(column: str) -> str:
    assert [level(status) for status in STATUSES] == [1, 2, 3, 4, 0, 0, 0]
    return _LEVEL_SQL.format(column)


def create(conn: Any) -> None:
    """The TEMP tables a batch goes through (no write lock on the database file)."""
    conn.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
    conn.execute(f"DROP TABLE IF EXISTS temp.{APPLIED}")
    conn.execute(f"CREATE TEMP TABLE {STAGE} (line INTEGER PRIMARY KEY, message_id TEXT,"
                 " outbox_id INTEGER, status TEXT, occurred_at INTEGER, detail TEXT)")
    conn.execute(f"CREATE TEMP TABLE {APPLIED} (line INTEGER PRIMARY KEY, outbox_id INTEGER,"
                 " status TEXT, step INTEGER, prior INTEGER, occurred_at INTEGER, detail TEXT,"
                 " early INTEGER, journey_id INTEGER, node TEXT, channel TEXT,"
                 " external_id TEXT, message_id TEXT)")


def drop_stage() -> None:
    try:
        conn = database.connection()
        conn.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
        conn.execute(f"DROP TABLE IF EXISTS temp.{APPLIED}")
    except Exception:  # the connection is gone: so are its TEMP tables
        log.debug("delivery stage not dropped", exc_info=True)


def apply(conn: Any, reader: ReportReader, progress: Progress | None, dbid: str, now: int,
          import_id: int, totals: Totals) -> None:
    """Read the report and apply it batch by batch, in the caller's transaction, adding
    what it did to ``totals``."""
    create(conn)
    stage = _Stage(conn)
    pick = _pick_sql()
    events = sqlite_bulk.EventInsert(now, import_id)
    with reader, ReadAhead(_counted(reader), name="delivery-reader") as batches:
        for batch, ids_written, details, read, position in batches:
            if len(batch):
                conn.execute(f"DELETE FROM {STAGE}")
                conn.execute(f"DELETE FROM {APPLIED}")
                stage.write(batch, ids=not ids_written, details=details)
                conn.execute(pick, (dbid,))
                if _twice(conn, batch):
                    conn.execute(f"DELETE FROM {APPLIED}")
                    _pick_in_order(conn, dbid)
                applied = _note(conn, totals, batch)
                if applied:
                    later = (reader.size - position) * read // max(position, 1)
                    _events(conn, events, applied, later, dbid)
                    _count(conn)
                    _move(conn, now, import_id)
            if progress is not None:
                progress(read, position, reader.size)
    events.finish()


def _counted(reader: ReportReader) -> Iterator[tuple[ReportBatch, bool, bool, int, int]]:
    """Each batch; whether its message ids are as ``message_id`` writes them and whether it
    has details (in the reading thread); and the lines and bytes read up to its end."""
    for batch in reader.batches(BATCH_LINES):
        yield (batch, batch.ids_written or ids_as_written(batch.message_ids, reader.database_id),
               any(batch.details), reader.read, reader.bytes_read)


class _Stage:
    """The batch's lines into the stage. Message ids that their number says (the usual
    report) and empty details are not handed over: written in SQL (NULL, ''), they take
    a third less time to stage."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._inserts: dict[tuple[bool, bool], sqlite_bulk.ColumnsInsert] = {}

    def write(self, batch: ReportBatch, *, ids: bool, details: bool) -> None:
        insert = self._inserts.get((ids, details))
        if insert is None:
            names = ["line", "outbox_id", "status", "occurred_at"]
            names += ["message_id"] if ids else []
            names += ["detail"] if details else []
            constants = ("" if ids else ", NULL") + ("" if details else ", ''")
            rest = ([] if ids else ["message_id"]) + ([] if details else ["detail"])
            insert = self._inserts[(ids, details)] = sqlite_bulk.ColumnsInsert(
                self._conn, f"INSERT INTO {STAGE} ({', '.join(names + rest)}) VALUES ",
                len(names), constants=constants)
        columns: list[list[Any]] = [batch.lines, batch.outbox_ids, batch.statuses, batch.times]
        columns += [batch.message_ids] if ids else []
        columns += [batch.details] if details else []
        insert.write(columns)


def _pick_sql() -> str:
    """The statement that picks the staged lines that move their message, judged against
    the stored rows alone, and those naming no message."""
    step = _level("i.status")
    stored_apart = " OR ".join(f"(i.status = '{status}' AND d.{status}_at IS NOT NULL)"
                               for status in APART)
    picked = _FROM_OUTBOX.format(status="i.status", step=step, prior="coalesce(d.level, 0)",
                                 at="i.occurred_at", detail="i.detail",
                                 message_id="coalesce(i.message_id, ?1 || '-' || i.outbox_id)")
    return (f"INSERT INTO {APPLIED} ({_APPLIED_COLUMNS}) SELECT i.line, {picked}"
            f" FROM {STAGE} i LEFT JOIN outbox o ON o.id = i.outbox_id"
            " LEFT JOIN delivery d ON d.outbox_id = o.id"
            f" WHERE o.id IS NULL OR CASE WHEN {step} > 0 THEN {step} > coalesce(d.level, 0)"
            f" ELSE NOT ({stored_apart}) END")


def _twice(conn: Any, batch: ReportBatch) -> bool:
    """Whether the batch's lines picked move a message twice on the ladder, or twice by
    one status apart: then they must be judged against the batch's earlier lines too."""
    ids = [outbox_id for outbox_id in batch.outbox_ids if outbox_id is not None]
    if len(set(ids)) == len(ids):
        return False  # a message once each
    (twice,) = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM {APPLIED} WHERE outbox_id IS NOT NULL"
        f" GROUP BY outbox_id, CASE WHEN step > 0 THEN '' ELSE status END"
        " HAVING count(*) > 1)").fetchone()
    return bool(twice)


def _pick_in_order(conn: Any, dbid: str) -> None:
    """As ``_pick_sql``, the staged lines judged against the stored rows and the batch's
    earlier lines of their message, by a window over each message's lines."""
    step = _level("i.status")
    earlier = ("OVER (PARTITION BY i.outbox_id ORDER BY i.line ROWS BETWEEN UNBOUNDED"
               " PRECEDING AND 1 PRECEDING)")
    given_apart = ", ".join(f"coalesce(max(i.status = '{status}') {earlier}, 0) AS had_{status}"
                            for status in APART)
    before_apart = " OR ".join(
        f"(l.status = '{status}' AND (l.had_{status} OR d.{status}_at IS NOT NULL))"
        for status in APART)
    prior = "max(coalesce(d.level, 0), l.file_prior)"
    picked = _FROM_OUTBOX.format(status="l.status", step="l.step", prior=prior,
                                 at="l.occurred_at", detail="l.detail",
                                 message_id="coalesce(l.message_id, ?1 || '-' || l.outbox_id)")
    conn.execute(
        f"INSERT INTO {APPLIED} ({_APPLIED_COLUMNS}) SELECT l.line, {picked} FROM ("
        f" SELECT i.line, i.message_id, i.outbox_id, i.status, {step} AS step,"
        f" i.occurred_at, i.detail, coalesce(max({step}) {earlier}, 0) AS file_prior,"
        f" {given_apart} FROM {STAGE} i) l"
        " LEFT JOIN outbox o ON o.id = l.outbox_id LEFT JOIN delivery d ON d.outbox_id = o.id"
        f" WHERE o.id IS NULL OR CASE WHEN l.step > 0 THEN l.step > {prior}"
        f" ELSE NOT ({before_apart}) END ORDER BY l.line", (dbid,))


def _note(conn: Any, totals: Totals, batch: ReportBatch) -> int:
    """The batch's counts added to ``totals``, its unknown lines (with their cells) and
    first early lines listed; returns how many lines it applied."""
    applied, unknown, early = conn.execute(
        f"SELECT count(outbox_id), count(*) - count(outbox_id), coalesce(sum(early), 0)"
        f" FROM {APPLIED}").fetchone()
    totals.applied += applied
    totals.early += early
    if early and len(totals.early_lines) < 10:
        totals.early_lines += [line for (line,) in conn.execute(
            f"SELECT line FROM {APPLIED} WHERE early = 1 ORDER BY line LIMIT ?",
            (10 - len(totals.early_lines),))]
    if unknown:
        for line, message_id in conn.execute(
                f"SELECT line, message_id FROM {APPLIED} WHERE outbox_id IS NULL"
                " ORDER BY line"):
            totals.add_unknown(line, message_id, batch.cells(line))
    return int(applied)


def _events(conn: Any, insert: sqlite_bulk.EventInsert, applied: int, later: int,
            dbid: str) -> None:
    """Each applied line as the customer event ``message_<status>`` with ``journey`` (its
    name), ``node`` and ``message_id``, and for a status on the ladder the step the message
    stood at before (``ladder_from``: a click from step 2 stands for the open too, see
    ``domain.delivery.ladder_event``), and the line's ``detail`` when it gave one; keyed by
    message id and status, so it is stored once whatever imports it again. ``later``: about
    how many lines the file has after the batch, for the events' indexes."""
    message = "?1 || '-' || a.outbox_id"  # domain.delivery.message_id
    insert.insert_select(
        message_id=f"{message} || '/' || a.status", external_id="a.external_id",
        name=f"'{EVENT_PREFIX}' || a.status", occurred_at="a.occurred_at",
        properties=(f"CASE WHEN a.detail = '' THEN {_properties(message)} ELSE"
                    f" {_properties(message, 'a.detail')} END"),
        ladder_from="CASE WHEN a.step > 0 THEN a.prior END",
        source=f"FROM {APPLIED} a JOIN journey j ON j.id = a.journey_id"
               " WHERE a.outbox_id IS NOT NULL ORDER BY a.line",
        params=(dbid,), rows=applied, expected=applied + later)


def _properties(message: str, detail: str | None = None) -> str:
    """A delivery event's properties as a JSON object, its keys in name order."""
    given = f"'detail', {detail}, " if detail is not None else ""
    return f"json_object({given}'journey', j.name, 'message_id', {message}, 'node', a.node)"


def _count(conn: Any) -> None:
    """The applied lines added to the per-quarter-hour counters, summed per counter. The
    status, the step before and the quarter hour are grouped as one number (sorting rows
    of four columns instead of six took about 0.3 s less a million lines)."""
    code = " ".join(f"WHEN '{status}' THEN {number}"
                    for number, status in enumerate(STATUSES, start=1))
    status = " ".join(f"WHEN {number} THEN '{status}'"
                      for number, status in enumerate(STATUSES, start=1))
    conn.execute(
        "INSERT INTO delivery_count (journey_id, node, channel, status, prior, bucket, count)"
        f" SELECT journey_id, node, channel, CASE k % 8 {status} END, k / 8 % 8,"
        f" k / 64 * {BUCKET_SECONDS}, n FROM (SELECT journey_id, node, channel,"
        f" ((occurred_at / {BUCKET_SECONDS}) * 8 + prior) * 8 + CASE status {code} END AS k,"
        f" count(*) AS n FROM {APPLIED} WHERE outbox_id IS NOT NULL GROUP BY 4, 1, 2, 3)"
        " WHERE 1 ON CONFLICT DO UPDATE SET count = delivery_count.count + excluded.count")


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
        f" FROM {APPLIED} a WHERE a.outbox_id IS NOT NULL ORDER BY a.line"
        " ON CONFLICT (outbox_id) DO UPDATE SET level = max(level, excluded.level), "
        + ", ".join(f"{column} = coalesce({column}, excluded.{column})" for column in columns)
        + ", detail = CASE WHEN excluded.detail <> '' THEN excluded.detail ELSE detail END,"
        " early = max(early, excluded.early), line = excluded.line,"
        " imported_at = excluded.imported_at, import_id = excluded.import_id",
        (now, import_id))
