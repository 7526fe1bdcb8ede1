"""Three ``run`` processes on one team database, killed and restarted at random moments,
write exactly the outbox one uninterrupted evaluator writes (SPEC §14).

The journey has 100,000 customers and a one-minute wait; the processes read a clock ten
times faster than the real one (``tests/fast_clock.py``), so the wait passes in six real
seconds, and the uninterrupted evaluator works meanwhile on its own database. The same run
on the real clock is ``bench/bench_team_tick.py --kill``.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from journey_desktop.cli import run_command
from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from tests.team_database import new_database
from tests.team_evaluators import outbox_rows, start_run, two_push_journey

CUSTOMERS = 100_000
PROCESSES = 3
KILLS = 6
BATCH = 2_500  # customers per batch: the processes share the work and die in the middle
CLOCK_SPEED = 10  # the processes' one-minute wait takes six real seconds
TIMEOUT = 300  # seconds for the whole run


def wait_for(what: str, done: Callable[[], bool], deadline: float) -> None:
    """Poll ``done`` until it holds; fail naming ``what`` past the deadline."""
    pause = threading.Event()
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        pause.wait(0.05)


def counter(url: str) -> Callable[[str], int]:
    """A count read on a connection of the test's own, each in its own snapshot."""
    conn = psycopg.connect(url, autocommit=True)

    def count(sql: str) -> int:
        row = conn.execute(sql).fetchone()
        assert row is not None
        return int(row[0])

    return count


