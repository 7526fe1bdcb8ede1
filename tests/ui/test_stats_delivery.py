"""The statistics window's delivery figures and plan against actual (SPEC §15)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from journey_desktop.store.db import database
from journey_desktop.store.delivery import import_report
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.plan import keep_activation_forecast
from journey_desktop.ui.stats import StatsWindow
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    add_customers,
    journey_from,
    two_messages_a_day_apart,
)
from tests.store.test_delivery import LATER, START, ids_by_customer, report, run_two_days

NOW = START + 2 * DAY  # 14 May 2025, 10:00 in Madrid


def open_window(qtbot, repo, journey_id: int) -> StatsWindow:  # type: ignore[no-untyped-def]
    window = StatsWindow(repo, journey_id, tz=MADRID, clock=lambda: NOW, days=7)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.stats_loaded, timeout=10_000):
        pass
    return window


def rows(view: QTableView) -> list[list[str]]:
    model = view.model()
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def headers(view: QTableView) -> list[str]:
    model = view.model()
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def applied_fixed_report(repo, tmp_path: Path) -> int:  # type: ignore[no-untyped-def]
    """Hello (push) to c0-c3: c0 clicked, c1 opened, c2 delivered, c3 bounced; nothing
    reported of the second message. By hand: 3 delivered, 2 opened, 1 clicked."""
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    result = import_report(report(tmp_path, [
        (ids["c0"], "clicked", LATER), (ids["c1"], "opened", LATER),
        (ids["c2"], "delivered", LATER), (ids["c3"], "bounced", LATER)]))
    assert result.committed
    return journey_id


def test_open_rate_and_ctr_per_node_and_channel(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, repo, applied_fixed_report(repo, tmp_path))
    panel = window.delivery_panel
    assert window.tabs.tabText(1) == "Delivery"
    assert headers(panel.table) == [
        "Node", "Channel", "Written", "Sent", "Delivered", "Opened", "Clicked", "Bounced",
        "Failed", "Unsubscribed", "Open rate", "CTR"]
    assert rows(panel.table) == [
        ["hello", "Push", "4", "3", "3", "2", "1", "1", "0", "0", "66.7 %", "33.3 %"],
        ["again", "Email", "4", "0", "0", "0", "0", "0", "0", "0", "–", "–"]]
    # The report's day (14 May, Madrid) in the per-day chart of the last 7 days.
    assert panel.chart.labels() == ["Sent", "Opened", "Clicked"]
    assert [panel.chart.values(label)[-1] for label in panel.chart.labels()] == [3, 2, 1]
    assert sum(panel.chart.values("Sent")) == 3
    assert not panel.chart.note.isVisible()


def test_a_journey_with_no_report_shows_dashes_and_says_so(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, repo, run_two_days(repo))
    window.tabs.setCurrentIndex(1)
    assert [row[-2:] for row in rows(window.delivery_panel.table)] == [["–", "–"]] * 2
    assert window.delivery_panel.chart.note.isVisible()


def test_plan_against_actual_shows_both_side_by_side_and_where_they_part(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": f"N{i}"} for i in range(2)}, START)
    keep_activation_forecast(journey_id, days=30, tz=MADRID)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    add_customers(journey_id, {"late": {"firstName": "L"}}, START + DAY)
    database.execute_sql("UPDATE member SET next_check_at = ? WHERE external_id = 'late'",
                         (START + DAY,))
    evaluator.tick(START + DAY)
    window = open_window(qtbot, repo, journey_id)
    panel = window.plan_panel
    assert window.tabs.tabText(2) == "Plan against actual"
    assert panel.summary_label.text() == (
        "The journey parts from its forecast on 2025-05-13: 1 customer of its audience was "
        "imported after activation (from 2025-05-13).")
    assert headers(panel.table) == ["Day", "Entries forecast", "Entries", "Messages forecast",
                                    "Messages"]
    assert rows(panel.table) == [["2025-05-12", "2", "2", "2", "2"],
                                 ["2025-05-13", "0", "1", "2", "3"],
                                 ["2025-05-14", "0", "0", "0", "0"]]
    assert panel.messages_chart.values("Forecast") == [2, 2, 0]
    assert panel.messages_chart.values("Actual") == [2, 3, 0]
    assert panel.entries_chart.values("Actual") == [2, 1, 0]


def test_without_a_kept_forecast_the_plan_tab_says_why(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, repo, run_two_days(repo))
    assert window.plan_panel.summary_label.text() == (
        "No forecast was kept for this journey (it is made when it is activated).")
    assert rows(window.plan_panel.table) == []
