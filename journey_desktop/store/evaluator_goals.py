"""The tick's part of SPEC §12: conversions, the goal that ends a run, exit rules, and the
branch each run takes at a split (a holdout branch ends the run without a message).

Everything is set-based, in the caller's transaction, and incremental like the events'
watermark (``evaluator_events``): ``goal_mark`` remembers the last event (``seq``) and the
last run (``run_id``) looked at. Each tick pairs the new events with every run of their
customers, and the new runs with the older events of theirs (on the (external_id, name,
occurred_at) index), so its cost follows what is new, never the size of the event table.
A pair is never missed: events up to the old mark met the old runs in an earlier tick.
The joins are ``CROSS JOIN`` and ``+column`` keeps an index out, so that SQLite keeps the
new rows as the outer loop: chosen the other way round, it walks every run each tick.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from journey_desktop.domain.goals import ExitRule, Goal
from journey_desktop.domain.journey import Filter, Journey, Node
from journey_desktop.domain.lifecycle import (
    COMPLETED,
    END_EXIT_RULE,
    END_GOAL,
    END_HOLDOUT,
    IN_PROGRESS,
    STOPPED,
)
from journey_desktop.store import sqlite_sql
from journey_desktop.store.sqlite_sql import EventData, SqlParts


@dataclass
class GoalRules:
    """What a journey does with goals and exit rules, compiled once per tick."""

    goal: Goal | None
    exits: list[ExitRule] = field(default_factory=list)

    @property
    def event_exits(self) -> list[ExitRule]:
        return [rule for rule in self.exits if not rule.on_fields and rule.event]

    @property
    def field_exits(self) -> list[ExitRule]:
        return [rule for rule in self.exits if rule.fields is not None]


@dataclass
class GoalTick:
    """What the goal part of one tick did."""

    conversions: int = 0
    ended_by_goal: int = 0
    ended_by_rule: int = 0


def rules_for(journey: Journey) -> GoalRules | None:
    """None when the journey has neither a goal nor an exit rule."""
    if journey.goal is None and not journey.exit_when:
        return None
    return GoalRules(goal=journey.goal if journey.goal and journey.goal.event else None,
                     exits=list(journey.exit_when))


def _property_filter(flt: Filter | None, alias: str) -> SqlParts:
    props = f"{alias}.properties"
    return sqlite_sql.filter_sql(
        flt, props, f"jd_local_day({alias}.occurred_at)",
        events=EventData(value_of=lambda name: sqlite_sql.property_value_sql(props, name)))


property_filter = _property_filter  # also the held messages' exit check (§13)


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_conv (run_id INTEGER PRIMARY KEY,"
                 " at INTEGER NOT NULL, seq INTEGER NOT NULL)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_ended (ext TEXT NOT NULL)")
    conn.execute("DELETE FROM temp.jd_conv")
    conn.execute("DELETE FROM temp.jd_ended")


def apply(conn: sqlite3.Connection, journey_id: int, rules: GoalRules, now: int) -> GoalTick:
    """Record the conversions the new events and runs make, end the runs that reached the
    goal (with ``exit_on_goal``) or meet an exit rule, and move the mark on (the caller's
    transaction). The customers whose run ended are left in ``temp.jd_ended``."""
    _prepare(conn)
    done = GoalTick()
    row = conn.execute("SELECT seq, run_id FROM goal_mark WHERE journey_id = ?",
                       (journey_id,)).fetchone()
    (top_seq,) = conn.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()
    (top_run,) = conn.execute("SELECT coalesce(max(id), 0) FROM run").fetchone()
    # First tick: every run so far meets every event so far, through the runs' side.
    old_seq, old_run = (int(row[0]), int(row[1])) if row else (int(top_seq), 0)
    span = (old_seq, old_run, int(top_seq), int(top_run))
    if rules.goal is not None:
        done.conversions = _convert(conn, journey_id, rules.goal, span)
        if rules.goal.exit_on_goal:
            done.ended_by_goal = _end(conn, "SELECT run_id FROM temp.jd_conv", (),
                                      COMPLETED, END_GOAL, now)
    exits = _exit_runs_sql(journey_id, rules, span)
    if exits is not None:
        done.ended_by_rule = _end(conn, exits[0], exits[1], STOPPED, END_EXIT_RULE, now)
    conn.execute(
        "INSERT INTO goal_mark (journey_id, seq, run_id) VALUES (?, ?, ?) ON CONFLICT"
        " (journey_id) DO UPDATE SET seq = excluded.seq, run_id = excluded.run_id",
        (journey_id, top_seq, top_run))
    return done


def _convert(conn: sqlite3.Connection, journey_id: int, goal: Goal,
             span: tuple[int, int, int, int]) -> int:
    """The new conversions into ``temp.jd_conv`` and ``conversion``: the earliest goal
    event of a run's window, the event that started the run excepted."""
    old_seq, old_run, top_seq, top_run = span
    match_sql, match_params = _property_filter(goal.filter, "e")
    window = ("e.occurred_at >= r.started_at AND e.occurred_at <= r.started_at + ?"
              " AND e.seq IS NOT r.event_seq")
    within = goal.within.seconds
    pairs = (
        # new events × every run of their customers
        "SELECT r.id AS run_id, e.occurred_at AS at, e.seq AS seq FROM event e"
        " CROSS JOIN run r ON r.journey_id = ? AND r.external_id = e.external_id AND r.id <= ?"
        f" WHERE e.seq > ? AND e.seq <= ? AND e.name = ? AND {window} AND {match_sql}"
        " UNION ALL "
        # new runs × the older events of their customers
        "SELECT r.id, e.occurred_at, e.seq FROM run r CROSS JOIN event e"
        " ON e.external_id = r.external_id AND e.name = ? AND e.seq <= ?"
        f" WHERE +r.journey_id = ? AND r.id > ? AND r.id <= ? AND {window} AND {match_sql}"
    )
    params = (journey_id, top_run, old_seq, top_seq, goal.event, within, *match_params,
              goal.event, old_seq, journey_id, old_run, top_run, within, *match_params)
    # The earliest per run (bare columns take the row of min()); a run converted already
    # keeps its conversion unless this event came earlier.
    conn.execute(
        "INSERT INTO temp.jd_conv (run_id, at, seq) SELECT run_id, min(at), seq"
        f" FROM ({pairs}) WHERE true GROUP BY run_id",
        params)
    conn.execute("DELETE FROM temp.jd_conv WHERE run_id IN (SELECT c.run_id FROM temp.jd_conv n"
                 " CROSS JOIN conversion c ON c.run_id = n.run_id WHERE c.converted_at <= n.at)")
    conn.execute(
        "UPDATE run_branch SET converted = 1 WHERE journey_id = ? AND (external_id,"
        " entry_number) IN (SELECT r.external_id, r.entry_number FROM temp.jd_conv c"
        " CROSS JOIN run r ON r.id = c.run_id)", (journey_id,))
    return int(conn.execute(
        "INSERT INTO conversion (run_id, journey_id, external_id, entry_number, started_at,"
        " converted_at, event_seq) SELECT n.run_id, ?, r.external_id, r.entry_number,"
        " r.started_at, n.at, n.seq FROM temp.jd_conv n CROSS JOIN run r ON r.id = n.run_id"
        " WHERE true ON CONFLICT (run_id) DO UPDATE SET converted_at = excluded.converted_at,"
        " event_seq = excluded.event_seq",
        (journey_id,)).rowcount)


