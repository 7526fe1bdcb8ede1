"""The forecast window's Collisions tab (SPEC §8, §13): who would get more than N messages
on one local day across every active journey plus the one forecast.

Ticked, the next forecast runs every active journey with this one (``run_forecast(
collisions=N)``); the tab then lists the colliding customers (customer, day, messages, the
journeys that wrote), most messages first, and how many collide each day. Changing N counts
again on the forecast's copy, as a job, without running the forecast again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QSortFilterProxyModel,
    Qt,
    QThreadPool,
    Slot,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.collisions import (
    DEFAULT_COLLISION_LIMIT,
    Collision,
    CollisionDay,
    CollisionReport,
    summary_text,
)
from journey_desktop.services.workers import JobControl
from journey_desktop.store.forecast import ForecastError, ForecastResult
from journey_desktop.ui.common.colours import ERROR_COLOR, MUTED_COLOR, WARNING_COLOR
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.common.rows_model import RowsTableModel

if TYPE_CHECKING:
    from journey_desktop.ui.forecast.window import ForecastWindow

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_LIMIT_IN_WINDOW = 99
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class CollisionsTableModel(RowsTableModel[Collision]):
    """One row per customer and day over the limit: customer, day, messages, journeys."""

    COLUMNS = ("Customer", "Day", "Messages", "Journeys")

    def cell(self, row: Collision, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.external_id, row.date.strftime("%a %Y-%m-%d"), f"{row.messages:,}",
                    ", ".join(row.journeys))[column]
        if role == SORT_ROLE:
            return (row.external_id, row.date.toordinal(), row.messages,
                    ", ".join(row.journeys))[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return _RIGHT
        return None


class CollisionDaysTableModel(RowsTableModel[CollisionDay]):
    """One row per day of the forecast: how many customers collide on it."""

    COLUMNS = ("Day", "Customers")

    def cell(self, day: CollisionDay, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return day.date.strftime("%a %Y-%m-%d") if column == 0 else f"{day.customers:,}"
        if role == SORT_ROLE:
            return day.date.toordinal() if column == 0 else day.customers
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and not day.customers:
            return QColor(MUTED_COLOR)
        return None


def recount_job(control: JobControl, result: ForecastResult,
                limit: int) -> tuple[ForecastResult, CollisionReport]:
    """Runs on a pool thread: the report at another limit, from the forecast's copy."""
    control.check()
    return result, result.collisions_over(limit)


