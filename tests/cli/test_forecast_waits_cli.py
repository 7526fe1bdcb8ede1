"""``forecast … --events FILE --customer ID``: the trace says what each ``wait_event`` did
(SPEC §11: "the customer trace shows waits, matches and timeouts")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.both_databases

CART = {
    "format": "journey-desktop/1", "name": "Cart",
    "nodes": [
        {"id": "start", "type": "entry", "event": {"name": "cart", "who": "anyone"},
         "next": "wait_buy"},
        {"id": "wait_buy", "type": "wait_event", "event": "purchase",
         "timeout": {"value": 1, "unit": "hours"}, "same": "cartId", "yes": "thanks",
         "no": "remind"},
        {"id": "thanks", "type": "message", "channel": "sms", "body": "Thanks", "next": "end"},
        {"id": "remind", "type": "message", "channel": "sms", "body": "Your cart",
         "next": "end"},
        {"id": "end", "type": "exit"},
    ],
}
FROM = "2027-02-15T09:00:00+00:00"


def cart_draft(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    journey = tmp_path / "cart.json"
    journey.write_text(json.dumps(CART), encoding="utf-8")
    assert cli("create", str(journey)).code == 0
    lines = [
        ("f1", "cart", "2027-02-16T10:00:00+00:00", "c1"),
        ("f1", "purchase", "2027-02-16T10:20:00+00:00", "c1"),
        ("f2", "cart", "2027-02-16T10:00:00+00:00", "c2"),
        ("f2", "purchase", "2027-02-16T10:30:00+00:00", "another"),
        ("f3", "cart", "2027-02-18T23:30:00+00:00", "c3"),
    ]
    events = tmp_path / "fe.jsonl"
    events.write_text("".join(
        json.dumps({"userId": user, "event": name, "timestamp": at,
                    "properties": {"cartId": cart}}) + "\n"
        for user, name, at, cart in lines), encoding="utf-8")
    return events


def trace(cli, events: Path, customer: str) -> list[str]:  # type: ignore[no-untyped-def]
    result = cli("forecast", "Cart", "--days", "4", "--from", FROM, "--events", str(events),
                 "--customer", customer)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    at = lines.index(f"customer {customer}:")
    return [" ".join(line.split()) for line in lines[at + 1:]]


def test_the_trace_says_what_each_wait_did(cli, tmp_path):
    events = cart_draft(cli, tmp_path)
    assert trace(cli, events, "f1") == [
        "2027-02-16 10:00 entry 1 start (entry)",
        "2027-02-16 10:00 entry 1 wait_buy (wait_event): matched purchase at 2027-02-16 10:20",
        "2027-02-16 10:20 entry 1 thanks (sms): 'Thanks'",
        "2027-02-16 10:20 entry 1 end (exit)"]
    assert trace(cli, events, "f2") == [  # another cart's purchase does not match
        "2027-02-16 10:00 entry 1 start (entry)",
        "2027-02-16 10:00 entry 1 wait_buy (wait_event): timed out at 2027-02-16 11:00",
        "2027-02-16 11:00 entry 1 remind (sms): 'Your cart'",
        "2027-02-16 11:00 entry 1 end (exit)"]
    assert trace(cli, events, "f3") == [  # the deadline comes after the forecast's end
        "2027-02-18 23:30 entry 1 start (entry)",
        "2027-02-18 23:30 entry 1 wait_buy (wait_event): waiting for purchase until"
        " 2027-02-19 00:30"]


def test_the_json_trace_has_each_wait_outcome(cli, tmp_path):
    events = cart_draft(cli, tmp_path)
    result = cli("forecast", "Cart", "--days", "4", "--from", FROM, "--events", str(events),
                 "--customer", "f2", "--json")
    assert result.code == 0, result.err
    steps = result.json()["customer"]["trace"]
    assert [step.get("wait") for step in steps] == [
        None, {"outcome": "timed_out", "event": "purchase", "time": "2027-02-16T11:00:00+00:00"},
        None, None]
