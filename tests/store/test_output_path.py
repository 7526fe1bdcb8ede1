"""No file the user names may be the open database, however it is spelt."""

from __future__ import annotations

import os

import pytest
from peewee import DatabaseProxy, SqliteDatabase

from journey_desktop.store.output_path import (
    DatabaseOutputError,
    check_output_path,
    is_database_file,
)


def test_every_spelling_of_the_database_and_its_wal_files_is_caught(store, tmp_path,
                                                                     monkeypatch) -> None:  # type: ignore[no-untyped-def]
    database_file = store / "journeys.db"
    os.link(database_file, tmp_path / "hard-link.csv")
    (tmp_path / "soft-link.csv").symlink_to(database_file)
    monkeypatch.chdir(store)
    for path in ("journeys.db", "./journeys.db-wal", f"../{store.name}/journeys.db-shm",
                 str(tmp_path / "hard-link.csv"), str(tmp_path / "soft-link.csv")):
        assert is_database_file(path), path
    for path in ("journeys.db.csv", "journeys.db-wal.csv", str(tmp_path / "journeys.db")):
        assert not is_database_file(path), path
    with pytest.raises(DatabaseOutputError) as refused:
        check_output_path("journeys.db")
    assert str(refused.value) == (
        f"journeys.db: this is the open database ({database_file}); choose another file")


def test_a_database_with_no_file_protects_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for db in (DatabaseProxy(), SqliteDatabase(":memory:")):
        assert not is_database_file(tmp_path / "journeys.db", db)
