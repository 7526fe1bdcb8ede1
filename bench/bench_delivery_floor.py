"""The floor under applying a delivery report (docs/BENCHMARKS.md): what the 1,000,000
``opened`` lines of ``bench_delivery.py`` store, written by two ``INSERT … SELECT``s from
the outbox (each message's event and its ``delivery`` row: no file read, no staging, no
look-up of the lines, no counters), against ``sqlite3``'s ``.import`` of the report into a
keyed table, the baseline of ``bench_delivery.py``; and in the same loop the app's apply
of that report, into a database of its own.

    python bench/bench_delivery_floor.py [--messages N] [--repeat N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_delivery  # noqa: E402

from journey_desktop.domain.event_values import MESSAGE_KEY_PREFIX  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.delivery import import_report  # noqa: E402
from journey_desktop.store.delivery_status import database_id  # noqa: E402

EVENT_INDEX = "event_external_id_name_occurred_at"


def stored_form(messages: int) -> float:
    """Seconds of writing, in one transaction, the event and the ``delivery`` row that an
    ``opened`` line stores for each message (the events' second index built again after,
    as a large import does)."""
    dbid = database_id()
    at = f"{bench_delivery.START + 3600} + o.id % 86400"
    conn = database.connection()
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"DROP INDEX {EVENT_INDEX}")
    conn.execute(
        "INSERT INTO event (event_key, external_id, name, occurred_at, properties,"
        " imported_at, import_id, ladder_from)"
        f" SELECT '{MESSAGE_KEY_PREFIX}' || ?1 || '-' || o.id || '/opened', o.external_id,"
        f" 'message_opened', {at}, json_object('journey', j.name, 'message_id',"
        " ?1 || '-' || o.id, 'node', o.node), ?2, 1, 0"
        " FROM outbox o JOIN journey j ON j.id = o.journey_id WHERE true ORDER BY o.id"
        " ON CONFLICT (event_key) DO NOTHING", (dbid, bench_delivery.START))
    conn.execute(f"CREATE INDEX {EVENT_INDEX} ON event (external_id, name, occurred_at)")
    conn.execute(
        "INSERT INTO delivery (outbox_id, level, sent_at, delivered_at, opened_at, detail,"
        f" early, line, imported_at, import_id) SELECT o.id, 3, {at}, {at}, {at}, '', 0,"
        " o.id + 1, ?, 1 FROM outbox o ORDER BY o.id", (bench_delivery.START,))
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    (events,) = conn.execute("SELECT count(*) FROM event").fetchone()
    assert events == messages, events
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for _ in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="bench-delivery-floor-"))
        try:
            open_store(folder / "floor")
            bench_delivery.fill(args.messages)
            floor = stored_form(args.messages)
            close_store()
            open_store(folder / "app")
            bench_delivery.fill(args.messages)
            report = folder / "opened.csv"
            bench_delivery.write_report(report, database_id(), args.messages, ("opened",))
            baseline, _ = bench_delivery.sqlite_import(report, folder)
            started = time.perf_counter()
            result = import_report(report)
            applied = time.perf_counter() - started
            assert result.applied == args.messages, result
            close_store()
            print(f"sqlite3 .import {baseline:.2f} s; the stored form alone {floor:.2f} s,"
                  f" {floor / baseline:.2f}x; the apply {applied:.2f} s,"
                  f" {applied / baseline:.2f}x, {applied / floor:.2f}x the stored form")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
