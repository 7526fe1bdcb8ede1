"""The import transaction: what is stored, the counts, add vs replace, and all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from journey_desktop.domain.audience_csv import CsvFileError, ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.journey import minimal_journey
from journey_desktop.paths import database_path
from journey_desktop.store import audience as audience_module
from journey_desktop.store.audience import ADD, REPLACE, AudienceStore, ImportResult
from journey_desktop.store.db import database
from journey_desktop.store.records import MemberRecord
from journey_desktop.store.repository import JourneyRepository, LifecycleError

NOW = 1_750_000_000

pytestmark = pytest.mark.both_databases


@pytest.fixture
def audience(repo: JourneyRepository) -> AudienceStore:
    return AudienceStore(repo)


@pytest.fixture
def journey_id(repo: JourneyRepository) -> int:
    return repo.create(minimal_journey("Welcome"))


def csv_file(tmp_path: Path, text: str, name: str = "audience.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def run_import(
    audience: AudienceStore, journey_id: int, path: Path, mode: str = ADD, now: int = NOW,
    **plan: object
) -> ImportResult:
    result = audience.import_csv(
        journey_id,
        ImportPlan.from_preview(preview_csv(path), **plan),  # type: ignore[arg-type]
        mode=mode,
        now=now,
    )
    result.rejects.close()
    return result


def counts(result: ImportResult) -> dict[str, int]:
    return {
        "read": result.read, "added": result.added, "updated": result.updated,
        "duplicates": result.duplicates, "rejected": result.rejected, "removed": result.removed,
    }


def stored(journey_id: int) -> dict[str, tuple[dict[str, str], int, int | None, int | None, int]]:
    rows = database.execute_sql(
        "SELECT m.external_id, p.fields, m.entries, m.first_check_at, m.next_check_at,"
        " m.imported_at FROM member m JOIN profile p ON p.external_id = m.external_id"
        " WHERE m.journey_id = ?", (journey_id,)
    )
    return {ext: (json.loads(fields), *rest) for ext, fields, *rest in rows}


def test_a_drafts_customers_are_stored_and_become_due_on_activation(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int
) -> None:
    path = csv_file(tmp_path,
                    "customerId,firstName,points,birthday\nc1, Ann ,10,1990-05-01\nc2,Bob,,\n")
    result = run_import(audience, journey_id, path)
    assert result.committed
    assert counts(result) == {
        "read": 2, "added": 2, "updated": 0, "duplicates": 0, "rejected": 0, "removed": 0
    }
    assert stored(journey_id) == {
        "c1": ({"firstName": "Ann", "points": "10", "birthday": "1990-05-01"}, 0, None, None, NOW),
        "c2": ({"firstName": "Bob", "points": "", "birthday": ""}, 0, None, None, NOW),
    }
    assert repo.get(journey_id).audience_columns == {
        "firstName": "text", "points": "number", "birthday": "date"
    }
    assert repo.summary(journey_id).audience == 2
    assert repo.activate(journey_id, now=NOW + 60).ok
    assert {c: row[3] for c, row in stored(journey_id).items()} == {"c1": NOW + 60, "c2": NOW + 60}


def test_an_active_journeys_new_customers_are_due_at_the_next_tick(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int
) -> None:
    assert repo.activate(journey_id, now=NOW - 60).ok
    result = run_import(audience, journey_id, csv_file(tmp_path, "id,name\nc1,Ann\n"))
    assert result.added == 1
    assert stored(journey_id) == {"c1": ({"name": "Ann"}, 0, None, NOW, NOW)}


def test_duplicates_in_the_file_last_one_wins_and_are_counted(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    path = csv_file(tmp_path, "id,name\na,first\nb,B\na,second\na,third\n")
    result = run_import(audience, journey_id, path)
    assert counts(result) == {
        "read": 4, "added": 2, "updated": 0, "duplicates": 2, "rejected": 0, "removed": 0
    }
    assert stored(journey_id)["a"][0] == {"name": "third"}


def test_last_row_wins_across_multi_row_statements_and_the_rows_after_them(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    # 4,500 rows: two statements of 2,000 rows, then 500 rows one by one; "a" in all three.
    names = {0: "first", 2_500: "second", 4_400: "third"}
    rows = "".join(f"{'a' if i in names else f'c{i}'},{names.get(i, 'x')}\n" for i in range(4_500))
    result = run_import(audience, journey_id, csv_file(tmp_path, "id,name\n" + rows))
    assert counts(result) == {
        "read": 4_500, "added": 4_498, "updated": 0, "duplicates": 2, "rejected": 0, "removed": 0
    }
    customers = stored(journey_id)
    assert customers["a"][0] == {"name": "third"}
    assert customers["c4499"][0] == {"name": "x"}


@pytest.mark.parametrize("mode", [ADD, REPLACE])
def test_reimport_with_an_existing_id_twice_last_one_wins(
    tmp_path: Path, audience: AudienceStore, journey_id: int, mode: str
) -> None:
    run_import(audience, journey_id,
               csv_file(tmp_path, "id,name\nC1,Ann\nC2,Bob\nC3,Cy\n", "a.csv"))
    # C1 three times (once untrimmed), C2 twice across the multi-row statements, one new ID.
    rows = (["C1,one", " C1 ,two", "C4,new"] + [f"X{i},x" for i in range(2_500)]
            + ["C2,B1", "C2,B2", "C1,three"])
    result = run_import(audience, journey_id,
                        csv_file(tmp_path, "id,name\n" + "\n".join(rows) + "\n"), mode)
    assert counts(result) == {
        "read": 2_506, "added": 2_501, "updated": 2, "duplicates": 3, "rejected": 0,
        "removed": 1 if mode == REPLACE else 0,
    }
    customers = stored(journey_id)
    assert customers["C1"][0] == {"name": "three"} and customers["C2"][0] == {"name": "B2"}
    assert ("C3" in customers) == (mode == ADD)


def test_a_drafts_first_import_merges_ids_that_come_back_in_later_batches(
    tmp_path: Path, audience: AudienceStore, journey_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of three rows: "a" again two batches on, "b" twice in one batch and again in
    the next, then a batch of new IDs only; every customer is one member, the last row's
    values win, field by field, and the counts are those of one batch."""
    monkeypatch.setattr(audience_module, "BATCH_ROWS", 3)
    monkeypatch.setattr("journey_desktop.store.postgres_bulk.MERGE_ROWS", 3)
    rows = ["a,Ann,Oslo", "c,Cy,Rome", "d,Di,Kyiv",
            "b,Bob,Lima", "b,Bobby,", "e,Eve,Bern",
            "a,Anna,", "b,,Quito", "f,Fay,Oslo",
            "g,Gus,Nice", "h,Hal,Riga", "i,Ida,Pisa"]
    path = csv_file(tmp_path, "id,name,city\n" + "\n".join(rows) + "\n")
    result = run_import(audience, journey_id, path, types={"city": "text"})
    assert counts(result) == {
        "read": 12, "added": 9, "updated": 0, "duplicates": 3, "rejected": 0, "removed": 0
    }
    customers = stored(journey_id)
    assert sorted(customers) == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
    assert customers["a"] == ({"name": "Anna", "city": ""}, 0, None, None, NOW)
    assert customers["b"][0] == {"name": "", "city": "Quito"}
    assert customers["i"] == ({"name": "Ida", "city": "Pisa"}, 0, None, None, NOW)
    (members,) = database.execute_sql(
        "SELECT count(*) FROM member WHERE journey_id = ?", (journey_id,)).fetchone()
    assert members == 9


