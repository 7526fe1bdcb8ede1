"""The tick's part of SPEC §12: conversions, the goal that ends a run, exit rules, and the
branch each run takes at a split (a holdout branch ends the run without a message).

Everything is set-based, in the caller's transaction, and incremental like the events'
watermark (``evaluator_events``): ``goal_mark`` remembers the last event (``seq``) and the
last run (``run_id``) looked at. Each tick pairs the new events with every run of their
customers, and the new runs with the older events of theirs (on the (external_id, name,
occurred_at) index), so its cost follows what is new, never the size of the event table.
A pair is never missed: events up to the old mark met the old runs in an earlier tick.

Exit rules on fields follow what changed too (``_FieldScope``): a run is looked at when it
is new, when an import wrote its customer's profile since the last look (profiles change
through imports only, each noting its number: ``sqlite_bulk.profiles_written``), and every
run once per local day when a rule has a date operator counted from today (``today`` is
the tick's local day, as for entry filters). A run looked at and left in progress keeps
the same answer until one of those changes, so the runs ended are those of a full pass.

An event dated after the tick's ``now`` (a file "from the future") is not taken by the pairs
of that tick: it waits in ``event_queue`` (kind ``g``, at its timestamp) and is taken, with
every run of its customer, by the first tick at or after its time. A tick with no new event,
no new run, no queued event due, no profile written and, for a rule on fields with a date
counted from today, no new local day, reads four rows and ends, writing nothing.
The joins are ``CROSS JOIN`` and ``+column`` keeps an index out, so that SQLite keeps the
new rows as the outer loop: chosen the other way round, it walks every run each tick.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from journey_desktop.domain.filters import depends_on_day
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
from journey_desktop.store import sqlite_bulk, sqlite_sql
from journey_desktop.store.sqlite_sql import EventData, SqlParts

GOAL_KIND = "g"  # event_queue: a goal or exit event dated after the tick that saw it


@dataclass
class GoalRules:
    """What a journey does with goals and exit rules, compiled once per tick."""

    goal: Goal | None
    exits: list[ExitRule] = field(default_factory=list)
    entry_event: str = ""  # the event the journey starts on, if it does (SPEC §11)

    @property
    def event_names(self) -> list[str]:
        """The event names the goal and the exit rules take."""
        names = {rule.event for rule in self.event_exits if rule.event}
        if self.goal is not None:
            names.add(self.goal.event)
        return sorted(names)

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
    by_rule: dict[int, int] = field(default_factory=dict)  # exit rule index -> runs it ended


@dataclass(frozen=True)
class _Span:
    """What this tick looks at: events past ``old_seq`` up to ``top_seq`` dated up to
    ``now``, runs past ``old_run`` up to ``top_run``, and the queued events due at ``now``."""

    old_seq: int
    old_run: int
    top_seq: int
    top_run: int
    now: int


@dataclass(frozen=True)
class _FieldScope:
    """Which runs in progress the exit rules on fields look at in this tick: the new ones
    (``_Span``), those whose profile an import wrote after ``seen_profiles``, and all of
    them when the mark has never looked (None) or, for a rule whose answer the day alone
    can change, when ``today`` is not the day it last looked."""

    today: int  # the tick's local day, as an ordinal
    profiles: int  # the last import that wrote profiles (``sqlite_bulk.profiles_mark``)
    seen_profiles: int | None
    seen_day: int | None

    def every_run(self, rule: ExitRule) -> bool:
        return self.seen_profiles is None or (
            self.seen_day != self.today and depends_on_day(rule.fields))

    @property
    def profiles_written(self) -> bool:
        return self.seen_profiles is None or self.profiles != self.seen_profiles

    def idle(self, rules: GoalRules) -> bool:
        """Nothing a new run aside can change what these rules say."""
        return not self.profiles_written and not any(
            self.every_run(rule) for rule in rules.field_exits)


def _field_scope(conn: sqlite3.Connection, rules: GoalRules, mark: Any,
                 now: int) -> _FieldScope | None:
    """None without a rule on fields. ``mark`` is the goal mark's row (seq, run_id,
    profiles, fields_day) or None; the local day is the connection's (``jd_local_day``)."""
    if not rules.field_exits:
        return None
    (today,) = conn.execute("SELECT jd_local_day(?)", (now,)).fetchone()
    seen_profiles = seen_day = None
    if mark is not None and mark[2] is not None:
        seen_profiles = int(mark[2])
        seen_day = None if mark[3] is None else int(mark[3])
    return _FieldScope(int(today), sqlite_bulk.profiles_mark(conn), seen_profiles, seen_day)


