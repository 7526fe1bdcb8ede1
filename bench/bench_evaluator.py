"""Evaluator figures (docs/BENCHMARKS.md, "Evaluator"): a first tick over 1,000,000 customers
and a tick with nothing due, against a plain ``INSERT … SELECT`` of as many rows.

    .venv/bin/python bench/bench_evaluator.py [--customers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402

JOURNEY = {
    "format": "journey-desktop/1",
    "name": "Bench: two messages a day apart",
    "nodes": [
        {"id": "start", "type": "entry", "next": "hello"},
        {"id": "hello", "type": "message", "channel": "push", "title": "Hello {{firstName}}",
         "body": "Welcome, {{firstName}}.", "next": "pause"},
        {"id": "pause", "type": "wait", "duration": {"value": 1, "unit": "days"},
         "next": "again"},
        {"id": "again", "type": "message", "channel": "push", "title": "Still there?",
         "body": "A day later, {{firstName}}.", "next": "end"},
        {"id": "end", "type": "exit"},
    ],
    "activation": {"allow_reentry": False, "max_entries": None,
                   "timeout": {"value": 1, "unit": "days"}},
}


def populate(conn, journey_id: int, count: int, now: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    batch = 100_000
    conn.execute("BEGIN")  # the connection autocommits: one transaction for the whole load
    for start in range(0, count, batch):
        ids = [f"C{i:07d}" for i in range(start, min(count, start + batch))]
        conn.executemany(
            "INSERT INTO profile (external_id, fields, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)",
            ((ext, json.dumps({"firstName": f"Name{ext[1:]}"}), now, now) for ext in ids),
        )
        conn.executemany(
            "INSERT INTO member (journey_id, external_id, entries, next_check_at, imported_at)"
            " VALUES (?, ?, 0, ?, ?)",
            ((journey_id, ext, now, now) for ext in ids),
        )
    conn.execute("COMMIT")
    return time.perf_counter() - started


def baseline(conn, count: int) -> float:  # type: ignore[no-untyped-def]
    """A plain INSERT … SELECT of ``count`` rows into an indexed table: the floor to compare."""
    conn.execute(
        "CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, journey_id INTEGER,"
        " external_id TEXT, body TEXT, due_at INTEGER)"
    )
    conn.execute(
        "CREATE UNIQUE INDEX bench_baseline_key ON bench_baseline (journey_id, external_id)"
    )
    started = time.perf_counter()
    conn.execute(  # one statement: its own transaction on the autocommit connection
        "INSERT INTO bench_baseline (journey_id, external_id, body, due_at) "
        "SELECT m.journey_id, m.external_id, 'Hello ' || json_extract(p.fields, '$.firstName'),"
        " m.next_check_at FROM member m JOIN profile p ON p.external_id = m.external_id"
    )
    seconds = time.perf_counter() - started
    conn.execute("DROP TABLE bench_baseline")
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    now = int(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC).timestamp())
    with tempfile.TemporaryDirectory() as tmp:
        db = open_store(Path(tmp))
        repo = JourneyRepository()
        journey_id = repo.create(Journey.from_dict(JOURNEY), now=now)
        conn = db.connection()
        fill = populate(conn, journey_id, args.customers, now)
        repo.activate(journey_id, now=now)
        base = baseline(conn, args.customers)
        evaluator = Evaluator(db, tz=dt.UTC)
        first = evaluator.tick(now)
        idle_times = []
        for minute in range(1, 6):
            idle_times.append(evaluator.tick(now + 60 * minute).seconds)
        idle = min(idle_times)
        second = evaluator.tick(now + 86400)
        print(f"audience: {args.customers:,} customers (populated in {fill:.1f} s)")
        print(f"first tick: {first.seconds:.2f} s ({first.entered:,} entered, "
              f"{first.messages:,} messages)")
        print(f"baseline INSERT ... SELECT of {args.customers:,} rows: {base:.2f} s; "
              f"first tick / baseline: {first.seconds / base:.1f}x")
        print(f"tick with nothing due: {idle * 1000:.1f} ms (best of 5)")
        print(f"tick a day later: {second.seconds:.2f} s ({second.advanced:,} advanced, "
              f"{second.messages:,} messages)")
        close_store()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
