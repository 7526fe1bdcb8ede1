"""The evaluator in the window: Run now, the status bar, and the tick interval preference."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QSpinBox

from journey_desktop.services.scheduler import EvaluatorScheduler
from journey_desktop.store.records import JourneyRecord
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.ui.journey_table import COL_MESSAGES, COL_NAME, COL_VALIDITY
from tests.conftest import add_members, load_example


def cell(window, name: str, column: int) -> str:  # type: ignore[no-untyped-def]
    proxy = window.table.model()
    for row in range(proxy.rowCount()):
        if proxy.index(row, COL_NAME).data() == name:
            return proxy.index(row, column).data()
    raise AssertionError(f"{name} not shown")


@pytest.fixture
def scheduled_window(qtbot, main_window):  # type: ignore[no-untyped-def]
    scheduler = EvaluatorScheduler(main_window, interval_seconds=600)
    main_window.attach_scheduler(scheduler)
    scheduler.start()
    yield main_window, scheduler
    scheduler.stop()


def test_without_a_scheduler_run_now_is_disabled(main_window):
    assert not main_window.action_run_now.isEnabled()
    assert "not running" in main_window.tick_status_label.text()


def test_run_now_ticks_and_the_list_shows_the_messages(qtbot, repo, scheduled_window):
    window, scheduler = scheduled_window
    journey_id = repo.create(load_example("birthday"))
    today = dt.date.today()
    born = today.replace(year=1980)  # a leap year, so 29 February works too
    other = (today + dt.timedelta(days=100)).replace(year=1980)
    now = int(dt.datetime.now().timestamp())
    add_members(journey_id, {
        "ann": {"firstName": "Ann", "birthday": born.isoformat()},
        "bob": {"firstName": "Bob", "birthday": other.isoformat()},
    }, now)
    assert repo.activate(journey_id).ok
    window.refresh()
    assert window.action_run_now.isEnabled()
    with qtbot.waitSignals([scheduler.tick_finished, window.journeys_reloaded], timeout=10000):
        window.action_run_now.trigger()  # the list is then reloaded off the GUI thread
    assert cell(window, "Birthday greetings", COL_MESSAGES) == "1"
    status = window.tick_status_label.text()
    last = scheduler.last_tick_at
    assert status.startswith(f"Last check {dt.datetime.fromtimestamp(last):%H:%M} — "
                             "1 customer entered, 1 message written; next check ")
    assert "1 customer entered, 1 message written" in window.statusBar().currentMessage()
    assert window.action_run_now.isEnabled()


def test_a_journey_the_tick_skipped_is_named_in_the_status_bar_and_marked(
        qtbot, repo, scheduled_window):
    window, scheduler = scheduled_window
    now = int(dt.datetime.now().timestamp())
    ids = {}
    for name in ("Broken", "Healthy"):
        journey = load_example("welcome-series")
        journey.name = name
        ids[name] = repo.create(journey)
        add_members(ids[name], {"ann": {}}, now)
        assert repo.activate(ids[name]).ok
    JourneyRecord.update(definition="{").where(JourneyRecord.id == ids["Broken"]).execute()
    window.refresh()
    with qtbot.waitSignals([scheduler.tick_finished, window.journeys_reloaded], timeout=10000):
        window.action_run_now.trigger()
    assert "1 journey failed: Broken — its definition cannot be read" in (
        window.tick_status_label.text())
    assert cell(window, "Broken", COL_VALIDITY) == "⚠ Last tick failed"
    assert cell(window, "Healthy", COL_VALIDITY) != "⚠ Last tick failed"
    proxy = window.table.model()
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, COL_NAME).data() == "Broken")
    assert proxy.index(row, COL_NAME).data(Qt.ItemDataRole.ToolTipRole).startswith(
        "The last tick skipped this journey: its definition cannot be read")


def test_preferences_set_the_tick_interval(qtbot, scheduled_window):
    window, scheduler = scheduled_window
    window.action_preferences.trigger()
    dialog = window.findChild(QDialog, "preferences_dialog")
    qtbot.waitUntil(dialog.isVisible)
    dialog.findChild(QSpinBox, "tick_interval_value").setValue(5)
    unit = dialog.findChild(QComboBox, "tick_interval_unit")
    unit.setCurrentIndex(unit.findText("seconds"))
    dialog.accept()
    assert dialog.isVisible()  # 5 seconds is refused, with the reason shown
    assert "at least 10 seconds" in dialog.findChild(type(window.tick_status_label),
                                                     "preferences_error_label").text()
    dialog.findChild(QSpinBox, "tick_interval_value").setValue(30)
    dialog.accept()
    assert SettingsRepository().tick_interval() == 30
    assert scheduler.interval_seconds == 30


def test_preferences_refuse_an_interval_over_a_day(qtbot, scheduled_window):
    window, scheduler = scheduled_window
    window.action_preferences.trigger()
    dialog = window.findChild(QDialog, "preferences_dialog")
    qtbot.waitUntil(dialog.isVisible)
    dialog.findChild(QSpinBox, "tick_interval_value").setValue(700)
    unit = dialog.findChild(QComboBox, "tick_interval_unit")
    unit.setCurrentIndex(unit.findText("hours"))
    dialog.accept()
    assert dialog.isVisible()
    assert "at most 24 hours" in dialog.findChild(type(window.tick_status_label),
                                                  "preferences_error_label").text()
    assert SettingsRepository().tick_interval() == 600
    dialog.reject()


def test_an_open_statistics_window_follows_each_check(qtbot, repo, scheduled_window):
    from PySide6.QtWidgets import QApplication, QLabel

    from journey_desktop.ui.stats import StatsWindow

    window, scheduler = scheduled_window
    journey_id = repo.create(load_example("birthday"))
    born = dt.date.today().replace(year=1980)
    add_members(journey_id, {"ann": {"firstName": "Ann", "birthday": born.isoformat()}},
                int(dt.datetime.now().timestamp()))
    assert repo.activate(journey_id).ok
    window.refresh(select_id=journey_id)
    window.action_stats.trigger()
    stats = next(w for w in QApplication.topLevelWidgets()
                 if isinstance(w, StatsWindow) and w.isVisible())
    qtbot.waitUntil(lambda: not stats.loading and stats.status_label.text() == "Active")
    assert stats.findChild(QLabel, "stats_entered_value").text() == "0"
    with qtbot.waitSignals([scheduler.tick_finished, stats.stats_loaded], timeout=10000):
        window.action_run_now.trigger()
    assert stats.findChild(QLabel, "stats_entered_value").text() == "1"
