"""Exporting the outbox to a file: one export at a time, marks only once the file is in
place, never over the database, and a file Excel reads in any locale."""

from __future__ import annotations

import codecs
import csv
import io
import os
from pathlib import Path

import pytest

from journey_desktop.paths import database_path
from journey_desktop.store import outbox
from journey_desktop.store.db import connect
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.export_lock import ExportBusyError
from journey_desktop.store.outbox import (
    CSV_HEADER,
    ExportError,
    OutboxFilter,
    count_messages,
    export_csv,
    export_file,
)
from journey_desktop.store.output_path import DatabaseOutputError
from journey_desktop.store.postgres import connect_postgres
from tests.store.evaluator_support import DAY, MADRID, activate, journey_from, local
from tests.store.test_outbox import START, run_two_days

pytestmark = pytest.mark.both_databases


def read_as_excel(path: Path, delimiter: str = ",") -> list[list[str]]:
    """What a spreadsheet reads: the BOM says UTF-8, the delimiter is the one chosen."""
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def exported_ids(rows: list[list[str]]) -> list[tuple[str, str]]:
    return sorted((r[0], r[2]) for r in rows[1:])


def test_two_exports_at_once_never_write_the_same_message(repo, store, store_url, tmp_path,
                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The second export starts while the first is between two rows, on its own
    connection (as a scheduled export does while the window exports)."""
    run_two_days(repo)
    monkeypatch.setattr(outbox, "PROGRESS_EVERY", 1)  # stop after every row
    other = connect_postgres(store_url) if store_url else connect(database_path(store))
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    refusals: list[str] = []

    def start_the_second_export(done: int) -> None:
        if done == 3:  # three rows written, none marked yet
            try:
                export_file(second, only_new=True, now=START + 2 * DAY, db=other)
            except ExportBusyError as exc:
                refusals.append(str(exc))

    try:
        first_result = export_file(first, only_new=True, now=START + 2 * DAY,
                                   progress=start_the_second_export)
        assert refusals and refusals[0].startswith("an outbox export is already running in")
        assert not second.exists()
        # Once the first has finished, the second finds only what the first left.
        second_result = export_file(second, only_new=True, now=START + 2 * DAY, db=other)
    finally:
        other.close()
    first_rows, second_rows = read_as_excel(first), read_as_excel(second)
    assert (first_result.written, first_result.marked) == (8, 8)
    assert second_result.written == 0 and second_rows == [CSV_HEADER]
    assert not set(exported_ids(first_rows)) & set(exported_ids(second_rows))
    assert len(exported_ids(first_rows) + exported_ids(second_rows)) == 8
    assert count_messages(OutboxFilter(status="ready")) == 0


def test_a_file_that_cannot_be_put_in_place_marks_nothing(repo, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run_two_days(repo)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(ExportError) as refused:
        export_file(folder, only_new=True, now=START + 2 * DAY)
    assert str(refused.value) == f"{folder}: is a folder; choose a file name"

    target = tmp_path / "out.csv"

    def cannot_rename(source: object, destination: object) -> None:
        raise PermissionError(13, "Permission denied", str(source), None, str(destination))

    monkeypatch.setattr(os, "replace", cannot_rename)
    with pytest.raises(ExportError) as failed:
        export_file(target, only_new=True, now=START + 2 * DAY)
    assert str(failed.value) == f"{target}: cannot write the export (Permission denied)"
    assert not target.exists() and not (tmp_path / "out.csv.part").exists()
    assert not (tmp_path / "exports.part").exists()
    assert count_messages(OutboxFilter(status="exported")) == 0
    # The lock went with the failed export: the next one runs.
    monkeypatch.undo()
    assert export_file(target, only_new=True, now=START + 2 * DAY).marked == 8


@pytest.mark.sqlite_only  # a team database has no file to write over
def test_the_open_database_is_never_an_export_target(repo, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_two_days(repo)
    db_file = database_path(store)
    before = db_file.read_bytes()[:16]
    for target in (db_file, Path(f"{db_file}-wal"), store / ".." / store.name / db_file.name):
        with pytest.raises(DatabaseOutputError):
            export_file(target, now=START + 2 * DAY)
    assert db_file.read_bytes()[:16] == before
    assert count_messages(OutboxFilter(status="exported")) == 0


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_the_file_opens_in_a_spreadsheet_with_every_cell_intact(repo, tmp_path, delimiter) -> None:  # type: ignore[no-untyped-def]
    now = local(2025, 5, 12)
    journey = journey_from([
        {"id": "start", "type": "entry", "next": "note"},
        {"id": "note", "type": "message", "channel": "push", "title": "{{title}}",
         "body": "{{body}}", "next": "end"},
        {"id": "end", "type": "exit"},
    ])
    activate(repo, journey, {
        "quoted": {"title": "Hello", "body": 'Ann; Bob, "the boss"\nsecond line'},
        "formula": {"title": "=cmd|' /C calc'!A0", "body": "+1 and more"},
        "tab": {"title": "\tHidden", "body": "\rReturn"},
        "at": {"title": "@SUM(A1)", "body": "-2"},
    }, now)
    Evaluator(tz=MADRID).tick(now)
    target = tmp_path / "messages.csv"
    assert export_file(target, now=now, tz=MADRID, delimiter=delimiter).written == 4
    rows = read_as_excel(target, delimiter)
    assert target.read_bytes().decode("utf-8-sig").startswith(",".join(CSV_HEADER).replace(
        ",", delimiter) + "\r\n")
    assert rows[0] == CSV_HEADER
    cells = {r[0]: (r[4], r[5], r[7]) for r in rows[1:]}
    assert cells == {
        "quoted": ("Hello", 'Ann; Bob, "the boss"\nsecond line', "2025-05-12T09:00:00+02:00"),
        "formula": ("'=cmd|' /C calc'!A0", "'+1 and more", "2025-05-12T09:00:00+02:00"),
        "tab": ("'\tHidden", "'\rReturn", "2025-05-12T09:00:00+02:00"),
        "at": ("'@SUM(A1)", "'-2", "2025-05-12T09:00:00+02:00"),
    }


def test_standard_output_gets_the_plain_header_and_the_chosen_delimiter(repo) -> None:  # type: ignore[no-untyped-def]
    """A stream is no file for spreadsheets: no BOM before the header a script reads."""
    run_two_days(repo)
    out = io.StringIO()
    export_csv(out, now=START + 2 * DAY, delimiter=";")
    assert out.getvalue().startswith(";".join(CSV_HEADER) + "\r\n")


def test_a_cancelled_export_leaves_no_file_and_marks_nothing(repo, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run_two_days(repo)
    monkeypatch.setattr(outbox, "PROGRESS_EVERY", 2)

    class Cancelled(Exception):
        pass

    def cancel(done: int) -> None:
        raise Cancelled()

    target = tmp_path / "out.csv"
    with pytest.raises(Cancelled):
        export_file(target, now=START + 2 * DAY, progress=cancel)
    assert not target.exists() and not (tmp_path / "out.csv.part").exists()
    assert count_messages(OutboxFilter(status="exported")) == 0
    assert export_file(target, now=START + 2 * DAY).marked == 8  # the lock was let go
