"""``forecast JOURNEY --days N --collisions [N] [--json]``: the collision report as a script
and a person read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.store.collisions_support import JOURNEYS

pytestmark = pytest.mark.both_databases

FROM = ("--from", "2027-02-15T09:00:00+01:00")


def setup(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The five journeys of collisions_support, made, imported, activated as a user would."""
    for name, (data, audience) in JOURNEYS.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        assert cli("create", str(path)).code == 0
        csv = tmp_path / f"{name}.csv"
        csv.write_text("customerId,firstName\n" + "".join(f"{e},{e}\n" for e in audience),
                       encoding="utf-8")
        assert cli("audience", "import", name, str(csv)).code == 0
    for name in ("Promo", "Reminder", "Old"):
        assert cli("activate", name).code == 0
    assert cli("deactivate", "Old", "--yes").code == 0


def test_json_lists_the_collisions_and_keeps_every_key(cli, tmp_path):
    setup(cli, tmp_path)
    plain = cli("forecast", "Forecast me", "--days", "3", *FROM, "--json")
    result = cli("forecast", "Forecast me", "--days", "3", *FROM, "--collisions", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["collisions"] == [
        {"customerId": "A", "date": "2027-02-15", "messages": 3,
         "journeys": ["Forecast me", "Promo"]},
        {"customerId": "B", "date": "2027-02-15", "messages": 3,
         "journeys": ["Forecast me", "Promo"]},
        {"customerId": "E", "date": "2027-02-15", "messages": 2, "journeys": ["Promo"]},
        {"customerId": "A", "date": "2027-02-16", "messages": 2,
         "journeys": ["Forecast me", "Reminder"]},
        {"customerId": "C", "date": "2027-02-16", "messages": 2,
         "journeys": ["Forecast me", "Reminder"]},
    ]
    assert data["collisions_per_day"] == [{"date": "2027-02-15", "customers": 3},
                                          {"date": "2027-02-16", "customers": 2},
                                          {"date": "2027-02-17", "customers": 0}]
    assert data["collision_limit"] == 1
    assert data["collision_journeys"] == ["Forecast me", "Promo", "Reminder"]
    # Without --collisions the output is as before; with it, only keys are added.
    assert plain.code == 0
    before = plain.json()
    assert "collisions" not in before
    assert {k: v for k, v in data.items() if not k.startswith("collision")} == before

    higher = cli("forecast", "Forecast me", "--days", "3", *FROM, "--collisions", "2",
                 "--json").json()
    assert [(c["customerId"], c["date"]) for c in higher["collisions"]] == [
        ("A", "2027-02-15"), ("B", "2027-02-15")]
    # Still nothing written: the draft has no runs, the active ones no messages.
    listed = {j["name"]: j for j in cli("list", "--json").json()}
    assert all(j["messages"] == 0 and j["entered"] == 0 for j in listed.values())


def test_plain_text_prints_the_top_ones(cli, tmp_path):
    setup(cli, tmp_path)
    result = cli("forecast", "Forecast me", "--days", "3", *FROM, "--collisions")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    start = lines.index("collisions with the active journeys (Forecast me, Promo, Reminder):")
    assert lines[start + 1].strip() == ("4 customers would get more than 1 message on one "
                                        "day across 3 journeys (5 customer-days on 2 days).")
    assert lines[start + 2].strip() == "per day: 2027-02-15 3, 2027-02-16 2"
    assert lines[start + 3].split() == ["customer", "date", "messages", "journeys"]
    assert lines[start + 4].split() == ["A", "2027-02-15", "3", "Forecast", "me,", "Promo"]
    assert lines[start + 6].split() == ["E", "2027-02-15", "2", "Promo"]
    assert len(lines) == start + 9
    plain = cli("forecast", "Forecast me", "--days", "3", *FROM)
    assert plain.out == result.out[:len(plain.out)]
    assert "collisions" not in plain.out


def test_bad_limit_is_one_line_and_exit_2(cli, tmp_path):
    setup(cli, tmp_path)
    for value in ("0", "many"):
        result = cli("forecast", "Forecast me", "--days", "3", "--collisions", value)
        assert result.code == 2
        assert len(result.err.strip().splitlines()) == 1
        assert result.out == ""
