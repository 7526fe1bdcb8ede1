"""Journey actions that follow the lifecycle: new, edit, clone, remove, deactivate,
validate and activate; each confirms in numbers and writes through ``write``."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Slot

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.domain.lifecycle import ACTIVE, Action, refusal
from journey_desktop.services.workers import JobControl
from journey_desktop.store.forecast import ForecastError
from journey_desktop.store.plan import KeptForecast, keep_activation_forecast
from journey_desktop.store.repository import RemovalCounts, RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.common.changes import ACTIVATION_CHANGE, DEACTIVATION_CHANGE
from journey_desktop.ui.common.formatting import count_text
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.main.base import MainWindowBase
from journey_desktop.ui.validate_dialog import ValidateDialog

NEW_JOURNEY_NAME = "New journey"


def keep_forecast_job(control: JobControl, journey_id: int) -> KeptForecast:
    return keep_activation_forecast(journey_id, cancelled=lambda: control.cancelled)


def removal_text(name: str, counts: RemovalCounts) -> str:
    """What Remove will delete, in numbers, for the confirmation."""
    parts = [
        count_text(counts.audience, "customer in its audience", "customers in its audience"),
        count_text(counts.runs, "entry", "entries")
        + (f" ({count_text(counts.in_progress, 'customer', 'customers')} in this journey now)"
           if counts.in_progress else ""),
        count_text(counts.messages, "message in the outbox", "messages in the outbox"),
    ]
    if counts.audience or counts.runs or counts.messages:
        lost = f"This deletes the journey with {parts[0]}, {parts[1]} and {parts[2]}."
    else:
        lost = "It has no audience, entries or messages yet."
    return f"Remove “{name}”?\n\n{lost}\n\nThis cannot be undone."


class LifecycleActionsMixin(MainWindowBase):
    """The slots of the lifecycle actions."""

    @Slot()
    def _on_new_triggered(self) -> None:
        with self.refusals("New journey"):
            name = self.repository.free_name(NEW_JOURNEY_NAME)
            journey_id = self.repository.create(minimal_journey(name))
            self.reveal(journey_id)
            self.say(f"Created the draft “{name}”.")
            self.open_editor(journey_id)

    @Slot()
    def _on_edit_triggered(self) -> None:
        journey_id = self.selected_journey_id()
        if journey_id is not None:
            self.open_editor(journey_id)

    @Slot()
    def _on_clone_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        with_audience = False
        audience = self.count_or_refusal("Clone journey", self.repository.audience_size,
                                          summary.id)
        if audience is None:
            return
        if audience:
            accepted, with_audience = prompts.confirm_with_option(
                self,
                "Clone journey",
                f"Clone “{summary.name}” into a new draft?\n\nThe copy starts with an empty "
                "audience unless you copy it too.",
                f"Also copy its audience ({count_text(audience, 'customer', 'customers')})",
                action="Clone",
            )
            if not accepted:
                return

        def cloned(new_id: int) -> None:
            self.reveal(new_id)
            copy = self.selected_journey()
            self.say(f"Cloned “{summary.name}” as “{copy.name if copy else ''}”.")

        self.write("Clone journey", f"Copying “{summary.name}” and its audience…", cloned,
                    partial(self.repository.clone, summary.id, with_audience=with_audience))

    @Slot()
    def _on_remove_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        counts = self.count_or_refusal("Remove journey", self.repository.removal_counts,
                                        summary.id)
        if counts is None:
            return
        if not prompts.confirm(self, "Remove journey", removal_text(summary.name, counts),
                               action="Remove", destructive=True):
            return
        if summary.status == ACTIVE:
            running = (f" and {count_text(counts.in_progress, 'customer is', 'customers are')}"
                       " on their way through it" if counts.in_progress else "")
            second = (f"“{summary.name}” is active: the evaluator is running it{running}."
                      "\n\nRemove it anyway? Its audience, runs and outbox are deleted "
                      "for good.")
            if not prompts.confirm(self, "Remove an active journey", second,
                                   action="Remove anyway", destructive=True):
                return
        row = self.proxy.proxy_row_of(summary.id)

        def removed(_: object) -> None:
            self.refresh()
            remaining = self.proxy.rowCount()
            if remaining:
                self.table.selectRow(min(max(row, 0), remaining - 1))
            self.update_actions()
            self.say(f"Removed “{summary.name}”.")

        self.write("Remove journey", f"Removing “{summary.name}”…", removed,
                    partial(self.repository.remove, summary.id))

    @Slot()
    def _on_deactivate_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None or refusal(summary.status, Action.DEACTIVATE) is not None:
            return
        in_progress = self.count_or_refusal("Deactivate journey",
                                             self.repository.runs_in_progress, summary.id)
        if in_progress is None:
            return
        if in_progress:
            ending = (f"The {count_text(in_progress, 'customer', 'customers')} in this journey "
                      "stop where they are and no further messages are written.")
        else:
            ending = "No further messages are written."
        text = (f"Deactivate “{summary.name}”?\n\nThis is irreversible: a deactivated journey "
                f"can never be activated again. {ending}\n\nIt stays viewable and clonable, "
                "with its statistics and outbox.")
        if not prompts.confirm(self, "Deactivate journey", text, action="Deactivate",
                               destructive=True):
            return

        def deactivated(stopped: int) -> None:
            self._editor_check_status(summary.id)
            self.refresh(select_id=summary.id)
            self.child_windows.tell_changed(summary.id, DEACTIVATION_CHANGE)
            self.say(f"Deactivated “{summary.name}”; "
                      f"{count_text(stopped, 'customer', 'customers')} in this journey stopped.")

        self.write("Deactivate journey", f"Deactivating “{summary.name}”…", deactivated,
                    partial(self.repository.deactivate, summary.id))

    @Slot()
    def _on_validate_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        editor = self.child_windows.editor(summary.id)
        if editor is not None and not editor.read_only:
            self.open_editor(summary.id)
            editor.validate()  # what the editor shows, saved or not
            return
        with self.refusals("Validate journey"):
            result = self.repository.validate(summary.id)
            dialog = ValidateDialog(summary.name, result, self,
                                    can_open_editor=True)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.problem_activated.connect(
                partial(self._on_validate_dialog_problem_activated, summary.id, dialog))
            dialog.open()

    def _on_validate_dialog_problem_activated(self, journey_id: int, dialog: ValidateDialog,
                                              node_id: str, field: str) -> None:
        """Open the editor at the problem; the dialog then follows the editor's edits."""
        following = self.child_windows.editor(journey_id) is not None
        self.open_editor(journey_id, node_id or None)
        editor = self.child_windows.editor(journey_id)
        if editor is not None:
            editor.show_problem(node_id, field)
            if not following:
                editor.follow(dialog)

    def _editor_check_status(self, journey_id: int) -> None:
        """An open editor of the journey turns read-only at once."""
        editor = self.child_windows.editor(journey_id)
        if editor is not None:
            editor.check_status()

    @Slot()
    def _on_activate_triggered(self) -> None:
        """Open the modal activation dialog on the selected draft."""
        summary = self.selected_journey()
        if summary is None:
            return
        editor = self.child_windows.editor(summary.id)
        if editor is not None and not editor.save_before("activating"):
            return  # activation takes the stored journey: the one the editor shows
        with self.refusals("Activate journey"):
            from journey_desktop.ui.activate_dialog import ActivateDialog

            next_tick = self.scheduler.next_tick_at if self.scheduler is not None else None
            dialog = ActivateDialog(self.repository, summary.id, self, next_tick_at=next_tick)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.activated.connect(self._on_activate_dialog_activated)
            dialog.open()

    @Slot(int)
    def _on_activate_dialog_activated(self, journey_id: int) -> None:
        self._editor_check_status(journey_id)
        self.refresh(select_id=journey_id)
        self.child_windows.tell_changed(journey_id, ACTIVATION_CHANGE)
        self.say("Journey activated: the evaluator checks its audience at the next tick.")
        self.keep_forecast(journey_id)

    def keep_forecast(self, journey_id: int) -> None:
        """Keep the forecast from the activation, which the statistics hold the journey
        against (plan against actual), in a job: it runs the evaluator on a copy."""
        def done(kept: KeptForecast) -> None:
            self.say(f"Forecast kept for plan against actual: "
                     f"{count_text(kept.days, 'day', 'days')}.")

        def failed(message: str) -> None:
            self.say(f"The forecast was not kept, so the statistics will have no plan to "
                     f"hold the journey against: {message}")

        run_job(keep_forecast_job, done, failed, journey_id,
                expected=(ForecastError, RepositoryError, ValueError))
