"""The preview before an import: the file as read, its columns' types and date
orders, add or replace; nothing is written until Import."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QShowEvent
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
    QRadioButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.audience_csv import (
    DATE,
    DELIMITER_LABELS,
    DELIMITERS,
    ENCODING_LABELS,
    ENCODINGS,
    REJECTS_COLUMNS_NOTE,
    CsvFileError,
    ImportPlan,
)
from journey_desktop.domain.audience_preview import CsvPreview, preview_csv
from journey_desktop.domain.values import (
    COLUMN_TYPE_LABELS,
    COLUMN_TYPES,
    DATE_ORDER_LABELS,
    DATE_ORDERS,
)
from journey_desktop.store.audience import ADD, REPLACE
from journey_desktop.ui.common.colours import ERROR_COLOR
from journey_desktop.ui.guide import SECTION_ACTIVATE, add_help
from journey_desktop.ui.imports.models import PreviewTableModel, fit_columns
from journey_desktop.ui.imports.target import (
    ImportTarget,
    _size_text,
)


def fill_id_column_combo(combo: QComboBox, columns: list[str], chosen: str | None) -> None:
    """The customer ID chooser of a preview (customers, events): the file's columns after
    a blank choice, ``chosen`` selected; no signal while it is filled."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItem("— choose the ID column —", "")
    for name in columns:
        combo.addItem(name, name)
    combo.setCurrentIndex(max(0, combo.findData(chosen or "")))
    combo.blockSignals(False)


def chosen_id_column(combo: QComboBox) -> str | None:
    """The column chosen in a ``fill_id_column_combo`` chooser, None for the blank one."""
    value = combo.currentData()
    return str(value) if value else None


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
        # The values that do not fit take what room is left, wrapping rather than scrolling.
        self._columns_grid.setColumnStretch(3, 1)
        inner = QWidget()
        inner.setLayout(self._columns_grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box_layout = QVBoxLayout(self.columns_box)
        box_layout.addWidget(scroll)

        top = QHBoxLayout()
        top.addLayout(reading, 2)
        top.addWidget(self.columns_box, 3)

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

        self.skipped_columns_label = QLabel()
        self.skipped_columns_label.setObjectName("skipped_columns_label")
        self.skipped_columns_label.setWordWrap(True)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem_label")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"QLabel {{ color: {ERROR_COLOR}; font-weight: 600; }}")

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import_button")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # An import writes to the audience (a replace removes customers): only a click or
        # the button's own key starts it, never Enter pressed to confirm a choice.
        for button in (self.import_button, cancel):
            button.setDefault(False)
            button.setAutoDefault(False)
        add_help(self, SECTION_ACTIVATE, self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        # Said with the file, as its table greys the columns it names.
        layout.addWidget(self.skipped_columns_label)
        layout.addLayout(top)
        layout.addWidget(self.rows_label)
        layout.addWidget(self.rows_view, 1)
        layout.addWidget(mode_box)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.resize(900, 640)

        self._show_preview(preview)
        self.encoding_combo.activated.connect(self._on_reading_changed)
        self.delimiter_combo.activated.connect(self._on_reading_changed)
        self.id_column_combo.currentIndexChanged.connect(self._on_id_column_changed)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        super().showEvent(event)
        # The button box makes its first accept button the default as it is shown.
        self.import_button.setDefault(False)

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
        return chosen_id_column(self.id_column_combo)

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
        chosen = keep_id if keep_id in preview.field_columns else preview.id_column
        fill_id_column_combo(self.id_column_combo, preview.field_columns, chosen)
        self.rows_model.set_preview(preview, self.id_column())
        fit_columns(self.rows_view)
        if preview.truncated:
            rows = f"The first {len(preview.rows)} rows"
        elif preview.sample_rows > len(preview.rows):
            rows = f"{preview.sample_rows:,} rows in the file; the first {len(preview.rows)}"
        else:
            rows = f"{preview.sample_rows:,} rows in the file"
        self.rows_label.setText(f"{rows}, numbered by their line:")
        skipped = bool(preview.rejects_columns)
        self.skipped_columns_label.setText(
            f"{REJECTS_COLUMNS_NOTE[:1].upper()}{REJECTS_COLUMNS_NOTE[1:]}." if skipped else "")
        self.skipped_columns_label.setVisible(skipped)
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
        for name in self._preview.field_columns:
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
            fit.setWordWrap(True)
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
