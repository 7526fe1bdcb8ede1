"""Schema versions: a new file gets the current schema; an older one is copied aside and
upgraded by ordered, atomic steps."""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from peewee import Database

from journey_desktop.store.db import NewerDatabaseError
from journey_desktop.store.postgres import (
    PostgresStore,
    TeamDatabaseError,
    check_upgrade_allowed,
    create_schema,
    stored_version,
    text_in_code_point_order,
)
from journey_desktop.store.records import ALL_RECORDS, SchemaVersionRecord
from journey_desktop.store.sqlite_sql import write_transaction

log = logging.getLogger(__name__)

SCHEMA_VERSION = 13


def _v2_customer_indexes(db: Database, _path: Path | None) -> None:
    """Customers: drop the index on journey_id alone (the unique (journey_id, external_id)
    index serves the same lookups), and index next_check_at only where it is set."""
    db.execute_sql('DROP INDEX IF EXISTS "customer_journey_id"')
    db.execute_sql('DROP INDEX IF EXISTS "customer_journey_id_next_check_at"')
    db.execute_sql(
        'CREATE INDEX "customer_journey_id_next_check_at" ON "customer" '
        '("journey_id", "next_check_at") WHERE ("next_check_at" IS NOT NULL)'
    )


_V3_TABLES = (
    'CREATE TABLE "profile" ("external_id" TEXT NOT NULL PRIMARY KEY, "fields" TEXT NOT NULL,'
    ' "created_at" INTEGER NOT NULL, "updated_at" INTEGER NOT NULL, "import_id" INTEGER)'
    " WITHOUT ROWID",
    'CREATE TABLE "member" ("journey_id" INTEGER NOT NULL, "external_id" TEXT NOT NULL,'
    ' "entries" INTEGER NOT NULL, "first_check_at" INTEGER, "next_check_at" INTEGER,'
    ' "imported_at" INTEGER NOT NULL, "import_id" INTEGER,'
    ' PRIMARY KEY ("journey_id", "external_id"),'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    'CREATE INDEX "member_journey_id_next_check_at" ON "member" ("journey_id",'
    ' "next_check_at") WHERE ("next_check_at" IS NOT NULL)',
)
CONFLICTS_HEADER = ["customerId", "field", "kept_value", "kept_journey", "other_value",
                    "other_journey"]


