"""The outbox window on a laptop's screen: the filter bar wraps rather than widening the
window, and the delivery column shows a report's status and detail without scrolling."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from journey_desktop.store.db import database
from journey_desktop.store.delivery import import_report
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.outbox import OutboxWindow
from journey_desktop.ui.outbox.model import COL_CUSTOMER, COL_DELIVERY, COL_NODE, COL_STATUS
from tests.store.test_delivery import ids_by_customer, run_two_days

LATER = "2025-05-14T12:00:00+00:00"


def c0_bounced_with_a_detail(repo: JourneyRepository, tmp_path: Path) -> None:
    """Two days of messages, and a report that c0's "hello" bounced, with a detail."""
    run_two_days(repo)
    ids = ids_by_customer()
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp,detail\n"
                    f"{ids['c0']},bounced,{LATER},mailbox full\n", encoding="utf-8")
    assert import_report(path).committed


def test_the_window_narrows_to_900_pixels_keeping_every_filter_in_sight(  # type: ignore[no-untyped-def]
        qtbot, repo: JourneyRepository) -> None:
    window = OutboxWindow(repo, None)
    qtbot.addWidget(window)
    window.show()
    assert window.minimumSizeHint().width() <= 1000
    window.resize(900, 700)
    qtbot.waitUntil(lambda: window.width() == 900)
    filters = (window.journey_filter, window.channel_filter, window.status_filter,
               window.delivery_filter, window.from_date, window.to_date,
               window.clear_filters_button)
    for widget in filters:
        right = widget.mapTo(window, QPoint(widget.width(), 0)).x()
        assert widget.isVisible() and right <= window.width(), widget.objectName()
    # The filter bar took a second line, above the table.
    assert window.to_date.mapTo(window, QPoint(0, 0)).y() > (
        window.journey_filter.mapTo(window, QPoint(0, 0)).y())
    assert window.table.mapTo(window, QPoint(0, 0)).y() > (
        window.to_date.mapTo(window, QPoint(0, window.to_date.height())).y())


def test_the_delivery_column_shows_status_and_detail_in_full_at_1200_pixels(  # type: ignore[no-untyped-def]
        qtbot, repo: JourneyRepository, tmp_path: Path) -> None:
    c0_bounced_with_a_detail(repo, tmp_path)
    window = OutboxWindow(repo, None)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitUntil(lambda: window.width() == 1200)
    table = window.table
    model = table.model()
    row = next(r for r in range(model.rowCount())
               if (model.index(r, COL_CUSTOMER).data(), model.index(r, COL_NODE).data())
               == ("c0", "hello"))
    index = model.index(row, COL_DELIVERY)
    assert index.data() == "bounced (mailbox full)"
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith("The report's detail: mailbox full")
    needed = table.sizeHintForIndex(index).width()
    assert table.columnWidth(COL_DELIVERY) >= needed  # not elided
    # In sight without scrolling right.
    assert table.horizontalScrollBar().value() == 0
    left = table.columnViewportPosition(COL_DELIVERY)
    assert 0 <= left and left + needed <= table.viewport().width()


def test_the_status_column_shows_a_suppressed_reason_in_full_at_1200_pixels(  # type: ignore[no-untyped-def]
        qtbot, repo: JourneyRepository, tmp_path: Path) -> None:
    c0_bounced_with_a_detail(repo, tmp_path)
    database.execute_sql("UPDATE outbox SET status = 'suppressed', reason = 'quiet hours'"
                         " WHERE external_id = 'c3'")
    window = OutboxWindow(repo, None)
    qtbot.addWidget(window)
    window.resize(1200, 300)  # short enough for the vertical scroll bar
    window.show()
    qtbot.waitUntil(lambda: window.width() == 1200)
    table = window.table
    model = table.model()
    qtbot.waitUntil(table.verticalScrollBar().isVisible)
    shown = {model.index(r, COL_STATUS).data(): r for r in range(model.rowCount())}
    status = model.index(shown["suppressed (quiet hours)"], COL_STATUS)
    assert table.columnWidth(COL_STATUS) >= table.sizeHintForIndex(status).width()
    delivery = next(model.index(r, COL_DELIVERY) for r in range(model.rowCount())
                    if model.index(r, COL_DELIVERY).data() == "bounced (mailbox full)")
    assert table.columnWidth(COL_DELIVERY) >= table.sizeHintForIndex(delivery).width()
    # Every column in sight without scrolling right.
    assert table.horizontalScrollBar().maximum() == 0
    last = model.columnCount() - 1
    assert (table.columnViewportPosition(last) + table.columnWidth(last)
            <= table.viewport().width())
