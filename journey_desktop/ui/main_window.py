"""The main window (SPEC §9): the journey list, its actions, menus and the empty state.

It opens the other windows (editor, activation dialog, audience import, statistics, outbox,
forecast) and shows the evaluator's state; it computes no business rule itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressDialog,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from journey_desktop import APP_NAME
from journey_desktop.domain.journey import Journey, JourneyFileError, minimal_journey
from journey_desktop.domain.lifecycle import Action, refusal, refusal_text
from journey_desktop.paths import default_data_dir, resource_path
from journey_desktop.services.settings import WindowSettings
from journey_desktop.services.workers import Worker, on_own_connection
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.repository import (
    ACTIVE,
    DEACTIVATED,
    DRAFT,
    JourneyRepository,
    JourneySummary,
    RemovalCounts,
    RepositoryError,
    SettingsRepository,
)
from journey_desktop.ui import prompts
from journey_desktop.ui.about import about_text
from journey_desktop.ui.common.formatting import sentence
from journey_desktop.ui.icons import icon
from journey_desktop.ui.journey_table import (
    COL_NAME,
    COL_UPDATED,
    JOURNEY_ID_ROLE,
    JourneyFilterProxy,
    JourneyTableModel,
    JourneyTableView,
)
from journey_desktop.ui.startup import BusyNotice
from journey_desktop.ui.validate_dialog import ValidateDialog

if TYPE_CHECKING:  # the other windows are imported when first opened: a faster start
    from journey_desktop.services.scheduler import EvaluatorScheduler
    from journey_desktop.store.evaluator import TickSummary
    from journey_desktop.ui.editor import EditorWindow
    from journey_desktop.ui.import_dialog import ImportController
    from journey_desktop.ui.preferences_dialog import PreferencesDialog

NEW_JOURNEY_NAME = "New journey"
STATUS_FILTERS = (("All statuses", ""), ("Drafts", DRAFT), ("Active", ACTIVE),
                  ("Deactivated", DEACTIVATED))
MESSAGE_TIMEOUT_MS = 8000
REMOVE_COLOR = "#b3261e"
DEACTIVATE_COLOR = "#a4540a"
ON_GREEN = "#ffffff"

GREEN_BUTTON_STYLE = """
QPushButton {
    background: #1f8a4c; color: white; border: 1px solid #187a41; border-radius: 5px;
    padding: 6px 16px; font-weight: 600;
}
QPushButton:hover { background: #23994f; }
QPushButton:pressed { background: #176b3a; }
QPushButton:focus { border: 1px solid #0f4f2a; }
QPushButton:disabled { background: #a8d5b9; border-color: #a8d5b9; color: #f2faf5; }
"""



def free_journey_name(repository: JourneyRepository, base: str = NEW_JOURNEY_NAME) -> str:
    """The first free name of "New journey", "New journey (2)", ..."""
    candidate, number = base, 2
    while repository.name_taken(candidate):
        candidate = f"{base} ({number})"
        number += 1
    return candidate


def removal_text(name: str, counts: RemovalCounts) -> str:
    """What Remove will delete, in numbers, for the confirmation."""
    parts = [
        _count(counts.audience, "customer in its audience", "customers in its audience"),
        _count(counts.runs, "run", "runs")
        + (f" ({counts.in_progress:,} in progress)" if counts.in_progress else ""),
        _count(counts.messages, "message in the outbox", "messages in the outbox"),
    ]
    if counts.audience or counts.runs or counts.messages:
        lost = f"This deletes the journey with {parts[0]}, {parts[1]} and {parts[2]}."
    else:
        lost = "It has no audience, runs or messages yet."
    return f"Remove “{name}”?\n\n{lost}\n\nThis cannot be undone."


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,} {singular if number == 1 else plural}"


class MainWindow(QMainWindow):
    """The journey list and everything done to a journey from it."""

    audience_file_dropped = Signal(int, str)  # journey id, path of a .csv dropped on its row
    journeys_reloaded = Signal()  # the list shows the database as it is now
    journeys_counted = Signal()  # ... and its counts too

    def __init__(
        self,
        data_dir: Path,
        *,
        repository: JourneyRepository | None = None,
        settings: WindowSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.data_dir = Path(data_dir)
        self.repository = repository if repository is not None else JourneyRepository()
        self.settings = settings if settings is not None else WindowSettings()
        self._editors: dict[int, EditorWindow] = {}
        self._views: dict[tuple[str, int | None], QWidget] = {}  # open stats/outbox/forecast
        self.scheduler: EvaluatorScheduler | None = None
        self._list_pool = QThreadPool(self)
        self._list_pool.setMaxThreadCount(1)
        self._list_worker: Worker | None = None
        # The last finished one, kept until the next starts: its thread may still be
        # returning from run() when its result arrives here.
        self._done_list_worker: Worker | None = None
        # Writes run in workers (large databases), kept alive past their result.
        self._writes: list[Worker] = []
        self._list_reload_pending = False
        self.setWindowTitle(self._title())
        self.setMinimumSize(760, 420)
        self.resize(1180, 700)

        self.model = JourneyTableModel(self)
        self.proxy = JourneyFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self._create_actions()
        self._create_central()
        self._create_toolbar()
        self._create_menus()
        self._create_status_bar()
        self._update_tick_status()
        self._connect()
        self._busy_notice = BusyNotice(self)
        self._busy_notice.waiting.connect(self._on_busy_notice_waiting)
        self._restore_settings()
        self._load(None, at_start=True)

    # --- public interface --------------------------------------------------------------

    def refresh(self, select_id: int | None = None) -> None:
        """Reload the list from the database, keeping (or moving to) the selected journey.

        On a large database the journeys are read at once, with the counts they had (blank
        for new ones), and the counts follow from a worker: counting a million customers,
        runs and messages takes half a second."""
        self._load(select_id, at_start=False)

    def _load(self, select_id: int | None, *, at_start: bool) -> None:
        if self.repository.rows_to_count() <= INLINE_COUNT_ROWS:
            self._show_summaries(self.repository.summaries(), select_id)
            if self._list_worker is not None:  # its counts were read before these
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
        if self._list_worker is not None:
            self._list_reload_pending = True
            return
        worker = Worker(on_own_connection, self.repository.summaries,
                        expected=(RepositoryError,))
        worker.signals.finished.connect(self._on_list_worker_finished)
        worker.signals.failed.connect(self._on_list_worker_failed)
        self._list_worker = worker.start(self._list_pool)

    def _show_summaries(self, summaries: list[JourneySummary], select_id: int | None) -> None:
        keep = select_id if select_id is not None else self.selected_journey_id()
        self.model.set_summaries(summaries)
        self._update_stack()
        if keep is not None:
            self.select_journey(keep)
        self._update_count_label()
        self._update_actions()
        self.journeys_reloaded.emit()

    @Slot(object)
    def _on_list_worker_finished(self, summaries: list[JourneySummary]) -> None:
        self._done_list_worker, self._list_worker = self._list_worker, None
        if self._list_reload_pending:
            self._list_reload_pending = False
            self.refresh_in_background()
            return
        self._show_summaries(summaries, None)
        self.journeys_counted.emit()

    @Slot(str)
    def _on_list_worker_failed(self, message: str) -> None:
        self._done_list_worker, self._list_worker = self._list_worker, None
        self._list_reload_pending = False
        self._say(f"The list could not be reloaded: {message}")

    def selected_journey(self) -> JourneySummary | None:
        rows = self.table.selectionModel().selectedRows(COL_NAME)
        if not rows:
            return None
        source = self.proxy.mapToSource(rows[0])
        return self.model.summary_at(source.row()) if source.isValid() else None

    def selected_journey_id(self) -> int | None:
        summary = self.selected_journey()
        return summary.id if summary is not None else None

    def select_journey(self, journey_id: int) -> bool:
        """Select a journey's row and scroll to it; False when it is filtered out or gone."""
        row = self.proxy.proxy_row_of(journey_id)
        if row < 0:
            self.table.clearSelection()
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.proxy.index(row, COL_NAME))
        return True

    def attach_scheduler(self, scheduler: EvaluatorScheduler) -> None:
        """Show the evaluator's state in the status bar and let "Run now" drive it."""
        self.scheduler = scheduler
        scheduler.tick_started.connect(self._on_scheduler_tick_started)
        scheduler.tick_finished.connect(self._on_scheduler_tick_finished)
        scheduler.tick_failed.connect(self._on_scheduler_tick_failed)
        self._update_tick_status()
        self._update_actions()

    @Slot()
    def bring_to_front(self) -> None:
        """Show the window above others (a second launch on the same data folder asks)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    @Slot(int)
    def open_editor(self, journey_id: int, node_id: str | None = None) -> None:
        """Open the editor on a journey (read-only unless a draft), at a node if given."""
        editor = self._editors.get(journey_id)
        if editor is None:
            with self._refusals("Open journey"):
                from journey_desktop.ui.editor import EditorWindow

                editor = EditorWindow(self.repository, journey_id)
            if editor is None:
                return
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            editor.journey_saved.connect(self._on_editor_journey_saved)
            editor.clone_opened.connect(self._on_editor_clone_opened)
            editor.destroyed.connect(partial(self._editors.pop, journey_id, None))
            self._editors[journey_id] = editor
        editor.show()
        editor.raise_()
        editor.activateWindow()
        if node_id:
            editor.select_node(node_id)

    @Slot(int)
    def _on_editor_journey_saved(self, journey_id: int) -> None:
        self.refresh(select_id=journey_id)

    @Slot(int)
    def _on_editor_clone_opened(self, journey_id: int) -> None:
        self.refresh(select_id=journey_id)
        self.open_editor(journey_id)

    # --- building ----------------------------------------------------------------------

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

    def _create_actions(self) -> None:
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
                               shortcut=QKeySequence(Qt.Key.Key_Delete), color=REMOVE_COLOR,
                               tip="Delete the selected journey with its audience and outbox")
        self.action_import_audience = a("action_import_audience", "&Import audience",
                                        "import", shortcut="Ctrl+I",
                                        tip="Load customers from a CSV file")
        self.action_deactivate = a("action_deactivate", "&Deactivate", "deactivate",
                                   color=DEACTIVATE_COLOR,
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
                                 color="#1f8a4c", tip="List every problem of the selected draft")
        self.action_activate = a("action_activate", "&Activate…", "activate",
                                 color="#1f8a4c", tip="Set re-entry options and start the journey")
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
        self.action_quit = a("action_quit", "&Quit", shortcut=QKeySequence.StandardKey.Quit)
        self.action_about = a("action_about", f"&About {APP_NAME}")
        self.action_find = a("action_find", "&Find", shortcut=QKeySequence.StandardKey.Find)
        self.action_edit.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.addAction(self.action_find)

    def _create_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 8, 10, 4)
        layout.setSpacing(8)

        filters = QHBoxLayout()
        self.search_box = QLineEdit(central)
        self.search_box.setObjectName("search_box")
        self.search_box.setPlaceholderText("Search journeys by name  (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(280)
        filters.addWidget(self.search_box, 2)
        self.status_filter = QComboBox(central)
        self.status_filter.setObjectName("status_filter")
        for label, status in STATUS_FILTERS:
            self.status_filter.addItem(label, status)
        filters.addWidget(self.status_filter)
        filters.addStretch(3)
        self.count_label = QLabel(central)
        self.count_label.setObjectName("journey_count_label")
        filters.addWidget(self.count_label)
        layout.addLayout(filters)

        self.stack = QStackedWidget(central)
        self.table = JourneyTableView(self.stack)
        self.table.setModel(self.proxy)
        self.table.apply_default_widths()
        self.table.sortByColumn(COL_UPDATED, Qt.SortOrder.DescendingOrder)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.addAction(self.action_edit)
        self.table.addAction(self.action_remove)
        self.stack.addWidget(self.table)
        self.empty_state = self._create_empty_state(self.stack)
        self.stack.addWidget(self.empty_state)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _create_empty_state(self, parent: QWidget) -> QWidget:
        page = QWidget(parent)
        page.setObjectName("empty_state")
        outer = QVBoxLayout(page)
        outer.addStretch(2)
        title = QLabel("No journeys yet")
        title.setObjectName("empty_state_title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        outer.addWidget(title)
        text = QLabel(
            "A journey is a flow of messages — push, email, SMS, in-app, WhatsApp — that "
            "customers enter, wait in and leave. Create one from a small template, or start "
            "from an example and adapt it. Validate it, then activate it to start sending."
        )
        text.setObjectName("empty_state_text")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        text.setFixedWidth(600)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(text)
        row.addStretch(1)
        outer.addLayout(row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.empty_new_button = QPushButton(icon("new"), "New journey", page)
        self.empty_new_button.setObjectName("empty_new_button")
        self.empty_new_button.setIconSize(QSize(20, 20))
        self.empty_new_button.setMinimumHeight(34)
        buttons.addWidget(self.empty_new_button)
        self.example_menu = self._create_example_menu(page)
        self.empty_example_button = QPushButton("Open an example", page)
        self.empty_example_button.setObjectName("empty_example_button")
        self.empty_example_button.setMinimumHeight(34)
        self.empty_example_button.setMenu(self.example_menu)
        buttons.addWidget(self.empty_example_button)
        buttons.addStretch(1)
        outer.addSpacing(12)
        outer.addLayout(buttons)
        outer.addStretch(3)
        return page

    def _create_example_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("Open &example", parent)
        menu.setObjectName("example_menu")
        for path in sorted(resource_path("examples").glob("*.json")):
            action = menu.addAction(self._example_title(path))
            action.setObjectName(f"example_{path.stem}")
            action.setData(str(path))
            action.triggered.connect(partial(self._on_example_chosen, str(path)))
        return menu

    @staticmethod
    def _example_title(path: Path) -> str:
        try:
            name = json.loads(path.read_text(encoding="utf-8")).get("name")
        except (OSError, ValueError, AttributeError):
            name = None
        return str(name) if name else path.stem.replace("-", " ").capitalize()

    def _create_toolbar(self) -> None:
        toolbar = QToolBar("Journeys", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setIconSize(QSize(22, 22))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        toolbar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        for action in (self.action_new, self.action_edit, self.action_clone,
                       self.action_remove):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.action_import_audience)
        toolbar.addAction(self.action_deactivate)
        toolbar.addSeparator()
        toolbar.addAction(self.action_stats)
        toolbar.addAction(self.action_forecast)
        toolbar.addAction(self.action_outbox)
        toolbar.addSeparator()
        toolbar.addAction(self.action_run_now)
        toolbar.addAction(self.action_refresh)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.validate_button = self._green_button("validate_button", "Validate",
                                                  self.action_validate, toolbar)
        self.activate_button = self._green_button("activate_button", "Activate",
                                                  self.action_activate, toolbar)
        toolbar.addWidget(self.validate_button)
        gap = QWidget(toolbar)
        gap.setFixedWidth(8)
        toolbar.addWidget(gap)
        toolbar.addWidget(self.activate_button)
        end = QWidget(toolbar)
        end.setFixedWidth(6)
        toolbar.addWidget(end)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _green_button(self, name: str, text: str, action: QAction,
                      parent: QWidget) -> QPushButton:
        """A green push button mirroring an action (enabled state and tooltip)."""
        button = QPushButton(icon(action.objectName().removeprefix("action_"), ON_GREEN),
                             text, parent)
        button.setObjectName(name)
        button.setIconSize(QSize(18, 18))
        button.setMinimumHeight(34)
        button.setStyleSheet(GREEN_BUTTON_STYLE)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(action.trigger)

        def mirror() -> None:
            button.setEnabled(action.isEnabled())
            button.setToolTip(action.toolTip())

        action.changed.connect(mirror)
        mirror()
        return button

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("file_menu")
        file_menu.addAction(self.action_new)
        file_menu.addAction(self.action_open_file)
        file_menu.addMenu(self.example_menu)
        file_menu.addAction(self.action_export_file)
        file_menu.addSeparator()
        file_menu.addAction(self.action_customers)
        file_menu.addAction(self.action_import_customers)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)

        journey_menu = bar.addMenu("&Journey")
        journey_menu.setObjectName("journey_menu")
        for action in self._journey_actions():
            if action is None:
                journey_menu.addSeparator()
            else:
                journey_menu.addAction(action)
        journey_menu.addSeparator()
        journey_menu.addAction(self.action_refresh)

        evaluator_menu = bar.addMenu("&Evaluator")
        evaluator_menu.setObjectName("evaluator_menu")
        evaluator_menu.addAction(self.action_run_now)
        evaluator_menu.addSeparator()
        evaluator_menu.addAction(self.action_preferences)

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("help_menu")
        help_menu.addAction(self.action_about)

    def _journey_actions(self) -> list[QAction | None]:
        """The actions on one journey, in menu order (None for a separator)."""
        return [self.action_edit, self.action_clone, self.action_remove, None,
                self.action_validate, self.action_activate, self.action_deactivate, None,
                self.action_import_audience, self.action_stats, self.action_forecast,
                self.action_outbox, None,
                self.action_export_file]

    def context_menu(self) -> QMenu:
        """The table's context menu: the same actions as the Journey menu."""
        menu = QMenu(self)
        menu.setObjectName("journey_context_menu")
        menu.addAction(self.action_new)
        menu.addSeparator()
        for action in self._journey_actions():
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    def _create_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("status_bar")
        self.data_dir_label = QLabel(self._data_dir_text())
        self.data_dir_label.setObjectName("data_dir_label")
        self.data_dir_label.setStyleSheet("color: palette(mid); padding: 0 6px;")
        self.tick_status_label = QLabel("")
        self.tick_status_label.setObjectName("tick_status_label")
        bar.addPermanentWidget(self.data_dir_label)
        bar.addPermanentWidget(self.tick_status_label)

    def _connect(self) -> None:
        self.action_new.triggered.connect(self._on_new_triggered)
        self.action_edit.triggered.connect(self._on_edit_triggered)
        self.action_clone.triggered.connect(self._on_clone_triggered)
        self.action_remove.triggered.connect(self._on_remove_triggered)
        self.action_import_audience.triggered.connect(self._on_import_audience_triggered)
        self.action_deactivate.triggered.connect(self._on_deactivate_triggered)
        self.action_stats.triggered.connect(self._on_stats_triggered)
        self.action_forecast.triggered.connect(self._on_forecast_triggered)
        self.action_outbox.triggered.connect(self._on_outbox_triggered)
        self.action_customers.triggered.connect(self._on_customers_triggered)
        self.action_validate.triggered.connect(self._on_validate_triggered)
        self.action_activate.triggered.connect(self._on_activate_triggered)
        self.action_refresh.triggered.connect(self._on_refresh_triggered)
        self.action_run_now.triggered.connect(self._on_run_now_triggered)
        self.action_preferences.triggered.connect(self._on_preferences_triggered)
        self.action_open_file.triggered.connect(self._on_open_file_triggered)
        self.action_export_file.triggered.connect(self._on_export_file_triggered)
        self.action_import_customers.triggered.connect(self._on_import_customers_triggered)
        self.action_quit.triggered.connect(self.close)
        self.action_about.triggered.connect(self._on_about_triggered)
        self.action_find.triggered.connect(self._on_find_triggered)
        self.empty_new_button.clicked.connect(self.action_new.trigger)
        self.search_box.textChanged.connect(self._on_search_box_text_changed)
        self.status_filter.currentIndexChanged.connect(self._on_status_filter_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.csv_dropped.connect(self._on_table_csv_dropped)
        self.audience_file_dropped.connect(self.import_audience)

    # --- state -------------------------------------------------------------------------

    def _title(self) -> str:
        if self._is_default_data_dir():
            return APP_NAME
        return f"{APP_NAME} — {self.data_dir}"

    def _is_default_data_dir(self) -> bool:
        try:
            return self.data_dir.resolve() == default_data_dir().resolve()
        except OSError:
            return False

    def _data_dir_text(self) -> str:
        return f"Data: {self.data_dir}"

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

    def _update_actions(self) -> None:
        """Enable each action where it applies to the selection, saying why when not."""
        busy = self.scheduler is not None and self.scheduler.busy
        self._enable(self.action_run_now, self.scheduler is not None and not busy,
                     "A tick is running" if busy else
                     "Evaluate every active journey now (Ctrl+R)" if self.scheduler else
                     "The evaluator does not run in this window")
        s = self.selected_journey()
        status = s.status if s is not None else None
        none = "Select a journey first"

        if status is not None and status != DRAFT:
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

    @staticmethod
    def _enable(action: QAction, enabled: bool, tooltip: str) -> None:
        action.setEnabled(enabled)
        action.setToolTip(tooltip)

    def _say(self, text: str) -> None:
        self.statusBar().showMessage(text, MESSAGE_TIMEOUT_MS)

    @Slot(str)
    def _on_busy_notice_waiting(self, text: str) -> None:
        """A write waits for the database: say so now, even if this thread is the one
        waiting (then nothing else repaints the window until the lock comes free)."""
        self._say(text)
        self.statusBar().repaint()

    def _error(self, title: str, message: object) -> None:
        prompts.show_error(self, title, sentence(str(message)))

    @contextmanager
    def _refusals(self, title: str) -> Iterator[None]:
        """Show an expected refusal in words, then reload (the list may be out of date)."""
        try:
            yield
        except RepositoryError as exc:
            self._error(title, exc)
            self.refresh()

    def _write(self, title: str, busy_text: str, done: Callable[[Any], None],
               write: Callable[[], Any]) -> None:
        """Run a repository write, then ``done(its result)``.

        On a small database on the spot; on a large one in a worker, behind a busy dialog
        that keeps the window from other actions meanwhile: copying, stopping or deleting a
        million customers with their runs and messages takes 2 to 8 seconds."""
        ticking = self.scheduler is not None and self.scheduler.busy  # holds the write lock
        if self.repository.rows_to_count() <= INLINE_COUNT_ROWS and not ticking:
            with self._refusals(title):
                done(write())
            return
        busy = _BusyDialog(BusyNotice.BUSY_TEXT if ticking else busy_text, self)
        busy.setWindowTitle(title)
        worker = Worker(on_own_connection, write, expected=(RepositoryError,))

        def finished(result: object) -> None:
            busy.hide()  # not close(): it would reject, which this dialog ignores
            busy.deleteLater()
            done(result)

        def failed(message: str) -> None:
            busy.hide()  # not close(): it would reject, which this dialog ignores
            busy.deleteLater()
            self._error(title, message)
            self.refresh()

        worker.signals.finished.connect(finished)
        worker.signals.failed.connect(failed)
        self._writes.append(worker)
        del self._writes[:-4]
        busy.show()
        worker.start()

    def _count_or_refusal(self, title: str, count: Callable[[int], _Counted],
                          journey_id: int) -> _Counted | None:
        """A journey's counts as they are now (the list's may be a moment old)."""
        with self._refusals(title):
            return count(journey_id)
        return None

    def _reveal(self, journey_id: int) -> None:
        """Reload and select a journey, clearing the filters if they would hide it."""
        self.refresh(select_id=journey_id)
        if self.proxy.proxy_row_of(journey_id) < 0:
            self.search_box.clear()
            self.status_filter.setCurrentIndex(0)
            self.select_journey(journey_id)
        self._update_actions()
        self.table.setFocus()

    # --- slots: actions ----------------------------------------------------------------

    @Slot()
    def _on_new_triggered(self) -> None:
        with self._refusals("New journey"):
            name = free_journey_name(self.repository)
            journey_id = self.repository.create(minimal_journey(name))
            self._reveal(journey_id)
            self._say(f"Created the draft “{name}”.")
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
        audience = self._count_or_refusal("Clone journey", self.repository.audience_size,
                                          summary.id)
        if audience is None:
            return
        if audience:
            accepted, with_audience = prompts.confirm_with_option(
                self,
                "Clone journey",
                f"Clone “{summary.name}” into a new draft?\n\nThe copy starts with an empty "
                "audience unless you copy it too.",
                f"Also copy its audience ({_count(audience, 'customer', 'customers')})",
                action="Clone",
            )
            if not accepted:
                return
        def cloned(new_id: int) -> None:
            self._reveal(new_id)
            copy = self.selected_journey()
            self._say(f"Cloned “{summary.name}” as “{copy.name if copy else ''}”.")

        self._write("Clone journey", f"Copying “{summary.name}” and its audience…", cloned,
                    partial(self.repository.clone, summary.id, with_audience=with_audience))

    @Slot()
    def _on_remove_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        counts = self._count_or_refusal("Remove journey", self.repository.removal_counts,
                                        summary.id)
        if counts is None:
            return
        if not prompts.confirm(self, "Remove journey", removal_text(summary.name, counts),
                               action="Remove", destructive=True):
            return
        if summary.status == ACTIVE:
            running = (f" and {_count(counts.in_progress, 'customer is', 'customers are')}"
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
            self._update_actions()
            self._say(f"Removed “{summary.name}”.")

        self._write("Remove journey", f"Removing “{summary.name}”…", removed,
                    partial(self.repository.remove, summary.id))

    @Slot()
    def _on_deactivate_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None or summary.status != ACTIVE:
            return
        in_progress = self._count_or_refusal("Deactivate journey",
                                             self.repository.runs_in_progress, summary.id)
        if in_progress is None:
            return
        if in_progress:
            ending = (f"Its {_count(in_progress, 'run', 'runs')} in progress end now "
                      "and no further messages are written.")
        else:
            ending = "No further messages are written."
        text = (f"Deactivate “{summary.name}”?\n\nThis is irreversible: a deactivated journey "
                f"can never be activated again. {ending}\n\nIt stays viewable and clonable, "
                "with its statistics and outbox.")
        if not prompts.confirm(self, "Deactivate journey", text, action="Deactivate",
                               destructive=True):
            return
        def deactivated(stopped: int) -> None:
            self.refresh(select_id=summary.id)
            self._say(f"Deactivated “{summary.name}”; "
                      f"{_count(stopped, 'run', 'runs')} stopped.")

        self._write("Deactivate journey", f"Deactivating “{summary.name}”…", deactivated,
                    partial(self.repository.deactivate, summary.id))

    @Slot()
    def _on_validate_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        with self._refusals("Validate journey"):
            result = self.repository.validate(summary.id)
            dialog = ValidateDialog(summary.name, result, self,
                                    can_open_editor=True)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.problem_activated.connect(
                partial(self._on_validate_dialog_problem_activated, summary.id))
            dialog.open()

    @Slot(int, str)
    def _on_validate_dialog_problem_activated(self, journey_id: int, node_id: str) -> None:
        self.open_editor(journey_id, node_id or None)

    @Slot()
    def _on_activate_triggered(self) -> None:
        """Open the modal activation dialog on the selected draft."""
        summary = self.selected_journey()
        if summary is None:
            return
        with self._refusals("Activate journey"):
            from journey_desktop.ui.activate_dialog import ActivateDialog

            dialog = ActivateDialog(self.repository, summary.id, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.activated.connect(self._on_activate_dialog_activated)
            dialog.open()

    @Slot(int)
    def _on_activate_dialog_activated(self, journey_id: int) -> None:
        self.refresh(select_id=journey_id)
        self._say("Journey activated: the evaluator checks its audience at the next tick.")

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
        from journey_desktop.ui.import_dialog import run_import_flow

        controller = run_import_flow(self, self.repository, journey_id, path,
                                     settings=self.settings.qsettings)
        controller.audience_imported.connect(self._on_import_audience_imported)
        return controller

    @Slot(int)
    def _on_import_audience_imported(self, journey_id: int) -> None:
        self.refresh_in_background()  # a large audience takes a while to count

    @Slot()
    def _on_import_customers_triggered(self) -> None:
        self.import_customers()

    def import_customers(self, path: str | None = None) -> ImportController:
        """Run the import flow into the customer base alone (File → Import customers…)."""
        from journey_desktop.ui.import_dialog import run_customers_import_flow

        controller = run_customers_import_flow(self, self.repository, path,
                                               settings=self.settings.qsettings)
        # Journeys for everyone count the customer base.
        controller.customers_imported.connect(self.refresh_in_background)
        return controller

    @Slot()
    def _on_stats_triggered(self) -> None:
        """Show the selected journey's statistics."""
        journey_id = self.selected_journey_id()
        if journey_id is None:
            return
        from journey_desktop.ui.stats_view import StatsWindow

        with self._refusals("Statistics"):
            window, created = self._show_view(
                "stats", journey_id, lambda: StatsWindow(self.repository, journey_id))
            if created and isinstance(window, StatsWindow):
                window.node_counts_requested.connect(self._on_stats_node_counts_requested)

    @Slot(int, dict)
    def _on_stats_node_counts_requested(self, journey_id: int, counts: dict[str, int]) -> None:
        self.open_editor(journey_id)
        editor = self._editors.get(journey_id)
        if editor is not None:
            editor.set_node_counts(counts)

    @Slot()
    def _on_outbox_triggered(self) -> None:
        """Show the outbox, filtered on the selected journey if any."""
        from journey_desktop.ui.outbox_view import OutboxWindow

        journey_id = self.selected_journey_id()
        window, _created = self._show_view("outbox", None,
                                           lambda: OutboxWindow(self.repository))
        if isinstance(window, OutboxWindow):
            window.set_journey(journey_id)

    @Slot()
    def _on_customers_triggered(self) -> None:
        """Show the customer base (one window for the whole database)."""
        from journey_desktop.ui.customers import CustomersWindow

        self._show_view("customers", None, CustomersWindow)

    @Slot()
    def _on_forecast_triggered(self) -> None:
        """Open the forecast of the selected journey."""
        journey_id = self.selected_journey_id()
        if journey_id is None:
            return
        from journey_desktop.ui.forecast_view import ForecastWindow

        with self._refusals("Forecast"):
            self._show_view("forecast", journey_id,
                            lambda: ForecastWindow(self.repository, journey_id))

    def _show_view(self, kind: str, journey_id: int | None,
                   make: Callable[[], QWidget]) -> tuple[QWidget, bool]:
        """Bring forward the open window of this kind for this journey, or open a new one;
        returns it and whether it was just created (so the caller connects it once)."""
        key = (kind, journey_id)
        window = self._views.get(key)
        created = window is None
        if window is None:
            window = make()
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(partial(self._views.pop, key, None))
            self._views[key] = window
            geometry = self.settings.view_geometry(kind)
            if geometry is not None:
                window.restoreGeometry(geometry)
            window.installEventFilter(_ViewGeometryKeeper(kind, self.settings, window))
        elif hasattr(window, "refresh"):
            window.refresh()
        window.show()
        window.raise_()
        window.activateWindow()
        return window, created

    @Slot()
    def _on_run_now_triggered(self) -> None:
        if self.scheduler is not None and not self.scheduler.run_now():
            self._say("A tick is already running." if self.scheduler.busy
                      else self.scheduler.status_text())

    @Slot()
    def _on_preferences_triggered(self) -> None:
        from journey_desktop.ui.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(SettingsRepository(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_preferences_dialog_accepted(dialog))
        dialog.open()

    def _on_preferences_dialog_accepted(self, dialog: PreferencesDialog) -> None:
        if self.scheduler is not None:
            self.scheduler.set_interval(dialog.interval_seconds())
        self._update_tick_status()

    @Slot()
    def _on_scheduler_tick_started(self) -> None:
        self._update_tick_status()
        self._update_actions()

    @Slot(object)
    def _on_scheduler_tick_finished(self, summary: TickSummary) -> None:
        self.model.set_tick_failures({f.journey_id: f.error for f in summary.failures})
        self.refresh_in_background()
        self._update_tick_status()
        self._say(f"Tick done: {summary.entered:,} entered, {summary.messages:,} messages, "
                  f"{summary.completed:,} completed.")

    @Slot(str)
    def _on_scheduler_tick_failed(self, message: str) -> None:
        self._update_tick_status()
        self._update_actions()

    def _update_tick_status(self) -> None:
        if self.scheduler is None:
            self.tick_status_label.setText("Evaluator: not running in this window")
            return
        self.tick_status_label.setText(self.scheduler.status_text())
        summary = self.scheduler.last_summary
        if summary is not None:
            self.tick_status_label.setToolTip("\n".join(summary.lines()))

    @Slot()
    def _on_refresh_triggered(self) -> None:
        self.refresh()
        self._say("List reloaded.")

    @Slot()
    def _on_open_file_triggered(self) -> None:
        path = prompts.ask_open_file(self, "Open journey file", str(Path.home()),
                                     "Journey files (*.json);;All files (*)")
        if path:
            self.create_from_file(Path(path))

    @Slot(str)
    def _on_example_chosen(self, path: str) -> None:
        self.create_from_file(Path(path))

    def create_from_file(self, path: Path) -> int | None:
        """A new draft from a journey file; problems are shown in words. Returns its id."""
        title = "Open journey file"
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self._error(title, f"“{path.name}” is not a text file (expected a journey file, "
                               "JSON in UTF-8)")
            return None
        except OSError as exc:
            self._error(title, f"“{path.name}” cannot be read: {exc.strerror or exc}")
            return None
        try:
            journey = Journey.from_file(text)
        except JourneyFileError as exc:
            self._error(title, f"“{path.name}” is not a valid journey file: {exc}")
            return None
        try:
            journey_id = self.repository.create(journey)
        except RepositoryError as exc:
            self._error(title, f"“{path.name}” cannot be added: {exc}")
            return None
        self._reveal(journey_id)
        self._say(f"Created the draft “{journey.name.strip()}” from {path.name}.")
        return journey_id

    @Slot()
    def _on_export_file_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        with self._refusals("Export journey file"):
            stored = self.repository.get(summary.id)
            suggested = Path.home() / f"{_file_stem(stored.journey.name)}.json"
            path = prompts.ask_save_file(self, "Export journey file", str(suggested),
                                         "Journey files (*.json)")
            if not path:
                return
            target = Path(path)
            if not target.suffix:
                target = target.with_suffix(".json")
            try:
                check_output_path(target)
            except DatabaseOutputError as exc:
                self._error("Export journey file", f"Nothing was written: {exc}")
                return
            try:
                target.write_text(stored.journey.to_json(), encoding="utf-8")
            except OSError as exc:
                self._error("Export journey file",
                            f"“{target}” cannot be written: {exc.strerror or exc}")
                return
            self._say(f"Exported “{summary.name}” to {target}.")

    @Slot()
    def _on_about_triggered(self) -> None:
        prompts.about(self, f"About {APP_NAME}", about_text(self.data_dir))

    @Slot()
    def _on_find_triggered(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    # --- slots: widgets ----------------------------------------------------------------

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
        self._update_actions()

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._update_actions()

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        journey_id = index.siblingAtColumn(COL_NAME).data(JOURNEY_ID_ROLE)
        if journey_id is not None:
            self.open_editor(int(journey_id))

    @Slot(QPoint)
    def _on_table_context_menu_requested(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    @Slot(int, str)
    def _on_table_csv_dropped(self, journey_id: int, path: str) -> None:
        summary = self.model.summary_at(self.model.row_of(journey_id)) \
            if self.model.row_of(journey_id) >= 0 else None
        if summary is None:
            return
        text = refusal_text(summary.name, summary.status, Action.IMPORT_AUDIENCE)
        if text is not None:
            self._say(sentence(text))
            return
        self.audience_file_dropped.emit(journey_id, path)

    # --- settings ----------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        header_state = self.settings.header_state()
        header = self.table.horizontalHeader()
        if header_state is not None and header.restoreState(header_state):
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.search_box.setText(self.settings.search_text())
        status_index = self.status_filter.findData(self.settings.status_filter())
        self.status_filter.setCurrentIndex(max(status_index, 0))

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_header_state(self.table.horizontalHeader().saveState())
        self.settings.set_filter(self.search_box.text(),
                                 str(self.status_filter.currentData() or ""))
        self.settings.sync()

    def wait_for_background_work(self) -> None:
        """Wait for the list's worker (the application is ending)."""
        self._list_pool.waitForDone()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        for editor in list(self._editors.values()):
            if not editor.close():  # the user kept unsaved changes open
                event.ignore()
                return
        for view in list(self._views.values()):
            view.close()
        self.wait_for_background_work()
        self.save_settings()
        super().closeEvent(event)


_Counted = TypeVar("_Counted")


class _BusyDialog(QProgressDialog):
    """A moving bar over the window while one transaction is written: no Cancel (nothing
    can stop half-way), and Esc does not hide it."""

    def __init__(self, text: str, parent: QWidget) -> None:
        super().__init__(text, "", 0, 0, parent)
        self.setObjectName("busy_dialog")
        self.setCancelButton(None)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)

    def reject(self) -> None:  # Qt override
        pass


class _ViewGeometryKeeper(QObject):
    """Remembers where a statistics, outbox or forecast window is closed (child of it)."""

    def __init__(self, kind: str, settings: WindowSettings, window: QWidget) -> None:
        super().__init__(window)
        self._kind = kind
        self._settings = settings

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.Close and isinstance(watched, QWidget):
            self._settings.set_view_geometry(self._kind, watched.saveGeometry())
        return False


# Up to this many customers, runs and messages, the list is counted on the GUI thread when
# it is reloaded (about 50 ms at this size); above, in a worker.
INLINE_COUNT_ROWS = 100_000


def _file_stem(name: str) -> str:
    """A file name for a journey name (letters, digits, dashes)."""
    stem = re.sub(r"[^\w\-]+", "-", name.strip().lower()).strip("-")
    return stem or "journey"


def _with_counts_of(summary: JourneySummary, counted: JourneySummary | None) -> JourneySummary:
    """An uncounted summary with the counts last read for the same journey, if any."""
    if counted is None:
        return summary
    return replace(summary, audience=counted.audience, entered=counted.entered,
                   in_progress=counted.in_progress, messages=counted.messages)
