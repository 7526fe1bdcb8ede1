"""The statistics window's figures and per-day bar charts."""

from __future__ import annotations

import datetime as dt
import math

from PySide6.QtCharts import (
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QMargins,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.ui.common.colours import GO_COLOR

CHANNEL_COLORS = {
    "push": "#1f77b4",
    "email": "#2ca02c",
    "sms": "#ff7f0e",
    "inapp": "#9467bd",
    "whatsapp": "#17becf",
}
ENTRIES_COLOR = GO_COLOR
HELD_COLOR = "#e0a100"  # held by quiet hours or the rate limit (SPEC §13)
SUPPRESSED_COLOR = "#b3261e"  # not written: over a cap, skipped, or an exit rule
AXIS_LABELS = 8  # at most this many day labels under a chart



class FigureBox(QFrame):
    """One labelled figure: a big number over its caption."""

    def __init__(self, key: str, caption: str, tooltip: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"stats_{key}_box")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(tooltip)
        self.value_label = QLabel("0")
        self.value_label.setObjectName(f"stats_{key}_value")
        font = QFont(self.value_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value_label.setFont(font)
        self.caption_label = QLabel(caption)
        self.caption_label.setObjectName(f"stats_{key}_caption")
        self.caption_label.setStyleSheet("color: #5f6b73;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(0)
        layout.addWidget(self.value_label)
        layout.addWidget(self.caption_label)

    def set_value(self, value: int) -> None:
        self.value_label.setText(f"{value:,}")


class DayChart(QWidget):
    """A bar chart of per-day values, stacked when there are several sets.

    The series and axes are made once and refilled: axes removed from a chart keep
    drawing their labels until deleted, so they are never swapped.
    """

    def __init__(self, name: str, title: str, *, stacked: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.chart = QChart()
        self.chart.setTitle(title)
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setMargins(QMargins(4, 4, 30, 4))  # room for the last day label
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.series: QBarSeries | QStackedBarSeries = (
            QStackedBarSeries() if stacked else QBarSeries())
        self.series.setBarWidth(0.8)
        self.chart.addSeries(self.series)
        self.x_axis = QCategoryAxis()
        self.x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.x_axis.setGridLineVisible(False)
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%d")
        # A chart laid out while hidden (another tab) keeps the label width of its first
        # range: never cut a count to "…".
        self.y_axis.setTruncateLabels(False)
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.x_axis)
        self.series.attachAxis(self.y_axis)
        self._stacked = stacked
        self.view = QChartView(self.chart)
        self.view.setObjectName(f"{name}_view")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(220)
        self.note = QLabel()
        self.note.setObjectName(f"{name}_note")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setStyleSheet("color: #5f6b73;")
        self.note.hide()
        self.days: list[dt.date] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)

    def set_values(self, days: list[dt.date], sets: list[tuple[str, str, list[int]]],
                   *, empty_note: str) -> None:
        """Show ``sets`` of (label, colour, one value per day); a note when all are zero."""
        self.days = list(days)
        self.series.clear()
        totals = [0] * len(days)
        for label, color, values in sets:
            bar_set = QBarSet(label)
            bar_set.setColor(QColor(color))
            bar_set.setBorderColor(QColor(color))
            bar_set.append([float(v) for v in values])
            self.series.append(bar_set)
            for i, value in enumerate(values):
                totals[i] = totals[i] + value if self._stacked else max(totals[i], value)
        peak = max(totals, default=0)

        for label in self.x_axis.categoriesLabels():
            self.x_axis.remove(label)
        self.x_axis.setStartValue(-0.5)
        self.x_axis.setRange(-0.5, max(0, len(days)) - 0.5)
        wanted = AXIS_LABELS if len(days) <= 120 else AXIS_LABELS - 2
        step = max(1, -(-len(days) // wanted))
        labelled = list(range(len(days) - 1, -1, -step))  # from today backwards
        for i in reversed(labelled):  # a category axis takes its ranges in order
            self.x_axis.append(_day_label(days[i], len(days)), i)
        self.y_axis.setRange(0, max(4, math.ceil(peak * 1.1)))
        self.y_axis.applyNiceNumbers()
        self.chart.legend().setVisible(len(sets) > 1)
        self.note.setText(empty_note)
        self.note.setVisible(peak == 0)

    def values(self, label: str) -> list[float]:
        """The per-day values of one set (what tests and screenshots read back)."""
        for bar_set in self.series.barSets():
            if bar_set.label() == label:
                return [bar_set.at(i) for i in range(bar_set.count())]
        return []

    def labels(self) -> list[str]:
        return [bar_set.label() for bar_set in self.series.barSets()]


def charts_column(*charts: QWidget) -> QScrollArea:
    """``charts`` one above the other, sharing the height; scrolled when the window is too
    short for all of them (each keeps a readable height, legend included)."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for chart in charts:
        layout.addWidget(chart, 1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(column)
    return scroll


def _day_label(day: dt.date, span: int) -> str:
    return day.strftime("%d %b %Y" if span > 120 else "%d %b").lstrip("0")


