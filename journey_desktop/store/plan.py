"""Plan against actual (SPEC §15): the forecast made when a journey was activated, kept per
local day, and held against what the journey did, with the first day they part and why."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from peewee import Database

from journey_desktop.domain import engine
from journey_desktop.domain.forecast import DEFAULT_DAYS
from journey_desktop.store.db import database
from journey_desktop.store.forecast import run_forecast
from journey_desktop.store.sqlite_sql import write_transaction
from journey_desktop.store.stats import daily_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptForecast:
    days: int
    seconds: float


def _db(db: Database | None) -> Database:
    return db if db is not None else database


def keep_activation_forecast(journey_id: int, *, days: int = DEFAULT_DAYS,
                             tz: dt.tzinfo | None = None,
                             cancelled: Callable[[], bool] | None = None) -> KeptForecast:
    """Forecast ``days`` days from the journey's activation and keep the figures, in place
    of any earlier activation's (run it right after activating: the forecast starts from
    the audience as it was then)."""
    row = database.execute_sql("SELECT activated_at FROM journey WHERE id = ?",
                               (journey_id,)).fetchone()
    if row is None or row[0] is None:
        raise ValueError(f"journey {journey_id} was never activated")
    started = time.perf_counter()
    with run_forecast(journey_id, days=days, start=int(row[0]), tz=tz,
                      cancelled=cancelled) as result:
        figures = [(journey_id, day.date.isoformat(), day.entered, day.message_total)
                   for day in result.days]
    made = int(time.time())
    with write_transaction(database):
        database.execute_sql("DELETE FROM forecast_day WHERE journey_id = ?", (journey_id,))
        for values in figures:
            database.execute_sql(
                "INSERT INTO forecast_day (journey_id, day, entered, messages, made_at)"
                " VALUES (?, ?, ?, ?, ?)", (*values, made))
    seconds = time.perf_counter() - started
    log.info("activation forecast of journey %s: %d days kept, %.2f s", journey_id,
             len(figures), seconds)
    return KeptForecast(len(figures), seconds)


@dataclass(frozen=True)
class PlanDay:
    day: dt.date
    forecast_entered: int
    entered: int
    forecast_messages: int
    messages: int

    @property
    def parts(self) -> bool:
        return (self.forecast_entered, self.forecast_messages) != (self.entered, self.messages)


@dataclass(frozen=True)
class PlanAgainstActual:
    days: list[PlanDay]  # the forecast's days up to today
    parted: dt.date | None  # the first day they differ
    reason: str  # why, where known ("" otherwise)

    @property
    def kept(self) -> bool:
        return bool(self.days)

    def summary(self) -> str:
        """One sentence for the window and the command line."""
        if not self.days:
            return "No forecast was kept for this journey (it is made when it is activated)."
        if self.parted is None:
            return f"The journey follows its forecast so far ({len(self.days)} days)."
        text = f"The journey parts from its forecast on {self.parted.isoformat()}"
        return f"{text}: {self.reason}." if self.reason else f"{text}."


def plan_against_actual(journey_id: int, *, now: int | None = None,
                        tz: dt.tzinfo | None = None,
                        db: Database | None = None) -> PlanAgainstActual:
    """The kept forecast's days up to today beside the actual entries and messages."""
    db = _db(db)
    today = engine.local_date(int(time.time()) if now is None else int(now), tz)
    kept = {dt.date.fromisoformat(day): (entered, messages) for day, entered, messages in
            db.execute_sql("SELECT day, entered, messages FROM forecast_day"
                           " WHERE journey_id = ? ORDER BY day", (journey_id,))
            if dt.date.fromisoformat(day) <= today}
    if not kept:
        return PlanAgainstActual([], None, "")
    actual = {count.day: (count.entered, sum(count.messages.values()))
              for count in daily_counts(journey_id, tz=tz, db=db)}
    days = [PlanDay(day, plan[0], actual.get(day, (0, 0))[0], plan[1],
                    actual.get(day, (0, 0))[1]) for day, plan in sorted(kept.items())]
    parted = next((day.day for day in days if day.parts), None)
    reason = _reason(journey_id, parted, tz, db) if parted is not None else ""
    return PlanAgainstActual(days, parted, reason)


def _reason(journey_id: int, parted: dt.date, tz: dt.tzinfo | None, db: Database) -> str:
    """Imports after activation up to the day they parted: the audience's, or events."""
    (activated,) = db.execute_sql("SELECT activated_at FROM journey WHERE id = ?",
                                  (journey_id,)).fetchone()
    if activated is None:
        return ""
    end = engine.local_timestamp(parted + dt.timedelta(days=1), 0, 0, tz)
    reasons = []
    first, count = db.execute_sql(
        "SELECT min(imported_at), count(*) FROM member WHERE journey_id = ?"
        " AND imported_at > ? AND imported_at < ?", (journey_id, activated, end)).fetchone()
    if count:
        who = "1 customer of its audience was" if count == 1 else \
            f"{count:,} customers of its audience were"
        reasons.append(f"{who} imported after activation "
                       f"(from {engine.local_date(first, tz).isoformat()})")
    first, count = db.execute_sql(
        "SELECT min(imported_at), count(*) FROM event WHERE imported_at > ?"
        " AND imported_at < ?", (activated, end)).fetchone()
    if count:
        what = "1 event was" if count == 1 else f"{count:,} events were"
        reasons.append(f"{what} imported after activation "
                       f"(from {engine.local_date(first, tz).isoformat()})")
    return "; ".join(reasons)