def _exit_runs_sql(journey_id: int, rules: GoalRules,
                   span: tuple[int, int, int, int]) -> SqlParts | None:
    """The ids of the runs in progress that meet an exit rule, as one SELECT."""
    old_seq, old_run, top_seq, top_run = span
    parts: list[str] = []
    params: list[object] = []
    for rule in rules.event_exits:
        match_sql, match_params = _property_filter(rule.filter, "e")
        parts.append(
            "SELECT r.id FROM event e CROSS JOIN run r ON r.journey_id = ?"
            f" AND r.external_id = e.external_id AND +r.state = '{IN_PROGRESS}'"
            f" WHERE e.seq > ? AND e.seq <= ? AND e.name = ? AND e.occurred_at > r.started_at"
            f" AND {match_sql}")
        params += [journey_id, old_seq, top_seq, rule.event, *match_params]
        parts.append(
            "SELECT r.id FROM run r CROSS JOIN event e ON e.external_id = r.external_id"
            " AND e.name = ? AND e.seq <= ? AND e.occurred_at > r.started_at"
            f" WHERE +r.journey_id = ? AND r.id > ? AND r.id <= ? AND +r.state = '{IN_PROGRESS}'"
            f" AND {match_sql}")
        params += [rule.event, old_seq, journey_id, old_run, top_run, *match_params]
    for rule in rules.field_exits:
        match_sql, match_params = sqlite_sql.filter_sql(
            rule.fields, "p.fields", "jd_local_day(r.due_at)")
        parts.append(
            "SELECT r.id FROM run r JOIN profile p ON p.external_id = r.external_id"
            f" WHERE r.journey_id = ? AND r.state = '{IN_PROGRESS}' AND {match_sql}")
        params += [journey_id, *match_params]
    if not parts:
        return None
    return " UNION ".join(parts), params


