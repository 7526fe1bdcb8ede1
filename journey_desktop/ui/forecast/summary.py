"""The forecast window's summary beside the chart: the totals, the peak day and the deep
checks' warnings of the forecast on show (SPEC §8)."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QVBoxLayout, QWidget

from journey_desktop.domain.journey import CHANNEL_LABELS
from journey_desktop.store.forecast import ForecastResult
from journey_desktop.ui.common.colours import MUTED_COLOR, WARNING_COLOR
from journey_desktop.ui.forecast.models import ForecastDaysTableModel

NO_WARNINGS = ("No warnings: no customer over the daily limit, nothing due at night, every "
               "node reached.")


class ForecastSummary(QWidget):
    """Totals, peak day and deep checks, in a column the window puts beside its chart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals_label = QLabel()
        self.totals_label.setObjectName("forecast_totals")
        self.totals_label.setTextFormat(Qt.TextFormat.RichText)
        self.totals_label.setWordWrap(True)
        self.totals_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.peak_label = QLabel()
        self.peak_label.setObjectName("forecast_peak")
        self.peak_label.setWordWrap(True)
        self.warnings_model = QStringListModel(self)
        self.warnings_view = QListView()
        self.warnings_view.setObjectName("forecast_warnings")
        self.warnings_view.setModel(self.warnings_model)
        self.warnings_view.setWordWrap(True)
        self.warnings_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.warnings_view.setStyleSheet(f"QListView {{ color: {WARNING_COLOR}; }}")
        self.warnings_title = QLabel("<b>Deep checks</b>")
        side = QVBoxLayout(self)
        side.setContentsMargins(6, 0, 0, 0)
        side.addWidget(QLabel("<b>Totals</b>"))
        side.addWidget(self.totals_label)
        side.addWidget(self.peak_label)
        side.addSpacing(8)
        side.addWidget(self.warnings_title)
        side.addWidget(self.warnings_view, 1)
        self.setMinimumWidth(260)
        self.setMaximumWidth(420)

    def show_empty(self) -> None:
        self.totals_label.setText("—")
        self.peak_label.setText("")

    def show_result(self, result: ForecastResult) -> None:
        totals = result.totals
        lines = [
            f"Entered: <b>{totals.entered:,}</b>",
            f"Exited: <b>{totals.exited:,}</b>", *ForecastDaysTableModel.exit_lines(totals),
            f"In progress at the end: <b>{totals.in_progress:,}</b>",
            f"Messages: <b>{totals.message_total:,}</b>",
        ]
        lines += [f"&nbsp;&nbsp;{CHANNEL_LABELS.get(c, c)}: {n:,}"
                  for c, n in totals.messages.items()]
        lines += ForecastDaysTableModel.conversion_lines(totals)
        self.totals_label.setText("<br>".join(lines))
        peak = result.peak_day
        self.peak_label.setText(
            f"Peak day: {peak.date:%a %Y-%m-%d}, {peak.message_total:,} messages"
            if peak else "Peak day: none (no messages)"
        )
        self.warnings_model.setStringList(result.warnings or [NO_WARNINGS])
        self.warnings_view.setStyleSheet(  # "No warnings" is good news, not a warning
            f"QListView {{ color: {WARNING_COLOR if result.warnings else MUTED_COLOR}; }}")
        self.warnings_title.setText(f"<b>Deep checks</b> ({len(result.warnings)} "
                                    f"warning{'s' if len(result.warnings) != 1 else ''})")
