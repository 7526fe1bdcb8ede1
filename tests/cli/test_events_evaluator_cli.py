"""Journeys on events from the command line: a tick killed mid-way and run again writes
nothing twice; ``stats --json`` counts each wait for an event."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.cli.test_evaluator_cli import iso, run_cli
from tests.cli.test_tick_cli import query

pytestmark = pytest.mark.both_databases

# The command line activates at the clock's time: the events come after it.
T0 = (int(time.time()) // 3600 + 2) * 3600
HOUR = 3600

CART_JOURNEY = {
    "format": "journey-desktop/1", "name": "Cart",
    "nodes": [
        {"id": "start", "type": "entry", "event": {"name": "cart", "who": "anyone"},
         "next": "hi"},
        {"id": "hi", "type": "message", "channel": "push", "title": "Cart {{event.cartId}}",
         "body": "b", "next": "wait_buy"},
        {"id": "wait_buy", "type": "wait_event", "event": "purchase", "same": "cartId",
         "timeout": {"value": 1, "unit": "hours"}, "yes": "thanks", "no": "remind"},
        {"id": "thanks", "type": "message", "channel": "email", "subject": "Thanks",
         "body": "{{matched.total}}", "next": "end"},
        {"id": "remind", "type": "message", "channel": "sms", "body": "{{event.cartId}}",
         "next": "end"},
        {"id": "end", "type": "exit"},
    ],
    "activation": {"allow_reentry": True, "max_entries": 3,
                   "timeout": {"value": 1, "unit": "minutes"}},
}


def command(data_dir: Path, url: str | None):  # type: ignore[no-untyped-def]
    """``run_cli`` on the data folder, or on the team database ``url`` when given (each
    command in a process forked from the test's: it holds no database open)."""
    where = ["--database", url] if url else []

    def run(*args: str, **options):  # type: ignore[no-untyped-def]
        return run_cli(data_dir, *where, *args, forked=True, **options)

    return run


def prepare(data_dir: Path, tmp_path: Path, url: str | None = None) -> None:
    run = command(data_dir, url)
    journey = tmp_path / "cart.json"
    journey.write_text(json.dumps(CART_JOURNEY), encoding="utf-8")
    assert run("create", str(journey)).returncode == 0
    assert run("activate", "Cart").returncode == 0
    lines = []
    for i in range(12):
        user = f"u{i % 4}"
        lines.append({"userId": user, "event": "cart", "timestamp": T0 + 60 * i + 5,
                      "properties": {"cartId": f"c{i}"}})
        if i % 3 == 0:
            lines.append({"userId": user, "event": "purchase", "timestamp": T0 + 60 * i + 30,
                          "properties": {"cartId": f"c{i}", "total": i}})
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(line) + "\n" for line in reversed(lines)),
                      encoding="utf-8")
    result = run("events", "import", str(events))
    assert result.returncode == 0, result.stderr


def snapshot(data_dir: Path, url: str | None = None) -> tuple[list[tuple], ...]:
    return tuple(query(data_dir, sql, url=url) for sql in (
        "SELECT external_id, entry_number, node, channel, title, body, due_at FROM outbox"
        " ORDER BY 1, 2, 3",
        "SELECT external_id, entry_number, state, node, due_at, event_seq, matched_seq"
        " FROM run ORDER BY 1, 2",
        "SELECT node, matched, timed_out, late FROM wait_event_count ORDER BY 1",
        "SELECT kind, seq FROM event_queue ORDER BY 1, 2",
    ))


def copy_of(url: str | None, request: pytest.FixtureRequest) -> str | None:
    """A second team database holding what ``url`` holds (None on SQLite)."""
    if url is None:
        return None
    from tests.team_database import _admin, database_url

    server = request.getfixturevalue("postgres_server")
    source = url.partition("?")[0].rsplit("/", 1)[1]
    with _admin(server) as admin:
        admin.execute(f'CREATE DATABASE "{source}_copy" TEMPLATE "{source}"')
    return database_url(server, f"{source}_copy")


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_a_tick_killed_mid_way_and_run_again_writes_nothing_twice(
        tmp_path, crash_after, store_url, request):
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    clean.mkdir()
    prepare(clean, tmp_path, store_url)
    shutil.copytree(clean, crashed, dirs_exist_ok=True)
    crashed_url = copy_of(store_url, request)
    on_clean, on_crashed = command(clean, store_url), command(crashed, crashed_url)
    now = iso(T0 + 2 * HOUR)
    assert on_clean("tick", "--now", now).returncode == 0
    killed = on_crashed("tick", "--now", now, crash_after=crash_after)
    assert killed.returncode != 0
    assert on_crashed("tick", "--now", now).returncode == 0
    assert snapshot(crashed, crashed_url) == snapshot(clean, store_url)
    messages = snapshot(clean, store_url)[0]
    assert len(messages) == len({row[:3] for row in messages}) > 0


def test_stats_json_counts_each_wait_for_an_event(tmp_path, store_url):
    data = tmp_path / "data"
    data.mkdir()
    prepare(data, tmp_path, store_url)
    run = command(data, store_url)
    assert run("tick", "--now", iso(T0 + 2 * HOUR)).returncode == 0
    stats = json.loads(run("stats", "Cart", "--json").stdout)
    # Four customers, three carts each: a cart starts a run only once the customer's last
    # run has ended. u0 bought c0 at once and enters again on c4; u3 bought c3 and enters
    # again on c7; the other carts came while a run waited (u1, u2: no purchase of theirs).
    assert stats["wait_events"] == {"wait_buy": {"matched": 2, "timed_out": 4, "late": 0}}
    assert stats["entered"] == 6


def test_stats_text_counts_each_wait_for_an_event(tmp_path, store_url):
    data = tmp_path / "data"
    data.mkdir()
    prepare(data, tmp_path, store_url)
    run = command(data, store_url)
    assert run("tick", "--now", iso(T0 + 2 * HOUR)).returncode == 0
    # u1's purchase of c1, within the hour of its wait, imported after the timeout fired.
    late = tmp_path / "late.jsonl"
    late.write_text(json.dumps({"userId": "u1", "event": "purchase", "timestamp": T0 + 70,
                                "properties": {"cartId": "c1"}}) + "\n", encoding="utf-8")
    assert run("events", "import", str(late)).returncode == 0
    assert run("tick", "--now", iso(T0 + 3 * HOUR)).returncode == 0
    lines = run("stats", "Cart").stdout.splitlines()
    at = lines.index("waits for an event:")
    assert lines[at + 1] == "  wait_buy: matched 2, timed out 4, late 1"
    assert lines[at - 1].startswith("  end: ")  # after the nodes
