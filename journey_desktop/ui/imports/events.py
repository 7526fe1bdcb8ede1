"""File → Import events… (SPEC §11): the import flow of ``controller`` with what differs
for events: their preview, their plan and store, no journey and no replace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal, Slot
from PySide6.QtWidgets import QDialog, QWidget

from journey_desktop.domain.audience_csv import CsvFileError
from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.services.workers import JobControl
from journey_desktop.store.events import EventImportResult, EventStore
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui import prompts
from journey_desktop.ui.imports.controller import ImportController
from journey_desktop.ui.imports.events_preview import EventsPreviewDialog
from journey_desktop.ui.imports.target import EventsTarget


def _events_job(control: JobControl, plan: EventPlan) -> EventImportResult:
    def progress(rows: int, done: int, total: int) -> None:
        control.progress(done, total, str(rows))
        control.check()

    return EventStore().import_file(plan, progress=progress)


class EventsImportController(ImportController):
    """An events import: ``events_imported`` fires once a file was committed."""

    events_imported = Signal()

    def __init__(self, parent: QWidget | None, repo: JourneyRepository,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent, repo, None, settings)
        self._target = EventsTarget()
        self._events_plan: EventPlan | None = None

    def _open_preview(self, path: str) -> QDialog | None:
        try:
            preview = preview_events(path)
        except CsvFileError as exc:
            prompts.show_error(self._parent_widget(), self._target.title,
                               f"{Path(path).name} cannot be imported.\n\n{exc}")
            return None
        assert isinstance(self._target, EventsTarget)
        return EventsPreviewDialog(preview, self._target, self._parent_widget())

    @Slot()
    def _on_preview_accepted(self) -> None:
        dialog = self.preview_dialog
        assert isinstance(dialog, EventsPreviewDialog)
        try:
            self._events_plan = dialog.plan()
        except CsvFileError as exc:
            prompts.show_error(self._parent_widget(), self._target.title, str(exc))
            self._end()
            return
        self.preview_dialog = None
        self._run(_events_job, f"Importing the events of {Path(self._path).name}…",
                  self._on_import_finished, self._events_plan)

    def _announce(self, result: Any) -> None:
        self.events_imported.emit()


def run_events_import_flow(parent: QWidget | None, repo: JourneyRepository,
                           path: str | None = None, *,
                           settings: QSettings | None = None) -> EventsImportController:
    """Start importing an events file (asking for it when ``path`` is None); keep the
    returned controller alive (it is parented to ``parent``)."""
    controller = EventsImportController(parent, repo, settings)
    controller.finished.connect(controller.deleteLater)
    controller.start(path)
    return controller
