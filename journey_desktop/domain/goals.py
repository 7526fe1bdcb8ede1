"""A journey's goal and exit rules (SPEC §12): the model and its journey-file form.

Kept apart from ``journey`` so that module stays readable; ``journey`` imports these
classes and ``journey_reader`` calls ``read_goal`` / ``read_exit_rules``. The filters and
durations are read by that reader (``reader``), so their errors name the same places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from journey_desktop.domain.journey import Duration, Filter

GOAL_KEYS = {"event", "filter", "within", "exit_on_goal"}
# What ended a run, as the forecast's ``exits`` object names it: the goal, or an exit rule.
GOAL_EXIT_KEY = "goal"
FIELDS_EXIT_KEY = "fields"
EXIT_EVENT_KEYS = {"event", "filter"}
EXIT_FIELDS_KEYS = {"fields"}


@dataclass
class Goal:
    """A run converts, once, when an ``event`` matching ``filter`` happens between its
    entry and entry + ``within``; with ``exit_on_goal`` the run then ends."""

    event: str
    within: Duration
    filter: Filter | None = None
    exit_on_goal: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.event}
        if self.filter is not None:
            data["filter"] = self.filter.to_dict()
        data["within"] = self.within.to_dict()
        data["exit_on_goal"] = self.exit_on_goal
        return data


@dataclass
class ExitRule:
    """Ends a run in progress: an ``event`` (matching ``filter``) after its entry, or,
    when ``fields`` is set, the customer's fields matching it at the tick."""

    event: str | None = None
    filter: Filter | None = None
    fields: Filter | None = None

    @property
    def on_fields(self) -> bool:
        return self.fields is not None

    def to_dict(self) -> dict[str, Any]:
        if self.fields is not None:
            return {"fields": self.fields.to_dict()}
        data: dict[str, Any] = {"event": self.event}
        if self.filter is not None:
            data["filter"] = self.filter.to_dict()
        return data


def exit_rule_keys(rules: list[ExitRule]) -> list[str]:
    """One stable, readable key per exit rule, in the journey's order: ``event:NAME`` or
    ``fields``; a key that repeats gets ``#2``, ``#3``, … on its second, third, … rule."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for rule in rules:
        base = FIELDS_EXIT_KEY if rule.on_fields else f"event:{rule.event or ''}"
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def exit_keys(goal: Goal | None, rules: list[ExitRule]) -> list[str]:
    """The keys of the forecast's ``exits``: ``goal`` when there is a goal, then the rules'."""
    return ([GOAL_EXIT_KEY] if goal is not None else []) + exit_rule_keys(rules)


class _Reader(Protocol):
    def filter(self, data: Any, where: str) -> Filter: ...
    def duration(self, data: Any, where: str) -> Duration: ...


def _object(data: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    from journey_desktop.domain.journey import JourneyFileError

    if not isinstance(data, dict):
        raise JourneyFileError(f"{where}: expected an object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise JourneyFileError(f"{where}.{unknown[0]}: unknown key")
    return data


def _event_name(value: Any, where: str) -> str:
    from journey_desktop.domain.journey import JourneyFileError

    if value is None:
        return ""
    if not isinstance(value, str):
        raise JourneyFileError(f"{where}: expected text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise JourneyFileError(f"{where}: not valid Unicode text") from None
    return value


def read_goal(reader: _Reader, data: Any, where: str = "goal") -> Goal | None:
    """The ``goal`` key of a journey file, or None when it is absent or null."""
    from journey_desktop.domain.journey import Duration, JourneyFileError

    if data is None:
        return None
    obj = _object(data, where, GOAL_KEYS)
    within = (Duration(7, "days") if obj.get("within") is None
              else reader.duration(obj["within"], f"{where}.within"))
    exit_on_goal = obj.get("exit_on_goal", False)
    if not isinstance(exit_on_goal, bool):
        raise JourneyFileError(f"{where}.exit_on_goal: expected true or false")
    flt = obj.get("filter")
    return Goal(
        event=_event_name(obj.get("event"), f"{where}.event"),
        within=within,
        filter=None if flt is None else reader.filter(flt, f"{where}.filter"),
        exit_on_goal=exit_on_goal,
    )


def read_exit_rules(reader: _Reader, data: Any, where: str = "exit_when") -> list[ExitRule]:
    """The ``exit_when`` key: a list of event rules and field rules."""
    from journey_desktop.domain.journey import JourneyFileError

    if data is None:
        return []
    if not isinstance(data, list):
        raise JourneyFileError(f"{where}: expected a list of exit rules")
    rules = []
    for i, raw in enumerate(data):
        at = f"{where}[{i}]"
        if isinstance(raw, dict) and "fields" in raw:
            obj = _object(raw, at, EXIT_FIELDS_KEYS)
            rules.append(ExitRule(fields=reader.filter(obj["fields"], f"{at}.fields")))
            continue
        obj = _object(raw, at, EXIT_EVENT_KEYS)
        flt = obj.get("filter")
        rules.append(ExitRule(
            event=_event_name(obj.get("event"), f"{at}.event"),
            filter=None if flt is None else reader.filter(flt, f"{at}.filter"),
        ))
    return rules