def rules_for(journey: Journey) -> GoalRules | None:
    """None when the journey has neither a goal nor an exit rule."""
    if journey.goal is None and not journey.exit_when:
        return None
    trigger = journey.trigger()
    return GoalRules(goal=journey.goal if journey.goal and journey.goal.event else None,
                     exits=list(journey.exit_when),
                     entry_event=trigger.name if trigger is not None else "")


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
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_end (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.jd_ended")


def apply(conn: sqlite3.Connection, journey_id: int, rules: GoalRules, now: int) -> GoalTick:
    """Record the conversions the new events and runs make, end the runs that reached the
    goal (with ``exit_on_goal``) or meet an exit rule, and move the mark on (the caller's
    transaction). The customers whose run ended are left in ``temp.jd_ended``."""
    done = GoalTick()
    row = conn.execute("SELECT seq, run_id, profiles, fields_day FROM goal_mark"
                       " WHERE journey_id = ?", (journey_id,)).fetchone()
    (top_seq,) = conn.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()
    (top_run,) = conn.execute("SELECT coalesce(max(id), 0) FROM run").fetchone()
    # First tick: every run so far meets every event so far, through the runs' side.
    old_seq, old_run = (int(row[0]), int(row[1])) if row else (int(top_seq), 0)
    span = _Span(old_seq, old_run, int(top_seq), int(top_run), int(now))
    fields = _field_scope(conn, rules, row, now)
    if (row is not None and (old_seq, old_run) == (top_seq, top_run)
            and (fields is None or fields.idle(rules))
            and not _queued_due(conn, journey_id, now)):
        return done  # nothing new, nothing due: the tick follows the new work only
    _prepare(conn)
    if rules.goal is not None:
        done.conversions = _convert(conn, journey_id, rules.goal, span,
                                    same_as_entry=rules.entry_event == rules.goal.event)
        if rules.goal.exit_on_goal:
            done.ended_by_goal = _end(conn, "SELECT run_id FROM temp.jd_conv", (),
                                      COMPLETED, END_GOAL, now)
        conn.execute("DELETE FROM temp.jd_conv")
    # Rule by rule, in the journey's order: a run that meets two is ended by the first.
    for index, rule in enumerate(rules.exits):
        ids = (_field_exit_sql(journey_id, rule, span, fields) if fields is not None
               and rule.fields is not None else _exit_runs_sql(journey_id, rule, span))
        if ids is None:
            continue
        ended = _end(conn, ids[0], ids[1], STOPPED, END_EXIT_RULE, now)
        if ended:
            done.by_rule[index] = ended
            done.ended_by_rule += ended
    _queue_future(conn, journey_id, rules.event_names, span)
    conn.execute(f"DELETE FROM event_queue WHERE journey_id = ? AND kind = '{GOAL_KIND}'"
                 " AND occurred_at <= ?", (journey_id, now))
    conn.execute(
        "INSERT INTO goal_mark (journey_id, seq, run_id, profiles, fields_day)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (journey_id) DO UPDATE SET seq = excluded.seq,"
        " run_id = excluded.run_id, profiles = excluded.profiles,"
        " fields_day = excluded.fields_day",
        (journey_id, top_seq, top_run, None if fields is None else fields.profiles,
         None if fields is None else fields.today))
    return done


def _queued_due(conn: sqlite3.Connection, journey_id: int, now: int) -> bool:
    """True when an event queued for its time is due at ``now`` (one index seek)."""
    return conn.execute(
        f"SELECT 1 FROM event_queue WHERE journey_id = ? AND kind = '{GOAL_KIND}'"
        " AND occurred_at <= ? LIMIT 1", (journey_id, now)).fetchone() is not None


def next_due_sql() -> str:
    """When the earliest queued goal or exit event of a journey falls due (one parameter,
    the journey id): what a forecast skipping idle ticks must not jump over."""
    return (f"SELECT occurred_at FROM event_queue WHERE journey_id = ? AND kind = '{GOAL_KIND}'"
            " ORDER BY occurred_at LIMIT 1")


def _queue_future(conn: sqlite3.Connection, journey_id: int, names: list[str],
                  span: _Span) -> None:
    """Queue the events of ``names`` dated after ``now`` that this tick saw (new ones, and
    the older ones of the new runs' customers) for the first tick at or after their time."""
    if not names:
        return
    named, named_params = sqlite_sql.events_named("e", names)
    columns = f"SELECT ?, '{GOAL_KIND}', e.seq, e.external_id, e.name, e.occurred_at"
    conn.execute(
        "INSERT INTO event_queue (journey_id, kind, seq, external_id, name, occurred_at)"
        f" {columns} FROM event e WHERE e.seq > ? AND e.seq <= ? AND e.occurred_at > ?"
        f" AND {named} ON CONFLICT DO NOTHING",
        (journey_id, span.old_seq, span.top_seq, span.now, *named_params))
    if span.top_run > span.old_run:
        conn.execute(
            "INSERT INTO event_queue (journey_id, kind, seq, external_id, name, occurred_at)"
            f" {columns} FROM run r CROSS JOIN event e ON e.external_id = r.external_id"
            f" AND {named} AND e.occurred_at > ? AND e.seq <= ?"
            " WHERE +r.journey_id = ? AND r.id > ? AND r.id <= ? ON CONFLICT DO NOTHING",
            (journey_id, *named_params, span.now, span.old_seq, journey_id, span.old_run,
             span.top_run))


def _taken_events(run_join: str, join_params: list[object], name: str, span: _Span,
                  journey_id: int) -> list[SqlParts]:
    """The events of ``name`` this tick takes, each joined to the runs of its customer by
    ``run_join`` (on ``r``): the new ones dated up to ``now``, then the queued ones now
    due. Two ``FROM … WHERE …`` heads with their parameters, for more ``AND`` terms."""
    named, named_params = sqlite_sql.event_named("e", name)
    return [
        (f"FROM event e CROSS JOIN run r ON {run_join}"
         f" WHERE e.seq > ? AND e.seq <= ? AND e.occurred_at <= ? AND {named}",
         [*join_params, span.old_seq, span.top_seq, span.now, *named_params]),
        ("FROM event_queue q CROSS JOIN event e ON e.seq = q.seq CROSS JOIN run r"
         f" ON {run_join} WHERE q.journey_id = ? AND q.kind = '{GOAL_KIND}'"
         f" AND q.occurred_at <= ? AND {named}",
         [*join_params, journey_id, span.now, *named_params]),
    ]


def _convert(conn: sqlite3.Connection, journey_id: int, goal: Goal, span: _Span, *,
             same_as_entry: bool) -> int:
    """The new conversions into ``temp.jd_conv`` and ``conversion``: the earliest goal
    event of a run's window, the event that started the run excepted when the goal is the
    entry's event (``same_as_entry``). Only then: one delivery event may stand for two
    statuses (a click is also the open a run started on), and as the goal it counts."""
    match_sql, match_params = _property_filter(goal.filter, "e")
    named, named_params = sqlite_sql.event_named("e", goal.event)
    window = "e.occurred_at >= r.started_at AND e.occurred_at <= r.started_at + ?"
    if same_as_entry:
        window += " AND e.seq IS NOT r.event_seq"
    within = goal.within.seconds
    parts: list[str] = []
    params: list[object] = []
    # the events taken now × every run of their customers
    for head, head_params in _taken_events(
            "r.journey_id = ? AND r.external_id = e.external_id AND r.id <= ?",
            [journey_id, span.top_run], goal.event, span, journey_id):
        parts.append(f"SELECT r.id AS run_id, e.occurred_at AS at, e.seq AS seq {head}"
                     f" AND {window} AND {match_sql}")
        params += [*head_params, within, *match_params]
    # new runs × the older events of their customers, dated up to now
    parts.append(
        "SELECT r.id, e.occurred_at, e.seq FROM run r CROSS JOIN event e"
        f" ON e.external_id = r.external_id AND {named} AND e.seq <= ?"
        f" WHERE +r.journey_id = ? AND r.id > ? AND r.id <= ? AND e.occurred_at <= ?"
        f" AND {window} AND {match_sql}")
    params += [*named_params, span.old_seq, journey_id, span.old_run, span.top_run, span.now,
               within, *match_params]
    pairs = " UNION ALL ".join(parts)
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


def _field_exit_sql(journey_id: int, rule: ExitRule, span: _Span,
                    scope: _FieldScope) -> SqlParts:
    """The ids of the runs in progress whose customer's fields meet one exit rule on the
    tick's local day, among those ``scope`` says may have changed, as one SELECT."""
    match_sql, match_params = sqlite_sql.filter_sql(
        rule.fields, "p.fields", str(scope.today), scope.today)
    if scope.every_run(rule):
        return ("SELECT r.id FROM run r JOIN profile p ON p.external_id = r.external_id"
                f" WHERE r.journey_id = ? AND r.state = '{IN_PROGRESS}' AND {match_sql}",
                [journey_id, *match_params])
    parts = ["SELECT r.id FROM run r CROSS JOIN profile p ON p.external_id = r.external_id"
             f" WHERE r.id > ? AND r.id <= ? AND +r.journey_id = ?"
             f" AND r.state = '{IN_PROGRESS}' AND {match_sql}"]
    params: list[object] = [span.old_run, span.top_run, journey_id, *match_params]
    if scope.profiles_written:
        # One pass over the profiles' import numbers; the runs of those written since.
        parts.append(
            "SELECT r.id FROM profile p CROSS JOIN run r ON r.journey_id = ?"
            f" AND r.external_id = p.external_id AND +r.state = '{IN_PROGRESS}'"
            f" WHERE p.import_id > ? AND {match_sql}")
        params += [journey_id, scope.seen_profiles, *match_params]
    return " UNION ".join(parts), params


def _exit_runs_sql(journey_id: int, rule: ExitRule, span: _Span) -> SqlParts | None:
    """The ids of the runs in progress that meet one exit rule on events, as one SELECT."""
    if not rule.event:
        return None
    match_sql, match_params = _property_filter(rule.filter, "e")
    named, named_params = sqlite_sql.event_named("e", rule.event)
    parts: list[str] = []
    params: list[object] = []
    for head, head_params in _taken_events(
            f"r.journey_id = ? AND r.external_id = e.external_id AND +r.state = '{IN_PROGRESS}'",
            [journey_id], rule.event, span, journey_id):
        parts.append(f"SELECT r.id {head} AND e.occurred_at > r.started_at AND {match_sql}")
        params += [*head_params, *match_params]
    parts.append(
        "SELECT r.id FROM run r CROSS JOIN event e ON e.external_id = r.external_id"
        f" AND {named} AND e.seq <= ? AND e.occurred_at > r.started_at"
        f" WHERE +r.journey_id = ? AND r.id > ? AND r.id <= ? AND +r.state = '{IN_PROGRESS}'"
        f" AND e.occurred_at <= ? AND {match_sql}")
    params += [*named_params, span.old_seq, journey_id, span.old_run, span.top_run, span.now,
               *match_params]
    return " UNION ".join(parts), params


def _end(conn: sqlite3.Connection, ids_sql: str, params: tuple[object, ...] | list[object],
         state: str, reason: str, now: int) -> int:
    """End the runs in progress among ``ids_sql`` at ``now``; their customers into
    ``temp.jd_ended`` (their next entry check is the caller's). The ids are found once,
    before any run of them ends."""
    conn.execute(f"INSERT OR IGNORE INTO temp.jd_end (id) {ids_sql}", tuple(params))
    conn.execute(
        "INSERT INTO temp.jd_ended (ext) SELECT r.external_id FROM temp.jd_end e"
        f" CROSS JOIN run r ON r.id = e.id WHERE r.state = '{IN_PROGRESS}'")
    ended = int(conn.execute(
        "UPDATE run SET state = ?, end_reason = ?, ended_at = ?, due_at = NULL"
        f" WHERE id IN (SELECT id FROM temp.jd_end) AND state = '{IN_PROGRESS}'",
        (state, reason, now)).rowcount)
    conn.execute("DELETE FROM temp.jd_end")
    return ended


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
