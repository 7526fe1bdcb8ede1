"""The journey report from the list (SPEC §15, the down arrow): one CSV row per customer
and entry, written in a job through the store's report writer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Slot

from journey_desktop.domain.journey_file import file_stem
from journey_desktop.domain.lifecycle import Action, refusal_text
from journey_desktop.services.workers import JobControl
from journey_desktop.store.journey_report import save_report
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.repository import RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.common.formatting import count_text, sentence
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.main.base import MainWindowBase

REPORT_TITLE = "Journey report"


def report_job(control: JobControl, path: str, journey_id: int, name: str,
               delimiter: str, tz: dt.tzinfo | None) -> int:
    """The report's rows written beside ``path`` and moved in place when complete."""
    def progress(rows: int) -> None:
        control.progress(rows, 0, f"Writing the journey report of “{name}”… {rows:,} rows")

    return save_report(path, journey_id, name, tz=tz, delimiter=delimiter, progress=progress)


class ReportActionsMixin(MainWindowBase):
    """Journey report…: a save dialog with the comma or semicolon form, then the job."""

    _report_format = ""  # the form chosen last time (the save dialog's filter)

    @Slot()
    def _on_report_triggered(self) -> None:
        from journey_desktop.ui.outbox.window import CSV_FORMATS

        summary = self.selected_journey()
        if summary is None:
            return
        text = refusal_text(summary.name, summary.status, Action.REPORT)
        if text is not None:
            self.show_refusal(REPORT_TITLE, text)
            return
        suggested = str(Path.home() / f"{file_stem(summary.name)}-report.csv")
        answer = prompts.ask_save_file_as(self, REPORT_TITLE, suggested, list(CSV_FORMATS),
                                          self._report_format or next(iter(CSV_FORMATS)))
        if not answer:
            return
        path, self._report_format = answer
        if not Path(path).suffix:
            path += ".csv"
        try:
            check_output_path(path)
        except DatabaseOutputError as exc:
            self.show_refusal(REPORT_TITLE, f"Nothing was written: {exc}")
            return
        self.say(f"Writing the journey report of “{summary.name}”…")

        def done(rows: int) -> None:
            self.say(f"Saved the journey report of “{summary.name}” to {path} "
                     f"({count_text(rows, 'row', 'rows')}).")

        def failed(message: str) -> None:
            self.statusBar().clearMessage()
            self.show_refusal(REPORT_TITLE, f"The report was not written: {sentence(message)}")

        run_job(report_job, done, failed, path, summary.id, summary.name,
                CSV_FORMATS.get(self._report_format, ","), None,
                on_progress=lambda _done, _total, note: self.statusBar().showMessage(note),
                expected=(OSError, DatabaseOutputError, RepositoryError))
