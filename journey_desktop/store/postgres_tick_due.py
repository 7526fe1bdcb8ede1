"""Whether a journey ticked whole on a team database has anything to do at ``now`` (SPEC §14).

A journey ticked whole (events, a goal or exit rules, shared caps or rate limits) is run on
a copy of every profile and event it may read (``postgres_tick``): costly, and wasted when
the engine would find nothing due. Before copying, one statement of index probes asks the
server what the engine would ask the copy, and the journey is left alone when every
answer is no:

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
from typing import TYPE_CHECKING

from journey_desktop.domain import engine
from journey_desktop.domain.filters import depends_on_day
from journey_desktop.domain.lifecycle import IN_PROGRESS
from journey_desktop.store.postgres import PostgresStore, portable_connection
from journey_desktop.store.sqlite_bulk import profiles_mark

if TYPE_CHECKING:
    from journey_desktop.store.evaluator import _Plan


# One round trip: the journey's due work, its watermark, and its goal mark with the two
# probes of the primary key that tell whether the mark saw the journey's newest run (its
# own newest, none newer: whatever the number of runs; ``+ 0`` keeps the journey's index
# out of the second, which walks only the runs of any journey written after the mark).
DUE_SQL = (
    "SELECT EXISTS (SELECT 1 FROM run WHERE journey_id = ? AND state = ? AND due_at <= ?),"
    " EXISTS (SELECT 1 FROM outbox WHERE status = 'held' AND journey_id = ?"
    "  AND send_at <= ?),"
    " EXISTS (SELECT 1 FROM member WHERE journey_id = ? AND next_check_at <= ?),"
    " EXISTS (SELECT 1 FROM event_queue WHERE journey_id = ? AND kind IN ('e', 'w', 'g')"
    "  AND occurred_at <= ?),"
    " (SELECT coalesce(max(seq), 0) FROM event),"
    " (SELECT seq FROM event_mark WHERE journey_id = ?),"
    " g.seq, g.run_id, g.profiles, g.fields_day,"
    " EXISTS (SELECT 1 FROM run r WHERE r.id = g.run_id AND r.journey_id = ?),"
    " (SELECT r.id FROM run r WHERE r.id > g.run_id AND r.journey_id + 0 = ?"
    "  ORDER BY r.id LIMIT 1)"
    " FROM (SELECT 1) AS one LEFT JOIN goal_mark g ON g.journey_id = ?"
)


def whole_tick_due(db: PostgresStore, plan: _Plan, now: int, tz: dt.tzinfo | None) -> bool:
    """False only when the engine, given the journey's rows at ``now``, would write nothing."""
    jid, now = plan.id, int(now)
    (runs_due, held_due, checks_due, queued_due, top_seq, event_mark,
     goal_seq, goal_run, goal_profiles, goal_day, own_run, newer_run) = db.execute_sql(
        DUE_SQL, (jid, IN_PROGRESS, now, jid, now, jid, now, jid, now, jid, jid, jid, jid)
    ).fetchone()
    started_by_events = plan.events is not None and plan.events.trigger is not None
    if runs_due or held_due or (checks_due and not started_by_events):
        return True
    if plan.events is None and plan.goals is None:
        return False
    if queued_due:
        return True
    if plan.events is not None and int(top_seq) > int(event_mark or 0):
        return True
    if plan.goals is None:
        return False
    # The goal part's own test for an idle tick (``evaluator_goals.apply``); the engine's
    # copy holds every event and the journey's runs only.
    if goal_seq is None or int(goal_seq) != int(top_seq):
        return True
    if newer_run is not None or (int(goal_run) and not own_run):
        return True
    rules = plan.goals.field_exits
    if not rules:
        return False
    if goal_profiles is None or profiles_mark(portable_connection(db)) != int(goal_profiles):
        return True
    today = engine.local_date(now, tz).toordinal()
    seen_day = None if goal_day is None else int(goal_day)
    return seen_day != today and any(depends_on_day(rule.fields) for rule in rules)
