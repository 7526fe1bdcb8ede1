"""Reading a journey's statistics as a job: counts over a large audience take seconds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from journey_desktop.domain import engine
from journey_desktop.services.workers import JobControl
from journey_desktop.store.delivery import NodeDelivery, daily_delivery, node_delivery
from journey_desktop.store.goal_results import GoalResults, goal_results
from journey_desktop.store.plan import PlanAgainstActual, plan_against_actual
from journey_desktop.store.repository import (
    JourneyNotFoundError,
    JourneyRepository,
    StoredJourney,
)
from journey_desktop.store.stats import DayCount, JourneyStats, daily_counts, journey_stats


@dataclass
class StatsSnapshot:
    """What the window shows, read in one go off the GUI thread."""

    stored: StoredJourney | None  # None: the journey was removed
    stats: JourneyStats
    days: list[dt.date] = field(default_factory=list)
    day_counts: list[DayCount] = field(default_factory=list)
    delivery: list[NodeDelivery] = field(default_factory=list)  # per message node, channel
    delivery_days: dict[dt.date, dict[str, int]] = field(default_factory=dict)
    plan: PlanAgainstActual = field(
        default_factory=lambda: PlanAgainstActual([], None, ""))
    results: GoalResults | None = None  # None: the journey has no goal (SPEC §12)


def chart_days(today: dt.date, span: int) -> list[dt.date]:
    """The ``span`` local days ending today, oldest first."""
    return [today - dt.timedelta(days=offset) for offset in range(span - 1, -1, -1)]


def load_job(control: JobControl, repo: JourneyRepository, journey_id: int, span: int,
             now: int, tz: dt.tzinfo | None) -> StatsSnapshot:
    """The journey, its figures, its last ``span`` days of counts, what the delivery reports
    said and the plan against actual, read in one go."""
    try:
        stored = repo.get(journey_id)
    except JourneyNotFoundError:
        return StatsSnapshot(None, JourneyStats(journey_id=journey_id))
    stats = journey_stats(journey_id)
    days = chart_days(engine.local_date(now, tz), span)
    start = engine.local_timestamp(days[0], 0, 0, tz)
    end = engine.local_timestamp(days[-1] + dt.timedelta(days=1), 0, 0, tz)
    counts = daily_counts(journey_id, tz=tz, start=start, end=end)
    return StatsSnapshot(stored, stats, days, counts, node_delivery(journey_id),
                         daily_delivery(journey_id, tz=tz),
                         plan_against_actual(journey_id, now=now, tz=tz),
                         goal_results(journey_id, stored.journey))


