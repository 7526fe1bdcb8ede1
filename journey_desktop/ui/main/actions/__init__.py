"""The main window's actions: built once, enabled where they apply to the selection, with
the lifecycle's own refusal as the tooltip of a disabled one. The slots live beside, one
module per family (lifecycle, files, imports)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from journey_desktop import APP_NAME
from journey_desktop.domain.lifecycle import Action, refusal
from journey_desktop.store.postgres import READ_ONLY_ROLE
from journey_desktop.ui.common.colours import CAUTION_COLOR, ERROR_COLOR, GO_COLOR
from journey_desktop.ui.common.formatting import sentence
from journey_desktop.ui.common.read_only import READ_ONLY_TIP
from journey_desktop.ui.icons import icon
from journey_desktop.ui.main.base import MainWindowBase

NO_SELECTION = "Select a journey first"


class ActionsMixin(MainWindowBase):
    """Builds the actions and keeps their enabled state and tooltips true."""

    def _action(self, name: str, text: str, icon_name: str | None = None, *,
                shortcut: (QKeySequence | QKeySequence.StandardKey | str | list[QKeySequence]
                           | None) = None,
                color: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if icon_name:
            action.setIcon(icon(icon_name, color))
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        return action

    def create_actions(self) -> None:
        a = self._action
        self.action_new = a("action_new", "&New", "new", shortcut=QKeySequence.StandardKey.New,
                            tip="Create a draft journey")
        self.action_edit = a("action_edit", "&Edit", "edit",
                             shortcut=[QKeySequence(Qt.Key.Key_Return),
                                       QKeySequence(Qt.Key.Key_Enter)],
                             tip="Open the selected journey")
        self.action_clone = a("action_clone", "&Clone", "clone", shortcut="Ctrl+D",
                              tip="Copy the selected journey into a new draft")
        self.action_remove = a("action_remove", "&Remove", "remove",
                               shortcut=QKeySequence(Qt.Key.Key_Delete), color=ERROR_COLOR,
                               tip="Delete the selected journey with its audience and outbox")
        self.action_import_audience = a("action_import_audience", "&Import audience",
                                        "import", shortcut="Ctrl+I",
                                        tip="Load customers from a CSV file")
        self.action_deactivate = a("action_deactivate", "&Deactivate", "deactivate",
                                   color=CAUTION_COLOR,
                                   tip="End the selected active journey for good")
        self.action_stats = a("action_stats", "&Stats", "stats",
                              tip="Statistics of the selected journey")
        self.action_forecast = a("action_forecast", "&Forecast", "forecast",
                                 tip="Simulate the selected journey before it sends anything")
        self.action_outbox = a("action_outbox", "&Outbox", "outbox",
                               tip="Messages written by the evaluator")
        self.action_customers = a("action_customers", "&Customers…", shortcut="Ctrl+Shift+C",
                                  tip="Find a customer: fields, journeys, runs and messages")
        self.action_validate = a("action_validate", "&Validate", "validate", shortcut="F7",
                                 color=GO_COLOR,
                                 tip="List every problem of the selected draft")
        self.action_activate = a("action_activate", "&Activate…", "activate",
                                 color=GO_COLOR, tip="Set re-entry options and start the journey")
        self.action_refresh = a("action_refresh", "Re&fresh", "refresh",
                                shortcut=QKeySequence(Qt.Key.Key_F5),
                                tip="Reload the list from the database")
        self.action_run_now = a("action_run_now", "&Run now", "run", shortcut="Ctrl+R",
                                tip="Evaluate every active journey now instead of at the "
                                    "next tick")
        self.action_preferences = a("action_preferences", "&Preferences…",
                                    shortcut=QKeySequence.StandardKey.Preferences,
                                    tip="Set how often the evaluator ticks")
        self.action_open_file = a("action_open_file", "&Open journey file…",
                                  shortcut=QKeySequence.StandardKey.Open,
                                  tip="Create a draft from a journey file (JSON)")
        self.action_export_file = a("action_export_file", "&Export journey file…",
                                    shortcut="Ctrl+E",
                                    tip="Save the selected journey as a journey file (JSON)")
        self.action_import_customers = a(
            "action_import_customers", "Import &customers…",
            tip="Add or update customers' profiles from a CSV file, for every journey")
        self.action_import_delivery_report = a(
            "action_import_delivery_report", "Import &delivery report…",
            tip="Apply what the sender reported (sent, delivered, opened, clicked, …) to the "
                "outbox's messages")
        self.action_report = a("action_report", "Journey &report…", "report",
                               tip="Save one row per customer and entry of the selected "
                                   "journey as CSV")
        self.action_import_events = a(
            "action_import_events", "Import &events…",
            tip="Add customer events from a CSV or JSON Lines file, for every journey")
        self.action_quit = a("action_quit", "&Quit", shortcut=QKeySequence.StandardKey.Quit)
        self.action_about = a("action_about", f"&About {APP_NAME}")
        self.action_guide = a("action_guide", "&User guide",
                              shortcut="F1",
                              tip="How to use the app, with pictures (F1)")
        self.action_find = a("action_find", "&Find", shortcut=QKeySequence.StandardKey.Find)
        self.action_connect = a("action_connect", "Connect to &team database…",
                                tip="Open a shared PostgreSQL database, or go back to the "
                                    "local file")
        self.action_edit.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.addAction(self.action_find)

    def journey_actions(self) -> list[QAction | None]:
        """The actions on one journey, in menu order (None for a separator)."""
        return [self.action_edit, self.action_clone, self.action_remove, None,
                self.action_validate, self.action_activate, self.action_deactivate, None,
                self.action_import_audience, self.action_stats, self.action_forecast,
                self.action_outbox, self.action_report, None,
                self.action_export_file]

    def writing_actions(self) -> list[QAction]:
        """The actions that change the data: greyed out for a read-only database role."""
        return [self.action_new, self.action_open_file, self.action_clone,
                self.action_remove, self.action_import_audience, self.action_deactivate,
                self.action_activate, self.action_run_now, self.action_preferences,
                self.action_import_customers, self.action_import_delivery_report,
                self.action_import_events]

    def context_menu(self) -> QMenu:
        """The table's context menu: the same actions as the Journey menu."""
        menu = QMenu(self)
        menu.setObjectName("journey_context_menu")
        menu.addAction(self.action_new)
        menu.addSeparator()
        for action in self.journey_actions():
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    def update_actions(self) -> None:
        """Enable each action where it applies to the selection, saying why when not."""
        busy = self.scheduler is not None and self.scheduler.busy
        self._enable(self.action_run_now, self.scheduler is not None and not busy,
                     "A tick is running" if busy else
                     "Evaluate every active journey now (Ctrl+R)" if self.scheduler else
                     "The evaluator does not run in this window")
        s = self.selected_journey()
        status = s.status if s is not None else None
        none = NO_SELECTION

        if status is not None and refusal(status, Action.EDIT) is not None:
            self.action_edit.setText("&View")
            edit_tip = "Open the journey read-only (active and deactivated journeys are " \
                       "frozen; clone one to change it)"
        else:
            self.action_edit.setText("&Edit")
            edit_tip = "Edit the selected draft"
        self._enable(self.action_edit, s is not None, edit_tip if s else none)

        self._enable(self.action_clone, s is not None,
                     "Copy the journey into a new draft (Ctrl+D)" if s else none)
        self._enable(self.action_remove, s is not None,
                     "Delete the journey with its audience, runs and messages (Delete)"
                     if s else none)
        self._enable(self.action_export_file, s is not None,
                     "Save the journey as a journey file" if s else none)

        for action, step, tip in (
            (self.action_import_audience, Action.IMPORT_AUDIENCE,
             "Load customers from a CSV file (or drop one on the row)"),
            (self.action_deactivate, Action.DEACTIVATE,
             "End the journey for good: runs in progress stop (irreversible)"),
            (self.action_validate, Action.VALIDATE, "List every problem of the draft (F7)"),
            (self.action_activate, Action.ACTIVATE,
             "Validate, set re-entry options and start the journey"),
            (self.action_report, Action.REPORT,
             "One row per customer and entry: where they are, messages written, delivered, "
             "opened and clicked"),
        ):
            reason = refusal(status, step) if status is not None else none
            self._enable(action, reason is None, tip if reason is None
                         else sentence(reason if status is None
                                        else f"cannot be {step.value}: {reason}"))

        self._enable(self.action_stats, s is not None,
                     "Audience, entries, messages and per-node counts, with charts"
                     if s else none)
        self._enable(self.action_forecast, s is not None,
                     "Simulate the journey for N days before it sends anything"
                     if s else none)
        self._enable(self.action_outbox, True,
                     "Messages written by the evaluator, to filter and export")
        if self.read_only:
            self._disable_writing(s is not None)

    def _disable_writing(self, selected: bool) -> None:
        """A role that may only read: every writing action greyed out, saying why; a journey
        opens for viewing only."""
        for action in self.writing_actions():
            self._enable(action, False, READ_ONLY_TIP)
        self.action_edit.setText("&View")
        self._enable(self.action_edit, selected,
                     f"Open the journey read-only: {READ_ONLY_ROLE}" if selected
                     else NO_SELECTION)

    @staticmethod
    def _enable(action: QAction, enabled: bool, tooltip: str) -> None:
        action.setEnabled(enabled)
        action.setToolTip(tooltip)
