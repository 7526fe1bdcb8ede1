"""Imports from the window: an audience into the selected journey (or a CSV dropped on its
row), customers into the customer base, events, a delivery report into the outbox. The
flows themselves live in ``ui.imports``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from journey_desktop.domain.lifecycle import Action, refusal_text
from journey_desktop.ui.common.changes import (
    AUDIENCE_IMPORT_CHANGE,
    CUSTOMERS_IMPORT_CHANGE,
    DELIVERY_REPORT_CHANGE,
)
from journey_desktop.ui.common.formatting import sentence
from journey_desktop.ui.common.read_only import READ_ONLY_TIP
from journey_desktop.ui.main.base import MainWindowBase

if TYPE_CHECKING:  # imported when first used: a faster start
    from journey_desktop.ui.imports import EventsImportController, ImportController
    from journey_desktop.ui.imports.report import ReportImportController


class ImportActionsMixin(MainWindowBase):
    """Import audience, Import customers, Import events, Import delivery report and the CSV
    dropped on a row."""

    @Slot()
    def _on_import_audience_triggered(self) -> None:
        """Import an audience CSV into the selected journey, asking for the file."""
        journey_id = self.selected_journey_id()
        if journey_id is None:
            return
        self.import_audience(journey_id)

    @Slot(int, str)
    def import_audience(self, journey_id: int, path: str | None = None) -> ImportController:
        """Run the import flow (preview, progress, result) for a journey and a CSV file."""
        from journey_desktop.ui.imports import run_import_flow

        controller = run_import_flow(self, self.repository, journey_id, path,
                                     settings=self.settings.qsettings)
        controller.audience_imported.connect(self._on_import_audience_imported)
        return controller

    @Slot(int)
    def _on_import_audience_imported(self, journey_id: int) -> None:
        self.refresh_in_background()  # a large audience takes a while to count
        self.child_windows.tell_changed(journey_id, AUDIENCE_IMPORT_CHANGE)

    @Slot()
    def _on_import_customers_triggered(self) -> None:
        self.import_customers()

    def import_customers(self, path: str | None = None) -> ImportController:
        """Run the import flow into the customer base alone (File → Import customers…)."""
        from journey_desktop.ui.imports import run_customers_import_flow

        controller = run_customers_import_flow(self, self.repository, path,
                                               settings=self.settings.qsettings)
        # Journeys for everyone count the customer base.
        controller.customers_imported.connect(self._on_import_customers_imported)
        return controller

    @Slot()
    def _on_import_customers_imported(self) -> None:
        self.refresh_in_background()
        self.child_windows.tell_changed(None, CUSTOMERS_IMPORT_CHANGE)

    @Slot()
    def _on_import_delivery_report_triggered(self) -> None:
        self.import_delivery_report()

    def import_delivery_report(self, path: str | None = None) -> ReportImportController:
        """Apply a delivery report to the outbox (File → Import delivery report…)."""
        from journey_desktop.ui.imports.report import run_report_import_flow

        controller = run_report_import_flow(self, self.repository, path,
                                            settings=self.settings.qsettings)
        controller.report_imported.connect(self._on_delivery_report_imported)
        return controller

    @Slot()
    def _on_delivery_report_imported(self) -> None:
        self.child_windows.tell_changed(None, DELIVERY_REPORT_CHANGE)

    @Slot()
    def _on_import_events_triggered(self) -> None:
        self.import_events()

    def import_events(self, path: str | None = None) -> EventsImportController:
        """Run the events import flow (File → Import events…); the evaluator's next check
        takes the new events."""
        from journey_desktop.ui.imports import run_events_import_flow

        return run_events_import_flow(self, self.repository, path,
                                      settings=self.settings.qsettings)

    @Slot(int, str)
    def _on_table_csv_dropped(self, journey_id: int, path: str) -> None:
        summary = self.model.summary_at(self.model.row_of(journey_id)) \
            if self.model.row_of(journey_id) >= 0 else None
        if summary is None:
            return
        if self.read_only:
            self.say(READ_ONLY_TIP)
            return
        text = refusal_text(summary.name, summary.status, Action.IMPORT_AUDIENCE)
        if text is not None:
            self.say(sentence(text))
            return
        self.audience_file_dropped.emit(journey_id, path)
