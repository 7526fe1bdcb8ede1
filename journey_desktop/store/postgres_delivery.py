"""The delivery report import's steps on a team database (SPEC §14, §15): the same steps
as ``store.sqlite_delivery`` runs on SQLite, in PostgreSQL's SQL.

What differs: the report's lines are staged with ``COPY``; the lines that move their
message are always judged against the file's earlier lines too (a window over each
message's lines: SQLite's quicker first try relies on a failed statement being undone
alone, where PostgreSQL would abort the transaction); and an upsert may not touch a row
twice in one statement, so the counters are summed per key and the lines of one message
folded in file order into one row before their upserts, with the results SQLite's
line-by-line upserts give.
"""

from __future__ import annotations

from typing import Any

from journey_desktop.domain.delivery import (
    APART,
    EVENT_PREFIX,
    LADDER,
    STATUSES,
    ReportReader,
    level,
)
from journey_desktop.store import postgres_bulk
from journey_desktop.store.audience import Progress
from journey_desktop.store.delivery import BUCKET_SECONDS, Totals
from journey_desktop.store.read_ahead import ReadAhead

STAGE = "delivery_in"
APPLIED = "delivery_applied"
_STAGE_COLUMNS = ("line", "message_id", "outbox_id", "status", "occurred_at", "detail")


def _level(column: str) -> str:
    """``domain.delivery.level`` in SQL."""
    whens = " ".join(f"WHEN '{status}' THEN {level(status)}" for status in LADDER)
    return f"CASE {column} {whens} ELSE 0 END"


def apply(conn: Any, reader: ReportReader, progress: Progress | None, dbid: str, now: int,
          import_id: int, totals: Totals) -> None:
    """Read the whole report into a TEMP table, then apply it (the caller's transaction),
    adding what it did to ``totals``."""
    stage(conn, reader, progress, totals)
    applied = applied_lines(conn)
    totals.applied, totals.early = conn.execute(
        f"SELECT count(*), coalesce(sum(early), 0) FROM {APPLIED}").fetchone()
    totals.early_lines = [line for (line,) in conn.execute(
        f"SELECT line FROM {APPLIED} WHERE early = 1 ORDER BY line LIMIT 10")]
    if applied:
        events(conn, applied, dbid, now, import_id)
        count(conn)
        move(conn, now, import_id)


def stage(conn: Any, reader: ReportReader, progress: Progress | None, totals: Totals) -> None:
    """The report's lines into a TEMP table, read a batch ahead while the last is copied;
    each batch's lines naming no message go to ``totals`` with their cells, while the
    batch is at hand."""
    conn.execute(f"CREATE TEMP TABLE {STAGE} (line BIGINT PRIMARY KEY, message_id TEXT,"
                 " outbox_id BIGINT, status TEXT, occurred_at BIGINT, detail TEXT)"
                 " ON COMMIT DROP")
    with reader, ReadAhead(_counted(reader), name="delivery-reader") as batches:
        for batch, read, position in batches:
            postgres_bulk.copy_rows(STAGE, _STAGE_COLUMNS, zip(
                batch.lines, batch.message_ids, batch.outbox_ids, batch.statuses,
                batch.times, batch.details, strict=True))
            if len(batch):
                for line, message_id in conn.execute(
                        f"SELECT line, message_id FROM {STAGE} i WHERE line BETWEEN ? AND ?"
                        " AND (outbox_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox o"
                        " WHERE o.id = i.outbox_id)) ORDER BY line",
                        (batch.lines[0], batch.lines[-1])):
                    totals.add_unknown(line, message_id, batch.cells(line))
            if progress is not None:
                progress(read, position, reader.size)


def _counted(reader: ReportReader) -> Any:
    for batch in reader.batches():
        yield batch, reader.read, reader.bytes_read


def applied_lines(conn: Any) -> int:
    """As ``sqlite_delivery._pick``: the lines that move their message, in line order,
    with the step it stood at before (``prior``); returns how many. First judged against
    the stored rows alone; when that moves a message twice on the ladder (or twice by one
    status apart), judged again against the file's earlier lines too, as on SQLite."""
    step = _level("i.status")
    stored_apart = " OR ".join(f"(i.status = '{status}' AND d.{status}_at IS NOT NULL)"
                               for status in APART)
    applied = int(conn.execute(
        f"CREATE TEMP TABLE {APPLIED} ON COMMIT DROP AS SELECT i.line, i.outbox_id,"
        f" i.status, {step} AS step, coalesce(d.level, 0) AS prior, i.occurred_at, i.detail,"
        " (i.occurred_at < o.created_at)::int AS early,"
        f" CASE WHEN {step} > 0 THEN '' ELSE i.status END AS apart"
        f" FROM {STAGE} i JOIN outbox o ON o.id = i.outbox_id"
        " LEFT JOIN delivery d ON d.outbox_id = i.outbox_id"
        f" WHERE CASE WHEN {step} > 0 THEN {step} > coalesce(d.level, 0)"
        f" ELSE NOT ({stored_apart}) END ORDER BY i.line").rowcount)
    (twice,) = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM {APPLIED} GROUP BY outbox_id, apart"
        " HAVING count(*) > 1)").fetchone()
    if not twice:
        return applied
    conn.execute(f"DROP TABLE {APPLIED}")
    earlier = ("OVER (PARTITION BY i.outbox_id ORDER BY i.line ROWS BETWEEN UNBOUNDED"
               " PRECEDING AND 1 PRECEDING)")
    given_apart = ", ".join(
        f"coalesce(bool_or(i.status = '{status}') {earlier}, false) AS had_{status}"
        for status in APART)
    before_apart = " OR ".join(
        f"(l.status = '{status}' AND (l.had_{status} OR d.{status}_at IS NOT NULL))"
        for status in APART)
    return int(conn.execute(
        f"CREATE TEMP TABLE {APPLIED} ON COMMIT DROP AS SELECT l.line, l.outbox_id,"
        " l.status, l.step, GREATEST(coalesce(d.level, 0), l.file_prior) AS prior,"
        " l.occurred_at, l.detail, (l.occurred_at < o.created_at)::int AS early FROM ("
        f" SELECT i.line, i.outbox_id, i.status, {step} AS step, i.occurred_at, i.detail,"
        f" coalesce(max({step}) {earlier}, 0) AS file_prior, {given_apart}"
        f" FROM {STAGE} i WHERE i.outbox_id IS NOT NULL) l"
        " JOIN outbox o ON o.id = l.outbox_id LEFT JOIN delivery d ON d.outbox_id = l.outbox_id"
        " WHERE CASE WHEN l.step > 0 THEN l.step > GREATEST(coalesce(d.level, 0), l.file_prior)"
        f" ELSE NOT ({before_apart}) END ORDER BY l.line").rowcount)


