"""The problems list under the properties panel: validation findings, errors first."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from journey_desktop.domain.validation import Problem, ValidationResult
from journey_desktop.ui.common.colours import ERROR_COLOR

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
FIELD_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class ProblemListModel(QAbstractListModel):
    """One row per problem; ``NODE_ROLE`` holds the node id (None for journey fields)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []

    def set_result(self, result: ValidationResult) -> None:
        problems = result.errors + result.warnings
        if problems == self._problems:
            return
        self.beginResetModel()
        self._problems = problems
        self.endResetModel()

    def problem_at(self, row: int) -> Problem:
        return self._problems[row]

    def problems(self) -> list[Problem]:
        return list(self._problems)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._problems)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._problems):
            return None
        problem = self._problems[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "✖" if problem.is_error else "⚠"
            where = f"{problem.node} · " if problem.node else ""
            return f"{mark}  {where}{problem.words}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(ERROR_COLOR) if problem.is_error else QColor("#8a4b00")
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = "Error" if problem.is_error else "Warning (does not block activation)"
            return f"{kind}: {problem}"
        if role == NODE_ROLE:
            return problem.node
        if role == FIELD_ROLE:
            return problem.field
        return None
