"""Reading events files (SPEC §11): both formats told apart by content, every timestamp
form, rejects with their line and reason, keys that store an event once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from journey_desktop.domain.audience_csv import CsvFileError, ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.event_values import MAX_PROPERTIES_BYTES, event_key
from journey_desktop.domain.events_file import (
    CSV,
    JSON_LINES,
    EventPlan,
    EventReader,
    preview_events,
)
from journey_desktop.domain.values import NUMBER

MADRID = dt.timezone(dt.timedelta(hours=1))  # a fixed zone: the test does not hang on the host's
T0 = int(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC).timestamp())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def read_all(path: Path, tz: dt.tzinfo | None = None):
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    with EventReader(plan, tz=tz) as reader:
        events = []
        for batch in reader.batches(3):
            events += list(zip(batch.lines, batch.ids, batch.names, batch.times,
                               map(json.loads, batch.properties), batch.keys, strict=True))
        rejects = [(r.line, r.reason) for r in reader.rejects]
        reader.rejects.close()
    return events, rejects


# --- formats -------------------------------------------------------------------------------


def test_formats_are_told_apart_by_content_not_by_the_name(tmp_path):
    jsonl = write(tmp_path, "events.csv", '{"userId": "u1", "event": "purchase", '
                  '"timestamp": "2025-03-01T09:00:00Z", "properties": {"cart": {"total": 3}}}\n')
    csv = write(tmp_path, "events.jsonl", "userId,event,timestamp,cartId\nu1,view,1740819600,c1\n")
    assert preview_events(jsonl).format == JSON_LINES
    assert preview_events(csv).format == CSV
    [(_, user, name, at, properties, _)], _ = read_all(jsonl)
    assert (user, name, at, properties) == ("u1", "purchase", T0, {"cart": {"total": 3}})
    [(_, user, name, at, properties, _)], _ = read_all(csv)
    assert (user, name, at, properties) == ("u1", "view", T0, {"cartId": "c1"})


def test_csv_columns_by_header_and_properties_typed_as_customer_fields(tmp_path):
    path = write(tmp_path, "e.csv", "Customer_ID;name;Timestamp;message_id;total;day\n"
                 "C1;purchase;1740819600;m1;12,5;31/12/2024\n"
                 "C2;purchase;1740819600;m2;3;01/02/2025\n")
    preview = preview_events(path)
    assert (preview.id_column, preview.event_column, preview.timestamp_column,
            preview.message_id_column) == ("Customer_ID", "name", "Timestamp", "message_id")
    events, rejects = read_all(path)
    assert rejects == []
    assert [e[4] for e in events] == [{"total": 12.5, "day": "2024-12-31"},
                                      {"total": 3, "day": "2025-02-01"}]
    assert [e[5] for e in events] == ["m:m1", "m:m2"]


def test_preview_counts_names_and_time_range_and_keeps_samples(tmp_path):
    path = write(tmp_path, "e.csv", "userId,event,timestamp\n"
                 "u1,view,1740819600\nu2,view,1740823200\nu1,purchase,1740812400\nu3,,1\n")
    preview = preview_events(path)
    assert dict(preview.names) == {"view": 2, "purchase": 1}
    assert (preview.first_at, preview.last_at) == (T0 - 7200, T0 + 3600)
    assert [s.external_id for s in preview.samples] == ["u1", "u2", "u1"]
    assert (preview.read, preview.rejected) == (4, 1)
    assert [(r.line, r.reason) for r in preview.rejects] == [(5, "no event name")]
    assert preview.problem is None


def test_the_customer_id_column_can_be_chosen_when_none_is_recognised(tmp_path):
    path = write(tmp_path, "e.csv", "user,event,timestamp\nu1,view,1740819600\n,view,1\n")
    assert preview_events(path).problem == (
        "An events file needs a column for a customer ID (customerId, externalId, externalCode, "
        "userId, id); this one has none by those names: choose the customer ID column.")
    preview = preview_events(path, id_column="User")  # any case, as §4's chooser
    assert (preview.id_column, preview.problem) == ("user", None)
    assert [(s.external_id, s.name) for s in preview.samples] == [("u1", "view")]
    assert [(r.line, r.reason) for r in preview.rejects] == [(3, "no customer ID")]
    assert EventPlan.from_preview(preview).id_column == "user"
    with pytest.raises(CsvFileError, match="no column named 'who'"):
        preview_events(path, id_column="who")


def test_csv_without_the_needed_columns_is_a_problem_in_words(tmp_path):
    path = write(tmp_path, "e.csv", "userId,event,when\nu1,view,1740819600\n")
    preview = preview_events(path)
    assert preview.problem == ("An events file needs columns for a timestamp (timestamp); "
                               "this one has none for it.")
    with pytest.raises(CsvFileError):
        EventPlan.from_preview(preview)


def test_a_binary_file_is_told_what_an_events_file_is(tmp_path):
    path = tmp_path / "e.dat"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(CsvFileError) as raised:
        preview_events(path)
    assert str(raised.value) == (
        "e.dat is not a CSV file (it holds binary data). Export the events as CSV (comma, "
        "semicolon, tab or pipe separated) or as JSON Lines (one JSON object a line).")


def test_a_json_array_is_refused_with_advice(tmp_path):
    path = write(tmp_path, "e.json", '[{"userId": "u1"}]\n')
    with pytest.raises(CsvFileError, match="JSON array, not JSON Lines"):
        preview_events(path)


# --- timestamps ----------------------------------------------------------------------------


def test_every_timestamp_form_in_one_file_with_the_fast_path_and_without(tmp_path):
    rows = ["2025-03-01T10:00:00+01:00", "1740819600", "1740819600000", "2025-03-01T10:00:00"]
    whole = write(tmp_path, "whole.csv", "userId,event,timestamp,messageId\n" + "".join(
        f"u{i},view,{ts},m{i}\n" for i, ts in enumerate(rows)))
    events, rejects = read_all(whole, tz=MADRID)
    assert rejects == [] and [e[3] for e in events] == [T0] * 4


# --- rejects -------------------------------------------------------------------------------


def test_csv_rejects_have_their_line_and_reason(tmp_path):
    big = "x" * (MAX_PROPERTIES_BYTES + 10)
    path = write(tmp_path, "e.csv", "userId,event,timestamp,note\n"
                 "u1,view,1740819600,ok\n"
                 ",view,1740819600,a\n"
                 "u2,,1740819600,b\n"
                 "u3,view,,c\n"
                 "u4,view,soon,d\n"
                 f'u5,view,1740819600,"{big}"\n'
                 "u6,view,1740819600\n"
                 "\n"
                 '"u7\n",view,1740819600,"two\nlines"\n'
                 "u8,view,1740819600,last\n")
    events, rejects = read_all(path)
    assert [(e[0], e[1]) for e in events] == [(2, "u1"), (10, "u7"), (13, "u8")]
    assert rejects == [
        (3, "no customer ID"), (4, "no event name"), (5, "no timestamp"),
        (6, "unreadable timestamp 'soon' (use ISO 8601, or epoch seconds or milliseconds)"),
        (7, "the properties are over 64 KB"),
        (8, "too few fields (3; the header has 4)"),
    ]


def test_json_lines_rejects_have_their_line_and_reason(tmp_path):
    lines = [
        {"userId": "u1", "event": "view", "timestamp": 1740819600},
        {"event": "view", "timestamp": 1740819600},
        {"userId": "u1", "timestamp": 1740819600},
        {"userId": "u1", "event": "view"},
        {"userId": "u1", "event": "view", "timestamp": 1740819600, "properties": [1, 2]},
        {"userId": "u1", "event": "view", "timestamp": 1740819600,
         "properties": {"blob": "y" * (1024 * 1024)}},
        {"userId": "u1", "event": "view", "timestamp": "2025-03-01T10:00 Nowhere/Land"},
        {"userId": "u1", "type": "identify", "timestamp": 1740819600},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + '\nnot json\n\n[1]\n{"userId": "u9", ' \
        '"event": "view", "timestamp": 1740819600, "properties": {"v": NaN}}\n'
    path = write(tmp_path, "e.jsonl", text)
    events, rejects = read_all(path)
    assert [e[0] for e in events] == [1]
    # the rejected text stays readable: cut at a spreadsheet cell's size
    assert [(line, reason.split(" (")[0]) for line, reason in rejects] == [
        (2, "no customer ID"), (3, "no event name"), (4, "no timestamp"),
        (5, "properties is not an object"), (6, "the properties are over 64 KB"),
        (7, "unknown time zone 'Nowhere/Land'"), (8, "not a track call"), (9, "not JSON"),
        (11, "not a JSON object"), (12, "not JSON"),
    ]


def test_a_blank_user_id_or_event_name_is_said_so_and_the_line_shown_as_written(tmp_path):
    text = ('{"userId":"  ","event":"view","timestamp":1740819600}\n'
            '{"userId":"u1","event":" ","timestamp":1740819600}\n'
            '{"userId":true,"event":"view","timestamp":1740819600}\n')
    path = write(tmp_path, "e.jsonl", text)
    preview = preview_events(path)
    assert [(r.line, r.reason, r.row) for r in preview.rejects] == [
        (1, "no customer ID", '{"userId":"  ","event":"view","timestamp":1740819600}'),
        (2, "no event name", '{"userId":"u1","event":" ","timestamp":1740819600}'),
        (3, "userId is not text (True)", '{"userId":true,"event":"view","timestamp":1740819600}'),
    ]


# --- properties typed as customer fields (SPEC §11, §4) --------------------------------------


def test_csv_number_properties_are_numbers_as_in_json_lines(tmp_path):
    """A column of numbers is stored as numbers (so ``cartId`` 5 is the 5 of a JSON Lines
    event); text, blank and leading-zero columns stay text; dates are ISO."""
    path = write(tmp_path, "e.csv", "userId;event;timestamp;messageId;cartId;total;code;note\n"
                 '1;view;1740819600;m1;5;12,50;007;say "hi"\n'
                 "2;view;1740819600;m2;-3;;010;\n"
                 "3;view;1740819600;m3;1e3;0.5;x;plain\n")
    events, rejects = read_all(path)
    assert rejects == []
    assert [e[4] for e in events] == [
        {"cartId": 5, "total": 12.5, "code": "007", "note": 'say "hi"'},
        {"cartId": -3, "total": None, "code": "010", "note": ""},
        {"cartId": 1000.0, "total": 0.5, "code": "x", "note": "plain"},
    ]
    json_lines = write(tmp_path, "e.jsonl", '{"userId": "1", "event": "view", "timestamp": '
                       '1740819600, "properties": {"cartId": 5}}\n')
    assert read_all(json_lines)[0][0][4]["cartId"] == events[0][4]["cartId"]


def test_a_value_that_is_not_a_number_in_a_number_column_is_not_set(tmp_path):
    """Read in whole chunks (messageIds) and row by row (content keys): the same events."""
    def read(name: str, message_ids: bool):
        head = "userId,event,timestamp,messageId,n,note" if message_ids else (
            "userId,event,timestamp,n,note")
        rows = [("u1", "3", "a"), ("u2", "lots", 'b "q"'), ("u3", "007", "c")]
        path = write(tmp_path, name, head + "\n" + "".join(
            f"{u},view,1740819600,{'m' + u + ',' if message_ids else ''}{n},{note}\n"
            for u, n, note in rows))
        plan = EventPlan.from_preview(preview_events(path, max_rows=0))
        plan.columns["n"] = NUMBER  # as chosen in the preview of a longer file
        with EventReader(plan) as reader:
            props = [json.loads(p) for batch in reader.batches(10) for p in batch.properties]
            misfits = [(m.line, m.column, m.value) for m in reader.misfits.kept]
        return props, misfits

    assert read("whole.csv", True) == read("rows.csv", False) == (
        [{"n": 3, "note": "a"}, {"note": 'b "q"'}, {"n": 7, "note": "c"}], [(3, "n", "lots")])


def test_an_event_without_message_id_keeps_the_key_it_had_with_text_properties(tmp_path):
    """Keys hash the properties as text, as they were stored before they were typed: a
    file imported then is all duplicates when imported again."""
    path = write(tmp_path, "e.csv", "userId,event,timestamp,total,day\n"
                 "u1,view,1740819600,\"12,50\",31/12/2024\n")
    [event], _ = read_all(path)
    assert event[4] == {"total": 12.5, "day": "2024-12-31"}
    assert event[5] == event_key("", "u1", "view", T0 * 1000,
                                 '{"day":"2024-12-31","total":"12.50"}')


# --- keys ----------------------------------------------------------------------------------


def test_the_same_event_in_both_formats_has_the_same_key(tmp_path):
    csv = write(tmp_path, "a.csv", "userId,event,timestamp,b,a\nu1,view,1740819600,2,1\n")
    jsonl = write(tmp_path, "b.jsonl", '{"userId": "u1", "event": "view", "timestamp": '
                  '"2025-03-01T09:00:00Z", "properties": {"a": "1", "b": "2"}}\n')
    [first], _ = read_all(csv)
    [second], _ = read_all(jsonl)
    assert first[5] == second[5]


# --- an events file where customers were expected ------------------------------------------


@pytest.mark.parametrize("text", [
    "userId,event,timestamp\nu1,view,1740819600\n",  # no customer ID column for §4
    "customerId,event,timestamp\nu1,view,1740819600\n",  # an ID column, and events
    '{"userId": "u1", "event": "view", "timestamp": 1740819600}\n',
    '{"userId":"u1","event":"view","timestamp":1740819600}\n',  # compact: no spaces
    '\n{"event":"view","userId":"u1","timestamp":1740819600}\r\n',
])
def test_an_events_file_given_as_customers_is_told_what_it_is(tmp_path, text):
    path = write(tmp_path, "dropped.csv", text)
    preview = preview_csv(path)
    assert "looks like an events file" in (preview.problem() or "")
    with pytest.raises(CsvFileError, match="Import events"):
        ImportPlan.from_preview(preview)


def test_a_customers_file_with_a_name_column_is_still_customers(tmp_path):
    path = write(tmp_path, "c.csv", "customerId,name,timestamp\nC1,Ann,2024-01-01\n")
    assert preview_csv(path).problem() is None


def test_whole_chunks_and_row_by_row_read_the_same_events(tmp_path):
    rows = "".join(f"u{i}, view ,2025-03-01T09:00:{i:02d}.5Z,m{i},{i},{'x' if i % 2 else '007'}\n"
                   for i in range(40))
    header = "userId,event,timestamp,messageId,n,code\n"
    whole = write(tmp_path, "whole.csv", header + rows)
    mixed = write(tmp_path, "mixed.csv", header + rows + "u99,view,soon,m99,1,x\n")
    fast, none = read_all(whole)
    slow, [rejected] = read_all(mixed)
    assert none == [] and rejected[0] == 42
    assert fast == slow
    assert fast[1][1:5] == ("u1", "view", T0 + 1, {"n": 1, "code": "x"})


def test_a_customers_file_is_told_it_is_one(tmp_path):
    path = write(tmp_path, "c.csv", "customerId,city\nC1,Madrid\n")
    assert preview_events(path).problem == (
        "This looks like a list of customers (column customerId, no event or timestamp), not "
        "events: import it with Import customers… or Import audience… (journey-desktop "
        "customers import, audience import).")


def test_plain_lines_then_a_quoted_field_over_two_lines_keep_their_lines(tmp_path):
    """Plain lines are split, the rest of the file from the first block that is not plain
    goes to the csv reader: the same events, lines and rejects either way."""
    path = write(tmp_path, "e.csv", "userId,event,timestamp,messageId,note\r\n"
                 "u1,view,1740819600,m1,a\r\n"
                 "u2,view,1740819601,m2,b\r\n"
                 "u3,view,1740819602,m3,c\r\n"
                 "u4,view,1740819603,m4,d\r\n"
                 'u5,view,1740819604,m5,"two\r\nlines"\r\n'
                 "u6,view,1740819605,m6\r\n"
                 "u7,view,1740819606,m7,last")
    events, rejects = read_all(path)
    assert [(e[0], e[1], e[3], e[4], e[5]) for e in events] == [
        (2, "u1", T0, {"note": "a"}, "m:m1"), (3, "u2", T0 + 1, {"note": "b"}, "m:m2"),
        (4, "u3", T0 + 2, {"note": "c"}, "m:m3"), (5, "u4", T0 + 3, {"note": "d"}, "m:m4"),
        (6, "u5", T0 + 4, {"note": "two\r\nlines"}, "m:m5"),
        (9, "u7", T0 + 6, {"note": "last"}, "m:m7"),
    ]
    assert rejects == [(8, "too few fields (4; the header has 5)")]


def test_a_plain_file_ending_without_a_line_end_or_with_blank_lines(tmp_path):
    rows = "".join(f"u{i},view,{1740819600 + i},m{i}\n" for i in range(7))
    for ending in ("", "\n", "\n\n"):
        path = write(tmp_path, "e.csv", "userId,event,timestamp,messageId\n"
                     + rows.rstrip("\n") + ending)
        events, rejects = read_all(path)
        assert rejects == []
        assert [(e[0], e[1], e[3]) for e in events] == [
            (i + 2, f"u{i}", T0 + i) for i in range(7)]
