"""The import dialogs' table models: the file's first rows, its rejects and misfits; and
how their tables fit their columns."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QApplication, QTableView

from journey_desktop.domain.audience_preview import CsvPreview
from journey_desktop.domain.csv_records import Reject
from journey_desktop.domain.fields_json import Misfit


def fit_columns(view: QTableView) -> None:
    """Each column as wide as its contents, the last one stretched to the table's edge.

    Sized while the table is shown (a file read again, its rows changed), the last column
    keeps its contents' width and leaves a blank strip: the stretch is set again."""
    view.resizeColumnsToContents()
    header = view.horizontalHeader()
    if header.stretchLastSection():
        header.setStretchLastSection(False)
        header.setStretchLastSection(True)


def _not_imported_brush() -> QBrush:
    """Grey: the colour of disabled text, for the columns an import leaves out."""
    return QApplication.palette().brush(QPalette.ColorGroup.Disabled,
                                        QPalette.ColorRole.Text)


class PreviewTableModel(QAbstractTableModel):
    """The first rows of the file as read with the current encoding and delimiter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._header: list[str] = []
        self._rows: list[list[str]] = []
        self._id_column: str | None = None
        self._skipped: frozenset[int] = frozenset()  # a rejects file's line and reason
        self._lines: list[int] = []  # the line of the file each row starts on

    def set_preview(self, preview: CsvPreview, id_column: str | None) -> None:
        self.beginResetModel()
        self._header = list(preview.header)
        self._rows = [list(r) for r in preview.rows]
        self._lines = list(preview.row_lines)
        self._id_column = id_column
        self._skipped = frozenset(index for index, name in enumerate(self._header)
                                  if name in preview.rejects_columns)
        self.endResetModel()

    def set_id_column(self, id_column: str | None) -> None:
        self._id_column = id_column
        if self._header:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._header) - 1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._header)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._header):
            name = self._header[section]
            if section in self._skipped:
                if role == Qt.ItemDataRole.DisplayRole:
                    return f"{name} (not imported)"
                if role == Qt.ItemDataRole.ForegroundRole:
                    return _not_imported_brush()
                if role == Qt.ItemDataRole.ToolTipRole:
                    return "A rejects file's own column: not imported"
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{name} (ID)" if name == self._id_column else name
            if role == Qt.ItemDataRole.FontRole and name == self._id_column:
                font = QFont()
                font.setBold(True)
                return font
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            # Rows go by their line in the file, as the result and the rejects file name them.
            line = self._lines[section] if section < len(self._lines) else section + 2
            if role == Qt.ItemDataRole.DisplayRole:
                return str(line)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Line {line} of the file"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in self._skipped:
            return _not_imported_brush()
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self._rows[index.row()]
        if index.column() >= len(row):
            return None
        text = row[index.column()]
        return text.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ").replace("\r", " ⏎ ")


class TuplesTableModel(QAbstractTableModel):
    """A read-only table of tuples under fixed titles (rejects, misfits, event names …);
    columns listed in ``RIGHT`` are right-aligned."""

    TITLES: tuple[str, ...] = ()
    RIGHT: frozenset[int] = frozenset()

    def __init__(self, rows: list[tuple[Any, ...]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows = rows

    def set_rows(self, rows: list[tuple[Any, ...]]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.TITLES)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.TITLES)):
            return self.TITLES[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RejectTableModel(TuplesTableModel):
    TITLES = ("Line", "Reason", "Row")

    def __init__(self, rejects: list[Reject], parent: QObject | None = None) -> None:
        super().__init__(self._rows_of(rejects), parent)

    def set_rejects(self, rejects: list[Reject]) -> None:
        self.set_rows(self._rows_of(rejects))

    @staticmethod
    def _rows_of(rejects: list[Reject]) -> list[tuple[Any, ...]]:
        return [(r.line, r.reason, r.row) for r in rejects]


class MisfitTableModel(TuplesTableModel):
    """Values stored as not set because they do not fit their column's type."""

    TITLES = ("Line", "Column", "Value", "Why")

    def __init__(self, misfits: list[Misfit], parent: QObject | None = None) -> None:
        super().__init__([(m.line, m.column, m.value, m.reason) for m in misfits], parent)
