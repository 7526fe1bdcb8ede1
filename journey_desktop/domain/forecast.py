"""The forecast's pure part (SPEC §8): local days, per-day figures, totals and deep checks.

The store runs the real evaluator on a copy of the journey (``store/forecast.py``) and hands
the rows it wrote to these functions, which only count: no database, no clock, no Qt. Days
are local calendar days (the computer's zone, or ``tz``); day 0 is the start's own day, so a
forecast started at 14:00 has a short first day and ``days`` rows in all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from journey_desktop.domain import engine
from journey_desktop.domain.journey import CHANNELS, Journey

DEFAULT_DAYS = 30
MAX_DAYS = 366
# "More than two messages a day" is the default busy-customer warning: one message a day
# is the page's advice, two can be a deliberate pair (an email and its push), three is noise.
DEFAULT_MAX_MESSAGES_PER_DAY = 2
QUIET_START = dt.time(22, 0)  # messages due from 22:00 ...
QUIET_END = dt.time(8, 0)  # ... until 08:00 local time are flagged
MAX_LISTED = 5  # customer IDs or times named in one warning


@dataclass(frozen=True)
class DayBounds:
    """One local day of the forecast window, as UTC instants ``[start, end)``."""

    date: dt.date
    start: int
    end: int


@dataclass
class ForecastDay:
    """What one local day of the forecast holds."""

    date: dt.date
    entered: int = 0
    exited: int = 0
    in_progress: int = 0  # runs in progress at the end of the day
    messages: dict[str, int] = field(default_factory=dict)
    conversions: int = 0  # runs converting that day (SPEC §12)
    exits: dict[str, int] = field(default_factory=dict)  # goal / exit rule -> runs it ended
    held: int = 0  # messages due that day held by quiet hours or the rate limit (SPEC §13)
    suppressed: int = 0  # messages due that day not sent: a cap, skipped quiet hours, ...

    @property
    def message_total(self) -> int:
        return sum(self.messages.values())

    def to_json(self) -> dict[str, Any]:
        """One element of the ``forecast --json`` ``days`` array (SPEC §7)."""
        return {
            "date": self.date.isoformat(),
            "entered": self.entered,
            "exited": self.exited,
            "in_progress": self.in_progress,
            "messages": dict(self.messages),
            "conversions": self.conversions,
            "exits": dict(self.exits),
            "held": self.held,
            "suppressed": self.suppressed,
        }


@dataclass
class ForecastTotals:
    entered: int = 0
    exited: int = 0
    in_progress: int = 0  # at the end of the window
    messages: dict[str, int] = field(default_factory=dict)
    conversions: int = 0
    exits: dict[str, int] = field(default_factory=dict)

    @property
    def message_total(self) -> int:
        return sum(self.messages.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "entered": self.entered,
            "exited": self.exited,
            "in_progress": self.in_progress,
            "messages": dict(self.messages),
            "conversions": self.conversions,
            "exits": dict(self.exits),
        }


@dataclass(frozen=True)
class BusyCustomer:
    """A customer who would get more messages in one local day than the limit."""

    external_id: str
    date: dt.date
    messages: int


# --- days -------------------------------------------------------------------------------


# What a run did at a ``wait_event`` node (SPEC §11), as a customer's trace shows it.
WAIT_MATCHED, WAIT_TIMED_OUT, WAIT_WAITING = "matched", "timed_out", "waiting"


@dataclass(frozen=True)
class TraceWait:
    """A run's outcome at a ``wait_event`` node: the event it matched and when, the
    deadline it timed out at, or the deadline it is still waiting until."""

    outcome: str  # WAIT_MATCHED, WAIT_TIMED_OUT or WAIT_WAITING
    event: str
    at: int

    def words(self, when: Callable[[int], str]) -> str:
        """"matched purchase at …", "timed out at …", "waiting for purchase until …",
        with the time as ``when`` writes it (the command line's, the window's)."""
        if self.outcome == WAIT_MATCHED:
            return f"matched {self.event} at {when(self.at)}"
        if self.outcome == WAIT_TIMED_OUT:
            return f"timed out at {when(self.at)}"
        return f"waiting for {self.event} until {when(self.at)}"


def day_bounds(start: int, days: int, tz: dt.tzinfo | None = None) -> list[DayBounds]:
    """The window's local days: day 0 from ``start`` to the next local midnight, then whole
    days (23 or 25 hours across a daylight-saving change)."""
    if days < 1:
        raise ValueError("a forecast covers at least one day")
    first = engine.local_date(start, tz)
    bounds: list[DayBounds] = []
    begin = int(start)
    for index in range(days):
        date = first + dt.timedelta(days=index)
        end = engine.local_timestamp(date + dt.timedelta(days=1), 0, 0, tz)
        bounds.append(DayBounds(date, begin, end))
        begin = end
    return bounds


def _day_index(bounds: Sequence[DayBounds], ts: int) -> int | None:
    """Which day an instant falls in; instants before the window count on day 0 (an
    overdue step fires at the first tick), instants after it on none."""
    if ts >= bounds[-1].end:
        return None
    lo, hi = 0, len(bounds) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if ts < bounds[mid].end:
            hi = mid
        else:
            lo = mid + 1
    return lo


def build_days(
    bounds: Sequence[DayBounds],
    *,
    entered: Iterable[tuple[int, int]],
    exited: Iterable[tuple[int, int]],
    messages: Iterable[tuple[int, str, int]],
    in_progress: Sequence[int],
    held: Iterable[tuple[int, int]] = (),
    suppressed: Iterable[tuple[int, int]] = (),
) -> list[ForecastDay]:
    """Per-day figures from (instant, count) and (instant, channel, count) rows."""
    days = [ForecastDay(date=b.date) for b in bounds]
    for ts, count in held:
        index = _day_index(bounds, int(ts))
        if index is not None:
            days[index].held += int(count)
    for ts, count in suppressed:
        index = _day_index(bounds, int(ts))
        if index is not None:
            days[index].suppressed += int(count)
    for ts, count in entered:
        index = _day_index(bounds, int(ts))
        if index is not None:
            days[index].entered += int(count)
    for ts, count in exited:
        index = _day_index(bounds, int(ts))
        if index is not None:
            days[index].exited += int(count)
    for ts, channel, count in messages:
        index = _day_index(bounds, int(ts))
        if index is not None:
            per_day = days[index].messages
            per_day[channel] = per_day.get(channel, 0) + int(count)
    for day, count in zip(days, in_progress, strict=False):
        day.in_progress = int(count)
    for day in days:
        day.messages = dict(sorted(day.messages.items(), key=lambda kv: _channel_order(kv[0])))
    return days


def _channel_order(channel: str) -> tuple[int, str]:
    return (CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS), channel)


def channels_of(days: Iterable[ForecastDay]) -> list[str]:
    """The channels that carry at least one message, in the editor's palette order."""
    seen = {channel for day in days for channel, count in day.messages.items() if count}
    return sorted(seen, key=_channel_order)


