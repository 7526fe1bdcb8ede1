"""``policy show|set|clear`` (SPEC §13) and what the policy does to ``tick`` and ``stats``."""

from __future__ import annotations

import json

import pytest

from journey_desktop.store import close_store
from tests.store.evaluator_support import activate
from tests.store.test_evaluator_policy import NY_CUSTOMER, at, journey

pytestmark = pytest.mark.both_databases

def test_set_show_clear_round_trip(cli):
    assert cli("policy", "show", "--json").json() == {
        "timezone_field": None, "quiet_hours": [], "caps": [], "rate_limits": []}
    result = cli("policy", "set", "--timezone-field", "tz", "--quiet", "21:00-09:00",
                 "--channel", "push", "--quiet-action", "skip",
                 "--cap", "any:3/1d", "--cap", "email:1/week")
    assert result.code == 0, result.err
    assert cli("policy", "set", "--rate", "600/min").code == 0
    shown = cli("policy", "show", "--json").json()
    assert shown == {
        "timezone_field": "tz",
        "quiet_hours": [{"channel": "push", "window": "21:00-09:00", "action": "skip"}],
        "caps": [{"channel": "any", "max": 3, "per": {"value": 1, "unit": "days"}},
                 {"channel": "email", "max": 1, "per": "calendar week"}],
        "rate_limits": [{"channel": "any", "per_minute": 600}],
    }
    assert cli("policy", "show").out.splitlines() == [
        "timezone field: tz",
        "quiet: 21:00-09:00 channel push (skip)",
        "cap: any:3/1d",
        "cap: email:1/week",
        "rate: 600/min channel any",
    ]
    # Quiet hours of another channel are added; caps given again replace the caps.
    cli("policy", "set", "--quiet", "22:00-08:00", "--cap", "sms:2/12h")
    shown = cli("policy", "show", "--json").json()
    assert [q["channel"] for q in shown["quiet_hours"]] == ["push", "any"]
    assert shown["caps"] == [{"channel": "sms", "max": 2, "per": {"value": 12,
                                                                  "unit": "hours"}}]
    assert cli("policy", "clear").code == 0
    assert cli("policy", "show", "--json").json()["caps"] == []


def test_bad_policy_values_are_one_line_and_exit_2(cli):
    for args, words in ((("--quiet", "21:00-25:00"), "is not a time HH:MM"),
                        (("--cap", "any:0/1d"), "the maximum is at least 1"),
                        (("--cap", "fax:1/1d"), "unknown channel 'fax'"),
                        (("--rate", "ten/min"), "is not N/min"),
                        ((), "give --timezone-field, --quiet, --cap or --rate")):
        result = cli("policy", "set", *args)
        assert result.code == 2, args
        assert words in result.err and result.err.count("\n") == 1
    assert cli("policy", "set", "--quiet", "21:00-09:00", "--quiet-action", "drop").code == 2


def test_tick_and_stats_report_held_and_suppressed(repo, cli):
    late = at(2027, 1, 5, 23)
    activate(repo, journey("Night push"), NY_CUSTOMER, late)
    close_store()
    assert cli("policy", "set", "--timezone-field", "tz", "--quiet", "21:00-09:00").code == 0
    result = cli("tick", "--now", "2027-01-05T23:00:00-05:00")
    assert "held: 1" in result.out
    data = cli("stats", "Night push", "--json").json()
    assert (data["held"], data["suppressed"], data["messages"]) == (1, {}, {"push": 1})
    cli("policy", "set", "--quiet", "21:00-09:00", "--quiet-action", "skip")
    assert json.loads(cli("policy", "show", "--json").out)["quiet_hours"][0]["action"] == "skip"
    cli("tick", "--now", "2027-01-06T09:00:00-05:00")
    data = cli("stats", "Night push", "--json").json()
    assert (data["held"], data["suppressed"]) == (0, {})
    assert "held" not in cli("stats", "Night push").out
