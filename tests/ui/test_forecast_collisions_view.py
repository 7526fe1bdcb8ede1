"""The forecast window's Collisions tab: every active journey with the one forecast, the
customers over N messages a day, N changed after the run."""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone

from journey_desktop.store.db import database
from tests.store.collisions_support import MADRID, build


def make_window(qtbot, repo, journey_id):  # type: ignore[no-untyped-def]
    from journey_desktop.ui.forecast import ForecastWindow

    window = ForecastWindow(repo, journey_id, tz=MADRID)
    qtbot.addWidget(window)
    window.from_edit.setDateTime(QDateTime(QDate(2027, 2, 15), QTime(9, 0),
                                           QTimeZone(b"Europe/Madrid")))
    window.days_spin.setValue(3)
    window.show()
    qtbot.waitExposed(window)
    return window


def run(qtbot, window):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.forecast_finished, timeout=20000) as blocker:
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def table_rows(table):  # type: ignore[no-untyped-def]
    model = table.model()
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def test_collisions_tab_lists_who_gets_too_many_messages(qtbot, repo):
    ids = build(repo)
    window = make_window(qtbot, repo, ids["Forecast me"])
    panel = window.collisions
    tabs = window.results_tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Days and customer trace",
                                                              "Collisions"]
    tabs.setCurrentWidget(panel)
    check = window.findChild(type(panel.check), "forecast_collisions_check")
    limit = window.findChild(type(panel.limit_spin), "forecast_collisions_limit")
    assert not check.isChecked() and limit.value() == 1
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert check.isChecked()
    run(qtbot, window)

    assert table_rows(panel.table) == [
        ["A", "Mon 2027-02-15", "3", "Forecast me, Promo"],
        ["B", "Mon 2027-02-15", "3", "Forecast me, Promo"],
        ["E", "Mon 2027-02-15", "2", "Promo"],
        ["A", "Tue 2027-02-16", "2", "Forecast me, Reminder"],
        ["C", "Tue 2027-02-16", "2", "Forecast me, Reminder"],
    ]
    assert table_rows(panel.days_table) == [["Mon 2027-02-15", "3"], ["Tue 2027-02-16", "2"],
                                            ["Wed 2027-02-17", "0"]]
    summary = panel.summary_label.text()
    assert summary.startswith("4 customers would get more than 1 message on one day across "
                              "3 journeys (5 customer-days on 2 days).")
    assert summary.endswith("Journeys forecast together: Forecast me, Promo, Reminder.")
    # The forecast's own figures are this journey's: 4 pushes, then 4 emails.
    assert [d.message_total for d in window.result.days] == [4, 4, 0]

    # A higher limit is counted again on the same forecast, not run again.
    limit.setValue(2)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10000)
    assert [row[:3] for row in table_rows(panel.table)] == [["A", "Mon 2027-02-15", "3"],
                                                            ["B", "Mon 2027-02-15", "3"]]
    assert table_rows(panel.days_table)[1] == ["Tue 2027-02-16", "0"]
    assert "more than 2 messages" in panel.summary_label.text()
    # Sorting by customer keeps the native order.
    panel.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [row[0] for row in table_rows(panel.table)] == ["A", "B"]
    assert database.execute_sql("SELECT count(*) FROM outbox").fetchone()[0] == 0
    # Another journey's import, or a check, makes this forecast out of date.
    window.notice_change(ids["Promo"], "an import")
    assert window.status_label.text().startswith("Out of date: an import since this forecast")


def test_without_the_box_ticked_the_journey_is_forecast_alone(qtbot, repo):
    ids = build(repo)
    window = make_window(qtbot, repo, ids["Forecast me"])
    result = run(qtbot, window)
    assert result.collisions is None
    panel = window.collisions
    assert panel.model.rowCount() == 0
    assert panel.summary_label.text().startswith("This forecast ran without the other "
                                                 "active journeys.")
    panel.check.setChecked(True)
    assert panel.summary_label.text() == "Run the forecast again to list the collisions."
    panel.limit_spin.setValue(3)  # nothing to count again: no report
    assert panel.model.rowCount() == 0
    shown = window.status_label.text()
    window.notice_change(ids["Promo"], "an import")  # not this forecast's business
    assert window.status_label.text() == shown
