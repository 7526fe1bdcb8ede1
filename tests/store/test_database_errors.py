"""SQLite failures reach users in words: damaged, read-only, full, busy, bad schema."""

import sqlite3
import threading

import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import (
    CorruptDatabaseError,
    DatabaseOpenError,
    add_busy_listener,
    database,
)
from journey_desktop.store.errors import DamagedError, FullError, ReadOnlyError
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import load_example
from tests.store.disk_support import (
    damage_pages,
    database_with_customers,
    fill,
    remount,
    small_disk,  # noqa: F401 (fixture)
)


def schema_table(data_dir, create: str, *rows: tuple) -> bytes:
    path = data_dir / "journeys.db"
    conn = sqlite3.connect(path)
    conn.execute(create)
    for row in rows:
        conn.execute(f"INSERT INTO schema_version VALUES ({', '.join('?' * len(row))})", row)
    conn.commit()
    conn.close()
    return path.read_bytes()


VERSION_TABLE = "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER)"


@pytest.mark.parametrize(
    "create, rows, reason",
    [
        (VERSION_TABLE, [(-5, 0)], "schema version is not valid (-5"),
        (VERSION_TABLE, [(0, 0)], "schema version is not valid (0"),
        ("CREATE TABLE schema_version (version, applied_at)", [("two", 0)], "not valid ('two'"),
        ("CREATE TABLE schema_version (version, applied_at)", [(1.5, 0)], "not valid (1.5"),
        ("CREATE TABLE schema_version (applied_at INTEGER)", [(0,)], "columns missing"),
        (VERSION_TABLE, [], "table is empty"),
    ],
)
def test_malformed_schema_version_is_refused_and_untouched(data_dir, create, rows, reason):
    before = schema_table(data_dir, create, *rows)
    with pytest.raises(CorruptDatabaseError, match=reason.replace("(", r"\(")):
        open_store(data_dir)
    assert (data_dir / "journeys.db").read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["journeys.db"]  # no backup either


def test_damaged_pages_refuse_every_write_and_the_file_is_kept(data_dir):
    path = database_with_customers(data_dir)
    damage_pages(path)
    before = path.read_bytes()
    open_store(data_dir)
    try:
        with pytest.raises(DamagedError, match="is damaged"):
            JourneyRepository().create(load_example("birthday"))
        with pytest.raises(DamagedError):
            JourneyRepository().set_audience_columns(1, {"city": "text"})
    finally:
        close_store()
    assert path.read_bytes() == before


def test_damaged_pages_are_refused_at_open_when_asked_to_check(data_dir):
    path = database_with_customers(data_dir)
    damage_pages(path)
    before = path.read_bytes()
    with pytest.raises(CorruptDatabaseError, match="damaged"):
        open_store(data_dir, check_pages=True)
    assert path.read_bytes() == before


def test_a_sound_database_passes_the_check(data_dir):
    database_with_customers(data_dir)
    open_store(data_dir, check_pages=True)
    try:
        assert JourneyRepository().create(load_example("birthday")) == 2
    finally:
        close_store()


def test_read_only_folder_is_not_called_damaged(small_disk):  # noqa: F811
    data_dir = small_disk / "data"
    open_store(data_dir)
    JourneyRepository().create(load_example("birthday"))
    close_store()
    before = (data_dir / "journeys.db").read_bytes()
    remount(small_disk, "ro")
    try:
        with pytest.raises(ReadOnlyError, match="cannot write here") as caught:
            open_store(data_dir)
        assert not isinstance(caught.value, DatabaseOpenError)  # never offered to set aside
        assert (data_dir / "journeys.db").read_bytes() == before
    finally:
        remount(small_disk, "rw")


def test_full_disk_at_open_is_not_called_damaged(small_disk):  # noqa: F811
    data_dir = small_disk / "data"
    open_store(data_dir)
    JourneyRepository().create(load_example("birthday"))
    close_store()
    filler = fill(small_disk)
    with pytest.raises(FullError, match=r"the disk is full \(0 MB free\)"):
        open_store(data_dir)
    filler.unlink()
    open_store(data_dir)
    try:
        assert [s.name for s in JourneyRepository().summaries()] == ["Birthday greetings"]
    finally:
        close_store()


def test_a_write_waits_for_the_lock_another_connection_holds(repo, data_dir):
    holder = sqlite3.connect(data_dir / "journeys.db", isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # as the evaluator does for each batch
    holder.execute("INSERT INTO setting (key, value) VALUES ('held', 'yes')")
    waiting = threading.Event()
    remove = add_busy_listener(waiting.set)

    def commit_once_the_write_waits() -> None:
        waiting.wait(timeout=20)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=commit_once_the_write_waits)
    releaser.start()
    try:
        journey_id = repo.create(load_example("birthday"))
    finally:
        remove()
        releaser.join()
        holder.close()
    assert waiting.is_set()
    assert repo.get(journey_id).journey.name == "Birthday greetings"


def test_list_counts_are_read_in_one_snapshot(repo, data_dir):
    journey_id = repo.create(load_example("birthday"))
    tick = sqlite3.connect(data_dir / "journeys.db", isolation_level=None)
    run_queries: list[str] = []

    def tick_commits_between_the_counts(statement: str) -> None:
        if '"run"' in statement:
            run_queries.append(statement)
            if len(run_queries) == 2:  # entered counted, in progress not yet
                tick.execute(
                    "INSERT INTO run (journey_id, external_id, entry_number, state, node, "
                    "due_at, started_at, path) VALUES (?, 'c1', 1, 'in_progress', 'n', 0, 0, '')",
                    (journey_id,),
                )

    conn = database.connection()
    conn.set_trace_callback(tick_commits_between_the_counts)
    try:
        (row,) = repo.summaries()
    finally:
        conn.set_trace_callback(None)
        tick.close()
    assert len(run_queries) >= 2
    assert (row.entered, row.in_progress) in ((0, 0), (1, 1))