def test_a_repeated_id_keeps_the_values_its_later_rows_leave_unset(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    """Rows of one ID merge in file order, field by field: a value that does not fit its
    column is stored as not set, so the earlier row's value stays (on either database)."""
    run_import(audience, journey_id, csv_file(tmp_path, "id,city\na,Oslo\n", "a.csv"))
    path = csv_file(tmp_path, "id,name,points\na,Ann,10\nb,Bob,1\na,Anna,lots\n")
    result = run_import(audience, journey_id, path, types={"points": "number"})
    assert counts(result) == {
        "read": 3, "added": 1, "updated": 1, "duplicates": 1, "rejected": 0, "removed": 0
    }
    customers = stored(journey_id)
    assert customers["a"][0] == {"city": "Oslo", "name": "Anna", "points": "10"}
    assert customers["b"][0] == {"name": "Bob", "points": "1"}


def test_add_then_replace(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int
) -> None:
    assert repo.activate(journey_id, now=NOW - 60).ok
    first = csv_file(tmp_path, "id,name,city\na,Ann,Paris\nb,Bob,Rome\nc,Cy,Oslo\n", "first.csv")
    run_import(audience, journey_id, first)
    # The evaluator has seen "a": its entries and check times must survive an update.
    MemberRecord.update(entries=2, first_check_at=NOW + 5, next_check_at=NOW + 86405).where(
        MemberRecord.external_id == "a"
    ).execute()

    added = csv_file(tmp_path, "id,name,tier\na,Anna,gold\nd,Di,silver\nd,Dee,bronze\n", "add.csv")
    result = run_import(audience, journey_id, added, now=NOW + 100)
    assert counts(result) == {
        "read": 3, "added": 1, "updated": 1, "duplicates": 1, "rejected": 0, "removed": 0
    }
    customers = stored(journey_id)
    # The file's columns update the profile; the fields it does not have are kept.
    assert customers["a"] == (
        {"name": "Anna", "city": "Paris", "tier": "gold"}, 2, NOW + 5, NOW + 86405, NOW + 100
    )
    assert customers["b"] == ({"name": "Bob", "city": "Rome"}, 0, None, NOW, NOW)
    assert customers["d"] == ({"name": "Dee", "tier": "bronze"}, 0, None, NOW + 100, NOW + 100)
    assert repo.get(journey_id).audience_columns == {"name": "text", "city": "text", "tier": "text"}

    replacement = csv_file(tmp_path, "id,name,score\nd,D,1\ne,E,2\na,A,3\n", "replace.csv")
    result = run_import(audience, journey_id, replacement, mode=REPLACE, now=NOW + 200)
    assert counts(result) == {
        "read": 3, "added": 1, "updated": 2, "duplicates": 0, "rejected": 0, "removed": 2
    }
    customers = stored(journey_id)
    assert sorted(customers) == ["a", "d", "e"]
    # Replace takes customers out of the journey, not out of the customer base.
    assert dict(database.execute_sql(
        "SELECT external_id, fields FROM profile WHERE external_id IN ('b', 'c')")) == {
        "b": '{"name":"Bob","city":"Rome"}', "c": '{"name":"Cy","city":"Oslo"}'}
    assert customers["a"] == (
        {"name": "A", "city": "Paris", "tier": "gold", "score": "3"}, 2, NOW + 5, NOW + 86405,
        NOW + 200,
    )
    assert repo.get(journey_id).audience_columns == {"name": "text", "score": "number"}


def test_replace_confirmation_count(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    run_import(audience, journey_id, csv_file(tmp_path, "id\na\nb\nc\n", "one.csv"))
    path = csv_file(tmp_path, "id\nb\nz\n", "two.csv")
    plan = ImportPlan.from_preview(preview_csv(path))
    assert audience.count_leaving(journey_id, plan) == 2
    assert sorted(stored(journey_id)) == ["a", "b", "c"]  # counting changed nothing


def test_other_journeys_keep_their_members_and_share_the_profiles(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int
) -> None:
    other = repo.create(minimal_journey("Other"))
    run_import(audience, other, csv_file(tmp_path, "id,n\na,other\nx,other\n", "o.csv"))
    path = csv_file(tmp_path, "id,n\na,mine\n", "m.csv")
    result = run_import(audience, journey_id, path, mode=REPLACE)
    assert (result.added, result.updated, result.removed) == (1, 0, 0)
    # One customer base: "a" is one person, whose field the second file changed.
    assert stored(other)["a"][0] == {"n": "mine"} and sorted(stored(other)) == ["a", "x"]
    assert sorted(stored(journey_id)) == ["a"]


def test_rejected_rows_are_reported_and_the_rest_imported(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    path = csv_file(tmp_path, "id,name\n,nobody\na,Ann\nb\nc,Cy,extra\n")
    result = audience.import_csv(journey_id, ImportPlan.from_preview(preview_csv(path)), now=NOW)
    assert counts(result) == {
        "read": 4, "added": 1, "updated": 0, "duplicates": 0, "rejected": 3, "removed": 0
    }
    assert [(r.line, r.reason) for r in result.rejects] == [
        (2, "empty customer ID"),
        (4, "too few fields (1; the header has 2)"),
        (5, "too many fields (3; the header has 2)"),
    ]
    result.rejects.close()


def test_nothing_importable_changes_nothing(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int
) -> None:
    run_import(audience, journey_id, csv_file(tmp_path, "id,name\na,Ann\n", "a.csv"))
    before = stored(journey_id)
    path = csv_file(tmp_path, "id,name\n,x\n,y\n", "bad.csv")
    result = run_import(audience, journey_id, path, mode=REPLACE)
    assert not result.committed
    assert (result.read, result.rejected, result.removed) == (2, 2, 0)
    assert stored(journey_id) == before
    assert repo.get(journey_id).audience_columns == {"name": "text"}


def test_header_only_file_is_refused(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    path = csv_file(tmp_path, "id,name\n1,a\n")
    plan = ImportPlan.from_preview(preview_csv(path))
    path.write_bytes(b"id,name\n")
    with pytest.raises(CsvFileError, match="no customer rows"):
        audience.import_csv(journey_id, plan)
    assert stored(journey_id) == {}


def test_an_error_part_way_rolls_everything_back(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int,
    database_kind: str,
) -> None:
    run_import(audience, journey_id, csv_file(tmp_path, "id,name\na,Ann\nb,Bob\n", "a.csv"))
    before = stored(journey_id)
    rows = "".join(f"n{i},x\n" for i in range(25_000))
    path = csv_file(tmp_path, "id,name\na,changed\n" + rows, "big.csv")
    calls = []

    def cancel_on_second_batch(rows_read: int, done: int, total: int) -> None:
        calls.append((rows_read, done, total))
        if len(calls) == 2:
            raise KeyboardInterrupt  # what a cancel (or any error) looks like to the store

    with pytest.raises(KeyboardInterrupt):
        audience.import_csv(
            journey_id, ImportPlan.from_preview(preview_csv(path)), mode=REPLACE,
            progress=cancel_on_second_batch,
        )
    assert calls[0][0] == 10_000 and 0 < calls[0][1] < calls[0][2] == path.stat().st_size
    # The thread reading the file ahead of the writes has stopped.
    assert not [t for t in threading.enumerate() if t.name == "audience-reader"]
    assert stored(journey_id) == before
    assert repo.get(journey_id).audience_columns == {"name": "text"}
    # The connection is usable afterwards and (on the file) foreign keys are enforced again.
    if database_kind == "sqlite":
        assert MemberRecord._meta.database.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
    assert run_import(audience, journey_id, path).added == 25_000


def test_active_journeys_accept_imports_deactivated_refuse(
    tmp_path: Path, audience: AudienceStore, repo: JourneyRepository, journey_id: int
) -> None:
    path = csv_file(tmp_path, "id\na\n")
    assert repo.activate(journey_id).ok
    assert run_import(audience, journey_id, path).added == 1
    repo.deactivate(journey_id)
    with pytest.raises(LifecycleError, match="deactivated"):
        run_import(audience, journey_id, csv_file(tmp_path, "id\nb\n", "b.csv"))
    assert sorted(stored(journey_id)) == ["a"]


def test_audience_pages_by_keyset_and_prefix(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    rows = "".join(f"c{i:03d},n{i}\n" for i in range(250))
    run_import(audience, journey_id, csv_file(tmp_path, "id,name\n" + rows + "d000,x\n"))
    first = audience.page(journey_id, limit=100)
    assert [r.external_id for r in first[:2]] == ["c000", "c001"] and len(first) == 100
    assert first[0].fields == {"name": "n0"}
    second = audience.page(journey_id, after=first[-1].external_id, limit=100)
    assert second[0].external_id == "c100"
    back = audience.page(journey_id, before=second[0].external_id, limit=100)
    assert back == first
    last = audience.page(journey_id, last=True, limit=100)
    assert [r.external_id for r in last] == [f"c{i:03d}" for i in range(200, 250)] + ["d000"]
    assert audience.count(journey_id) == 251
    assert audience.count(journey_id, "c1") == 100
    assert [r.external_id for r in audience.page(journey_id, prefix="c24", limit=5)] == [
        f"c{i}" for i in range(240, 245)
    ]
    assert audience.page(journey_id, prefix="C", limit=5) == []  # IDs are case-sensitive
    assert audience.find(journey_id, "d000").fields == {"name": "x"}  # type: ignore[union-attr]


# --- a crash mid-transaction -----------------------------------------------------------------


def _snapshot(db_file: Path) -> tuple[list[tuple[object, ...]], str]:
    conn = sqlite3.connect(db_file)
    try:
        customers = conn.execute(
            "SELECT m.journey_id, m.external_id, p.fields, m.entries, m.first_check_at,"
            " m.next_check_at, m.imported_at FROM member m"
            " JOIN profile p ON p.external_id = m.external_id ORDER BY 1, 2"
        ).fetchall()
        (columns,) = conn.execute("SELECT audience_columns FROM journey").fetchone()
        return customers, columns
    finally:
        conn.close()


@pytest.mark.sqlite_only
def test_killed_import_leaves_the_audience_as_it_was(
    tmp_path: Path, data_dir: Path, audience: AudienceStore, journey_id: int
) -> None:
    """SIGKILL a real ``journey-desktop audience import --replace`` once it has written rows
    inside its transaction; the audience must be exactly as before and the file healthy."""
    seed = "".join(f"C{i:07d},seed{i},1\n" for i in range(0, 400_000, 500))
    run_import(audience, journey_id,
               csv_file(tmp_path, "customerId,name,score\n" + seed, "seed.csv"))
    db_file = database_path(data_dir)
    before = _snapshot(db_file)
    assert len(before[0]) == 800
    wal = db_file.with_name(db_file.name + "-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0

    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as out:
        out.write("customerId,name,city,birthday\n")
        out.writelines(f"C{i:07d},Name {i},City {i % 97},1990-01-{i % 28 + 1:02d}\n"
                       for i in range(400_000))
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state), "PYTHONUNBUFFERED": "1"}
    log_file = state / "journey-desktop" / "log" / "journey-desktop.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "journey_desktop", "--data-dir", str(data_dir),
         "audience", "import", str(journey_id), str(big), "--replace"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        # Poll, with a deadline, until the import logged rows written in its transaction and
        # its uncommitted pages started spilling into the WAL.
        while True:
            text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
            wal_size = wal.stat().st_size if wal.exists() else 0
            if "rows written" in text and wal_size > wal_before + 1_000_000:
                break
            assert proc.poll() is None, (
                f"import ended before it could be killed: {proc.communicate()}")
            assert time.monotonic() < deadline, "no progress line in the log, or no WAL growth"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert "import into journey" in text and "read " not in text  # killed before the end

    conn = sqlite3.connect(db_file)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    assert _snapshot(db_file) == before


def _team_snapshot() -> tuple[list[tuple[object, ...]], int, str, list[tuple[object, ...]]]:
    customers = database.execute_sql(
        "SELECT m.journey_id, m.external_id, p.fields, m.entries, m.first_check_at,"
        " m.next_check_at, m.imported_at, m.import_id FROM member m"
        " JOIN profile p ON p.external_id = m.external_id ORDER BY 1, 2").fetchall()
    (profiles,) = database.execute_sql("SELECT count(*) FROM profile").fetchone()
    (columns,) = database.execute_sql("SELECT audience_columns FROM journey").fetchone()
    settings = database.execute_sql("SELECT key, value FROM setting ORDER BY key").fetchall()
    return customers, int(profiles), columns, settings


def test_killed_import_leaves_everything_as_it_was_on_either_database(
    tmp_path: Path, data_dir: Path, store_url: str | None, audience: AudienceStore,
    journey_id: int,
) -> None:
    """SIGKILL a real ``journey-desktop [--database URL] audience import --replace`` once it
    has written (on a team database: staged) rows inside its transaction: the customers,
    the profiles, the journey's columns and the settings (import numbers) are as before."""
    seed = "".join(f"C{i:07d},seed{i},1\n" for i in range(0, 400_000, 500))
    seed_file = csv_file(tmp_path, "customerId,name,score\n" + seed, "seed.csv")
    run_import(audience, journey_id, seed_file)
    before = _team_snapshot()
    assert len(before[0]) == 800
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as out:
        out.write("customerId,name,city\n")
        out.writelines(f"C{i:07d},Name {i},City {i % 97}\n" for i in range(400_000))
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state), "PYTHONUNBUFFERED": "1"}
    log_file = state / "journey-desktop" / "log" / "journey-desktop.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "journey_desktop", "--data-dir", str(data_dir),
         *(["--database", store_url] if store_url else []),
         "audience", "import", str(journey_id), str(big), "--replace"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # poll, with a deadline, until rows are written in the transaction
            text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
            if "rows written" in text:
                break
            assert proc.poll() is None, f"import ended before being killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no progress line in the log"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert "import into journey" in text and "read " not in text  # killed before the end
    assert _team_snapshot() == before
    assert run_import(audience, journey_id, big, REPLACE).removed == 0


def test_replace_with_a_quote_never_closed_changes_nothing(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    rows = "".join(f"C{i},Name{i}\n" for i in range(1_000))
    run_import(audience, journey_id, csv_file(tmp_path, "id,name\n" + rows, "all.csv"))
    before = stored(journey_id)
    # Past the preview's sample, so only the import itself can see it.
    many = "".join(f"C{i},Name{i}\n" for i in range(10_000))
    path = csv_file(tmp_path, f"id,name\n{many}C0,\"Ann\n" + rows[:5_000])
    plan = ImportPlan.from_preview(preview_csv(path))
    with pytest.raises(CsvFileError,
                       match=r"^line 10002: a quote opened on this line is never closed"):
        audience.count_leaving(journey_id, plan)
    with pytest.raises(CsvFileError,
                       match=r"^line 10002: a quote opened on this line is never closed"):
        audience.import_csv(journey_id, plan, mode=REPLACE, now=NOW)
    assert stored(journey_id) == before


def import_and_save_rejects(
    audience: AudienceStore, journey_id: int, path: Path, out: Path
) -> ImportResult:
    result = audience.import_csv(journey_id, ImportPlan.from_preview(preview_csv(path)), now=NOW)
    try:
        result.save_rejects(out)
    finally:
        result.rejects.close()
    return result


def read_rejects(path: Path, encoding: str, delimiter: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_the_rejects_file_keeps_the_sources_delimiter_encoding_and_columns(
    tmp_path: Path, audience: AudienceStore, journey_id: int
) -> None:
    source = "customerId;Stadt;line\n1;Köln;a\n;München;b\n2;Zürich;c;extra\n;=1+2;-3\n"
    path = tmp_path / "kunden.csv"
    # 0x81: a byte Windows-1252 leaves undefined.
    path.write_bytes(source.encode("cp1252") + b";\x81x;e\n")
    out = tmp_path / "rejected.csv"
    result = import_and_save_rejects(audience, journey_id, path, out)
    assert result.rejected == 4
    assert read_rejects(out, "latin-1", ";") == [
        ["line (2)", "reason", "customerId", "Stadt", "line"],  # the source's "line" kept
        ["3", "empty customer ID", "", "München", "b"],
        ["4", "too many fields (4; the header has 3)", "2", "Zürich", "c", "extra"],
        ["5", "empty customer ID", "", "=1+2", "-3"],  # the cells exactly, to import again
        ["6", "empty customer ID", "", "\x81x", "e"],  # the byte as it came
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", ","), ("utf-16", "\t"), ("cp1252", "|")]
)
def test_the_rejects_file_imports_again_once_fixed(
    tmp_path: Path, audience: AudienceStore, journey_id: int, encoding: str, delimiter: str
) -> None:
    bom = "\ufeff" if encoding == "utf-8" else ""
    rows = [
        ["customerId", "name", "note"],
        ["1", "Ann", "ok"],
        ["", "Bob", "no ID"],
        ["3", "Cy", "multi\nline", "extra"],
        ["4", "Di"],
        ["5", "Eve", "é"],
        ["6", "F" * 131_073, "too long"],
    ]
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "customers.csv"
    path.write_bytes((bom + text.getvalue()).encode(encoding))
    saved = tmp_path / "rejected.csv"
    first = import_and_save_rejects(audience, journey_id, path, saved)
    assert (first.added, first.rejected) == (2, 4)
    file_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    table = read_rejects(saved, file_encoding, delimiter)
    assert table[0] == ["line", "reason", "customerId", "name", "note"]
    assert [r[:2] for r in table[1:]] == [
        ["3", "empty customer ID"],
        ["4", "too many fields (4; the header has 3)"],
        ["6", "too few fields (2; the header has 3)"],
        ["8", "a field is longer than 131,072 characters"],
    ]
    # Fixed in a spreadsheet: the line and reason columns dropped, each row mended.
    fixed = [row[2:] for row in table]
    fixed[1][0] = "2"
    fixed[2] = fixed[2][:3]
    fixed[3].append("")
    fixed[4] = ["6", "Fay", "shortened"]
    again = io.StringIO()
    csv.writer(again, delimiter=delimiter).writerows(fixed)
    saved.write_bytes(again.getvalue().encode(file_encoding))
    second = run_import(audience, journey_id, saved)
    assert (second.read, second.added, second.rejected) == (4, 4, 0)
    customers = stored(journey_id)
    assert sorted(customers) == ["1", "2", "3", "4", "5", "6"]
    assert customers["3"][0] == {"name": "Cy", "note": "multi\nline"}
    assert customers["5"][0] == {"name": "Eve", "note": "é"}
