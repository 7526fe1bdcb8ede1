"""Journeys on events from the command line: a tick killed mid-way and run again writes
nothing twice; ``stats --json`` counts each wait for an event."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tests.cli.test_evaluator_cli import iso, run_cli

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


def prepare(data_dir: Path, tmp_path: Path) -> None:
    journey = tmp_path / "cart.json"
    journey.write_text(json.dumps(CART_JOURNEY), encoding="utf-8")
    assert run_cli(data_dir, "create", str(journey)).returncode == 0
    assert run_cli(data_dir, "activate", "Cart").returncode == 0
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
    result = run_cli(data_dir, "events", "import", str(events))
    assert result.returncode == 0, result.stderr


def snapshot(data_dir: Path) -> tuple[list[tuple], ...]:
    conn = sqlite3.connect(data_dir / "journeys.db")
    try:
        return tuple(conn.execute(sql).fetchall() for sql in (
            "SELECT external_id, entry_number, node, channel, title, body, due_at FROM outbox"
            " ORDER BY 1, 2, 3",
            "SELECT external_id, entry_number, state, node, due_at, event_seq, matched_seq"
            " FROM run ORDER BY 1, 2",
            "SELECT node, matched, timed_out, late FROM wait_event_count ORDER BY 1",
            "SELECT kind, seq FROM event_queue ORDER BY 1, 2",
        ))
    finally:
        conn.close()


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_a_tick_killed_mid_way_and_run_again_writes_nothing_twice(tmp_path, crash_after):
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    clean.mkdir()
    prepare(clean, tmp_path)
    shutil.copytree(clean, crashed, dirs_exist_ok=True)
    now = iso(T0 + 2 * HOUR)
    assert run_cli(clean, "tick", "--now", now).returncode == 0
    killed = run_cli(crashed, "tick", "--now", now, crash_after=crash_after)
    assert killed.returncode != 0
    assert run_cli(crashed, "tick", "--now", now).returncode == 0
    assert snapshot(crashed) == snapshot(clean)
    messages = snapshot(clean)[0]
    assert len(messages) == len({row[:3] for row in messages}) > 0


def test_stats_json_counts_each_wait_for_an_event(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    prepare(data, tmp_path)
    assert run_cli(data, "tick", "--now", iso(T0 + 2 * HOUR)).returncode == 0
    stats = json.loads(run_cli(data, "stats", "Cart", "--json").stdout)
    # Four customers, three carts each: a cart starts a run only once the customer's last
    # run has ended. u0 bought c0 at once and enters again on c4; u3 bought c3 and enters
    # again on c7; the other carts came while a run waited (u1, u2: no purchase of theirs).
    assert stats["wait_events"] == {"wait_buy": {"matched": 2, "timed_out": 4, "late": 0}}
    assert stats["entered"] == 6
