"""``journey-desktop events import`` (SPEC §7, §11): counts, exit statuses, rejects, and the
events in ``customers show``."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from journey_desktop.domain.engine import local_datetime
from tests.cli.test_audience_cli import assert_every_third_b_said_and_saved

pytestmark = pytest.mark.both_databases

T0 = 1740819600  # 2025-03-01T09:00:00Z


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def counts(out: str) -> dict[str, int]:
    return {name: int(value) for name, value in (line.split(": ") for line in out.splitlines())}


def test_import_prints_the_counts_and_a_second_import_finds_duplicates(cli, tmp_path):
    path = write(tmp_path, "events.jsonl", "".join(json.dumps(e) + "\n" for e in [
        {"userId": "C1", "event": "add_to_cart", "timestamp": T0, "messageId": "a1",
         "properties": {"cartId": "k1", "cart": {"total": 30}}},
        {"userId": "C1", "event": "purchase", "timestamp": "2025-03-01T10:00:00Z",
         "messageId": "a2"},
    ]))
    first = cli("events", "import", str(path))
    assert (first.code, counts(first.out)) == (0, {"read": 2, "added": 2, "duplicates": 0,
                                                   "rejected": 0})
    again = cli("events", "import", str(path))
    assert (again.code, counts(again.out)) == (0, {"read": 2, "added": 0, "duplicates": 2,
                                                   "rejected": 0})


def test_rejected_lines_exit_1_and_are_written_to_the_rejects_file(cli, tmp_path):
    path = write(tmp_path, "events.csv", "userId,event,timestamp\n"
                 f"C1,view,{T0}\nC2,view,2200-01-01T00:00:00Z\n,view,{T0}\n")
    rejects = tmp_path / "rejects.csv"
    result = cli("events", "import", str(path), "--rejects", str(rejects))
    assert result.code == 1
    assert counts(result.out) == {"read": 3, "added": 1, "duplicates": 0, "rejected": 2}
    assert result.err.splitlines() == [
        "line 3: timestamp 2200-01-01T00:00:00Z is after 2099 (microseconds, or a typing "
        "error?)",
        "line 4: no customer ID",
    ]
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [row[:3] for row in rows] == [["line", "reason", "userId"], ["3", rows[1][1], "C2"],
                                         ["4", "no customer ID", ""]]


def test_nothing_importable_exits_2_and_stores_nothing(cli, tmp_path):
    path = write(tmp_path, "events.csv", "userId,event,timestamp\nC1,,1\nC2,view,never\n")
    result = cli("events", "import", str(path))
    assert result.code == 2
    assert counts(result.out)["added"] == 0
    assert result.err.splitlines()[-1] == (
        "nothing was imported: all 2 rows were rejected; no event was stored")


def test_a_file_that_is_not_events_is_one_line(cli, tmp_path):
    path = write(tmp_path, "customers.csv", "customerId,city\nC1,Madrid\n")
    result = cli("events", "import", str(path))
    assert result.code == 2 and result.out == ""
    assert result.err == (f"journey-desktop: {path}: This looks like a list of customers "
                          "(column customerId, no event or timestamp), not events: import it "
                          "with Import customers… or Import audience… (journey-desktop "
                          "customers import, audience import).\n")


def test_rejects_path_is_checked_before_importing(cli, tmp_path, data_dir, store_url):
    path = write(tmp_path, "events.csv", f"userId,event,timestamp\nC1,view,{T0}\n,x,1\n")
    if store_url is None:  # a team database has no file to overwrite
        onto_db = cli("events", "import", str(path), "--rejects", str(data_dir / "journeys.db"))
        assert onto_db.code == 2 and "open database" in onto_db.err
    onto_source = cli("events", "import", str(path), "--rejects", str(path))
    assert onto_source.code == 2 and "is the file being imported" in onto_source.err
    nowhere = cli("events", "import", str(path), "--rejects", str(tmp_path / "no" / "r.csv"))
    assert nowhere.code == 2 and "nothing was imported" in nowhere.err
    shown = cli("customers", "show", "C1")
    assert shown.code == 1  # no import happened, so no such customer... nor events
    imported = cli("events", "import", str(path))
    assert counts(imported.out)["added"] == 1


def test_an_events_file_given_to_audience_import_is_told_what_it_is(cli, tmp_path):
    journey = cli("create", str(Path(__file__).parents[2] / "resources" / "examples"
                                / "birthday.json")).out.strip()
    path = write(tmp_path, "dropped.csv", f"userId,event,timestamp\nC1,view,{T0}\n")
    result = cli("audience", "import", journey, str(path))
    assert result.code == 2
    assert result.err == (
        f"journey-desktop: {path}: This looks like an events file (columns event, timestamp), "
        "not a list of customers: import it with Import events… (journey-desktop events "
        "import).\n")


def test_customers_show_lists_the_customers_events_in_time_order(cli, tmp_path):
    customers = write(tmp_path, "customers.csv", "customerId,city\nC1,Madrid\n")
    assert cli("customers", "import", str(customers)).code == 0
    events = write(tmp_path, "events.csv", "userId,event,timestamp,cartId\n"
                   f"C1,purchase,{T0 + 60},k1\nC2,view,{T0},k2\nC1,add_to_cart,{T0},k1\n")
    assert cli("events", "import", str(events)).code == 0
    shown = cli("customers", "show", "C1", "--json")
    assert shown.code == 0
    assert shown.json()["events"] == [
        {"name": "add_to_cart", "occurred_at": local_datetime(T0).isoformat(),
         "properties": {"cartId": "k1"}},
        {"name": "purchase", "occurred_at": local_datetime(T0 + 60).isoformat(),
         "properties": {"cartId": "k1"}},
    ]
    assert dt.datetime.fromisoformat(shown.json()["events"][0]["occurred_at"]).timestamp() == T0
    text = cli("customers", "show", "C1").out.splitlines()
    timeline = text[text.index("timeline:") + 1:]
    assert [line.split("  ")[2] for line in timeline] == [
        'event add_to_cart {"cartId": "k1"}', 'event purchase {"cartId": "k1"}']


def test_id_column_names_the_customer_id_when_no_header_is_one(cli, tmp_path):
    path = write(tmp_path, "uc.csv", f"user,event,timestamp\nu1,view,{T0}\n")
    refused = cli("events", "import", str(path))
    assert refused.code == 2 and refused.out == ""
    assert refused.err == (
        f"journey-desktop: {path}: An events file needs a column for a customer ID "
        "(customerId, externalId, externalCode, userId, id); this one has none by those "
        "names: choose the customer ID column. (use --id-column)\n")
    imported = cli("events", "import", str(path), "--id-column", "user")
    assert (imported.code, counts(imported.out)) == (0, {"read": 1, "added": 1, "duplicates": 0,
                                                         "rejected": 0})
    again = cli("events", "import", str(path), "--id-column", "user")
    assert counts(again.out)["duplicates"] == 1
    unknown = cli("events", "import", str(path), "--id-column", "who")
    assert unknown.code == 2 and "no column named 'who'" in unknown.err


@pytest.mark.parametrize(("content", "message"), [
    (b"userId,event,timestamp\n", "{path}: The file holds no events."),
    (bytes(range(256)) * 40, "e.dat is not a CSV file (it holds binary data). Export the events "
     "as CSV (comma, semicolon, tab or pipe separated) or as JSON Lines (one JSON object a "
     "line)."),
], ids=["header-only", "binary"])
def test_a_file_without_events_says_what_it_holds(cli, tmp_path, content, message):
    path = tmp_path / "e.dat"
    path.write_bytes(content)
    result = cli("events", "import", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == f"journey-desktop: {message.format(path=path)}\n"


@pytest.mark.parametrize("line", [
    '{"userId":"u1","event":"view","timestamp":1740819600}',
    '{"userId": "u1", "event": "view", "timestamp": 1740819600}',
], ids=["compact", "spaced"])
@pytest.mark.parametrize("command", ["customers", "audience"])
def test_json_lines_events_given_as_customers_are_told_what_they_are(cli, tmp_path, line,
                                                                      command):
    path = write(tmp_path, "dropped.jsonl", line + "\n")
    journey = [] if command == "customers" else [cli("create", str(
        Path(__file__).parents[2] / "resources" / "examples" / "birthday.json")).out.strip()]
    result = cli(command, "import", *journey, str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"journey-desktop: {path}: This looks like an events file (JSON Lines with userId, "
        "event, timestamp), not a list of customers: import it with Import events… "
        "(journey-desktop events import).\n")


def stored_properties(data_dir: Path, url: str | None) -> dict[str, dict[str, object]]:
    """Each stored event's properties, by customer ID."""
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.db import database

    open_store(data_dir, url=url)
    try:
        return {ext: json.loads(text) for ext, text in database.execute_sql(
            "SELECT external_id, properties FROM event")}
    finally:
        close_store()


