"""``journey-desktop customers show``: a customer's fields, journeys and timeline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import example_path

pytestmark = pytest.mark.both_databases

def _after(**delta: float) -> str:
    """An instant after activation (which uses the clock), for ``tick --now``."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat(timespec="seconds")


@pytest.fixture
def journeys(cli, tmp_path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Two active journeys sharing customer C-1, one tick run: runs and messages exist."""
    audience = tmp_path / "audience.csv"
    today = dt.date.today()
    audience.write_text("customerId,firstName,offersOptIn,signupDate,plan\n"
                        f"C-1,Ann,yes,{today},premium\nC-2,Bob,no,2001-01-01,basic\n",
                        encoding="utf-8")
    ids = []
    for name in ("daily-promotion", "welcome-series"):
        journey = cli("create", str(example_path(name))).out.strip()
        assert cli("audience", "import", journey, str(audience)).code == 0
        assert cli("activate", journey).code == 0
        ids.append(journey)
    assert cli("tick", "--now", _after(minutes=1)).code == 0
    assert cli("tick", "--now", _after(days=1, minutes=1)).code == 0
    return ids


def test_show_json_has_the_spec_keys(  # type: ignore[no-untyped-def]
        cli, journeys: list[str]) -> None:
    result = cli("customers", "show", "C-1", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["id"] == "C-1"
    assert data["fields"] == {"firstName": "Ann", "offersOptIn": "yes",
                              "signupDate": dt.date.today().isoformat(), "plan": "premium"}
    assert [(j["id"], j["name"], j["entries"]) for j in data["journeys"]] == [
        (int(journeys[0]), "Seven-day discount week", 2), (int(journeys[1]), "Welcome series", 1)]
    assert {"id", "name", "entries"} <= set(data["journeys"][0])
    runs = data["runs"]
    assert [(r["journey"], r["entry"]) for r in runs] == [
        (int(journeys[0]), 1), (int(journeys[1]), 1), (int(journeys[0]), 2)]
    messages = data["messages"]
    assert [m["due_at"] for m in messages] == sorted(m["due_at"] for m in messages)
    assert {"journey", "node", "channel", "title", "due_at"} <= set(messages[0])
    assert messages[0]["title"] == "Today's deal for you, Ann"


def test_show_text_lists_fields_journeys_then_timeline(  # type: ignore[no-untyped-def]
        cli, journeys: list[str]) -> None:
    result = cli("customers", "show", "C-2")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "customer C-2"
    assert lines.index("fields:") < lines.index("journeys:") < lines.index("timeline:")
    assert "  firstName    Bob" in lines
    assert any("Seven-day discount week (active), entries: 0" in line for line in lines)
    assert any("Welcome series (active), entries: 0" in line for line in lines)
    assert lines[-1] == "  (no events, runs or messages yet)"


def test_show_unknown_customer_is_a_no(  # type: ignore[no-untyped-def]
        cli, journeys: list[str]) -> None:
    result = cli("customers", "show", "c-1")
    assert result.code == 1
    assert result.out == ""
    assert result.err == "journey-desktop: no customer with ID 'c-1'\n"


def test_show_needs_an_id(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("customers", "show")
    assert result.code == 2
    assert "ID" in result.err


def _journey(tmp_path: Path, name: str, audience: str, title: str) -> str:
    """A journey file whose push title is ``title``, its entry filtered on firstName."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({
        "format": "journey-desktop/1", "name": name, "audience": audience,
        "nodes": [
            {"id": "start", "type": "entry", "next": "greet",
             "filter": {"match": "all", "conditions": [
                 {"field": "firstName", "op": "is_set", "value": None}]}},
            {"id": "greet", "type": "message", "channel": "push", "title": title,
             "body": "Hello", "next": "end"},
            {"id": "end", "type": "exit"},
        ],
    }), encoding="utf-8")
    return str(path)


