"""The activation dialog of SPEC §3: re-entry options, what they mean in words, and the
problems that block activation or deserve a second look."""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.activation_words import describe_activation, first_checks_in_words
from journey_desktop.domain.filters import waits_for_a_day
from journey_desktop.domain.journey import AUDIENCE_ALL, Activation, Journey
from journey_desktop.domain.late_sends import proposed_check_at
from journey_desktop.domain.validation import ValidationResult
from journey_desktop.services.workers import Worker
from journey_desktop.store.repository import (
    JourneyRepository,
    RepositoryError,
)
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.ui.activation_inputs import ActivationInputs
from journey_desktop.ui.common.colours import ERROR_COLOR, WARNING_COLOR
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.guide import SECTION_ACTIVATE, add_help

EMPTY_AUDIENCE_NOTE = ("No customers yet: import an audience after activating, or choose "
                       "Everyone as the journey's audience in the editor.")
EMPTY_BASE_NOTE = ("No customers yet: the customer base is empty; customers imported later "
                   "enter at the next check.")
ONE_DAY_NOTE = ("Re-entry is off, so each customer is checked once, when first seen: this "
                "date filter only ever greets the customers whose date is today then, never "
                "the others when their day comes. Allow re-entry (once a day) to greet each "
                "on their day.")


def activation_notes(journey: Journey, audience: int) -> list[str]:
    """What the user should know before activating that is not a problem of the design:
    an empty audience, a date filter that re-entry off checks on one day only."""
    notes: list[str] = []
    if audience == 0:
        notes.append(EMPTY_BASE_NOTE if journey.audience == AUDIENCE_ALL
                     else EMPTY_AUDIENCE_NOTE)
    entry = journey.entry()
    if (not journey.activation.allow_reentry and entry is not None
            and waits_for_a_day(entry.filter)):
        notes.append(ONE_DAY_NOTE)
    return notes


