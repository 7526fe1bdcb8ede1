"""The evaluator's part of SPEC §11: runs that start on an event and wait for one.

New events are found by import order: each tick moves the events past the journey's
watermark (``event_mark``) whose names the journey uses into its queue (``event_queue``)
and moves the watermark on, in one transaction, so a tick's cost follows the new events,
never the size of the event table. Queued events are taken once their timestamp is due (an
event dated after ``now`` waits in the queue for the first tick at or after it); each is
deleted in the transaction that acts on it, so a tick killed anywhere and run again takes
every event exactly once. Entry events are taken a batch of customers at a time, in
customer order; those already due when queued are queued in import order
(``DUE_WHEN_QUEUED``), so that no batch rewrites the whole of the queue's time index.

A journey that starts on an event takes its new events a batch of import order at a time
instead (``take_new_entries``), the watermark moved to the batch's end in the batch's
transaction: a due event whose customer has no other new or queued entry event (the usual
case) starts its run there and then, never queued; the others are queued as above.

Waits for an event look the event up on the (external_id, name, occurred_at) index when a
run reaches the node, when its deadline comes, and when a queued event of that name is
due for the customer: the earliest event (timestamp, then import order) wins.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from peewee import Database

from journey_desktop.domain.journey import (
    EVENT_PREFIX,
    MATCHED_PREFIX,
    WHO_ANYONE,
    Condition,
    EventTrigger,
    Journey,
    Node,
)
from journey_desktop.domain.lifecycle import IN_PROGRESS
from journey_desktop.store import sqlite_sql
from journey_desktop.store.sqlite_sql import EventData, SqlParts

ENTRY_KIND, WAIT_KIND = "e", "w"
# The queue's time of an entry event already due when queued: such events are keyed in
# the order they were imported, so that queueing and taking them write the queue's time
# index in order, not all over it (their timestamp is read from the event).
DUE_WHEN_QUEUED = 0
DAY_SECONDS = 86_400


@dataclass
class EventRules:
    """What a journey does with events, compiled once per tick."""

    trigger: EventTrigger | None
    activated_at: int
    waits: list[Node] = field(default_factory=list)

    @property
    def wait_names(self) -> list[str]:
        return sorted({node.event or "" for node in self.waits})


def rules_for(journey: Journey, activated_at: int | None) -> EventRules | None:
    """None when the journey neither starts on nor waits for an event."""
    trigger = journey.trigger()
    waits = [n for n in journey.nodes if n.type == "wait_event" and n.event]
    if trigger is None and not waits:
        return None
    return EventRules(trigger=trigger, activated_at=int(activated_at or 0), waits=waits)


def start_mark(db: Database, journey_id: int) -> None:
    """At activation: the journey takes the events imported from now on."""
    db.execute_sql(
        "INSERT INTO event_mark (journey_id, seq)"
        " SELECT ?, coalesce(max(seq), 0) FROM event WHERE true "
        "ON CONFLICT (journey_id) DO UPDATE SET seq = excluded.seq",
        (journey_id,),
    )


# --- event data in filters and placeholders ---------------------------------------------


def event_data(ext_sql: str, at_sql: str, event_seq_sql: str | None,
               matched_seq_sql: str | None) -> EventData:
    """``event.x``, ``matched.x`` and history conditions for rows of a statement: the
    customer ``ext_sql`` evaluated at ``at_sql``, the run's events by their seq."""

    def value_of(name: str) -> SqlParts | None:
        for prefix, seq_sql in ((EVENT_PREFIX, event_seq_sql), (MATCHED_PREFIX, matched_seq_sql)):
            if name.startswith(prefix):
                if seq_sql is None:
                    return "NULL", []
                props = f"(SELECT ev.properties FROM event ev WHERE ev.seq = {seq_sql})"
                return sqlite_sql.property_value_sql(props, name[len(prefix):])
        return None

    def history(condition: Condition) -> SqlParts:
        seconds = int(condition.within_days or 0) * DAY_SECONDS
        named, named_params = sqlite_sql.event_named("h", condition.event or "")
        count = (f"(SELECT count(*) FROM event h WHERE h.external_id = {ext_sql}"
                 f" AND {named} AND h.occurred_at > {at_sql} - ? AND h.occurred_at <= {at_sql})")
        tests: list[str] = []
        params: list[Any] = []
        if condition.at_least is not None:
            tests.append(f"{count} >= ?")
            params += [*named_params, seconds, int(condition.at_least)]
        if condition.at_most is not None:
            tests.append(f"{count} <= ?")
            params += [*named_params, seconds, int(condition.at_most)]
        return "(" + (" AND ".join(tests) or "1") + ")", params

    return EventData(value_of=value_of, history=history)


