"""Reading delivery reports (SPEC §15): a report read as columns gives what reading it line
by line gives, and message ids are read the same either way."""

from __future__ import annotations

import csv

import pytest

from journey_desktop.domain.delivery import (
    MAX_DETAIL_CHARS,
    ReportReader,
    card_details,
    card_line,
    ids_as_written,
    message_id,
    parse_message_id,
    parse_message_ids,
)

DBID = "0123456789ab"


@pytest.mark.parametrize("texts", [
    [f"{DBID}-1", f"{DBID}-0042", f"{DBID}-{'9' * 18}"],  # all this database's: read as columns
    [f"{DBID}-1", f"{DBID}-42"],  # as message_id writes them
    [f"{DBID}-1", f"{DBID}-{'9' * 19}", f"{DBID}-", "feedfacecafe-3", f"{DBID}-1-2"],
    [f"{DBID}-1", f"{DBID}-2\n3", f"{DBID}-x"],  # a line break joined would look like two ids
    ["", "-", "12"],
])
def test_message_ids_are_read_as_one_by_one(texts):
    assert parse_message_ids(texts, DBID) == [parse_message_id(t, DBID) for t in texts]
    numbers = [parse_message_id(t, DBID) for t in texts]
    assert ids_as_written(texts, DBID) == all(
        number is not None and text == message_id(DBID, number)
        for text, number in zip(texts, numbers, strict=True))


def test_ids_as_written_are_this_databases_ids_without_leading_zeros():
    assert ids_as_written([f"{DBID}-1", f"{DBID}-42"], DBID)
    assert not ids_as_written([f"{DBID}-1", f"{DBID}-042"], DBID)
    assert not ids_as_written([f"{DBID}-0"], DBID)
    assert not ids_as_written([f"{DBID}-1\n{DBID}-2"], DBID)


def read(path, size):
    with ReportReader(str(path), DBID) as reader:
        batches = list(reader.batches(size))
        rejected = sorted((r.line, r.reason) for r in reader.rejects.kept)
    got = [(line, mid, oid, status, at, detail) for b in batches
           for line, mid, oid, status, at, detail in zip(
               b.lines, b.message_ids, b.outbox_ids, b.statuses, b.times, b.details,
               strict=True)]
    return got, rejected, reader.read


def test_a_report_reads_the_same_in_clean_chunks_and_in_chunks_with_rejects(tmp_path):
    rows = [[f" {DBID}-{n} ", " Opened ", f"{1747224000 + n}", "x" * (MAX_DETAIL_CHARS + n)]
            for n in range(1, 7)]
    rows[3] = [f"{DBID}-4", "read", "1747224004", ""]  # rejected: unknown status
    rows.insert(5, ["", "", "", ""])  # blank: skipped
    rows.append([f"{DBID}-9", "clicked", '1747224000\n1747224000', ""])  # rejected
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["message_id", "status", "timestamp", "detail"], *rows])
    whole = read(path, 1000)  # one chunk, with rejects: read line by line
    in_pairs = read(path, 2)  # lines 2-3 and 4-5 clean (read as columns), the rest not
    assert in_pairs == whole
    got, rejected, count = whole
    assert [(line, oid, status, at, len(detail)) for line, _, oid, status, at, detail in got] == [
        (2, 1, "opened", 1747224001, MAX_DETAIL_CHARS),
        (3, 2, "opened", 1747224002, MAX_DETAIL_CHARS),
        (4, 3, "opened", 1747224003, MAX_DETAIL_CHARS),
        (6, 5, "opened", 1747224005, MAX_DETAIL_CHARS),
        (8, 6, "opened", 1747224006, MAX_DETAIL_CHARS),
    ]
    # The record with a line break in a cell ends on line 10 (its line in the rejects file).
    assert [line for line, _ in rejected] == [5, 10] and count == 7


def test_a_card_line_says_sent_open_rate_and_ctr_and_nothing_before_any_report():
    reached = {"sent": 1204, "delivered": 1180, "opened": 366, "clicked": 50, "bounced": 3,
               "failed": 0, "unsubscribed": 0}
    assert card_line(reached) == "1,204 sent · 31.0 % open · 4.2 % CTR"
    assert card_line(dict.fromkeys(reached, 0)) == ""
    # Only bounces reported: nothing delivered, so no rate rather than 0 %.
    assert card_line({**dict.fromkeys(reached, 0), "bounced": 2}) == "0 sent · – open · – CTR"
    assert card_details(1250, reached)[1:3] == ["Written 1,250", "Sent 1,204"]


def test_a_report_with_quoted_cells_further_on_reads_the_same_in_chunks(tmp_path):
    """Plain lines are split as text; from the first quote on, the csv module reads records
    (a quoted cell may hold a line break and the delimiter). Windows line ends, a detail
    column first: read in chunks of two or at once, the same lines and rejects."""
    rows = [["x", f"{DBID}-{n}", "opened", f"{1747224000 + n}"] for n in range(1, 9)]
    rows[4][0] = "spam, and more"  # quoted by the writer, as is the next one
    rows[5][0] = "two\nlines"
    rows[6][2] = "kissed"  # rejected
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(
            [["detail", "message_id", "status", "timestamp"], *rows])
    in_pairs, whole = read(path, 2), read(path, 1000)
    assert in_pairs == whole
    got, rejected, count = whole
    assert [(line, oid, detail) for line, _, oid, _, _, detail in got] == [
        (2, 1, "x"), (3, 2, "x"), (4, 3, "x"), (5, 4, "x"), (6, 5, "spam, and more"),
        (8, 6, "two\nlines"), (10, 8, "x")]
    assert [line for line, _ in rejected] == [9] and count == 8
