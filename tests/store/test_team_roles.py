"""Roles on a team database (SPEC §14): the README's viewer may only read, its editor may
change the data; the store says which before anything is tried."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from journey_desktop.store import close_store, open_store, store_is_read_only
from journey_desktop.store.postgres import TeamReadOnlyError
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import load_example
from tests.team_roles import EDITOR, VIEWER, as_role, grant_roles


@pytest.fixture
def granted_url(team_url: str) -> str:
    grant_roles(team_url)
    return team_url


def test_the_viewer_is_read_only_and_the_server_refuses_its_writes(
        granted_url: str, data_dir: Path) -> None:
    open_store(data_dir, url=as_role(granted_url, VIEWER))
    try:
        assert store_is_read_only()
        repo = JourneyRepository()
        assert repo.summaries() == []
        with pytest.raises(TeamReadOnlyError, match="may only read the team database"):
            repo.create(load_example("birthday"))
    finally:
        close_store()


def test_the_editor_may_write(granted_url: str, data_dir: Path) -> None:
    open_store(data_dir, url=as_role(granted_url, EDITOR))
    try:
        assert not store_is_read_only()
        repo = JourneyRepository()
        journey_id = repo.create(load_example("birthday"))
        assert [s.id for s in repo.summaries()] == [journey_id]
    finally:
        close_store()


def test_a_read_only_transaction_default_makes_the_store_read_only(
        team_url: str, data_dir: Path) -> None:
    with psycopg.connect(team_url, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    open_store(data_dir, url=team_url)
    try:
        assert store_is_read_only()
    finally:
        close_store()


def test_the_local_file_is_not_read_only(data_dir: Path) -> None:
    open_store(data_dir)
    try:
        assert not store_is_read_only()
    finally:
        close_store()


def test_the_readme_set_up_from_start_to_end(postgres_server: str, data_dir: Path) -> None:
    """As the README says: roles and database by the administrator, the tables by the
    owner's first opening, the grants by the owner; then the viewer reads and the editor
    writes."""
    from tests.team_database import database_url
    from tests.team_roles import OWNER, TEAM_DATABASE, create_roles, readme_sql

    create_roles(postgres_server)
    team = database_url(postgres_server, TEAM_DATABASE)
    owner = as_role(team, OWNER)
    open_store(data_dir, url=owner)
    try:
        assert not store_is_read_only()
    finally:
        close_store()
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(readme_sql("-- editor role"))
        conn.execute(readme_sql("-- viewer role"))
    open_store(data_dir, url=as_role(team, VIEWER))
    try:
        assert store_is_read_only()
    finally:
        close_store()
    open_store(data_dir, url=as_role(team, EDITOR))
    try:
        assert not store_is_read_only()
        journey_id = JourneyRepository().create(load_example("birthday"))
        assert journey_id in [s.id for s in JourneyRepository().summaries()]
    finally:
        close_store()


@pytest.mark.parametrize("url, kept", [
    ("postgresql://anna:se%20cret@db.example.com:5432/journeys?sslmode=require",
     "postgresql://anna@db.example.com:5432/journeys?sslmode=require"),
    ("postgresql://anna@db/journeys?password=secret&sslmode=require",
     "postgresql://anna@db/journeys?sslmode=require"),
    ("postgresql:///journeys?host=/var/run/postgresql",
     "postgresql:///journeys?host=/var/run/postgresql"),
])
def test_an_address_is_remembered_without_its_password(url: str, kept: str) -> None:
    from journey_desktop.store.postgres import without_password

    assert without_password(url) == kept
