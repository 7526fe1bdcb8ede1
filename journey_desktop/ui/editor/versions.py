"""The editor among several editors (SPEC §14): the version it loaded, the save conflict
(Reload, Save as copy, Cancel), and others' changes seen while it is open — reloaded at
once when nothing here is unsaved, otherwise said ("changed by Anna at 14:05") and left
to the conflict at Save."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from journey_desktop.domain.edit_words import changed_by_text
from journey_desktop.domain.lifecycle import Action, refusal
from journey_desktop.store.journey_versions import EditState, StaleJourneyError
from journey_desktop.store.journey_watch import JourneyChange
from journey_desktop.store.repository import JourneyNotFoundError, RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.editor.launch import LaunchMixin
from journey_desktop.ui.editor.layout import auto_layout

CONFLICT_TITLE = "Someone saved this journey first"


class VersionsMixin(LaunchMixin):
    """The loaded version, the conflict at Save, others' changes while open."""

    journey_saved = Signal(int)

    version: int
    changed_banner: QFrame
    changed_label: QLabel

    if TYPE_CHECKING:
        def open_draft(self, journey_id: int) -> None: ...

    def _changed_banner(self) -> QWidget:
        """The line shown while unsaved changes here sit on an older version."""
        banner = QFrame()
        banner.setObjectName("changed_elsewhere_banner")
        banner.setStyleSheet("#changed_elsewhere_banner { background: #fde8e7;"
                             " border-bottom: 1px solid #f4b4ae; }")
        row = QHBoxLayout(banner)
        row.setContentsMargins(14, 8, 14, 8)
        self.changed_label = QLabel()
        self.changed_label.setObjectName("changed_elsewhere_text")
        self.changed_label.setWordWrap(True)
        row.addWidget(self.changed_label, 1)
        banner.setVisible(False)
        self.changed_banner = banner
        return banner

    def save(self) -> bool:
        """Store the draft over the version loaded; a refusal is shown, not raised, and a
        newer version saved by someone else asks: Reload, Save as copy or Cancel."""
        if self.read_only:
            return False
        try:
            self.version = self.repo.save(self.journey_id, self.document.journey,
                                          version=self.version)
        except StaleJourneyError as exc:
            self.resolve_conflict(exc)
            return False
        except RepositoryError as exc:
            prompts.show_error(self, "Cannot save the journey", str(exc))
            self.check_status()
            return False
        self.document.taken_names = self.repo.names(excluding=self.journey_id)
        self.document.undo_stack.setClean()
        self.changed_banner.setVisible(False)
        self.statusBar().showMessage("Saved.", 4000)
        self.journey_saved.emit(self.journey_id)
        return True

    def resolve_conflict(self, exc: StaleJourneyError) -> str:
        """Ask what to do with a save someone else's came before; returns the answer."""
        answer = prompts.ask_conflict(self, CONFLICT_TITLE, str(exc))
        if answer == prompts.CONFLICT_RELOAD:
            self.reload_stored()
            self.statusBar().showMessage("Reloaded: your changes were discarded.", 6000)
        elif answer == prompts.CONFLICT_COPY:
            try:
                copy_id = self.repo.create_copy(self.document.journey)
            except RepositoryError as error:
                prompts.show_error(self, "Cannot save a copy", str(error))
                return prompts.CONFLICT_CANCEL
            self.reload_stored()
            self.statusBar().showMessage("Your version was saved as a new draft.", 6000)
            self.open_draft(copy_id)
        return answer

    def reload_stored(self) -> None:
        """Show the journey as stored now, discarding what is unsaved here."""
        try:
            stored = self.repo.get(self.journey_id)
        except JourneyNotFoundError:
            self.check_status()
            return
        doc = self.document
        doc.undo_stack.clear()
        doc.journey = stored.journey
        if any(node.position is None for node in stored.journey.nodes):
            doc.set_positions_silently(auto_layout(stored.journey))
        doc.taken_names = self.repo.names(excluding=self.journey_id)
        doc.audience_columns = self.repo.known_fields() or None
        self.version = stored.version
        doc.revalidate()
        self.canvas.reload()
        self.panel.show_node(self.panel.node_id)
        self.goal_panel.refresh()
        doc.meta_changed.emit()
        doc.rules_changed.emit()
        self.changed_banner.setVisible(False)
        self.setWindowModified(False)
        if stored.status != self.status:
            self.check_status()

    def notice_others_change(self, change: JourneyChange) -> None:
        """Someone wrote journeys (the main window's watch): look if this one is among."""
        if change.concerns(self.journey_id):
            self.check_status()

    def check_status(self) -> None:
        """Read-only at once when activated, deactivated or removed elsewhere; a newer
        version reloaded, or said when there are unsaved changes here."""
        if self.removed:
            return
        try:
            state = self.repo.edit_state(self.journey_id)
        except JourneyNotFoundError:
            state = None
        except RepositoryError:
            return  # a busy database: ask again at the next poll
        self._apply_status("removed" if state is None else state.status)
        if state is not None and state.version > self.version and not self.read_only:
            self._notice_newer(state)

    def _notice_newer(self, state: EditState) -> None:
        words = changed_by_text(state.updated_by, state.updated_at, int(time.time()))
        if self.document.undo_stack.isClean():
            self.reload_stored()
            self.statusBar().showMessage(f"Reloaded: {words}.", 8000)
            return
        name = self.document.journey.name or "This journey"
        self.changed_label.setText(
            f"<b>{name}</b> was {words}. Your changes here are not saved yet: saving will "
            "offer to reload theirs or to save yours as a copy.")
        self.changed_banner.setVisible(True)

    def _apply_status(self, status: str) -> None:
        if status == "removed":
            self.removed = True
        if status != self.status:
            self.status = status
            if refusal(status, Action.EDIT) is not None:
                self.changed_banner.setVisible(False)
                self._become_read_only()
            self.status_changed.emit(self.journey_id)
