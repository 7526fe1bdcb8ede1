"""The Forecast window (SPEC §8): a journey run on a virtual clock, before it sends anything.

The forecast runs as a job (the real evaluator on a throwaway copy, ``store/forecast``);
this window only collects the options, shows progress and Cancel, and draws what came
back: a stacked bar chart of messages per day per channel with a line of customers in
progress, the totals, the peak day, the deep-check warnings, the days as a table, and any
customer's trace. Drafts offer their activation options, prefilled from the stored ones, so
"timeout 1 hour" and "timeout 1 day" can be compared before activating."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCharts import (
    QChart,
    QChartView,
)
from PySide6.QtCore import (
    QDateTime,
    QMargins,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QCloseEvent,
    QPainter,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain import engine
from journey_desktop.domain.activation_words import describe_activation
from journey_desktop.domain.forecast import (
    DEFAULT_DAYS,
    DEFAULT_MAX_MESSAGES_PER_DAY,
    MAX_DAYS,
)
from journey_desktop.domain.journey import CHANNEL_LABELS, Activation
from journey_desktop.domain.lifecycle import ACTIVE, DRAFT
from journey_desktop.services.workers import Worker
from journey_desktop.store.forecast import (
    ForecastError,
    ForecastResult,
    source_path,
)
from journey_desktop.store.repository import (
    JourneyRepository,
    RepositoryError,
)
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.store.stats import TraceStep
from journey_desktop.ui.activation_inputs import ActivationInputs
from journey_desktop.ui.common.changes import TICK_CHANGE
from journey_desktop.ui.common.colours import ERROR_COLOR, WARNING_COLOR
from journey_desktop.ui.common.datetime_edit import TypedDateTimeEdit
from journey_desktop.ui.common.formatting import count_text
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.common.read_only import refuse_writes
from journey_desktop.ui.forecast.chart import draw_chart
from journey_desktop.ui.forecast.collisions import CollisionsPanel
from journey_desktop.ui.forecast.events_chooser import EventsFileChooser
from journey_desktop.ui.forecast.job import PROGRESS_STEPS, forecast_job
from journey_desktop.ui.forecast.models import ForecastDaysTableModel, ForecastTraceTableModel
from journey_desktop.ui.forecast.summary import ForecastSummary
from journey_desktop.ui.guide import SECTION_FORECAST, add_help


class ForecastWindow(QWidget):
    """The Forecast view of one journey (a top-level window)."""

    forecast_finished = Signal(object)  # ForecastResult, once shown
    forecast_failed = Signal(str)
    forecast_cancelled = Signal()
    journey_activated = Signal(int)  # activated from here, with the forecast's options

    def __init__(
        self,
        repo: JourneyRepository,
        journey_id: int,
        parent: QWidget | None = None,
        *,
        tz: dt.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setObjectName("forecast_window")
        self._repo = repo
        self._journey_id = journey_id
        self._tz = tz
        self._clock = clock
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._worker: Worker | None = None
        self._result: ForecastResult | None = None
        self._sink: list[ForecastResult] = []
        self._closed = False
        stored = repo.get(journey_id)
        self._journey = stored.journey
        self._is_draft = stored.status == DRAFT
        self.setWindowTitle(f"Forecast – {stored.journey.name}")

        self._build_controls(stored.status)
        self._build_results()
        layout = QVBoxLayout(self)
        layout.addLayout(self._controls_row)
        layout.addWidget(self.options_box)
        layout.addLayout(self._progress_row)
        layout.addWidget(self._splitter, 1)
        self.inputs.set_options(self._journey.activation)
        self._on_options_changed()
        self._show_empty()
        add_help(self, SECTION_FORECAST)
        self.resize(1240, 860)

    # --- building ---------------------------------------------------------------------------

    def _build_controls(self, status: str) -> None:
        self.days_spin = QSpinBox()
        self.days_spin.setObjectName("forecast_days")
        self.days_spin.setRange(1, MAX_DAYS)
        self.days_spin.setValue(DEFAULT_DAYS)
        self.days_spin.setSuffix(" days")
        self.days_spin.setToolTip("How many local days to simulate (the first is the rest "
                                  "of the start day)")
        self.from_edit = TypedDateTimeEdit()
        self.from_edit.setObjectName("forecast_from")
        self.from_edit.setCalendarPopup(True)
        self.from_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(self._clock())))
        self.from_edit.setToolTip("Where the virtual clock starts (local time); type it as "
                                  "2026-12-24 09:00 or pick it from the calendar")
        self.max_per_day_spin = QSpinBox()
        self.max_per_day_spin.setObjectName("forecast_max_per_day")
        self.max_per_day_spin.setRange(1, 99)
        self.max_per_day_spin.setValue(DEFAULT_MAX_MESSAGES_PER_DAY)
        self.max_per_day_spin.setToolTip("Warn about customers who would get more messages "
                                         "than this in one day")
        self.run_button = QPushButton("Run forecast")
        self.run_button.setObjectName("forecast_run_button")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("forecast_cancel_button")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)

        row = QHBoxLayout()
        for label, widget in (("Simulate", self.days_spin), ("from", self.from_edit),
                              ("Warn above", self.max_per_day_spin)):
            text = QLabel(label)
            text.setBuddy(widget)
            row.addWidget(text)
            row.addWidget(widget)
        row.addWidget(QLabel("messages a day"))
        self.events_chooser = EventsFileChooser(self)
        row.addWidget(self.events_chooser)
        row.addStretch(1)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        self._controls_row = row

        self.options_box = QGroupBox("Activation options for this forecast (draft)")
        self.options_box.setObjectName("forecast_options_box")
        self.inputs = ActivationInputs(self, prefix="forecast_")
        self.reentry_checkbox = self.inputs.reentry_checkbox
        self.max_entries_edit = self.inputs.max_entries_edit
        self.max_entries_edit.setMaximumWidth(110)
        self.timeout_value = self.inputs.timeout_value
        self.timeout_unit = self.inputs.timeout_unit
        self.options_summary = QLabel()
        self.options_summary.setObjectName("forecast_options_summary")
        self.options_summary.setWordWrap(True)
        # The inputs on one row, the sentence that explains them on its own full-width row
        # under it: beside them it was squeezed to a word a line and took the tables' room.
        options_layout = QVBoxLayout(self.options_box)
        options = QHBoxLayout()
        options_layout.addLayout(options)
        options.addWidget(self.reentry_checkbox)
        options.addSpacing(12)
        options.addWidget(QLabel("Maximum entries:"))
        options.addWidget(self.max_entries_edit)
        options.addSpacing(12)
        options.addWidget(QLabel("Minimum time between entries:"))
        options.addWidget(self.timeout_value)
        options.addWidget(self.timeout_unit)
        options.addSpacing(12)
        options.addWidget(QLabel("Check at:"))
        options.addWidget(self.inputs.check_at_edit)
        options.addStretch(1)
        self.activate_button = QPushButton("Activate with these options…")
        self.activate_button.setObjectName("forecast_activate_button")
        self.activate_button.setToolTip("Open the activation dialog with the options above")
        self.activate_button.clicked.connect(self._on_activate_button_clicked)
        refuse_writes(self.activate_button)
        options.addWidget(self.activate_button)
        options_layout.addWidget(self.options_summary)
        self.inputs.changed.connect(self._on_options_changed)
        if not self._is_draft:
            self._freeze_options(status)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("forecast_progress")
        self.progress_bar.setRange(0, PROGRESS_STEPS)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%p %")
        self.status_label = QLabel()
        self.status_label.setObjectName("forecast_status")
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.status_label, 2)
        self._progress_row = progress_row

    def _freeze_options(self, status: str) -> None:
        """Past a draft the options are the stored ones: shown, not changed."""
        self.options_box.setTitle(f"Activation options ({status}, as stored)")
        for input_widget in self.inputs.widgets():
            input_widget.setEnabled(False)
        self.activate_button.hide()

    def _build_results(self) -> None:
        self.chart = QChart()
        self.chart.setObjectName("forecast_chart")
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.setMargins(QMargins(0, 0, 0, 0))
        self.chart_view = QChartView(self.chart)
        self.chart_view.setObjectName("forecast_chart_view")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(300)

        self.summary = ForecastSummary()
        self.totals_label = self.summary.totals_label
        self.peak_label = self.summary.peak_label
        self.warnings_model = self.summary.warnings_model
        self.warnings_view = self.summary.warnings_view
        self.warnings_title = self.summary.warnings_title

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.chart_view)
        top.addWidget(self.summary)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 0)
        top.setSizes([900, 340])
        top.setChildrenCollapsible(False)

        self.days_model = ForecastDaysTableModel(self)
        self.days_table = QTableView()
        self.days_table.setObjectName("forecast_days_table")
        self.days_table.setModel(self.days_model)
        self._table_defaults(self.days_table)
        self.days_table.horizontalHeader().setStretchLastSection(False)
        days_box = QGroupBox("Per day")
        QVBoxLayout(days_box).addWidget(self.days_table)

        self.customer_search = QLineEdit()
        self.customer_search.setObjectName("forecast_customer_search")
        self.customer_search.setPlaceholderText("Customer ID, e.g. why did they get three pushes?")
        self.customer_search.setClearButtonEnabled(True)
        self.customer_search.textChanged.connect(self._on_customer_search_text_changed)
        self.trace_label = QLabel()
        self.trace_label.setObjectName("forecast_trace_label")
        self.trace_label.setWordWrap(True)
        self.trace_model = ForecastTraceTableModel(self)
        self.trace_table = QTableView()
        self.trace_table.setObjectName("forecast_trace_table")
        self.trace_table.setModel(self.trace_model)
        self._table_defaults(self.trace_table)
        # Every column as wide as its text: a stretched Outcome was cut to "timed out at …"
        # (a narrow window scrolls sideways instead).
        self.trace_table.horizontalHeader().setStretchLastSection(False)
        trace_box = QGroupBox("Customer trace")
        trace_layout = QVBoxLayout(trace_box)
        trace_layout.addWidget(self.customer_search)
        trace_layout.addWidget(self.trace_label)
        trace_layout.addWidget(self.trace_table, 1)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(days_box)
        bottom.addWidget(trace_box)
        bottom.setStretchFactor(0, 2)  # the days fit in less than the trace's outcomes
        bottom.setStretchFactor(1, 3)
        bottom.setSizes([520, 720])  # every day column in sight at the default width
        bottom.setChildrenCollapsible(False)

        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(top)
        self.results_tabs = QTabWidget()
        self.results_tabs.setObjectName("forecast_tabs")
        self.results_tabs.addTab(bottom, "Days and customer trace")
        self.collisions = CollisionsPanel(self, self._pool)
        self.results_tabs.addTab(self.collisions, "Collisions")
        self._splitter.addWidget(self.results_tabs)
        self._splitter.setStretchFactor(0, 3)
        self._splitter.setStretchFactor(1, 2)
        self._splitter.setSizes([420, 340])  # the chart with its legend; several table rows
        self._splitter.setChildrenCollapsible(False)

    @staticmethod
    def _table_defaults(table: QTableView) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(22)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setAlternatingRowColors(True)

    # --- options ----------------------------------------------------------------------------

    def activation(self) -> Activation:
        """The activation options the forecast uses (a draft's as entered here)."""
        return self.inputs.options()

    @Slot()
    def _on_options_changed(self) -> None:
        if self._is_draft:
            reentry = self.reentry_checkbox.isChecked()
            for widget in (self.max_entries_edit, self.timeout_value, self.timeout_unit):
                widget.setEnabled(reentry)
            self.inputs.check_at_edit.setEnabled(self.inputs.check_at_applies())
        self.options_summary.setText(describe_activation(self.activation()))

    @Slot()
    def _on_activate_button_clicked(self) -> None:
        """The activation dialog, starting from this forecast's options."""
        from journey_desktop.ui.activate_dialog import ActivateDialog

        try:
            dialog = ActivateDialog(self._repo, self._journey_id, self,
                                    activation=self.activation())
        except RepositoryError as exc:
            self._show_status(str(exc), error=True)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.activated.connect(self._on_activate_dialog_activated)
        dialog.open()

    @Slot(int)
    def _on_activate_dialog_activated(self, journey_id: int) -> None:
        self._is_draft = False
        self._journey = self._repo.get(journey_id).journey
        self.inputs.set_options(self._journey.activation)
        self._freeze_options(ACTIVE)
        self._show_status("Activated: the evaluator checks its audience at the next tick.")
        self.journey_activated.emit(journey_id)

    def notice_change(self, journey_id: int | None, what: str) -> None:
        """Something changed the journey's data (with collisions, any journey's) since this
        forecast: say it is out of date (forecasting again takes a while; the user decides)."""
        if self._result is None or self._result.collisions is None and (
                journey_id not in (None, self._journey_id)
                or journey_id is None and self._is_draft and what == TICK_CHANGE):
            return  # another journey's, or a check, which moves active journeys only
        self._show_status(f"Out of date: {what} since this forecast. Run it again to see "
                          "what changed.", warning=True)

    # --- running ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._worker is not None

    @Slot()
    def _on_run_button_clicked(self) -> None:
        self.start_forecast()

    def start_forecast(self) -> bool:
        """Start a forecast with the window's options; False when one is already running."""
        if self._worker is not None:
            return False
        try:
            options: dict[str, Any] = {
                "days": self.days_spin.value(),
                "start": int(self.from_edit.dateTime().toSecsSinceEpoch()),
                "activation": self.activation() if self._is_draft else None,
                "tz": self._tz,
                "tick_interval": SettingsRepository().tick_interval(),
                "max_per_day": self.max_per_day_spin.value(),
                "source": source_path(),
                "events": self.events_chooser.path,
                "collisions": self.collisions.limit_for_run(),
            }
        except (ForecastError, RepositoryError) as exc:
            self._show_status(str(exc), error=True)
            return False
        self._sink = []
        self._set_running(True)
        self.progress_bar.setValue(0)
        self._show_status(f"Simulating {options['days']} days…")
        self._worker = run_job(
            forecast_job, self._on_worker_finished, self._on_worker_failed,
            self._journey_id, options, self._sink,
            on_progress=self._on_worker_progressed, on_cancelled=self._on_worker_cancelled,
            expected=(ForecastError, RepositoryError, OSError), pool=self._pool)
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._show_status("Cancelling…")

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.cancel()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.days_spin, self.from_edit, self.max_per_day_spin, self.options_box):
            widget.setEnabled(not running)

    @Slot(int, int, str)
    def _on_worker_progressed(self, done: int, total: int, text: str) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        if text:
            self._show_status(f"Simulating… {text}")

    @Slot(object)
    def _on_worker_finished(self, result: object) -> None:
        self._worker = None
        self._sink = []
        if not isinstance(result, ForecastResult):
            return
        if self._closed:
            result.close()
            return
        self._set_running(False)
        if self._result is not None:
            self._result.close()
        self._result = result
        self.progress_bar.setValue(self.progress_bar.maximum())
        self._show_result(result)
        self.forecast_finished.emit(result)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._worker = None
        self._set_running(False)
        self.progress_bar.setValue(0)
        self._show_status(f"The forecast failed: {message}", error=True)
        self.forecast_failed.emit(message)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._worker = None
        self._set_running(False)
        self.progress_bar.setValue(0)
        self._show_status("Forecast cancelled; nothing was written.")
        self.forecast_cancelled.emit()

    def _show_status(self, text: str, *, error: bool = False, warning: bool = False) -> None:
        colour = ERROR_COLOR if error else WARNING_COLOR if warning else ""
        self.status_label.setStyleSheet(f"QLabel {{ color: {colour}; }}" if colour else "")
        self.status_label.setText(text)

    # --- showing ----------------------------------------------------------------------------

    @property
    def result(self) -> ForecastResult | None:
        """The forecast on show (owned by the window, closed with it)."""
        return self._result

    def _show_empty(self) -> None:
        self.chart.setTitle("Run the forecast to see messages per day")
        self.summary.show_empty()
        self.trace_label.setText("Run the forecast, then type a customer ID.")
        self._show_status("Nothing is sent and nothing is written while forecasting.")

    def _show_result(self, result: ForecastResult) -> None:
        draw_chart(self.chart, result)
        self.days_model.set_days(result.days)
        self.summary.show_result(result)
        minutes = result.tick_interval / 60
        every = f"{minutes:g} min" if minutes >= 1 else f"{result.tick_interval} s"
        self._show_status(
            f"{len(result.days)} days from {self._when(result.start)}, ticking every {every} "
            f"({result.ticks:,} ticks with work) in {result.seconds:.1f} s"
        )
        self._on_customer_search_text_changed(self.customer_search.text())

    # --- customer trace ---------------------------------------------------------------------

    @Slot(str)
    def _on_customer_search_text_changed(self, text: str) -> None:
        external_id = text.strip()
        result = self._result
        if result is None:
            self.trace_model.set_rows([])
            self.trace_label.setText("Run the forecast, then type a customer ID.")
            return
        if not external_id:
            self.trace_model.set_rows([])
            self.trace_label.setText("Type a customer ID to see the nodes they reach and when.")
            return
        if not result.has_customer(external_id):
            self.trace_model.set_rows([])
            self.trace_label.setText(f"No customer with ID “{external_id}” in this audience.")
            return
        steps = result.trace(external_id)
        self.trace_model.set_rows([self._trace_row(result, step) for step in steps])
        if not steps:
            self.trace_label.setText(
                f"Customer “{external_id}” does not enter in these {len(result.days)} days."
            )
            return
        runs = len({step.entry_number for step in steps})
        sent = sum(1 for step in steps
                   if step.reached_at >= result.start and self._is_message(result, step.node))
        self.trace_label.setText(
            f"Customer “{external_id}”: {count_text(runs, 'entry', 'entries')}, "
            f"{count_text(sent, 'message', 'messages')} in the forecast."
        )

    @staticmethod
    def _is_message(result: ForecastResult, node_id: str) -> bool:
        node = result.journey.node(node_id)
        return node is not None and node.type == "message"

    def _trace_row(self, result: ForecastResult,
                   step: TraceStep) -> tuple[str, int, str, str, str, bool]:
        node = result.journey.node(step.node)
        if node is None:
            what = "?"
        elif node.type == "message":
            what = f"{CHANNEL_LABELS.get(node.channel or '', node.channel or '')} message"
        elif node.type == "wait_event":
            what = "Wait for event"
        else:
            what = node.type.capitalize()
        # A wait's outcome; a message's text for this customer, as rendered.
        outcome = (step.wait.words(self._when) if step.wait is not None
                   else f"“{step.message}”" if step.message else "")
        return (self._when(step.reached_at), step.entry_number, step.node, what, outcome,
                step.reached_at < result.start)

    def _when(self, ts: int) -> str:
        return engine.local_datetime(ts, self._tz).strftime("%a %Y-%m-%d %H:%M")

    # --- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        """Stop a running forecast (it writes nothing real) and drop the copy."""
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
        self._pool.waitForDone()
        for pending in self._sink:  # finished, but its signal will find the window closed
            pending.close()
        if self._result is not None:
            self._result.close()
            self._result = None
        super().closeEvent(event)

