"""``outbox export`` (and every ``-o``) as a scheduled script or a user at a shell sees it:
one export at a time, nothing marked unless the file is in place, never over the database."""

from __future__ import annotations

import codecs
import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from journey_desktop.store import outbox
from tests.cli.test_evaluator_cli import T0, run_cli, setup_journeys


def pending_and_exported(data_dir: Path) -> tuple[int, int]:
    conn = sqlite3.connect(data_dir / "journeys.db")
    try:
        row = conn.execute("SELECT count(*) - count(exported_at), count(exported_at)"
                           " FROM outbox").fetchone()
        return int(row[0]), int(row[1])
    finally:
        conn.close()


def read_as_excel(path: Path, delimiter: str = ",") -> list[list[str]]:
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_an_export_started_during_another_is_refused_and_nothing_goes_twice(
        cli, data_dir, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A scheduled ``outbox export --new`` (another process) starts while this one has
    written three rows and marked none."""
    setup_journeys(data_dir, customers=3)
    cli("tick", "--now", T0)
    pending, _ = pending_and_exported(data_dir)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    reading = outbox.iter_messages
    overlapping: list[tuple[int, str]] = []

    def rows_with_a_second_export(*args, **kwargs) -> Iterator[outbox.OutboxMessage]:  # type: ignore[no-untyped-def]
        for done, message in enumerate(reading(*args, **kwargs), 1):
            if done == 3:
                other = run_cli(data_dir, "outbox", "export", "--new", "-o", str(second))
                overlapping.append((other.returncode, other.stderr))
            yield message

    monkeypatch.setattr(outbox, "iter_messages", rows_with_a_second_export)
    result = cli("outbox", "export", "--new", "-o", str(first))
    monkeypatch.undo()
    assert result.code == 0, result.err
    code, err = overlapping[0]
    assert code == 1
    assert err.startswith("journey-desktop: an outbox export is already running in process ")
    assert err.count("\n") == 1
    assert not second.exists()

    later = run_cli(data_dir, "outbox", "export", "--new", "-o", str(second))
    assert later.returncode == 0, later.stderr
    first_rows, second_rows = read_as_excel(first)[1:], read_as_excel(second)[1:]
    assert len(first_rows) == pending and second_rows == []
    assert pending_and_exported(data_dir) == (0, pending)


def test_an_export_into_a_folder_names_it_and_marks_nothing(cli, data_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup_journeys(data_dir, customers=3)
    cli("tick", "--now", T0)
    before = pending_and_exported(data_dir)
    folder = tmp_path / "exports"
    folder.mkdir()
    result = cli("outbox", "export", "--new", "-o", str(folder))
    assert result.code == 2
    assert result.err == (f"journey-desktop: {folder}: is a folder; choose a file name; "
                          "nothing was marked exported\n")
    assert pending_and_exported(data_dir) == before
    assert list(folder.iterdir()) == [] and not (tmp_path / "exports.part").exists()


@pytest.fixture
def spellings(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The database and its WAL files, as a user might name them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link.csv").symlink_to(data_dir / "journeys.db")
    return {
        "absolute": str(data_dir / "journeys.db"),
        "relative": f"{data_dir.name}/journeys.db",
        "dotted": f"{data_dir.name}/../{data_dir.name}/journeys.db-wal",
        "shm": str(data_dir / "journeys.db-shm"),
        "symlink": "link.csv",
    }


@pytest.mark.parametrize("spelling", ["absolute", "relative", "dotted", "shm", "symlink"])
@pytest.mark.parametrize("command", [
    ["outbox", "export", "-o", "{}"],
    ["outbox", "export", "--new", "-o", "{}"],
    ["export", "Two steps", "-o", "{}"],
    ["audience", "import", "Two steps", "{csv}", "--rejects", "{}"],
])
def test_no_output_may_overwrite_the_open_database(cli, data_dir, tmp_path, spellings,
                                                   spelling, command) -> None:  # type: ignore[no-untyped-def]
    setup_journeys(data_dir, customers=3)
    cli("tick", "--now", T0)
    before = pending_and_exported(data_dir)
    audience = tmp_path / "more.csv"
    audience.write_text("customerId,firstName\nn1,Ann\n,Nobody\n", encoding="utf-8")
    target = spellings[spelling]
    result = cli(*[part.format(target, csv=audience) for part in command])
    assert result.code == 2
    assert result.err.startswith(f"journey-desktop: {target}: this is the open database (")
    assert result.err.endswith("); choose another file\n") and result.err.count("\n") == 1
    # The database is whole and unchanged: nothing marked, nobody imported.
    assert pending_and_exported(data_dir) == before
    listed = cli("list", "--json")
    assert [j["audience"] for j in listed.json()] == [3, 3]


@pytest.mark.both_databases
def test_semicolon_export_for_spreadsheets_in_comma_decimal_locales(  # type: ignore[no-untyped-def]
        cli, data_dir, store_url, tmp_path) -> None:
    setup_journeys(data_dir, customers=3, url=store_url)
    cli("tick", "--now", T0)
    target = tmp_path / "out.csv"
    result = cli("outbox", "export", "--journey", "Split", "--delimiter", ";", "-o", str(target))
    assert result.code == 0, result.err
    rows = read_as_excel(target, ";")
    assert rows[0][:8] == ["customerId", "journey", "node", "channel", "title", "body", "url",
                           "due_at"]
    assert any(r[5] == "'=HYPERLINK(\"x\")" for r in rows[1:])  # a quote inside a cell
    assert all(len(r) == 12 for r in rows)
    assert result.err == f"exported: {len(rows) - 1}\n"

    wrong = cli("outbox", "export", "--delimiter", "|")
    assert wrong.code == 2 and "invalid choice: '|'" in wrong.err
