"""The forecast's collision report (SPEC §8, §13): customers who would get more than N
messages on one local day across every active journey plus the one forecast.

The store counts, in one GROUP BY over the forecast copy's outbox
(``store/forecast_collisions.py``), the messages per customer and local day with the
journeys that wrote them; these functions only name and shape those rows: no database, no
clock, no Qt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The page's advice is one message a day per customer ("so that no customer gets two
# messages on the same day"): by default a second message on one day is a collision.
DEFAULT_COLLISION_LIMIT = 1
MAX_COLLISION_LIMIT = 1_000_000  # far above any real daily count
TOP_PRINTED = 10  # rows the plain-text forecast prints; --json and the window list them all


@dataclass(frozen=True)
class Collision:
    """One customer on one local day, over the limit, with the journeys that wrote."""

    external_id: str
    date: dt.date
    messages: int
    journeys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """One element of ``forecast --collisions --json``'s ``collisions`` array."""
        return {
            "customerId": self.external_id,
            "date": self.date.isoformat(),
            "messages": self.messages,
            "journeys": list(self.journeys),
        }


@dataclass(frozen=True)
class CollisionDay:
    """How many customers collide on one local day of the forecast."""

    date: dt.date
    customers: int


@dataclass
class CollisionReport:
    """The collision report of one forecast, at one limit."""

    limit: int
    journeys: list[tuple[int, str]]  # (id, name) of every journey forecast together
    collisions: list[Collision] = field(default_factory=list)
    days: list[CollisionDay] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # journeys the evaluator skipped

    @property
    def journey_names(self) -> list[str]:
        return [name for _id, name in self.journeys]

    @property
    def customers(self) -> int:
        """Distinct customers over the limit on at least one day."""
        return len({c.external_id for c in self.collisions})

    def to_json(self) -> dict[str, Any]:
        """The keys ``--collisions`` adds to the ``forecast --json`` object."""
        return {
            "collisions": [c.to_json() for c in self.collisions],
            "collisions_per_day": [{"date": d.date.isoformat(), "customers": d.customers}
                                   for d in self.days],
            "collision_limit": self.limit,
            "collision_journeys": self.journey_names,
        }


def check_limit(limit: int) -> int:
    """The limit, or ValueError in words when it is out of range."""
    if not 1 <= int(limit) <= MAX_COLLISION_LIMIT:
        raise ValueError(f"the collision limit is from 1 to {MAX_COLLISION_LIMIT:,} "
                         "messages a day")
    return int(limit)


def collisions_from_rows(
    rows: Iterable[tuple[str, int, int, str]],
    dates: Sequence[dt.date],
    names: Mapping[int, str],
) -> list[Collision]:
    """Collisions from (customer, day index, messages, comma-separated journey ids) rows,
    in the rows' order; the journeys of a row are named in the order of ``names``."""
    order = {journey_id: index for index, journey_id in enumerate(names)}
    named: dict[str, tuple[str, ...]] = {}  # one tuple per set of journeys, shared
    collisions = []
    for external_id, day, messages, ids in rows:
        journeys = named.get(ids)
        if journeys is None:
            found = sorted({int(part) for part in str(ids).split(",")},
                           key=lambda j: order.get(j, len(order)))
            journeys = tuple(names.get(j, f"journey {j}") for j in found)
            named[ids] = journeys
        collisions.append(Collision(str(external_id), dates[int(day)], int(messages),
                                    journeys))
    return collisions


def per_day(collisions: Iterable[Collision], dates: Sequence[dt.date]) -> list[CollisionDay]:
    """Colliding customers per day, every day of the forecast (zero included)."""
    counts = dict.fromkeys(dates, 0)
    for collision in collisions:
        counts[collision.date] = counts.get(collision.date, 0) + 1
    return [CollisionDay(date, count) for date, count in counts.items()]


def summary_text(report: CollisionReport) -> str:
    """One sentence for the window and the command line."""
    journeys = len(report.journeys)
    noun = "journey" if journeys == 1 else "journeys"
    over = f"more than {report.limit} message{'s' if report.limit != 1 else ''} on one day"
    if not report.collisions:
        return f"No customer would get {over} across {journeys} {noun}."
    customers = report.customers
    people = "customer" if customers == 1 else "customers"
    days = sum(1 for d in report.days if d.customers)
    return (f"{customers:,} {people} would get {over} across {journeys} {noun} "
            f"({len(report.collisions):,} customer-days on {days} "
            f"day{'s' if days != 1 else ''}).")