def test_type_option_sets_a_property_columns_type(cli, tmp_path, data_dir, store_url):
    path = write(tmp_path, "events.csv", "userId,event,timestamp,code\n"
                 f"C1,view,{T0},7\nC2,view,{T0},8\nC3,view,{T0},x\n")
    typed = cli("events", "import", str(path), "--type", "code=text")
    assert (typed.code, typed.err) == (0, "")
    assert counts(typed.out) == {"read": 3, "added": 3, "duplicates": 0, "rejected": 0}
    assert stored_properties(data_dir, store_url) == {
        "C1": {"code": "7"}, "C2": {"code": "8"}, "C3": {"code": "x"}}
    for wrong, words in (("code=when", "the type is one of text, number, date"),
                         ("code", "write COLUMN=TYPE"),
                         ("city=text", "no column named 'city'")):
        refused = cli("events", "import", str(path), "--type", wrong)
        assert refused.code == 2 and words in refused.err, refused.err


def test_misfits_option_writes_every_value_that_does_not_fit(cli, tmp_path):
    rows = "".join(f"C{i},view,{T0 + i},{'x' if i % 3 == 1 else i}\n" for i in range(60))
    path = write(tmp_path, "events.csv", "userId,event,timestamp,b\n" + rows)
    out = tmp_path / "misfits.csv"
    result = cli("events", "import", str(path), "--misfits", str(out))
    assert_every_third_b_said_and_saved(result, out)
    assert not list(tmp_path.glob("*.part"))
    nowhere = cli("events", "import", str(path), "--misfits", str(tmp_path / "no" / "m.csv"))
    assert nowhere.code == 2 and "nothing was imported" in nowhere.err


