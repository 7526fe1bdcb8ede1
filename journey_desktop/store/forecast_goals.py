"""A forecast's goal figures (SPEC §8, §12): what the real evaluator did in the copy.

The copy holds, besides the runs in progress, the ended runs whose goal window is still
open at the start (``ended_since``): their conversions count too. Conversions are read
from the copy's ``conversion`` table, runs ended by the goal from its
``run`` table, and the runs each exit rule ended from what each tick reported
(``TickSummary.exit_rules``): the store keeps no per-rule column, and the tick is the one
that knows. The counting per day is ``domain/forecast_goals.py``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from peewee import Database

from journey_desktop.domain import engine
from journey_desktop.domain.filters import depends_on_day
from journey_desktop.domain.forecast import DayBounds, ForecastDay
from journey_desktop.domain.forecast_goals import add_goal_figures, goal_keys
from journey_desktop.domain.journey import Journey
from journey_desktop.domain.lifecycle import END_GOAL, IN_PROGRESS
from journey_desktop.store import evaluator_events, evaluator_goals
from journey_desktop.store.tick_summary import TickSummary


def ended_since(source: Path, journey_id: int, start: int) -> int | None:
    """From when ended runs belong in the forecast's copy: those whose goal window is still
    open at ``start`` can convert in it (conversions count after a run ended); None
    without a goal. Read on a read-only connection of its own, like the copy."""
    conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT definition FROM journey WHERE id = ?",
                           (journey_id,)).fetchone()
    finally:
        conn.close()
    return ended_since_of(row[0] if row is not None else None, start)


def ended_since_of(definition: str | None, start: int) -> int | None:
    """``ended_since`` for a journey's stored definition (None: no such journey)."""
    journey = Journey.from_json(definition) if definition is not None else None
    if journey is None or journey.goal is None or not journey.goal.event:
        return None
    return int(start) - journey.goal.within.seconds


class GoalDays:
    """Collects, tick by tick, the runs each exit rule ended; then fills the days."""

    def __init__(self, journey_id: int, journey: Journey,
                 tz: dt.tzinfo | None = None) -> None:
        self.journey_id = journey_id
        self.keys = goal_keys(journey)
        self._tz = tz
        self._rule_exits: Counter[tuple[int, int]] = Counter()
        fields = [rule.fields for rule in journey.exit_when if rule.fields is not None]
        self._on_fields = bool(fields)
        self._on_day = any(depends_on_day(flt) for flt in fields)
        self._copied: Counter[int] = Counter()
        self._on_events = evaluator_events.rules_for(journey, 0) is not None

    def take_events_file(self, db: Database) -> None:
        """After the events file went into the copy: a journey that neither starts on nor
        waits for an event never moves its events watermark, so the forecast would take
        the file's events for work still to do at every tick and skip no idle one. Its
        goal and exit rules follow their own mark and queue: move that watermark on."""
        if not self._on_events:
            db.execute_sql(
                "INSERT INTO event_mark (journey_id, seq) SELECT ?, coalesce(max(seq), 0)"
                " FROM event WHERE true ON CONFLICT (journey_id) DO UPDATE"
                " SET seq = excluded.seq", (self.journey_id,))

    def note_copied(self, db: Database) -> None:
        """Before the first tick: the runs the copy holds already ended (``ended_since``)."""
        self._copied = Counter({int(at): int(n) for at, n in db.execute_sql(
            "SELECT ended_at, count(*) FROM run WHERE journey_id = ? AND ended_at IS NOT NULL"
            " GROUP BY ended_at", (self.journey_id,))})

    def ended_in_forecast(self, rows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """(ended_at, count) rows less the runs copied already ended: those ended before
        the forecast, and only came for their conversions."""
        left = []
        for at, count in rows:
            count = int(count) - self._copied.get(int(at), 0)
            if count > 0:
                left.append((int(at), count))
        return left

    def next_due(self, db: Database, due: int | None) -> int | None:
        """The earliest of ``due`` and what the goal and exit rules have still to take: an
        event the goal's mark has not passed yet (the first tick's), or one queued for its
        time (``evaluator_goals.next_due_sql``); with exit rules on fields, the first tick
        (the copy has no mark: every run is looked at once) and, for a date counted from
        today, the start of the local day after the one they last looked on."""
        if not self.keys:
            return due
        candidates = [] if due is None else [due]
        for sql in (
            "SELECT min(occurred_at) FROM event WHERE seq > coalesce((SELECT seq FROM"
            " goal_mark WHERE journey_id = ?), 0) HAVING count(*) > 0",
            evaluator_goals.next_due_sql(),
        ):
            row = db.execute_sql(sql, (self.journey_id,)).fetchone()
            if row is not None:
                candidates.append(int(row[0]))
        if self._on_fields and self._in_progress(db):
            mark = db.execute_sql("SELECT fields_day FROM goal_mark WHERE journey_id = ?",
                                  (self.journey_id,)).fetchone()
            if mark is None:
                candidates.append(0)
            elif self._on_day and mark[0] is not None:
                next_day = dt.date.fromordinal(int(mark[0]) + 1)
                candidates.append(engine.local_timestamp(next_day, 0, 0, self._tz))
        return min(candidates) if candidates else None

    def _in_progress(self, db: Database) -> bool:
        return db.execute_sql(
            f"SELECT 1 FROM run WHERE journey_id = ? AND state = '{IN_PROGRESS}' LIMIT 1",
            (self.journey_id,)).fetchone() is not None

    def tick_next(self, summary: TickSummary) -> bool:
        """True when the next tick point must run even with nothing due, as the evaluator
        ticking every point would run it: the goal's part pairs the runs that entered in
        this tick with their customers' events, and the exit rules on fields look at them,
        only at the next one (an event-started run can meet a goal or exit event dated
        between its entry event and now). A run that moved keeps its answer to a rule on
        fields: its profile and the day decide (``next_due``), not its node."""
        if not self.keys:
            return False
        return bool(summary.entered)

    def tick(self, day: int, summary: TickSummary) -> None:
        """What one tick, on local day ``day`` of the window, said the exit rules did."""
        for (journey_id, rule), count in summary.exit_rules.items():
            if journey_id == self.journey_id:
                self._rule_exits[(day, rule)] += count

    def fill(self, db: Database, bounds: Sequence[DayBounds], days: Sequence[ForecastDay]
             ) -> None:
        """Each day's conversions and exits by goal and rule (nothing without either)."""
        if not self.keys or not bounds:
            return
        conversions = db.execute_sql(
            "SELECT converted_at, count(*) FROM conversion WHERE journey_id = ?"
            " AND converted_at >= ? GROUP BY converted_at",
            (self.journey_id, bounds[0].start)).fetchall()
        goal_exits = db.execute_sql(
            "SELECT ended_at, count(*) FROM run WHERE journey_id = ? AND end_reason = ?"
            " AND ended_at IS NOT NULL GROUP BY ended_at",
            (self.journey_id, END_GOAL)).fetchall()
        add_goal_figures(
            days, bounds, self.keys, conversions=conversions, goal_exits=goal_exits,
            rule_exits=[(day, rule, count) for (day, rule), count in self._rule_exits.items()])
