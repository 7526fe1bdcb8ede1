"""Ticks of a journey that starts on an event (SPEC §11): 1,000,000 customers and
1,000,000 new events of that name taken by one tick (target: under 10 s); then a tick with
the same 1,000,000 events old and nothing new or due (target: under 5 ms).

    python bench/bench_event_tick.py [--rows N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
JOURNEY = {
    "format": "journey-desktop/1", "name": "On view",
    "nodes": [
        {"id": "start", "type": "entry", "event": {"name": "view"}, "next": "hi"},
        {"id": "hi", "type": "message", "channel": "push", "title": "Still looking?",
         "body": "{{event.cartId}}", "next": "end"},
        {"id": "end", "type": "exit"},
    ],
}


def setup(rows: int) -> int:
    repo = JourneyRepository()
    journey_id = repo.create(Journey.from_dict(JOURNEY), now=NOW - 7200)
    with database.atomic():
        database.execute_sql(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
            "INSERT INTO profile (external_id, fields, created_at, updated_at)"
            " SELECT printf('user%07d', i), '{}', ?, ? FROM n", (rows, NOW, NOW))
        database.execute_sql(
            "INSERT INTO member (journey_id, external_id, entries, imported_at)"
            " SELECT ?, external_id, 0, ? FROM profile", (journey_id, NOW))
    assert repo.activate(journey_id, now=NOW - 3600).ok
    with database.atomic():
        database.execute_sql(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
            "INSERT INTO event (event_key, external_id, name, occurred_at, properties,"
            " imported_at, import_id) SELECT printf('k%d', i), printf('user%07d', i),"
            " 'view', ? - 1800 + i % 1800, json_object('cartId', printf('c%d', i)), ?, 1"
            " FROM n", (rows, NOW, NOW))
    return journey_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-event-tick-"))
    try:
        open_store(folder)
        journey_id = setup(args.rows)
        started, cpu = time.perf_counter(), time.process_time()
        summary = Evaluator().tick(NOW)
        busy, cpu = time.perf_counter() - started, time.process_time() - cpu
        (messages,) = database.execute_sql(
            "SELECT count(*) FROM outbox WHERE journey_id = ?", (journey_id,)).fetchone()
        assert messages == args.rows, (messages, summary)
        idle = []
        for i in range(20):
            started = time.perf_counter()
            Evaluator().tick(NOW + 60 * (i + 1))
            idle.append(time.perf_counter() - started)
        print(f"tick taking {args.rows:,} new events, {args.rows:,} customers: {busy:.2f} s"
              f" (CPU {cpu:.2f} s; target < 10 s)")
        print(f"tick with {args.rows:,} old events, nothing new: "
              f"{statistics.median(idle) * 1000:.2f} ms median of 20 (target < 5 ms)")
    finally:
        close_store()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
