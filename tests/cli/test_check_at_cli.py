"""``activate --check-at`` (SPEC §3, §7): set, kept from the stored options when not given,
switched off, refused in words where it cannot be kept; ``export`` writes it only when set."""

from __future__ import annotations

import json

import pytest

from tests.conftest import example_path

pytestmark = pytest.mark.both_databases


def test_activate_with_check_at_is_stored_and_exported(cli):
    cli("create", str(example_path("birthday")))
    result = cli("activate", "Birthday greetings", "--check-at", "9:00")
    assert result.code == 0, result.err
    assert "checked again once a day at 09:00." in result.out
    exported = json.loads(cli("export", "Birthday greetings").out)
    assert exported["activation"] == {"allow_reentry": True, "max_entries": None,
                                      "timeout": {"value": 1, "unit": "days"},
                                      "check_at": "09:00"}


def test_check_at_not_given_comes_from_the_journey_file_and_off_clears_it(cli, tmp_path):
    document = json.loads(example_path("birthday").read_text(encoding="utf-8"))
    document["activation"]["check_at"] = "08:30"
    path = tmp_path / "birthday.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    first = cli("create", str(path)).out.strip()
    document["name"] = "Without"
    path.write_text(json.dumps(document), encoding="utf-8")
    second = cli("create", str(path)).out.strip()
    assert cli("activate", first, "--max-entries", "5").code == 0
    assert json.loads(cli("export", first).out)["activation"]["check_at"] == "08:30"
    assert cli("activate", second, "--check-at", "off").code == 0
    assert "check_at" not in json.loads(cli("export", second).out)["activation"]


def test_check_at_is_refused_where_it_cannot_be_kept(cli):
    cli("create", str(example_path("birthday")))
    hours = cli("activate", "Birthday greetings", "--check-at", "09:00", "--timeout", "12h")
    assert hours.code == 1
    assert ("activation.check_at: needs a minimum time between entries of whole days"
            in hours.out)
    once = cli("activate", "Birthday greetings", "--check-at", "09:00", "--no-reentry")
    assert once.code == 1 and "activation.check_at: needs re-entry" in once.out
    bad = cli("activate", "Birthday greetings", "--check-at", "25:00")
    assert bad.code == 2 and "use HH:MM (00:00-23:59), like 09:00, or off" in bad.err
    assert cli("list", "--json").json()[0]["status"] == "draft"


def test_stats_json_says_what_is_coming_at_each_wait(cli, tmp_path):
    import datetime as dt

    cli("create", str(example_path("welcome-series")))
    audience = tmp_path / "audience.csv"
    audience.write_text("customerId,firstName,plan,signupDate\nw1,W,basic,2026-11-30\n"
                        "w2,V,premium,2026-11-30\n", encoding="utf-8")
    assert cli("audience", "import", "Welcome series", str(audience)).code == 0
    assert cli("activate", "Welcome series").code == 0
    # Tomorrow at 10:00 local time, as the evaluator's: after the activation, always.
    day = dt.date.today() + dt.timedelta(days=1)
    now = dt.datetime.combine(day, dt.time(10, 0)).astimezone()
    assert cli("tick", "--now", now.isoformat()).code == 0
    # "2 days, then at 09:00" from 10:00: three days later at 09:00, local time.
    due = dt.datetime.combine(day + dt.timedelta(days=3), dt.time(9, 0)).astimezone()
    due = due.isoformat()
    waiting = cli("stats", "Welcome series", "--json").json()["waiting"]
    assert waiting == {"wait_two_days": {"count": 2, "next_due": due, "next_count": 2}}
