"""The forecast's goal figures (SPEC §8, §12): conversions and exits by rule, per local day.

Pure counting, like ``forecast``: the store hands in what the real evaluator wrote in the
forecast's copy (the conversions' times, the times of runs the goal ended) and what each
tick said it did (the runs each exit rule ended); nothing here models the goal again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from journey_desktop.domain.forecast import DayBounds, ForecastDay
from journey_desktop.domain.goals import GOAL_EXIT_KEY, Goal, exit_keys
from journey_desktop.domain.journey import Journey


def goal_keys(journey: Journey) -> list[str]:
    """The ``exits`` keys a forecast of this journey reports (empty: no goal, no rule)."""
    goal: Goal | None = journey.goal if journey.goal is not None and journey.goal.event else None
    return exit_keys(goal, list(journey.exit_when))


def add_goal_figures(
    days: Sequence[ForecastDay],
    bounds: Sequence[DayBounds],
    keys: Sequence[str],
    *,
    conversions: Iterable[tuple[int, int]],
    goal_exits: Iterable[tuple[int, int]],
    rule_exits: Iterable[tuple[int, int, int]],
) -> None:
    """Fill each day's ``conversions`` and ``exits`` (every key, zeros included).

    ``conversions`` and ``goal_exits``: (instant, count) rows; a conversion counts on the
    day of its goal event, and only inside the window (one before the start was made
    before the forecast). ``rule_exits``: (day index, exit rule index, count) as the ticks
    reported them; ``keys`` are ``goal_keys`` (the goal's first, when there is one).
    """
    if not days or not bounds:
        return
    start, ends = bounds[0].start, [day.end for day in bounds]
    has_goal = bool(keys) and keys[0] == GOAL_EXIT_KEY
    rule_keys = list(keys[1:] if has_goal else keys)
    for day in days:
        day.exits = dict.fromkeys(keys, 0)
        day.conversions = 0
    for ts, count in conversions:
        index = _inside(start, ends, int(ts))
        if index is not None:
            days[index].conversions += int(count)
    if has_goal:
        for ts, count in goal_exits:
            index = _inside(start, ends, int(ts))
            if index is not None:
                days[index].exits[GOAL_EXIT_KEY] += int(count)
    for index, rule, count in rule_exits:
        if 0 <= index < len(days) and 0 <= rule < len(rule_keys):
            days[index].exits[rule_keys[rule]] += int(count)


def _inside(start: int, ends: Sequence[int], ts: int) -> int | None:
    """The day an instant falls in (``ends``: each day's end); None outside the window."""
    if ts < start or ts >= ends[-1]:
        return None
    return bisect_right(ends, ts)
