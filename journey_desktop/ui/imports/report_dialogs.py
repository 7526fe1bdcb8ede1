"""A delivery report's preview (its first lines as the import reads them) and result
(read, applied, duplicates, unknown, rejected, early timestamps, the lines left out)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Slot,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain import engine
from journey_desktop.domain.delivery import STATUSES, PreviewLine, ReportPreview
from journey_desktop.domain.events_file import FORMAT_LABELS
from journey_desktop.store.delivery import ReportResult
from journey_desktop.ui.common.colours import ERROR_COLOR
from journey_desktop.ui.common.formatting import sentence
from journey_desktop.ui.imports.models import RejectTableModel
from journey_desktop.ui.imports.result_dialog import save_rejects_as
from journey_desktop.ui.imports.target import _size_text

RESULT_LINES = (  # key, label: SPEC §15's counts, in its order
    ("read", "Lines read"),
    ("applied", "Statuses applied"),
    ("duplicates", "Duplicates (already there, or implied by a later status)"),
    ("unknown", "Unknown messages (no such message in this database)"),
    ("rejected", "Rejected lines"),
)


class ReportLinesTableModel(QAbstractTableModel):
    """The first lines of a report, with why a line will be left out."""

    TITLES = ("Line", "Message id", "Status", "Timestamp", "Detail", "Note")

    def __init__(self, lines: list[PreviewLine], tz: dt.tzinfo | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines = lines
        self._tz = tz

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._lines)

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
        line = self._lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            shown = "" if line.time is None else engine.local_time_text(line.time, self._tz)
            return (line.line, line.message_id, line.status, shown, line.detail,
                    line.note)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and line.note:
            return QColor(ERROR_COLOR)
        return None


def _table(name: str, model: QAbstractTableModel, dialog: QDialog) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(dialog.fontMetrics().height() + 8)
    view.horizontalHeader().setStretchLastSection(True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.resizeColumnsToContents()
    return view


class ReportPreviewDialog(QDialog):
    """The report's first lines before anything is applied; Apply or Cancel."""

    def __init__(self, preview: ReportPreview, title: str, tz: dt.tzinfo | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_preview_dialog")
        self.setWindowTitle(title)
        name = Path(preview.path).name
        form = FORMAT_LABELS.get(preview.format, preview.format)
        self.file_label = QLabel(f"{name} · {_size_text(preview.size)} · {form}, "
                                 f"{preview.encoding}")
        self.file_label.setObjectName("file_label")
        self.file_label.setWordWrap(True)
        explain = QLabel(
            "Each line gives a message's status (" + ", ".join(STATUSES) + "). A status is "
            "applied once and only forward (a click is also an open); the whole report is "
            "applied in one go, or not at all if you cancel.")
        explain.setWordWrap(True)
        more = " (the file has more)" if preview.more else ""
        caption = QLabel(f"The first {len(preview.lines):,} lines as they will be read{more}:")
        caption.setObjectName("rows_label")
        self.lines_view = _table("preview_table", ReportLinesTableModel(preview.lines, tz, self),
                                 self)
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import_button")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addWidget(explain)
        layout.addWidget(caption)
        layout.addWidget(self.lines_view, 1)
        layout.addWidget(self.buttons)
        self.resize(820, 460)


class ReportResultDialog(QDialog):
    """What a report changed, the early timestamps it flagged, and the lines it left out
    (rejected or unknown), which can be saved as CSV."""

    def __init__(self, result: ReportResult, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_result_dialog")
        self.setWindowTitle("Delivery report")
        self._result = result
        self._path = Path(path)
        if result.committed:
            headline = f"{self._path.name} was applied to the outbox."
        else:
            headline = f"Nothing was applied: {result.nothing_applied_text()}."
        self.headline_label = QLabel(headline)
        self.headline_label.setObjectName("headline_label")
        self.headline_label.setWordWrap(True)
        self.headline_label.setStyleSheet("QLabel { font-weight: 600; }")

        grid = QFormLayout()
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        lines = list(RESULT_LINES)
        if result.early:
            lines.append(("early", "Timestamped before the message was written (kept, flagged)"))
        for key, title in lines:
            label = QLabel(f"{getattr(result, key):,}")
            label.setObjectName(f"count_{key}")
            label.setStyleSheet("QLabel { font-weight: 600; }")
            grid.addRow(title + ":", label)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline_label)
        layout.addLayout(grid)
        self.early_label = QLabel()
        self.early_label.setObjectName("early_label")
        self.early_label.setWordWrap(True)
        if result.early:
            first = ", ".join(map(str, result.early_lines))
            self.early_label.setText(
                f"{sentence(result.early_text()).removesuffix('.')}; "
                f"{'it was' if result.early == 1 else 'they were'} kept and flagged "
                f"({'line' if result.early == 1 else 'lines'} {first}"
                f"{', …' if result.early > len(result.early_lines) else ''}).")
        self.early_label.setVisible(bool(result.early))
        layout.addWidget(self.early_label)

        left_out = result.rejected + result.unknown
        self.rejects_view: QTableView | None = None
        if left_out:
            shown = len(result.listed)
            note = "" if shown == left_out else f" (the first {shown:,} of {left_out:,})"
            layout.addWidget(QLabel(f"The lines left out, by line in the file{note}:"))
            self.rejects_view = _table("rejects_table", RejectTableModel(result.listed, self),
                                       self)
            layout.addWidget(self.rejects_view, 1)

        self.saved_label = QLabel()
        self.saved_label.setObjectName("saved_label")
        self.saved_label.setWordWrap(True)
        self.saved_label.setVisible(False)
        layout.addWidget(self.saved_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_rejects_button = self.buttons.addButton(
            "Save rejected rows…", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_rejects_button.setObjectName("save_rejects_button")
        self.save_rejects_button.setEnabled(left_out > 0)
        self.save_rejects_button.clicked.connect(self._on_save_rejects_clicked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, 460 if left_out else 280)
        self.finished.connect(self._on_finished)

    @Slot()
    def _on_save_rejects_clicked(self) -> None:
        path = save_rejects_as(self, self._path, self._result.save_rejects)
        if path:
            count = self._result.rejected + self._result.unknown
            self.saved_label.setText(f"{count:,} lines left out saved to {path}")
            self.saved_label.setVisible(True)

    @Slot()
    def _on_finished(self) -> None:
        self._result.rejects.close()
        self._result.unknowns.close()