def placeholder_builtins(templates: list[str], event_seq_sql: str, matched_seq_sql: str
                         ) -> dict[str, SqlParts]:
    """``{{event.x}}`` and ``{{matched.x}}`` of a message's templates as SQL text."""
    from journey_desktop.domain.engine import placeholders

    data = event_data("NULL", "NULL", event_seq_sql, matched_seq_sql)
    assert data.value_of is not None
    found: dict[str, SqlParts] = {}
    for template in templates:
        for placeholder in placeholders(template):
            sql = data.value_of(placeholder.name)
            if sql is not None:
                found[placeholder.name] = (f"CAST({sql[0]} AS TEXT)", sql[1])
    return found


# --- new events: the watermark and the queue ----------------------------------------------


def watermark(conn: sqlite3.Connection, journey_id: int) -> tuple[int, int]:
    """The journey's watermark and the newest event's seq: the events past the one and up
    to the other are new to the journey."""
    row = conn.execute("SELECT seq FROM event_mark WHERE journey_id = ?",
                       (journey_id,)).fetchone()
    (top,) = conn.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()
    return (int(row[0]) if row else 0), int(top)


def feed(conn: sqlite3.Connection, journey_id: int, rules: EventRules, now: int) -> int:
    """Queue the events imported since the journey's watermark that it may use, and move
    the watermark past them (the caller's transaction). Returns how many were queued."""
    mark, top = watermark(conn, journey_id)
    if top <= mark:
        return 0
    queued = 0
    trigger = rules.trigger
    if trigger is not None and trigger.name:
        match_sql, params = _entry_match_sql(rules)
        # Events already older than max_age, or from before activation, can never start
        # a run: they are not queued.
        queued += conn.execute(
            "INSERT INTO event_queue (journey_id, kind, seq, external_id, name, occurred_at) "
            f"SELECT ?, '{ENTRY_KIND}', e.seq, e.external_id, e.name,"
            f" CASE WHEN e.occurred_at <= ? THEN {DUE_WHEN_QUEUED} ELSE e.occurred_at END"
            f" FROM event e WHERE e.seq > ? AND e.seq <= ? AND {match_sql}"
            " ON CONFLICT DO NOTHING",
            (journey_id, now, mark, top, *params, _oldest_entry(rules, now)),
        ).rowcount
    queued += _queue_waits(conn, journey_id, rules, mark, top)
    _move_mark(conn, journey_id, top)
    return queued


def _oldest_entry(rules: EventRules, now: int) -> int:
    """The earliest timestamp of an event that may still start a run at ``now``."""
    assert rules.trigger is not None
    return max(rules.activated_at, now - rules.trigger.max_age.seconds)


def _entry_match_sql(rules: EventRules) -> SqlParts:
    """Event ``e`` may start a run: its name, its properties; the last parameter to add is
    the earliest timestamp (after activation, younger than max_age)."""
    trigger = rules.trigger
    assert trigger is not None
    match_sql, params = sqlite_sql.filter_sql(
        trigger.filter, "e.properties", "jd_local_day(e.occurred_at)",
        events=EventData(value_of=lambda name: sqlite_sql.property_value_sql(
            "e.properties", name)),
    )
    named, named_params = sqlite_sql.event_named("e", trigger.name)
    return f"{named} AND {match_sql} AND e.occurred_at >= ?", [*named_params, *params]


