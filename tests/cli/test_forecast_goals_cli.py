"""``forecast … --events FILE`` of a journey with a goal and exit rules: conversions and the
exits by goal and by rule, per day, in the JSON and in the text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.both_databases

JOURNEY = {
    "format": "journey-desktop/1", "name": "Goal",
    "nodes": [
        {"id": "start", "type": "entry", "next": "hi"},
        {"id": "hi", "type": "message", "channel": "push", "title": "Hi", "body": "b",
         "next": "pause"},
        {"id": "pause", "type": "wait", "duration": {"value": 10, "unit": "days"},
         "next": "end"},
        {"id": "end", "type": "exit"},
    ],
    "goal": {"event": "purchase", "within": {"value": 7, "unit": "days"}},
    "exit_when": [{"event": "unsubscribed"}, {"event": "unsubscribed", "filter": {
        "match": "all", "conditions": [{"field": "why", "op": "equals", "value": "spam"}]}}],
}
FROM = "2027-02-15T09:00:00+01:00"
DAY2 = "2027-02-16T12:00:00+01:00"
DAY3 = "2027-02-17T12:00:00+01:00"


def goal_draft(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    journey = tmp_path / "goal.json"
    journey.write_text(json.dumps(JOURNEY), encoding="utf-8")
    assert cli("create", str(journey)).code == 0
    csv = tmp_path / "people.csv"
    csv.write_text("customerId\nA\nB\nC\nD\n", encoding="utf-8")
    assert cli("audience", "import", "Goal", str(csv)).code == 0
    events = tmp_path / "events.csv"
    events.write_text(
        "userId,event,timestamp,why\n"
        f"A,purchase,{DAY2},\nB,purchase,{DAY2},\nB,purchase,{DAY3},\n"
        f"C,unsubscribed,{DAY3},spam\n", encoding="utf-8")


def test_json_days_have_conversions_and_exits_by_rule(cli, tmp_path):
    goal_draft(cli, tmp_path)
    result = cli("forecast", "Goal", "--days", "4", "--from", FROM, "--json",
                 "--events", str(tmp_path / "events.csv"))
    assert result.code == 0, result.err
    data = result.json()
    assert [d["conversions"] for d in data["days"]] == [0, 2, 0, 0]
    assert [d["exits"] for d in data["days"]] == [
        {"goal": 0, "event:unsubscribed": 0, "event:unsubscribed#2": 0}] * 2 + [
        {"goal": 0, "event:unsubscribed": 1, "event:unsubscribed#2": 0},
        {"goal": 0, "event:unsubscribed": 0, "event:unsubscribed#2": 0}]
    assert data["totals"]["conversions"] == 2
    assert [d["exited"] for d in data["days"]] == [0, 0, 1, 0]


def test_text_shows_the_goal_table_for_a_journey_with_a_goal(cli, tmp_path):
    goal_draft(cli, tmp_path)
    result = cli("forecast", "Goal", "--days", "4", "--from", FROM,
                 "--events", str(tmp_path / "events.csv"))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    at = lines.index("conversions, and runs ended by the goal and by each exit rule:")
    assert lines[at + 1].split() == ["date", "conversions", "goal", "event:unsubscribed",
                                     "event:unsubscribed#2"]
    assert lines[at + 3].split() == ["2027-02-16", "2", "0", "0", "0"]
    assert lines[at + 4].split() == ["2027-02-17", "0", "0", "1", "0"]
    assert lines[at + 6].split() == ["total", "2", "0", "1", "0"]


def test_text_has_no_goal_table_without_a_goal(cli, tmp_path):
    journey = tmp_path / "plain.json"
    journey.write_text(json.dumps({k: v for k, v in JOURNEY.items()
                                   if k not in ("goal", "exit_when")}), encoding="utf-8")
    assert cli("create", str(journey)).code == 0
    result = cli("forecast", "1", "--days", "2", "--from", FROM)
    assert result.code == 0, result.err
    assert "conversions" not in result.out
