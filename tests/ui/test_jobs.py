"""run_job: every window job on its own thread and connection, reported back in words."""

from __future__ import annotations

import threading

import pytest

from journey_desktop.store.errors import BusyError
from journey_desktop.ui.common.jobs import live_jobs, run_job, wait_for_jobs


def test_a_job_runs_off_the_gui_thread_on_its_own_connection(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    from journey_desktop.store.db import database

    gui_connection = database.connection()
    seen: dict[str, object] = {}

    def job(_control):  # type: ignore[no-untyped-def]
        seen["thread"] = threading.current_thread()
        seen["connection"] = database.connection()
        return len(repo.summaries())

    done: list[object] = []
    run_job(job, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert done == [0]
    assert seen["thread"] is not threading.main_thread()
    assert seen["connection"] is not gui_connection
    qtbot.waitUntil(lambda: live_jobs() == 0, timeout=10_000)


@pytest.mark.parametrize("error, shown", [
    (BusyError(), str(BusyError())),
    (ZeroDivisionError("division by zero"), "Unexpected error: division by zero"),
], ids=["expected", "bug"])
def test_a_failing_job_says_why(qtbot, store, caplog, error, shown) -> None:  # type: ignore[no-untyped-def]
    def job(_control):  # type: ignore[no-untyped-def]
        raise error

    failed: list[str] = []
    run_job(job, lambda _result: None, failed.append)
    qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    assert failed == [shown]
    logged_bug = any(r.exc_info for r in caplog.records)
    assert logged_bug == isinstance(error, ZeroDivisionError)


def test_waiting_for_jobs_returns_once_they_have_ended(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    ended = threading.Event()

    def job(_control):  # type: ignore[no-untyped-def]
        assert release.wait(10)
        ended.set()

    run_job(job, lambda _result: None)
    assert live_jobs() >= 1
    release.set()
    wait_for_jobs()
    assert ended.is_set()