@pytest.mark.parametrize("option", ["tab", "\\t", "\t"])
def test_delimiter_option_overrides_the_sniffed_one(cli, tmp_path, option):
    path = write(tmp_path, "events.csv", f"userId\tevent\ttimestamp\tnote\n"
                 f"C1\tview\t{T0}\ta,b\nC2\tview\t{T0}\tc,d\n")
    assert cli("events", "import", str(path), "--delimiter", ",").code == 2
    result = cli("events", "import", str(path), "--delimiter", option)
    assert (result.code, counts(result.out)["added"]) == (0, 2), result.err
    refused = cli("events", "import", str(path), "--delimiter", ":")
    assert refused.code == 2 and "is not a delimiter" in refused.err


def test_a_fixed_rejects_file_imports_again_without_its_line_and_reason(
        cli, tmp_path, data_dir, store_url):
    path = write(tmp_path, "events.csv", "userId;event;timestamp;cartId;total\n"
                 f"C1;view;{T0};k1;30\n;view;{T0};k2;12\n")
    rejects = tmp_path / "rejects.csv"
    first = cli("events", "import", str(path), "--rejects", str(rejects))
    assert first.code == 1, first.err
    text = rejects.read_bytes().decode("utf-8-sig")
    assert text == ("line;reason;userId;event;timestamp;cartId;total\r\n"
                    f"3;no customer ID;;view;{T0};k2;12\r\n")
    rejects.write_text(text.replace("ID;;view", "ID;C2;view"), encoding="utf-8-sig")
    again = cli("events", "import", str(rejects))
    assert again.code == 0, again.err
    assert counts(again.out) == {"read": 1, "added": 1, "duplicates": 0, "rejected": 0}
    assert again.err == "the rejects file's line and reason columns are not imported\n"
    assert stored_properties(data_dir, store_url)["C2"] == {"cartId": "k2", "total": 12}


@pytest.mark.parametrize(("option", "value"), [("--delimiter", ";"), ("--type", "a=text")])
def test_json_lines_refuses_the_csv_options_in_one_line(cli, tmp_path, option, value):
    path = write(tmp_path, "events.jsonl", json.dumps(
        {"userId": "C1", "event": "view", "timestamp": T0}) + "\n")
    result = cli("events", "import", str(path), option, value)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"journey-desktop: {path}: is JSON Lines; {option} is for CSV "
                          "files\n")
    assert counts(cli("events", "import", str(path)).out)["added"] == 1