class ActivateDialog(QDialog):
    """Modal: ``exec()`` returns Accepted only when the journey was activated."""

    activated = Signal(int)  # journey id

    def __init__(
        self, repo: JourneyRepository, journey_id: int, parent: QWidget | None = None,
        *, activation: Activation | None = None, next_tick_at: int | None = None,
        clock: Callable[[], float] = time.time, tz: dt.tzinfo | None = None,
    ) -> None:
        """``activation``: options to start from instead of the stored ones (the forecast's);
        ``next_tick_at``: the evaluator's next tick, the first check (else a tick interval
        from now, by ``clock``), said in words in the zone ``tz`` (None: the computer's)."""
        super().__init__(parent)
        self.setObjectName("activate_dialog")
        self.setModal(True)
        self._repo = repo
        self._journey_id = journey_id
        self._show_errors = False
        self._worker: Worker | None = None
        stored = repo.get(journey_id)
        self._journey = stored.journey
        self._version = stored.version  # what it shows: a newer one is refused, not activated
        self._audience = repo.audience_size(journey_id)
        self._notes: list[str] = []
        self.setWindowTitle(f"Activate “{stored.journey.name}”")

        intro = QLabel(
            "Once active, the journey runs on the evaluator's timer and its design is "
            "frozen: to change it later, clone it."
        )
        intro.setWordWrap(True)

        self.inputs = ActivationInputs(self)
        self.reentry_checkbox = self.inputs.reentry_checkbox
        self.max_entries_edit = self.inputs.max_entries_edit
        self.timeout_value = self.inputs.timeout_value
        self.timeout_unit = self.inputs.timeout_unit
        timeout_row = QHBoxLayout()
        timeout_row.setContentsMargins(0, 0, 0, 0)
        timeout_row.addWidget(self.timeout_value)
        timeout_row.addWidget(self.timeout_unit, 1)
        timeout_box = QWidget()
        timeout_box.setLayout(timeout_row)
        timeout_box.setToolTip("The minimum time between two checks of the same customer, "
                               "and so between two entries. One day suits date journeys.")

        form = QFormLayout()
        form.addRow(self.reentry_checkbox)
        self.max_entries_label = QLabel("Maximum entries:")
        self.max_entries_label.setBuddy(self.max_entries_edit)
        form.addRow(self.max_entries_label, self.max_entries_edit)
        self.timeout_label = QLabel("Minimum time between entries:")
        self.timeout_label.setBuddy(self.timeout_value)
        form.addRow(self.timeout_label, timeout_box)
        self.check_at_edit = self.inputs.check_at_edit
        self.check_at_label = QLabel("Check at:")
        self.check_at_label.setBuddy(self.check_at_edit)
        self._proposal = proposed_check_at(self._journey)
        self.check_at_hint = QLabel()
        self.check_at_hint.setObjectName("check_at_hint")
        self.check_at_hint.setWordWrap(True)
        self.check_at_hint.setTextFormat(Qt.TextFormat.RichText)
        self.check_at_hint.linkActivated.connect(self._on_check_at_hint_link_activated)
        check_at_row = QHBoxLayout()
        check_at_row.setContentsMargins(0, 0, 0, 0)
        check_at_row.addWidget(self.check_at_edit)
        self.check_at_note = QLabel("local time; blank for off")
        self.check_at_note.setEnabled(False)  # greyed: a note, not a value
        check_at_row.addWidget(self.check_at_note, 1)
        form.addRow(self.check_at_label, check_at_row)
        form.addRow(self.check_at_hint)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("summary_label")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("QLabel { font-weight: 600; padding: 6px 0 0 0; }")
        self.schedule_label = QLabel()
        self.schedule_label.setObjectName("schedule_label")
        self.schedule_label.setWordWrap(True)
        self._clock = clock
        self._tz = tz
        self._next_tick_at = next_tick_at
        self._tick_interval = SettingsRepository().tick_interval()
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problems_label")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.RichText)
        for label in (intro, self.summary_label, self.schedule_label, self.problems_label):
            # Word-wrapped labels take the height their text needs at the dialog's width.
            policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
            policy.setHeightForWidth(True)
            label.setSizePolicy(policy)

        self.buttons = QDialogButtonBox()
        self.activate_button = self.buttons.addButton(
            "Activate", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.activate_button.setObjectName("activate_dialog_button")
        self.activate_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_activate_clicked)
        self.buttons.rejected.connect(self.reject)
        add_help(self, SECTION_ACTIVATE, self.buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.schedule_label)
        layout.addWidget(self.problems_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

        self.inputs.set_options(activation or stored.journey.activation)
        self.inputs.changed.connect(self._on_options_changed)
        self._on_options_changed()

    def activation(self) -> Activation:
        """The options as entered (blank maximum = unlimited)."""
        return self.inputs.options()

    @Slot()
    def _on_options_changed(self) -> None:
        reentry = self.reentry_checkbox.isChecked()
        for widget in (self.max_entries_edit, self.max_entries_label, self.timeout_value,
                       self.timeout_unit, self.timeout_label):
            widget.setEnabled(reentry)
        self.check_at_edit.setEnabled(self.inputs.check_at_applies())
        self.check_at_label.setEnabled(self.inputs.check_at_applies())
        activation = self.activation()
        self.summary_label.setText(describe_activation(activation))
        self._show_schedule(activation)
        journey = self._journey.copy()
        journey.activation = activation
        try:
            self._notes = activation_notes(journey, self._audience)
            self._show_result(self._repo.validate(self._journey_id, journey))
        except RepositoryError as exc:
            self._show_message(str(exc))

    def _show_schedule(self, activation: Activation) -> None:
        """When the first messages can go out, and the Check at proposed for a date journey."""
        now = int(self._clock())
        first = self._next_tick_at
        if first is None or first < now:
            first = now + self._tick_interval
        on_event = self._journey.trigger() is not None
        self.schedule_label.setText("" if on_event else first_checks_in_words(
            activation, first, now, self._tz))
        self.schedule_label.setVisible(not on_event)
        proposal = self._proposal
        show = (proposal is not None and self.inputs.check_at_applies()
                and not self.check_at_edit.text().strip())
        self.check_at_hint.setVisible(show)
        if show:
            self.check_at_hint.setText(
                f"Proposed for this date journey: <a href='{proposal}'>check at {proposal}"
                "</a>, so that each customer is checked at that time on their day.")

    @Slot(str)
    def _on_check_at_hint_link_activated(self, link: str) -> None:
        self.check_at_edit.setText(link)

    @property
    def activating(self) -> bool:
        """True while the activation runs in its worker."""
        return self._worker is not None

    @Slot()
    def _on_activate_clicked(self) -> None:
        if self._worker is not None:
            return
        activation = self.activation()
        journey = self._journey.copy()
        journey.activation = activation
        try:
            result = self._repo.validate(self._journey_id, journey)
        except RepositoryError as exc:
            self._show_message(str(exc))
            return
        if not result.ok:
            self._show_errors = True
            self._show_result(result)
            return
        # Making a large audience due takes seconds (about 1.7 s for a million customers):
        # the window stays usable meanwhile, the dialog waits.
        self._set_busy(True)
        activate = partial(self._repo.activate, self._journey_id, activation,
                           version=self._version)
        self._worker = run_job(lambda _control: activate(), self._on_worker_finished,
                               self._on_worker_failed)

    @Slot(object)
    def _on_worker_finished(self, result: ValidationResult) -> None:
        self._worker = None
        if result.ok:
            self.activated.emit(self._journey_id)
            self.accept()
            return
        self._set_busy(False)
        self._show_errors = True
        self._show_result(result)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._worker = None
        self._set_busy(False)
        self._show_message(message)

    def _set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        self.reentry_checkbox.setEnabled(not busy)
        if busy:
            for widget in (self.max_entries_edit, self.timeout_value, self.timeout_unit,
                           self.check_at_edit):
                widget.setEnabled(False)
            self.problems_label.setText("<p><b>Activating…</b></p>")
            self.problems_label.setVisible(True)
            self._fit()
        else:
            self._on_options_changed()  # the fields as re-entry allows, the warnings again

    def reject(self) -> None:  # Qt override: not while the activation is being written
        if self._worker is None:
            super().reject()

    def _show_result(self, result: ValidationResult) -> None:
        parts: list[str] = []
        if self._show_errors and result.errors:
            parts.append(
                f"<p style='color:{ERROR_COLOR}'><b>Cannot activate: fix these problems "
                "first.</b></p>" + _items(result.errors, ERROR_COLOR)
            )
        warnings = [*self._notes, *result.warnings]
        if warnings:
            parts.append(
                f"<p style='color:{WARNING_COLOR}'><b>Warnings</b> (activation is still "
                "possible)</p>" + _items(warnings, WARNING_COLOR)
            )
        self.problems_label.setText("".join(parts))
        self.problems_label.setVisible(bool(parts))
        self._fit()

    def _show_message(self, text: str) -> None:
        self.problems_label.setText(
            f"<p style='color:{ERROR_COLOR}'><b>{html.escape(text)}</b></p>"
        )
        self.problems_label.setVisible(True)
        self._fit()

    def _fit(self) -> None:
        """Grow (never squash the inputs) to the height the texts need at this width."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        width = self.width()
        needed = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
                  else layout.totalSizeHint().height())
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(width, needed)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override: wider needs less
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()


def _items(problems: Sequence[object], color: str) -> str:
    rows = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
    return f"<ul style='color:{color}; margin-top:0'>{rows}</ul>"
