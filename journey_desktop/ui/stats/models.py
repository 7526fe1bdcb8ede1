"""The per-node tables of a journey's statistics: reach and share, sortable; the waits
for an event, matched, timed out and late."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from journey_desktop.store.stats import WaitEventCounts
from journey_desktop.ui.editor.summary import TYPE_LABELS
from journey_desktop.ui.icons import icon

COL_NODE, COL_TYPE, COL_REACHED, COL_SHARE, COL_WAITING = range(5)
NODE_HEADERS = {COL_NODE: "Node", COL_TYPE: "Type", COL_REACHED: "Reached",
                COL_SHARE: "% of customers who entered", COL_WAITING: "Waiting now"}
NUMBER_COLUMNS = (COL_REACHED, COL_SHARE, COL_WAITING)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class NodeStatsTableModel(QAbstractTableModel):
    """One row per node of the journey, in flow order: how many customers reached it, how
    many are standing at it now and (the tooltip, at a wait) when they go on."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # node id, type, reached, waiting, what is coming (words)
        self._rows: list[tuple[str, str, int, int, str]] = []
        self._entered = 0

    def set_counts(self, nodes: list[tuple[str, str]], counts: dict[str, int],
                   entered: int, waiting: dict[str, int] | None = None,
                   coming: dict[str, str] | None = None) -> None:
        """``nodes`` in the order shown; ``entered``: the customers who entered at least
        once (the share's base); ``waiting``: runs in progress standing at each node;
        ``coming``: at the waits, what is coming in words."""
        waiting = waiting or {}
        coming = coming or {}
        self.beginResetModel()
        self._rows = [(node_id, node_type, int(counts.get(node_id, 0)),
                       int(waiting.get(node_id, 0)), coming.get(node_id, ""))
                      for node_id, node_type in nodes]
        known = {node_id for node_id, _ in nodes}
        self._rows += [(node_id, "", int(count), int(waiting.get(node_id, 0)), "")
                       for node_id, count in counts.items() if node_id not in known]
        self._entered = entered
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(NODE_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return NODE_HEADERS.get(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        node_id, node_type, reached, waiting, coming = self._rows[index.row()]
        column = index.column()
        share = reached / self._entered if self._entered else None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_NODE:
                return node_id
            if column == COL_TYPE:
                return TYPE_LABELS.get(node_type, node_type)
            if column == COL_REACHED:
                return f"{reached:,}"
            if column == COL_SHARE:
                return "" if share is None else f"{share:.0%}"
            if column == COL_WAITING:
                return f"{waiting:,}"
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_WAITING and coming:
            return coming
        if role == SORT_ROLE:
            return (node_id, TYPE_LABELS.get(node_type, node_type), reached,
                    share if share is not None else -1.0, waiting)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_NODE and node_type:
            return icon(f"node-{node_type}")
        return None


class NodeStatsProxy(QSortFilterProxyModel):
    """Sorts the node rows on their native values (numbers as numbers)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)




WAIT_HEADERS = ("Wait for an event", "Matched", "Timed out", "Late")


class WaitEventStatsTableModel(QAbstractTableModel):
    """One row per ``wait_event`` node, in flow order: how many waits the event ended
    (matched), how many the timeout ended, and events that came after it (late, SPEC §11)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, int, int, int]] = []

    def set_counts(self, counts: dict[str, WaitEventCounts]) -> None:
        self.beginResetModel()
        self._rows = [(node, c.matched, c.timed_out, c.late) for node, c in counts.items()]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(WAIT_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(WAIT_HEADERS)):
            return WAIT_HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return value if isinstance(value, str) else f"{value:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            return icon("node-wait_event")
        return None
