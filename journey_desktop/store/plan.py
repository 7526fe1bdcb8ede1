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
from journey_desktop.domain.values import count_text
from journey_desktop.store import plan_notes
from journey_desktop.store.db import database
from journey_desktop.store.forecast import run_forecast
from journey_desktop.store.sqlite_sql import write_transaction
from journey_desktop.store.stats import SENT, WAS_HELD, daily_counts

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
            days = count_text(len(self.days), "day", "days")
            return f"The journey follows its forecast so far ({days})."
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
    """What changed after activation up to the day they parted: the audience (customers
    imported, removed by a replacing import, profiles updated), events imported, the
    messaging policy."""
    (activated,) = db.execute_sql("SELECT activated_at FROM journey WHERE id = ?",
                                  (journey_id,)).fetchone()
    if activated is None:
        return ""
    end = engine.local_timestamp(parted + dt.timedelta(days=1), 0, 0, tz)

    def since(first: int) -> str:
        return f"(from {engine.local_date(first, tz).isoformat()})"

    reasons = []
    first, count = db.execute_sql(
        "SELECT min(imported_at), count(*) FROM member WHERE journey_id = ?"
        " AND imported_at > ? AND imported_at < ?", (journey_id, activated, end)).fetchone()
    if count:
        who = "1 customer of its audience was" if count == 1 else \
            f"{count:,} customers of its audience were"
        reasons.append(f"{who} imported after activation {since(first)}")
    removed = [(at, n) for at, n in plan_notes.removals(db, journey_id) if activated < at < end]
    if removed:
        who = count_text(sum(n for _, n in removed), "customer was", "customers were")
        reasons.append(f"{who} removed from its audience by a replacing import after "
                       f"activation {since(removed[0][0])}")
    # Profiles written by another import than the one that last named the member: a
    # customers import (or another journey's audience import) after activation.
    first, count = db.execute_sql(
        "SELECT min(p.updated_at), count(*) FROM member m JOIN profile p"
        " ON p.external_id = m.external_id WHERE m.journey_id = ? AND m.imported_at <= ?"
        " AND p.updated_at > ? AND p.updated_at < ?",
        (journey_id, activated, activated, end)).fetchone()
    if count:
        who = count_text(count, "customer of its audience", "customers of its audience")
        reasons.append(f"{who} had {'its' if count == 1 else 'their'} profile updated by an "
                       f"import after activation {since(first)}")
    first, count = db.execute_sql(
        "SELECT min(imported_at), count(*) FROM event WHERE imported_at > ?"
        " AND imported_at < ?", (activated, end)).fetchone()
    if count:
        what = "1 event was" if count == 1 else f"{count:,} events were"
        reasons.append(f"{what} imported after activation {since(first)}")
    changes = [at for at in plan_notes.policy_changes(db) if activated < at < end]
    if changes:
        when = f"(on {engine.local_date(changes[0], tz).isoformat()})"
        reasons.append(_policy_reason(journey_id, changes[0], end, when, db))
    return "; ".join(reasons)


def _policy_reason(journey_id: int, changed: int, end: int, when: str, db: Database) -> str:
    """The policy's change after activation, with the messages it kept back since."""
    suppressed, held = db.execute_sql(
        f"SELECT coalesce(sum(CASE WHEN NOT ({SENT}) THEN 1 ELSE 0 END), 0),"
        f" coalesce(sum(CASE WHEN {SENT} AND {WAS_HELD} THEN 1 ELSE 0 END), 0)"
        " FROM outbox WHERE journey_id = ? AND created_at >= ? AND created_at < ?",
        (journey_id, changed, end)).fetchone()
    kept_back = [f"{count_text(int(number), 'message was', 'messages were')} {what}"
                 for number, what in ((suppressed, "suppressed"), (held, "held")) if number]
    text = f"the messaging policy was changed after activation {when}"
    return f"{text}: since then {' and '.join(kept_back)}" if kept_back else text
