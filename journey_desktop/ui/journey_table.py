"""The journey list: a table model over repository summaries and its filter proxy.

Sorting happens in the source model (one Python ``list.sort`` on native values) rather than
in the proxy, whose C++ comparisons would call back into Python twice per comparison; the
proxy only filters, on a casefolded name precomputed per row, so a keystroke at 10,000
journeys costs one cheap call per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QWidget,
)

from journey_desktop.domain.journey import Journey, JourneyFileError
from journey_desktop.domain.lifecycle import ACTIVE, DEACTIVATED, DRAFT, Action, refusal
from journey_desktop.domain.validation import validate
from journey_desktop.store.repository import JourneySummary
from journey_desktop.ui.common.colours import ERROR_COLOR, WARNING_COLOR

COL_NAME = 0
COL_STATUS = 1
COL_AUDIENCE = 2
COL_ENTERED = 3
COL_IN_PROGRESS = 4
COL_MESSAGES = 5
COL_VALIDITY = 6
COL_UPDATED = 7
COLUMN_TITLES = (
    "Name",
    "Status",
    "Audience",
    "Entered",
    "In progress",
    "Messages",
    "Validity",
    "Last updated",
)
COUNT_COLUMNS = (COL_AUDIENCE, COL_ENTERED, COL_IN_PROGRESS, COL_MESSAGES)

JOURNEY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
FILTER_ROLE = Qt.ItemDataRole.UserRole + 4

STATUS_LABELS = {DRAFT: "Draft", ACTIVE: "Active", DEACTIVATED: "Deactivated"}
STATUS_ORDER = {DRAFT: 0, ACTIVE: 1, DEACTIVATED: 2}
# Badge colours (background, text) per status.
STATUS_COLORS = {
    DRAFT: ("#e8edf3", "#3d5266"),
    ACTIVE: ("#dff3e4", "#1b6b34"),
    DEACTIVATED: ("#f1f1f1", "#6d6d6d"),
}
VALID_COLOR = "#1b7a3a"
INVALID_COLOR = ERROR_COLOR
DATE_FORMAT = "yyyy-MM-dd HH:mm"


@dataclass(frozen=True)
class Validity:
    """A draft's validation outcome, as counts and the first findings for the tooltip."""

    errors: int
    warnings: int
    summary: tuple[str, ...] = ()
    pending: bool = False

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def label(self) -> str:
        if self.pending:
            return "…"
        if self.errors:
            return f"✗ {_plural(self.errors, 'error')}"
        if self.warnings:
            return f"✓ Ready, {_plural(self.warnings, 'warning')}"
        return "✓ Ready"


PENDING = Validity(0, 0, pending=True)


def draft_validity(summary: JourneySummary) -> Validity:
    """Validate a draft's stored definition (the name is unique by construction)."""
    try:
        journey = Journey.from_json(summary.definition)
    except JourneyFileError as exc:
        return Validity(1, 0, (f"definition: {exc}",))
    journey.name = summary.name
    result = validate(journey, audience_columns=summary.columns())
    findings = tuple(str(p) for p in (result.errors + result.warnings)[:5])
    return Validity(len(result.errors), len(result.warnings), findings)


def _validated_from(summary: JourneySummary) -> tuple[int, str, str]:
    """What a draft's mark depends on: a new import's fields change it without a save."""
    return (summary.updated_at, summary.name, summary.known_fields)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _shown(count: int | None) -> str:
    """A count as the table shows it; blank while it is being counted."""
    return "" if count is None else f"{count:,}"


def _sortable(count: int | None) -> int:
    return -1 if count is None else count


