"""The delivery report import on either database (SPEC §14, §15): the same counts and the
same rows. The messages are written straight into the outbox, as the evaluator writes
them, so that the import alone is what runs on the team database."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store import delivery, sqlite_delivery
from journey_desktop.store.db import database
from journey_desktop.store.delivery import (
    UNKNOWN,
    UNKNOWN_KEPT,
    ReportResult,
    Totals,
    import_report,
)
from journey_desktop.store.delivery_status import database_id
from journey_desktop.store.records import OutboxRecord

pytestmark = pytest.mark.both_databases

WRITTEN = 1_747_000_000  # when the messages were written (2025-05-11T21:46:40Z)
T1 = "2025-05-14T09:00:00Z"  # 1747213200
T2 = "2025-05-14T10:00:00Z"  # 1747216800
EARLY = "2025-05-01T00:00:00Z"  # before the messages were written
CUSTOMERS = ("c0", "c1", "c2", "c3")


@pytest.fixture
def ids(repo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A message id per customer: one push each, from node ``hello`` of one journey."""
    journey_id = repo.create(minimal_journey("Report"), now=WRITTEN)
    dbid = database_id()
    out = {}
    for ext in CUSTOMERS:
        outbox_id = OutboxRecord.insert(
            journey=journey_id, external_id=ext, entry_number=1, node="hello",
            channel="push", title="Hi", due_at=WRITTEN, created_at=WRITTEN).execute()
        out[ext] = f"{dbid}-{outbox_id}"
    return out


