"""Validation of what SPEC §12 adds to a journey: the goal, the exit rules, and the
labels and holdout of split branches. ``validation.validate`` calls ``goal_problems`` and
reports its findings with the rest, in the same form and plain words."""

from __future__ import annotations

from collections.abc import Iterator

from journey_desktop.domain.journey import DURATION_UNITS, Filter, Journey
from journey_desktop.domain.problem_words import plain_words
from journey_desktop.domain.validation import ERROR, Problem, duration_problem

MAX_LABEL_LENGTH = 40  # a branch label fits a table column and the canvas


def _problem(node: str | None, fld: str, message: str) -> Problem:
    return Problem(node, fld, message, ERROR, plain_words(None, fld, message))


def goal_problems(journey: Journey) -> list[Problem]:
    """Every problem of the goal, the exit rules and the split branches' SPEC §12 keys."""
    problems: list[Problem] = []
    goal = journey.goal
    if goal is not None:
        if not goal.event.strip():
            problems.append(_problem(None, "goal.event", "is empty: name the goal's event"))
        if goal.within.unit not in DURATION_UNITS:
            problems.append(_problem(None, "goal.within.unit",
                                     f"unit must be one of {', '.join(DURATION_UNITS)}"))
        else:
            message = duration_problem(goal.within.value, goal.within.unit, "the goal window")
            if message:
                problems.append(_problem(None, "goal.within.value", message))
        if goal.filter is not None:
            problems.extend(_filter_problems("goal.filter", goal.filter))
    for i, rule in enumerate(journey.exit_when):
        where = f"exit_when[{i}]"
        if rule.fields is not None:
            if not rule.fields.conditions:
                problems.append(_problem(None, f"{where}.fields",
                                         "an exit rule on fields needs at least one condition"))
            problems.extend(_filter_problems(f"{where}.fields", rule.fields))
            continue
        if not (rule.event or "").strip():
            problems.append(_problem(None, f"{where}.event",
                                     "is empty: name the event that ends a run"))
        if rule.filter is not None:
            problems.extend(_filter_problems(f"{where}.filter", rule.filter))
    for node in journey.nodes:
        if node.type != "split":
            continue
        holdouts = [i for i, b in enumerate(node.branches) if b.holdout]
        for extra in holdouts[1:]:
            problems.append(Problem(node.id, f"branches[{extra}].holdout",
                                    "a split has at most one holdout branch"))
        if holdouts and len(holdouts) == len(node.branches):
            problems.append(Problem(node.id, "branches",
                                    "every branch is a holdout: one must send messages"))
        for i, branch in enumerate(node.branches):
            if len(branch.label) > MAX_LABEL_LENGTH:
                problems.append(Problem(node.id, f"branches[{i}].label",
                                        f"a label is at most {MAX_LABEL_LENGTH} characters"))
    return problems


def _filter_problems(fld: str, flt: Filter) -> Iterator[Problem]:
    """A goal's or exit rule's filter: field or property names, known operators."""
    from journey_desktop.domain.filters import OP_LABELS

    if flt.match not in ("all", "any"):
        yield _problem(None, f"{fld}.match", "match must be 'all' or 'any'")
    for i, condition in enumerate(flt.conditions):
        where = f"{fld}.conditions[{i}]"
        if condition.is_history:
            yield _problem(None, where, "a goal or exit rule cannot hold a history condition")
            continue
        if not condition.field.strip():
            yield _problem(None, f"{where}.field", "field is empty")
        if condition.op not in OP_LABELS:
            yield _problem(None, f"{where}.op", f"unknown operator {condition.op!r}")