def kill_points(rng: random.Random, total: int) -> list[int]:
    """Outbox counts at which a process is killed: during the entries (first messages)
    and during the runs' second step."""
    half = total // 2
    firsts = [rng.randint(half // 20, half - half // 20) for _ in range(KILLS // 2)]
    seconds = [rng.randint(half + half // 20, total - half // 20) for _ in range(KILLS // 2)]
    return sorted(firsts) + sorted(seconds)


def uninterrupted_outbox(data_dir: Path, url: str, now: int) -> list[tuple[object, ...]]:
    """The outbox of one evaluator never interrupted: the entries, then the second step
    after the wait."""
    open_store(data_dir, url=url)
    try:
        Evaluator().tick(now)
        Evaluator().tick(now + 61)
    finally:
        close_store()
    return outbox_rows(data_dir, url)


def test_three_runs_killed_and_restarted_write_the_outbox_of_one(tmp_path, postgres_server):
    rng = random.Random(17)
    now = int(time.time())
    shared, alone = new_database(postgres_server), new_database(postgres_server)
    journey_id = two_push_journey(tmp_path / "shared", shared, CUSTOMERS, now, tick_interval=10)
    two_push_journey(tmp_path / "alone", alone, CUSTOMERS, now)

    deadline = time.monotonic() + TIMEOUT
    logs = tmp_path / "logs"
    logs.mkdir()
    clock = (now, CLOCK_SPEED)

    def start(number: int) -> subprocess.Popen[bytes]:
        return start_run(tmp_path / "shared", shared, logs / f"run{number}.log", BATCH, clock)

    processes = [start(i) for i in range(PROCESSES)]
    # The reference is worked out meanwhile, on a thread of the test's own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        reference = pool.submit(uninterrupted_outbox, tmp_path / "alone", alone, now)
        count = counter(shared)
        kills = 0
        try:
            for point in kill_points(rng, 2 * CUSTOMERS):
                wait_for(f"{point} messages",
                         lambda p=point: count("SELECT count(*) FROM outbox") >= p,  # type: ignore[misc]
                         deadline)
                victim = rng.randrange(PROCESSES)
                processes[victim].send_signal(signal.SIGKILL)
                processes[victim].wait()
                kills += 1
                processes[victim] = start(victim)
            wait_for("every run to end", lambda: count(
                "SELECT count(*) FILTER (WHERE state = 'completed') FROM run") == CUSTOMERS,
                deadline)
            # None was refused as a second evaluator: all three are still running.
            assert [process.poll() for process in processes] == [None] * PROCESSES
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        expected = reference.result()
    assert len(expected) == 2 * CUSTOMERS

    assert kills == KILLS
    # The work was shared: more than one process wrote messages.
    writers = [log for log in logs.iterdir() if re.search(
        r"messages [1-9]", log.read_text(encoding="utf-8"))]
    assert len(writers) >= 2
    assert outbox_rows(tmp_path / "shared", shared) == expected
    open_store(tmp_path / "shared", url=shared)
    try:
        assert database.execute_sql(
            "SELECT count(*), min(entries), max(entries) FROM member WHERE journey_id = ?",
            (journey_id,)).fetchone() == (CUSTOMERS, 1, 1)
        assert database.execute_sql(
            "SELECT node, visits FROM node_visit ORDER BY node").fetchall() == [
            ("again", CUSTOMERS), ("end", CUSTOMERS), ("hello", CUSTOMERS),
            ("pause", CUSTOMERS), ("start", CUSTOMERS)]
        assert database.execute_sql(
            "SELECT node, written FROM message_count ORDER BY node").fetchall() == [
            ("again", CUSTOMERS), ("hello", CUSTOMERS)]
    finally:
        close_store()


def test_tick_on_a_team_database_says_what_it_did(tmp_path, team_url):
    """``tick`` on a team database ticks and says so; a second at the same time finds
    nothing left to do."""
    now = 1_767_225_600
    two_push_journey(tmp_path, team_url, 30, now)
    at = dt.datetime.fromtimestamp(now, dt.UTC).isoformat()
    outputs = []
    for _ in range(2):
        out, err = io.StringIO(), io.StringIO()
        code = run_command(["--data-dir", str(tmp_path), "--database", team_url,
                            "tick", "--now", at], out=out, err=err)
        assert code == 0, err.getvalue()
        outputs.append(dict(line.split(": ", 1) for line in out.getvalue().splitlines()))
    assert (outputs[0]["entered"], outputs[0]["messages"]) == ("30", "30")
    assert (outputs[1]["entered"], outputs[1]["messages"]) == ("0", "0")
    assert len(outbox_rows(tmp_path, team_url)) == 30


def test_tick_killed_at_any_point_on_a_team_database_loses_nothing(tmp_path, postgres_server):
    """``tick`` killed after N batches (the engine's batches on the copy inside a
    PostgreSQL transaction count too, so some die in the middle of one) and run again
    ends as one tick never killed: the server rolled the open batch back."""
    from tests.cli.test_evaluator_cli import DAY, T0, T0_TS, iso, run_cli, setup_journeys
    from tests.team_database import _admin, database_url

    base_url = new_database(postgres_server)
    setup_journeys(tmp_path / "base", customers=30, url=base_url)
    base = base_url.partition("?")[0].rsplit("/", 1)[1]
    ticks = [T0, iso(T0_TS + 3600), iso(T0_TS + DAY), iso(T0_TS + 2 * DAY)]

    def copy_of_base(name: str) -> str:
        with _admin(postgres_server) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
        return database_url(postgres_server, name)

    def tick(url: str, moment: str, crash_after: int | None = None):  # type: ignore[no-untyped-def]
        return run_cli(tmp_path / "data", "--database", url, "tick", "--now", moment,
                       "--batch-size", "3", crash_after=crash_after, forked=True)

    def snapshot(url: str) -> list[list[tuple[object, ...]]]:
        with psycopg.connect(url) as conn:
            return [conn.execute(sql).fetchall() for sql in (
                "SELECT journey_id, external_id, entry_number, node, channel, title, body, url,"
                " due_at FROM outbox ORDER BY 1, 2, 3, 4",
                "SELECT journey_id, external_id, entry_number, state, node, due_at, path"
                " FROM run ORDER BY 1, 2, 3",
                "SELECT journey_id, node, visits FROM node_visit ORDER BY 1, 2",
                "SELECT journey_id, external_id, entries, next_check_at FROM member"
                " ORDER BY 1, 2",
                "SELECT journey_id, node, channel, written FROM message_count ORDER BY 1, 2, 3")]

    reference = copy_of_base("reference")
    for moment in ticks:
        assert tick(reference, moment).returncode == 0
    expected = snapshot(reference)
    assert expected[0]  # messages were written

    kills = 0
    for crash_after in range(1, 30, 6):
        data = copy_of_base(f"crash{crash_after}")
        for moment in ticks[:3]:
            crashed = tick(data, moment, crash_after)
            if crashed.returncode == -signal.SIGKILL:
                kills += 1
                again = tick(data, moment)
                assert again.returncode == 0, again.stderr
            else:
                assert crashed.returncode == 0, crashed.stderr
        assert tick(data, ticks[3]).returncode == 0
        assert snapshot(data) == expected, f"crash after {crash_after} batches"
    assert kills >= 4
