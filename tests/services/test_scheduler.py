"""The QTimer scheduler: ticks off the GUI thread, never two at once, and the lock."""

from __future__ import annotations

import os

import pytest

from journey_desktop.services.scheduler import EvaluatorScheduler
from journey_desktop.store.evaluator_lock import EvaluatorLock
from journey_desktop.store.settings import SettingsRepository
from tests.store.evaluator_support import (
    MADRID,
    activate,
    journey_from,
    local,
    outbox,
    two_messages_a_day_apart,
)

NOW = local(2025, 4, 7)


@pytest.fixture
def journey_id(repo):
    customers = {f"c{i}": {"firstName": str(i)} for i in range(5)}
    return activate(repo, journey_from(two_messages_a_day_apart()), customers, NOW)


@pytest.fixture
def scheduler(qtbot, store):
    scheduler = EvaluatorScheduler(clock=lambda: NOW, tz=MADRID, interval_seconds=1)
    yield scheduler
    scheduler.stop()


def test_run_now_ticks_in_a_worker_and_reports(qtbot, scheduler, journey_id):
    with qtbot.waitSignal(scheduler.tick_finished, timeout=10_000) as blocker:
        assert scheduler.run_now()
        assert scheduler.busy
        assert scheduler.status_text() == "Checking customers…"
    summary = blocker.args[0]
    assert (summary.entered, summary.messages) == (5, 5)
    assert len(outbox(journey_id)) == 5
    assert scheduler.last_tick_at == NOW
    assert not scheduler.busy


def test_a_tick_never_overlaps_the_running_one(qtbot, scheduler, journey_id):
    with qtbot.waitSignal(scheduler.tick_finished, timeout=10_000):
        assert scheduler.run_now()
        assert not scheduler.run_now()
    assert len(outbox(journey_id)) == 5


def test_the_timer_ticks_at_the_interval(qtbot, scheduler, journey_id):
    scheduler.start()
    assert scheduler.running
    assert scheduler.next_tick_at == NOW + 1
    with qtbot.waitSignal(scheduler.tick_finished, timeout=10_000):
        pass
    assert len(outbox(journey_id)) == 5


def test_another_live_evaluator_is_named_and_not_overrun(qtbot, scheduler, journey_id):
    other = EvaluatorLock(pid=os.getppid(), clock=lambda: NOW)
    other.acquire()
    with qtbot.waitSignal(scheduler.tick_failed, timeout=5_000) as blocker:
        assert not scheduler.run_now()
    assert f"already running in process {os.getppid()}" in blocker.args[0]
    assert outbox(journey_id) == []
    other.release()
    with qtbot.waitSignal(scheduler.tick_finished, timeout=10_000):
        assert scheduler.run_now()


def test_a_first_tick_soon_after_start_catches_up_then_the_interval_follows(
    qtbot, store, journey_id
):
    scheduler = EvaluatorScheduler(clock=lambda: NOW, tz=MADRID, interval_seconds=3600)
    try:
        scheduler.start(first_tick_in=0.05)
        assert scheduler.next_tick_at == NOW  # shown in the status bar as the next tick
        with qtbot.waitSignal(scheduler.tick_finished, timeout=10_000):
            pass
        assert len(outbox(journey_id)) == 5
        assert NOW + 3590 <= scheduler.next_tick_at <= NOW + 3600
        assert scheduler.running
    finally:
        scheduler.stop()


def test_an_interval_past_what_the_timer_counts_still_starts(qtbot, store):
    # 700 hours is more than QTimer's 2**31 - 1 milliseconds.
    scheduler = EvaluatorScheduler(clock=lambda: NOW, tz=MADRID, interval_seconds=700 * 3600)
    try:
        scheduler.start()
        assert scheduler.running
        assert scheduler.next_tick_at == NOW + SettingsRepository.MAX_TICK_INTERVAL
        scheduler.set_interval(10**9)
        assert scheduler.running
        assert scheduler.next_tick_at == NOW + SettingsRepository.MAX_TICK_INTERVAL
    finally:
        scheduler.stop()


def test_a_stored_interval_past_what_the_timer_counts_does_not_stop_the_launch(qtbot, store):
    SettingsRepository().set(SettingsRepository.TICK_INTERVAL, str(700 * 3600))
    scheduler = EvaluatorScheduler(clock=lambda: NOW, tz=MADRID)
    try:
        scheduler.start()
        assert scheduler.running
        assert scheduler.next_tick_at == NOW + SettingsRepository.MAX_TICK_INTERVAL
    finally:
        scheduler.stop()


def test_a_tick_the_locked_database_refuses_is_said_in_words(qtbot, scheduler, journey_id,
                                                             monkeypatch):
    import sqlite3

    from journey_desktop.services import scheduler as scheduler_module
    from journey_desktop.store.errors import BusyError

    def locked(self, now):  # type: ignore[no-untyped-def]
        exc = sqlite3.OperationalError("database is locked")
        exc.sqlite_errorcode = 5  # SQLITE_BUSY, as SQLite reports it
        raise exc

    monkeypatch.setattr(scheduler_module.Evaluator, "tick", locked)
    with qtbot.waitSignal(scheduler.tick_failed, timeout=10_000) as blocker:
        assert scheduler.run_now()
    assert blocker.args == [str(BusyError())]
    assert not blocker.args[0].startswith("Unexpected")


def test_the_status_bar_says_what_the_last_check_did_and_when_the_next_is(qtbot, journey_id):
    import datetime as dt

    scheduler = EvaluatorScheduler(clock=lambda: NOW, tz=MADRID, interval_seconds=600)
    try:
        assert scheduler.status_text() == "Evaluator stopped"
        with qtbot.waitSignal(scheduler.tick_finished, timeout=10_000):
            assert scheduler.run_now()
        scheduler.next_tick_at = NOW + 600
        last = dt.datetime.fromtimestamp(NOW, MADRID)
        following = last + dt.timedelta(minutes=10)
        assert scheduler.status_text() == (
            f"Last check {last:%H:%M} — 5 customers entered, 5 messages written; "
            f"next check {following:%H:%M}")
    finally:
        scheduler.stop()
