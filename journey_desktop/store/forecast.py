"""The forecast (SPEC §8): the real evaluator, on a copy of one journey, on a virtual clock.

``run_forecast`` copies the journey, its audience and its runs in progress into a fresh
SQLite file in a temporary folder (``forecast_copy``), makes a draft active there with the
activation options given, and ticks the same ``Evaluator`` the scheduler uses at
``start, start + interval, …`` until the end of the last local day. The real database is
only read, through a read-only attachment, once.

Idle ticks are skipped: before each tick the clock jumps to the first tick point at or
after the earliest due time (``customer.next_check_at``, ``run.due_at``). A tick with
nothing due writes nothing, so the results are the same as ticking every point; the test
that compares the forecast with the evaluator ticking every point checks it.

With ``collisions=N`` every active journey is copied too and ticked with the one forecast
(as the evaluator ticks them all), and ``store/forecast_collisions.py`` lists who would get
more than N messages on one local day; the one journey's figures stay its own.

The pure counting (days, totals, peak, deep checks) is ``domain/forecast.py``; this module
only runs the engine and reads back what it wrote.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peewee import Database, SqliteDatabase

from journey_desktop.domain import forecast as rules
from journey_desktop.domain import late_sends
from journey_desktop.domain.collisions import CollisionReport, check_limit
from journey_desktop.domain.forecast import (
    BusyCustomer,
    ForecastDay,
    ForecastTotals,
)
from journey_desktop.domain.journey import AUDIENCE_ALL, Activation, Journey
from journey_desktop.domain.lifecycle import ACTIVE, DEACTIVATED, DRAFT, IN_PROGRESS
from journey_desktop.domain.validation import validate
from journey_desktop.store import (
    forecast_collisions,
    forecast_copy,
    forecast_events,
    forecast_goals,
    forecast_team,
)
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator, TickCancelled
from journey_desktop.store.policy import cap_history_since
from journey_desktop.store.postgres import on_postgres
from journey_desktop.store.repository import enrol_everyone
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.store.stats import SENT, TraceStep, customer_trace, policy_days
from journey_desktop.store.tick_summary import TickSummary

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]


class ForecastError(Exception):
    """An expected refusal (unknown journey, no database file), worded for users."""


class ForecastCancelled(Exception):
    """The forecast stopped because it was asked to; nothing was written anywhere real."""


@dataclass
class ForecastResult:
    """The forecast's figures, and its copy kept for per-customer traces until ``close()``."""

    journey_id: int
    journey: Journey  # as forecast: a draft carries the activation options used
    status: str  # the stored journey's status (draft, active, deactivated)
    start: int
    end: int
    tick_interval: int
    max_per_day: int
    days: list[ForecastDay]
    totals: ForecastTotals
    peak_day: ForecastDay | None
    warnings: list[str]
    busy: list[BusyCustomer]
    ticks: int = 0  # ticks actually run (idle ones are skipped)
    seconds: float = 0.0
    tz: dt.tzinfo | None = None
    collisions: CollisionReport | None = None  # with every active journey, when asked for
    _folder: Path | None = field(default=None, repr=False)
    _db: SqliteDatabase | None = field(default=None, repr=False)

    # --- the per-customer trace -------------------------------------------------------------

    def has_customer(self, external_id: str) -> bool:
        """True when the ID is in the journey's audience."""
        row = self._database().execute_sql(
            "SELECT 1 FROM member WHERE journey_id = ? AND external_id = ?",
            (self.journey_id, external_id.strip()),
        ).fetchone()
        return row is not None

    def trace(self, external_id: str) -> list[TraceStep]:
        """The nodes one customer reaches, run by run; steps before ``start`` are the part of
        a run in progress that happened before the forecast."""
        return customer_trace(self.journey_id, external_id.strip(), db=self._database())

    def collisions_over(self, limit: int) -> CollisionReport:
        """The collision report again at another limit, from the same copy (no new run);
        on the calling thread's own connection to it, closed after."""
        if self.collisions is None:
            raise ForecastError("this forecast ran without the other active journeys")
        try:
            check_limit(limit)
        except ValueError as exc:
            raise ForecastError(str(exc)) from None
        bounds = rules.day_bounds(self.start, len(self.days), self.tz)
        db = self._database()
        with db.connection_context():
            return forecast_collisions.collision_report(
                db, bounds, limit, dict(self.collisions.journeys), self.collisions.warnings,
                since=self.start)

    def _database(self) -> SqliteDatabase:
        if self._db is None:
            raise ForecastError("this forecast was closed; run it again")
        return self._db

    # --- output ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The ``forecast --json`` object of SPEC §7 (``days`` first; more keys may follow)."""
        data = {
            "days": [day.to_json() for day in self.days],
            "journey": {"id": self.journey_id, "name": self.journey.name,
                        "status": self.status},
            "start": _iso(self.start, self.tz),
            "end": _iso(self.end, self.tz),
            "tick_interval": self.tick_interval,
            "activation": self.journey.activation.to_dict(),
            "totals": self.totals.to_json(),
            "peak_day": self.peak_day.date.isoformat() if self.peak_day else None,
            "max_messages_per_day": self.max_per_day,
            "warnings": list(self.warnings),
        }
        if self.collisions is not None:
            data.update(self.collisions.to_json())
        return data

    def close(self) -> None:
        """Drop the copy (the temporary folder and its database)."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> ForecastResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _iso(ts: int, tz: dt.tzinfo | None) -> str:
    if tz is None:
        return dt.datetime.fromtimestamp(ts).astimezone().isoformat()
    return dt.datetime.fromtimestamp(ts, tz).isoformat()


def source_path(db: Database | None = None) -> Path | None:
    """The file of the real database (the initialised proxy unless ``db`` is given); None
    for a team database, whose rows the forecast reads through the thread's connection."""
    target = db if db is not None else database
    if on_postgres(target):
        return None
    name = getattr(target, "database", None)
    if not name or str(name) == ":memory:" or str(name).startswith("file::memory:"):
        raise ForecastError("the forecast needs the database file, and none is open")
    return Path(str(name))


