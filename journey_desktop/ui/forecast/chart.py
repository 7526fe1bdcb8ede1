"""The forecast chart: messages per day per channel, stacked, and customers in progress."""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPen

from journey_desktop.domain.forecast import channels_of
from journey_desktop.domain.journey import CHANNEL_LABELS
from journey_desktop.store.forecast import ForecastResult

CHANNEL_COLORS = {
    "push": "#1e88e5",
    "email": "#fb8c00",
    "sms": "#43a047",
    "inapp": "#8e24aa",
    "whatsapp": "#00897b",
}
OTHER_COLOR = "#757575"
IN_PROGRESS_COLOR = "#37474f"


def draw_chart(chart: QChart, result: ForecastResult) -> None:
    """Messages per day per channel as stacked bars, customers in progress as a line."""
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
    chart.setTitle("")
    categories = [day.date.strftime("%d %b") for day in result.days]
    bars = QStackedBarSeries()
    bars.setBarWidth(0.7)
    channels = channels_of(result.days)
    for channel in channels:
        bar_set = QBarSet(CHANNEL_LABELS.get(channel, channel))
        color = QColor(CHANNEL_COLORS.get(channel, OTHER_COLOR))
        bar_set.setColor(color)
        bar_set.setBorderColor(color)
        bar_set.append([float(day.messages.get(channel, 0)) for day in result.days])
        bars.append(bar_set)
    line = QLineSeries()
    line.setName("In progress")
    pen = QPen(QColor(IN_PROGRESS_COLOR))
    pen.setWidth(2)
    line.setPen(pen)
    line.setPointsVisible(len(result.days) <= 45)
    for index, day in enumerate(result.days):
        line.append(float(index), float(day.in_progress))
    chart.addSeries(bars)
    chart.addSeries(line)

    axis_x = QBarCategoryAxis()
    axis_x.append(categories)
    small = QFont(axis_x.labelsFont())
    small.setPointSizeF(max(6.5, small.pointSizeF() - 1.5))
    axis_x.setLabelsFont(small)
    if len(categories) > 14:
        axis_x.setLabelsAngle(-90)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    bars.attachAxis(axis_x)
    line.attachAxis(axis_x)

    peak = max((day.message_total for day in result.days), default=0)
    axis_messages = QValueAxis()
    axis_messages.setTitleText("Messages")
    axis_messages.setLabelFormat("%d")
    axis_messages.setRange(0, _nice_top(peak))
    axis_messages.setTickCount(6)
    chart.addAxis(axis_messages, Qt.AlignmentFlag.AlignLeft)
    bars.attachAxis(axis_messages)

    busiest = max((day.in_progress for day in result.days), default=0)
    axis_progress = QValueAxis()
    axis_progress.setTitleText("In progress")
    axis_progress.setLabelFormat("%d")
    axis_progress.setRange(0, _nice_top(busiest))
    axis_progress.setTickCount(6)
    axis_progress.setLinePenColor(QColor(IN_PROGRESS_COLOR))
    chart.addAxis(axis_progress, Qt.AlignmentFlag.AlignRight)
    line.attachAxis(axis_progress)
    if not channels:
        chart.setTitle("No messages in these days")


def _nice_top(value: int) -> float:
    """A round axis maximum above ``value`` (1, 2, 5 × 10^k), at least 5."""
    if value <= 5:
        return 5.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        top = factor * magnitude
        if top >= value:
            return float(top)
    return float(10 * magnitude)

