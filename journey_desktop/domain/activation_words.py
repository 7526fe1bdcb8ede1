"""The activation options in the words a marketer uses (SPEC §3): for the dialog, the
forecast and the command line alike."""

from __future__ import annotations

from journey_desktop.domain.journey import Activation, Duration

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
    limit = activation.max_entries
    if limit == 1:
        return (
            "Each customer can enter once. Customers who do not match are checked again "
            f"{rate} until they enter."
        )
    times = "any number of times" if limit is None else f"up to {limit} times"
    return (
        f"Each customer can enter {times}, at most {rate}. "
        f"Customers who do not match are checked again {rate}."
    )