def _queue_waits(conn: sqlite3.Connection, journey_id: int, rules: EventRules, mark: int,
                 top: int) -> int:
    names = rules.wait_names
    if not names:
        return 0
    named, named_params = sqlite_sql.events_named("e", names)
    return int(conn.execute(
        "INSERT INTO event_queue (journey_id, kind, seq, external_id, name, occurred_at) "
        f"SELECT ?, '{WAIT_KIND}', e.seq, e.external_id, e.name, e.occurred_at FROM event e"
        f" WHERE e.seq > ? AND e.seq <= ? AND {named} ON CONFLICT DO NOTHING",
        (journey_id, mark, top, *named_params),
    ).rowcount)


def _move_mark(conn: sqlite3.Connection, journey_id: int, seq: int) -> None:
    conn.execute(
        "INSERT INTO event_mark (journey_id, seq) VALUES (?, ?) "
        "ON CONFLICT (journey_id) DO UPDATE SET seq = excluded.seq",
        (journey_id, seq),
    )


# --- new entry events taken straight from the event table --------------------------------


def hold_queued(conn: sqlite3.Connection, journey_id: int) -> None:
    """The customers with an entry event in the queue into ``temp.jd_held``: their new
    events are queued behind it, so that the queue takes a customer's events in order."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_held (ext TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.jd_held")
    conn.execute(
        "INSERT OR IGNORE INTO temp.jd_held (ext) SELECT external_id FROM event_queue"
        f" WHERE journey_id = ? AND kind = '{ENTRY_KIND}'", (journey_id,))


def next_new_batch(conn: sqlite3.Connection, rules: EventRules, mark: int, top: int,
                   size: int) -> int:
    """The seq that ends the next batch of new events after ``mark``: ``size`` events of
    the entry's name, or ``top``."""
    assert rules.trigger is not None
    named, named_params = sqlite_sql.event_named("e", rules.trigger.name)
    end, count = conn.execute(
        "SELECT max(seq), count(*) FROM (SELECT e.seq FROM event e WHERE e.seq > ?"
        f" AND e.seq <= ? AND {named} ORDER BY e.seq LIMIT ?)",
        (mark, top, *named_params, size)).fetchone()
    return int(end) if count >= size else top


