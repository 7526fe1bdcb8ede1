"""The window's word on a lost team database connection (SPEC §14): one non-modal message
per loss, not one per failed tick, closed by itself when a tick reaches the database again
(the scheduler tries again soon meanwhile: ``services/scheduler``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from journey_desktop import APP_NAME
from journey_desktop.ui.common.formatting import sentence

if TYPE_CHECKING:
    from journey_desktop.services.scheduler import EvaluatorScheduler

LOST_TEXT = "The connection to the team database was lost."
RESTORED_TEXT = "Connected to the team database again."


class ConnectionNotice(QObject):
    """Shows the loss the scheduler tells, and closes it when it tells the way back."""

    def __init__(self, window: QWidget, scheduler: EvaluatorScheduler,
                 say: Callable[[str], None]) -> None:
        super().__init__(window)
        self._window = window
        self._say = say
        self.box: QMessageBox | None = None
        scheduler.connection_lost.connect(self._on_scheduler_connection_lost)
        scheduler.connection_restored.connect(self._on_scheduler_connection_restored)

    @Slot(str)
    def _on_scheduler_connection_lost(self, message: str) -> None:
        if self.box is not None:  # still shown for this loss
            return
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, LOST_TEXT,
                          QMessageBox.StandardButton.Close, self._window)
        box.setObjectName("connection_lost_box")
        box.setInformativeText(
            f"{sentence(message)}\n\nThe window keeps working with what it shows, and the "
            "evaluator connects again by itself, soon; this message closes when it has.")
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.finished.connect(self._on_box_finished)
        self.box = box
        box.show()

    @Slot()
    def _on_scheduler_connection_restored(self) -> None:
        if self.box is not None:
            self.box.close()
        self._say(RESTORED_TEXT)

    @Slot()
    def _on_box_finished(self) -> None:
        """Closed by the user or by the way back: the next loss is told again."""
        if self.box is not None:
            self.box.deleteLater()
            self.box = None
