"""The outbox window (SPEC §6): every message written, filtered, and exported to CSV.

The export runs as a job (``run_job``) and marks what it wrote only when the file is
complete."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QDate,
    QEvent,
    QObject,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from journey_desktop import APP_NAME
from journey_desktop.domain import engine
from journey_desktop.domain.delivery import STATUS_LABELS, STATUSES
from journey_desktop.domain.journey import CHANNEL_LABELS, CHANNELS
from journey_desktop.services.workers import Worker
from journey_desktop.store.delivery_status import NO_REPORT
from journey_desktop.store.export_lock import ExportBusyError
from journey_desktop.store.outbox import (
    EXPORTED,
    HELD,
    READY,
    SUPPRESSED,
    ExportError,
    ExportResult,
    OutboxFilter,
    count_messages,
)
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.repository import JourneyRepository, RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.common.changes import DELIVERY_REPORT_CHANGE
from journey_desktop.ui.common.flow_layout import FlowLayout
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.common.read_only import refuse_writes
from journey_desktop.ui.guide import SECTION_STATS, add_help
from journey_desktop.ui.icons import icon
from journey_desktop.ui.outbox.export_job import export_job
from journey_desktop.ui.outbox.model import (
    COL_BODY,
    COL_DELIVERY,
    COL_DUE,
    COL_STATUS,
    COLUMN_WIDTHS,
    DELIVERY_MAX_WIDTH,
    PAGE_SIZE,
    STATUS_MAX_WIDTH,
    OutboxTableModel,
)

ANY_DATE = QDate(2000, 1, 1)  # the minimum of the date filters, shown as "Any"


def _day(date: QDate) -> dt.date:
    """A QDate as a Python date (PySide's ``toPython`` is typed as returning object)."""
    return dt.date(date.year(), date.month(), date.day())
CSV_FORMATS = {  # the save dialog's filters: the form of the file, and its delimiter
    "CSV, comma-separated (*.csv)": ",",
    "CSV, semicolon-separated, for spreadsheets with a decimal comma (*.csv)": ";",
}




class OptionalDateEdit(QDateEdit):
    """A date filter whose minimum means "Any"; its calendar then opens on today's month."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setMinimumDate(ANY_DATE)
        self.setSpecialValueText("Any")  # shown while the date is the minimum
        self.setDate(ANY_DATE)
        self.calendarWidget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if (watched is self.calendarWidget() and event.type() == QEvent.Type.Show
                and self.date() == ANY_DATE):
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)


class OutboxWindow(QMainWindow):
    """The outbox: filters, a paged table of messages, and export to CSV."""

    export_started = Signal()
    export_progressed = Signal(int, int)  # messages written, messages to write
    messages_exported = Signal(int, str)  # how many, the file written
    export_failed = Signal(str)

    def __init__(
        self,
        repo: JourneyRepository,
        journey_id: int | None = None,
        parent: QWidget | None = None,
        *,
        tz: dt.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("outbox_window")
        add_help(self, SECTION_STATS)
        self.setWindowTitle(f"Outbox — {APP_NAME}")
        self.setWindowIcon(icon("outbox"))
        self.resize(1280, 720)
        self.repo = repo
        self._tz = tz
        self._clock = clock
        self._worker: Worker | None = None
        self._pending = 0
        self._export_path = ""
        self._csv_format = next(iter(CSV_FORMATS))
        self._close_when_done = False
        self.model = OutboxTableModel(self, page_size=page_size, tz=tz)
        self._build()
        self._fill_journeys(journey_id)
        self._connect()
        self.refresh()

    # --- public interface ------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Re-read the journey list, the counts and the messages (keeps filters and place)."""
        self._fill_journeys(self.journey_filter.currentData())
        flt = self.current_filter()
        shown = self.model.message_filter()
        shown.up_to_id = None
        if flt == shown:
            scroll = self.table.verticalScrollBar().value()
            self.model.reload(keep_loaded=True)
            self.table.verticalScrollBar().setValue(scroll)
        else:
            self.model.set_filter(flt)
        self._update_counts()

    def current_filter(self) -> OutboxFilter:
        """What the filter bar selects, as the store's filter (dates as local days)."""
        flt = OutboxFilter()
        flt.journey_id = self.journey_filter.currentData()
        flt.channel = self.channel_filter.currentData() or None
        flt.status = self.status_filter.currentData() or None
        flt.delivery = self.delivery_filter.currentData() or None
        start, end = self.from_date.date(), self.to_date.date()
        if start != ANY_DATE:
            flt.due_from = engine.local_timestamp(_day(start), 0, 0, self._tz)
        if end != ANY_DATE:
            flt.due_to = engine.local_timestamp(_day(end) + dt.timedelta(days=1), 0, 0,
                                                self._tz)
        return flt

    def set_journey(self, journey_id: int | None) -> None:
        """Show one journey's messages (None: all journeys)."""
        self._select_data(self.journey_filter, journey_id)

    def notice_change(self, journey_id: int | None, what: str) -> None:
        """A delivery report changed messages' statuses: show them (other changes wait for
        Refresh, as the evaluator's new messages do)."""
        if what == DELIVERY_REPORT_CHANGE and self._worker is None:
            self.refresh()

    @property
    def exporting(self) -> bool:
        return self._worker is not None

    # --- building --------------------------------------------------------------------------

    def _build(self) -> None:
        self.action_refresh = QAction(icon("refresh"), "&Refresh", self)
        self.action_refresh.setObjectName("outbox_refresh_action")
        self.action_refresh.setShortcut(QKeySequence("F5"))
        self.action_refresh.setStatusTip("Read the outbox again")
        toolbar = QToolBar("Outbox")
        toolbar.setObjectName("outbox_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.action_refresh)
        self.addToolBar(toolbar)

        self.journey_filter = QComboBox()
        self.journey_filter.setObjectName("outbox_journey_filter")
        self.journey_filter.setMinimumContentsLength(18)
        self.journey_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.channel_filter = QComboBox()
        self.channel_filter.setObjectName("outbox_channel_filter")
        self.channel_filter.addItem("All channels", "")
        for channel in CHANNELS:
            self.channel_filter.addItem(CHANNEL_LABELS.get(channel, channel), channel)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("outbox_status_filter")
        for text, value in (("Any status", ""), ("Ready, not exported yet", READY),
                            ("Held (quiet hours, rate limit)", HELD),
                            ("Suppressed (not sent)", SUPPRESSED), ("Exported", EXPORTED)):
            self.status_filter.addItem(text, value)
        self.delivery_filter = QComboBox()
        self.delivery_filter.setObjectName("outbox_delivery_filter")
        self.delivery_filter.setToolTip("Messages a delivery report gave this status (a click "
                                        "counts as an open, a delivery and a send)")
        self.delivery_filter.addItem("Any delivery", "")
        self.delivery_filter.addItem("No report yet", NO_REPORT)
        for status in STATUSES:
            self.delivery_filter.addItem(STATUS_LABELS[status], status)
        self.from_date = self._date_edit("outbox_from_date", "Messages due on or after this day")
        self.to_date = self._date_edit("outbox_to_date", "Messages due on or before this day")
        self.clear_filters_button = QPushButton("Clear filters")
        self.clear_filters_button.setObjectName("outbox_clear_filters_button")

        # The filters wrap onto a second line in a narrow window; each keeps its caption.
        filters = FlowLayout()
        filters.setObjectName("outbox_filters")
        for label, widget in (("Journey", self.journey_filter), ("Channel", self.channel_filter),
                              ("Status", self.status_filter),
                              ("Delivery", self.delivery_filter), ("Due from", self.from_date),
                              ("to", self.to_date)):
            filters.addWidget(self._captioned(label, widget))
        filters.addWidget(self.clear_filters_button)

        self.table = QTableView()
        self.table.setObjectName("outbox_table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        # A wider window gives its room to the body, the text most cut short.
        header.setSectionResizeMode(COL_BODY, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(COL_DUE, Qt.SortOrder.DescendingOrder)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)

        self.count_label = QLabel()
        self.count_label.setObjectName("outbox_count_label")
        self.export_button = QPushButton("Export all shown…")
        self.export_button.setObjectName("outbox_export_button")
        self.export_button.setToolTip(
            "Write every message matching the filters to a CSV file and mark them exported")
        self.export_new_button = QPushButton("Export new…")
        self.export_new_button.setObjectName("outbox_export_new_button")
        self.export_new_button.setToolTip(
            "Write only the matching messages not exported before, and mark them exported")
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.export_new_button)
        bottom.addWidget(self.export_button)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("outbox_export_progress")
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setTextVisible(True)
        self.cancel_export_button = QPushButton("Cancel export")
        self.cancel_export_button.setObjectName("outbox_cancel_export_button")
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_export_button)
        self.progress_bar.hide()
        self.cancel_export_button.hide()

    @staticmethod
    def _captioned(label: str, widget: QWidget) -> QWidget:
        """A filter with its caption, kept together on one line of the filter bar."""
        caption = QLabel(label)
        caption.setBuddy(widget)
        pair = QWidget()
        row = QHBoxLayout(pair)
        row.setContentsMargins(0, 0, 6, 0)
        row.addWidget(caption)
        row.addWidget(widget)
        return pair

    def _date_edit(self, name: str, tip: str) -> QDateEdit:
        edit = OptionalDateEdit()
        edit.setObjectName(name)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setToolTip(tip)
        return edit

    def _connect(self) -> None:
        self.action_refresh.triggered.connect(self.refresh)
        for combo in (self.journey_filter, self.channel_filter, self.status_filter,
                      self.delivery_filter):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.from_date.dateChanged.connect(self._on_filter_changed)
        self.to_date.dateChanged.connect(self._on_filter_changed)
        self.clear_filters_button.clicked.connect(self._on_clear_filters_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.export_new_button.clicked.connect(self._on_export_new_button_clicked)
        self.cancel_export_button.clicked.connect(self._on_cancel_export_button_clicked)
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            self._on_header_sort_indicator_changed)
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsInserted.connect(self._update_actions)
        self.model.modelReset.connect(self._fit_columns)
        self.model.rowsInserted.connect(self._fit_columns)

    def _fill_journeys(self, selected: int | None) -> None:
        combo = self.journey_filter
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("All journeys", None)
        for summary in sorted(self.repo.summaries(), key=lambda s: s.name.casefold()):
            combo.addItem(summary.name, summary.id)
        index = combo.findData(selected) if selected is not None else 0
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    @staticmethod
    def _select_data(combo: QComboBox, value: object) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(max(0, index))

    def _update_counts(self) -> None:
        total = self.model.total
        flt = self.model.message_filter()
        if flt.status and flt.status != READY:
            pending = 0
        else:
            flt.status = READY
            pending = count_messages(flt)
        text = f"{total:,} message{'' if total == 1 else 's'}"
        if total:
            text += f" · {pending:,} not exported yet"
        self.count_label.setText(text)
        self._pending = pending
        self._update_actions()

    @Slot()
    def _update_actions(self) -> None:
        idle = self._worker is None
        self.export_button.setEnabled(idle and self.model.total > 0)
        self.export_new_button.setEnabled(idle and self._pending > 0)
        refuse_writes(self.export_button, self.export_new_button)  # exports mark messages

    # --- slots -------------------------------------------------------------------------------

    @Slot()
    def _fit_columns(self) -> None:
        """Widen the status and delivery columns to their longest text (up to a limit: the
        tooltip has the rest); never narrow them, which the user may have widened."""
        for column, limit in ((COL_STATUS, STATUS_MAX_WIDTH),
                              (COL_DELIVERY, DELIVERY_MAX_WIDTH)):
            wanted = min(limit, max(
                self.table.sizeHintForColumn(column),
                self.table.horizontalHeader().sectionSizeHint(column)))
            if wanted > self.table.columnWidth(column):
                self.table.setColumnWidth(column, wanted)

    @Slot()
    def _on_filter_changed(self) -> None:
        self.model.set_filter(self.current_filter())
        self._update_counts()

    @Slot()
    def _on_clear_filters_button_clicked(self) -> None:
        widgets = (self.journey_filter, self.channel_filter, self.status_filter,
                   self.delivery_filter, self.from_date, self.to_date)
        for widget in widgets:
            widget.blockSignals(True)
        for combo in (self.journey_filter, self.channel_filter, self.status_filter,
                      self.delivery_filter):
            combo.setCurrentIndex(0)
        self.from_date.setDate(ANY_DATE)
        self.to_date.setDate(ANY_DATE)
        for widget in widgets:
            widget.blockSignals(False)
        self._on_filter_changed()

    @Slot(int, Qt.SortOrder)
    def _on_header_sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        header = self.table.horizontalHeader()
        if column != COL_DUE:  # only the due time sorts: keep the indicator there
            header.blockSignals(True)
            header.setSortIndicator(
                COL_DUE,
                Qt.SortOrder.DescendingOrder if self.model.newest_first
                else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)
            return
        self.model.sort(column, order)

    @Slot()
    def _on_export_button_clicked(self) -> None:
        self._export(only_new=False)

    @Slot()
    def _on_export_new_button_clicked(self) -> None:
        self._export(only_new=True)

    @Slot()
    def _on_cancel_export_button_clicked(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.statusBar().showMessage("Cancelling the export…")

    def _export(self, *, only_new: bool) -> None:
        if self._worker is not None:
            return
        flt = self.model.message_filter()  # what is shown, not what was written since
        total = self._pending if only_new or flt.status == READY else self.model.total
        now = int(self._clock())
        stamp = engine.local_datetime(now, self._tz).strftime("%Y-%m-%d-%H%M")
        suggested = str(Path.home() / f"outbox-{'new-' if only_new else ''}{stamp}.csv")
        title = "Export new messages" if only_new else "Export messages"
        answer = prompts.ask_save_file_as(self, title, suggested, list(CSV_FORMATS),
                                          self._csv_format)
        if not answer:
            return
        path, self._csv_format = answer
        if not Path(path).suffix:
            path += ".csv"
        try:
            check_output_path(path)
        except DatabaseOutputError as exc:
            prompts.show_error(self, title, f"The outbox was not exported: {exc}.")
            return
        delimiter = CSV_FORMATS.get(self._csv_format, ",")
        self._worker = run_job(
            export_job, self._on_worker_finished, self._on_worker_failed,
            path, flt, only_new, now, self._tz, total, delimiter,
            on_progress=self._on_worker_progressed, on_cancelled=self._on_worker_cancelled,
            expected=(OSError, ExportError, ExportBusyError, DatabaseOutputError,
                      RepositoryError))
        self._export_path = path
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%p%")
        self.progress_bar.show()
        self.cancel_export_button.show()
        self.statusBar().showMessage(f"Exporting {total:,} messages…")
        self._update_actions()
        self.export_started.emit()

    def _end_export(self) -> None:
        self._worker = None
        self.progress_bar.hide()
        self.cancel_export_button.hide()
        self._update_actions()
        if self._close_when_done:
            QTimer.singleShot(0, self.close)

    @Slot(int, int, str)
    def _on_worker_progressed(self, done: int, total: int, text: str) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(min(done, max(1, total)))
        self.statusBar().showMessage(text)
        self.export_progressed.emit(done, total)

    @Slot(object)
    def _on_worker_finished(self, result: object) -> None:
        assert isinstance(result, ExportResult)
        path = self._export_path
        self._end_export()
        self.refresh()
        written = result.written
        text = f"Exported {written:,} message{'' if written == 1 else 's'} to {path}"
        if result.marked != written:
            text += f" ({result.marked:,} of them for the first time)"
        self.statusBar().showMessage(text, 10000)
        self.messages_exported.emit(written, path)

    @Slot(str)
    def _on_worker_failed(self, text: str) -> None:
        self._end_export()
        self.statusBar().clearMessage()
        prompts.show_error(self, "Export failed",
                           f"The outbox could not be exported; nothing was marked.\n\n{text}")
        self.export_failed.emit(text)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._end_export()
        self.statusBar().showMessage("Export cancelled; nothing was marked exported.", 8000)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if self._worker is not None:
            # Cancel (nothing is marked) and close once the worker has stopped: it must not
            # outlive the window that owns it.
            self._worker.cancel()
            self._close_when_done = True
            self.hide()
            event.ignore()
            return
        super().closeEvent(event)
