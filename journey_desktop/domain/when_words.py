"""Times to come, in the words a marketer reads: "today at 14:05", "on 4 Dec at 09:00",
and what the runs standing at a wait are waiting for ("42 waiting until 09:00 today").

Relative to a ``now`` given by the caller (never the clock), in local time (the computer's
zone, or ``tz``), so the activation dialog, the statistics window and tests say the same.
"""

from __future__ import annotations

import datetime as dt

from journey_desktop.domain import engine


def day_and_time(ts: int, now: int, tz: dt.tzinfo | None = None) -> str:
    """"today at 14:05", "tomorrow at 09:00", "on 4 Dec at 09:00", "on 4 Dec 2027 at 09:00"."""
    moment = engine.local_datetime(int(ts), tz)
    today = engine.local_date(int(now), tz)
    clock = f"{moment:%H:%M}"
    day = moment.date()
    if day == today:
        return f"today at {clock}"
    if day == today + dt.timedelta(days=1):
        return f"tomorrow at {clock}"
    if day == today - dt.timedelta(days=1):
        return f"yesterday at {clock}"
    year = f" {day.year}" if day.year != today.year else ""
    return f"on {day.day} {moment:%b}{year} at {clock}"


def _until(ts: int, now: int, tz: dt.tzinfo | None) -> str:
    """"09:00 today", "09:00 tomorrow", "4 Dec at 09:00": after "until"."""
    words = day_and_time(ts, now, tz)
    for day in ("today", "tomorrow", "yesterday"):
        if words.startswith(day):
            return f"{words.removeprefix(day + ' at ')} {day}"
    return words.removeprefix("on ")


def waiting_in_words(count: int, next_due: int | None, next_count: int, now: int,
                     tz: dt.tzinfo | None = None, *, for_event: bool = False) -> str:
    """What the runs standing at a wait are waiting for: "42 waiting until 09:00 today",
    "3 waiting, next on 4 Dec at 09:00", "5 waiting, due at the next check" (overdue).

    ``next_due``: the earliest due time among them, which ``next_count`` of them share. For
    a wait for an event (``for_event``) the due time is the timeout: the event may come
    first."""
    if count <= 0:
        return ""
    head = f"{count:,} waiting for the event" if for_event else f"{count:,} waiting"
    if next_due is None:
        return head
    if next_due <= now:
        return f"{head}, due at the next check"
    if for_event:
        if next_count >= count:
            return f"{head}, at most until {_until(next_due, now, tz)}"
        return f"{head}, next timeout {day_and_time(next_due, now, tz)}"
    if next_count >= count:
        return f"{head} until {_until(next_due, now, tz)}"
    return f"{head}, next {day_and_time(next_due, now, tz)}"
