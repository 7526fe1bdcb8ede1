"""``tick``, ``run``, ``outbox export`` and ``stats`` as a user or a script sees them,
including real processes killed mid-tick and two evaluators on one database."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journey_desktop.domain.journey import Journey
from journey_desktop.store import close_store, open_store
from journey_desktop.store.repository import JourneyRepository
from tests.cli.forked import can_fork, run_forked
from tests.store.evaluator_support import add_customers, journey_from, two_messages_a_day_apart

T0 = "2025-03-03T09:00:00+01:00"
T0_TS = int(dt.datetime.fromisoformat(T0).timestamp())
DAY = 86400
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.both_databases


def iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def setup_journeys(data_dir: Path, customers: int = 12, url: str | None = None) -> list[int]:
    """An active two-step journey and an active split journey, with small audiences (in
    the team database ``url`` when given)."""
    open_store(data_dir, url=url)
    try:
        repo = JourneyRepository()
        ids = []
        split = journey_from([
            {"id": "start", "type": "entry", "next": "ab"},
            {"id": "ab", "type": "split", "branches": [
                {"percent": 50, "next": "a"}, {"percent": 50, "next": "wait"}]},
            {"id": "a", "type": "message", "channel": "sms", "body": "=HYPERLINK(\"x\")",
             "next": "end"},
            {"id": "wait", "type": "wait", "duration": {"value": 1, "unit": "days"},
             "at_time": "08:30", "next": "b"},
            {"id": "b", "type": "message", "channel": "push", "title": "-{{firstName}}",
             "body": "@b", "url": "https://e.com/{{firstName}}", "next": "end"},
            {"id": "end", "type": "exit"},
        ], name="Split")
        for journey in (journey_from(two_messages_a_day_apart(), name="Two steps"), split):
            journey_id = repo.create(journey, now=T0_TS)
            add_customers(journey_id, {f"c{i:02d}": {"firstName": f"+N{i}"}
                                       for i in range(customers)}, T0_TS)
            assert repo.activate(journey_id, now=T0_TS).ok
            ids.append(journey_id)
        return ids
    finally:
        close_store()


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60, crash_after: int | None = None, forked: bool = False,
            ) -> subprocess.CompletedProcess[str]:
    """The command line in its own process; ``crash_after``: killed after that many batch
    commits of a tick (``tests/cli/crash_after.py`` installs the per-batch hook).
    ``forked``: the process is forked from this one (``tests/cli/forked.py``), which must
    hold no database open; else a new interpreter."""
    full_env = {**os.environ, "TZ": "Europe/Madrid", **(env or {})}
    if forked and can_fork():
        return run_forked(["--data-dir", str(data_dir), *args], env=full_env, cwd=ROOT,
                          timeout=timeout, crash_after=crash_after)
    runner = (["-m", "journey_desktop"] if crash_after is None
              else ["-m", "tests.cli.crash_after", str(crash_after)])
    return subprocess.run(
        [sys.executable, *runner, "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=timeout,
    )


def snapshot(data_dir: Path) -> tuple[list[tuple[object, ...]], ...]:
    conn = sqlite3.connect(data_dir / "journeys.db")
    try:
        messages = conn.execute(
            "SELECT journey_id, external_id, entry_number, node, channel, title, body, url,"
            " due_at FROM outbox ORDER BY 1, 2, 3, 4").fetchall()
        run_rows = conn.execute(
            "SELECT journey_id, external_id, entry_number, state, node, due_at, path FROM run"
            " ORDER BY 1, 2, 3").fetchall()
        visits = conn.execute("SELECT journey_id, node, visits FROM node_visit ORDER BY 1, 2")
        customers = conn.execute(
            "SELECT journey_id, external_id, entries, next_check_at FROM member ORDER BY 1, 2")
        return messages, run_rows, visits.fetchall(), customers.fetchall()
    finally:
        conn.close()


def test_tick_prints_what_it_did(cli, data_dir, store_url):
    setup_journeys(data_dir, customers=4, url=store_url)
    result = cli("tick", "--now", T0)
    assert result.code == 0, result.err
    lines = dict(line.split(": ", 1) for line in result.out.strip().splitlines())
    assert (lines["checked"], lines["entered"], lines["messages"]) == ("8", "8", "6")
    assert cli("tick", "--now", T0).out.count("messages: 0") == 1


def test_stats_json_has_the_documented_keys(cli, data_dir, store_url):
    setup_journeys(data_dir, customers=4, url=store_url)
    cli("tick", "--now", T0)
    cli("tick", "--now", iso(T0_TS + DAY))
    result = cli("stats", "Two steps", "--json")
    assert result.code == 0, result.err
    stats = result.json()
    assert {"audience", "entered", "in_progress", "completed", "stopped", "messages",
            "nodes"} <= set(stats)
    assert (stats["audience"], stats["entered"], stats["completed"]) == (4, 4, 4)
    assert stats["messages"] == {"email": 4, "push": 4}
    assert stats["nodes"] == {"start": 4, "hello": 4, "pause": 4, "again": 4, "end": 4}
    text = cli("stats", "Two steps")
    assert "messages: 8 (email 4, push 4)" in text.out


def test_outbox_export_escapes_marks_and_exports_new_only(cli, data_dir, tmp_path,
                                                          store_url):
    setup_journeys(data_dir, customers=3, url=store_url)
    cli("tick", "--now", T0)
    target = tmp_path / "out.csv"
    result = cli("outbox", "export", "--journey", "Split", "-o", str(target))
    assert result.code == 0, result.err
    assert target.read_bytes().startswith(codecs.BOM_UTF8)  # for spreadsheets
    rows = list(csv.reader(target.open(encoding="utf-8-sig", newline="")))
    assert rows[0][:8] == ["customerId", "journey", "node", "channel", "title", "body", "url",
                           "due_at"]
    assert rows[0][8:] == ["send_at", "entry", "status", "message_id"]
    assert len(rows) > 1
    for row in rows[1:]:
        assert row[1] == "Split"
        assert not row[5].startswith(("=", "+", "-", "@"))
        assert dt.datetime.fromisoformat(row[7]).utcoffset() is not None
    assert any(r[5] == "'=HYPERLINK(\"x\")" for r in rows[1:])
    assert cli("outbox", "export", "--new", "--journey", "Split").out.strip().count("\n") == 0
    cli("tick", "--now", iso(T0_TS + 2 * DAY))
    fresh = list(csv.reader(io.StringIO(cli("outbox", "export", "--new").out)))
    assert {r[2] for r in fresh[1:]} == {"hello", "again", "b"}
    assert all(r[4].startswith("'-") for r in fresh[1:] if r[2] == "b")
    everything = list(csv.reader(io.StringIO(cli("outbox", "export").out)))
    assert len(everything) == len(rows) + len(fresh) - 1


class ClosedAfterOneLine(io.StringIO):
    """Standard output read by ``head -1``: the pipe closes after the first line."""

    def write(self, text: str) -> int:
        if "\n" in self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_outbox_export_into_a_closed_pipe_says_so_and_marks_nothing(cli, data_dir,
                                                                   store_url):
    from journey_desktop.cli import run_command

    setup_journeys(data_dir, customers=3, url=store_url)
    cli("tick", "--now", T0)
    out, err = ClosedAfterOneLine(), io.StringIO()
    where = ["--database", store_url] if store_url else []
    code = run_command(["--data-dir", str(data_dir), *where, "outbox", "export"], out=out,
                       err=err)
    assert code == 2
    assert err.getvalue() == "journey-desktop: the output was closed before the command finished\n"
    pending = list(csv.reader(io.StringIO(cli("outbox", "export", "--new").out)))
    assert len(pending) > 1  # every message is still new


@pytest.mark.slow
@pytest.mark.sqlite_only  # copies the SQLite file; on a team database:
# test_team_evaluators_cli.py::test_tick_killed_at_any_point_on_a_team_database_loses_nothing
def test_tick_killed_at_any_point_loses_nothing_and_duplicates_nothing(tmp_path):
    base = tmp_path / "base"
    setup_journeys(base, customers=30)
    ticks = [T0, iso(T0_TS + 3600), iso(T0_TS + DAY), iso(T0_TS + 2 * DAY)]

    def tick(data: Path, moment: str, crash_after: int | None = None,
             ) -> subprocess.CompletedProcess[str]:
        return run_cli(data, "tick", "--now", moment, "--batch-size", "3",
                       crash_after=crash_after, forked=True)

    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    for moment in ticks:
        assert tick(reference, moment).returncode == 0
    expected = snapshot(reference)
    assert expected[0]  # messages were written

    kills = 0
    for crash_after in range(1, 23):
        data = tmp_path / f"crash{crash_after}"
        shutil.copytree(base, data)
        for moment in ticks[:3]:
            crashed = tick(data, moment, crash_after)
            if crashed.returncode == -signal.SIGKILL:
                kills += 1
                again = tick(data, moment)
                assert again.returncode == 0, again.stderr
            else:
                assert crashed.returncode == 0, crashed.stderr
        assert tick(data, ticks[3]).returncode == 0
        assert snapshot(data) == expected, f"crash after {crash_after} commits"
    assert kills >= 20


def read_line(proc: subprocess.Popen[str], deadline: float) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert time.monotonic() < deadline
    return line


@pytest.mark.sqlite_only  # the single-evaluator lock of a SQLite file (a team database
# takes several evaluators: test_team_evaluators_cli.py)
def test_two_evaluators_on_one_database_only_one_runs(data_dir):
    setup_journeys(data_dir, customers=2)
    env = {**os.environ, "TZ": "Europe/Madrid"}
    command = [sys.executable, "-m", "journey_desktop", "--data-dir", str(data_dir), "run"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env, cwd=ROOT)
    try:
        line = read_line(first, time.monotonic() + 30)
        assert f"evaluator running in process {first.pid}" in line

        second = run_cli(data_dir, "run", timeout=30)
        assert second.returncode == 1
        assert f"the evaluator is already running in process {first.pid} on host" in (
            second.stderr)
        one_shot = run_cli(data_dir, "tick", timeout=30)
        assert one_shot.returncode == 1
        assert f"process {first.pid}" in one_shot.stderr

        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=30)
        assert first.returncode == 0, err
        assert "evaluator stopped" in out
        assert run_cli(data_dir, "tick").returncode == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


@pytest.mark.sqlite_only  # the single-evaluator lock of a SQLite file
def test_a_killed_evaluator_is_taken_over(data_dir):
    setup_journeys(data_dir, customers=2)
    env = {**os.environ, "TZ": "Europe/Madrid"}
    command = [sys.executable, "-m", "journey_desktop", "--data-dir", str(data_dir), "run"]
    dead = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)
    try:
        assert "evaluator running" in read_line(dead, time.monotonic() + 30)
        dead.kill()
        dead.communicate(timeout=30)
        result = run_cli(data_dir, "tick")
        assert result.returncode == 0, result.stderr
    finally:
        if dead.poll() is None:
            dead.kill()
            dead.wait()


def test_journey_created_from_example_runs_from_the_command_line(cli, data_dir):
    journey = Journey.from_json((ROOT / "resources/examples/daily-promotion.json").read_text())
    assert journey.activation.max_entries == 7
    assert cli("create", str(ROOT / "resources/examples/daily-promotion.json")).code == 0
    assert cli("activate", "Seven-day discount week").code == 0
    assert cli("tick", "--now", T0).code == 0
    assert cli("stats", "1", "--json").json()["entered"] == 0


def test_the_application_has_no_crash_switch_of_its_own(data_dir, store_url):
    """Crashes are a test's doing (``crash_after``): no environment variable kills a tick."""
    setup_journeys(data_dir, customers=3, url=store_url)
    where = ["--database", store_url] if store_url else []
    result = run_cli(data_dir, *where, "tick", "--now", T0, "--batch-size", "1",
                     env={"JOURNEY_DESKTOP_CRASH_AFTER": "1"})
    assert result.returncode == 0, result.stderr
