"""The statistics window's Delivery and Plan against actual tabs."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.store.delivery import NodeDelivery
from journey_desktop.store.plan import PlanAgainstActual
from journey_desktop.ui.common.colours import GO_COLOR, WARNING_COLOR
from journey_desktop.ui.stats.charts import DayChart, charts_column
from journey_desktop.ui.stats.delivery import (
    DeliveryTableModel,
    PlanTableModel,
    SortProxy,
    delivery_day_sets,
)

FORECAST_COLOR = "#b0bec5"
ACTUAL_COLOR = "#1f77b4"


def _table(name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    return view


def _columns_width(view: QTableView) -> int:
    """The width that shows every column of ``view`` whole, room for a vertical scroll bar
    included. A stretched last column is never made narrower than the size it had before it
    stretched (the header's default), so that is its least."""
    header = view.horizontalHeader()
    widths = [max(header.sectionSizeHint(c), view.sizeHintForColumn(c))
              for c in range(header.count())]
    if widths and header.stretchLastSection():
        widths[-1] = max(widths[-1], header.defaultSectionSize())
    columns = sum(widths)
    return columns + 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width()


def _caption(name: str, text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


class DeliveryPanel(QWidget):
    """Per message node and channel what the reports said; sent, opened, clicked per day."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = DeliveryTableModel(self)
        proxy = SortProxy(self)
        proxy.setSourceModel(self.model)
        self.table = _table("stats_delivery_table")
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.note = _caption(
            "stats_delivery_note",
            "Messages per node and channel by what the delivery reports said (a click also "
            "counts as an open, a delivery and a send). Open rate: opened ÷ delivered; "
            "CTR: clicked ÷ delivered.")
        self.chart = DayChart("stats_delivery_chart", "Sent, opened and clicked per day",
                              stacked=False)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.note)
        top_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.chart)
        splitter.setSizes([260, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_delivery(self, rows: list[NodeDelivery], order: list[str], days: list[dt.date],
                      per_day: dict[dt.date, dict[str, int]]) -> None:
        self.model.set_rows(rows, order)
        self.chart.set_values(
            days, delivery_day_sets(days, per_day),
            empty_note=f"No delivery report named a message of the last {len(days)} days "
                       "(File → Import delivery report…).")


class PlanPanel(QWidget):
    """The forecast kept at activation beside what the journey did, day by day, and the
    first day they part, with why where it is known."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_label = _caption("stats_plan_summary", "")
        self.summary_label.setStyleSheet("QLabel { font-weight: 600; }")
        self.model = PlanTableModel(self)
        self.table = _table("stats_plan_table")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.entries_chart = DayChart("stats_plan_entries_chart",
                                      "Entries per day: forecast and actual", stacked=False)
        self.messages_chart = DayChart("stats_plan_messages_chart",
                                       "Messages per day: forecast and actual", stacked=False)
        charts = charts_column(self.entries_chart, self.messages_chart)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(charts)
        splitter.setSizes([480, 720])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addWidget(splitter, 1)

    def show_plan(self, plan: PlanAgainstActual) -> None:
        self.summary_label.setText(plan.summary())
        color = WARNING_COLOR if plan.parted is not None else GO_COLOR
        self.summary_label.setStyleSheet(
            f"QLabel {{ font-weight: 600; color: {color}; }}" if plan.kept
            else "QLabel { font-weight: 600; }")
        self.model.set_days(plan.days)
        # As wide as its columns: the splitter's share alone hid Messages behind a scroll bar.
        self.table.setMinimumWidth(_columns_width(self.table))
        days = [day.day for day in plan.days]
        empty = "No forecast was kept for this journey."
        self.entries_chart.set_values(days, [
            ("Forecast", FORECAST_COLOR, [d.forecast_entered for d in plan.days]),
            ("Actual", ACTUAL_COLOR, [d.entered for d in plan.days])], empty_note=empty)
        self.messages_chart.set_values(days, [
            ("Forecast", FORECAST_COLOR, [d.forecast_messages for d in plan.days]),
            ("Actual", ACTUAL_COLOR, [d.messages for d in plan.days])], empty_note=empty)
