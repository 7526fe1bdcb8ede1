"""A lost connection to the team database (SPEC §14): the action that meets it fails in
words, and the next one connects again."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from journey_desktop.store.postgres import TeamDatabaseError
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import load_example


def end_connections(admin_url: str, url: str) -> int:
    """``pg_terminate_backend`` on every other connection to ``url``'s database."""
    with psycopg.connect(url, autocommit=True) as probe:
        name = probe.execute("SELECT current_database()").fetchone()[0]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        return len(admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall())


def test_the_next_action_after_a_lost_connection_reconnects(
        postgres_server: str, team_url: str, data_dir: Path) -> None:
    open_store(data_dir, url=team_url)
    try:
        repo = JourneyRepository()
        first = repo.create(load_example("birthday"))
        assert end_connections(postgres_server, team_url) == 1
        with pytest.raises(TeamDatabaseError, match="connection was lost"):
            repo.create(load_example("welcome-series"))
        assert [s.id for s in repo.summaries()] == [first]  # nothing half-written
        repo.create(load_example("welcome-series"))
        assert len(repo.summaries()) == 2
        assert not database.is_closed()
    finally:
        close_store()


def test_a_connection_lost_during_an_import_writes_nothing_and_the_next_import_runs(
        postgres_server: str, team_url: str, data_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection ends between two staged batches of one import (the server restarted,
    the network dropped): the import fails in words, none of its rows stay, and the same
    import run again writes them all."""
    from journey_desktop.domain.audience_csv import ImportPlan
    from journey_desktop.domain.audience_preview import preview_csv
    from journey_desktop.domain.journey import minimal_journey
    from journey_desktop.store import postgres_bulk
    from journey_desktop.store.audience import ADD, AudienceStore

    rows = 25_000  # three batches
    path = tmp_path / "audience.csv"
    path.write_text("customerId,firstName\n" + "".join(f"c{i:05d},N{i}\n" for i in range(rows)),
                    encoding="utf-8")
    open_store(data_dir, url=team_url)
    try:
        journey_id = JourneyRepository().create(minimal_journey("Lost"))
        copy_rows = postgres_bulk.copy_rows
        batches: list[str] = []

        def copy_then_lose_the_connection(table, columns, batch):  # type: ignore[no-untyped-def]
            batches.append(table)
            if len(batches) == 2:
                assert end_connections(postgres_server, team_url) == 1
            copy_rows(table, columns, batch)

        monkeypatch.setattr(postgres_bulk, "copy_rows", copy_then_lose_the_connection)
        store = AudienceStore()
        with pytest.raises(TeamDatabaseError, match="connection was lost"):
            store.import_csv(journey_id, ImportPlan.from_preview(preview_csv(path)), mode=ADD,
                             now=1_000).rejects.close()
        assert len(batches) == 2
        counted = database.execute_sql(
            "SELECT (SELECT count(*) FROM profile), (SELECT count(*) FROM member)").fetchone()
        assert tuple(counted) == (0, 0)
        monkeypatch.setattr(postgres_bulk, "copy_rows", copy_rows)
        result = store.import_csv(journey_id, ImportPlan.from_preview(preview_csv(path)),
                                  mode=ADD, now=2_000)
        result.rejects.close()
        assert result.added == rows
        assert database.execute_sql("SELECT count(*) FROM member").fetchone()[0] == rows
    finally:
        close_store()
