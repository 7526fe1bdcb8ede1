"""What an import did: imported, rejected rows by line, values that did not fit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    Qt,
    Slot,
)
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

from journey_desktop.domain.audience_csv import REJECTS_COLUMNS_NOTE
from journey_desktop.store.audience import REPLACE, ImportResult
from journey_desktop.store.events import EventImportResult
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.ui import prompts
from journey_desktop.ui.imports.models import MisfitTableModel, RejectTableModel
from journey_desktop.ui.imports.target import (
    AnyTarget,
)


def _count_lines(result: ImportResult | EventImportResult) -> list[tuple[str, str, int]]:
    """(key, title, count) of what the import did: customers (SPEC §4) or events (§11)."""
    if isinstance(result, EventImportResult):
        lines = [
            ("read", "Lines read", result.read),
            ("added", "Events added", result.added),
            ("duplicates", "Duplicates (already stored, or earlier in the file)",
             result.duplicates),
            ("rejected", "Rejected lines", result.rejected),
        ]
        if result.blank:
            lines.append(("blank", "Blank lines skipped", result.blank))
        if result.not_fitting:
            lines.append(("not_fitting", "Property values that do not fit their column's type "
                          "(not set)", result.not_fitting))
        return lines
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
    return lines


class ImportResultDialog(QDialog):
    """The counts of SPEC §4 and the rejected rows, which can be saved as CSV."""

    def __init__(self, result: ImportResult | EventImportResult, csv_path: str,
                 target: AnyTarget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_result_dialog")
        self.setWindowTitle(target.result_title)
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
        lines = _count_lines(result)
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
        if isinstance(result, ImportResult) and result.misfits.count:
            shown = len(result.misfits.kept)
            note = ("" if shown == result.misfits.count
                    else f" (the first {shown:,}; “Save values that do not fit…” saves all "
                    f"{result.misfits.count:,})")
            layout.addWidget(QLabel(f"Values not set because they do not fit their column's "
                                    f"type{note}:"))
            view = self._listing("misfits_table", MisfitTableModel(result.misfits.kept, self))
            layout.addWidget(view, 1)
            self.misfits_view = view

        if isinstance(result, ImportResult) and result.skipped_columns:
            skipped = QLabel(REJECTS_COLUMNS_NOTE[:1].upper() + REJECTS_COLUMNS_NOTE[1:] + ".")
            skipped.setObjectName("skipped_columns_label")
            skipped.setWordWrap(True)
            layout.addWidget(skipped)

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
        self.save_misfits_button = self.buttons.addButton(
            "Save values that do not fit…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_misfits_button.setObjectName("save_misfits_button")
        self.save_misfits_button.setEnabled(
            isinstance(result, ImportResult) and result.misfits.count > 0)
        self.save_misfits_button.setVisible(isinstance(result, ImportResult))
        self.save_misfits_button.clicked.connect(self._on_save_misfits_clicked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(620, 460 if result.rejected or self.misfits_view is not None else 260)
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
        path = save_rejects_as(self, self._csv_path, self._result.save_rejects)
        if path:
            self.saved_label.setText(f"{self._result.rejected:,} rejected rows saved to {path}")
            self.saved_label.setVisible(True)

    @Slot()
    def _on_save_misfits_clicked(self) -> None:
        result = self._result
        assert isinstance(result, ImportResult)
        suggested = self._csv_path.with_name(f"{self._csv_path.stem}-not-fitting.csv")
        path = save_as(self, "Save values that do not fit", suggested, result.save_misfits,
                       "the values that do not fit")
        if path:
            self.saved_label.setText(
                f"{result.misfits.count:,} values that do not fit saved to {path}")
            self.saved_label.setVisible(True)

    @Slot()
    def _on_finished(self) -> None:
        self._result.rejects.close()
        if isinstance(self._result, ImportResult):
            self._result.misfits.close()


def save_rejects_as(parent: QWidget, source: Path, save: Callable[[str], None]) -> str | None:
    """Ask where to save an import's rejected rows and save them there; the path, or None
    when nothing was saved (the user was told why). Every import's result offers this."""
    return save_as(parent, "Save rejected rows", source.with_name(f"{source.stem}-rejected.csv"),
                   save, "the rejected rows")


def save_as(parent: QWidget, title: str, suggested: Path, save: Callable[[str], None],
            what: str) -> str | None:
    """Ask where to save ``what`` and save it there with ``save``; the path, or None when
    nothing was saved (the user was told why)."""
    path = prompts.ask_save_file(parent, title, str(suggested), "CSV files (*.csv)")
    if not path:
        return None
    try:
        check_output_path(path)
    except DatabaseOutputError as exc:
        prompts.show_error(parent, title, f"Nothing was saved: {exc}.")
        return None
    try:
        save(path)
    except OSError as exc:
        prompts.show_error(parent, title,
                           f"{what[:1].upper()}{what[1:]} could not be saved: "
                           f"{exc.strerror or exc}")
        return None
    return path