def totals_of(days: Sequence[ForecastDay]) -> ForecastTotals:
    totals = ForecastTotals()
    for day in days:
        totals.entered += day.entered
        totals.exited += day.exited
        for channel, count in day.messages.items():
            totals.messages[channel] = totals.messages.get(channel, 0) + count
        totals.conversions += day.conversions
        for key, count in day.exits.items():
            totals.exits[key] = totals.exits.get(key, 0) + count
    totals.in_progress = days[-1].in_progress if days else 0
    totals.messages = dict(sorted(totals.messages.items(), key=lambda kv: _channel_order(kv[0])))
    return totals


def peak_day(days: Sequence[ForecastDay]) -> ForecastDay | None:
    """The day with the most messages (the earliest of equals); None when nothing is sent."""
    best: ForecastDay | None = None
    for day in days:
        if day.message_total and (best is None or day.message_total > best.message_total):
            best = day
    return best


# --- deep checks ------------------------------------------------------------------------


def busy_customers(
    messages: Iterable[tuple[str, int]],
    limit: int,
    tz: dt.tzinfo | None = None,
) -> list[BusyCustomer]:
    """Customers who get more than ``limit`` messages on one local day, from (id, due_at)
    rows; each customer once, on their busiest day (the earliest of equals)."""
    per_day: Counter[tuple[str, dt.date]] = Counter()
    for external_id, due_at in messages:
        per_day[(external_id, engine.local_date(int(due_at), tz))] += 1
    worst: dict[str, BusyCustomer] = {}
    for (external_id, date), count in sorted(per_day.items()):
        if count <= limit:
            continue
        known = worst.get(external_id)
        if known is None or count > known.messages:
            worst[external_id] = BusyCustomer(external_id, date, count)
    return sorted(worst.values(), key=lambda b: (-b.messages, b.date, b.external_id))


def in_quiet_hours(ts: int, tz: dt.tzinfo | None = None) -> bool:
    """True from 22:00 until 08:00 local time."""
    moment = engine.local_datetime(int(ts), tz).time()
    return moment >= QUIET_START or moment < QUIET_END


def quiet_hour_messages(due_counts: Iterable[tuple[int, int]],
                        tz: dt.tzinfo | None = None) -> tuple[int, list[int]]:
    """How many messages fall due between 22:00 and 08:00, and the first such instants."""
    total = 0
    instants: list[int] = []
    for ts, count in sorted(due_counts):
        if in_quiet_hours(int(ts), tz):
            total += int(count)
            instants.append(int(ts))
    return total, instants[:MAX_LISTED]


def unreached_nodes(journey: Journey, visits: Mapping[str, int]) -> list[str]:
    """Nodes of the journey that no run reaches in the forecast, in the journey's order."""
    return [node.id for node in journey.nodes if not visits.get(node.id)]


def _when(ts: int, tz: dt.tzinfo | None) -> str:
    return engine.local_datetime(ts, tz).strftime("%Y-%m-%d %H:%M")


def deep_check_warnings(
    journey: Journey,
    *,
    days: int,
    entered: int,
    visits: Mapping[str, int],
    busy: Sequence[BusyCustomer],
    limit: int,
    quiet: tuple[int, list[int]],
    tz: dt.tzinfo | None = None,
) -> list[str]:
    """The deep checks as sentences for the Forecast view and the command line."""
    warnings: list[str] = []
    if busy:
        names = ", ".join(
            f"{b.external_id} ({b.messages} on {b.date.isoformat()})" for b in busy[:MAX_LISTED]
        )
        more = f" and {len(busy) - MAX_LISTED} more" if len(busy) > MAX_LISTED else ""
        noun = "customer" if len(busy) == 1 else "customers"
        warnings.append(
            f"{len(busy):,} {noun} would get more than {limit} messages in one day: {names}{more}"
        )
    quiet_total, first = quiet
    if quiet_total:
        noun = "message is" if quiet_total == 1 else "messages are"
        times = ", ".join(_when(ts, tz) for ts in first)
        warnings.append(
            f"{quiet_total:,} {noun} due between {QUIET_START:%H:%M} and {QUIET_END:%H:%M} "
            f"local time (first at {times})"
        )
    if entered == 0 and not any(visits.values()):
        warnings.append(f"No customer enters the journey in these {days} days")
    else:
        unreached = unreached_nodes(journey, visits)
        if unreached:
            noun = "node" if len(unreached) == 1 else "nodes"
            warnings.append(f"No customer reaches {noun} {', '.join(unreached)} in {days} days")
    return warnings
