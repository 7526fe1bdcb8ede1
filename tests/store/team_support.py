"""Data the evaluator makes, on a team database too: the evaluator ticks on SQLite (it
does not run on PostgreSQL yet), then ``db copy`` moves the rows to the test's team
database, whose reads the test then checks (SPEC §14: the same results on both)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from journey_desktop.paths import database_path
from journey_desktop.store import close_store, open_store
from journey_desktop.store.db_copy import Place, copy_database
from journey_desktop.store.postgres import connect_postgres


def empty_team_database(url: str) -> None:
    """Drop every table of the test's team database (it starts with the schema)."""
    db = connect_postgres(url)
    try:
        db.execute_sql("DROP SCHEMA public CASCADE")
        db.execute_sql("CREATE SCHEMA public")
    finally:
        db.close()


@contextmanager
def made_on_sqlite(data_dir: Path, store_url: str | None) -> Iterator[None]:
    """Inside: the store is the data folder's SQLite file. After: on a team database, its
    rows moved there by ``db copy``, and the team database open again."""
    if store_url is None:
        yield
        return
    close_store()
    open_store(data_dir)
    yield
    close_store()
    empty_team_database(store_url)
    copy_database(Place(path=database_path(data_dir)), Place(url=store_url))
    open_store(data_dir, url=store_url)


@pytest.fixture
def on_sqlite(store: Path, store_url: str | None) -> Callable[[], AbstractContextManager[None]]:
    """``with on_sqlite():`` around the part of a test that ticks (``made_on_sqlite``)."""
    return lambda: made_on_sqlite(store, store_url)