def _end(conn: sqlite3.Connection, ids_sql: str, params: tuple[object, ...] | list[object],
         state: str, reason: str, now: int) -> int:
    """End the runs in progress among ``ids_sql`` at ``now``; their customers into
    ``temp.jd_ended`` (their next entry check is the caller's)."""
    conn.execute(
        "INSERT INTO temp.jd_ended (ext) SELECT external_id FROM run"
        f" WHERE id IN ({ids_sql}) AND state = '{IN_PROGRESS}'", tuple(params))
    return int(conn.execute(
        "UPDATE run SET state = ?, end_reason = ?, ended_at = ?, due_at = NULL"
        f" WHERE id IN ({ids_sql}) AND state = '{IN_PROGRESS}'",
        (state, reason, now, *params)).rowcount)


# --- splits: the branch taken, the holdout -----------------------------------------------


def split_call(journey_id: int, node: Node) -> SqlParts:
    """The branch index a run of ``temp.jd_walk`` takes at ``node`` (the evaluator's
    ``jd_split``, the twin of ``engine.split_branch``)."""
    percents = ",".join(str(int(b.percent)) for b in node.branches)
    return "jd_split(?, ext, entry_number, ?, ?)", [journey_id, node.id, percents]


def record_branches(conn: sqlite3.Connection, journey_id: int, node: Node, now: int) -> None:
    """The branch each run of the batch standing at the split takes, with its entry time
    (a new run has none yet: its entry event's time, else this tick's) and whether it
    converted already (a goal reached before the split)."""
    call, params = split_call(journey_id, node)
    conn.execute(
        "INSERT INTO run_branch (journey_id, node, branch, started_at, external_id,"
        f" entry_number, converted) SELECT ?, ?, {call},"
        " coalesce((SELECT r.started_at FROM run r WHERE r.id = run_id),"
        "  (SELECT e.occurred_at FROM event e WHERE e.seq = event_seq), ?), ext, entry_number,"
        " EXISTS (SELECT 1 FROM conversion c WHERE c.run_id = temp.jd_walk.run_id)"
        f" FROM temp.jd_walk WHERE node = ? AND state = '{IN_PROGRESS}' AND due <= ?"
        " ON CONFLICT DO NOTHING",
        (journey_id, node.id, *params, now, node.id, now))


def holdout_split_sql(journey_id: int, node: Node) -> SqlParts:
    """The step of a split with a holdout branch: its runs end there (no message, reason
    ``holdout``); the others go on to their branch's next node."""
    call, call_params = split_call(journey_id, node)
    holdouts = [i for i, b in enumerate(node.branches) if b.holdout]
    held = f"{call} IN ({', '.join(str(i) for i in holdouts)})"
    whens = " ".join(f"WHEN {i} THEN ?" for i, b in enumerate(node.branches) if not b.holdout)
    targets = [b.next for b in node.branches if not b.holdout]
    return (
        f"state = CASE WHEN {held} THEN ? ELSE state END,"
        f" reason = CASE WHEN {held} THEN ? ELSE reason END,"
        f" ended = CASE WHEN {held} THEN due ELSE ended END,"
        f" node = CASE {call} {whens} ELSE node END",
        [*call_params, COMPLETED, *call_params, END_HOLDOUT, *call_params,
         *call_params, *targets],
    )