class _Row:
    """One journey as the model holds it: the summary plus what display and filter need."""

    __slots__ = ("summary", "name_key", "validity", "failure")

    def __init__(self, summary: JourneySummary, validity: Validity | None,
                 failure: str | None = None) -> None:
        self.summary = summary
        self.name_key = summary.name.casefold()
        self.validity = validity
        self.failure = failure  # why the last tick skipped this journey

    def sort_value(self, column: int) -> Any:
        s = self.summary
        if column == COL_NAME:
            return self.name_key
        if column == COL_STATUS:
            return STATUS_ORDER.get(s.status, 9)
        if column == COL_AUDIENCE:
            return _sortable(s.audience)
        if column == COL_ENTERED:
            return _sortable(s.entered)
        if column == COL_IN_PROGRESS:
            return _sortable(s.in_progress)
        if column == COL_MESSAGES:
            return _sortable(s.messages)
        if column == COL_VALIDITY:
            # Drafts with most errors first, then ready drafts, then other statuses.
            v = self.validity
            return -1 if v is None else v.errors * 10_000 + v.warnings
        if column == COL_UPDATED:
            return s.updated_at
        return None


class JourneyTableModel(QAbstractTableModel):
    """Journeys with their counts; rows replaced as a whole by ``set_summaries``.

    Drafts are validated for the validity mark. Results are kept per (id, last update), so
    a refresh re-validates only what changed; when many drafts are new (the first load of
    a large database), they are validated in short slices on the event loop after the
    window shows, top rows first, rather than delaying it.
    """

    INLINE_VALIDATIONS = 100  # at most this many new drafts are validated at once
    SLICE_VALIDATIONS = 40  # drafts per event-loop slice beyond that

    validity_completed = Signal()  # every draft's validity mark is known

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        # Per journey: what its mark was computed from (update, name, columns) and the mark.
        self._validity_cache: dict[int, tuple[tuple[int, str, str], Validity]] = {}
        self._failures: dict[int, str] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._cursor = 0
        self._validation_timer = QTimer(self)
        self._validation_timer.setInterval(0)
        self._validation_timer.timeout.connect(self._on_validation_timer_timeout)

    # --- Qt overrides --------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMN_TITLES)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMN_TITLES):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMN_TITLES[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in COUNT_COLUMNS:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDropEnabled)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row_number, column = index.row(), index.column()
        if not (0 <= row_number < len(self._rows)) or not (0 <= column < len(COLUMN_TITLES)):
            return None
        row = self._rows[row_number]
        s = row.summary
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            return row.sort_value(column)
        if role == JOURNEY_ID_ROLE:
            return s.id
        if role == STATUS_ROLE:
            return s.status
        if role == FILTER_ROLE:
            return row.name_key
        if role == Qt.ItemDataRole.TextAlignmentRole and column in COUNT_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_VALIDITY and row.failure:
            return QBrush(QColor(INVALID_COLOR))
        if (role == Qt.ItemDataRole.ForegroundRole and column == COL_VALIDITY and row.validity
                and not row.validity.pending):
            v = row.validity
            color = INVALID_COLOR if v.errors else WARNING_COLOR if v.warnings else VALID_COLOR
            return QBrush(QColor(color))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        if not (0 <= column < len(COLUMN_TITLES)) or not self._rows:
            return
        self.layoutAboutToBeChanged.emit()
        self._cursor = 0
        persistent = self.persistentIndexList()
        old_ids = [self._rows[i.row()].summary.id for i in persistent]
        self._apply_sort()
        new_rows = {row.summary.id: n for n, row in enumerate(self._rows)}
        self.changePersistentIndexList(
            persistent,
            [self.index(new_rows[jid], i.column())
             for jid, i in zip(old_ids, persistent, strict=True)],
        )
        self.layoutChanged.emit()

    # --- for the window ------------------------------------------------------------------

    def set_summaries(self, summaries: Iterable[JourneySummary]) -> None:
        """Replace every row; drafts are validated, reusing results for unchanged ones."""
        rows = [_Row(s, self._cached_validity(s), self._failures.get(s.id)) for s in summaries]
        pending = [row for row in rows if row.validity is PENDING]
        if len(pending) <= self.INLINE_VALIDATIONS:
            for row in pending:
                row.validity = self._validate(row.summary)
        live = {row.summary.id for row in rows}
        for stale in set(self._validity_cache) - live:
            del self._validity_cache[stale]
        self.beginResetModel()
        self._rows = rows
        self._apply_sort()
        self.endResetModel()
        self._cursor = 0
        if len(pending) > self.INLINE_VALIDATIONS:
            self._validation_timer.start()
        else:
            self._validation_timer.stop()
            self.validity_completed.emit()

    def set_tick_failures(self, failures: dict[int, str]) -> None:
        """Mark the journeys the last tick skipped (id -> error); the others lose their mark."""
        self._failures = dict(failures)
        for row in self._rows:
            row.failure = self._failures.get(row.summary.id)
        if self._rows:
            last = len(self._rows) - 1
            self.dataChanged.emit(self.index(0, COL_NAME), self.index(last, COL_VALIDITY))

    @property
    def validating(self) -> bool:
        """True while validity marks are still being computed."""
        return self._validation_timer.isActive()

    def summaries(self) -> list[JourneySummary]:
        return [row.summary for row in self._rows]

    def summary_at(self, row: int) -> JourneySummary:
        return self._rows[row].summary

    def row_of(self, journey_id: int) -> int:
        """The row of a journey, or -1."""
        for number, row in enumerate(self._rows):
            if row.summary.id == journey_id:
                return number
        return -1

    def matching_rows(self, needle: str, status: str) -> list[bool]:
        """Per row, whether the casefolded name contains ``needle`` and the status matches."""
        if status:
            return [needle in r.name_key and r.summary.status == status for r in self._rows]
        return [needle in r.name_key for r in self._rows]

    # --- helpers -------------------------------------------------------------------------

    def _cached_validity(self, summary: JourneySummary) -> Validity | None:
        """None where Validate does not apply (not a draft), the known result, or PENDING."""
        if refusal(summary.status, Action.VALIDATE) is not None:
            return None
        cached = self._validity_cache.get(summary.id)
        if cached is not None and cached[0] == _validated_from(summary):
            return cached[1]
        return PENDING

    def _validate(self, summary: JourneySummary) -> Validity:
        validity = draft_validity(summary)
        self._validity_cache[summary.id] = (_validated_from(summary), validity)
        return validity

    @Slot()
    def _on_validation_timer_timeout(self) -> None:
        """Validate the next slice of pending drafts, in row order."""
        rows, done = self._rows, 0
        first = last = -1
        position = self._cursor
        while position < len(rows) and done < self.SLICE_VALIDATIONS:
            row = rows[position]
            if row.validity is PENDING:
                row.validity = self._validate(row.summary)
                done += 1
                first = position if first < 0 else first
                last = position
            position += 1
        self._cursor = position
        if first >= 0:
            self.dataChanged.emit(self.index(first, COL_VALIDITY), self.index(last, COL_VALIDITY))
        if position >= len(rows):
            self._validation_timer.stop()
            if self._sort_column == COL_VALIDITY:
                self.sort(self._sort_column, self._sort_order)
            self.validity_completed.emit()

    def _apply_sort(self) -> None:
        column = self._sort_column
        if 0 <= column < len(COLUMN_TITLES):
            # Ties keep name order whichever way the column is sorted (the sort is stable).
            self._rows.sort(key=lambda r: (r.name_key, r.summary.id))
            if column == COL_UPDATED:  # the default order: spare a method call per row
                self._rows.sort(key=lambda r: r.summary.updated_at,
                                reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
            elif column != COL_NAME:
                self._rows.sort(key=lambda r: r.sort_value(column),
                                reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
            elif self._sort_order == Qt.SortOrder.DescendingOrder:
                self._rows.reverse()

    @staticmethod
    def _display(row: _Row, column: int) -> str:
        s = row.summary
        if column == COL_NAME:
            return s.name
        if column == COL_STATUS:
            return STATUS_LABELS.get(s.status, s.status)
        if column == COL_AUDIENCE:
            return _shown(s.audience)
        if column == COL_ENTERED:
            return _shown(s.entered)
        if column == COL_IN_PROGRESS:
            return _shown(s.in_progress)
        if column == COL_MESSAGES:
            return _shown(s.messages)
        if column == COL_VALIDITY:
            if row.failure:
                return "⚠ Last tick failed"
            return row.validity.label() if row.validity else ""
        if column == COL_UPDATED:
            return QDateTime.fromSecsSinceEpoch(s.updated_at).toString(DATE_FORMAT)
        return ""

    @staticmethod
    def _tooltip(row: _Row, column: int) -> str | None:
        s = row.summary
        if column in (COL_NAME, COL_VALIDITY) and row.failure:
            return f"The last tick skipped this journey: {row.failure}"
        if column == COL_VALIDITY and row.validity is not None:
            v = row.validity
            if v.pending:
                return "Checking…"
            if not v.summary:
                return "Ready to activate"
            more = v.errors + v.warnings - len(v.summary)
            lines = list(v.summary) + ([f"… and {more} more"] if more > 0 else [])
            return "\n".join(lines)
        if column == COL_STATUS:
            return {
                DRAFT: "Draft: editable; validate, then activate it",
                ACTIVE: "Active: the evaluator runs it; clone it to make changes",
                DEACTIVATED: "Deactivated: ended for good; still viewable and clonable",
            }.get(s.status)
        if column == COL_NAME:
            return s.name
        return None


class JourneyFilterProxy(QSortFilterProxyModel):
    """Filters by a name search (case-insensitive substring) and by status.

    Which source rows pass is computed once per change in one list comprehension, so that
    ``filterAcceptsRow`` (called from C++ for every row) is a list lookup.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._status = ""
        self._source: JourneyTableModel | None = None
        self._accepted: list[bool] | None = None
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setDynamicSortFilter(False)

    def setSourceModel(self, model: Any) -> None:  # Qt override
        previous = self.sourceModel()
        if previous is not None:
            for signal in self._invalidating_signals(previous):
                signal.disconnect(self._forget_accepted)
        self._source = model if isinstance(model, JourneyTableModel) else None
        self._accepted = None
        if model is not None:
            for signal in self._invalidating_signals(model):
                signal.connect(self._forget_accepted)
        super().setSourceModel(model)

    @property
    def search_text(self) -> str:
        return self._needle

    @property
    def status_filter(self) -> str:
        return self._status

    def set_search_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        self.beginFilterChange()
        self._needle = needle
        self._accepted = None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_status_filter(self, status: str) -> None:
        """Show only journeys with this status ("" for all)."""
        if status == self._status:
            return
        self.beginFilterChange()
        self._status = status
        self._accepted = None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        accepted = self._accepted
        if accepted is None:
            if self._source is None:
                return super().filterAcceptsRow(source_row, source_parent)
            accepted = self._accepted = self._source.matching_rows(self._needle, self._status)
        return accepted[source_row] if source_row < len(accepted) else False

    @staticmethod
    def _invalidating_signals(model: Any) -> list[Any]:
        return [model.modelAboutToBeReset, model.layoutAboutToBeChanged,
                model.rowsAboutToBeInserted, model.rowsAboutToBeRemoved,
                model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged]

    @Slot()
    def _forget_accepted(self) -> None:
        self._accepted = None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in the source model (fast, on native values); the proxy keeps its order."""
        if self._source is not None:
            self._source.sort(column, order)
        else:
            super().sort(column, order)

    def journey_id(self, proxy_row: int) -> int:
        return int(self.index(proxy_row, COL_NAME).data(JOURNEY_ID_ROLE))

    def proxy_row_of(self, journey_id: int) -> int:
        if self._source is None:
            return -1
        source_row = self._source.row_of(journey_id)
        if source_row < 0:
            return -1
        return self.mapFromSource(self._source.index(source_row, COL_NAME)).row()


def rows_for(model: QSortFilterProxyModel, column: int = COL_NAME) -> Sequence[str]:
    """The texts of a column in view order (what the user sees; used by tests and tools)."""
    return [str(model.index(r, column).data()) for r in range(model.rowCount())]
