import sqlite3

import pytest

from journey_desktop.store import close_store, migrations, open_store
from journey_desktop.store.db import CorruptDatabaseError, NewerDatabaseError, database
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import load_example


def test_new_database_uses_wal_and_foreign_keys(data_dir):
    open_store(data_dir)
    try:
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        version = database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()[0]
        assert version == migrations.SCHEMA_VERSION
    finally:
        close_store()
    assert (data_dir / "journeys.db").exists()


def test_data_survives_reopening(data_dir):
    open_store(data_dir)
    JourneyRepository().create(load_example("birthday"))
    close_store()
    open_store(data_dir)
    try:
        assert [s.name for s in JourneyRepository().summaries()] == ["Birthday greetings"]
    finally:
        close_store()


def test_newer_schema_is_refused_and_left_untouched(data_dir):
    path = data_dir / "journeys.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER)")
    conn.execute("INSERT INTO schema_version VALUES (99, 0)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NewerDatabaseError, match="newer Journey Desktop"):
        open_store(data_dir)
    assert path.read_bytes() == before
    assert not (data_dir / "journeys.db-wal").exists()


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, b"SQLite format 3\x00" + b"\xff" * 4000],
)
def test_corrupt_file_is_refused_and_left_untouched(data_dir, content):
    path = data_dir / "journeys.db"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError):
        open_store(data_dir)
    assert path.read_bytes() == content


def test_foreign_sqlite_file_is_refused(data_dir):
    path = data_dir / "journeys.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(CorruptDatabaseError, match="not made by Journey Desktop"):
        open_store(data_dir)


def test_upgrade_copies_the_file_aside_and_runs_steps_in_order(data_dir, monkeypatch):
    open_store(data_dir)
    JourneyRepository().create(load_example("birthday"))
    close_store()
    base = migrations.SCHEMA_VERSION
    applied = []

    def step_a(db, _path):
        applied.append(base + 1)
        db.execute_sql("ALTER TABLE journey ADD COLUMN colour TEXT DEFAULT 'blue'")

    def step_b(db, _path):
        applied.append(base + 2)
        db.execute_sql("UPDATE journey SET colour = 'green'")

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", base + 2)
    monkeypatch.setattr(migrations, "MIGRATIONS", {base + 1: step_a, base + 2: step_b})
    open_store(data_dir)
    try:
        assert applied == [base + 1, base + 2]
        assert database.execute_sql("SELECT colour FROM journey").fetchone()[0] == "green"
        version = database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()[0]
        assert version == base + 2
    finally:
        close_store()
    [backup] = data_dir.glob(f"journeys.db.v{base}-*.bak")
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT name FROM journey").fetchall() == [("Birthday greetings",)]
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == base
    conn.close()


def test_failed_step_leaves_previous_version(data_dir, monkeypatch):
    open_store(data_dir)
    close_store()
    base = migrations.SCHEMA_VERSION

    def broken(db, _path):
        db.execute_sql("ALTER TABLE journey ADD COLUMN colour TEXT")
        raise RuntimeError("step failed")

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", base + 1)
    monkeypatch.setattr(migrations, "MIGRATIONS", {base + 1: broken})
    with pytest.raises(RuntimeError):
        open_store(data_dir)
    close_store()
    conn = sqlite3.connect(data_dir / "journeys.db")
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == base
    columns = [r[1] for r in conn.execute("PRAGMA table_info(journey)")]
    assert "colour" not in columns
    conn.close()


def test_refused_file_can_be_set_aside_for_a_fresh_start(data_dir):
    from journey_desktop.store.db import set_aside

    path = data_dir / "journeys.db"
    path.write_bytes(b"not a database")
    with pytest.raises(CorruptDatabaseError):
        open_store(data_dir)
    kept = set_aside(path, "damaged")
    assert kept.read_bytes() == b"not a database"
    assert kept.parent == data_dir and kept.name.startswith("journeys.db.damaged-")
    open_store(data_dir)
    try:
        assert JourneyRepository().count() == 0
    finally:
        close_store()
