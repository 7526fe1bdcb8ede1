"""Whether a journey ticked whole on a team database has anything to do at ``now`` (SPEC §14).

A journey ticked whole (events, a goal or exit rules, shared caps or rate limits) is run on
a copy of every profile and event it may read (``postgres_tick``): costly, and wasted when
the engine would find nothing due. Before copying, these few indexed reads ask the server
what the engine would ask the copy, and the journey is left alone when every answer is no:

- due entry checks (``member.next_check_at``; not for a journey started by events), due
  runs (``run.due_at``) and held messages whose time came (``outbox.send_at``);
- events imported past the journey's watermark (``event_mark``, ``evaluator_events``) and
  queued events (entry, wait, goal or exit) whose time came (``event_queue``);
- for a goal or exit rules, what ``evaluator_goals.apply`` reads before it stops on an
  idle tick: the goal mark against the newest event and the journey's newest run, the last
  import that wrote profiles, and the local day for a rule counted from today.

Every test leans towards work: a yes only means the copy is made and the engine decides,
as before; a no is given only where the engine would find nothing to do either.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from journey_desktop.domain import engine
from journey_desktop.domain.filters import depends_on_day
from journey_desktop.domain.lifecycle import IN_PROGRESS
from journey_desktop.store.postgres import PostgresStore, portable_connection
from journey_desktop.store.sqlite_bulk import profiles_mark

if TYPE_CHECKING:
    from journey_desktop.store.evaluator import _Plan


def _one(db: PostgresStore, sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = db.execute_sql(sql, params).fetchone()
    return None if row is None else row[0]


def whole_tick_due(db: PostgresStore, plan: _Plan, now: int, tz: dt.tzinfo | None) -> bool:
    """False only when the engine, given the journey's rows at ``now``, would write nothing."""
    jid, now = plan.id, int(now)
    started_by_events = plan.events is not None and plan.events.trigger is not None
    checks = [
        ("SELECT EXISTS (SELECT 1 FROM run WHERE journey_id = ? AND state = ?"
         " AND due_at <= ?)", (jid, IN_PROGRESS, now)),
        ("SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'held' AND journey_id = ?"
         " AND send_at <= ?)", (jid, now)),
    ]
    if not started_by_events:
        checks.append(("SELECT EXISTS (SELECT 1 FROM member WHERE journey_id = ?"
                       " AND next_check_at <= ?)", (jid, now)))
    if plan.events is not None or plan.goals is not None:
        checks.append(("SELECT EXISTS (SELECT 1 FROM event_queue WHERE journey_id = ?"
                       " AND kind IN ('e', 'w', 'g') AND occurred_at <= ?)", (jid, now)))
    if any(_one(db, sql, params) for sql, params in checks):
        return True
    if plan.events is None and plan.goals is None:
        return False
    top_seq = int(_one(db, "SELECT coalesce(max(seq), 0) FROM event"))
    if plan.events is not None:
        mark = _one(db, "SELECT seq FROM event_mark WHERE journey_id = ?", (jid,))
        if top_seq > int(mark or 0):
            return True
    return plan.goals is not None and _goals_due(db, plan, now, tz, top_seq)


def _goals_due(db: PostgresStore, plan: _Plan, now: int, tz: dt.tzinfo | None,
               top_seq: int) -> bool:
    """The goal part's own test for an idle tick (``evaluator_goals.apply``), read from the
    server; the engine's copy holds every event and the journey's runs only."""
    assert plan.goals is not None
    jid = plan.id
    mark = db.execute_sql("SELECT seq, run_id, profiles, fields_day FROM goal_mark"
                          " WHERE journey_id = ?", (jid,)).fetchone()
    if mark is None or int(mark[0]) != top_seq:
        return True
    # The journey's newest run is the mark's: none newer, and the mark's one is its own
    # (two probes of the primary key, whatever the number of runs).
    seen_run = int(mark[1])
    if _one(db, "SELECT EXISTS (SELECT 1 FROM run WHERE id > ? AND journey_id = ?)",
            (seen_run, jid)):
        return True
    if seen_run and not _one(db, "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?"
                             " AND journey_id = ?)", (seen_run, jid)):
        return True
    rules = plan.goals.field_exits
    if not rules:
        return False
    if mark[2] is None:
        return True
    if profiles_mark(portable_connection(db)) != int(mark[2]):
        return True
    seen_day = None if mark[3] is None else int(mark[3])
    today = engine.local_date(now, tz).toordinal()
    return seen_day != today and any(depends_on_day(rule.fields) for rule in rules)
