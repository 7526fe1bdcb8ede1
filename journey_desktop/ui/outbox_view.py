"""The outbox window (SPEC §6): every message written, filtered, and exported to CSV.

The table model is paged: it holds the messages fetched so far and asks the store for the
next page (``list_messages`` with limit and offset) when the view scrolls near the end, so a
100,000-message outbox costs one page and two counts to open. The export runs in a Worker
with its own database connection and marks what it wrote only when the file is complete.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
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
from journey_desktop.domain.journey import CHANNEL_LABELS, CHANNELS
from journey_desktop.services.workers import JobControl, Worker
from journey_desktop.store.db import database
from journey_desktop.store.export_lock import ExportBusyError
from journey_desktop.store.outbox import (
    EXPORTED,
    PENDING,
    ExportError,
    ExportResult,
    OutboxFilter,
    OutboxMessage,
    count_messages,
    export_file,
    last_message_id,
    list_messages,
)
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui import prompts
from journey_desktop.ui.icons import icon

PAGE_SIZE = 200

(
    COL_CUSTOMER,
    COL_JOURNEY,
    COL_NODE,
    COL_CHANNEL,
    COL_TITLE,
    COL_BODY,
    COL_URL,
    COL_DUE,
    COL_STATUS,
    COL_EXPORTED,
) = range(10)
HEADERS = {
    COL_CUSTOMER: "Customer",
    COL_JOURNEY: "Journey",
    COL_NODE: "Node",
    COL_CHANNEL: "Channel",
    COL_TITLE: "Title / subject",
    COL_BODY: "Body",
    COL_URL: "URL",
    COL_DUE: "Due at",
    COL_STATUS: "Status",
    COL_EXPORTED: "Exported at",
}
COLUMN_WIDTHS = {  # the body takes what is left
    COL_CUSTOMER: 100, COL_JOURNEY: 175, COL_NODE: 110, COL_CHANNEL: 70,
    COL_TITLE: 195, COL_BODY: 200, COL_URL: 150, COL_DUE: 120, COL_STATUS: 75,
    COL_EXPORTED: 120,
}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # native values: ints for times, str otherwise
MESSAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 2
TIME_FORMAT = "%Y-%m-%d %H:%M"
BODY_PREVIEW = 120
EXPORTED_COLOR = QColor("#1f7a45")
ANY_DATE = QDate(2000, 1, 1)  # the minimum of the date filters, shown as "Any"


def _day(date: QDate) -> dt.date:
    """A QDate as a Python date (PySide's ``toPython`` is typed as returning object)."""
    return dt.date(date.year(), date.month(), date.day())
CSV_FORMATS = {  # the save dialog's filters: the form of the file, and its delimiter
    "CSV, comma-separated (*.csv)": ",",
    "CSV, semicolon-separated, for spreadsheets with a decimal comma (*.csv)": ";",
}


def local_time_text(ts: int | None, tz: dt.tzinfo | None = None) -> str:
    """An instant as local ``YYYY-MM-DD HH:MM``; empty for none."""
    return "" if ts is None else engine.local_datetime(int(ts), tz).strftime(TIME_FORMAT)


def _one_line(text: str, limit: int = BODY_PREVIEW) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class OutboxTableModel(QAbstractTableModel):
    """The messages of one filter, fetched a page at a time as the view scrolls."""

    def __init__(self, parent: QObject | None = None, *, page_size: int = PAGE_SIZE,
                 tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self._page_size = max(1, int(page_size))
        self._tz = tz
        self._filter = OutboxFilter()
        self._newest_first = True
        self._rows: list[OutboxMessage] = []
        self._total = 0

    # --- what the window needs -----------------------------------------------------------

    @property
    def total(self) -> int:
        """How many messages match the filter (loaded or not)."""
        return self._total

    @property
    def newest_first(self) -> bool:
        return self._newest_first

    def message_filter(self) -> OutboxFilter:
        return OutboxFilter(**vars(self._filter))

    def set_filter(self, flt: OutboxFilter) -> None:
        """Show the first page of another filter."""
        self._filter = OutboxFilter(**vars(flt))
        self.reload(keep_loaded=False)

    def reload(self, *, keep_loaded: bool = True) -> None:
        """Read the count and the rows again; keeps as many rows loaded as before if asked.

        Pages are read from a snapshot (messages written up to now), so that messages the
        evaluator writes meanwhile do not shift the pages; the next reload shows them.
        """
        wanted = max(self._page_size, len(self._rows)) if keep_loaded else self._page_size
        self.beginResetModel()
        self._filter.up_to_id = last_message_id()
        self._total = count_messages(self._filter)
        self._rows = list_messages(self._filter, offset=0, limit=wanted,
                                   newest_first=self._newest_first)
        self.endResetModel()

    def message_at(self, row: int) -> OutboxMessage:
        return self._rows[row]

    # --- Qt overrides --------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid():
            return
        page = list_messages(self._filter, offset=len(self._rows), limit=self._page_size,
                             newest_first=self._newest_first)
        if not page:
            self._total = len(self._rows)  # rows went away since the count
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Only the due time sorts (the store pages in that order), both ways."""
        if column != COL_DUE:
            return
        newest_first = order == Qt.SortOrder.DescendingOrder
        if newest_first != self._newest_first:
            self._newest_first = newest_first
            self.reload(keep_loaded=False)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        message = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(message, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (COL_TITLE, COL_BODY, COL_URL):
                return self._text(message, column) or None
            if column == COL_DUE:
                return "When the step fell due (local time)"
            return None
        if role == SORT_ROLE:
            return self._native(message, column)
        if role == MESSAGE_ID_ROLE:
            return message.id
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            return EXPORTED_COLOR if message.exported_at is not None else None
        return None

    def _text(self, message: OutboxMessage, column: int) -> str:
        return {
            COL_CUSTOMER: message.external_id,
            COL_JOURNEY: message.journey_name,
            COL_NODE: message.node,
            COL_CHANNEL: CHANNEL_LABELS.get(message.channel, message.channel),
            COL_TITLE: message.title,
            COL_BODY: message.body,
            COL_URL: message.url,
            COL_STATUS: message.status,
        }.get(column, "")

    def _display(self, message: OutboxMessage, column: int) -> str:
        if column == COL_DUE:
            return local_time_text(message.due_at, self._tz)
        if column == COL_EXPORTED:
            return local_time_text(message.exported_at, self._tz)
        if column in (COL_TITLE, COL_BODY):
            return _one_line(self._text(message, column))
        return self._text(message, column)

    def _native(self, message: OutboxMessage, column: int) -> Any:
        if column == COL_DUE:
            return message.due_at
        if column == COL_EXPORTED:
            return message.exported_at if message.exported_at is not None else 0
        return self._text(message, column)


def _export_job(control: JobControl, path: str, flt: OutboxFilter, only_new: bool, now: int,
                tz: dt.tzinfo | None, total: int, delimiter: str) -> ExportResult:
    """Export on this thread's own connection; the store writes beside the target and
    marks the rows once the file is in place."""
    database.connect(reuse_if_open=True)
    try:
        def progress(done: int) -> None:
            control.check()
            control.progress(done, total, f"{done:,} of {total:,} messages written")

        return export_file(path, flt, only_new=only_new, now=now, tz=tz, progress=progress,
                           delimiter=delimiter)
    finally:
        database.close()


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
        for text, value in (("Any status", ""), ("Not exported yet", PENDING),
                            ("Exported", EXPORTED)):
            self.status_filter.addItem(text, value)
        self.from_date = self._date_edit("outbox_from_date", "Messages due on or after this day")
        self.to_date = self._date_edit("outbox_to_date", "Messages due on or before this day")
        self.clear_filters_button = QPushButton("Clear filters")
        self.clear_filters_button.setObjectName("outbox_clear_filters_button")

        filters = QHBoxLayout()
        for label, widget in (("Journey", self.journey_filter), ("Channel", self.channel_filter),
                              ("Status", self.status_filter), ("Due from", self.from_date),
                              ("to", self.to_date)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget)
            filters.addSpacing(6)
        filters.addWidget(self.clear_filters_button)
        filters.addStretch(1)

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

    def _date_edit(self, name: str, tip: str) -> QDateEdit:
        edit = OptionalDateEdit()
        edit.setObjectName(name)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setToolTip(tip)
        return edit

    def _connect(self) -> None:
        self.action_refresh.triggered.connect(self.refresh)
        for combo in (self.journey_filter, self.channel_filter, self.status_filter):
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
        if flt.status == EXPORTED:
            pending = 0
        else:
            flt.status = PENDING
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

    # --- slots -------------------------------------------------------------------------------

    @Slot()
    def _on_filter_changed(self) -> None:
        self.model.set_filter(self.current_filter())
        self._update_counts()

    @Slot()
    def _on_clear_filters_button_clicked(self) -> None:
        widgets = (self.journey_filter, self.channel_filter, self.status_filter,
                   self.from_date, self.to_date)
        for widget in widgets:
            widget.blockSignals(True)
        for combo in (self.journey_filter, self.channel_filter, self.status_filter):
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
        total = self._pending if only_new or flt.status == PENDING else self.model.total
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
        worker = Worker(_export_job, path, flt, only_new, now, self._tz, total, delimiter,
                        expected=(OSError, ExportError, ExportBusyError, DatabaseOutputError))
        worker.signals.progressed.connect(self._on_worker_progressed)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        self._export_path = path
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%p%")
        self.progress_bar.show()
        self.cancel_export_button.show()
        self.statusBar().showMessage(f"Exporting {total:,} messages…")
        self._update_actions()
        self.export_started.emit()
        worker.start()

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