class CollisionsPanel(QWidget):
    """The Collisions tab of a forecast window."""

    def __init__(self, window: ForecastWindow, pool: QThreadPool) -> None:
        super().__init__(window)
        self._pool = pool
        self._result: ForecastResult | None = None
        self._counting = False
        self.check = QCheckBox("Forecast with every active journey")
        self.check.setObjectName("forecast_collisions_check")
        self.check.setToolTip("Run every active journey of the database together with this "
                              "one, as the evaluator would, and list who gets too many messages")
        self.limit_spin = QSpinBox()
        self.limit_spin.setObjectName("forecast_collisions_limit")
        self.limit_spin.setRange(1, MAX_LIMIT_IN_WINDOW)
        self.limit_spin.setValue(DEFAULT_COLLISION_LIMIT)
        self.limit_spin.setSuffix(" a day")
        self.limit_spin.setToolTip("List customers who would get more messages than this on "
                                   "one local day, across the journeys")
        self.summary_label = QLabel()
        self.summary_label.setObjectName("forecast_collisions_summary")
        self.summary_label.setWordWrap(True)

        self.days_model = CollisionDaysTableModel(self)
        self.days_table = _table(self.days_model, "forecast_collisions_days_table")
        self.days_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.model = CollisionsTableModel(self)
        self.table = _table(self.model, "forecast_collisions_table")
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)

        options = QHBoxLayout()
        options.addWidget(self.check)
        options.addSpacing(16)
        label = QLabel("List customers with more messages than")
        label.setBuddy(self.limit_spin)
        options.addWidget(label)
        options.addWidget(self.limit_spin)
        options.addStretch(1)
        tables = QSplitter(Qt.Orientation.Horizontal)
        tables.addWidget(self.days_table)
        tables.addWidget(self.table)
        tables.setStretchFactor(0, 1)
        tables.setStretchFactor(1, 3)
        tables.setSizes([260, 900])
        tables.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(options)
        layout.addWidget(self.summary_label)
        layout.addWidget(tables, 1)

        self.check.toggled.connect(self._on_check_toggled)
        self.limit_spin.valueChanged.connect(self._on_limit_spin_value_changed)
        window.forecast_finished.connect(self._on_window_forecast_finished)
        self._say("Tick “Forecast with every active journey”, then run the forecast: the "
                  "customers who would get too many messages across the journeys are listed "
                  "here.", muted=True)

    def limit_for_run(self) -> int | None:
        """The forecast's ``collisions`` option: the limit when ticked, else None."""
        return self.limit_spin.value() if self.check.isChecked() else None

    @property
    def report(self) -> CollisionReport | None:
        """The report on show."""
        return self._result.collisions if self._result is not None else None

    @Slot(object)
    def _on_window_forecast_finished(self, result: object) -> None:
        if not isinstance(result, ForecastResult):
            return
        self._result = result
        report = result.collisions
        if report is None:
            self._show(None)
        elif report.limit != self.limit_spin.value():  # changed while it ran
            self._recount()
        else:
            self._show(report)

    @Slot(bool)
    def _on_check_toggled(self, checked: bool) -> None:
        if self._result is None:
            return
        if (self._result.collisions is None) == checked:
            self._say("Run the forecast again to " + (
                "list the collisions." if checked else "forecast this journey alone."),
                muted=True)
        else:
            self._show(self._result.collisions)

    @Slot(int)
    def _on_limit_spin_value_changed(self, _value: int) -> None:
        if self.report is not None:
            self._recount()

    def _recount(self) -> None:
        """Count again at the spin box's limit; one count at a time, the latest limit wins."""
        if self._counting or self._result is None:
            return
        self._counting = True
        self._say(f"Counting customers over {self.limit_spin.value()} a day…", muted=True)
        run_job(recount_job, self._on_recount_done, self._on_recount_failed,
                self._result, self.limit_spin.value(),
                expected=(ForecastError, OSError), pool=self._pool)

    @Slot(object)
    def _on_recount_done(self, done: object) -> None:
        self._counting = False
        result, report = cast("tuple[ForecastResult, CollisionReport]", done)
        if result is self._result:  # else a newer forecast came meanwhile
            result.collisions = report
        current = self.report
        if current is not None and current.limit != self.limit_spin.value():
            self._recount()
        elif current is not None:
            self._show(current)

    @Slot(str)
    def _on_recount_failed(self, message: str) -> None:
        self._counting = False
        self._say(f"The collisions could not be counted: {message}", error=True)

    def _show(self, report: CollisionReport | None) -> None:
        if report is None:
            self.model.set_rows([])
            self.days_model.set_rows([])
            self._say("This forecast ran without the other active journeys. Tick “Forecast "
                      "with every active journey” and run it again.", muted=True)
            return
        self.model.set_rows(report.collisions)
        self.days_model.set_rows(report.days)
        names = ", ".join(report.journey_names)
        lines = [f"{summary_text(report)} Journeys forecast together: {names}.",
                 *report.warnings]
        self._say(" ".join(lines), warning=bool(report.collisions))

    def _say(self, text: str, *, muted: bool = False, warning: bool = False,
             error: bool = False) -> None:
        colour = ERROR_COLOR if error else WARNING_COLOR if warning else (
            MUTED_COLOR if muted else "")
        self.summary_label.setStyleSheet(f"QLabel {{ color: {colour}; }}" if colour else "")
        self.summary_label.setText(text)


def _table(model: QAbstractTableModel, name: str) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    table = QTableView()
    table.setObjectName(name)
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAlternatingRowColors(True)
    return table