def report(tmp_path: Path, lines: list[tuple[str, str, str, str]], name: str = "r.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["message_id", "status", "timestamp", "detail"])
        writer.writerows(lines)
    return path


def counts(result: ReportResult) -> tuple[int, ...]:
    return (result.read, result.applied, result.duplicates, result.unknown, result.rejected,
            result.early, int(result.committed))


def deliveries(ids: dict[str, str]) -> dict[str, tuple]:  # type: ignore[type-arg]
    by_outbox = {int(mid.rpartition("-")[2]): ext for ext, mid in ids.items()}
    return {by_outbox[row[0]]: tuple(row[1:]) for row in database.execute_sql(
        "SELECT outbox_id, level, sent_at, delivered_at, opened_at, clicked_at, bounced_at,"
        " failed_at, unsubscribed_at, detail, early, line FROM delivery")}


def counters() -> list[tuple]:  # type: ignore[type-arg]
    return [tuple(row) for row in database.execute_sql(
        "SELECT node, channel, status, prior, bucket, count FROM delivery_count"
        " ORDER BY status, prior, bucket")]


def events() -> list[tuple]:  # type: ignore[type-arg]
    return [(ext, name, at, json.loads(props), ladder) for ext, name, at, props, ladder in
            database.execute_sql("SELECT external_id, name, occurred_at, properties,"
                                 " ladder_from FROM event ORDER BY seq")]


@pytest.mark.parametrize("batch_lines", [20_000, 2])
def test_a_report_gives_the_same_counts_and_rows_on_either_database(ids, tmp_path, batch_lines,
                                                                     monkeypatch):
    """Read at once, or two lines at a time on SQLite (a message moved twice within a
    batch, and in two batches): the same counts and rows."""
    monkeypatch.setattr(sqlite_delivery, "BATCH_LINES", batch_lines)
    first = report(tmp_path, [
        (ids["c0"], "delivered", T1, ""), (ids["c0"], "clicked", T2, ""),  # moves twice
        (ids["c1"], "unsubscribed", T1, "spam"), (ids["c1"], "unsubscribed", T2, ""),
        (ids["c2"], "opened", EARLY, "early bird"),
        (ids["c3"], "clicked", T2, ""), (ids["c3"], "opened", T2, ""),  # implied: duplicate
        ("ffffffffffff-1", "sent", T1, ""),  # another database's message
        (ids["c0"], "kissed", T1, ""),  # not a status
    ])
    result = import_report(first)
    assert counts(result) == (9, 5, 2, 1, 1, 1, 1)
    at1, at2, early = 1747213200, 1747216800, 1746057600
    assert deliveries(ids) == {
        "c0": (4, at1, at1, at2, at2, None, None, None, "", 0, 3),
        "c1": (0, None, None, None, None, None, None, at1, "spam", 0, 4),
        "c2": (3, early, early, early, None, None, None, None, "early bird", 1, 6),
        "c3": (4, at2, at2, at2, at2, None, None, None, "", 0, 7),
    }
    assert counters() == [
        ("hello", "push", "clicked", 0, at2, 1), ("hello", "push", "clicked", 2, at2, 1),
        ("hello", "push", "delivered", 0, at1, 1), ("hello", "push", "opened", 0, early, 1),
        ("hello", "push", "unsubscribed", 0, at1, 1),
    ]

    def event(ext: str, status: str, at: int, ladder: int | None,
              detail: str = "") -> tuple:  # type: ignore[type-arg]
        given = {"detail": detail} if detail else {}
        return (ext, f"message_{status}", at,
                {**given, "journey": "Report", "message_id": ids[ext], "node": "hello"}, ladder)

    assert events() == [
        event("c0", "delivered", at1, 0), event("c0", "clicked", at2, 2),
        event("c1", "unsubscribed", at1, None, "spam"), event("c2", "opened", early, 0,
                                                               "early bird"),
        event("c3", "clicked", at2, 0),
    ]
    before = (deliveries(ids), counters(), events())
    again = import_report(first)
    assert counts(again) == (9, 0, 7, 1, 1, 0, 0)
    assert (deliveries(ids), counters(), events()) == before

    later = import_report(report(tmp_path, [
        (ids["c1"], "clicked", T2, ""), (ids["c0"], "opened", T2, "x"),
        (ids["c2"], "clicked", T2, ""), (ids["c2"], "bounced", T2, "gone"),
    ], "later.csv"))
    assert counts(later) == (4, 3, 1, 0, 0, 0, 1)
    # The stored rows grow: each status keeps its first time, a detail left empty keeps
    # the last one given, the furthest step only grows.
    assert deliveries(ids) == {
        "c0": (4, at1, at1, at2, at2, None, None, None, "", 0, 3),
        "c1": (4, at2, at2, at2, at2, None, None, at1, "spam", 0, 2),
        "c2": (4, early, early, early, at2, at2, None, None, "gone", 1, 5),
        "c3": (4, at2, at2, at2, at2, None, None, None, "", 0, 7),
    }
    assert counters() == [
        ("hello", "push", "bounced", 3, at2, 1), ("hello", "push", "clicked", 0, at2, 2),
        ("hello", "push", "clicked", 2, at2, 1), ("hello", "push", "clicked", 3, at2, 1),
        ("hello", "push", "delivered", 0, at1, 1), ("hello", "push", "opened", 0, early, 1),
        ("hello", "push", "unsubscribed", 0, at1, 1),
    ]
    assert events()[5:] == [event("c1", "clicked", at2, 0), event("c2", "clicked", at2, 3),
                            event("c2", "bounced", at2, None, "gone")]
    assert [list(props) for _, _, _, props, _ in events()][-1] == [
        "detail", "journey", "message_id", "node"]  # in name order on either database


def test_a_cancelled_report_import_stores_nothing(ids, tmp_path):
    path = report(tmp_path, [(ids[ext], "delivered", T1, "") for ext in CUSTOMERS])

    class Cancelled(Exception):
        pass

    def cancel(read: int, position: int, size: int) -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        import_report(path, progress=cancel)
    assert (deliveries(ids), counters(), events()) == ({}, [], [])
    assert counts(import_report(path)) == (4, 4, 0, 0, 0, 0, 1)


def test_unknown_message_ids_are_listed_as_the_report_wrote_them(ids, tmp_path):
    dbid = database_id()
    known = int(ids["c0"].rpartition("-")[2])
    result = import_report(report(tmp_path, [
        (f"{dbid}-{known:04d}", "opened", T1, ""),  # a leading zero: still the message
        (f"{dbid}-0999", "opened", T1, ""), (f"{dbid}-999", "opened", T1, ""),
    ]))
    assert counts(result) == (3, 1, 0, 2, 0, 0, 1)
    assert [(r.line, r.reason, list(r.cells)) for r in result.listed] == [
        (3, UNKNOWN, [f"{dbid}-0999", "opened", T1, ""]),
        (4, UNKNOWN, [f"{dbid}-999", "opened", T1, ""])]
    assert list(deliveries(ids)) == ["c0"]


@pytest.mark.parametrize("quoted", [False, True])
def test_the_rejects_file_has_each_unknown_line_whole(ids, tmp_path, quoted, monkeypatch):
    """Every cell of an unknown line, the columns the import does not read too, whether
    the lines are read as plain text, by the csv module (a quote), or one by one (a
    rejected line among them); and in three batches on SQLite."""
    monkeypatch.setattr(sqlite_delivery, "BATCH_LINES", 2)
    path = tmp_path / "r.csv"
    campaign = '"spring, 2025"' if quoted else "spring"
    path.write_text(
        "message_id,status,timestamp,detail,campaign\n"
        f"{ids['c0']},opened,{T1},,{campaign}\n"
        f"ffffffffffff-1,opened,{T1},iPhone,{campaign}\n"
        f"{ids['c1']},read,{T1},,x\n"
        f"ffffffffffff-2,clicked,{T2},,{campaign}\n"
        f"{ids['c2']},opened,{T1},,x\n", encoding="utf-8")
    result = import_report(path)
    assert counts(result) == (5, 2, 0, 2, 1, 0, 1)
    result.save_rejects(tmp_path / "rejects.csv")
    kept = campaign.strip('"')
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig", newline="") as saved:
        assert list(csv.reader(saved)) == [
            ["line", "reason", "message_id", "status", "timestamp", "detail", "campaign"],
            ["3", UNKNOWN, "ffffffffffff-1", "opened", T1, "iPhone", kept],
            ["4", "unknown status 'read' (use sent, delivered, opened, clicked, bounced, "
                  "failed, unsubscribed)", ids["c1"], "read", T1, "", "x"],
            ["5", UNKNOWN, "ffffffffffff-2", "clicked", T2, "", kept]]


def test_the_rejects_file_has_an_unknown_json_line_as_written(ids, tmp_path):
    path = tmp_path / "r.jsonl"
    lines = [json.dumps({"message_id": ids["c0"], "status": "opened", "timestamp": T1}),
             json.dumps({"message_id": "ffffffffffff-1", "status": "opened", "timestamp": T1,
                         "campaign": "spring"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_report(path)
    assert counts(result) == (2, 1, 0, 1, 0, 0, 1)
    result.save_rejects(tmp_path / "rejects.csv")
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig", newline="") as saved:
        assert list(csv.reader(saved)) == [["line", "reason", "text"],
                                           ["2", UNKNOWN, lines[1]]]


def test_an_import_keeps_the_first_unknown_lines_and_counts_them_all(ids, tmp_path,
                                                                    monkeypatch):
    """A report of many unknown ids: the import holds the first few in memory, counts
    every one and writes every one to the rejects file (spooled to disk)."""
    monkeypatch.setattr(sqlite_delivery, "BATCH_LINES", 7)
    made: list[Totals] = []

    class Watched(Totals):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(delivery, "Totals", Watched)
    unknown = 3 * UNKNOWN_KEPT + 5
    result = import_report(report(tmp_path, [(ids["c0"], "sent", T1, "")] + [
        (f"ffffffffffff-{n}", "opened", T1, "") for n in range(1, unknown + 1)]))
    assert counts(result) == (unknown + 1, 1, 0, unknown, 0, 0, 1)
    [totals] = made
    assert totals.unknown_count == unknown
    assert totals.unknown == [(n + 2, f"ffffffffffff-{n}") for n in range(1, UNKNOWN_KEPT + 1)]
    assert sum(1 for _ in result.unknowns) == unknown
    result.save_rejects(tmp_path / "rejects.csv")
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig", newline="") as saved:
        assert len(list(csv.reader(saved))) == unknown + 1


def test_a_report_for_messages_removed_with_their_journey_says_so(ids, repo, tmp_path):
    repo.remove(1)
    result = import_report(report(tmp_path, [(ids["c0"], "opened", T1, ""),
                                             (ids["c1"], "opened", T1, "")]))
    assert counts(result) == (2, 0, 0, 2, 0, 0, 0)
    assert result.all_unknown_text() == (
        "the 2 messages are no longer in this database: their ids are this database's, so "
        "they were removed (with their journey)")
