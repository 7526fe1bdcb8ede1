"""The preview before an events import (SPEC §11): the format as detected, the columns and
what each is read as, the event names with their counts, the time range, the first events
and rejects. Nothing is written until Import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    Qt,
    Slot,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain import engine
from journey_desktop.domain.audience_csv import CsvFileError
from journey_desktop.domain.events_file import (
    CSV,
    JSON_LINES,
    EventPlan,
    EventSample,
    EventsPreview,
    preview_events,
)
from journey_desktop.domain.values import COLUMN_TYPE_LABELS
from journey_desktop.ui.common.colours import ERROR_COLOR
from journey_desktop.ui.common.formatting import count_text
from journey_desktop.ui.guide import SECTION_EVENTS, add_help
from journey_desktop.ui.imports.models import (
    RejectTableModel,
    TuplesTableModel,
    fit_columns,
)
from journey_desktop.ui.imports.preview_dialog import chosen_id_column, fill_id_column_combo
from journey_desktop.ui.imports.target import EventsTarget, _size_text


class EventNamesTableModel(TuplesTableModel):
    """Each event name of the file with how many events it has, the most frequent first."""

    TITLES = ("Event", "Events")
    RIGHT = frozenset({1})


class EventSamplesTableModel(TuplesTableModel):
    """The first events as they will be stored."""

    TITLES = ("Line", "Customer", "Event", "Time", "Properties")
    RIGHT = frozenset({0})


def column_roles(preview: EventsPreview) -> list[str]:
    """Each column with what the import reads it as: "userId (customer ID)", "total
    (number)". While a CSV file's customer ID column is still to be chosen, the columns
    that may be it are named alone: any of them may be the ID rather than a property."""
    if preview.format == JSON_LINES:  # the keys of a Segment track call
        roles: dict[str | None, str] = {"userId": "customer ID", "event": "event name",
                                        "timestamp": "time", "messageId": "message ID"}
    else:
        roles = {preview.id_column: "customer ID", preview.event_column: "event name",
                 preview.timestamp_column: "time", preview.message_id_column: "message ID"}
        roles.update(dict.fromkeys(preview.rejects_columns, "not imported"))
    shown = []
    for name in preview.columns:
        role = roles.get(name)
        if role is None and preview.format == CSV and preview.id_column is not None:
            kind = preview.types.get(name)
            role = COLUMN_TYPE_LABELS.get(kind, kind).lower() if kind else None
            role = f"property, {role}" if role else "property"
        shown.append(f"{name} ({role})" if role else name)
    return shown


def read_text(preview: EventsPreview) -> str:
    """"5 lines: 4 events, 1 rejected line"; or why nothing was read yet: a CSV file is
    read once its customer ID column is known."""
    if not preview.scanned:
        if preview.format == CSV and preview.id_column is None:
            return "nothing yet: the file is read once the customer ID column is chosen"
        return "nothing: the file cannot be read as events as it stands"
    read = (f"the first {count_text(preview.read, 'line', 'lines')}" if preview.truncated
            else count_text(preview.read, "line", "lines"))
    events = preview.read - preview.rejected
    return (f"{read}: {count_text(events, 'event', 'events')}, "
            f"{count_text(preview.rejected, 'rejected line', 'rejected lines')}")


def time_range_text(preview: EventsPreview, tz: dt.tzinfo | None = None) -> str:
    """"2026-03-01 10:00 to 2026-03-02 18:30", local time; blank when nothing was read."""
    if preview.first_at is None or preview.last_at is None:
        return ""
    first = engine.local_time_text(preview.first_at, tz)
    last = engine.local_time_text(preview.last_at, tz)
    return first if first == last else f"{first} to {last}"


class EventsPreviewDialog(QDialog):
    """Shows how an events file will be read; Import is enabled when it can be. The
    customer ID column of a CSV file can be chosen (SPEC §4): the file is read again."""

    def __init__(self, preview: EventsPreview, target: EventsTarget,
                 parent: QWidget | None = None, *, tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_preview_dialog")
        self.setWindowTitle(f"{target.title} into {target.into}")
        self._preview = preview
        self._tz = tz
        name = Path(preview.path).name
        self.file_label = QLabel(f"{name} — {_size_text(preview.size)}")
        self.file_label.setObjectName("file_label")
        self.file_label.setStyleSheet("QLabel { font-weight: 600; }")

        facts = QFormLayout()
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.format_label = self._fact(facts, "format_label", "Format", preview.format_label)
        self.id_column_combo = QComboBox()
        self.id_column_combo.setObjectName("id_column_combo")
        facts.addRow("Customer ID column:", self.id_column_combo)
        # JSON Lines name the customer in userId, as a Segment track call does.
        facts.setRowVisible(self.id_column_combo, preview.format == CSV)
        self.columns_label = self._fact(facts, "columns_label", "Columns", "")
        self.read_label = self._fact(facts, "read_label", "Read", "")
        self.time_range_label = self._fact(facts, "time_range_label", "Time range", "")

        self.names_model = EventNamesTableModel([], self)
        self.names_view = self._table("event_names_table", self.names_model)
        self.samples_model = EventSamplesTableModel([], self)
        self.samples_view = self._table("event_samples_table", self.samples_model)
        tables = QHBoxLayout()
        names_box = QVBoxLayout()
        names_box.addWidget(QLabel("Event names"))
        names_box.addWidget(self.names_view, 1)
        samples_box = QVBoxLayout()
        samples_box.addWidget(QLabel("The first events"))
        samples_box.addWidget(self.samples_view, 1)
        tables.addLayout(names_box, 1)
        tables.addLayout(samples_box, 3)

        self.rejects_label = QLabel()
        self.rejects_model = RejectTableModel([], self)
        self.rejects_view = self._table("rejects_table", self.rejects_model)
        self.rejects_view.setMaximumHeight(140)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem_label")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"QLabel {{ color: {ERROR_COLOR}; font-weight: 600; }}")

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import_button")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in (self.import_button, cancel):  # only a click starts an import
            button.setDefault(False)
            button.setAutoDefault(False)
        add_help(self, SECTION_EVENTS, self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addLayout(facts)
        layout.addLayout(tables, 1)
        layout.addWidget(self.rejects_label)
        layout.addWidget(self.rejects_view)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.resize(900, 600)
        self._show_preview(preview)
        self.id_column_combo.currentIndexChanged.connect(self._on_id_column_changed)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        super().showEvent(event)
        self.import_button.setDefault(False)

    @property
    def preview(self) -> EventsPreview:
        return self._preview

    def plan(self) -> EventPlan:
        """What the import reads; CsvFileError when the file cannot be imported."""
        return EventPlan.from_preview(self._preview)

    def _show_preview(self, preview: EventsPreview) -> None:
        self._preview = preview
        tz = self._tz
        # The column read as the customer ID: the blank choice finds it by name again.
        fill_id_column_combo(self.id_column_combo, preview.columns, preview.id_column)
        self.columns_label.setText(", ".join(column_roles(preview)))
        self.read_label.setText(read_text(preview))
        self.time_range_label.setText(time_range_text(preview, tz) or "—")
        names = sorted(preview.names.items(), key=lambda item: (-item[1], item[0]))
        self.names_model.set_rows([(n, f"{c:,}") for n, c in names])
        self.samples_model.set_rows([_sample_row(s, tz) for s in preview.samples])
        self.rejects_model.set_rejects(preview.rejects)
        shown = len(preview.rejects)
        note = "" if shown == preview.rejected else f" (the first {shown:,})"
        self.rejects_label.setText(f"Lines that will be rejected{note}:")
        self.rejects_label.setVisible(bool(shown))
        self.rejects_view.setVisible(bool(shown))
        for view in (self.names_view, self.samples_view, self.rejects_view):
            fit_columns(view)
        self._show_problem(preview.problem)

    def _show_problem(self, problem: str | None) -> None:
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(bool(problem))
        self.import_button.setEnabled(problem is None)

    @Slot()
    def _on_id_column_changed(self) -> None:
        """The file read again with the chosen customer ID (its rows without one are
        rejected, the others counted)."""
        try:
            preview = preview_events(self._preview.path, tz=self._tz,
                                     id_column=chosen_id_column(self.id_column_combo))
        except CsvFileError as exc:
            self._show_problem(str(exc))
            return
        self._show_preview(preview)

    def _fact(self, form: QFormLayout, name: str, title: str, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(f"{title}:", label)
        return label

    def _table(self, name: str, model: QAbstractTableModel) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        view.horizontalHeader().setStretchLastSection(True)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        fit_columns(view)
        return view


def _sample_row(sample: EventSample, tz: dt.tzinfo | None) -> tuple[Any, ...]:
    return (sample.line, sample.external_id, sample.name,
            engine.local_time_text(sample.occurred_at, tz), sample.properties)
