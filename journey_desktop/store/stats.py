"""A journey's statistics (SPEC §6): counts, per-node reach, per-day charts, traces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from peewee import Database

from journey_desktop.domain import engine
from journey_desktop.domain.forecast import (
    WAIT_MATCHED,
    WAIT_TIMED_OUT,
    WAIT_WAITING,
    TraceWait,
)
from journey_desktop.domain.journey import Journey
from journey_desktop.domain.lifecycle import COMPLETED, IN_PROGRESS
from journey_desktop.store import dialect
from journey_desktop.store.db import database
from journey_desktop.store.repository import count_audience

# A message that counts as sent (SPEC §13: suppressed ones are recorded, not written).
SENT = "status <> 'suppressed'"
# Held at some point: written to go out later than the tick that wrote it.
WAS_HELD = "send_at > created_at"


def policy_days(db: Database, journey_id: int, bounds: str = "",
                params: list[Any] | None = None) -> dict[str, list[tuple[int, int]]]:
    """(due instant, count) rows of the journey's held and suppressed messages, for the
    per-day figures of the statistics and the forecast."""
    return {
        name: [(int(ts), int(count)) for ts, count in db.execute_sql(
            f"SELECT due_at, count(*) FROM outbox WHERE journey_id = ?{bounds} AND {where}"
            " GROUP BY due_at", (journey_id, *(params or [])))]
        for name, where in (("held", f"{WAS_HELD} AND {SENT}"),
                            ("suppressed", f"NOT ({SENT})"))
    }


@dataclass
class JourneyStats:
    journey_id: int
    audience: int = 0
    entered: int = 0
    in_progress: int = 0
    completed: int = 0
    stopped: int = 0
    messages: dict[str, int] = field(default_factory=dict)
    # node -> customers who reached it, in flow order (entry first, then as the arrows lead)
    nodes: dict[str, int] = field(default_factory=dict)
    stopped_by_reason: dict[str, int] = field(default_factory=dict)
    customers_entered: int = 0  # distinct customers among ``entered`` runs
    never_entered: int = 0  # members checked at least once who never matched the entry
    waiting: dict[str, int] = field(default_factory=dict)  # node -> runs in progress standing
    # at it (the last node they reached: a wait, or the entry's first steps)
    # wait_event node -> (matched, timed_out, late) in flow order (SPEC §11)
    wait_events: dict[str, WaitEventCounts] = field(default_factory=dict)
    # node -> (earliest due time of the runs standing at it, how many are due then):
    # what is coming at each wait ("42 waiting until 09:00 today")
    next_due: dict[str, tuple[int, int]] = field(default_factory=dict)
    held: int = 0  # messages waiting for quiet hours or the rate limit to pass (SPEC §13)
    suppressed: dict[str, int] = field(default_factory=dict)  # reason -> messages not sent

    @property
    def message_total(self) -> int:
        return sum(self.messages.values())

    def to_json(self) -> dict[str, Any]:
        """The ``stats --json`` object of SPEC §7."""
        return {
            "audience": self.audience,
            "entered": self.entered,
            "in_progress": self.in_progress,
            "completed": self.completed,
            "stopped": self.stopped,
            "messages": dict(self.messages),
            "nodes": dict(self.nodes),
            "stopped_by_reason": dict(self.stopped_by_reason),
            "customers_entered": self.customers_entered,
            "never_entered": self.never_entered,
            "waiting": {node: self._waiting_json(node, count)
                        for node, count in self.waiting.items()},
            "wait_events": {node: {"matched": c.matched, "timed_out": c.timed_out,
                                   "late": c.late} for node, c in self.wait_events.items()},
            "held": self.held,
            "suppressed": dict(self.suppressed),
        }

    def _waiting_json(self, node: str, count: int) -> dict[str, Any]:
        """One node of ``waiting``: how many runs stand there and when the next fall due
        (ISO 8601 with the computer's offset), and how many then."""
        due, due_count = self.next_due.get(node, (None, 0))
        return {"count": count,
                "next_due": None if due is None else engine.local_datetime(due).isoformat(),
                "next_count": due_count}


@dataclass
class WaitEventCounts:
    """A wait for an event: runs that saw it, runs that timed out, events that came late
    (imported after the wait they belonged to had timed out)."""

    matched: int = 0
    timed_out: int = 0
    late: int = 0


@dataclass
class DayCount:
    """One local day of a journey's chart."""

    day: dt.date
    entered: int = 0
    messages: dict[str, int] = field(default_factory=dict)
    held: int = 0  # messages due that day that were held (SPEC §13)
    suppressed: int = 0  # messages due that day that were suppressed


@dataclass(frozen=True)
class TraceStep:
    entry_number: int
    node: str
    reached_at: int
    wait: TraceWait | None = None  # at a wait_event node: matched, timed out or waiting
    message: str = ""  # at a message node: what was written (title, else body), rendered


def _db(db: Database | None) -> Database:
    return db if db is not None else database


def journey_stats(journey_id: int, db: Database | None = None) -> JourneyStats:
    """Counts for one journey; ``nodes`` holds every node in flow order, with how many
    customers reached it, and ``waiting`` how many runs stand at each node now. Read in one
    snapshot: a tick committing meanwhile cannot make the figures disagree (the runs by
    state and the stopped ones by reason are two statements)."""
    db = _db(db)
    with dialect.browse_sql(db).one_snapshot(db):
        return _journey_stats(journey_id, db)


def _journey_stats(journey_id: int, db: Database) -> JourneyStats:
    stats = JourneyStats(journey_id=journey_id)
    row = db.execute_sql(
        "SELECT definition FROM journey WHERE id = ?", (journey_id,)
    ).fetchone()
    if row is not None:
        for node in engine.step_order(Journey.from_json(row[0])):
            stats.nodes[node.id] = 0
            if node.type == "wait_event":
                stats.wait_events[node.id] = WaitEventCounts()
    stats.audience = count_audience(db, journey_id)
    # Runs by state from the (journey, state, due) index alone; the reasons are read from
    # the stopped runs only (a million finished runs: 0.9 s grouped with their reasons
    # read row by row, against a scan of the index).
    ended: list[str] = []
    for state, count in db.execute_sql(
        "SELECT state, count(*) FROM run WHERE journey_id = ? GROUP BY state", (journey_id,),
    ):
        stats.entered += count
        if state == IN_PROGRESS:
            stats.in_progress += count
        elif state == COMPLETED:
            stats.completed += count
        else:
            stats.stopped += count
            ended.append(state)
    for state in ended:
        for reason, count in db.execute_sql(
            "SELECT end_reason, count(*) FROM run WHERE journey_id = ? AND state = ?"
            " GROUP BY end_reason", (journey_id, state),
        ):
            stats.stopped_by_reason[reason or state] = (
                stats.stopped_by_reason.get(reason or state, 0) + count
            )
    for channel, count in db.execute_sql(
        "SELECT channel, sum(written) FROM message_count WHERE journey_id = ?"
        " GROUP BY channel ORDER BY channel",
        (journey_id,),
    ):
        stats.messages[channel] = count
    stats.held = db.execute_sql(
        "SELECT count(*) FROM outbox WHERE status = 'held' AND journey_id = ?", (journey_id,)
    ).fetchone()[0]
    stats.suppressed = {str(reason): int(count) for reason, count in db.execute_sql(
        "SELECT reason, count(*) FROM outbox WHERE status = 'suppressed' AND journey_id = ?"
        " GROUP BY reason ORDER BY reason", (journey_id,))}
    for node, visits in db.execute_sql(
        "SELECT node, visits FROM node_visit WHERE journey_id = ?", (journey_id,)
    ):
        stats.nodes[node] = visits
    for node, matched, timed_out, late in db.execute_sql(
        "SELECT node, matched, timed_out, late FROM wait_event_count WHERE journey_id = ?",
        (journey_id,),
    ):
        stats.wait_events[node] = WaitEventCounts(matched, timed_out, late)
    # Per node where runs stand: how many, the earliest due time and how many then, in
    # one pass over the runs.
    for node, count, due, first in db.execute_sql(
        "SELECT node, sum(n), min(due), sum(CASE WHEN due = first_due THEN n ELSE 0 END)"
        " FROM (SELECT node, due, n, min(due) OVER (PARTITION BY node) AS first_due FROM ("
        f" SELECT {dialect.sql(db).run_path_last_node()} AS node, due_at AS due,"
        " count(*) AS n FROM run WHERE journey_id = ? AND state = ? GROUP BY 1, 2) AS g)"
        " AS w GROUP BY node",
        (journey_id, IN_PROGRESS),
    ):
        stats.waiting[node] = count
        if due is not None:
            stats.next_due[node] = (int(due), int(first))
    stats.customers_entered = db.execute_sql(
        "SELECT count(DISTINCT external_id) FROM run WHERE journey_id = ?", (journey_id,)
    ).fetchone()[0]
    stats.never_entered = db.execute_sql(
        "SELECT count(*) FROM member WHERE journey_id = ? AND entries = 0"
        " AND first_check_at IS NOT NULL", (journey_id,)
    ).fetchone()[0]
    if stats.customers_entered < stats.entered:
        # Some customers re-entered: the counters count runs, so count each customer once
        # from the runs' paths (only journeys with re-entry pay for this scan).
        for node_id in stats.nodes:
            stats.nodes[node_id] = db.execute_sql(
                "SELECT count(DISTINCT external_id) FROM run WHERE journey_id = ? AND "
                + dialect.sql(db).run_path_reaches(),
                (journey_id, node_id),
            ).fetchone()[0]
    return stats


def daily_counts(
    journey_id: int,
    *,
    tz: dt.tzinfo | None = None,
    start: int | None = None,
    end: int | None = None,
    db: Database | None = None,
) -> list[DayCount]:
    """Entries and messages per local day (for charts), days with nothing left out.

    Rows are grouped by their stored instant in SQL (a tick writes many rows at one
    instant), then by local day here, so the zone rule is the domain's, not the database's.
    """
    db = _db(db)
    days: dict[dt.date, DayCount] = {}
    bounds = ""
    params: list[Any] = [journey_id]
    if start is not None:
        bounds += " AND {col} >= ?"
        params.append(start)
    if end is not None:
        bounds += " AND {col} < ?"
        params.append(end)

    def day(ts: int) -> DayCount:
        date = engine.local_date(ts, tz)
        if date not in days:
            days[date] = DayCount(day=date)
        return days[date]

    for ts, count in db.execute_sql(
        "SELECT started_at, count(*) FROM run WHERE journey_id = ?"
        + bounds.format(col="started_at") + " GROUP BY started_at",
        params,
    ):
        day(ts).entered += count
    for ts, channel, count in db.execute_sql(
        "SELECT due_at, channel, count(*) FROM outbox WHERE journey_id = ?"
        + bounds.format(col="due_at") + f" AND {SENT} GROUP BY due_at, channel",
        params,
    ):
        entry = day(ts)
        entry.messages[channel] = entry.messages.get(channel, 0) + count
    for name, rows in policy_days(db, journey_id, bounds.format(col="due_at"),
                                  params[1:]).items():
        for ts, count in rows:
            entry = day(ts)
            setattr(entry, name, getattr(entry, name) + count)
    return [days[d] for d in sorted(days)]


def customer_trace(journey_id: int, external_id: str,
                   db: Database | None = None) -> list[TraceStep]:
    """Every node one customer reached, run by run, in order: "why did X get three pushes?";
    at a ``wait_event``, what the wait did (SPEC §11); at a message, what it said."""
    db = _db(db)
    row = db.execute_sql("SELECT definition FROM journey WHERE id = ?",
                         (journey_id,)).fetchone()
    waits = {} if row is None else {
        node.id: node.event or "" for node in Journey.from_json(row[0]).nodes
        if node.type == "wait_event"}
    # The timeouts fired (a match leaves none): its run's next step is the match.
    timed_out = {(int(entry), str(node)): int(deadline) for entry, node, deadline in (
        db.execute_sql(
            "SELECT entry_number, node, deadline FROM wait_timeout"
            " WHERE journey_id = ? AND external_id = ?", (journey_id, external_id))
        if waits else ())}
    # What each message step wrote, as rendered (built-in placeholders and defaults too).
    written = {(int(entry), str(node)): str(title or body or "") for entry, node, title, body in
               db.execute_sql("SELECT entry_number, node, title, body FROM outbox"
                              " WHERE journey_id = ? AND external_id = ?",
                              (journey_id, external_id))}
    steps: list[TraceStep] = []
    for entry_number, path, state, at_node, due_at, since in db.execute_sql(
        "SELECT entry_number, path, state, node, due_at, wait_since FROM run"
        " WHERE journey_id = ? AND external_id = ? ORDER BY entry_number",
        (journey_id, external_id),
    ):
        reached = []
        for item in (path or "").splitlines():
            if item:
                node, _, at = item.rpartition("@")
                reached.append((node, int(at)))
        entry = int(entry_number)
        for i, (node, at) in enumerate(reached):
            wait: TraceWait | None = None
            if node in waits:
                if (entry, node) in timed_out:
                    wait = TraceWait(WAIT_TIMED_OUT, waits[node], timed_out[entry, node])
                elif i + 1 < len(reached):  # the match's step is due at the event's time
                    wait = TraceWait(WAIT_MATCHED, waits[node], reached[i + 1][1])
                elif state == IN_PROGRESS and at_node == node and since is not None:
                    wait = TraceWait(WAIT_WAITING, waits[node], int(due_at))
            steps.append(TraceStep(entry, node, at, wait, written.get((entry, node), "")))
    return steps
