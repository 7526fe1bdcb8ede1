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
