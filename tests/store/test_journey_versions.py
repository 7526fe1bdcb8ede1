"""Several editors (SPEC §14): every saved change of a journey is a new version, stamped
with who and when; a save over a newer version is refused naming them; other writers'
changes reach a watch within its poll."""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable
from typing import Any

import pytest

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.db import database
from journey_desktop.store.journey_versions import StaleJourneyError
from journey_desktop.store.journey_watch import JourneyChange, open_watch
from journey_desktop.store.repository import JourneyRepository, LifecycleError
from tests.conftest import load_example

pytestmark = pytest.mark.both_databases

NOW = 1_796_220_300  # 2026-12-01 (the words say "at HH:MM" on the day itself)


def _row(journey_id: int) -> tuple[int, str, int]:
    return database.execute_sql(
        "SELECT version, updated_by, updated_at FROM journey WHERE id = ?", (journey_id,)
    ).fetchone()


def _writer(database_kind: str) -> str:
    if database_kind == "sqlite":
        return getpass.getuser()
    return str(database.execute_sql("SELECT current_user").fetchone()[0])


def test_every_saved_change_is_a_new_version_with_its_writer(repo, database_kind):
    journey_id = repo.create(load_example("birthday"), now=NOW)
    writer = _writer(database_kind)
    assert _row(journey_id) == (1, writer, NOW)
    journey = repo.get(journey_id).journey
    journey.description = "Changed"
    assert repo.save(journey_id, journey, version=1, now=NOW + 60) == 2
    assert _row(journey_id) == (2, writer, NOW + 60)
    assert repo.save(journey_id, journey, now=NOW + 61) == 3  # no version: the last one
    repo.activate(journey_id, now=NOW + 120)
    assert _row(journey_id) == (4, writer, NOW + 120)
    repo.deactivate(journey_id, now=NOW + 180)
    stored = repo.get(journey_id)
    assert (stored.version, stored.updated_by, stored.status) == (5, writer, "deactivated")
    [summary] = repo.summaries(counts=False)
    assert (summary.version, summary.updated_by) == (5, writer)


def test_a_clone_starts_at_version_1(repo):
    journey_id = repo.create(load_example("birthday"))
    repo.save(journey_id, repo.get(journey_id).journey, version=1)
    copy_id = repo.clone(journey_id)
    assert repo.get(copy_id).version == 1


def test_saving_over_a_newer_version_is_refused_naming_who_and_when(repo):
    journey_id = repo.create(minimal_journey("Welcome"), now=NOW)
    anna, mine = repo.get(journey_id).journey, repo.get(journey_id).journey
    anna.description = "Anna's"
    mine.description = "Mine"
    repo.save(journey_id, anna, version=1, now=NOW)  # Anna's window saves first
    database.execute_sql("UPDATE journey SET updated_by = 'Anna' WHERE id = ?", (journey_id,))
    with pytest.raises(StaleJourneyError) as refused:
        repo.save(journey_id, mine, version=1, now=NOW + 30)
    from journey_desktop.domain.edit_words import changed_when

    when = changed_when(NOW, NOW + 30)
    assert str(refused.value) == (
        f"Anna changed “Welcome” {when}; reload it or save your version as a copy")
    assert when.startswith("at ")
    stored = repo.get(journey_id)
    assert (stored.version, stored.journey.description) == (2, "Anna's")
    # Reload: the stored version is saved over as usual.
    assert repo.save(journey_id, mine, version=stored.version) == 3
    assert repo.get(journey_id).journey.description == "Mine"


def test_activating_options_read_from_an_older_version_is_refused(repo):
    journey_id = repo.create(load_example("birthday"))
    repo.save(journey_id, repo.get(journey_id).journey, version=1)
    with pytest.raises(StaleJourneyError):
        repo.activate(journey_id, version=1)
    assert repo.get(journey_id).status == "draft"
    assert repo.activate(journey_id, version=2).ok


def test_a_refused_save_writes_nothing_and_a_frozen_journey_stays_a_lifecycle_refusal(repo):
    journey_id = repo.create(load_example("birthday"))
    repo.activate(journey_id)
    with pytest.raises(LifecycleError):
        repo.save(journey_id, repo.get(journey_id).journey, version=1)
    assert repo.get(journey_id).version == 2


def _in_other_thread(call: Callable[[], Any]) -> Any:
    """Run ``call`` on a thread of its own: its own connection, as another window's."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc
        finally:
            database.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _wait_for(watch, journey_id: int) -> JourneyChange:
    """The watch's answers until one names the journey (at most ten polls)."""
    for _ in range(10):
        change = watch.wait(watch.wait_seconds)
        if change is not None and change.concerns(journey_id):
            return change
    raise AssertionError("the change was not noticed within ten polls")


def test_a_change_through_another_connection_reaches_the_watch(repo: JourneyRepository):
    journey_id = repo.create(minimal_journey("Welcome"))
    watch = open_watch()
    try:
        assert watch.wait(0) is None
        journey = repo.get(journey_id).journey
        journey.description = "from another window"
        _in_other_thread(lambda: repo.save(journey_id, journey, version=1))
        change = _wait_for(watch, journey_id)
        assert change.ids == {journey_id}
        new_id = _in_other_thread(lambda: repo.create(minimal_journey("Second")))
        _wait_for(watch, new_id)
        _in_other_thread(lambda: repo.remove(new_id))
        _wait_for(watch, new_id)
    finally:
        watch.close()


@pytest.mark.sqlite_only
def test_the_sqlite_watch_reads_versions_only_after_a_commit(repo):
    watch = open_watch()
    try:
        # Nothing committed elsewhere: the poll answers from PRAGMA data_version alone.
        assert watch.wait(0) is None
        repo.create(minimal_journey("Welcome"))
        assert watch.wait(0) == JourneyChange(frozenset({1}))
        assert watch.wait(0) is None
    finally:
        watch.close()


def test_my_version_kept_as_a_copy_gets_a_free_name(repo):
    journey_id = repo.create(minimal_journey("Welcome"))
    mine = repo.get(journey_id).journey
    mine.description = "Mine"
    first = repo.create_copy(mine)
    second = repo.create_copy(mine)
    assert [repo.get(i).journey.name for i in (first, second)] == [
        "Welcome (copy)", "Welcome (copy) (2)"]
    assert repo.get(first).journey.description == "Mine"
    assert repo.get(first).status == "draft"


def test_a_lost_listening_connection_comes_back_and_reads_everything(repo, database_kind):
    """The server dropped the watch's connection: nothing is raised; once it reconnects,
    what was notified meanwhile is unknown, so every journey is read again."""
    if database_kind != "postgres":
        pytest.skip("a team database's LISTEN connection")
    watch = open_watch()
    try:
        database.execute_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%' AND datname = current_database()")
        assert watch.wait(0.2) is None  # the loss, noticed
        assert watch.wait(0.2) == JourneyChange(everything=True)  # back
        journey_id = repo.create(minimal_journey("Welcome"))
        assert _wait_for(watch, journey_id).ids == {journey_id}
    finally:
        watch.close()
