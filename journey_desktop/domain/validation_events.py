"""Validation of what SPEC §11 adds to a journey: entry on an event, ``wait_event`` nodes,
event data (``event.x``, ``matched.x``) and history conditions.

Kept apart from ``validation`` so that each stays readable; ``validation.validate`` calls
``event_problems`` and reports its findings with the rest, in the same form.
"""

from __future__ import annotations

from collections.abc import Iterator

from journey_desktop.domain.engine import placeholders
from journey_desktop.domain.filters import value_problem
from journey_desktop.domain.journey import (
    DURATION_UNITS,
    EVENT_PREFIX,
    MATCHED_PREFIX,
    UNIT_SECONDS,
    WHO_VALUES,
    Condition,
    Duration,
    Filter,
    Journey,
    Node,
)
from journey_desktop.domain.validation import (
    ERROR,
    Problem,
    duration_problem,
    whole_number,
)

# History conditions look back at most ten years, as the date operators do.
MAX_WITHIN_DAYS = 3650
MIN_WAIT_SECONDS = 60  # a wait for an event lasts at least a minute
MAX_HISTORY_COUNT = 1_000_000


def event_problems(journey: Journey) -> list[Problem]:
    """Every problem of the journey's event parts, each naming its node and field."""
    problems: list[Problem] = []
    entry = journey.entry()
    has_trigger = entry is not None and entry.trigger is not None
    after_match = nodes_after_a_match(journey)
    for node in journey.nodes:
        nid = node.id or "?"
        if node.type == "entry" and node.trigger is not None:
            problems.extend(_trigger_problems(nid, node))
        if node.type == "wait_event":
            problems.extend(_wait_event_problems(nid, node, has_trigger))
        for fld, condition in _conditions(node):
            problems.extend(_condition_problems(nid, fld, condition, has_trigger,
                                                node.id in after_match))
        for key, text in node.content.items():
            for placeholder in placeholders(text):
                message = _event_data_problem(placeholder.name, has_trigger,
                                              node.id in after_match, "{{%s}}")
                if message:
                    problems.append(Problem(nid, key, message, ERROR))
    return problems


def nodes_after_a_match(journey: Journey) -> set[str]:
    """The nodes a run can reach after a ``wait_event`` matched (through its ``yes``):
    only there has ``matched.x`` a value."""
    seen: set[str] = set()
    stack = [n.yes for n in journey.nodes if n.type == "wait_event" and n.yes]
    while stack:
        node_id = stack.pop()
        if node_id is None or node_id in seen:
            continue
        seen.add(node_id)
        node = journey.node(node_id)
        if node is not None:
            stack.extend(target for _, target in node.targets() if target)
    return seen


def _conditions(node: Node) -> Iterator[tuple[str, Condition]]:
    """The conditions of a node's customer filter (entry, condition) with their field."""
    if node.type in ("entry", "condition") and node.filter is not None:
        for i, condition in enumerate(node.filter.conditions):
            yield f"filter.conditions[{i}]", condition


def _trigger_problems(nid: str, node: Node) -> Iterator[Problem]:
    trigger = node.trigger
    assert trigger is not None
    if not trigger.name.strip():
        yield Problem(nid, "event.name", "is empty: name the event that starts the journey")
    if trigger.who not in WHO_VALUES:
        yield Problem(nid, "event.who", "must be 'audience' or 'anyone'")
    yield from _duration_problems(nid, "event.max_age", trigger.max_age, "the maximum age")
    if trigger.filter is not None:
        yield from _property_filter_problems(nid, "event.filter", trigger.filter)


def _wait_event_problems(nid: str, node: Node, has_trigger: bool) -> Iterator[Problem]:
    if not (node.event or "").strip():
        yield Problem(nid, "event", "is empty: name the event to wait for")
    if node.timeout is None:
        yield Problem(nid, "timeout", "a wait for an event needs a timeout")
    else:
        number = whole_number(node.timeout.value)
        if number is not None and number * UNIT_SECONDS.get(node.timeout.unit, 60) < (
                MIN_WAIT_SECONDS):
            yield Problem(nid, "timeout", "must be at least 1 minute")
        else:
            yield from _duration_problems(nid, "timeout", node.timeout, "the timeout")
    if node.filter is not None:
        yield from _property_filter_problems(nid, "filter", node.filter)
    if node.same is not None:
        if not node.same.strip():
            yield Problem(nid, "same", "is empty: name the property, or leave it out")
        elif not has_trigger:
            yield Problem(nid, "same", "compares with the event that started the run, but "
                          "this journey does not start on an event")


