"""SPEC §11 scenario by scenario: runs that start on an imported event and wait for one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.domain.journey import Journey
from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.events import EventStore
from journey_desktop.store.repository import JourneyRepository
from tests.store.evaluator_support import MADRID, activate, outbox, runs

pytestmark = pytest.mark.both_databases

T0 = 1740819600  # 2025-03-01T09:00:00Z
HOUR = 3600
DAY = 86400


def journey(entry_event: dict[str, Any] | None = None, *, reentry: bool = False,
            max_entries: int | None = None, timeout: dict[str, Any] | None = None,
            nodes: list[dict[str, Any]] | None = None, entry_filter: Any = None,
            audience: str = "csv") -> Journey:
    entry: dict[str, Any] = {"id": "start", "type": "entry", "next": "hello"}
    if entry_event is not None:
        entry["event"] = entry_event
    if entry_filter is not None:
        entry["filter"] = entry_filter
    data = {
        "format": "journey-desktop/1", "name": "Events", "audience": audience,
        "nodes": [entry, *(nodes or [
            {"id": "hello", "type": "message", "channel": "push",
             "title": "Hi {{customerId}}", "body": "{{event.cartId|none}}", "next": "end"},
            {"id": "end", "type": "exit"}])],
        "activation": {"allow_reentry": reentry, "max_entries": max_entries,
                       "timeout": timeout or {"value": 1, "unit": "days"}},
    }
    return Journey.from_dict(data)


CART = [
    {"id": "hello", "type": "wait_event", "event": "purchase",
     "timeout": {"value": 1, "unit": "hours"}, "same": "cartId", "yes": "thanks",
     "no": "remind"},
    {"id": "thanks", "type": "message", "channel": "push", "title": "Thanks",
     "body": "You paid {{matched.total}} for {{event.cartId}}", "next": "end"},
    {"id": "remind", "type": "message", "channel": "push", "title": "Your cart",
     "body": "{{event.cartId}} is waiting", "next": "end"},
    {"id": "end", "type": "exit"},
]


def import_events(tmp_path: Path, lines: list[dict[str, Any]], name: str = "e.jsonl",
                  now: int = T0) -> None:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    assert EventStore().import_file(plan, now=now).committed


def ev(user: str, event: str, at: int, **props: Any) -> dict[str, Any]:
    return {"userId": user, "event": event, "timestamp": at, "properties": props}


def tick(now: int, **kwargs: Any):
    return Evaluator(tz=MADRID, **kwargs).tick(now)


def wait_counts(journey_id: int) -> dict[str, tuple[int, int, int]]:
    return {node: (m, t, late) for node, m, t, late in database.execute_sql(
        "SELECT node, matched, timed_out, late FROM wait_event_count WHERE journey_id = ?",
        (journey_id,))}


def test_abandoned_cart_matches_the_same_cart_only(repo, tmp_path):
    jid = activate(repo, journey({"name": "cart", "who": "anyone"}, nodes=CART), {}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0 + 60, cartId="c1"),
                             ev("u2", "cart", T0 + 60, cartId="c2")])
    tick(T0 + 120)
    assert outbox(jid) == []
    # u1 buys another cart (no match), then the right one; u2 buys nothing.
    import_events(tmp_path, [ev("u1", "purchase", T0 + 600, cartId="other", total=5),
                             ev("u1", "purchase", T0 + 900, cartId="c1", total=42)], "p.jsonl")
    tick(T0 + 1200)
    assert [r[:2] + r[4:6] + r[7:] for r in outbox(jid)] == [
        ("u1", 1, "Thanks", "You paid 42 for c1", T0 + 900)]
    tick(T0 + 2 * HOUR)
    assert [r[:3] + r[5:] for r in outbox(jid)] == [
        ("u1", 1, "thanks", "You paid 42 for c1", "", T0 + 900),
        ("u2", 1, "remind", "c2 is waiting", "", T0 + 60 + HOUR)]
    assert wait_counts(jid) == {"hello": (1, 1, 0)}


def test_the_timeout_fires_once_and_a_late_event_changes_nothing(repo, tmp_path):
    jid = activate(repo, journey({"name": "cart"}, nodes=CART), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0, cartId="c1")])
    tick(T0 + 60)
    tick(T0 + 2 * HOUR)
    tick(T0 + 3 * HOUR)
    assert [r[2] for r in outbox(jid)] == ["remind"]
    # The purchase happened within the hour but is imported after the timeout fired.
    import_events(tmp_path, [ev("u1", "purchase", T0 + 600, cartId="c1", total=1)], "late.jsonl")
    tick(T0 + 4 * HOUR)
    tick(T0 + 5 * HOUR)
    assert [r[2] for r in outbox(jid)] == ["remind"]
    assert runs(jid) == [("u1", 1, "completed", "exit", "end")]
    assert wait_counts(jid) == {"hello": (0, 1, 1)}


def test_a_purchase_already_imported_matches_when_the_run_arrives(repo, tmp_path):
    """Out of order: cart and purchase in one file, purchase first; one tick long after."""
    jid = activate(repo, journey({"name": "cart"}, nodes=CART), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "purchase", T0 + 600, cartId="c1", total=7),
                             ev("u1", "cart", T0, cartId="c1")])
    tick(T0 + 3 * HOUR)
    assert [(r[2], r[7]) for r in outbox(jid)] == [("thanks", T0 + 600)]


def test_entry_on_event_rules_per_event(repo, tmp_path):
    lines = [ev("u1", "view", T0 + 9 * DAY + h * HOUR, cartId=f"c{h}")
             for h in (1, 2, 5, 30, 31, 40, 60, 100)]
    jid = activate(repo, journey({"name": "view"}, reentry=True, max_entries=3),
                   {"u1": {}}, T0)
    import_events(tmp_path, lines)
    tick(T0 + 12 * DAY)
    # One day between entries: 1h enters, 2h and 5h are too soon, 30h enters, 31h and 40h
    # are too soon, 60h enters as the third; none after the maximum of three.
    assert [(r[1], r[5], r[7]) for r in outbox(jid)] == [
        (1, "c1", T0 + 9 * DAY + HOUR), (2, "c30", T0 + 9 * DAY + 30 * HOUR),
        (3, "c60", T0 + 9 * DAY + 60 * HOUR)]


def test_runs_started_by_events_record_each_step_at_their_event_time(repo, tmp_path):
    jid = activate(repo, journey({"name": "view"}), {"u1": {}, "u2": {}}, T0)
    import_events(tmp_path, [ev("u1", "view", T0 + HOUR, cartId="a"),
                             ev("u2", "view", T0 + 2 * HOUR, cartId="b")])
    tick(T0 + 3 * HOUR)
    rows = database.execute_sql(
        "SELECT external_id, state, started_at, ended_at, path FROM run WHERE journey_id = ?"
        " ORDER BY external_id", (jid,)).fetchall()
    assert [tuple(r) for r in rows] == [
        ("u1", "completed", T0 + HOUR, T0 + HOUR,
         f"start@{T0 + HOUR}\nhello@{T0 + HOUR}\nend@{T0 + HOUR}\n"),
        ("u2", "completed", T0 + 2 * HOUR, T0 + 2 * HOUR,
         f"start@{T0 + 2 * HOUR}\nhello@{T0 + 2 * HOUR}\nend@{T0 + 2 * HOUR}\n"),
    ]


def test_entry_without_reentry_is_once_and_an_earlier_event_starts_nothing(repo, tmp_path):
    jid = activate(repo, journey({"name": "view"}, reentry=True), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "view", T0 + 2 * DAY, cartId="b")])
    tick(T0 + 2 * DAY + HOUR)
    import_events(tmp_path, [ev("u1", "view", T0 + DAY, cartId="a")], "early.jsonl")
    tick(T0 + 2 * DAY + 2 * HOUR)
    assert [(r[1], r[5]) for r in outbox(jid)] == [(1, "b")]


def test_without_reentry_a_customer_enters_once(repo, tmp_path):
    jid = activate(repo, journey({"name": "view"}), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "view", T0 + h * HOUR, cartId=f"c{h}")
                             for h in (30, 1, 60)])
    tick(T0 + 3 * DAY)
    assert [(r[1], r[5], r[7]) for r in outbox(jid)] == [(1, "c1", T0 + HOUR)]


def test_max_age_blocks_a_backfill_and_events_before_activation(repo, tmp_path):
    jid = activate(repo, journey({"name": "view", "max_age": {"value": 1, "unit": "days"}}),
                   {"u1": {}, "u2": {}}, T0 + DAY)
    import_events(tmp_path, [ev("u1", "view", T0 + HOUR, cartId="before"),
                             ev("u2", "view", T0 + 2 * DAY, cartId="old"),
                             ev("u2", "view", T0 + 4 * DAY, cartId="fresh")])
    tick(T0 + 4 * DAY + HOUR)
    assert [(r[0], r[5]) for r in outbox(jid)] == [("u2", "fresh")]


def test_who_audience_needs_membership_who_anyone_adds_the_customer(repo, tmp_path):
    members = activate(repo, journey({"name": "view"}), {"u1": {}}, T0)
    anyone = activate(repo, Journey.from_dict({**journey({"name": "view", "who": "anyone"})
                                               .to_dict(), "name": "Anyone"}), {}, T0)
    import_events(tmp_path, [ev("u1", "view", T0 + 60, cartId="a"),
                             ev("new", "view", T0 + 60, cartId="b")])
    tick(T0 + 120)
    assert [r[0] for r in outbox(members)] == ["u1"]
    assert [r[0] for r in outbox(anyone)] == ["new", "u1"]
    assert database.execute_sql("SELECT external_id FROM member WHERE journey_id = ?"
                                " ORDER BY 1", (anyone,)).fetchall() == [("new",), ("u1",)]
    assert database.execute_sql("SELECT count(*) FROM profile WHERE external_id = 'new'"
                                ).fetchone() == (1,)


def test_duplicates_start_nothing_twice(repo, tmp_path):
    jid = activate(repo, journey({"name": "view"}, reentry=True,
                                 timeout={"value": 1, "unit": "minutes"}), {"u1": {}}, T0)
    line = {**ev("u1", "view", T0 + 60, cartId="a"), "messageId": "m1"}
    import_events(tmp_path, [line, line])
    import_events(tmp_path, [line], "again.jsonl")
    tick(T0 + 120)
    tick(T0 + 240)
    assert [(r[1], r[5]) for r in outbox(jid)] == [(1, "a")]


def test_future_events_wait_for_their_time(repo, tmp_path):
    jid = activate(repo, journey({"name": "view"}), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "view", T0 + DAY, cartId="later")])
    tick(T0 + HOUR)
    assert outbox(jid) == []
    tick(T0 + DAY)
    assert [(r[5], r[7]) for r in outbox(jid)] == [("later", T0 + DAY)]


def _file_outbox(tmp_path: Path, repo, lines: list[dict[str, Any]], batch_size: int
                 ) -> list[tuple]:
    jid = activate(repo, journey({"name": "cart", "who": "anyone"}, nodes=CART,
                                 reentry=True, timeout={"value": 1, "unit": "hours"}), {}, T0)
    import_events(tmp_path, lines, "f.jsonl")
    for hour in range(1, 8):
        tick(T0 + hour * HOUR, batch_size=batch_size)
    return outbox(jid)


def test_an_out_of_order_file_gives_the_same_outbox_as_the_sorted_file(repo, tmp_path):
    lines = []
    for i in range(6):
        lines.append(ev(f"u{i % 3}", "cart", T0 + i * 1500, cartId=f"c{i}"))
        if i % 2:
            lines.append(ev(f"u{i % 3}", "purchase", T0 + i * 1500 + 600, cartId=f"c{i}",
                            total=i))
    lines.sort(key=lambda line: line["timestamp"])
    sorted_rows = _file_outbox(tmp_path, repo, lines, 2)
    # A second database: the same events in one file would be duplicates here.
    close_store()
    other = tmp_path / "other"
    other.mkdir()
    open_store(other)
    reversed_rows = _file_outbox(other, JourneyRepository(), list(reversed(lines)), 2)
    assert sorted_rows == reversed_rows
    assert [row[2] for row in sorted_rows].count("thanks") == 3
    assert [row[2] for row in sorted_rows].count("remind") == 3


def test_history_and_event_data_in_a_condition(repo, tmp_path):
    nodes = [
        {"id": "hello", "type": "condition", "filter": {"match": "all", "conditions": [
            {"event": "purchase", "within_days": 30, "at_least": 1},
            {"field": "event.cart.total", "op": "gt", "value": 100}]},
         "yes": "vip", "no": "end"},
        {"id": "vip", "type": "message", "channel": "push", "title": "VIP",
         "body": "{{event.cart.total}}", "next": "end"},
        {"id": "end", "type": "exit"},
    ]
    jid = activate(repo, journey({"name": "cart"}, nodes=nodes),
                   {"buyer": {}, "new": {}, "small": {}, "old": {}}, T0)
    import_events(tmp_path, [
        ev("buyer", "purchase", T0 - 5 * DAY), ev("small", "purchase", T0 - DAY),
        ev("old", "purchase", T0 - 40 * DAY),
        ev("buyer", "cart", T0 + 60, cart={"total": 150}),
        ev("new", "cart", T0 + 60, cart={"total": 150}),
        ev("small", "cart", T0 + 60, cart={"total": 50}),
        ev("old", "cart", T0 + 60, cart={"total": 150})])
    tick(T0 + 120)
    assert [(r[0], r[5]) for r in outbox(jid)] == [("buyer", "150")]


WAIT_AN_HOUR = [
    {"id": "hello", "type": "message", "channel": "push", "title": "Hi",
     "body": "{{event.cartId}}", "next": "pause"},
    {"id": "pause", "type": "wait", "duration": {"value": 1, "unit": "hours"}, "next": "bye"},
    {"id": "bye", "type": "message", "channel": "push", "title": "Bye",
     "body": "{{event.cartId}}", "next": "end"},
    {"id": "end", "type": "exit"},
]


def _entries_in_batches(folder: Path, url: str | None, batch_size: int) -> tuple[Any, ...]:
    """Six customers, one to three due events each, taken by one tick in batches."""
    open_store(folder, url=url)
    try:
        customers = {f"u{i}": {} for i in range(1, 7)}
        jid = activate(JourneyRepository(), journey(
            {"name": "view"}, reentry=True, timeout={"value": 1, "unit": "minutes"},
            nodes=WAIT_AN_HOUR), customers, T0)
        # u2 enters twice (its first run has ended by its second event), u3 once (its
        # second event comes while its first run waits); u4-u6 came lately, and their
        # runs stay at the wait.
        import_events(folder, [
            ev("u3", "view", T0 + 600, cartId="u3b"), ev("u1", "view", T0 + 60, cartId="u1"),
            ev("u2", "view", T0 + 3 * HOUR, cartId="u2b"),
            ev("u2", "view", T0 + 60, cartId="u2a"), ev("u3", "view", T0 + 60, cartId="u3a"),
            ev("u4", "view", T0 + 210 * 60, cartId="u4"),
            ev("u6", "view", T0 + 230 * 60, cartId="u6"),
            ev("u5", "view", T0 + 220 * 60, cartId="u5")])
        summary = tick(T0 + 4 * HOUR, batch_size=batch_size)
        return (
            (summary.checked, summary.entered, summary.completed, summary.messages),
            outbox(jid),
            database.execute_sql(
                "SELECT external_id, entry_number, state, node, due_at, started_at, ended_at,"
                " path, event_seq FROM run ORDER BY 1, 2").fetchall(),
            database.execute_sql("SELECT node, visits FROM node_visit ORDER BY 1").fetchall(),
            database.execute_sql("SELECT external_id, entries FROM member ORDER BY 1"
                                 ).fetchall(),
            database.execute_sql("SELECT count(*) FROM event_queue").fetchone(),
        )
    finally:
        close_store()


@pytest.mark.both_databases
def test_event_entries_are_the_same_in_any_batch_size(tmp_path, new_store_url):
    """Batches of one rank at a time, whichever way their runs take the first steps
    (all at once up to the wait, or walked on past a wait that has already ended)."""
    results = []
    for size in (1, 2, 3, 1000):
        folder = tmp_path / f"batch{size}"
        folder.mkdir()
        results.append(_entries_in_batches(folder, new_store_url(), size))
    assert all(result == results[0] for result in results[1:])
    counts, messages, stored_runs, _visits, members, (queued,) = results[0]
    assert counts == (8, 7, 4, 11)
    assert [(r[0], r[1], r[2], r[5]) for r in messages if r[0] in ("u2", "u3")] == [
        ("u2", 1, "bye", "u2a"), ("u2", 1, "hello", "u2a"),
        ("u2", 2, "bye", "u2b"), ("u2", 2, "hello", "u2b"),
        ("u3", 1, "bye", "u3a"), ("u3", 1, "hello", "u3a")]
    assert [(r[0], r[2], r[3], r[4]) for r in stored_runs if r[2] == "in_progress"] == [
        ("u4", "in_progress", "bye", T0 + 270 * 60), ("u5", "in_progress", "bye", T0 + 280 * 60),
        ("u6", "in_progress", "bye", T0 + 290 * 60)]
    assert members == [("u1", 1), ("u2", 2), ("u3", 1), ("u4", 1), ("u5", 1), ("u6", 1)]
    assert queued == 0


@pytest.mark.sqlite_only  # reads SQLite's own statements or connection
def test_an_event_queued_before_the_clock_went_back_waits_for_its_time(repo, tmp_path):
    """A tick killed after queueing an event it found due, then a tick at an earlier time
    (the clock went back): the event still starts nothing before its timestamp."""
    from journey_desktop.store import evaluator_events, sqlite_sql

    jid = activate(repo, journey({"name": "view"}), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "view", T0 + HOUR, cartId="c1")])
    stored = repo.get(jid)
    rules = evaluator_events.rules_for(stored.journey, stored.activated_at)
    assert rules is not None
    with sqlite_sql.write_transaction(database):
        assert evaluator_events.feed(sqlite_sql.raw_connection(database), jid, rules,
                                     T0 + 2 * HOUR) == 1
    tick(T0 + HOUR // 2)
    assert outbox(jid) == []
    tick(T0 + HOUR)
    assert [(r[5], r[7]) for r in outbox(jid)] == [("c1", T0 + HOUR)]


def test_a_tick_stopped_after_taking_late_events_counts_them_once(repo, tmp_path,
                                                                   monkeypatch):
    """A tick that fails while taking a batch of queued wait events (as if killed there),
    then runs again: each late event is counted once."""
    from journey_desktop.store import evaluator_events

    jid = activate(repo, journey({"name": "cart"}, nodes=CART), {"u1": {}}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0, cartId="c1")])
    tick(T0 + 60)
    tick(T0 + 2 * HOUR)
    import_events(tmp_path, [ev("u1", "purchase", T0 + 600, cartId="c1", total=1)], "late.jsonl")
    drop = evaluator_events.drop_queued

    def fail_on_waits(conn, journey_id, kind, *args):  # type: ignore[no-untyped-def]
        if kind == evaluator_events.WAIT_KIND:
            raise RuntimeError("stopped here")
        return drop(conn, journey_id, kind, *args)

    monkeypatch.setattr(evaluator_events, "drop_queued", fail_on_waits)
    assert tick(T0 + 3 * HOUR).failures
    monkeypatch.setattr(evaluator_events, "drop_queued", drop)
    tick(T0 + 3 * HOUR)
    tick(T0 + 4 * HOUR)
    assert wait_counts(jid) == {"hello": (0, 1, 1)}
    assert [r[2] for r in outbox(jid)] == ["remind"]


def _stopped_and_run_again(folder: Path, stop_after: int | None) -> tuple[Any, ...]:
    """New events taken by a tick in batches of two, the tick stopped after
    ``stop_after`` batches (None: never), then run again at the same ``now``."""
    from journey_desktop.store.evaluator import TickCancelled

    open_store(folder)
    try:
        jid = activate(JourneyRepository(), journey(
            {"name": "view"}, reentry=True, timeout={"value": 1, "unit": "minutes"}),
            {f"u{i}": {} for i in range(1, 8)}, T0)
        # u2's second event, imported last, is the earlier one: it enters first; u7's
        # event is dated after the tick and waits for its time.
        import_events(folder, [
            ev("u1", "view", T0 + 60, cartId="u1"), ev("u2", "view", T0 + 900, cartId="u2b"),
            ev("u3", "view", T0 + 120, cartId="u3"), ev("u7", "view", T0 + DAY, cartId="u7"),
            ev("u4", "view", T0 + 180, cartId="u4"), ev("u5", "view", T0 + 240, cartId="u5"),
            ev("u6", "view", T0 + 300, cartId="u6"), ev("u2", "view", T0 + 30, cartId="u2a")])
        commits = 0

        def stop() -> bool:
            nonlocal commits
            commits += 1
            return commits == stop_after

        written_when_stopped = None
        try:
            Evaluator(tz=MADRID, batch_size=2, cancelled=stop).tick(T0 + HOUR)
        except TickCancelled:
            written_when_stopped = len(outbox(jid))
        tick(T0 + HOUR, batch_size=2)
        after_rerun = [(r[0], r[1], r[5], r[7]) for r in outbox(jid)]
        tick(T0 + DAY, batch_size=2)
        return written_when_stopped, after_rerun, [(r[0], r[1], r[5], r[7]) for r in outbox(jid)]
    finally:
        close_store()


# SQLite alone: on a team database an events journey is ticked whole in one transaction
# (tests/cli/test_events_evaluator_cli.py kills such a tick mid-way on both databases).
def test_a_tick_stopped_between_batches_of_new_events_takes_the_rest_once(tmp_path):
    """Each batch of new events moves the journey's watermark in its own transaction: a
    tick stopped after any batch and run again loses no event and starts no run twice."""
    results = {}
    for stop_after in (None, 1, 2, 3):
        folder = tmp_path / f"stop{stop_after}"
        folder.mkdir()
        results[stop_after] = _stopped_and_run_again(folder, stop_after)
    clean = results[None]
    assert clean[0] is None
    assert clean[1] == [
        ("u1", 1, "u1", T0 + 60), ("u2", 1, "u2a", T0 + 30), ("u2", 2, "u2b", T0 + 900),
        ("u3", 1, "u3", T0 + 120), ("u4", 1, "u4", T0 + 180), ("u5", 1, "u5", T0 + 240),
        ("u6", 1, "u6", T0 + 300)]
    assert clean[2] == [*clean[1], ("u7", 1, "u7", T0 + DAY)]
    for stop_after in (1, 2, 3):
        stopped, after_rerun, final = results[stop_after]
        assert stopped is not None and stopped < len(clean[1]), stop_after
        assert (after_rerun, final) == (clean[1], clean[2]), stop_after
