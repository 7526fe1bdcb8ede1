"""The editor's way to launch: Validate and Activate on what it shows, and read-only at
once when its journey is activated, deactivated or removed elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QToolBar,
)

from journey_desktop.domain.lifecycle import ACTIVE, Action, refusal
from journey_desktop.store import store_is_read_only
from journey_desktop.store.postgres import READ_ONLY_ROLE
from journey_desktop.store.repository import (
    JourneyRepository,
    RepositoryError,
)
from journey_desktop.ui import prompts
from journey_desktop.ui.common.read_only import refuse_writes
from journey_desktop.ui.validate_dialog import ValidateDialog

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from journey_desktop.ui.editor.canvas import JourneyCanvas
    from journey_desktop.ui.editor.document import JourneyDocument
    from journey_desktop.ui.editor.goal_panel import GoalPanel
    from journey_desktop.ui.editor.panel import PropertiesPanel


class LaunchMixin(QMainWindow):
    """Validate, Activate and the status poll of the editor window."""

    status_changed = Signal(int)  # activated here, or found activated or removed elsewhere

    repo: JourneyRepository
    journey_id: int
    status: str
    removed: bool
    document: JourneyDocument
    canvas: JourneyCanvas
    panel: PropertiesPanel
    goal_panel: GoalPanel
    name_edit: QLineEdit
    description_edit: QLineEdit
    audience_combo: QComboBox
    banner: QFrame
    banner_label: QLabel
    clone_button: QPushButton
    validate_button: QPushButton
    activate_button: QPushButton
    node_palette: QToolBar
    save_action: QAction
    delete_action: QAction
    layout_action: QAction
    undo_action: QAction
    redo_action: QAction
    palette_actions: dict[str, QAction]
    _validate_dialog: ValidateDialog | None

    if TYPE_CHECKING:
        @property
        def read_only(self) -> bool: ...
        def save(self) -> bool: ...
        def check_status(self) -> None: ...
        def show_problem(self, node_id: str, field: str) -> None: ...
        def _on_document_meta_changed(self) -> None: ...

    def validate(self) -> ValidateDialog:
        """The Validate dialog on what the editor shows, kept up to date as it changes."""
        dialog = self._validate_dialog
        if dialog is None:
            dialog = ValidateDialog(self.document.journey.name, self.document.validation,
                                    self, can_open_editor=True)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.problem_activated.connect(self.show_problem)
            self.document.validated.connect(dialog.set_result)
            dialog.destroyed.connect(self._on_validate_dialog_destroyed)
            self._validate_dialog = dialog
        dialog.show()
        dialog.raise_()
        return dialog

    def follow(self, dialog: ValidateDialog) -> None:
        """Keep a Validate dialog opened elsewhere up to date with this editor's journey."""
        dialog.set_result(self.document.validation)
        self.document.validated.connect(dialog.set_result)

    def save_before(self, what: str) -> bool:
        """True when the stored journey is what the editor shows, saving it if the user
        agrees; ``what`` is the action that needs it ("activating")."""
        if self.read_only or self.document.undo_stack.isClean():
            return True
        name = self.document.journey.name or "this journey"
        if not prompts.confirm(self, "Unsaved changes",
                               f"Save the changes to “{name}” before {what}?",
                               action="Save"):
            return False
        return self.save()

    def activate(self) -> None:
        """Save (asking first), then open the activation dialog on the saved journey."""
        if refusal(self.status, Action.ACTIVATE) is not None or not self.save_before(
                "activating"):
            return
        from journey_desktop.ui.activate_dialog import ActivateDialog

        try:
            dialog = ActivateDialog(self.repo, self.journey_id, self)
        except RepositoryError as exc:
            prompts.show_error(self, "Cannot activate the journey", str(exc))
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.activated.connect(self._on_activate_dialog_activated)
        dialog.open()

    def _banner_text(self, lost_changes: bool = False) -> str:
        if self.removed:
            return ("This journey was <b>removed</b>; what you see can no longer be saved.")
        if store_is_read_only():
            return (f"You are viewing this {self.status} journey: "
                    f"{READ_ONLY_ROLE}, so nothing here can be saved.")
        if self.status == ACTIVE:
            text = ("This journey is <b>active</b> and read-only: its definition is frozen "
                    "while it runs. Clone it to make changes.")
        else:
            text = (f"This journey is <b>{self.status}</b> and read-only. "
                    "Clone it to make a new draft from it.")
        if lost_changes:
            text += (" It was changed elsewhere while you edited: your unsaved changes "
                     "cannot be saved, and the clone starts from the stored journey.")
        return text

    def _update_editable(self) -> None:
        """Enable what a draft allows; everything that edits is off once read-only."""
        editable = not self.read_only
        for action in [self.save_action, self.delete_action, self.layout_action,
                       *self.palette_actions.values()]:
            action.setEnabled(editable)
        self.node_palette.setEnabled(editable)
        if not editable:
            self.undo_action.setEnabled(False)
            self.redo_action.setEnabled(False)
        for button, check in ((self.validate_button, Action.VALIDATE),
                              (self.activate_button, Action.ACTIVATE)):
            why = "it was removed" if self.removed else refusal(self.status, check)
            button.setEnabled(why is None)
            if button is self.activate_button:
                button.setToolTip("Save, then choose the re-entry options and activate"
                                  if why is None else f"Cannot be {check.value}: {why}")
        refuse_writes(self.activate_button, self.clone_button)  # a role that may only read

    def _become_read_only(self) -> None:
        lost_changes = not self.document.undo_stack.isClean()
        self.document.read_only = True
        self.document.undo_stack.clear()
        self.canvas.set_read_only(True)
        self.panel.show_node(self.panel.node_id)
        self.goal_panel.refresh()
        for edit in (self.name_edit, self.description_edit):
            edit.setReadOnly(True)
        self.audience_combo.setEnabled(False)
        self.banner_label.setText(self._banner_text(lost_changes))
        self.banner.setVisible(True)
        self.clone_button.setVisible(not self.removed)
        self._update_editable()
        self._on_document_meta_changed()

    @Slot()
    def _on_validate_button_clicked(self) -> None:
        self.validate()

    @Slot()
    def _on_activate_button_clicked(self) -> None:
        self.activate()

    @Slot(int)
    def _on_activate_dialog_activated(self, _journey_id: int) -> None:
        self.check_status()

    @Slot()
    def _on_validate_dialog_destroyed(self) -> None:
        self._validate_dialog = None
