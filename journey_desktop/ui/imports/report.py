"""File → Import delivery report… (SPEC §15): the import flow of ``ImportController`` with
what differs for a report: its target's words, its preview, its job and its result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import QWidget

from journey_desktop.domain.csv_records import CsvFileError
from journey_desktop.services.workers import JobControl
from journey_desktop.store.delivery import ReportResult, import_report, preview_report_here
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui import prompts
from journey_desktop.ui.imports.controller import ImportController
from journey_desktop.ui.imports.report_dialogs import ReportPreviewDialog, ReportResultDialog
from journey_desktop.ui.imports.target import EVENTS_FILTER, LAST_FOLDER_KEY, ImportTarget

REPORT_FILTER = "Delivery reports (*.csv *.jsonl *.ndjson *.json *.txt);;All files (*)"


@dataclass(frozen=True)
class DeliveryReportTarget(ImportTarget):
    """A report goes into the outbox's statuses, whatever journeys its messages are of."""

    @property
    def key(self) -> object:
        return "delivery_report"

    @property
    def title(self) -> str:
        return "Import delivery report"

    @property
    def into(self) -> str:
        return "the outbox"

    @property
    def unchanged(self) -> str:
        return "no message's status changed"

    @property
    def busy(self) -> str:
        return "A delivery report is already being applied."

    @property
    def file_filter(self) -> str:
        return EVENTS_FILTER.replace("Events files", "Delivery reports")

    @property
    def result_title(self) -> str:
        return "Delivery report"


def report_job(control: JobControl, path: str, tz: dt.tzinfo | None) -> ReportResult:
    """Apply the report in one transaction; Cancel rolls all of it back."""
    def progress(lines: int, done: int, total: int) -> None:
        control.progress(done, total, str(lines))
        control.check()

    return import_report(path, progress=progress, tz=tz)


class ReportImportController(ImportController):
    """The report's flow: file, preview, the job with progress and Cancel, result."""

    report_imported = Signal()  # a report changed some statuses

    def __init__(self, parent: QWidget | None, repo: JourneyRepository,
                 settings: QSettings | None = None, *, tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent, repo, None, settings)
        self._target = DeliveryReportTarget()
        self._tz = tz
        self.report_preview: ReportPreviewDialog | None = None
        self.report_result: ReportResultDialog | None = None
        self.report: ReportResult | None = None

    def start(self, path: str | None = None) -> None:
        """Begin with ``path``, or ask for a file (in the last folder an import used)."""
        title = self._target.title
        if self._target.key in ImportController._running:
            prompts.show_error(self._parent_widget(), title,
                               "A delivery report is already being applied.")
            self._end()
            return
        if path is None:
            path = prompts.ask_open_file(self._parent_widget(), title, self.last_folder(),
                                         REPORT_FILTER)
            if not path:
                self._end()
                return
        self._path = path
        self._settings.setValue(LAST_FOLDER_KEY, str(Path(path).resolve().parent))
        try:
            preview = preview_report_here(path, tz=self._tz)
        except CsvFileError as exc:
            prompts.show_error(self._parent_widget(), title,
                               f"{Path(path).name} cannot be imported.\n\n{exc}")
            self._end()
            return
        dialog = ReportPreviewDialog(preview, title, self._tz, self._parent_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._on_report_preview_accepted)
        dialog.rejected.connect(self._end)
        self.report_preview = dialog
        dialog.open()

    @Slot()
    def _on_report_preview_accepted(self) -> None:
        self.report_preview = None
        self._run(report_job, f"Applying {Path(self._path).name} to the outbox…",
                  self._on_report_applied, self._path, self._tz)

    @Slot(object)
    def _on_report_applied(self, result: ReportResult) -> None:
        self._finish_worker()
        self.report = result
        if result.committed:
            self.report_imported.emit()
        dialog = ReportResultDialog(result, self._path, self._parent_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._end)
        self.report_result = dialog
        dialog.open()

    @Slot()
    def _end(self) -> None:
        self.report_preview = None
        self.report_result = None
        super()._end()


def run_report_import_flow(parent: QWidget | None, repo: JourneyRepository,
                           path: str | None = None, *, settings: QSettings | None = None,
                           tz: dt.tzinfo | None = None) -> ReportImportController:
    """Start applying a delivery report; ``report_imported`` fires once statuses changed."""
    controller = ReportImportController(parent, repo, settings, tz=tz)
    controller.finished.connect(controller.deleteLater)
    controller.start(path)
    return controller
