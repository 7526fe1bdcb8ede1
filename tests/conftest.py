"""Shared fixtures: a temporary data folder and an opened store per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test touches the real user folders: data, logs and settings go to temp dirs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("JOURNEY_DESKTOP_DATA_DIR", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``both_databases`` runs twice: on the SQLite file and on a team
    database (a PostgreSQL of its own, SPEC §14); one also marked ``sqlite_only`` (a damaged
    file, a full disk: what only a file can do) runs on SQLite alone."""
    marked = metafunc.definition.get_closest_marker
    if marked("both_databases") and not marked("sqlite_only") and (
        "database_kind" in metafunc.fixturenames
    ):
        metafunc.parametrize("database_kind", ["sqlite", "postgres"])


@pytest.fixture
def database_kind() -> str:
    """Which database the ``store`` and ``cli`` fixtures open: "sqlite" unless the test is
    marked ``both_databases``, or ``$JOURNEY_DESKTOP_TEST_DATABASE`` says "postgres" (the
    whole suite on a team database, to find what does not yet run there)."""
    return os.environ.get("JOURNEY_DESKTOP_TEST_DATABASE", "sqlite")


@pytest.fixture
def store_url(database_kind: str, request: pytest.FixtureRequest) -> str | None:
    """The team database's URL for a test on PostgreSQL; None on SQLite."""
    if database_kind == "sqlite":
        return None
    from tests.team_database import new_database

    return new_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def new_store_url(database_kind: str, request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """More databases of the test's kind, for a test that opens several stores: each call
    gives None on SQLite (the file of the folder opened) or a new team database's URL."""
    def new() -> str | None:
        if database_kind == "sqlite":
            return None
        from tests.team_database import new_database

        return new_database(request.getfixturevalue("postgres_server"))

    return new


@pytest.fixture
def store(data_dir: Path, store_url: str | None) -> Iterator[Path]:
    from journey_desktop.store import close_store, open_store

    open_store(data_dir, url=store_url)
    yield data_dir
    close_store()


@pytest.fixture
def repo(store: Path):  # type: ignore[no-untyped-def]
    from journey_desktop.store.repository import JourneyRepository

    return JourneyRepository()


def example_path(name: str) -> Path:
    return EXAMPLES / f"{name}.json"


def load_example(name: str):  # type: ignore[no-untyped-def]
    from journey_desktop.domain.journey import Journey

    return Journey.from_json(example_path(name).read_text(encoding="utf-8"))


def add_members(journey_id: int, customers: dict[str, dict], now: int, *,
                due: bool = True, entries: int = 0) -> None:
    """Customers as an import leaves them: a profile each (fields merged as an import
    merges them, stamped with a new import number, noted as profiles written: the store's
    contract, which the exit rules on fields rely on) and a membership of the journey, due
    at ``now`` when ``due``."""
    import json

    from journey_desktop.store.postgres import on_postgres, portable_connection
    from journey_desktop.store.sqlite_bulk import next_import_id, profiles_written

    conn = portable_connection()
    import_id = next_import_id(conn)
    profiles_written(conn, import_id)
    merged = ("(profile.fields::jsonb || excluded.fields::jsonb)::text" if on_postgres()
              else "json_patch(profile.fields, excluded.fields)")
    conn.executemany(
        "INSERT INTO profile (external_id, fields, created_at, updated_at, import_id)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (external_id) DO UPDATE SET"
        f" fields = {merged}, import_id = excluded.import_id",
        [(ext, json.dumps(fields), now, now, import_id) for ext, fields in customers.items()],
    )
    conn.executemany(
        "INSERT INTO member (journey_id, external_id, entries, next_check_at, imported_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(journey_id, ext, entries, now if due else None, now) for ext in customers],
    )


pytest_plugins = ["tests.team_database"]
