"""CSV imports in the window (SPEC §4): file dialog, preview, progress, result.

Entry points: ``run_import_flow(parent, repo, journey_id, path=None)`` imports a journey's
audience, ``run_customers_import_flow(parent, repo, path=None)`` the customer base alone
(File → Import customers…). Both return the ``ImportController`` running the flow; its
``audience_imported(journey_id)`` or ``customers_imported()`` fires once a file was
imported, ``finished`` when the flow is over whatever happened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.audience_csv import (
    COLUMN_TYPE_LABELS,
    COLUMN_TYPES,
    DATE,
    DELIMITER_LABELS,
    DELIMITERS,
    ENCODING_LABELS,
    ENCODINGS,
    CsvFileError,
    CsvPreview,
    ImportPlan,
    Misfit,
    preview_csv,
)
from journey_desktop.domain.csv_records import Reject
from journey_desktop.domain.lifecycle import Action, refusal_text
from journey_desktop.domain.values import DATE_ORDER_LABELS, DATE_ORDERS
from journey_desktop.services.workers import JobControl, Worker
from journey_desktop.store import close_store
from journey_desktop.store.audience import ADD, REPLACE, AudienceStore, ImportResult
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.repository import JourneyRepository, RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.common.formatting import sentence

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
LAST_FOLDER_KEY = "audience_import/last_folder"
ERROR_COLOR = "#b3261e"
PROGRESS_STEPS = 1000
# Workers stay referenced a while after they report, so a runnable is never freed while its
# thread is still returning from run(); only the most recent few are kept.
_recent_workers: list[Worker] = []


@dataclass(frozen=True)
class ImportTarget:
    """Where an import goes and how the dialogs name it: a journey's audience (add or
    replace), or the customer base alone (``journey_id`` None: profiles, add only)."""

    journey_id: int | None = None
    journey_name: str = ""

    @property
    def is_audience(self) -> bool:
        return self.journey_id is not None

    @property
    def title(self) -> str:
        return "Import audience" if self.is_audience else "Import customers"

    @property
    def into(self) -> str:
        return f"“{self.journey_name}”" if self.is_audience else "the customer base"

    @property
    def unchanged(self) -> str:
        """What an import that wrote nothing left as it was."""
        return "the audience is unchanged" if self.is_audience else "the customer base is unchanged"


def csv_path_from_mime(mime: QMimeData) -> str | None:
    """The first local CSV file in dropped data (for drops on a journey row), else None."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(CSV_SUFFIXES):
            return url.toLocalFile()
    return None


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


# --- preview -------------------------------------------------------------------------------