def take_new_entries(conn: sqlite3.Connection, journey_id: int, rules: EventRules, now: int,
                     mark: int, end: int, top: int) -> int:
    """The new events of seqs (``mark``, ``end``] (the caller's transaction): those due at
    ``now`` that may start a run go into ``temp.jd_ev`` as rows 1, 2, … (customer order),
    not through the queue; the others that may start one are queued (dated later than
    ``now``; or their customer has another such event, queued or new up to ``top``, and the
    queue takes a customer's events in timestamp order); wait events are queued; the
    watermark moves to ``end``. Returns how many rows ``temp.jd_ev`` holds."""
    create_entry_table(conn)
    match_sql, params = _entry_match_sql(rules)
    oldest = _oldest_entry(rules, now)
    assert rules.trigger is not None
    named, named_params = sqlite_sql.event_named("o", rules.trigger.name)
    # rnk 1: taken now; rnk 0: queued (rows after every rnk 1).
    conn.execute(
        "INSERT INTO temp.jd_ev (ext, seq, at, rnk) SELECT ext, seq, at, rnk FROM ("
        " SELECT e.external_id AS ext, e.seq AS seq, e.occurred_at AS at,"
        "  (e.occurred_at <= ? AND e.external_id NOT IN (SELECT ext FROM temp.jd_held)"
        "   AND NOT EXISTS (SELECT 1 FROM event o WHERE o.external_id = e.external_id"
        f"   AND {named} AND o.occurred_at >= ? AND o.occurred_at <= ? AND o.seq > ?"
        "   AND o.seq <= ? AND o.seq <> e.seq)) AS rnk"
        f" FROM event e WHERE e.seq > ? AND e.seq <= ? AND {match_sql}"
        ") ORDER BY rnk DESC, ext",
        (now, *named_params, oldest, now, mark, top, mark, end, *params, oldest),
    )
    (taken,) = conn.execute(
        "SELECT coalesce(max(id), 0) FROM temp.jd_ev WHERE rnk = 1").fetchone()
    conn.execute(
        "INSERT INTO event_queue (journey_id, kind, seq, external_id, name, occurred_at) "
        f"SELECT ?, '{ENTRY_KIND}', b.seq, b.ext, e.name,"
        f" CASE WHEN b.at <= ? THEN {DUE_WHEN_QUEUED} ELSE b.at END"
        " FROM temp.jd_ev b JOIN event e ON e.seq = b.seq WHERE b.id > ?"
        " ON CONFLICT DO NOTHING",
        (journey_id, now, taken),
    )
    conn.execute("INSERT OR IGNORE INTO temp.jd_held (ext) SELECT ext FROM temp.jd_ev"
                 " WHERE id > ?", (taken,))
    _queue_waits(conn, journey_id, rules, mark, end)
    _move_mark(conn, journey_id, end)
    return int(taken)


