"""The forecast's events file (SPEC §11): events replayed at their timestamps on the
virtual clock, chosen through ``ui.prompts``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from journey_desktop.ui import prompts
from journey_desktop.ui.imports.target import EVENTS_FILTER


class EventsFileChooser(QWidget):
    """"Replay events from a file…", the chosen file's name and a button to clear it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self.choose_button = QPushButton("Replay events from a file…")
        self.choose_button.setObjectName("forecast_events_button")
        self.choose_button.setToolTip("Events in this file (CSV or JSON Lines) happen in the "
                                      "forecast at their own times; the database's events "
                                      "are not touched")
        self.file_label = QLabel()
        self.file_label.setObjectName("forecast_events_label")
        self.clear_button = QToolButton()
        self.clear_button.setObjectName("forecast_events_clear")
        self.clear_button.setText("✕")
        self.clear_button.setToolTip("Forecast without an events file")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choose_button)
        row.addWidget(self.file_label)
        row.addWidget(self.clear_button)
        self.choose_button.clicked.connect(self._on_choose_button_clicked)
        self.clear_button.clicked.connect(lambda: self.set_path(None))
        self.set_path(None)

    @property
    def path(self) -> Path | None:
        return self._path

    def set_path(self, path: Path | None) -> None:
        self._path = path
        self.file_label.setText(path.name if path else "")
        self.file_label.setToolTip(str(path) if path else "")
        self.clear_button.setVisible(path is not None)
        self.changed.emit()

    @Slot()
    def _on_choose_button_clicked(self) -> None:
        folder = str(self._path.parent) if self._path else str(Path.home())
        chosen = prompts.ask_open_file(self, "Replay events from a file", folder,
                                       EVENTS_FILTER)
        if chosen:
            self.set_path(Path(chosen))
