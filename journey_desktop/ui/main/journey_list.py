"""Loading the journey list: at once on a small database; on a large one, the journeys at
once with the counts they had, and the counts from a job (one at a time, folded)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QThreadPool, QTimer, Slot

from journey_desktop.services.workers import Worker
from journey_desktop.store.repository import JourneySummary
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.main.base import MainWindowBase


class JourneyListMixin(MainWindowBase):
    """The list's loading, its counts label and its filters."""

    def _init_list(self) -> None:
        self._list_pool = QThreadPool(self)
        self._list_pool.setMaxThreadCount(1)
        self._list_job: Worker | None = None
        self._list_reload_pending = False

    def refresh(self, select_id: int | None = None) -> None:
        """Reload the list from the database, keeping (or moving to) the selected journey.

        On a large database the journeys are read at once, with the counts they had (blank
        for new ones), and the counts follow from a job: counting a million customers,
        runs and messages takes half a second."""
        self._load(select_id, at_start=False)

    def _load(self, select_id: int | None, *, at_start: bool) -> None:
        if self.counts_inline():
            self._show_summaries(self.repository.summaries(), select_id)
            if self._list_job is not None:  # its counts were read before these
                self._list_reload_pending = True
            else:
                self.journeys_counted.emit()
            return
        known = {s.id: s for s in self.model.summaries()}
        fresh = [_with_counts_of(s, known.get(s.id))
                 for s in self.repository.summaries(counts=False)]
        self._show_summaries(fresh, select_id)
        if at_start:  # once the window is up
            QTimer.singleShot(0, self, self.refresh_in_background)
        else:
            self.refresh_in_background()

    def refresh_in_background(self) -> None:
        """Reload the list, counts included, off the GUI thread; ``journeys_counted`` tells
        when it is shown.

        Used by ``refresh()``, after evaluator ticks, which come unasked, and after imports.
        A request made while one is running is folded into one more reload after it, and
        the running one's result, read before the request, is not shown."""
        if self._list_job is not None:
            self._list_reload_pending = True
            return
        summaries = self.repository.summaries
        self._list_job = run_job(lambda _control: summaries(), self._on_list_job_finished,
                                 self._on_list_job_failed, pool=self._list_pool)

    def _show_summaries(self, summaries: list[JourneySummary], select_id: int | None) -> None:
        keep = select_id if select_id is not None else self.selected_journey_id()
        self.model.set_summaries(summaries)
        self._update_stack()
        if keep is not None:
            self.select_journey(keep)
        self._update_count_label()
        self.update_actions()
        self.journeys_reloaded.emit()

    @Slot(object)
    def _on_list_job_finished(self, summaries: list[JourneySummary]) -> None:
        self._list_job = None
        if self._list_reload_pending:
            self._list_reload_pending = False
            self.refresh_in_background()
            return
        self._show_summaries(summaries, None)
        self.journeys_counted.emit()

    @Slot(str)
    def _on_list_job_failed(self, message: str) -> None:
        self._list_job = None
        self._list_reload_pending = False
        self.say(f"The list could not be reloaded: {message}")

    def _update_stack(self) -> None:
        empty = self.model.rowCount() == 0
        self.stack.setCurrentWidget(self.empty_state if empty else self.table)

    def _update_count_label(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        noun = "journey" if total == 1 else "journeys"
        if shown == total:
            self.count_label.setText(f"{total:,} {noun}")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} {noun}")

    @Slot(str)
    def _on_search_box_text_changed(self, text: str) -> None:
        self.proxy.set_search_text(text)
        self._after_filter()

    @Slot(int)
    def _on_status_filter_changed(self, index: int) -> None:
        self.proxy.set_status_filter(str(self.status_filter.itemData(index) or ""))
        self._after_filter()

    def _after_filter(self) -> None:
        self._update_count_label()
        self.update_actions()

    def wait_for_background_work(self) -> None:
        """Wait for the list's job (the application is ending)."""
        self._list_pool.waitForDone()


def _with_counts_of(summary: JourneySummary, counted: JourneySummary | None) -> JourneySummary:
    """An uncounted summary with the counts last read for the same journey, if any."""
    if counted is None:
        return summary
    return replace(summary, audience=counted.audience, entered=counted.entered,
                   in_progress=counted.in_progress, messages=counted.messages)
