"""The Forecast window: options, a run in a worker with progress and Cancel, what it shows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCharts import QLineSeries, QStackedBarSeries
from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone

from journey_desktop.store.db import database
from tests.conftest import load_example
from tests.store.evaluator_support import add_customers

pytestmark = pytest.mark.both_databases
MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def promotion_draft(repo):  # type: ignore[no-untyped-def]
    journey_id = repo.create(load_example("daily-promotion"))
    add_customers(journey_id, {
        "ann": {"firstName": "Ann", "offersOptIn": "yes"},
        "bob": {"firstName": "Bob", "offersOptIn": "yes"},
        "out": {"firstName": "Out", "offersOptIn": "no"},
    }, 0)
    return journey_id


def make_window(qtbot, repo, journey_id):  # type: ignore[no-untyped-def]
    from journey_desktop.ui.forecast import ForecastWindow

    window = ForecastWindow(repo, journey_id, tz=MADRID)
    qtbot.addWidget(window)
    window.from_edit.setDateTime(QDateTime(QDate(2027, 2, 15), QTime(9, 0),
                                           QTimeZone(b"Europe/Madrid")))
    window.show()
    qtbot.waitExposed(window)
    return window


def run(qtbot, window):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.forecast_finished, timeout=20000) as blocker:
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


@pytest.mark.both_databases
def test_draft_forecast_shows_chart_totals_days_and_a_trace(qtbot, repo, promotion_draft):
    window = make_window(qtbot, repo, promotion_draft)
    assert window.objectName() == "forecast_window"
    assert window.options_box.isVisible() and window.reentry_checkbox.isEnabled()
    assert window.reentry_checkbox.isChecked()  # prefilled from the stored options
    assert window.max_entries_edit.text() == "7"
    window.days_spin.setValue(10)
    run(qtbot, window)

    assert window.progress_bar.value() == window.progress_bar.maximum()
    assert window.run_button.isEnabled() and not window.cancel_button.isEnabled()
    series = window.chart.series()
    bars = [s for s in series if isinstance(s, QStackedBarSeries)][0]
    assert [b.label() for b in bars.barSets()] == ["Push"]
    assert [bars.barSets()[0].at(i) for i in range(10)] == [2.0] * 7 + [0.0] * 3
    line = [s for s in series if isinstance(s, QLineSeries)][0]
    assert line.name() == "In progress" and line.count() == 10
    assert "Messages: <b>14</b>" in window.totals_label.text()
    assert window.peak_label.text() == "Peak day: Mon 2027-02-15, 2 messages"
    assert window.days_model.rowCount() == 10
    assert window.days_model.index(0, 0).data() == "Mon 2027-02-15"

    qtbot.keyClicks(window.customer_search, "ann")
    assert window.trace_label.text() == "Customer “ann”: 7 entries, 7 messages in the forecast."
    assert window.trace_model.rowCount() == 21
    assert [window.trace_model.index(1, c).data() for c in range(4)] == [
        "Mon 2027-02-15 09:00", "1", "daily_offer", "Push message"]
    window.customer_search.setText("out")
    assert window.trace_label.text() == "Customer “out” does not enter in these 10 days."
    window.customer_search.setText("zed")
    assert window.trace_label.text() == "No customer with ID “zed” in this audience."
    assert window.trace_model.rowCount() == 0
    # The real database holds the draft exactly as before.
    assert repo.get(promotion_draft).status == "draft"
    assert database.execute_sql("SELECT count(*) FROM run").fetchone()[0] == 0


def test_changing_the_draft_timeout_changes_the_forecast(qtbot, repo, promotion_draft):
    window = make_window(qtbot, repo, promotion_draft)
    window.days_spin.setValue(2)
    window.max_entries_edit.clear()
    window.timeout_value.setValue(1)
    window.timeout_unit.setCurrentIndex(window.timeout_unit.findData("hours"))
    assert "at most once an hour" in window.options_summary.text()
    result = run(qtbot, window)
    assert [d.message_total for d in result.days] == [30, 48]
    warnings = window.warnings_model.stringList()
    assert warnings[0].startswith("2 customers would get more than 2 messages in one day")
    assert window.warnings_title.text() == "<b>Deep checks</b> (2 warnings)"


def test_active_journey_uses_its_stored_options(qtbot, repo, promotion_draft):
    assert repo.activate(promotion_draft).ok
    window = make_window(qtbot, repo, promotion_draft)
    assert not window.reentry_checkbox.isEnabled()
    assert window.options_box.title() == "Activation options (active, as stored)"
    window.days_spin.setValue(3)
    result = run(qtbot, window)
    assert result.status == "active"
    assert window.warnings_model.stringList() == [
        "No warnings: no customer over the daily limit, nothing due at night, every node "
        "reached."]


def test_cancel_stops_the_run_and_keeps_the_window_usable(qtbot, repo, promotion_draft):
    window = make_window(qtbot, repo, promotion_draft)
    window.timeout_unit.setCurrentIndex(window.timeout_unit.findData("minutes"))
    window.max_entries_edit.clear()
    window.days_spin.setValue(366)
    with qtbot.waitSignal(window.forecast_cancelled, timeout=20000):
        assert window.start_forecast()
        assert window.cancel_button.isEnabled() and not window.run_button.isEnabled()
        assert not window.start_forecast()  # one at a time
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert window.status_label.text() == "Forecast cancelled; nothing was written."
    assert window.run_button.isEnabled() and window.result is None


def test_the_start_takes_a_typed_date_and_time(qtbot, repo, promotion_draft):
    window = make_window(qtbot, repo, promotion_draft)
    edit = window.from_edit
    edit.setFocus()
    qtbot.keyClicks(edit, "2026-12-24 09:00")
    assert edit.text() == "2026-12-24 09:00"
    assert (edit.date(), edit.time()) == (QDate(2026, 12, 24), QTime(9, 0))
    edit.setCurrentSection(edit.Section.MonthSection)  # the cursor in a section: retyped
    qtbot.keyClicks(edit, "03-05")
    assert edit.text() == "2026-03-05 09:00"


def test_activate_with_these_options_carries_them_into_the_activation_dialog(
        qtbot, repo, promotion_draft):
    from journey_desktop.ui.activate_dialog import ActivateDialog

    window = make_window(qtbot, repo, promotion_draft)
    assert window.activate_button.isVisible()
    window.max_entries_edit.setText("3")
    window.timeout_value.setValue(2)
    window.timeout_unit.setCurrentIndex(window.timeout_unit.findData("hours"))
    activated: list[int] = []
    window.journey_activated.connect(activated.append)
    qtbot.mouseClick(window.activate_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(ActivateDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.max_entries_edit.text() == "3"
    assert (dialog.timeout_value.value(), dialog.timeout_unit.currentData()) == (2, "hours")
    assert dialog.summary_label.text().startswith(
        "Each customer can enter up to 3 times, at most once every 2 hours.")
    with qtbot.waitSignal(dialog.activated):
        qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    stored = repo.get(promotion_draft)
    assert stored.status == "active"
    assert (stored.journey.activation.max_entries, stored.journey.activation.timeout.value,
            stored.journey.activation.timeout.unit) == (3, 2, "hours")
    assert activated == [promotion_draft]
    assert not window.activate_button.isVisible()
    assert not window.max_entries_edit.isEnabled()  # now the stored options, frozen


def test_the_chosen_events_file_is_replayed_in_the_forecast(qtbot, repo, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QLabel

    from journey_desktop.ui import prompts
    from tests.store.test_evaluator_events import journey

    journey_id = repo.create(journey({"name": "cart_updated", "who": "anyone"}))
    window = make_window(qtbot, repo, journey_id)
    window.days_spin.setValue(3)
    run(qtbot, window)
    assert "Messages: <b>0</b>" in window.totals_label.text()

    path = tmp_path / "carts.jsonl"
    path.write_text(
        '{"userId": "ann", "event": "cart_updated", "timestamp": "2027-02-15T12:00:00+01:00", '
        '"properties": {"cartId": "A"}}\n'
        '{"userId": "bob", "event": "cart_updated", "timestamp": "2027-02-16T12:00:00+01:00", '
        '"properties": {"cartId": "B"}}\n', encoding="utf-8")
    asked: list[tuple[str, str]] = []

    def ask_open_file(parent, title, folder, name_filter):  # type: ignore[no-untyped-def]
        asked.append((title, name_filter))
        return str(path)

    monkeypatch.setattr(prompts, "ask_open_file", ask_open_file)
    qtbot.mouseClick(window.events_chooser.choose_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0][0] == "Replay events from a file"
    assert window.findChild(QLabel, "forecast_events_label").text() == "carts.jsonl"
    run(qtbot, window)
    assert "Messages: <b>2</b>" in window.totals_label.text()
    qtbot.keyClicks(window.customer_search, "bob")
    assert window.trace_label.text() == "Customer “bob”: 1 entry, 1 message in the forecast."
    assert database.execute_sql("SELECT count(*) FROM event").fetchone()[0] == 0

    qtbot.mouseClick(window.events_chooser.clear_button, Qt.MouseButton.LeftButton)
    run(qtbot, window)
    assert "Messages: <b>0</b>" in window.totals_label.text()


def test_the_trace_says_what_each_wait_for_an_event_did(qtbot, repo, tmp_path, monkeypatch):
    from journey_desktop.domain.journey import Journey
    from journey_desktop.ui import prompts
    from tests.cli.test_forecast_waits_cli import CART

    journey_id = repo.create(Journey.from_dict(CART))
    path = tmp_path / "carts.jsonl"
    path.write_text("".join(
        f'{{"userId": "{user}", "event": "{name}", "timestamp": "2027-02-16T{at}:00+01:00",'
        f' "properties": {{"cartId": "{cart}"}}}}\n'
        for user, name, at, cart in (("ann", "cart", "10:00", "A"),
                                     ("ann", "purchase", "10:20", "A"),
                                     ("bob", "cart", "10:00", "B"))), encoding="utf-8")
    monkeypatch.setattr(prompts, "ask_open_file", lambda *args: str(path))
    window = make_window(qtbot, repo, journey_id)
    window.days_spin.setValue(3)
    qtbot.mouseClick(window.events_chooser.choose_button, Qt.MouseButton.LeftButton)
    run(qtbot, window)
    model = window.trace_model
    assert model.headerData(4, Qt.Orientation.Horizontal) == "Outcome"

    def rows() -> list[list[str]]:
        return [[model.index(r, c).data() for c in range(2, 5)] for r in range(model.rowCount())]

    qtbot.keyClicks(window.customer_search, "ann")
    assert rows()[1:3] == [
        ["wait_buy", "Wait for event", "matched purchase at Tue 2027-02-16 10:20"],
        ["thanks", "SMS message", "“Thanks”"]]
    window.customer_search.setText("bob")
    assert rows()[1:3] == [
        ["wait_buy", "Wait for event", "timed out at Tue 2027-02-16 11:00"],
        ["remind", "SMS message", "“Your cart”"]]