class PreviewTableModel(QAbstractTableModel):
    """The first rows of the file as read with the current encoding and delimiter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._header: list[str] = []
        self._rows: list[list[str]] = []
        self._id_column: str | None = None

    def set_preview(self, preview: CsvPreview, id_column: str | None) -> None:
        self.beginResetModel()
        self._header = list(preview.header)
        self._rows = [list(r) for r in preview.rows]
        self._id_column = id_column
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
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{name} (ID)" if name == self._id_column else name
            if role == Qt.ItemDataRole.FontRole and name == self._id_column:
                font = QFont()
                font.setBold(True)
                return font
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.ToolTipRole):
            return None
        row = self._rows[index.row()]
        if index.column() >= len(row):
            return None
        text = row[index.column()]
        return text.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ").replace("\r", " ⏎ ")


class ImportPreviewDialog(QDialog):
    """Shows how the file will be read and lets the user correct it before importing."""

    def __init__(self, preview: CsvPreview, target: ImportTarget, audience_size: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_preview_dialog")
        self.setWindowTitle(f"{target.title} into {target.into}")
        self._preview = preview
        self._type_combos: dict[str, QComboBox] = {}
        self._order_combos: dict[str, QComboBox] = {}
        self._fit_labels: dict[str, QLabel] = {}
        self._audience_size = audience_size

        self.file_label = QLabel()
        self.file_label.setObjectName("file_label")
        self.file_label.setWordWrap(True)
        self.encoding_combo = QComboBox()
        self.encoding_combo.setObjectName("encoding_combo")
        for encoding in ENCODINGS:
            self.encoding_combo.addItem(ENCODING_LABELS[encoding], encoding)
        self.delimiter_combo = QComboBox()
        self.delimiter_combo.setObjectName("delimiter_combo")
        for delimiter in DELIMITERS:
            self.delimiter_combo.addItem(DELIMITER_LABELS[delimiter], delimiter)
        self.id_column_combo = QComboBox()
        self.id_column_combo.setObjectName("id_column_combo")

        reading = QFormLayout()
        reading.addRow("Encoding:", self.encoding_combo)
        reading.addRow("Delimiter:", self.delimiter_combo)
        reading.addRow("Customer ID column:", self.id_column_combo)

        self.columns_box = QGroupBox("Customer fields and their types")
        self._columns_grid = QGridLayout()
        self._columns_grid.setColumnStretch(0, 1)
        inner = QWidget()
        inner.setLayout(self._columns_grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        box_layout = QVBoxLayout(self.columns_box)
        box_layout.addWidget(scroll)

        top = QHBoxLayout()
        top.addLayout(reading, 1)
        top.addWidget(self.columns_box, 1)

        self.rows_model = PreviewTableModel(self)
        self.rows_view = QTableView()
        self.rows_view.setObjectName("preview_table")
        self.rows_view.setModel(self.rows_model)
        self.rows_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows_view.setWordWrap(False)
        self.rows_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.rows_view.horizontalHeader().setStretchLastSection(True)
        self.rows_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.rows_label = QLabel()
        self.rows_label.setObjectName("rows_label")

        self.add_radio = QRadioButton("Add to the audience: new customers are added, "
                                      "customers already in it get their fields updated")
        self.add_radio.setObjectName("add_radio")
        self.replace_radio = QRadioButton("Replace the audience: it becomes exactly this "
                                          "file; customers not in it leave the journey")
        self.replace_radio.setObjectName("replace_radio")
        self._mode_group = QButtonGroup(self)
        self._mode_group.addButton(self.add_radio)
        self._mode_group.addButton(self.replace_radio)
        self.add_radio.setChecked(True)
        mode_box = QGroupBox(f"Mode (the audience has {audience_size:,} customers now)")
        mode_layout = QVBoxLayout(mode_box)
        mode_layout.addWidget(self.add_radio)
        mode_layout.addWidget(self.replace_radio)
        # Profiles are only ever added or updated: no audience to replace.
        mode_box.setVisible(target.is_audience)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem_label")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"QLabel {{ color: {ERROR_COLOR}; font-weight: 600; }}")

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import_button")
        self.import_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addLayout(top)
        layout.addWidget(self.rows_label)
        layout.addWidget(self.rows_view, 1)
        layout.addWidget(mode_box)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.resize(820, 620)

        self._show_preview(preview)
        self.encoding_combo.activated.connect(self._on_reading_changed)
        self.delimiter_combo.activated.connect(self._on_reading_changed)
        self.id_column_combo.currentIndexChanged.connect(self._on_id_column_changed)

    @property
    def preview(self) -> CsvPreview:
        return self._preview

    def type_combo(self, column: str) -> QComboBox:
        """The type chooser of a column (a customer field)."""
        return self._type_combos[column]

    def date_order_combo(self, column: str) -> QComboBox:
        """The day/month order chooser of a column, shown while its type is date."""
        return self._order_combos[column]

    def fit_label(self, column: str) -> QLabel:
        """How many of the column's values do not fit its type, with examples."""
        return self._fit_labels[column]

    def id_column(self) -> str | None:
        value = self.id_column_combo.currentData()
        return str(value) if value else None

    def mode(self) -> str:
        return REPLACE if self.replace_radio.isChecked() else ADD

    def plan(self) -> ImportPlan:
        """What to import, as chosen; raises CsvFileError when the file cannot be imported."""
        types = {name: str(combo.currentData()) for name, combo in self._type_combos.items()}
        return ImportPlan.from_preview(self._preview, id_column=self.id_column(), types=types,
                                       date_orders=self._date_orders())

    def _date_orders(self) -> dict[str, str]:
        return {name: str(combo.currentData()) for name, combo in self._order_combos.items()
                if combo.currentData()}

    def _show_preview(self, preview: CsvPreview, keep_id: str | None = None) -> None:
        self._preview = preview
        more = " (the first rows)" if preview.truncated else ""
        self.file_label.setText(
            f"<b>{Path(preview.path).name}</b> — {_size_text(preview.size)}, "
            f"{len(preview.header)} columns{more}"
        )
        self.encoding_combo.setCurrentIndex(self.encoding_combo.findData(preview.encoding))
        self.delimiter_combo.setCurrentIndex(self.delimiter_combo.findData(preview.delimiter))
        self.id_column_combo.blockSignals(True)
        self.id_column_combo.clear()
        self.id_column_combo.addItem("— choose the ID column —", "")
        for name in preview.header:
            self.id_column_combo.addItem(name, name)
        chosen = keep_id if keep_id in preview.header else preview.id_column
        self.id_column_combo.setCurrentIndex(max(0, self.id_column_combo.findData(chosen or "")))
        self.id_column_combo.blockSignals(False)
        self.rows_model.set_preview(preview, self.id_column())
        self.rows_view.resizeColumnsToContents()
        if preview.truncated:
            self.rows_label.setText(f"The first {len(preview.rows)} rows:")
        else:
            self.rows_label.setText(
                f"{preview.sample_rows:,} rows in the file; the first {len(preview.rows)}:"
                if preview.sample_rows > len(preview.rows)
                else f"{preview.sample_rows:,} rows in the file:"
            )
        self._fill_columns()
        self._update_problem()

    def _fill_columns(self) -> None:
        while self._columns_grid.count():
            item = self._columns_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        previous = {name: str(c.currentData()) for name, c in self._type_combos.items()}
        previous_orders = self._date_orders()
        self._type_combos = {}
        self._order_combos = {}
        self._fit_labels = {}
        id_column = self.id_column()
        row = 0
        for name in self._preview.header:
            if name == id_column:
                continue
            label = QLabel(name)
            label.setToolTip(name)
            combo = QComboBox()
            combo.setObjectName(f"type_combo_{row}")
            for kind in COLUMN_TYPES:
                combo.addItem(COLUMN_TYPE_LABELS[kind], kind)
            kind = previous.get(name, self._preview.types.get(name, "text"))
            combo.setCurrentIndex(combo.findData(kind))
            order = QComboBox()
            order.setObjectName(f"date_order_combo_{row}")
            order.addItem("— day or month first? —", "")
            for choice in DATE_ORDERS:
                order.addItem(DATE_ORDER_LABELS[choice], choice)
            chosen = previous_orders.get(name) or self._preview.detected_date_order(name) or ""
            order.setCurrentIndex(order.findData(chosen))
            fit = QLabel()
            fit.setObjectName(f"fit_label_{row}")
            self._columns_grid.addWidget(label, row, 0)
            self._columns_grid.addWidget(combo, row, 1)
            self._columns_grid.addWidget(order, row, 2)
            self._columns_grid.addWidget(fit, row, 3)
            self._type_combos[name] = combo
            self._order_combos[name] = order
            self._fit_labels[name] = fit
            combo.currentIndexChanged.connect(self._on_column_choice_changed)
            order.currentIndexChanged.connect(self._on_column_choice_changed)
            row += 1
        self._show_fits()
        if not row:
            self._columns_grid.addWidget(
                QLabel("Only the ID column: customers get no fields."), 0, 0)

    def _show_fits(self) -> None:
        """Per column: the order chooser when dates need one, and the values that do not fit."""
        preview = self._preview
        sampled = preview.truncated or preview.sample_rows > preview.checked_rows
        scope = f" in the first {preview.checked_rows:,} rows" if sampled else ""
        orders = self._date_orders()
        for name, combo in self._type_combos.items():
            kind = str(combo.currentData())
            order_combo = self._order_combos[name]
            order_combo.setVisible(kind == DATE and (
                bool(order_combo.currentData())
                or preview.date_order_problem(name, None) is not None))
            check = preview.check(name, kind, orders.get(name))
            label = self._fit_labels[name]
            if not check.count:
                label.setText("")
                label.setToolTip("")
                continue
            examples = ", ".join(value for value, _ in check.examples)
            label.setText(f"{check.count:,} not fitting{scope}: {examples}")
            label.setStyleSheet(f"QLabel {{ color: {ERROR_COLOR}; }}")
            label.setToolTip("Not set for these customers (listed after the import):\n" + "\n".join(
                f"{value} — {why}" for value, why in check.examples))

    def _update_problem(self) -> None:
        problem = self._preview.problem(self.id_column())
        if problem is None:
            orders = self._date_orders()
            problem = next((p for name, c in self._type_combos.items()
                            if str(c.currentData()) == DATE
                            and (p := self._preview.date_order_problem(name, orders.get(name)))),
                           None)
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(bool(problem))
        self.import_button.setEnabled(problem is None)

    @Slot()
    def _on_reading_changed(self) -> None:
        keep = self.id_column()
        try:
            preview = preview_csv(
                self._preview.path,
                encoding=str(self.encoding_combo.currentData()),
                delimiter=str(self.delimiter_combo.currentData()),
            )
        except CsvFileError as exc:
            self.problem_label.setText(str(exc))
            self.problem_label.setVisible(True)
            self.import_button.setEnabled(False)
            return
        self._show_preview(preview, keep_id=keep)

    @Slot()
    def _on_column_choice_changed(self) -> None:
        self._show_fits()
        self._update_problem()

    @Slot()
    def _on_id_column_changed(self) -> None:
        self.rows_model.set_id_column(self.id_column())
        self._fill_columns()
        self._update_problem()