def create_entry_table(conn: sqlite3.Connection) -> None:
    """``temp.jd_ev``, emptied: the entry events a tick takes, numbered."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS jd_ev (id INTEGER PRIMARY KEY, ext TEXT NOT NULL,"
        " seq INTEGER NOT NULL, at INTEGER NOT NULL, rnk INTEGER NOT NULL)"
    )
    conn.execute("DELETE FROM temp.jd_ev")


def rank_due_entries(conn: sqlite3.Connection, journey_id: int, rules: EventRules,
                     now: int) -> int:
    """The queued entry events due at ``now`` into ``temp.jd_ev``, each customer's in
    timestamp order (then import order) as ``rnk`` 1, 2, …; rows numbered in rank order, then
    customer order, so that a batch never holds two events of one customer. Returns how many.

    Most customers have one due event: the rows are read once in customer order (by the
    queue's key when every queued event is due) and only the customers with several are
    ranked, their later events moved after all first ones.
    """
    create_entry_table(conn)
    assert rules.trigger is not None
    (latest,) = conn.execute(
        f"SELECT max(occurred_at) FROM event_queue WHERE journey_id = ? AND kind = '{ENTRY_KIND}'",
        (journey_id,),
    ).fetchone()
    if latest is None:
        return 0
    # Future-dated events wait in the queue: then the due ones are found by their time.
    due_sql, due_params = ("", ()) if latest <= now else (" AND q.occurred_at <= ?", (now,))
    count = int(conn.execute(
        "INSERT INTO temp.jd_ev (ext, seq, at, rnk) SELECT q.external_id, q.seq,"
        " e.occurred_at, 1 FROM event_queue q JOIN event e ON e.seq = q.seq"
        f" WHERE q.journey_id = ? AND q.kind = '{ENTRY_KIND}'{due_sql}"
        " AND e.occurred_at <= ? ORDER BY q.external_id, e.occurred_at, q.seq",
        (journey_id, *due_params, now),
    ).rowcount)
    # A customer's later events are the rows that follow a row of the same customer.
    later = ("SELECT a.id FROM temp.jd_ev a JOIN temp.jd_ev p ON p.id = a.id - 1"
             " AND p.ext = a.ext WHERE a.id <= ?")
    if count and conn.execute(f"SELECT EXISTS ({later})", (count,)).fetchone()[0]:
        conn.execute(
            "INSERT INTO temp.jd_ev (ext, seq, at, rnk) SELECT ext, seq, at, rnk FROM ("
            " SELECT ext, seq, at, row_number() OVER (PARTITION BY ext ORDER BY id) AS rnk"
            " FROM temp.jd_ev WHERE ext IN (SELECT ext FROM temp.jd_ev WHERE id IN"
            f" ({later}))) WHERE rnk > 1 ORDER BY rnk, ext",
            (count,),
        )
        conn.execute(f"DELETE FROM temp.jd_ev WHERE id IN ({later})", (count,))
    return count


def next_entry_batch(conn: sqlite3.Connection, after: int, size: int) -> tuple[int, int]:
    """The last row of the next batch after row ``after`` (rows of one rank only) and how
    many rows it holds; (0, 0) when none is left."""
    row = conn.execute("SELECT rnk FROM temp.jd_ev WHERE id > ? ORDER BY id LIMIT 1",
                       (after,)).fetchone()
    if row is None:
        return 0, 0
    last, count = conn.execute(
        "SELECT max(id), count(*) FROM (SELECT id FROM temp.jd_ev WHERE id > ? AND rnk = ?"
        " ORDER BY id LIMIT ?)", (after, row[0], size)).fetchone()
    return int(last), int(count)


def enter_on_events(conn: sqlite3.Connection, journey_id: int, entry: Node, rules: EventRules,
                    max_entries: int | None, timeout: int, first: int, last: int, now: int,
                    tz_day_sql: str = "jd_local_day(b.at)") -> int:
    """Runs for the batch's events that may start one, into ``temp.jd_walk`` at the entry,
    due at the event's timestamp (the caller's transaction). Returns how many."""
    trigger = rules.trigger
    assert trigger is not None
    batch = "temp.jd_ev b WHERE b.id BETWEEN ? AND ?"
    if trigger.who == WHO_ANYONE:
        conn.execute(
            "INSERT INTO profile (external_id, fields, created_at, updated_at) "
            f"SELECT b.ext, '{{}}', ?, ? FROM {batch} ON CONFLICT DO NOTHING",
            (now, now, first, last),
        )
        conn.execute(
            "INSERT INTO member (journey_id, external_id, entries, imported_at) "
            f"SELECT ?, b.ext, 0, ? FROM {batch} ON CONFLICT DO NOTHING",
            (journey_id, now, first, last),
        )
    match_sql, match_params = sqlite_sql.filter_sql(
        entry.filter, "p.fields", tz_day_sql,
        events=event_data("b.ext", "b.at", "b.seq", None),
    )
    limit = "" if max_entries is None else f" AND m.entries < {int(max_entries)}"
    return int(conn.execute(
        "INSERT INTO temp.jd_walk (member, ext, entry_number, node, due, state, event_seq,"
        " started) "
        f"SELECT 1, b.ext, m.entries + 1, ?, b.at, '{IN_PROGRESS}', b.seq, b.at FROM temp.jd_ev b"
        " JOIN member m ON m.journey_id = ? AND m.external_id = b.ext"
        " LEFT JOIN run r ON r.journey_id = ? AND r.external_id = b.ext"
        "  AND r.entry_number = nullif(m.entries, 0)"
        " LEFT JOIN profile p ON p.external_id = b.ext"
        f" WHERE b.id BETWEEN ? AND ?{limit}"
        # The latest run must have ended by the event's time (a run caught up by this
        # tick may end later than the next event), and the timeout must have passed.
        f" AND (r.id IS NULL OR (r.state <> '{IN_PROGRESS}' AND r.ended_at <= b.at"
        "  AND b.at >= jd_wait_end(r.started_at, ?, '')))"
        f" AND {match_sql}",
        (entry.id, journey_id, journey_id, first, last, timeout, *match_params),
    ).rowcount)


def drop_queued(conn: sqlite3.Connection, journey_id: int, kind: str, seqs_sql: str,
                params: tuple[Any, ...] = ()) -> None:
    conn.execute(
        f"DELETE FROM event_queue WHERE journey_id = ? AND kind = ? AND seq IN ({seqs_sql})",
        (journey_id, kind, *params),
    )


# --- waits for an event -------------------------------------------------------------------


def load_due_waits(conn: sqlite3.Connection, journey_id: int, rules: EventRules, now: int,
                   size: int) -> int:
    """Take a batch of due queued wait events into ``temp.jd_evw``, count those that came
    after their wait timed out (late), and load the runs of their customers that wait for
    an event into ``temp.jd_walk``. Returns how many events were taken (0: none due)."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS jd_evw (seq INTEGER PRIMARY KEY, ext TEXT NOT NULL,"
        " name TEXT NOT NULL, at INTEGER NOT NULL)"
    )
    conn.execute("DELETE FROM temp.jd_evw")
    taken = conn.execute(
        "INSERT INTO temp.jd_evw (seq, ext, name, at) SELECT seq, external_id, name,"
        f" occurred_at FROM event_queue WHERE journey_id = ? AND kind = '{WAIT_KIND}'"
        " AND occurred_at <= ? ORDER BY occurred_at LIMIT ?",
        (journey_id, now, size),
    ).rowcount
    if taken <= 0:
        return 0
    late_rows = []
    for node in rules.waits:
        match_sql, params = _wait_match_sql(node, "q.seq", "e", "r.event_seq")
        named, named_params = sqlite_sql.event_named("e", node.event or "")
        (late,) = conn.execute(
            "SELECT count(*) FROM temp.jd_evw q JOIN event e ON e.seq = q.seq"
            " JOIN wait_timeout t ON t.journey_id = ? AND t.external_id = q.ext"
            "  AND t.node = ? AND q.at BETWEEN t.since AND t.deadline"
            " JOIN run r ON r.journey_id = t.journey_id AND r.external_id = t.external_id"
            "  AND r.entry_number = t.entry_number"
            f" WHERE {named} AND {match_sql}",
            (journey_id, node.id, *named_params, *params),
        ).fetchone()
        if late:
            late_rows.append((journey_id, node.id, 0, 0, int(late)))
    add_counts(conn, late_rows)
    nodes = [n.id for n in rules.waits]
    marks = ", ".join("?" for _ in nodes)
    conn.execute(
        "INSERT INTO temp.jd_walk (run_id, member, ext, entry_number, node, due, state, path,"
        " event_seq, matched_seq, since) "
        "SELECT r.id, 1, r.external_id, r.entry_number, r.node, r.due_at, r.state, r.path,"
        " r.event_seq, r.matched_seq, r.wait_since FROM run r"
        " JOIN member c ON c.journey_id = r.journey_id AND c.external_id = r.external_id"
        " WHERE r.journey_id = ? AND r.external_id IN (SELECT ext FROM temp.jd_evw)"
        f" AND r.state = '{IN_PROGRESS}' AND r.wait_since IS NOT NULL AND r.node IN ({marks})"
        " AND r.due_at > ?",
        (journey_id, *nodes, now),
    )
    return int(taken)


