"""The activation options in the words a marketer uses (SPEC §3): for the dialog, the
forecast and the command line alike."""

from __future__ import annotations

import datetime as dt

from journey_desktop.domain import engine
from journey_desktop.domain.journey import Activation, Duration
from journey_desktop.domain.when_words import day_and_time

_ONCE_PER = {"minutes": "once a minute", "hours": "once an hour", "days": "once a day"}


def rate_in_words(timeout: Duration) -> str:
    """"once a day", "once every 3 hours"."""
    value = int(timeout.value)
    if value == 1:
        return _ONCE_PER.get(timeout.unit, f"once every {timeout.unit}")
    return f"once every {value} {timeout.unit}"


def describe_activation(activation: Activation) -> str:
    """What the options will do, in the words a marketer would use."""
    if not activation.allow_reentry:
        return (
            "Each customer is checked once, when first seen, and enters at most once. "
            "Customers who do not match then are never checked again."
        )
    rate = rate_in_words(activation.timeout)
    again = f"{rate} at {activation.check_at}" if activation.check_at else rate
    limit = activation.max_entries
    if limit == 1:
        return (
            "Each customer can enter once. Customers who do not match are checked again "
            f"{again} until they enter."
        )
    times = "any number of times" if limit is None else f"up to {limit} times"
    return (
        f"Each customer can enter {times}, at most {rate}. "
        f"Customers who do not match are checked again {again}."
    )


def first_checks_in_words(activation: Activation, first_check_at: int, now: int,
                          tz: dt.tzinfo | None = None) -> str:
    """When the first messages can go out: "First check today at 14:05, then daily at
    09:00." ``first_check_at``: the evaluator's next tick after activating."""
    first = f"First check {day_and_time(first_check_at, now, tz)}"
    if not activation.allow_reentry:
        return f"{first}; each customer is checked once, when first seen."
    seconds = activation.timeout.seconds
    days = engine.whole_days(seconds)
    if not days:
        return f"{first}, then {rate_in_words(activation.timeout)}."
    every = "daily" if days == 1 else f"every {days} days"
    if activation.check_at:
        return f"{first}, then {every} at {activation.check_at}."
    clock = engine.local_datetime(first_check_at, tz).strftime("%H:%M")
    return f"{first}, then {every} at {clock}."
