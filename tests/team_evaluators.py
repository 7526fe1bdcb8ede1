"""Several evaluators on one team database (SPEC §14): a large journey written straight into
a database, and the outbox as the comparisons read it. Shared by the tests and the
benchmark (``bench/bench_team_tick.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from journey_desktop.domain.journey import Journey
from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from journey_desktop.store.postgres import on_postgres
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.store.settings import SettingsRepository

ROOT = Path(__file__).resolve().parent.parent

# entry → push → wait → push → exit
TWO_PUSHES = {
    "format": "journey-desktop/1", "name": "Welcome twice",
    "nodes": [
        {"id": "start", "type": "entry", "next": "hello"},
        {"id": "hello", "type": "message", "channel": "push",
         "title": "Hello {{firstName}}", "body": "Welcome, {{customerId}}", "next": "pause"},
        {"id": "pause", "type": "wait", "duration": {"value": 1, "unit": "minutes"},
         "next": "again"},
        {"id": "again", "type": "message", "channel": "push",
         "title": "Still there, {{firstName}}?", "body": "Entry {{entryNumber}}",
         "next": "end"},
        {"id": "end", "type": "exit"},
    ],
}


def two_push_journey(data_dir: Path, url: str | None, customers: int, now: int,
                     *, tick_interval: int | None = None, **extra: Any) -> int:
    """A database holding the two-push journey (with the ``extra`` keys of a journey
    file), active, with ``customers`` customers (``c0000000``…, first name ``N<i>``) due
    at ``now``; returns its id."""
    open_store(data_dir, url=url)
    try:
        repo = JourneyRepository()
        journey_id = repo.create(Journey.from_dict({**TWO_PUSHES, **extra}), now=now - 60)
        if tick_interval is not None:
            SettingsRepository().set(SettingsRepository.TICK_INTERVAL, str(tick_interval))
        if on_postgres():
            numbers = "generate_series(0, ? - 1) AS i"
            ext = "'c' || lpad(i::text, 7, '0')"
            fields = "json_build_object('firstName', 'N' || i)::text"
        else:
            numbers = ("(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
                       " WHERE i + 1 < ?) SELECT i FROM n)")
            ext = "printf('c%07d', i)"
            fields = "json_object('firstName', 'N' || i)"
        with database.atomic():
            database.execute_sql(
                "INSERT INTO profile (external_id, fields, created_at, updated_at)"
                f" SELECT {ext}, {fields}, ?, ? FROM {numbers}", (now, now, customers))
            database.execute_sql(
                "INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                " imported_at) SELECT ?, external_id, 0, ?, ? FROM profile",
                (journey_id, now, now))
        result = repo.activate(journey_id, now=now - 30)
        assert result.ok, result.problems
        return journey_id
    finally:
        close_store()


def outbox_rows(data_dir: Path, url: str | None) -> list[tuple[Any, ...]]:
    """Every message by journey, customer, entry, node, channel and content, in order."""
    open_store(data_dir, url=url)
    try:
        return [tuple(row) for row in database.execute_sql(
            "SELECT journey_id, external_id, entry_number, node, channel, title, body, url,"
            " extra, status FROM outbox ORDER BY 1, 2, 3, 4").fetchall()]
    finally:
        close_store()


def start_run(data_dir: Path, url: str, log: Path, batch_size: int,
              clock: tuple[int, int] | None = None) -> subprocess.Popen[bytes]:
    """``journey-desktop --database URL run`` in a process of its own, taking
    ``batch_size`` customers at a time; with ``clock`` (base, speed), on a clock that runs
    ``speed`` times faster than the real one from ``base`` (``tests/fast_clock.py``)."""
    program = (["-m", "journey_desktop"] if clock is None
               else ["-m", "tests.fast_clock", str(clock[0]), str(clock[1])])
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *program, "--data-dir", str(data_dir),
             "--database", url, "run", "--batch-size", str(batch_size)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "TZ": "UTC", "QT_QPA_PLATFORM": "offscreen"})