def count(conn: Any) -> None:
    """The applied lines added to the per-quarter-hour counters, summed per counter."""
    conn.execute(
        "INSERT INTO delivery_count AS c (journey_id, node, channel, status, prior, bucket,"
        " count) SELECT o.journey_id, o.node, o.channel, a.status, a.prior,"
        f" a.occurred_at - a.occurred_at % {BUCKET_SECONDS}, count(*)"
        f" FROM {APPLIED} a JOIN outbox o ON o.id = a.outbox_id GROUP BY 1, 2, 3, 4, 5, 6"
        " ON CONFLICT (journey_id, node, channel, status, prior, bucket)"
        " DO UPDATE SET count = c.count + excluded.count")


def events(conn: Any, applied: int, dbid: str, now: int, import_id: int) -> None:
    """As ``sqlite_delivery._events``: each applied line as the event ``message_<status>``
    (with the line's ``detail`` when it gave one)."""
    insert = postgres_bulk.EventInsert(now, import_id)
    message = "k.dbid || '-' || a.outbox_id"  # domain.delivery.message_id
    insert.insert_select(
        message_id=f"{message} || '/' || a.status", external_id="o.external_id",
        name=f"'{EVENT_PREFIX}' || a.status", occurred_at="a.occurred_at",
        properties=(f"(CASE WHEN a.detail = '' THEN {_properties(message)} ELSE"
                    f" {_properties(message, 'a.detail')} END)::text"),
        ladder_from="CASE WHEN a.step > 0 THEN a.prior END",
        source=f"FROM {APPLIED} a JOIN outbox o ON o.id = a.outbox_id"
               " JOIN journey j ON j.id = o.journey_id"
               " CROSS JOIN (SELECT ?::text AS dbid) k ORDER BY a.line",
        params=(dbid,), rows=applied)
    insert.finish()


def _properties(message: str, detail: str | None = None) -> str:
    """As ``sqlite_delivery._properties``: the keys in name order (``json``, not ``jsonb``,
    keeps them so)."""
    given = f"'detail', {detail}, " if detail is not None else ""
    return f"json_build_object({given}'journey', j.name, 'message_id', {message}, 'node', o.node)"


def _first(value: str) -> str:
    """The value of a message's first applied line (in file order) that has one."""
    return f"(array_agg({value} ORDER BY a.line) FILTER (WHERE {value} IS NOT NULL))[1]"


def move(conn: Any, now: int, import_id: int) -> None:
    """As ``sqlite_delivery._move``: each moved message's one row. Its lines are folded first, in
    file order: the furthest step, each status's first time, the last detail given (else
    the first line's), early if any was, the last line."""
    at = {status: (f"CASE WHEN a.step >= {level(status)} THEN a.occurred_at END"
                   if status in LADDER else
                   f"CASE WHEN a.status = '{status}' THEN a.occurred_at END")
          for status in STATUSES}
    columns = [f"{status}_at" for status in STATUSES]
    detail = ("coalesce((array_agg(a.detail ORDER BY a.line DESC) FILTER (WHERE a.detail"
              " <> ''))[1], (array_agg(a.detail ORDER BY a.line))[1])")
    conn.execute(
        f"INSERT INTO delivery AS d (outbox_id, level, {', '.join(columns)}, detail, early,"
        " line, imported_at, import_id) SELECT a.outbox_id, max(a.step),"
        f" {', '.join(_first(at[status]) for status in STATUSES)}, {detail}, max(a.early),"
        f" max(a.line), ?, ? FROM {APPLIED} a GROUP BY a.outbox_id"
        " ON CONFLICT (outbox_id) DO UPDATE SET level = GREATEST(d.level, excluded.level), "
        + ", ".join(f"{column} = coalesce(d.{column}, excluded.{column})"
                    for column in columns)
        + ", detail = CASE WHEN excluded.detail <> '' THEN excluded.detail ELSE d.detail END,"
        " early = GREATEST(d.early, excluded.early), line = excluded.line,"
        " imported_at = excluded.imported_at, import_id = excluded.import_id",
        (now, import_id))


def drop_stage() -> None:
    """Nothing to drop: the staging tables went with the transaction (``ON COMMIT DROP``)."""