def _duration_problems(nid: str, fld: str, duration: Duration, what: str
                       ) -> Iterator[Problem]:
    if duration.unit not in DURATION_UNITS:
        yield Problem(nid, f"{fld}.unit", f"unit must be one of {', '.join(DURATION_UNITS)}")
        return
    problem = duration_problem(duration.value, duration.unit, what)
    if problem:
        yield Problem(nid, f"{fld}.value", problem)


def _property_filter_problems(nid: str, fld: str, flt: Filter) -> Iterator[Problem]:
    """A filter on an event's properties: property paths (``cart.total``), no history."""
    if flt.match not in ("all", "any"):
        yield Problem(nid, f"{fld}.match", "match must be 'all' or 'any'")
    for i, condition in enumerate(flt.conditions):
        where = f"{fld}.conditions[{i}]"
        if condition.is_history:
            yield Problem(nid, where, "an event's properties cannot hold a history "
                          "condition; put it in the entry's or a condition's filter")
            continue
        if not condition.field.strip():
            yield Problem(nid, f"{where}.field", "the property is empty")
        elif any(not part.strip() for part in condition.field.split(".")):
            yield Problem(nid, f"{where}.field",
                          f"{condition.field!r} is not a property path (like cart.total)")
        problem = value_problem(condition)
        if problem:
            yield Problem(nid, f"{where}.op" if "operator" in problem else f"{where}.value",
                          problem)


def _condition_problems(nid: str, fld: str, condition: Condition, has_trigger: bool,
                        after_match: bool) -> Iterator[Problem]:
    if condition.is_history:
        yield from _history_problems(nid, fld, condition)
        return
    message = _event_data_problem(condition.field, has_trigger, after_match, "{}")
    if message:
        yield Problem(nid, f"{fld}.field", message)


def _event_data_problem(name: str, has_trigger: bool, after_match: bool, shape: str
                        ) -> str | None:
    """Why ``event.x`` or ``matched.x`` has no value where it is used, or None."""
    shown = shape % name if "%s" in shape else name
    if name.startswith(EVENT_PREFIX):
        if not name[len(EVENT_PREFIX):].strip():
            return f"{shown} names no property of the event"
        if not has_trigger:
            return (f"{shown} reads the event that started the run, but this journey does "
                    "not start on an event")
    elif name.startswith(MATCHED_PREFIX):
        if not name[len(MATCHED_PREFIX):].strip():
            return f"{shown} names no property of the matched event"
        if not after_match:
            return (f"{shown} reads the event a wait for an event matched, but no such wait "
                    "comes before this step on its 'yes' path")
    return None


def _history_problems(nid: str, fld: str, condition: Condition) -> Iterator[Problem]:
    if not (condition.event or "").strip():
        yield Problem(nid, f"{fld}.event", "is empty: name the event to count")
    days = whole_number(condition.within_days)
    if days is None or not 1 <= days <= MAX_WITHIN_DAYS:
        yield Problem(nid, f"{fld}.within_days",
                      f"must be a whole number of days from 1 to {MAX_WITHIN_DAYS:,}, "
                      f"not {condition.within_days!r}")
    if condition.at_least is None and condition.at_most is None:
        yield Problem(nid, fld, "a history condition needs at_least or at_most")
    for key in ("at_least", "at_most"):
        value = getattr(condition, key)
        if value is None:
            continue
        count = whole_number(value)
        if count is None or not 0 <= count <= MAX_HISTORY_COUNT:
            yield Problem(nid, f"{fld}.{key}",
                          f"must be a whole number of events from 0 to "
                          f"{MAX_HISTORY_COUNT:,}, not {value!r}")


def history_matches(condition: Condition, count: int) -> bool:
    """Whether a customer with ``count`` such events in the window passes the condition.

    Reference implementation: the evaluator counts and compares in SQL
    (``evaluator_events.history_sql``)."""
    if condition.at_least is not None and count < int(condition.at_least):
        return False
    return not (condition.at_most is not None and count > int(condition.at_most))


__all__ = ["event_problems", "history_matches", "nodes_after_a_match"]
