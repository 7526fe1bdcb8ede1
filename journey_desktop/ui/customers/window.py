"""The customers window (SPEC §4, §9): find a customer by ID, see their fields, journeys and
timeline of runs and messages.

Every read runs in a Worker on its own connection, and only the latest answer is shown, so
typing in the search box never waits for the database, even over a million profiles. An
import, a check or an activation (``notice_change``) and View → Refresh (F5) read the page
shown and the selected customer again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop import APP_NAME
from journey_desktop.domain import engine
from journey_desktop.services.workers import JobControl
from journey_desktop.store.customers import (
    CustomerBase,
    CustomerProfile,
    CustomerRow,
    Membership,
    TimelineItem,
)
from journey_desktop.store.events import StoredEvent
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.customers.models import (
    CustomerListTableModel,
    FieldsTableModel,
    MembershipTableModel,
    TimelineTableModel,
)
from journey_desktop.ui.guide import SECTION_CUSTOMERS, add_help
from journey_desktop.ui.icons import icon

PAGE_SIZE = 100
SEARCH_DELAY_MS = 250
EMPTY_TEXT = "No customers yet: import customers (File → Import customers…) or an audience"
MUTED = "color: #5f6b73;"


@dataclass
class SearchPage:
    """One page of a search, read off the GUI thread."""

    prefix: str
    rows: list[CustomerRow]
    has_more: bool
    total: int | None = None  # customers in the base, when asked for


@dataclass
class CustomerDetail:
    external_id: str
    profile: CustomerProfile | None  # None: gone since the list was read
    memberships: list[Membership] = field(default_factory=list)
    timeline: list[TimelineItem | StoredEvent] = field(default_factory=list)


def _search_job(control: JobControl, prefix: str, after: str | None, limit: int,
                with_total: bool) -> SearchPage:
    base = CustomerBase()
    rows = base.search(prefix, limit + 1, after=after)
    total = base.count() if with_total else None
    return SearchPage(prefix, rows[:limit], len(rows) > limit, total)


def _detail_job(control: JobControl, external_id: str) -> CustomerDetail:
    base = CustomerBase()
    profile = base.profile(external_id)
    if profile is None:
        return CustomerDetail(external_id, None)
    return CustomerDetail(external_id, profile, base.memberships(external_id),
                          base.timeline(external_id).with_events())


def _table(name: str, model: object) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)  # type: ignore[arg-type]
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


class CustomersWindow(QMainWindow):
    """Search box and a page of customers on the left, the selected customer on the right.

    ``page_shown`` and ``customer_shown`` say when a read has reached the window.
    """

    page_shown = Signal()
    customer_shown = Signal(str)
    read_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, page_size: int = PAGE_SIZE,
                 tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customers_window")
        add_help(self, SECTION_CUSTOMERS)
        self.setWindowTitle(f"Customers — {APP_NAME}")
        self.resize(1200, 720)
        self._page_size = page_size
        self._tz = tz
        self._starts: list[str | None] = [None]  # the "after" key of each page shown so far
        self._total = 0
        self._has_more = False
        self._reads = 0  # on their way
        self._search_generation = 0
        self._detail_generation = 0
        self._close_when_done = False
        self._build()
        self._connect()
        self.refresh()

    # --- public interface -----------------------------------------------------------------

    @property
    def prefix(self) -> str:
        return self.search_box.text().strip()

    @property
    def page(self) -> int:
        """The page shown, from 1."""
        return len(self._starts)

    @property
    def loading(self) -> bool:
        """Whether a read is on its way."""
        return self._reads > 0

    @Slot()
    def refresh(self) -> None:
        """Count the customers again and read the page shown anew; the selected customer
        stays selected (and is read again) while they are on it."""
        self._search(with_total=True, keep=self._selected_id())

    def notice_change(self, journey_id: int | None, what: str) -> None:
        """Customers, memberships, runs or messages may have changed (an import, a check,
        an activation, a delivery report): show them as they are now."""
        self.refresh()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.action_refresh = QAction(icon("refresh"), "&Refresh", self)
        self.action_refresh.setObjectName("customers_refresh_action")
        self.action_refresh.setShortcut(QKeySequence("F5"))
        self.action_refresh.setStatusTip("Read the customers again")
        view_menu = self.menuBar().addMenu("&View")
        view_menu.setObjectName("customers_view_menu")
        view_menu.addAction(self.action_refresh)

        self.search_box = QLineEdit()
        self.search_box.setObjectName("customer_search_box")
        self.search_box.setPlaceholderText("Find customers by ID (beginning of the ID, any case)")
        self.search_box.setClearButtonEnabled(True)
        self.list_model = CustomerListTableModel(self)
        self.customer_table = _table("customer_table", self.list_model)
        self.customer_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.page_label = QLabel()
        self.page_label.setObjectName("customer_page_label")
        self.page_label.setWordWrap(True)
        self.previous_button = QPushButton("‹ Previous")
        self.previous_button.setObjectName("customer_previous_button")
        self.next_button = QPushButton("Next ›")
        self.next_button.setObjectName("customer_next_button")
        pager = QHBoxLayout()
        pager.addWidget(self.page_label, 1)
        pager.addWidget(self.previous_button)
        pager.addWidget(self.next_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search_box)
        left_layout.addWidget(self.customer_table, 1)
        left_layout.addLayout(pager)

        self.title_label = QLabel("Select a customer to see their fields, journeys and timeline.")
        self.title_label.setObjectName("customer_title")
        self.title_label.setWordWrap(True)
        self.subtitle_label = QLabel()
        self.subtitle_label.setObjectName("customer_subtitle")
        self.subtitle_label.setStyleSheet(MUTED)
        self.fields_model = FieldsTableModel(self)
        self.fields_table = _table("customer_fields_table", self.fields_model)
        self.journeys_model = MembershipTableModel(self, tz=self._tz)
        self.journeys_table = _table("customer_journeys_table", self.journeys_model)
        self.timeline_model = TimelineTableModel(self, tz=self._tz)
        self.timeline_table = _table("customer_timeline_table", self.timeline_model)
        for table in (self.fields_table, self.journeys_table, self.timeline_table):
            header = table.horizontalHeader()
            for column in range(table.model().columnCount() - 1):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self._section("Fields", self.fields_table))
        top.addWidget(self._section("Journeys", self.journeys_table))
        top.setSizes([300, 420])
        details = QSplitter(Qt.Orientation.Vertical)
        details.addWidget(top)
        details.addWidget(self._section("Timeline: events, runs and messages in time order",
                                        self.timeline_table))
        details.setSizes([260, 380])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        right_layout.addWidget(self.title_label)
        right_layout.addWidget(self.subtitle_label)
        right_layout.addWidget(details, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("customers_splitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 760])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self._show_detail(None)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

    @staticmethod
    def _section(title: str, table: QTableView) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(_caption(title))
        layout.addWidget(table, 1)
        return box

    def _connect(self) -> None:
        self.action_refresh.triggered.connect(self.refresh)
        self.search_box.textChanged.connect(self._search_timer.start)
        self.search_box.returnPressed.connect(self._on_search_timer_timeout)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.previous_button.clicked.connect(self._on_previous_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.customer_table.selectionModel().selectionChanged.connect(
            self._on_customer_selection_changed)

    # --- reading ----------------------------------------------------------------------------

    def _start(self, job: Callable[..., Any], on_done: Callable[[Any], None],
               *args: Any) -> None:
        self._reads += 1
        run_job(job, on_done, self._on_read_failed, *args)

    def _done(self) -> bool:
        """Count a read as done; False when the window is closing (show nothing)."""
        self._reads -= 1
        if self._close_when_done:
            if not self._reads:
                QTimer.singleShot(0, self.close)
            return False
        return True

    def _search(self, *, with_total: bool = False, keep: str | None = None) -> None:
        """Read the page that starts after ``_starts[-1]``; select ``keep`` on it if there,
        else the first row."""
        self._search_timer.stop()
        self._search_generation += 1
        generation = self._search_generation
        self.statusBar().showMessage("Searching…")
        self._start(_search_job,
                    lambda page: self._on_search_finished(generation, page, keep),
                    self.prefix, self._starts[-1], self._page_size, with_total)

    def _selected_id(self) -> str | None:
        rows = self.customer_table.selectionModel().selectedRows()
        return self.list_model.customer_at(rows[0].row()).external_id if rows else None

    def _on_search_finished(self, generation: int, page: object,
                            keep: str | None = None) -> None:
        if not self._done() or generation != self._search_generation:
            return  # a newer search is on its way
        assert isinstance(page, SearchPage)
        if page.total is not None:
            self._total = page.total
        self._has_more = page.has_more
        self.list_model.set_rows(page.rows)
        self._show_page_label(page)
        self.previous_button.setEnabled(self.page > 1)
        self.next_button.setEnabled(page.has_more)
        self.statusBar().clearMessage()
        if page.rows:
            ids = [row.external_id for row in page.rows]
            self.customer_table.selectRow(ids.index(keep) if keep in ids else 0)
        else:
            self._show_detail(None)
        self.page_shown.emit()

    def _show_page_label(self, page: SearchPage) -> None:
        if not self._total:
            self.page_label.setText(EMPTY_TEXT)
            return
        if not page.rows:
            self.page_label.setText(f"No customer ID starts with “{page.prefix}”.")
            return
        first = (self.page - 1) * self._page_size + 1
        last = first + len(page.rows) - 1
        which = (f"whose ID starts with “{page.prefix}”" if page.prefix
                 else f"of {self._total:,}")
        self.page_label.setText(f"Customers {first:,}–{last:,} {which} (page {self.page:,})")

    def _load_detail(self, external_id: str) -> None:
        self._detail_generation += 1
        generation = self._detail_generation
        self._start(_detail_job, lambda detail: self._on_detail_finished(generation, detail),
                    external_id)

    def _on_detail_finished(self, generation: int, detail: object) -> None:
        if not self._done() or generation != self._detail_generation:
            return
        assert isinstance(detail, CustomerDetail)
        self._show_detail(detail)
        self.customer_shown.emit(detail.external_id)

    def _show_detail(self, detail: CustomerDetail | None) -> None:
        profile = detail.profile if detail is not None else None
        if detail is None:
            self.title_label.setText("Select a customer to see their fields, journeys and "
                                     "timeline.")
            self.subtitle_label.setText("")
        elif profile is None:
            self.title_label.setText(detail.external_id)
            self.subtitle_label.setText("This customer is no longer in the customer base.")
        else:
            self.title_label.setText(profile.external_id)
            journeys = len(detail.memberships)
            self.subtitle_label.setText(
                f"In {journeys} journey{'s' if journeys != 1 else ''} · first imported "
                f"{engine.local_time_text(profile.created_at, self._tz)} · last updated "
                f"{engine.local_time_text(profile.updated_at, self._tz)}")
        self.fields_model.set_fields(profile.fields if profile is not None else {})
        self.journeys_model.set_memberships(detail.memberships if detail is not None else [])
        self.timeline_model.set_items(detail.timeline if detail is not None else [])

    # --- slots ------------------------------------------------------------------------------

    @Slot()
    def _on_search_timer_timeout(self) -> None:
        self._starts = [None]
        self._search()

    @Slot()
    def _on_next_button_clicked(self) -> None:
        rows = self.list_model.rowCount()
        if not self._has_more or not rows:
            return
        self._starts.append(self.list_model.customer_at(rows - 1).external_id)
        self._search()

    @Slot()
    def _on_previous_button_clicked(self) -> None:
        if len(self._starts) > 1:
            self._starts.pop()
            self._search()

    @Slot(QItemSelection, QItemSelection)
    def _on_customer_selection_changed(self, _selected: QItemSelection,
                                       _deselected: QItemSelection) -> None:
        rows = self.customer_table.selectionModel().selectedRows()
        if rows:
            self._load_detail(self.list_model.customer_at(rows[0].row()).external_id)

    @Slot(str)
    def _on_read_failed(self, text: str) -> None:
        if not self._done():
            return
        self.statusBar().showMessage(f"The customers could not be read: {text}")
        self.read_failed.emit(text)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if self._reads:  # a read must not outlive the window: close after it
            self._close_when_done = True
            self.hide()
            event.ignore()
            return
        super().closeEvent(event)
