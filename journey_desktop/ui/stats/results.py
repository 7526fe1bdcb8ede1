"""The statistics window's Results tab (SPEC §12): conversions against the goal, a table
per split branch (rate, uplift, interval of the difference, p-value) and a chart of each
branch's conversion rate with its own 95 % interval drawn as an error bar.

Every figure comes from ``store.goal_results`` and ``domain.ab_results``; this panel only
lays them out."""

from __future__ import annotations

from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.ab_results import (
    NOT_ENOUGH_DATA,
    BranchResult,
    SplitResult,
    branch_name,
    p_text,
    p_words,
    percent_text,
    rate_interval,
)
from journey_desktop.store.goal_results import GoalResults

HOLDOUT_COLOR = "#9e9e9e"
BRANCH_COLOR = "#1f77b4"
HEADERS = ("Split", "Branch", "Runs", "Conversions", "Rate", "Uplift",
           "Difference (95 %)", "p-value")
Index = QModelIndex | QPersistentModelIndex


def _cells(split: SplitResult, b: BranchResult) -> list[str]:
    name = branch_name(b) + (" (holdout)" if b.holdout else "")
    if b.baseline:
        interval, p_value, uplift = "baseline", "", ""
    elif not split.enough:
        interval, p_value = NOT_ENOUGH_DATA, ""
        uplift = "" if b.uplift is None else f"{b.uplift * 100:+.1f} %"
    else:
        interval = f"{percent_text(b.ci_low)} to {percent_text(b.ci_high)}"
        p_value = "" if b.p_value is None else p_text(b.p_value)
        uplift = "" if b.uplift is None else f"{b.uplift * 100:+.1f} %"
    return [split.split, name, f"{b.runs:,}", f"{b.conversions:,}", percent_text(b.rate),
            uplift, interval, p_value]


class ResultsTableModel(QAbstractTableModel):
    """One row per split branch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[list[str]] = []

    def set_results(self, results: GoalResults | None) -> None:
        self.beginResetModel()
        self.rows = [] if results is None else [
            _cells(split, b) for split in results.splits for b in split.branches]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt override)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt override)
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None


class RateChart(QChartView):
    """Each branch's conversion rate as a bar, its 95 % interval as an error bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stats_results_chart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(260)
        self.set_split(None)

    def set_split(self, split: SplitResult | None) -> None:
        chart = QChart()
        chart.setTitle("Conversion rate per branch, with its 95 % interval")
        chart.legend().setVisible(False)
        self.setChart(chart)
        if split is None or not split.branches:
            return
        names = [branch_name(b) for b in split.branches]
        bars = QBarSeries()
        bars.setBarWidth(0.5)
        rates = QBarSet("Conversion rate")
        rates.append([100 * (b.rate or 0.0) for b in split.branches])
        rates.setColor(QColor(BRANCH_COLOR))
        # The holdout in grey: its bar is "selected", which has a colour of its own.
        rates.setSelectedColor(QColor(HOLDOUT_COLOR))
        rates.selectBars([i for i, b in enumerate(split.branches) if b.holdout])
        bars.append(rates)
        chart.addSeries(bars)
        axis_x = QBarCategoryAxis()
        axis_x.append(names)
        axis_y = QValueAxis()
        axis_y.setLabelFormat("%.0f %%")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(axis_x)
        bars.attachAxis(axis_y)
        top = 0.0
        pen = QPen(QColor("#263238"))
        pen.setWidthF(2.0)
        for i, b in enumerate(split.branches):
            interval = rate_interval(b.conversions, b.runs)
            if interval is None:
                continue
            low, high = (100 * v for v in interval)
            top = max(top, high)
            for points in ([(i, low), (i, high)], [(i - 0.08, low), (i + 0.08, low)],
                           [(i - 0.08, high), (i + 0.08, high)]):
                line = QLineSeries()
                line.setPen(pen)
                for x, y in points:
                    line.append(x, y)
                chart.addSeries(line)
                line.attachAxis(axis_x)
                line.attachAxis(axis_y)
        axis_y.setRange(0, max(1.0, top * 1.15))


class ResultsPanel(QWidget):
    """Conversions against the goal; per branch the table and the chart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_label = QLabel("")
        self.summary_label.setObjectName("stats_results_summary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("QLabel { font-weight: 600; }")
        self.note_label = QLabel("")
        self.note_label.setObjectName("stats_results_note")
        self.note_label.setWordWrap(True)
        self.model = ResultsTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("stats_results_table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.chart = RateChart()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([220, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.note_label)
        layout.addWidget(splitter, 1)

    def show_results(self, results: GoalResults | None) -> None:
        self.model.set_results(results)
        if results is None:
            self.summary_label.setText("This journey has no goal.")
            self.note_label.setText("Give it a goal (an event within a time after entry) to "
                                    "count conversions and compare split branches.")
            self.chart.set_split(None)
            return
        rate = percent_text(results.rate)
        self.summary_label.setText(
            f"Goal “{results.event}”: {results.conversions:,} conversions, {rate} of "
            f"{results.counted:,} runs counted")
        notes = ["A run counts once its goal window has closed at the last tick, or once "
                 "it converted. Uplift and the difference are against the holdout (else "
                 "the first branch); the p-value is a two-proportion z-test."]
        for split in results.splits:
            if not split.enough:
                notes.append(f"Split {split.split}: {NOT_ENOUGH_DATA} (an expected count "
                             "is under 5).")
            elif split.chi_p is not None:
                notes.append(f"Split {split.split}: chi-squared over "
                             f"{len(split.branches)} branches, p {p_words(split.chi_p)}.")
        self.note_label.setText(" ".join(notes))
        self.chart.set_split(results.splits[0] if results.splits else None)
