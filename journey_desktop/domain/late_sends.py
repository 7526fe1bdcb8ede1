"""A forecast deep check (SPEC §3, §8): customers whose date matched on one day but whose
message goes out on a later one, because a wait "then at 09:00" follows a check made
after 09:00 ("3 customers matched on 2026-12-01 would get their message on 2026-12-02").

The entry must match customers on one day (an anniversary, a date "within 0 days"). A run
is late when the first wait on its path has an ``at_time``, is meant for the entry day
itself (it ends that day for a run that entered at midnight: "1 minute, then at 09:00",
not "1 day, then at 09:00") and ends on a later day. Pure: the store hands over the runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from journey_desktop.domain import engine
from journey_desktop.domain.filters import waits_for_a_day
from journey_desktop.domain.journey import Journey, Node

MAX_LISTED_DAYS = 3  # days named in the warning


@dataclass(frozen=True)
class LateDay:
    """Customers whose date matched on ``matched`` and whose message goes out on ``sent``."""

    matched: dt.date
    sent: dt.date
    customers: int


def matches_one_day(journey: Journey) -> bool:
    """True when the entry lets customers in on one day of theirs (a birthday, a renewal
    date): an anniversary, or a date within the last or next 0 days."""
    entry = journey.entry()
    if entry is None or entry.trigger is not None or entry.filter is None:
        return False
    return any(c.op == "anniversary_in_days"
               or (c.op in ("within_last_days", "within_next_days") and c.value == 0)
               for c in entry.filter.conditions)


def could_be_late(journey: Journey) -> bool:
    """A date entry and a wait "then at" a time of day: the runs are worth reading."""
    return matches_one_day(journey) and any(n.type == "wait" and n.at_time for n in journey.nodes)


def late_days(journey: Journey, runs: Iterable[tuple[str, int, str, int | None]],
              tz: dt.tzinfo | None = None) -> list[LateDay]:
    """From (customer, started_at, path, due_at) of runs, the late ones per (matched day,
    sent day). ``path`` is the run's ``node@time`` lines; ``due_at`` ends the wait of a
    run still standing at it."""
    if not could_be_late(journey):
        return []
    waits = {n.id: n for n in journey.nodes if n.type in ("wait", "wait_event")}
    late: dict[tuple[dt.date, dt.date], set[str]] = {}
    for external_id, started_at, path, due_at in runs:
        steps = [line.rpartition("@") for line in (path or "").splitlines() if line]
        for index, (node_id, _, _reached) in enumerate(steps):
            wait = waits.get(node_id)
            if wait is None:
                continue
            if wait.type == "wait" and wait.at_time:
                ended = int(steps[index + 1][2]) if index + 1 < len(steps) else due_at
                if ended is not None:
                    matched = engine.local_date(int(started_at), tz)
                    sent = engine.local_date(int(ended), tz)
                    if sent > matched == _meant_day(wait, matched, tz):
                        late.setdefault((matched, sent), set()).add(external_id)
            break  # only the first wait on the path
    return [LateDay(matched, sent, len(ids)) for (matched, sent), ids in sorted(late.items())]


def _meant_day(wait: Node, day: dt.date, tz: dt.tzinfo | None) -> dt.date:
    """The day the wait ends for a run that entered at the start of ``day``."""
    start = engine.local_timestamp(day, 0, 0, tz)
    seconds = wait.duration.seconds if wait.duration else 0
    return engine.local_date(engine.wait_end(start, seconds, wait.at_time, tz), tz)


def late_warning(days: list[LateDay]) -> str | None:
    """The deep check's sentence, or None when nobody is late."""
    if not days:
        return None
    total = sum(d.customers for d in days)
    noun = "customer" if total == 1 else "customers"
    advice = ("a wait “then at” a time of day follows a check made after it; a Check at "
              "before that time sends on the day")
    if len(days) == 1:
        day = days[0]
        return (f"{total:,} {noun} matched on {day.matched.isoformat()} would get their "
                f"message on {day.sent.isoformat()}: {advice}")
    listed = "; ".join(f"{d.customers:,} matched on {d.matched.isoformat()} on "
                       f"{d.sent.isoformat()}" for d in days[:MAX_LISTED_DAYS])
    more = f"; and {len(days) - MAX_LISTED_DAYS} more days" if len(days) > MAX_LISTED_DAYS else ""
    return (f"{total:,} {noun} would get their message on a later day than the one their "
            f"date matched ({listed}{more}): {advice}")


DEFAULT_CHECK_AT = "09:00"


def proposed_check_at(journey: Journey) -> str | None:
    """The Check at the activation dialog proposes for a journey whose entry matches
    customers on a day of theirs, or None for others: 09:00, or the whole hour before a
    first wait "then at" meant for the day itself ("1 minute, then at 09:00": 08:00), so
    that the message still goes out on the day."""
    entry = journey.entry()
    if entry is None or entry.trigger is not None or not waits_for_a_day(entry.filter):
        return None
    node = journey.node(entry.next) if entry.next else None
    seen: set[str] = set()
    while node is not None and node.id not in seen and node.type in ("message", "wait"):
        seen.add(node.id)
        if node.type == "wait":
            seconds = node.duration.seconds if node.duration else 0
            if not node.at_time or seconds >= engine.DAY_SECONDS:
                break
            hour, minute = engine.parse_at_time(node.at_time)
            latest = hour * 3600 + minute * 60 - seconds  # the last check that sends on the day
            return f"{latest // 3600:02d}:00" if latest >= 0 else "00:00"
        node = journey.node(node.next) if node.next else None
    return DEFAULT_CHECK_AT
