"""A journey's audience, page by page: customers and their fields, searchable by ID.

Pages come from keyset queries in the store (``AudienceStore.page``), so browsing a million
customers never loads more than one page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.store.audience import AudienceRow, AudienceStore
from journey_desktop.store.repository import JourneyRepository

PAGE_SIZE = 100
SEARCH_DELAY_MS = 250
FIXED_COLUMNS = ("Customer ID",)
ENTRIES_TITLE = "Entries"


class AudienceTableModel(QAbstractTableModel):
    """One page of customers: the ID, one column per audience field, then entries."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fields: list[str] = []
        self._rows: list[AudienceRow] = []

    def set_page(self, fields: list[str], rows: list[AudienceRow]) -> None:
        self.beginResetModel()
        self._fields = list(fields)
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> AudienceRow:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 2 + len(self._fields)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == 0:
            return FIXED_COLUMNS[0]
        if 1 <= section <= len(self._fields):
            return self._fields[section - 1]
        if section == len(self._fields) + 1:
            return ENTRIES_TITLE
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        customer = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return customer.external_id
            if 1 <= column <= len(self._fields):
                return customer.fields.get(self._fields[column - 1], "")
            if column == len(self._fields) + 1:
                return customer.entries
        if role == Qt.ItemDataRole.TextAlignmentRole and column == len(self._fields) + 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class AudienceView(QWidget):
    """Search box, the page of customers and first/previous/next/last buttons."""

    page_shown = Signal(int, int)  # page number (from 1), page count

    def __init__(self, repo: JourneyRepository, journey_id: int,
                 parent: QWidget | None = None, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._store = AudienceStore(repo)
        self._journey_id = journey_id
        self._page_size = page_size
        self._page = 1
        self._total = 0
        self._fields: list[str] = []

        self.search_box = QLineEdit()
        self.search_box.setObjectName("audience_search")
        self.search_box.setPlaceholderText("Find customers by ID (beginning of the ID)")
        self.search_box.setClearButtonEnabled(True)
        self.model = AudienceTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("audience_table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.page_label = QLabel()
        self.page_label.setObjectName("page_label")
        self.first_button = self._button("first_page_button", "« First")
        self.previous_button = self._button("previous_page_button", "‹ Previous")
        self.next_button = self._button("next_page_button", "Next ›")
        self.last_button = self._button("last_page_button", "Last »")

        pager = QHBoxLayout()
        pager.addWidget(self.page_label, 1)
        for button in (self.first_button, self.previous_button, self.next_button, self.last_button):
            pager.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search_box)
        layout.addWidget(self.table, 1)
        layout.addLayout(pager)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search_box.textChanged.connect(self._search_timer.start)
        self.search_box.returnPressed.connect(self.refresh)
        self.first_button.clicked.connect(self.show_first_page)
        self.previous_button.clicked.connect(self.show_previous_page)
        self.next_button.clicked.connect(self.show_next_page)
        self.last_button.clicked.connect(self.show_last_page)
        self.refresh()

    def _button(self, name: str, text: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        return button

    @property
    def prefix(self) -> str:
        return self.search_box.text().strip()

    @property
    def page_count(self) -> int:
        return max(1, -(-self._total // self._page_size))

    @Slot()
    def refresh(self) -> None:
        """Re-read the columns and the count, and show the first page."""
        self._search_timer.stop()
        self._fields = list(self._store.columns(self._journey_id))
        self._total = self._store.count(self._journey_id, self.prefix)
        self.show_first_page()

    @Slot()
    def show_first_page(self) -> None:
        self._show(1, self._store.page(self._journey_id, prefix=self.prefix, limit=self._page_size))

    @Slot()
    def show_next_page(self) -> None:
        if self._page >= self.page_count or not self.model.rowCount():
            return
        last_id = self.model.row_at(self.model.rowCount() - 1).external_id
        rows = self._store.page(self._journey_id, prefix=self.prefix, after=last_id,
                                limit=self._page_size)
        self._show(self._page + 1, rows)

    @Slot()
    def show_previous_page(self) -> None:
        if self._page <= 1 or not self.model.rowCount():
            return
        first_id = self.model.row_at(0).external_id
        rows = self._store.page(self._journey_id, prefix=self.prefix, before=first_id,
                                limit=self._page_size)
        self._show(self._page - 1, rows)

    @Slot()
    def show_last_page(self) -> None:
        rows = self._store.page(self._journey_id, prefix=self.prefix, last=True,
                                limit=self._page_size)
        self._show(self.page_count, rows)

    def _show(self, page: int, rows: list[AudienceRow]) -> None:
        self._page = page
        self.model.set_page(self._fields, rows)
        if not self._total:
            self.page_label.setText(
                f"No customer ID starts with “{self.prefix}”." if self.prefix
                else "No customers yet: import an audience from a CSV file."
            )
        else:
            start = (page - 1) * self._page_size + 1
            what = ("customers" if not self.prefix
                    else f"customers whose ID starts with “{self.prefix}”")
            self.page_label.setText(
                f"{start:,}–{start + len(rows) - 1:,} of {self._total:,} {what} "
                f"(page {page:,} of {self.page_count:,})"
            )
        self.first_button.setEnabled(page > 1)
        self.previous_button.setEnabled(page > 1)
        self.next_button.setEnabled(page < self.page_count)
        self.last_button.setEnabled(page < self.page_count)
        self.page_shown.emit(page, self.page_count)


class AudienceDialog(QDialog):
    """The audience of one journey in its own window (not modal)."""

    def __init__(self, repo: JourneyRepository, journey_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audience_dialog")
        name = repo.get(journey_id).journey.name
        self.setWindowTitle(f"Audience of “{name}”")
        self.view = AudienceView(repo, journey_id, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(760, 520)