# --- progress ------------------------------------------------------------------------------


class ImportProgressDialog(QDialog):
    """Rows and percent of a running import, with Cancel; not modal, the window stays usable."""

    cancel_requested = Signal()

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_progress_dialog")
        self.setWindowTitle(title)
        self.setModal(False)
        self.text_label = QLabel(text)
        self.text_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("import_progress_bar")
        self.progress_bar.setRange(0, PROGRESS_STEPS)
        self.progress_bar.setTextVisible(False)
        self.rows_label = QLabel("Starting…")
        self.rows_label.setObjectName("progress_rows_label")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rows_label, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text_label)
        layout.addWidget(self.progress_bar)
        layout.addLayout(buttons)
        self.setMinimumWidth(420)

    def set_progress(self, rows: int, done: int, total: int) -> None:
        fraction = done / total if total else 0.0
        self.progress_bar.setValue(int(fraction * PROGRESS_STEPS))
        if self.cancel_button.isEnabled():
            self.rows_label.setText(f"{rows:,} rows · {int(fraction * 100)} %")

    def closeEvent(self, event: Any) -> None:  # Qt override: closing the window cancels
        if self.cancel_button.isEnabled():
            self._on_cancel_clicked()
            event.ignore()
            return
        super().closeEvent(event)

    def reject(self) -> None:  # Qt override: Escape cancels rather than hiding the progress
        if self.cancel_button.isEnabled():
            self._on_cancel_clicked()

    def finish(self) -> None:
        self.cancel_button.setEnabled(False)
        self.hide()
        self.deleteLater()

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.rows_label.setText("Cancelling… nothing will be changed")
        self.cancel_requested.emit()