def run_forecast(
    journey_id: int,
    *,
    days: int,
    start: int,
    activation: Activation | None = None,
    tz: dt.tzinfo | None = None,
    tick_interval: int | None = None,
    max_per_day: int = rules.DEFAULT_MAX_MESSAGES_PER_DAY,
    source: Path | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    skip_idle: bool = True,
    events: Path | None = None,
    collisions: int | None = None,
) -> ForecastResult:
    """Forecast one journey for ``days`` local days from ``start`` (UTC seconds).

    ``events``: an events file replayed at its timestamps (SPEC §11): imported into the copy
    once it is active, each event then waits for the virtual clock to reach its time.

    ``collisions``: forecast every active journey together with this one and report the
    customers over that many messages on one local day (``result.collisions``).

    ``activation`` applies to a draft only (its options as entered); by default a draft uses
    its stored options. ``tick_interval`` defaults to the evaluator's (SettingsRepository),
    read through the proxy, so pass it when calling from a thread without a connection.
    """
    if not 1 <= int(days) <= rules.MAX_DAYS:
        raise ForecastError(f"the number of days is from 1 to {rules.MAX_DAYS}")
    if collisions is not None:
        try:
            collisions = check_limit(collisions)
        except ValueError as exc:
            raise ForecastError(str(exc)) from None
    interval = int(tick_interval) if tick_interval is not None else (
        SettingsRepository().tick_interval()
    )
    interval = max(SettingsRepository.MIN_TICK_INTERVAL, interval)
    source = source if source is not None else source_path()
    if source is not None and not source.exists():
        raise ForecastError(f"{source}: no such database file")
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="journey-desktop-forecast-"))
    copy: SqliteDatabase | None = None
    try:
        if source is None:  # a team database: its rows the copy takes, in a file first
            source = folder / "team.db"
            forecast_team.stage(
                source, journey_id, int(start), with_active=collisions is not None,
                history_since=cap_history_since(int(start)))
        target = folder / "forecast.db"
        ticked = forecast_copy.copy_journey(
            source, target, journey_id, forecast_goals.ended_since(source, journey_id, int(start)),
            with_active=collisions is not None, history_since=cap_history_since(int(start)))
        copy = forecast_copy.open_copy(target)
        copy.connect(reuse_if_open=True)
        journey, status = _prepare_copy(copy, journey_id, activation, int(start))
        if events is not None:
            try:
                forecast_events.import_into(copy, events, int(start), tz)
            except forecast_events.ForecastEventsError as exc:
                raise ForecastError(str(exc)) from None
            forecast_goals.GoalDays(journey_id, journey).take_events_file(copy)
        skipped: dict[str, str] = {}
        result = _simulate(copy, journey_id, journey, status, int(start), int(days), interval,
                           tz, max(0, int(max_per_day)), progress, cancelled, skip_idle,
                           ticked, skipped)
        if collisions is not None:
            result.collisions = forecast_collisions.collision_report(
                copy, rules.day_bounds(int(start), int(days), tz), collisions,
                forecast_collisions.journey_names(copy, ticked, journey_id),
                [forecast_collisions.skipped_warning(*item) for item in skipped.items()],
                since=int(start))
        copy.close()  # this thread's connection; traces open their own
        result._folder = folder
        result._db = copy
        result.seconds = time.perf_counter() - started
        log.info("forecast of journey %s: %s days, %s ticks, %.2f s", journey_id, days,
                 result.ticks, result.seconds)
        return result
    except BaseException:
        if copy is not None:
            copy.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _prepare_copy(db: SqliteDatabase, journey_id: int, activation: Activation | None,
                  start: int) -> tuple[Journey, str]:
    """A draft becomes active in the copy, with ``activation``, as activating it would."""
    row = db.execute_sql(
        "SELECT name, status, definition FROM journey WHERE id = ?", (journey_id,)
    ).fetchone()
    if row is None:
        raise ForecastError(f"no journey with id {journey_id}")
    name, status, definition = row
    journey = Journey.from_json(definition)
    journey.name = name
    if activation is not None and status != DRAFT:
        raise ForecastError("activation options can be changed for a draft only")
    if status == DRAFT:
        if activation is not None:
            journey.activation = activation
        with db.atomic():
            db.execute_sql(
                "UPDATE journey SET status = ?, definition = ?, activated_at = ? WHERE id = ?",
                (ACTIVE, journey.to_json(), start, journey_id),
            )
            # As JourneyRepository.activate: customers never checked are due at once.
            db.execute_sql(
                "UPDATE member SET next_check_at = ? "
                "WHERE journey_id = ? AND first_check_at IS NULL",
                (start, journey_id),
            )
            if journey.audience == AUDIENCE_ALL:
                enrol_everyone(db, journey_id, start)
    return journey, status