def _csv(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_validate_knows_the_fields_of_customers_imported_alone(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path) -> None:
    assert cli("customers", "import", _csv(tmp_path, "prof.csv", "customerId,firstName\n"
                                                              "c1,Ann\n")).code == 0
    title = "Hi {{firstName|there}} {{nickname}}"
    for name, audience in (("J1", "csv"), ("Everyone", "all")):
        assert cli("create", _journey(tmp_path, name, audience, title)).code == 0
    assert cli("audience", "import", "J1", _csv(tmp_path, "a2.csv", "customerId,score\n"
                                                                   "c1,5\n")).code == 0
    for name in ("J1", "Everyone"):
        result = cli("validate", name)
        assert result.code == 0, result.err
        # firstName is a field of the customer base: only nickname, known nowhere, warns.
        assert result.out.splitlines() == [
            "warning: greet.title: placeholder {{nickname}} is not a known customer field"]


def test_show_lists_every_journey_for_everyone_draft_or_active(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path) -> None:
    assert cli("customers", "import", _csv(tmp_path, "prof.csv", "customerId,firstName\n"
                                                              "c1,Ann\n")).code == 0
    ids = {name: cli("create", _journey(tmp_path, name, "all", "Hi")).out.strip()
           for name in ("Draft for all", "Active for all", "Gone for all")}
    assert cli("activate", ids["Active for all"]).code == 0
    assert cli("activate", ids["Gone for all"]).code == 0
    assert cli("deactivate", ids["Gone for all"], "--yes").code == 0
    # Imported after the activations: in the active one, never in the deactivated one.
    assert cli("customers", "import", _csv(tmp_path, "late.csv", "customerId,firstName\n"
                                                              "c2,Bob\n")).code == 0
    listed = {row["name"]: row["audience"] for row in cli("list", "--json").json()}
    assert listed == {"Draft for all": 2, "Active for all": 2, "Gone for all": 1}
    for customer in ("c1", "c2"):
        shown = cli("customers", "show", customer, "--json").json()
        assert [(j["name"], j["status"], j["entries"]) for j in shown["journeys"]] == [
            ("Active for all", "active", 0), ("Draft for all", "draft", 0)] + (
            [("Gone for all", "deactivated", 0)] if customer == "c1" else [])
    lines = cli("customers", "show", "c2").out.splitlines()
    assert f"  {ids['Draft for all']}  Draft for all (draft), entries: 0, " \
           "next check when activated" in lines


@pytest.mark.parametrize("customer_id", ["", "   "])
def test_show_an_empty_id_is_bad_usage(cli, customer_id: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("customers", "show", customer_id)
    assert result.code == 2
    assert result.out == ""
    assert result.err == "journey-desktop: the customer ID is empty\n"


def test_show_a_customer_known_by_events_alone(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Events need no profile (SPEC §11): a customer with events and no profile is shown
    with no fields and their events, not refused as unknown."""
    events = tmp_path / "events.jsonl"
    events.write_text('{"userId": "u9", "event": "view", "timestamp": 1767225600,'
                      ' "properties": {"page": "home"}}\n', encoding="utf-8")
    assert cli("events", "import", str(events)).code == 0
    shown = cli("customers", "show", "u9", "--json")
    assert shown.code == 0, shown.err
    data = shown.json()
    assert (data["id"], data["fields"], data["journeys"]) == ("u9", {}, [])
    assert [(e["name"], e["properties"]) for e in data["events"]] == [("view", {"page": "home"})]
    text = cli("customers", "show", "u9").out
    assert "no profile: known by their events only" in text and "view" in text
    assert cli("customers", "show", "u8").code == 1


def test_show_writes_a_value_with_line_breaks_on_its_own_line(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_bytes(b'customerId,note,city\r\nC-9,"line one\nline two\rend",Lyon\r\n')
    assert cli("customers", "import", str(customers)).code == 0

    result = cli("customers", "show", "C-9")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    fields = lines[lines.index("fields:") + 1:lines.index("journeys:")]
    assert fields == ["  note  line one\\nline two\\rend", "  city  Lyon"]
    # The value itself is kept as written.
    assert cli("customers", "show", "C-9", "--json").json()["fields"]["note"] == (
        "line one\nline two\rend")
