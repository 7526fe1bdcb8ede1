"""The forecast's goal figures, pure: the exit rules' keys, conversions inside the window,
the goal's and each rule's exits on their day."""

from __future__ import annotations

from journey_desktop.domain import forecast as rules
from journey_desktop.domain.forecast_goals import add_goal_figures, goal_keys
from journey_desktop.domain.journey import Journey
from tests.domain.test_forecast import MADRID, at

PLAN = {"match": "all", "conditions": [{"field": "plan", "op": "equals", "value": "x"}]}


def journey(goal: bool, exits: list[dict]) -> Journey:
    data: dict = {"format": "journey-desktop/1", "name": "J", "nodes": [
        {"id": "start", "type": "entry", "next": "end"}, {"id": "end", "type": "exit"}],
        "exit_when": exits}
    if goal:
        data["goal"] = {"event": "purchase", "within": {"value": 1, "unit": "days"}}
    return Journey.from_dict(data)


def test_keys_are_stable_readable_and_unique():
    exits = [{"event": "unsubscribed"}, {"fields": PLAN}, {"event": "unsubscribed"},
             {"event": "complaint"}, {"fields": PLAN}]
    assert goal_keys(journey(True, exits)) == [
        "goal", "event:unsubscribed", "fields", "event:unsubscribed#2", "event:complaint",
        "fields#2"]
    assert goal_keys(journey(False, [{"event": "bounce"}])) == ["event:bounce"]
    assert goal_keys(journey(False, [])) == []


def test_figures_fall_on_their_day_and_conversions_before_the_start_do_not_count():
    bounds = rules.day_bounds(at(2027, 2, 10), 3, MADRID)
    days = rules.build_days(bounds, entered=[], exited=[], messages=[], in_progress=[0] * 3)
    keys = ["goal", "event:unsubscribed", "fields"]
    add_goal_figures(
        days, bounds, keys,
        conversions=[(at(2027, 2, 9, 23), 4), (at(2027, 2, 10, 23, 59), 2),
                     (at(2027, 2, 12, 8), 1), (at(2027, 2, 13, 0), 7)],
        goal_exits=[(at(2027, 2, 11, 10), 3)],
        rule_exits=[(0, 1, 5), (2, 0, 1), (2, 1, 2)],
    )
    assert [d.conversions for d in days] == [2, 0, 1]
    assert [d.exits for d in days] == [
        {"goal": 0, "event:unsubscribed": 0, "fields": 5},
        {"goal": 3, "event:unsubscribed": 0, "fields": 0},
        {"goal": 0, "event:unsubscribed": 1, "fields": 2}]
    totals = rules.totals_of(days)
    assert totals.conversions == 3
    assert totals.exits == {"goal": 3, "event:unsubscribed": 1, "fields": 7}


def test_without_a_goal_rule_indexes_start_at_the_first_key():
    bounds = rules.day_bounds(at(2027, 2, 10), 1, MADRID)
    days = rules.build_days(bounds, entered=[], exited=[], messages=[], in_progress=[0])
    add_goal_figures(days, bounds, ["event:bounce"], conversions=[],
                     goal_exits=[(at(2027, 2, 10, 12), 9)], rule_exits=[(0, 0, 4)])
    assert days[0].exits == {"event:bounce": 4}
