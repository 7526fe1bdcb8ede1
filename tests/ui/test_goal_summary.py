"""The goal and exit rules in words, as the line above the canvas says them (no Qt)."""

from __future__ import annotations

from journey_desktop.domain.goals import ExitRule, Goal
from journey_desktop.domain.journey import (
    Branch,
    Condition,
    Duration,
    Filter,
    Node,
    minimal_journey,
)
from journey_desktop.ui.editor.goal_summary import exit_rule_text, goal_text, header_text
from journey_desktop.ui.editor.summary import connection_label, node_summary


def _journey(goal: Goal | None, rules: list[ExitRule]):  # type: ignore[no-untyped-def]
    journey = minimal_journey("Goals")
    journey.goal = goal
    journey.exit_when = rules
    return journey


def test_no_goal_and_no_rules():
    assert header_text(_journey(None, [])) == "No goal"


def test_a_goal_that_ends_runs_and_one_exit_rule():
    goal = Goal("purchase", Duration(7, "days"), exit_on_goal=True)
    assert header_text(_journey(goal, [ExitRule(event="unsubscribed")])) == (
        "Goal: purchase within 7 days · exits on goal · Exit when: unsubscribed")


def test_a_goal_with_a_filter_within_one_hour_that_keeps_runs():
    goal = Goal("purchase", Duration(1, "hours"),
                filter=Filter("all", [Condition("total", "gt", 20)]))
    assert goal_text(goal) == "Goal: purchase where total > 20 within 1 hour"


def test_exit_rules_without_a_goal_event_and_field_rules():
    rules = [ExitRule(event="unsubscribed"),
             ExitRule(event="purchase", filter=Filter("any", [
                 Condition("total", "gt", 100), Condition("coupon", "is_set")])),
             ExitRule(fields=Filter("all", [Condition("plan", "equals", "premium")]))]
    assert header_text(_journey(None, rules)) == (
        "No goal · Exit when: unsubscribed or purchase where total > 100 or coupon is set"
        " or fields: plan equals premium")


def test_rules_not_filled_in_yet_say_so():
    assert goal_text(Goal("", Duration(2, "days"))) == "Goal: … (no event yet) within 2 days"
    assert exit_rule_text(ExitRule(event="")) == "… (no event yet)"
    assert exit_rule_text(ExitRule(fields=Filter())) == "fields: … (no condition yet)"


def test_split_branches_name_their_label_and_the_control_group():
    split = Node("ab", "split", branches=[Branch(45, "a", label="Variant A"),
                                          Branch(45, "b"), Branch(10, None, holdout=True)])
    assert node_summary(split) == "Split Variant A\u00a045\u00a0% / 45 % / Control\u00a010\u00a0%"
    assert connection_label(split, "branches[0].next") == "Variant A\u00a045\u00a0%"
    assert connection_label(split, "branches[0].next", with_label=False) == "45 %"
    assert connection_label(split, "branches[2].next") == "Control\u00a010\u00a0%"