def conflicts_path(db_path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return db_path.with_name(f"{db_path.name}.merge-conflicts-{stamp}.csv")


def _merged_profiles(
    rows: Iterator[tuple[str, str, int, str]],
) -> Iterator[tuple[str, dict[str, object], int, int, list[list[str]]]]:
    """Each customer's fields merged over their journeys, oldest import first, so the most
    recently imported value of a field wins; with their first and last import times and the
    conflicts that decided."""
    current: str | None = None
    fields: dict[str, object] = {}
    source: dict[str, str] = {}
    conflicts: list[list[str]] = []
    first = last = 0
    for external_id, text, imported_at, journey in rows:
        if external_id != current:
            if current is not None:
                yield current, fields, first, last, conflicts
            current, fields, source, conflicts, first = external_id, {}, {}, [], imported_at
        last = imported_at
        try:
            values = json.loads(text or "{}")
        except ValueError:
            values = {}
        for name, value in (values.items() if isinstance(values, dict) else ()):
            if name in fields and fields[name] != value:
                conflicts.append([external_id, name, _cell(value), journey, _cell(fields[name]),
                                  source[name]])
            fields[name] = value
            source[name] = journey
    if current is not None:
        yield current, fields, first, last, conflicts


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _v3_customer_base(db: Database, db_path: Path | None) -> None:
    """One profile per customer ID, shared by every journey; audiences become memberships.

    Customers held by one journey move as they are (one statement). Those held by several
    are merged field by field, the most recent import winning; every field on which two
    journeys disagreed is counted in the log and written to a CSV beside the database.
    """
    for sql in _V3_TABLES:
        db.execute_sql(sql)
    db.execute_sql('ALTER TABLE "journey" ADD COLUMN "audience" TEXT NOT NULL DEFAULT \'csv\'')
    db.execute_sql(
        "INSERT INTO profile (external_id, fields, created_at, updated_at) "
        "SELECT external_id, fields, imported_at, imported_at FROM customer "
        "GROUP BY external_id HAVING count(*) = 1"
    )
    cursor = db.execute_sql(
        "SELECT c.external_id, c.fields, c.imported_at, j.name FROM customer c "
        "JOIN journey j ON j.id = c.journey_id WHERE c.external_id IN ("
        " SELECT external_id FROM customer GROUP BY external_id HAVING count(*) > 1) "
        "ORDER BY c.external_id, c.imported_at, c.id"
    )
    report = conflicts_path(db_path) if db_path is not None else None
    part = report.with_name(report.name + ".part") if report is not None else None
    count = merged = 0
    handle = None
    try:
        for external_id, fields, first, last, conflicts in _merged_profiles(iter(cursor)):
            db.execute_sql(
                "INSERT INTO profile (external_id, fields, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (external_id, json.dumps(fields, ensure_ascii=False), first, last),
            )
            merged += 1
            if conflicts and part is not None:
                if handle is None:
                    handle = part.open("w", encoding="utf-8-sig", newline="")
                    writer = csv.writer(handle)
                    writer.writerow(CONFLICTS_HEADER)
                writer.writerows(conflicts)
            count += len(conflicts)
        if handle is not None:
            handle.close()
            handle = None
            assert part is not None and report is not None
            part.replace(report)
    finally:
        if handle is not None:
            handle.close()
            if part is not None:
                part.unlink(missing_ok=True)
    db.execute_sql(
        "INSERT INTO member (journey_id, external_id, entries, first_check_at, next_check_at,"
        " imported_at) SELECT journey_id, external_id, entries, first_check_at, next_check_at,"
        " imported_at FROM customer"
    )
    db.execute_sql('DROP TABLE "customer"')
    if count:
        log.warning(
            "customer base: %d customers were in several journeys; %d field values differed "
            "between them (the most recent import kept), listed in %s", merged, count, report,
        )
    else:
        log.info("customer base: %d customers were in several journeys, with no conflicts",
                 merged)


_V4_EVENTS = (
    'CREATE TABLE "event" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,'
    ' "event_key" TEXT NOT NULL, "external_id" TEXT NOT NULL, "name" TEXT NOT NULL,'
    ' "occurred_at" INTEGER NOT NULL, "properties" TEXT NOT NULL, "imported_at" INTEGER NOT NULL,'
    ' "import_id" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "event_event_key" ON "event" ("event_key")',
    'CREATE INDEX "event_external_id_name_occurred_at" ON "event" ("external_id", "name",'
    ' "occurred_at")',
)


def _v4_events(db: Database, _path: Path | None) -> None:
    """Customer events (SPEC §11): a new, empty table; nothing else changes."""
    for sql in _V4_EVENTS:
        db.execute_sql(sql)


_V5_EVENT_RUNS = (
    'ALTER TABLE "run" ADD COLUMN "event_seq" INTEGER',
    'ALTER TABLE "run" ADD COLUMN "matched_seq" INTEGER',
    'ALTER TABLE "run" ADD COLUMN "wait_since" INTEGER',
    'CREATE TABLE "event_mark" ("journey_id" INTEGER NOT NULL PRIMARY KEY, "seq" INTEGER NOT'
    ' NULL, FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "event_queue" ("journey_id" INTEGER NOT NULL, "kind" TEXT NOT NULL,'
    ' "seq" INTEGER NOT NULL, "external_id" TEXT NOT NULL, "name" TEXT NOT NULL,'
    ' "occurred_at" INTEGER NOT NULL, PRIMARY KEY ("journey_id", "kind", "seq"),'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    'CREATE INDEX "event_queue_journey_id_kind_occurred_at" ON "event_queue"'
    ' ("journey_id", "kind", "occurred_at")',
    'CREATE TABLE "wait_timeout" ("journey_id" INTEGER NOT NULL, "external_id" TEXT NOT NULL,'
    ' "entry_number" INTEGER NOT NULL, "node" TEXT NOT NULL, "since" INTEGER NOT NULL,'
    ' "deadline" INTEGER NOT NULL,'
    ' PRIMARY KEY ("journey_id", "external_id", "entry_number", "node"),'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    'CREATE TABLE "wait_event_count" ("journey_id" INTEGER NOT NULL, "node" TEXT NOT NULL,'
    ' "matched" INTEGER NOT NULL, "timed_out" INTEGER NOT NULL, "late" INTEGER NOT NULL,'
    ' PRIMARY KEY ("journey_id", "node"),'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID',
)


def _v5_event_runs(db: Database, _path: Path | None) -> None:
    """Runs that start on and wait for events: the run's entry and matched events, the
    time it began waiting; per journey the import-order watermark, the queue of events it
    has still to take, the timed-out waits (to count late events) and the wait counters."""
    for sql in _V5_EVENT_RUNS:
        db.execute_sql(sql)
    # Active journeys take the events imported from now on, never the whole table again.
    db.execute_sql(
        "INSERT INTO event_mark (journey_id, seq) SELECT id,"
        " (SELECT coalesce(max(seq), 0) FROM event) FROM journey WHERE status = 'active'"
    )


_V6_DELIVERY = (
    'CREATE TABLE "delivery" ("id" INTEGER NOT NULL PRIMARY KEY, "outbox_id" INTEGER NOT NULL,'
    ' "status" TEXT NOT NULL, "occurred_at" INTEGER NOT NULL, "detail" TEXT NOT NULL,'
    ' "early" INTEGER NOT NULL, "implied" INTEGER NOT NULL, "line" INTEGER NOT NULL,'
    ' "imported_at" INTEGER NOT NULL, "import_id" INTEGER NOT NULL,'
    ' FOREIGN KEY ("outbox_id") REFERENCES "outbox" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "delivery_outbox_id_status" ON "delivery" ("outbox_id", "status")',
    'CREATE TABLE "delivery_count" ("journey_id" INTEGER NOT NULL, "node" TEXT NOT NULL,'
    ' "channel" TEXT NOT NULL, "status" TEXT NOT NULL, "bucket" INTEGER NOT NULL,'
    ' "count" INTEGER NOT NULL, PRIMARY KEY ("journey_id", "node", "channel", "status",'
    ' "bucket"), FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE)'
    " WITHOUT ROWID",
    'CREATE TABLE "forecast_day" ("journey_id" INTEGER NOT NULL, "day" TEXT NOT NULL,'
    ' "entered" INTEGER NOT NULL, "messages" INTEGER NOT NULL, "made_at" INTEGER NOT NULL,'
    ' PRIMARY KEY ("journey_id", "day"), FOREIGN KEY ("journey_id") REFERENCES "journey"'
    ' ("id") ON DELETE CASCADE) WITHOUT ROWID',
)


def _v6_delivery(db: Database, _path: Path | None) -> None:
    """Delivery reports and the forecast kept at activation (SPEC §15): new, empty tables."""
    for sql in _V6_DELIVERY:
        db.execute_sql(sql)


def _v7_message_counts(db: Database, _path: Path | None) -> None:
    """Messages written per node, counted once from the outbox; the evaluator keeps them."""
    db.execute_sql(
        'CREATE TABLE "message_count" ("journey_id" INTEGER NOT NULL, "node" TEXT NOT NULL,'
        ' "channel" TEXT NOT NULL, "written" INTEGER NOT NULL,'
        ' PRIMARY KEY ("journey_id", "node", "channel"), FOREIGN KEY ("journey_id")'
        ' REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID'
    )
    db.execute_sql(
        "INSERT INTO message_count (journey_id, node, channel, written)"
        " SELECT journey_id, node, channel, count(*) FROM outbox"
        " GROUP BY journey_id, node, channel"
    )


_V8_GOALS = (
    'CREATE TABLE "conversion" ("run_id" INTEGER NOT NULL PRIMARY KEY,'
    ' "journey_id" INTEGER NOT NULL, "external_id" TEXT NOT NULL,'
    ' "entry_number" INTEGER NOT NULL, "started_at" INTEGER NOT NULL,'
    ' "converted_at" INTEGER NOT NULL, "event_seq" INTEGER NOT NULL,'
    ' FOREIGN KEY ("run_id") REFERENCES "run" ("id") ON DELETE CASCADE,'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "conversion_journey_id_started_at" ON "conversion" ("journey_id",'
    ' "started_at")',
    'CREATE TABLE "goal_mark" ("journey_id" INTEGER NOT NULL PRIMARY KEY,'
    ' "seq" INTEGER NOT NULL, "run_id" INTEGER NOT NULL,'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "run_branch" ("journey_id" INTEGER NOT NULL, "node" TEXT NOT NULL,'
    ' "branch" INTEGER NOT NULL, "started_at" INTEGER NOT NULL,'
    ' "external_id" TEXT NOT NULL, "entry_number" INTEGER NOT NULL,'
    ' "converted" INTEGER NOT NULL,'
    ' PRIMARY KEY ("journey_id", "node", "branch", "started_at", "external_id",'
    ' "entry_number"),'
    ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    'CREATE UNIQUE INDEX "run_branch_journey_id_external_id_entry_number_node"'
    ' ON "run_branch" ("journey_id", "external_id", "entry_number", "node")',
)


def _v8_goals(db: Database, _path: Path | None) -> None:
    """Goals, exit rules and control groups (SPEC §12): conversions, the marks of the goal
    and exit rules, and the branch each run took at a split: new, empty tables."""
    for sql in _V8_GOALS:
        db.execute_sql(sql)


_LEVEL_SQL = ("CASE {} WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'opened' THEN 3"
              " WHEN 'clicked' THEN 4 ELSE 0 END")  # domain.delivery.level, frozen
_V9_DELIVERY = (
    'CREATE TABLE "delivery" ("outbox_id" INTEGER NOT NULL PRIMARY KEY,'
    ' "level" INTEGER NOT NULL, "sent_at" INTEGER, "delivered_at" INTEGER,'
    ' "opened_at" INTEGER, "clicked_at" INTEGER, "bounced_at" INTEGER, "failed_at" INTEGER,'
    ' "unsubscribed_at" INTEGER, "detail" TEXT NOT NULL, "early" INTEGER NOT NULL,'
    ' "line" INTEGER NOT NULL, "imported_at" INTEGER NOT NULL, "import_id" INTEGER NOT NULL,'
    ' FOREIGN KEY ("outbox_id") REFERENCES "outbox" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "delivery_count" ("journey_id" INTEGER NOT NULL, "node" TEXT NOT NULL,'
    ' "channel" TEXT NOT NULL, "status" TEXT NOT NULL, "prior" INTEGER NOT NULL,'
    ' "bucket" INTEGER NOT NULL, "count" INTEGER NOT NULL, PRIMARY KEY ("journey_id",'
    ' "node", "channel", "status", "prior", "bucket"), FOREIGN KEY ("journey_id")'
    ' REFERENCES "journey" ("id") ON DELETE CASCADE) WITHOUT ROWID',
)
# The statuses a line implied, and the events they were (by key), beside the line's own.
_V9_IMPLIED = (
    "CREATE TEMP TABLE v9_moved AS SELECT i.outbox_id, i.status, g.status AS given,"
    " g.import_id, g.line FROM v8_delivery i JOIN v8_delivery g ON g.outbox_id = i.outbox_id"
    " AND g.import_id = i.import_id AND g.line = i.line AND g.implied = 0 WHERE i.implied = 1"
)


def _v9_one_row_per_message(db: Database, _path: Path | None) -> None:
    """Delivery reports store one row per message and one event per report line (SPEC §15):
    the rows of a message's statuses become its row (furthest step, when each status was
    first reached); the events of implied statuses are dropped, what pointed at them
    (runs, conversions, queues) points at the line's own event, which keeps the step the
    message stood at before it (``event.ladder_from``); the counters count lines from a
    step. Journeys see the same events as before: ``message_clicked`` from step 2 stands
    for ``message_opened`` too."""
    from journey_desktop.domain.event_values import MESSAGE_KEY_PREFIX

    db.execute_sql('ALTER TABLE "event" ADD COLUMN "ladder_from" INTEGER')
    db.execute_sql('ALTER TABLE "delivery" RENAME TO "v8_delivery"')
    db.execute_sql('DROP INDEX IF EXISTS "delivery_outbox_id_status"')
    db.execute_sql('ALTER TABLE "delivery_count" RENAME TO "v8_delivery_count"')
    for sql in _V9_DELIVERY:
        db.execute_sql(sql)
    row = db.execute_sql("SELECT value FROM setting WHERE key = 'database_id'").fetchone()
    key = f"'{MESSAGE_KEY_PREFIX}' || ? || '-' || {{}}.outbox_id || '/' || {{}}"
    if row is not None:
        dbid = str(row[0])
        db.execute_sql(_V9_IMPLIED)
        # Each line's own event: the step before it (its lowest implied step, less one).
        db.execute_sql(
            "CREATE TEMP TABLE v9_line AS SELECT g.outbox_id, g.status,"
            f" coalesce((SELECT min({_LEVEL_SQL.format('m.status')}) FROM v9_moved m"
            "  WHERE m.outbox_id = g.outbox_id AND m.import_id = g.import_id"
            f"  AND m.line = g.line), {_LEVEL_SQL.format('g.status')}) - 1 AS prior"
            f" FROM v8_delivery g WHERE g.implied = 0 AND {_LEVEL_SQL.format('g.status')} > 0")
        db.execute_sql(
            "UPDATE event SET ladder_from = (SELECT l.prior FROM v9_line l WHERE"
            f" {key.format('l', 'l.status')} = event.event_key)"
            " WHERE seq IN (SELECT e.seq FROM v9_line l JOIN event e"
            f" ON e.event_key = {key.format('l', 'l.status')})", (dbid, dbid))
        db.execute_sql(
            "CREATE TEMP TABLE v9_seq AS SELECT old.seq AS old, new.seq AS new FROM v9_moved m"
            f" JOIN event old ON old.event_key = {key.format('m', 'm.status')}"
            f" JOIN event new ON new.event_key = {key.format('m', 'm.given')}", (dbid, dbid))
        db.execute_sql("CREATE UNIQUE INDEX temp.v9_seq_old ON v9_seq (old)")
        for table, column in (("run", "event_seq"), ("run", "matched_seq"),
                              ("conversion", "event_seq")):
            db.execute_sql(
                f"UPDATE {table} SET {column} = (SELECT s.new FROM v9_seq s"
                f" WHERE s.old = {table}.{column}) WHERE {column} IN (SELECT old FROM v9_seq)")
        db.execute_sql(
            "UPDATE OR IGNORE event_queue SET seq = (SELECT s.new FROM v9_seq s"
            " WHERE s.old = event_queue.seq), name = (SELECT e.name FROM v9_seq s JOIN event e"
            " ON e.seq = s.new WHERE s.old = event_queue.seq)"
            " WHERE seq IN (SELECT old FROM v9_seq)")
        db.execute_sql("DELETE FROM event_queue WHERE seq IN (SELECT old FROM v9_seq)")
        db.execute_sql("DELETE FROM event WHERE seq IN (SELECT old FROM v9_seq)")
        for table in ("v9_moved", "v9_line", "v9_seq"):
            db.execute_sql(f"DROP TABLE temp.{table}")
    first = "(SELECT {} FROM v8_delivery f WHERE f.outbox_id = d.outbox_id AND f.implied = 0" \
            " ORDER BY f.import_id DESC, f.line DESC LIMIT 1)"
    db.execute_sql(
        "INSERT INTO delivery (outbox_id, level, sent_at, delivered_at, opened_at, clicked_at,"
        " bounced_at, failed_at, unsubscribed_at, detail, early, line, imported_at, import_id)"
        f" SELECT d.outbox_id, max({_LEVEL_SQL.format('d.status')}),"
        + ", ".join(f" min(CASE WHEN d.status = '{s}' THEN d.occurred_at END)"
                    for s in ("sent", "delivered", "opened", "clicked", "bounced", "failed",
                              "unsubscribed"))
        + f", coalesce({first.format('f.detail')}, ''), max(d.early),"
        f" coalesce({first.format('f.line')}, max(d.line)), max(d.imported_at),"
        " max(d.import_id) FROM v8_delivery d GROUP BY d.outbox_id")
    db.execute_sql(
        "INSERT INTO delivery_count (journey_id, node, channel, status, prior, bucket, count)"
        f" SELECT journey_id, node, channel, status, max({_LEVEL_SQL.format('status')} - 1, 0),"
        " bucket, count FROM v8_delivery_count")
    db.execute_sql('DROP TABLE "v8_delivery"')
    db.execute_sql('DROP TABLE "v8_delivery_count"')


_V10_POLICY = (
    'ALTER TABLE "outbox" ADD COLUMN "send_at" INTEGER',
    'ALTER TABLE "outbox" ADD COLUMN "reason" TEXT',
    "UPDATE outbox SET send_at = due_at,"
    " status = CASE WHEN exported_at IS NULL THEN 'ready' ELSE 'exported' END",
    'CREATE INDEX "outbox_external_id_send_at" ON "outbox" ("external_id", "send_at")',
    'CREATE INDEX "outbox_held_journey_id_send_at" ON "outbox" ("journey_id", "send_at")'
    ' WHERE ("status" = \'held\')',
    'CREATE INDEX "outbox_suppressed_journey_id_reason" ON "outbox" ("journey_id", "reason")'
    ' WHERE ("status" = \'suppressed\')',
    'CREATE TABLE "rate_slot" ("channel" TEXT NOT NULL, "minute" INTEGER NOT NULL,'
    ' "used" INTEGER NOT NULL, PRIMARY KEY ("channel", "minute")) WITHOUT ROWID',
)


def _v10_policy(db: Database, _path: Path | None) -> None:
    """The messaging policy (SPEC §13): outbox statuses ready, held, suppressed, exported
    ('pending' becomes 'ready'), when each message may go (``send_at``, its due time so
    far) and why one was suppressed; the customers' messages by time for the caps; the
    minutes' slots for the rate limits."""
    for sql in _V10_POLICY:
        db.execute_sql(sql)


def _v11_field_exit_marks(db: Database, _path: Path | None) -> None:
    """Exit rules on fields follow what changed (SPEC §12): the goal mark remembers the
    profiles' last import and the local day they looked at; NULL, so the first tick after
    the upgrade looks at every run in progress once, as every tick did before."""
    db.execute_sql('ALTER TABLE "goal_mark" ADD COLUMN "profiles" INTEGER')
    db.execute_sql('ALTER TABLE "goal_mark" ADD COLUMN "fields_day" INTEGER')


# The two tables as schema 12 has them, frozen: the same columns, AUTOINCREMENT on the id.
_V12_TABLES = {
    "run": (
        '("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "journey_id" INTEGER NOT NULL,'
        ' "external_id" TEXT NOT NULL, "entry_number" INTEGER NOT NULL, "state" TEXT NOT NULL,'
        ' "node" TEXT NOT NULL, "due_at" INTEGER, "started_at" INTEGER NOT NULL,'
        ' "ended_at" INTEGER, "end_reason" TEXT, "path" TEXT NOT NULL, "event_seq" INTEGER,'
        ' "matched_seq" INTEGER, "wait_since" INTEGER,'
        ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE)',
        ("id", "journey_id", "external_id", "entry_number", "state", "node", "due_at",
         "started_at", "ended_at", "end_reason", "path", "event_seq", "matched_seq",
         "wait_since"),
        (
            'CREATE UNIQUE INDEX "run_journey_id_external_id_entry_number" ON "run"'
            ' ("journey_id", "external_id", "entry_number")',
            'CREATE INDEX "run_journey_id_state_due_at" ON "run" ("journey_id", "state",'
            ' "due_at")',
        ),
    ),
    "outbox": (
        '("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "journey_id" INTEGER NOT NULL,'
        ' "external_id" TEXT NOT NULL, "entry_number" INTEGER NOT NULL, "node" TEXT NOT NULL,'
        ' "channel" TEXT NOT NULL, "title" TEXT NOT NULL, "body" TEXT NOT NULL,'
        ' "url" TEXT NOT NULL, "extra" TEXT NOT NULL, "due_at" INTEGER NOT NULL,'
        ' "created_at" INTEGER NOT NULL, "exported_at" INTEGER, "status" TEXT NOT NULL,'
        ' "send_at" INTEGER, "reason" TEXT,'
        ' FOREIGN KEY ("journey_id") REFERENCES "journey" ("id") ON DELETE CASCADE)',
        ("id", "journey_id", "external_id", "entry_number", "node", "channel", "title",
         "body", "url", "extra", "due_at", "created_at", "exported_at", "status", "send_at",
         "reason"),
        (
            'CREATE UNIQUE INDEX "outbox_journey_id_external_id_entry_number_node" ON "outbox"'
            ' ("journey_id", "external_id", "entry_number", "node")',
            'CREATE INDEX "outbox_journey_id_due_at" ON "outbox" ("journey_id", "due_at")',
            'CREATE INDEX "outbox_external_id_send_at" ON "outbox" ("external_id", "send_at")',
            'CREATE INDEX "outbox_held_journey_id_send_at" ON "outbox" ("journey_id",'
            ' "send_at") WHERE ("status" = \'held\')',
            'CREATE INDEX "outbox_suppressed_journey_id_reason" ON "outbox" ("journey_id",'
            ' "reason") WHERE ("status" = \'suppressed\')',
        ),
    ),
}
# The rows that point at them (ON DELETE CASCADE: dropping the old table would take them).
_V12_CHILDREN = ("conversion", "delivery")
# Every id already handed out that is still written down somewhere: the sequence starts
# above them all (a goal mark may hold the id of a run deleted since).
_V12_USED = {
    "run": "SELECT max(coalesce((SELECT max(id) FROM run), 0),"
           " coalesce((SELECT max(run_id) FROM goal_mark), 0),"
           " coalesce((SELECT max(run_id) FROM conversion), 0))",
    "outbox": "SELECT coalesce((SELECT max(id) FROM outbox), 0)",
}


def _v12_ids_never_reused(db: Database, _path: Path | None) -> None:
    """Run and message ids are never given twice (AUTOINCREMENT), so no goal mark passes
    over a new run and no new message takes the message_id of a deleted one: both tables
    are rebuilt (SQLite's table rebuild), keeping every row, id and index, and each id
    sequence starts at the largest id still in use or written down."""
    for table in _V12_CHILDREN:
        db.execute_sql(f'CREATE TEMP TABLE "v12_{table}" AS SELECT * FROM "{table}"')
    used = {table: int(db.execute_sql(sql).fetchone()[0]) for table, sql in _V12_USED.items()}
    for table, (body, columns, _indexes) in _V12_TABLES.items():
        names = ", ".join(f'"{c}"' for c in columns)
        db.execute_sql(f'CREATE TABLE "v12_{table}" {body}')
        db.execute_sql(f'INSERT INTO "v12_{table}" ({names}) SELECT {names} FROM "{table}"')
    for table, (_body, _columns, indexes) in _V12_TABLES.items():
        db.execute_sql(f'DROP TABLE "{table}"')  # empties the children through the cascade
        db.execute_sql(f'ALTER TABLE "v12_{table}" RENAME TO "{table}"')
        for sql in indexes:
            db.execute_sql(sql)
        db.execute_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        db.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                       (table, used[table]))
    for table in _V12_CHILDREN:
        db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql(f'INSERT INTO "{table}" SELECT * FROM temp."v12_{table}"')
        db.execute_sql(f'DROP TABLE temp."v12_{table}"')


_V13_JOURNEY_VERSIONS = (
    'ALTER TABLE "journey" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1',
    'ALTER TABLE "journey" ADD COLUMN "updated_by" TEXT NOT NULL DEFAULT \'\'',
)


def _v13_journey_versions(db: Database, _path: Path | None) -> None:
    """Several editors (SPEC §14): every journey starts at version 1, its last writer
    unknown ('' reads "someone else"); saves then refuse to write over a newer version."""
    for sql in _V13_JOURNEY_VERSIONS:
        db.execute_sql(sql)


MigrationStep = Callable[[Database, Path | None], None]

# Step N upgrades a database at version N-1 to version N. A step must only use SQL or
# frozen table definitions, never the current records, which describe the newest schema.
MIGRATIONS: dict[int, MigrationStep] = {
    2: _v2_customer_indexes,
    3: _v3_customer_base,
    4: _v4_events,
    5: _v5_event_runs,
    6: _v6_delivery,
    7: _v7_message_counts,
    8: _v8_goals,
    9: _v9_one_row_per_message,
    10: _v10_policy,
    11: _v11_field_exit_marks,
    12: _v12_ids_never_reused,
    13: _v13_journey_versions,
}


def backup_path(db_path: Path, version: int) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return db_path.with_name(f"{db_path.name}.v{version}-{stamp}.bak")


def copy_aside(db_path: Path, version: int) -> Path:
    """A consistent copy of the database (WAL included) before it is changed."""
    target = backup_path(db_path, version)
    source = sqlite3.connect(str(db_path))
    try:
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def check_version(db_path: Path, current: int) -> None:
    """Refuse a file from a newer version before anything connects to it."""
    if current > SCHEMA_VERSION:
        raise NewerDatabaseError(
            db_path,
            f"this database was made by a newer Journey Desktop (schema {current}, "
            f"this version knows up to {SCHEMA_VERSION})",
        )


# The first schema a team database ever had (SPEC §14): the steps of a later version are
# written for both dialects, and a PostgreSQL step is listed here under its version.
FIRST_POSTGRES_VERSION = 12
_PG13_JOURNEY_VERSIONS = (
    'ALTER TABLE "journey" ADD COLUMN "version" BIGINT NOT NULL DEFAULT 1',
    'ALTER TABLE "journey" ADD COLUMN "updated_by" TEXT NOT NULL DEFAULT \'\'',
)


def _pg13_journey_versions(db: Database) -> None:
    """Schema 13 on a team database: as ``_v13_journey_versions``, in BIGINT as every
    whole number there; and text in code point order, as new team databases have it."""
    for sql in _PG13_JOURNEY_VERSIONS:
        db.execute_sql(sql)
    text_in_code_point_order(db)  # type: ignore[arg-type]


POSTGRES_MIGRATIONS: dict[int, Callable[[Database], None]] = {
    13: _pg13_journey_versions,
}


def migrate_postgres(db: PostgresStore) -> None:
    """Bring a team database to SCHEMA_VERSION: an empty one gets the whole schema, an
    older one its PostgreSQL steps, each in its own transaction; a newer one is refused."""
    current = stored_version(db)
    if current > SCHEMA_VERSION:
        raise TeamDatabaseError(
            f"team database {db.where}: it was made by a newer Journey Desktop (schema "
            f"{current}, this version knows up to {SCHEMA_VERSION}); nothing was changed"
        )
    if current == 0:
        create_schema(db, ALL_RECORDS, SCHEMA_VERSION)
        return
    if current < SCHEMA_VERSION:
        check_upgrade_allowed(db, current)
    now = int(time.time())
    for version in range(max(current, FIRST_POSTGRES_VERSION) + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            POSTGRES_MIGRATIONS[version](db)
            SchemaVersionRecord.insert(version=version, applied_at=now).execute()


def migrate(db: Database, db_path: Path | None, current: int) -> Path | None:
    """Bring the database from ``current`` to SCHEMA_VERSION; returns the backup made, if any."""
    if current == SCHEMA_VERSION:
        return None
    now = int(time.time())
    if current == 0:
        with write_transaction(db):
            db.create_tables(ALL_RECORDS)
            SchemaVersionRecord.insert(version=SCHEMA_VERSION, applied_at=now).execute()
        return None
    backup = copy_aside(db_path, current) if db_path is not None else None
    # The steps there are, in order: a version number may be taken by work not merged yet.
    for version in sorted(v for v in MIGRATIONS if v > current):
        with write_transaction(db):
            MIGRATIONS[version](db, db_path)
            SchemaVersionRecord.insert(version=version, applied_at=now).execute()
    return backup
