"""The journey table widget: one row selected at a time, a badge for the status, and
CSV files dropped on a row offered to that journey's import."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from journey_desktop.ui.journey_table import (
    COL_AUDIENCE,
    COL_ENTERED,
    COL_IN_PROGRESS,
    COL_MESSAGES,
    COL_NAME,
    COL_STATUS,
    COL_UPDATED,
    COL_VALIDITY,
    JOURNEY_ID_ROLE,
    STATUS_COLORS,
    STATUS_ROLE,
)


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the status as a coloured rounded badge."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        status = index.data(STATUS_ROLE)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        background, foreground = STATUS_COLORS.get(status, ("#eeeeee", "#333333"))
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(text) + 16
        height = metrics.height() + 4
        rect = QRectF(opt.rect.left() + 6, opt.rect.center().y() - height / 2 + 0.5,
                      min(width, opt.rect.width() - 12), height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        font = opt.font
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(foreground))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 24, max(size.height(), option.fontMetrics.height() + 8))


class JourneyTableView(QTableView):
    """The table widget: one row selected at a time, CSV files dropped on a row."""

    csv_dropped = Signal(int, str)  # journey id, file path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("journey_table")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(30)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionsMovable(False)
        self.setItemDelegateForColumn(COL_STATUS, StatusBadgeDelegate(self))

    def apply_default_widths(self) -> None:
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        widths = {COL_STATUS: 120, COL_AUDIENCE: 90, COL_ENTERED: 80, COL_IN_PROGRESS: 95,
                  COL_MESSAGES: 90, COL_VALIDITY: 150, COL_UPDATED: 135}
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)

    # --- drops of CSV files --------------------------------------------------------------

    @staticmethod
    def csv_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls()
                if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() == ".csv"]

    def _journey_at(self, event: QDropEvent | QDragMoveEvent) -> int | None:
        index = self.indexAt(event.position().toPoint())
        if not index.isValid():
            return None
        journey_id = index.siblingAtColumn(COL_NAME).data(JOURNEY_ID_ROLE)
        return int(journey_id) if journey_id is not None else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if self.csv_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # Qt override
        if self.csv_paths(event) and self._journey_at(event) is not None:
            index = self.indexAt(event.position().toPoint())
            self.selectRow(index.row())
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = self.csv_paths(event)
        journey_id = self._journey_at(event)
        if not paths or journey_id is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.csv_dropped.emit(journey_id, paths[0])
