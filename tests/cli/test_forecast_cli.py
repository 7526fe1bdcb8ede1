"""``forecast JOURNEY --days N [--from ISO8601] [--json]`` as a script would use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import example_path

pytestmark = pytest.mark.both_databases

CSV = ("customerId,firstName,signupDate,plan\n"
       "A,Ann,2027-02-14,premium\nB,Bob,2027-02-13,basic\nC,Cy,2026-01-01,basic\n")


def draft_with_audience(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("create", str(example_path("welcome-series"))).out.strip() == "1"
    csv = tmp_path / "people.csv"
    csv.write_text(CSV, encoding="utf-8")
    assert cli("audience", "import", "1", str(csv)).code == 0


def test_json_output_follows_the_contract(cli, tmp_path):
    draft_with_audience(cli, tmp_path)
    result = cli("forecast", "Welcome series", "--days", "4", "--from",
                 "2027-02-15T09:00:00+01:00", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert [d["date"] for d in data["days"]] == ["2027-02-15", "2027-02-16", "2027-02-17",
                                                 "2027-02-18"]
    for day in data["days"]:
        assert {"date", "entered", "exited", "in_progress", "messages"} <= set(day)
    assert [(d["entered"], d["exited"], d["in_progress"]) for d in data["days"]] == [
        (2, 0, 2), (0, 0, 2), (0, 2, 0), (0, 0, 0)]
    assert data["days"][0]["messages"] == {"email": 2}
    assert data["totals"]["messages"] == {"push": 1, "email": 3}
    assert data["peak_day"] == "2027-02-15"
    assert data["journey"]["status"] == "draft"
    # Nothing was written: the draft has no runs and no messages.
    listed = {j["id"]: j for j in cli("list", "--json").json()}
    assert (listed[1]["status"], listed[1]["entered"], listed[1]["messages"]) == ("draft", 0, 0)


def test_table_output_with_a_customer_trace(cli, tmp_path):
    draft_with_audience(cli, tmp_path)
    result = cli("forecast", "1", "--days", "3", "--from", "2027-02-15T09:00:00+01:00",
                 "--customer", "A")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("forecast: Welcome series (draft), 3 days from ")
    assert lines[1].split() == ["date", "entered", "exited", "in", "progress", "push", "email"]
    assert lines[2].split() == ["2027-02-15", "2", "0", "2", "0", "2"]
    assert lines[5].split() == ["total", "2", "2", "0", "1", "3"]
    assert "peak day: 2027-02-15 (2 messages)" in lines
    assert "customer A:" in lines
    # Each message as the forecast rendered it for this customer.
    assert any(line.strip().endswith("welcome_email (email): 'Welcome aboard, Ann'")
               for line in lines)
    traced = cli("forecast", "1", "--days", "3", "--from", "2027-02-15T09:00:00+01:00",
                 "--customer", "A", "--json").json()["customer"]["trace"]
    assert [(s["node"], s.get("message")) for s in traced][:2] == [
        ("start", None), ("welcome_email", "Welcome aboard, Ann")]

    unknown = cli("forecast", "1", "--days", "3", "--customer", "nobody")
    assert "customer nobody: not in the journey's audience" in unknown.out


def test_bad_usage_is_one_line_and_exit_2(cli, tmp_path):
    draft_with_audience(cli, tmp_path)
    for args in (("forecast", "1", "--days", "0"), ("forecast", "nope", "--days", "3"),
                 ("forecast", "1", "--days", "3", "--from", "yesterday")):
        result = cli(*args)
        assert result.code == 2
        assert len(result.err.strip().splitlines()) == 1
        assert result.out == ""
