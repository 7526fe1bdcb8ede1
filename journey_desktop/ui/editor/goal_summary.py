"""The journey's goal and exit rules in words, for the line above the canvas (plain Python,
no Qt): "Goal: purchase within 7 days · exits on goal · Exit when: unsubscribed"."""

from __future__ import annotations

from journey_desktop.domain.goals import ExitRule, Goal
from journey_desktop.domain.journey import Journey
from journey_desktop.ui.editor.summary import event_with_filter, filter_text, plural

SEPARATOR = " · "
NO_GOAL = "No goal"


def goal_text(goal: Goal | None) -> str:
    """"Goal: purchase where total > 20 within 7 days · exits on goal", or "No goal"."""
    if goal is None:
        return NO_GOAL
    within = goal.within
    text = (f"Goal: {event_with_filter(goal.event.strip(), goal.filter)} "
            f"within {plural(within.value, within.unit)}")
    if goal.exit_on_goal:
        text += f"{SEPARATOR}exits on goal"
    return text


def exit_rule_text(rule: ExitRule) -> str:
    """"unsubscribed", "purchase where total > 20", "fields: plan equals premium"."""
    if rule.fields is not None:
        return f"fields: {filter_text(rule.fields) or '… (no condition yet)'}"
    return event_with_filter((rule.event or "").strip(), rule.filter)


def exit_rules_text(rules: list[ExitRule]) -> str:
    """"Exit when: unsubscribed or fields: plan equals premium"; "" without rules."""
    if not rules:
        return ""
    return "Exit when: " + " or ".join(exit_rule_text(rule) for rule in rules)


def header_text(journey: Journey) -> str:
    """The goal and the exit rules of a journey on one line."""
    parts = [goal_text(journey.goal)]
    rules = exit_rules_text(journey.exit_when)
    if rules:
        parts.append(rules)
    return SEPARATOR.join(parts)