def _next_due(db: SqliteDatabase, journey_ids: list[int]) -> int | None:
    """The earliest instant anything of the journeys falls due (two index seeks each)."""
    candidates = []
    for journey_id, sql in ((j, sql) for j in journey_ids for sql in (
        "SELECT next_check_at FROM member WHERE journey_id = ? AND next_check_at IS NOT NULL "
        "ORDER BY next_check_at LIMIT 1",
        f"SELECT due_at FROM run WHERE journey_id = ? AND state = '{IN_PROGRESS}' "
        "AND due_at IS NOT NULL ORDER BY due_at LIMIT 1",
        *forecast_events.NEXT_DUE_SQL,
    )):
        row = db.execute_sql(sql, (journey_id,)).fetchone()
        if row is not None:
            candidates.append(int(row[0]))
    return min(candidates) if candidates else None


def _in_progress(db: SqliteDatabase, journey_id: int) -> int:
    return int(db.execute_sql(
        f"SELECT count(*) FROM run WHERE journey_id = ? AND state = '{IN_PROGRESS}'",
        (journey_id,)
    ).fetchone()[0])


def _simulate(
    db: SqliteDatabase,
    journey_id: int,
    journey: Journey,
    status: str,
    start: int,
    days: int,
    interval: int,
    tz: dt.tzinfo | None,
    max_per_day: int,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
    skip_idle: bool,
    ticked: list[int],
    skipped: dict[str, str],
) -> ForecastResult:
    bounds = rules.day_bounds(start, days, tz)
    end = bounds[-1].end
    span = max(1, end - start)
    evaluator = Evaluator(db, tz=tz, cancelled=cancelled)
    goals = forecast_goals.GoalDays(journey_id, journey, tz)
    goals.note_copied(db)
    in_progress: list[int] = []
    day = 0
    ticks = 0
    moment = start
    summary: TickSummary | None = None

    def report(at: int) -> None:
        if progress is not None:
            shown = min(day + 1, days)
            progress(min(at, end) - start, span, f"Day {shown} of {days}")

    while moment < end:
        if cancelled is not None and cancelled():
            raise ForecastCancelled()
        if skip_idle and not (summary is not None and goals.tick_next(summary)):
            due = goals.next_due(db, _next_due(db, ticked))
            if due is None:
                break
            if due > moment:
                moment = start + -(-(due - start) // interval) * interval
                if moment >= end:
                    break
        while moment >= bounds[day].end:
            in_progress.append(_in_progress(db, journey_id))
            day += 1
        try:
            summary = evaluator.tick(moment, journey_ids=ticked)
        except TickCancelled:
            raise ForecastCancelled() from None
        for failure in summary.failures:  # the evaluator would skip it: so says the forecast
            if failure.journey_id == journey_id:
                raise ForecastError(f"the evaluator cannot run this journey: {failure.error}")
            skipped.setdefault(failure.name, failure.error)
        goals.tick(day, summary)
        ticks += 1
        report(moment)
        moment += interval
    while day < days:
        in_progress.append(_in_progress(db, journey_id))
        day += 1
    report(end)

    jid = journey_id
    entered = db.execute_sql(
        "SELECT started_at, count(*) FROM run WHERE journey_id = ? AND started_at >= ? "
        "GROUP BY started_at", (jid, start),
    ).fetchall()
    exited = goals.ended_in_forecast(db.execute_sql(
        "SELECT ended_at, count(*) FROM run WHERE journey_id = ? AND ended_at IS NOT NULL "
        "GROUP BY ended_at", (jid,),
    ).fetchall())
    messages = db.execute_sql(
        "SELECT due_at, channel, count(*) FROM outbox WHERE journey_id = ? "
        f"AND {SENT} AND created_at >= ? GROUP BY due_at, channel", (jid, start),
    ).fetchall()
    day_rows = rules.build_days(bounds, entered=entered, exited=exited, messages=messages,
                                in_progress=in_progress,
                                **policy_days(db, jid, " AND created_at >= ?", [start]))
    goals.fill(db, bounds, day_rows)
    totals = rules.totals_of(day_rows)
    visits = {node: int(count) for node, count in db.execute_sql(
        "SELECT node, visits FROM node_visit WHERE journey_id = ?", (jid,)
    )}
    busy = rules.busy_customers(
        db.execute_sql(
            f"SELECT external_id, due_at FROM outbox WHERE journey_id = ? AND {SENT}"
            " AND created_at >= ? AND external_id IN (SELECT external_id FROM outbox"
            " WHERE journey_id = ? GROUP BY external_id HAVING count(*) > ?)",
            (jid, start, jid, max_per_day),
        ).fetchall(),
        max_per_day, tz,
    )
    per_instant: dict[int, int] = {}
    for ts, _channel, count in messages:
        per_instant[int(ts)] = per_instant.get(int(ts), 0) + int(count)
    warnings = _status_warnings(journey, status)
    warnings += rules.deep_check_warnings(
        journey, days=days, entered=totals.entered, visits=visits, busy=busy,
        limit=max_per_day, quiet=rules.quiet_hour_messages(per_instant.items(), tz), tz=tz,
    )
    if late_sends.could_be_late(journey):  # SPEC §3: matched on one day, sent on the next
        late = late_sends.late_warning(late_sends.late_days(journey, db.execute_sql(
            "SELECT external_id, started_at, path, due_at FROM run"
            " WHERE journey_id = ? AND started_at >= ?", (jid, start)), tz))
        warnings += [late] if late else []
    return ForecastResult(
        journey_id=jid, journey=journey, status=status, start=start, end=end,
        tick_interval=interval, max_per_day=max_per_day, days=day_rows, totals=totals,
        peak_day=rules.peak_day(day_rows), warnings=warnings, busy=busy, ticks=ticks, tz=tz,
    )


def _status_warnings(journey: Journey, status: str) -> list[str]:
    if status == DEACTIVATED:
        return ["The journey is deactivated: the evaluator does nothing more with it"]
    if status == DRAFT:
        errors = validate(journey).errors
        if errors:
            noun = "problem" if len(errors) == 1 else "problems"
            return [f"The draft has {len(errors)} {noun} that block activation "
                    f"(first: {errors[0]}); runs stop where the design is broken"]
    return []
