"""Validation and journey files of SPEC §11: entry on an event, wait_event, event data."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from journey_desktop.domain.journey import Journey, JourneyFileError
from journey_desktop.domain.validation import validate

BASE: dict[str, Any] = {
    "format": "journey-desktop/1", "name": "Cart",
    "nodes": [
        {"id": "start", "type": "entry",
         "event": {"name": "cart", "filter": {"match": "all", "conditions": [
             {"field": "cart.total", "op": "gt", "value": 10}]},
             "max_age": {"value": 2, "unit": "days"}, "who": "anyone"},
         "filter": {"match": "all", "conditions": [
             {"event": "purchase", "within_days": 30, "at_most": 0}]},
         "next": "wait_cart"},
        {"id": "wait_cart", "type": "wait_event", "event": "purchase", "same": "cartId",
         "filter": {"match": "all", "conditions": [{"field": "total", "op": "gt", "value": 0}]},
         "timeout": {"value": 1, "unit": "hours"}, "yes": "thanks", "no": "remind"},
        {"id": "thanks", "type": "message", "channel": "push", "title": "{{matched.total}}",
         "body": "b", "next": "end"},
        {"id": "remind", "type": "message", "channel": "push", "title": "{{event.cartId}}",
         "body": "b", "next": "end"},
        {"id": "end", "type": "exit"},
    ],
}


def problems(change=None) -> list[str]:
    data = copy.deepcopy(BASE)
    if change:
        change(data)
    return [str(p) for p in validate(Journey.from_dict(data)).errors]


def test_the_full_model_round_trips_and_is_valid():
    journey = Journey.from_dict(copy.deepcopy(BASE))
    assert Journey.from_file(journey.to_json()).to_dict() == journey.to_dict()
    assert journey.to_dict()["nodes"][0]["event"]["who"] == "anyone"
    assert journey.to_dict()["nodes"][1]["same"] == "cartId"
    assert problems() == []


def nodes(data):
    return {n["id"]: n for n in data["nodes"]}


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: nodes(d)["wait_cart"].update(timeout={"value": 0, "unit": "minutes"}),
     "wait_cart.timeout: must be at least 1 minute"),
    (lambda d: nodes(d)["start"]["event"].update(name=""),
     "start.event.name: is empty: name the event that starts the journey"),
    (lambda d: nodes(d)["start"].pop("event"),
     "wait_cart.same: compares with the event that started the run, but this journey does "
     "not start on an event"),
    (lambda d: nodes(d)["start"].pop("event"),
     "remind.title: {{event.cartId}} reads the event that started the run, but this journey "
     "does not start on an event"),
    (lambda d: nodes(d)["remind"].update(body="{{matched.total}}"),
     "remind.body: {{matched.total}} reads the event a wait for an event matched, but no "
     "such wait comes before this step on its 'yes' path"),
    (lambda d: nodes(d)["start"]["filter"]["conditions"][0].update(at_most=1.5),
     "start.filter.conditions[0].at_most: must be a whole number of events from 0 to "
     "1,000,000, not 1.5"),
    (lambda d: nodes(d)["start"]["filter"]["conditions"][0].update(within_days=0),
     "start.filter.conditions[0].within_days: must be a whole number of days from 1 to "
     "3,650, not 0"),
    (lambda d: nodes(d)["wait_cart"].update(event=""),
     "wait_cart.event: is empty: name the event to wait for"),
])
def test_problems_name_their_node_and_field(change, expected):
    assert expected in problems(change)


def test_a_wrong_who_is_refused_in_words():
    data = copy.deepcopy(BASE)
    nodes(data)["start"]["event"]["who"] = "everyone"
    with pytest.raises(JourneyFileError, match=r"nodes\[0\].event.who: expected \"audience\""):
        Journey.from_dict(data)
