"""The import's progress, with Cancel (nothing is imported then)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.ui.imports.target import (
    PROGRESS_STEPS,
)


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
