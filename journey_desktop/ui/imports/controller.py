"""The import flow: file, preview, confirmation, the job with its progress, result."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QObject,
    QSettings,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QDialog,
    QWidget,
)

from journey_desktop.domain.audience_csv import CsvFileError, ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.lifecycle import Action, refusal_text
from journey_desktop.services.workers import JobControl, Worker
from journey_desktop.store.audience import ADD, REPLACE, AudienceStore, ImportResult
from journey_desktop.store.repository import JourneyRepository, RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.common.formatting import count_text, sentence
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.imports.preview_dialog import ImportPreviewDialog
from journey_desktop.ui.imports.progress_dialog import ImportProgressDialog
from journey_desktop.ui.imports.result_dialog import ImportResultDialog
from journey_desktop.ui.imports.target import (
    LAST_FOLDER_KEY,
    AnyTarget,
    ImportTarget,
)


def _import_job(control: JobControl, journey_id: int | None, plan: ImportPlan,
                mode: str) -> ImportResult:
    def progress(rows: int, done: int, total: int) -> None:
        control.progress(done, total, str(rows))
        control.check()

    if journey_id is None:
        return AudienceStore().import_profiles(plan, progress=progress)
    return AudienceStore().import_csv(journey_id, plan, mode=mode, progress=progress)


def _count_leaving_job(control: JobControl, journey_id: int, plan: ImportPlan) -> int:
    def progress(rows: int, done: int, total: int) -> None:
        control.progress(done, total, str(rows))
        control.check()

    return AudienceStore().count_leaving(journey_id, plan, progress=progress)


class ImportController(QObject):
    """Runs one import: file dialog, preview, replace confirmation, progress, result.

    ``journey_id`` None imports into the customer base alone. The dialogs are opened
    without blocking, so tests and the window drive them by signals.
    """

    audience_imported = Signal(int)  # journey id, after a committed audience import
    customers_imported = Signal()  # after a committed import into the customer base
    finished = Signal()  # the flow is over (imported, cancelled, refused or failed)

    # What has an import in progress (ImportTarget.key): a journey's id, None for the
    # customer base, a name for the other kinds of import.
    _running: set[object] = set()

    def __init__(self, parent: QWidget | None, repo: JourneyRepository, journey_id: int | None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        # The parent widget is reached through parent(), never kept in an attribute: a
        # Python reference from child to parent would let the parent die with the
        # controller's wrapper, deleting the controller a second time.
        self._repo = repo
        self._journey_id = journey_id
        self._settings = settings if settings is not None else QSettings()
        self._target: AnyTarget = ImportTarget(journey_id)
        self._path = ""
        self._plan: ImportPlan | None = None
        self._mode = ADD
        self._worker: Worker | None = None
        self.preview_dialog: ImportPreviewDialog | None = None
        self.progress_dialog: ImportProgressDialog | None = None
        self.result_dialog: ImportResultDialog | None = None
        self.result: Any = None  # ImportResult, or EventImportResult for events

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
        if self._target.key in ImportController._running:
            prompts.show_error(self._parent_widget(), title, self._target.busy)
            self._end()
            return
        if path is None:
            path = prompts.ask_open_file(
                self._parent_widget(), f"{title} into {self._target.into}",
                self.last_folder(), self._target.file_filter)
            if not path:
                self._end()
                return
        self._path = path
        self._settings.setValue(LAST_FOLDER_KEY, str(Path(path).resolve().parent))
        dialog = self._open_preview(path)
        if dialog is None:
            self._end()
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._on_preview_accepted)
        dialog.rejected.connect(self._end)
        self.preview_dialog = dialog  # type: ignore[assignment]
        dialog.open()

    def _open_preview(self, path: str) -> QDialog | None:
        """The preview of ``path``, not yet shown; None when the user was told why not."""
        title = self._target.title
        try:
            preview = preview_csv(path)
        except CsvFileError as exc:
            prompts.show_error(self._parent_widget(), title,
                               f"{Path(path).name} cannot be imported.\n\n{exc}")
            return None
        audience = (0 if self._journey_id is None
                    else AudienceStore(self._repo).count(self._journey_id))
        assert isinstance(self._target, ImportTarget)
        return ImportPreviewDialog(preview, self._target, audience, self._parent_widget())

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
            f"{count_text(leaving, 'customer', 'customers')} of {self._target.into} "
            f"{'is' if leaving == 1 else 'are'} not in {Path(self._path).name} and will "
            "leave the journey; those on their way through it stop at their next step."
            "\n\nReplace the audience with the file?",
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
        ImportController._running.add(self._target.key)
        progress = ImportProgressDialog(self._target.title, text, self._parent_widget())
        worker = run_job(job, on_finished, self._on_worker_failed, *args,
                         on_progress=self._on_worker_progressed,
                         on_cancelled=self._on_worker_cancelled,
                         expected=(CsvFileError, RepositoryError))
        progress.cancel_requested.connect(worker.cancel)
        self.progress_dialog = progress
        self._worker = worker
        progress.show()

    @Slot(int, int, str)
    def _on_worker_progressed(self, done: int, total: int, rows: str) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.set_progress(int(rows or 0), done, total)

    def _announce(self, result: Any) -> None:
        """Tell the window what a committed import changed."""
        if self._journey_id is None:
            self.customers_imported.emit()
        else:
            self.audience_imported.emit(self._journey_id)

    @Slot(object)
    def _on_import_finished(self, result: Any) -> None:
        self._finish_worker()
        self.result = result
        if result.committed:
            self._announce(result)
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
        ImportController._running.discard(self._target.key)
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
