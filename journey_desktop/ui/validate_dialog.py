"""The Validate dialog: every problem of a journey, errors before warnings, or "ready"."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.validation import Problem, ValidationResult
from journey_desktop.ui.common.colours import ERROR_COLOR, WARNING_COLOR

COL_SEVERITY = 0
COL_NODE = 1
COL_MESSAGE = 2
COLUMN_TITLES = ("", "Step", "Problem")
NODE_ROLE = Qt.ItemDataRole.UserRole + 1
FIELD_ROLE = Qt.ItemDataRole.UserRole + 2

READY_COLOR = "#1b7a3a"


class ProblemTableModel(QAbstractTableModel):
    """Problems of one validation, errors first (the order the validator found them in)."""

    def __init__(self, result: ValidationResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = result.errors + result.warnings

    def set_result(self, result: ValidationResult) -> None:
        self.beginResetModel()
        self._problems = result.errors + result.warnings
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._problems)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMN_TITLES)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMN_TITLES)):
            return COLUMN_TITLES[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._problems):
            return None
        problem = self._problems[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_SEVERITY:
                return "Error" if problem.is_error else "Warning"
            if column == COL_NODE:
                return problem.node or "(journey)"
            if column == COL_MESSAGE:
                return problem.words
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_SEVERITY:
            return QBrush(QColor(ERROR_COLOR if problem.is_error else WARNING_COLOR))
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(problem)
        if role == NODE_ROLE:
            return problem.node or ""
        if role == FIELD_ROLE:
            return problem.field
        return None

    def problem_at(self, row: int) -> Problem:
        return self._problems[row]


class ValidateDialog(QDialog):
    """Lists a validation's problems; clicking one asks to open the editor at its input.
    ``set_result`` keeps it up to date while the editor's journey changes."""

    problem_activated = Signal(str, str)  # node id ("" for journey-level fields), field

    def __init__(self, journey_name: str, result: ValidationResult,
                 parent: QWidget | None = None, *, can_open_editor: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("validate_dialog")
        self.setWindowTitle(f"Validate “{journey_name}”")
        layout = QVBoxLayout(self)

        self.summary_label = QLabel(self._summary_text(result))
        self.summary_label.setObjectName("validate_summary_label")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary_label)

        self.model = ProblemTableModel(result, self)
        self.table = QTableView(self)
        self.table.setObjectName("problem_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_SEVERITY, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NODE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._on_table_clicked)
        self.table.activated.connect(self._on_table_clicked)
        self.table.setVisible(bool(result.problems))
        layout.addWidget(self.table, 1)

        self.hint = QLabel("Click a problem to open the journey at that step.")
        self.hint.setObjectName("validate_hint_label")
        self.hint.setStyleSheet("color: palette(mid);")
        self.hint.setVisible(bool(result.problems) and can_open_editor)
        self._can_open_editor = can_open_editor
        layout.addWidget(self.hint)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(720, 420 if result.problems else 160)

    def set_result(self, result: ValidationResult) -> None:
        """Show a new validation of the same journey (the editor's, after an edit)."""
        self.model.set_result(result)
        self.summary_label.setText(self._summary_text(result))
        self.table.setVisible(bool(result.problems))
        self.hint.setVisible(bool(result.problems) and self._can_open_editor)

    @staticmethod
    def _summary_text(result: ValidationResult) -> str:
        errors, warnings = len(result.errors), len(result.warnings)
        if not result.problems:
            return (f"<b style='color:{READY_COLOR}'>✓ Ready to activate.</b> "
                    "No problems were found.")
        if not errors:
            return (f"<b style='color:{READY_COLOR}'>✓ Ready to activate</b>, with "
                    f"{_count(warnings, 'warning')} to review (warnings do not block "
                    "activation).")
        text = (f"<b style='color:{ERROR_COLOR}'>✗ Not ready to activate:</b> "
                f"{_count(errors, 'error')} to fix")
        if warnings:
            text += f" and {_count(warnings, 'warning')} to review"
        return text + "."

    @Slot(QModelIndex)
    def _on_table_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.problem_activated.emit(str(index.data(NODE_ROLE) or ""),
                                        str(index.data(FIELD_ROLE) or ""))


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"