def _wait_match_sql(node: Node, seq_sql: str, alias: str, entry_seq_sql: str) -> SqlParts:
    """Whether event ``alias`` (whose seq is ``seq_sql``) is one the node waits for: its
    property filter, and ``same`` equal to the run's entry event's."""
    props = f"{alias}.properties"
    match_sql, params = sqlite_sql.filter_sql(
        node.filter, props, f"jd_local_day({alias}.occurred_at)",
        events=EventData(value_of=lambda name: sqlite_sql.property_value_sql(props, name)),
    )
    if node.same:
        mine, mine_params = sqlite_sql.property_value_sql(props, node.same)
        theirs, their_params = sqlite_sql.property_value_sql(
            f"(SELECT s.properties FROM event s WHERE s.seq = {entry_seq_sql})", node.same)
        # Compared as written: a cart 5 is the same whether a file gave it as a number or
        # as text (JSON Lines "5", or a CSV imported before its numbers were typed).
        match_sql = f"({match_sql} AND CAST({mine} AS TEXT) = CAST({theirs} AS TEXT))"
        params = [*params, *mine_params, *their_params]
    return match_sql, params


def wait_step(conn: sqlite3.Connection, journey_id: int, node: Node, now: int) -> int:
    """One ``wait_event`` node for the runs of ``temp.jd_walk`` standing at it: runs that
    arrive start waiting (until the deadline); waiting runs take the earliest matching
    event up to min(deadline, now) to ``yes`` (due at the event's timestamp), else at the
    deadline go to ``no`` (due at the deadline). Returns how many runs arrived."""
    seconds = node.timeout.seconds if node.timeout else 0
    if not node.yes or not node.no or seconds <= 0:
        return 0  # validation refuses it; the walk stops such runs as stuck
    arrived = conn.execute(
        "UPDATE temp.jd_walk SET since = due, due = jd_wait_end(due, ?, ''),"
        " path = path || ? || '@' || due || char(10) "
        f"WHERE node = ? AND state = '{IN_PROGRESS}' AND since IS NULL AND due <= ?",
        (seconds, node.id, node.id, now),
    ).rowcount
    match_sql, params = _wait_match_sql(node, "e.seq", "e", "temp.jd_walk.event_seq")
    named, named_params = sqlite_sql.event_named("e", node.event or "")
    conn.execute(
        "UPDATE temp.jd_walk SET hit = (SELECT e.seq FROM event e"
        f" WHERE e.external_id = temp.jd_walk.ext AND {named}"
        " AND e.occurred_at >= since AND e.occurred_at <= min(due, ?)"
        f" AND {match_sql} ORDER BY e.occurred_at, e.seq LIMIT 1) "
        f"WHERE node = ? AND state = '{IN_PROGRESS}' AND since IS NOT NULL",
        (*named_params, now, *params, node.id),
    )
    matched = conn.execute(
        "UPDATE temp.jd_walk SET node = ?, matched_seq = hit, since = NULL, hit = NULL,"
        " due = (SELECT e.occurred_at FROM event e WHERE e.seq = hit) "
        f"WHERE node = ? AND state = '{IN_PROGRESS}' AND hit IS NOT NULL",
        (node.yes, node.id),
    ).rowcount
    conn.execute(
        "INSERT INTO wait_timeout (journey_id, external_id, entry_number, node, since,"
        " deadline) SELECT ?, ext, entry_number, node, since, due FROM temp.jd_walk"
        f" WHERE node = ? AND state = '{IN_PROGRESS}' AND since IS NOT NULL AND due <= ?"
        " ON CONFLICT DO NOTHING",
        (journey_id, node.id, now),
    )
    timed_out = conn.execute(
        "UPDATE temp.jd_walk SET node = ?, since = NULL "
        f"WHERE node = ? AND state = '{IN_PROGRESS}' AND since IS NOT NULL AND due <= ?",
        (node.no, node.id, now),
    ).rowcount
    add_counts(conn, [(journey_id, node.id, int(matched), int(timed_out), 0)])
    return int(arrived)


def add_counts(conn: sqlite3.Connection, rows: list[tuple[int, str, int, int, int]]) -> None:
    """Add to the per-node matched / timed out / late counters."""
    rows = [r for r in rows if any(r[2:])]
    if rows:
        conn.executemany(
            "INSERT INTO wait_event_count (journey_id, node, matched, timed_out, late)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (journey_id, node) DO UPDATE SET"
            " matched = matched + excluded.matched, timed_out = timed_out + excluded.timed_out,"
            " late = late + excluded.late",
            rows,
        )