# --- result --------------------------------------------------------------------------------


class RejectTableModel(QAbstractTableModel):
    TITLES = ("Line", "Reason", "Row")

    def __init__(self, rejects: list[Reject], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rejects = rejects

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rejects)

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
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        reject = self._rejects[index.row()]
        return (reject.line, reject.reason, reject.row)[index.column()]


class MisfitTableModel(QAbstractTableModel):
    """Values stored as not set because they do not fit their column's type."""

    TITLES = ("Line", "Column", "Value", "Why")

    def __init__(self, misfits: list[Misfit], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._misfits = misfits

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._misfits)

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
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        misfit = self._misfits[index.row()]
        return (misfit.line, misfit.column, misfit.value, misfit.reason)[index.column()]


class ImportResultDialog(QDialog):
    """The counts of SPEC §4 and the rejected rows, which can be saved as CSV."""

    def __init__(self, result: ImportResult, csv_path: str, target: ImportTarget,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_result_dialog")
        self.setWindowTitle("Audience import" if target.is_audience else "Customer import")
        self._result = result
        self._csv_path = Path(csv_path)
        file_name = self._csv_path.name
        if result.committed:
            headline = f"{file_name} was imported into {target.into}."
        else:
            headline = (f"Nothing was imported: every row of {file_name} was rejected. "
                        f"{target.unchanged.capitalize()}.")
        self.headline_label = QLabel(headline)
        self.headline_label.setObjectName("headline_label")
        self.headline_label.setWordWrap(True)
        self.headline_label.setStyleSheet("QLabel { font-weight: 600; }")

        self.count_labels: dict[str, QLabel] = {}
        grid = QFormLayout()
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        grid.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        lines = [
            ("read", "Rows read", result.read),
            ("added", "Customers added", result.added),
            ("updated", "Customers updated", result.updated),
            ("duplicates", "Duplicates in the file (the last row of each ID was kept)",
             result.duplicates),
            ("rejected", "Rejected rows", result.rejected),
        ]
        if result.mode == REPLACE:
            lines.append(("removed", "Customers removed (not in the file)", result.removed))
        if result.blank:
            lines.append(("blank", "Blank lines skipped", result.blank))
        if result.misfits.count:
            lines.append(("not_fitting", "Values that do not fit their column's type (not set)",
                          result.misfits.count))
        for key, title, value in lines:
            label = QLabel(f"{value:,}")
            label.setObjectName(f"count_{key}")
            label.setStyleSheet("QLabel { font-weight: 600; }")
            self.count_labels[key] = label
            grid.addRow(title + ":", label)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline_label)
        layout.addLayout(grid)

        self.rejects_view: QTableView | None = None
        if result.rejected:
            shown = len(result.rejects.kept)
            note = ("" if shown == result.rejected
                    else f" (the first {shown:,} of {result.rejected:,})")
            layout.addWidget(QLabel(f"The rejected rows, by line in the file{note}:"))
            view = QTableView()
            view.setObjectName("rejects_table")
            view.setModel(RejectTableModel(result.rejects.kept, self))
            view.verticalHeader().setVisible(False)
            view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
            view.horizontalHeader().setStretchLastSection(True)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            view.resizeColumnsToContents()
            layout.addWidget(view, 1)
            self.rejects_view = view

        self.misfits_view: QTableView | None = None
        if result.misfits.count:
            shown = len(result.misfits.kept)
            note = "" if shown == result.misfits.count else f" (the first {shown:,})"
            layout.addWidget(QLabel(f"Values not set because they do not fit their column's "
                                    f"type{note}:"))
            view = self._listing("misfits_table", MisfitTableModel(result.misfits.kept, self))
            layout.addWidget(view, 1)
            self.misfits_view = view

        self.saved_label = QLabel()
        self.saved_label.setObjectName("saved_label")
        self.saved_label.setWordWrap(True)
        self.saved_label.setVisible(False)
        layout.addWidget(self.saved_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_rejects_button = self.buttons.addButton(
            "Save rejected rows…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_rejects_button.setObjectName("save_rejects_button")
        self.save_rejects_button.setEnabled(result.rejected > 0)
        self.save_rejects_button.clicked.connect(self._on_save_rejects_clicked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(620, 460 if result.rejected or result.misfits.count else 260)
        self.finished.connect(self._on_finished)

    def _listing(self, name: str, model: QAbstractTableModel) -> QTableView:
        """A read-only table of rows the user should look at after the import."""
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        view.horizontalHeader().setStretchLastSection(True)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.resizeColumnsToContents()
        return view

    @Slot()
    def _on_save_rejects_clicked(self) -> None:
        suggested = self._csv_path.with_name(f"{self._csv_path.stem}-rejected.csv")
        path = prompts.ask_save_file(self, "Save rejected rows", str(suggested),
                                     "CSV files (*.csv)")
        if not path:
            return
        try:
            check_output_path(path)
        except DatabaseOutputError as exc:
            prompts.show_error(self, "Save rejected rows", f"Nothing was saved: {exc}.")
            return
        try:
            self._result.save_rejects(path)
        except OSError as exc:
            prompts.show_error(self, "Save rejected rows",
                               f"The rejected rows could not be saved: {exc.strerror or exc}")
            return
        self.saved_label.setText(f"{self._result.rejected:,} rejected rows saved to {path}")
        self.saved_label.setVisible(True)

    @Slot()
    def _on_finished(self) -> None:
        self._result.rejects.close()


# --- the flow ------------------------------------------------------------------------------


def _import_job(control: JobControl, journey_id: int | None, plan: ImportPlan,
                mode: str) -> ImportResult:
    def progress(rows: int, done: int, total: int) -> None:
        control.progress(done, total, str(rows))
        control.check()

    try:
        if journey_id is None:
            return AudienceStore().import_profiles(plan, progress=progress)
        return AudienceStore().import_csv(journey_id, plan, mode=mode, progress=progress)
    finally:
        close_store()  # this worker thread's own connection


def _count_leaving_job(control: JobControl, journey_id: int, plan: ImportPlan) -> int:
    def progress(rows: int, done: int, total: int) -> None:
        control.progress(done, total, str(rows))
        control.check()

    try:
        return AudienceStore().count_leaving(journey_id, plan, progress=progress)
    finally:
        close_store()


class ImportController(QObject):
    """Runs one import: file dialog, preview, replace confirmation, progress, result.

    ``journey_id`` None imports into the customer base alone. The dialogs are opened
    without blocking, so tests and the window drive them by signals.
    """

    audience_imported = Signal(int)  # journey id, after a committed audience import
    customers_imported = Signal()  # after a committed import into the customer base
    finished = Signal()  # the flow is over (imported, cancelled, refused or failed)

    # Journeys with an import in progress; None for the customer base.
    _running: set[int | None] = set()

    def __init__(self, parent: QWidget | None, repo: JourneyRepository, journey_id: int | None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        # The parent widget is reached through parent(), never kept in an attribute: a
        # Python reference from child to parent would let the parent die with the
        # controller's wrapper, deleting the controller a second time.
        self._repo = repo
        self._journey_id = journey_id
        self._settings = settings if settings is not None else QSettings()
        self._target = ImportTarget(journey_id)
        self._path = ""
        self._plan: ImportPlan | None = None
        self._mode = ADD
        self._worker: Worker | None = None
        self.preview_dialog: ImportPreviewDialog | None = None
        self.progress_dialog: ImportProgressDialog | None = None
        self.result_dialog: ImportResultDialog | None = None
        self.result: ImportResult | None = None

    def _parent_widget(self) -> QWidget | None:
        parent = self.parent()
        return parent if isinstance(parent, QWidget) else None

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self, path: str | None = None) -> None:
        """Begin with ``path``, or ask for a file (CSV filter, in the last folder used)."""
        title = self._target.title
        if self._journey_id is not None and not self._check_journey():
            self._end()
            return
        if self._journey_id in ImportController._running:
            what = ("An audience is already being imported into" if self._target.is_audience
                    else "Customers are already being imported into")
            prompts.show_error(self._parent_widget(), title, f"{what} {self._target.into}.")
            self._end()
            return
        if path is None:
            path = prompts.ask_open_file(
                self._parent_widget(), f"{title} into {self._target.into}",
                self.last_folder(), CSV_FILTER)
            if not path:
                self._end()
                return
        self._path = path
        self._settings.setValue(LAST_FOLDER_KEY, str(Path(path).resolve().parent))
        try:
            preview = preview_csv(path)
        except CsvFileError as exc:
            prompts.show_error(self._parent_widget(), title,
                               f"{Path(path).name} cannot be imported.\n\n{exc}")
            self._end()
            return
        audience = (0 if self._journey_id is None
                    else AudienceStore(self._repo).count(self._journey_id))
        dialog = ImportPreviewDialog(preview, self._target, audience, self._parent_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._on_preview_accepted)
        dialog.rejected.connect(self._end)
        self.preview_dialog = dialog
        dialog.open()

    def _check_journey(self) -> bool:
        """Name the target journey; False (the user told why) when it takes no import."""
        assert self._journey_id is not None
        title = self._target.title
        try:
            stored = self._repo.get(self._journey_id)
        except RepositoryError as exc:
            prompts.show_error(self._parent_widget(), title, str(exc))
            return False
        self._target = ImportTarget(self._journey_id, stored.journey.name)
        text = refusal_text(stored.journey.name, stored.status, Action.IMPORT_AUDIENCE)
        if text is not None:
            prompts.show_error(self._parent_widget(), title, sentence(text))
            return False
        return True

    def last_folder(self) -> str:
        folder = str(self._settings.value(LAST_FOLDER_KEY, "") or "")
        return folder if folder and os.path.isdir(folder) else str(Path.home())

    @Slot()
    def _on_preview_accepted(self) -> None:
        dialog = self.preview_dialog
        assert dialog is not None
        try:
            self._plan = dialog.plan()
        except CsvFileError as exc:
            prompts.show_error(self._parent_widget(), self._target.title, str(exc))
            self._end()
            return
        self._mode = dialog.mode() if self._target.is_audience else ADD
        self.preview_dialog = None
        if (self._mode == REPLACE and self._journey_id is not None
                and AudienceStore(self._repo).count(self._journey_id)):
            self._run(_count_leaving_job, "Checking which customers will leave…",
                      self._on_leaving_counted, self._journey_id, self._plan)
        else:
            self._start_import()

    @Slot(object)
    def _on_leaving_counted(self, leaving: int) -> None:
        self._finish_worker()
        if leaving and not prompts.confirm(
            self._parent_widget(), "Replace the audience?",
            f"{leaving:,} customers of {self._target.into} are not in "
            f"{Path(self._path).name} and will leave the audience; their runs stop at their "
            "next step.\n\nReplace the audience with the file?",
            action="Replace", destructive=True,
        ):
            self._end()
            return
        self._start_import()

    def _start_import(self) -> None:
        assert self._plan is not None
        self._run(_import_job, f"Importing {Path(self._path).name} into {self._target.into}…",
                  self._on_import_finished, self._journey_id, self._plan, self._mode)

    def _run(self, job: Any, text: str, on_finished: Any, *args: Any) -> None:
        ImportController._running.add(self._journey_id)
        progress = ImportProgressDialog(self._target.title, text, self._parent_widget())
        worker = Worker(job, *args, expected=(CsvFileError, RepositoryError))
        worker.signals.progressed.connect(self._on_worker_progressed)
        worker.signals.finished.connect(on_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        progress.cancel_requested.connect(worker.cancel)
        self.progress_dialog = progress
        self._worker = worker
        _recent_workers.append(worker)
        del _recent_workers[:-8]
        progress.show()
        worker.start()

    @Slot(int, int, str)
    def _on_worker_progressed(self, done: int, total: int, rows: str) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.set_progress(int(rows or 0), done, total)

    @Slot(object)
    def _on_import_finished(self, result: ImportResult) -> None:
        self._finish_worker()
        self.result = result
        if result.committed and self._journey_id is None:
            self.customers_imported.emit()
        elif result.committed:
            self.audience_imported.emit(self._journey_id)
        dialog = ImportResultDialog(result, self._path, self._target, self._parent_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._end)
        self.result_dialog = dialog
        dialog.open()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._finish_worker()
        prompts.show_error(self._parent_widget(), self._target.title,
                           f"Nothing was imported; {self._target.unchanged}.\n\n{message}")
        self._end()

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._finish_worker()
        prompts.inform(self._parent_widget(), "Import cancelled",
                       "The import was cancelled. Nothing was imported; "
                       f"{self._target.unchanged}.")
        self._end()

    def _finish_worker(self) -> None:
        ImportController._running.discard(self._journey_id)
        self._worker = None
        if self.progress_dialog is not None:
            self.progress_dialog.finish()
            self.progress_dialog = None

    @Slot()
    def _end(self) -> None:
        self.result_dialog = None
        self.preview_dialog = None
        self.finished.emit()


def run_import_flow(parent: QWidget | None, repo: JourneyRepository, journey_id: int,
                    path: str | None = None, *,
                    settings: QSettings | None = None) -> ImportController:
    """Start importing an audience into a journey; keep the returned controller alive (it is
    parented to ``parent``) and connect ``audience_imported`` to refresh the journey list."""
    controller = ImportController(parent, repo, journey_id, settings)
    controller.finished.connect(controller.deleteLater)
    controller.start(path)
    return controller


def run_customers_import_flow(parent: QWidget | None, repo: JourneyRepository,
                              path: str | None = None, *,
                              settings: QSettings | None = None) -> ImportController:
    """Start importing customers into the customer base alone (no journey's audience
    changes, except those for everyone); ``customers_imported`` fires once it is done."""
    controller = ImportController(parent, repo, None, settings)
    controller.finished.connect(controller.deleteLater)
    controller.start(path)
    return controller
