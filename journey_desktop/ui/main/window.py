"""The main window (SPEC §9): assembles the journey list, its actions, menus, toolbar, the
empty state and the evaluator's status; it computes no business rule itself.

The parts live beside it: ``journey_list`` (loading, counts, filters), ``actions/`` (one
module per family of journey actions), ``child_windows`` (the windows it opens).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from journey_desktop import APP_NAME
from journey_desktop.domain.lifecycle import ACTIVE, DEACTIVATED, DRAFT
from journey_desktop.paths import default_data_dir
from journey_desktop.services.settings import WindowSettings
from journey_desktop.store import store_is_read_only
from journey_desktop.store.repository import (
    JourneyRepository,
    RepositoryError,
)
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.ui import prompts
from journey_desktop.ui.about import about_text
from journey_desktop.ui.common.changes import TICK_CHANGE
from journey_desktop.ui.common.colours import GO_COLOR, ON_GO_COLOR
from journey_desktop.ui.common.formatting import sentence
from journey_desktop.ui.common.read_only import refuse_writes
from journey_desktop.ui.connect_dialog import database_words
from journey_desktop.ui.icons import icon
from journey_desktop.ui.journey_table import (
    COL_NAME,
    COL_UPDATED,
    JOURNEY_ID_ROLE,
    JourneyFilterProxy,
    JourneyTableModel,
)
from journey_desktop.ui.journey_view import JourneyTableView
from journey_desktop.ui.main.actions import ActionsMixin
from journey_desktop.ui.main.actions.files import FileActionsMixin
from journey_desktop.ui.main.actions.imports import ImportActionsMixin
from journey_desktop.ui.main.actions.lifecycle import LifecycleActionsMixin
from journey_desktop.ui.main.actions.report import ReportActionsMixin
from journey_desktop.ui.main.actions.views import ViewActionsMixin
from journey_desktop.ui.main.child_windows import ChildWindows
from journey_desktop.ui.main.connection_notice import ConnectionNotice
from journey_desktop.ui.main.journey_list import JourneyListMixin
from journey_desktop.ui.startup import BusyNotice

if TYPE_CHECKING:  # the other windows are imported when first opened: a faster start
    from journey_desktop.services.journey_watch import JourneyChange, JourneyWatcher
    from journey_desktop.services.scheduler import EvaluatorScheduler
    from journey_desktop.store.evaluator import TickSummary
    from journey_desktop.ui.connect_dialog import ConnectDialog
    from journey_desktop.ui.preferences_dialog import PreferencesDialog

STATUS_FILTERS = (("All statuses", ""), ("Drafts", DRAFT), ("Active", ACTIVE),
                  ("Deactivated", DEACTIVATED))

GREEN_BUTTON_STYLE = f"""
QPushButton {{
    background: {GO_COLOR}; color: white; border: 1px solid #187a41; border-radius: 5px;
    padding: 6px 16px; font-weight: 600;
}}
QPushButton:hover {{ background: #23994f; }}
QPushButton:pressed {{ background: #176b3a; }}
QPushButton:focus {{ border: 1px solid #0f4f2a; }}
QPushButton:disabled {{ background: #a8d5b9; border-color: #a8d5b9; color: #f2faf5; }}
"""


class MainWindow(JourneyListMixin, ActionsMixin, LifecycleActionsMixin, FileActionsMixin,
                 ImportActionsMixin, ViewActionsMixin, ReportActionsMixin):
    """The journey list and everything done to a journey from it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        repository: JourneyRepository | None = None,
        settings: WindowSettings | None = None,
        database_url: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.read_only = store_is_read_only()
        self.repository = repository if repository is not None else JourneyRepository()
        self.settings = settings if settings is not None else WindowSettings()
        self.scheduler = None
        self.child_windows = ChildWindows(self.repository, self.settings, self)
        self._init_list()
        self.setWindowTitle(self._title())
        self.setMinimumSize(760, 420)
        self.resize(1180, 700)

        self.model = JourneyTableModel(self)
        self.proxy = JourneyFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.create_actions()
        self._create_central()
        self._create_toolbar()
        self._create_menus()
        self._create_status_bar()
        self._update_tick_status()
        self._connect()
        if refuse_writes(self.empty_new_button, self.empty_example_button):
            self.example_menu.setEnabled(False)
        self._busy_notice = BusyNotice(self)
        self._busy_notice.waiting.connect(self._on_busy_notice_waiting)
        self._restore_settings()
        self._load(None, at_start=True)

    def attach_scheduler(self, scheduler: EvaluatorScheduler) -> None:
        """Show the evaluator's state in the status bar and let "Run now" drive it."""
        self.scheduler = scheduler
        scheduler.tick_started.connect(self._on_scheduler_tick_started)
        scheduler.tick_finished.connect(self._on_scheduler_tick_finished)
        scheduler.tick_failed.connect(self._on_scheduler_tick_failed)
        self.connection_notice = ConnectionNotice(self, scheduler, self.say)
        self._update_tick_status()
        self.update_actions()

    def attach_watcher(self, watcher: JourneyWatcher) -> None:
        """Show others' journey changes (SPEC §14): the list reloads, open editors look."""
        watcher.journeys_changed.connect(self._on_watcher_journeys_changed)

    @Slot(object)
    def _on_watcher_journeys_changed(self, change: JourneyChange) -> None:
        self.refresh()
        self.child_windows.tell_journeys_changed(change)

    @Slot()
    def bring_to_front(self) -> None:
        """Show the window above others (a second launch on the same data folder asks)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

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
        self.example_menu = self.create_example_menu(page)
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
        toolbar.addAction(self.action_report)
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
        button = QPushButton(icon(action.objectName().removeprefix("action_"), ON_GO_COLOR),
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
        file_menu.addAction(self.action_import_delivery_report)
        file_menu.addAction(self.action_import_events)
        file_menu.addSeparator()
        file_menu.addAction(self.action_connect)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)

        journey_menu = bar.addMenu("&Journey")
        journey_menu.setObjectName("journey_menu")
        for action in self.journey_actions():
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
        help_menu.addAction(self.action_guide)
        help_menu.addSeparator()
        help_menu.addAction(self.action_about)

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
        self.action_import_delivery_report.triggered.connect(
            self._on_import_delivery_report_triggered)
        self.action_report.triggered.connect(self._on_report_triggered)
        self.action_import_events.triggered.connect(self._on_import_events_triggered)
        self.action_quit.triggered.connect(self.close)
        self.action_about.triggered.connect(self._on_about_triggered)
        self.action_guide.triggered.connect(self._on_guide_triggered)
        self.action_find.triggered.connect(self._on_find_triggered)
        self.action_connect.triggered.connect(self._on_connect_triggered)
        self.empty_new_button.clicked.connect(self.action_new.trigger)
        self.search_box.textChanged.connect(self._on_search_box_text_changed)
        self.status_filter.currentIndexChanged.connect(self._on_status_filter_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.csv_dropped.connect(self._on_table_csv_dropped)
        self.audience_file_dropped.connect(self.import_audience)
        self.child_windows.journey_saved.connect(self._on_editor_journey_saved)
        self.child_windows.clone_opened.connect(self._on_editor_clone_opened)
        self.child_windows.journey_activated.connect(self._on_activate_dialog_activated)

    def _title(self) -> str:
        if self.database_url:
            return f"{APP_NAME} — {database_words(self.database_url)}"
        if self._is_default_data_dir():
            return APP_NAME
        return f"{APP_NAME} — {self.data_dir}"

    def _is_default_data_dir(self) -> bool:
        try:
            return self.data_dir.resolve() == default_data_dir().resolve()
        except OSError:
            return False

    def _data_dir_text(self) -> str:
        if self.database_url:
            where = database_words(self.database_url)
            return f"Data: {where} (read-only)" if self.read_only else f"Data: {where}"
        return f"Data: {self.data_dir}"

    @Slot()
    def _on_connect_triggered(self) -> None:
        from journey_desktop.ui.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self.database_url, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_connect_dialog_accepted(dialog))
        dialog.open()

    def _on_connect_dialog_accepted(self, dialog: ConnectDialog) -> None:
        url = dialog.chosen_url()
        if url != self.database_url:
            self.database_chosen.emit(url)

    @Slot(str)
    def _on_busy_notice_waiting(self, text: str) -> None:
        """A write waits for the database: say so now, even if this thread is the one
        waiting (then nothing else repaints the window until the lock comes free)."""
        self.say(text)
        self.statusBar().repaint()

    @Slot()
    def _on_run_now_triggered(self) -> None:
        if self.scheduler is not None and not self.scheduler.run_now():
            self.say("A tick is already running." if self.scheduler.busy
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
        self.update_actions()

    @Slot(object)
    def _on_scheduler_tick_finished(self, summary: TickSummary) -> None:
        self.model.set_tick_failures({f.journey_id: f.error for f in summary.failures})
        self.refresh_in_background()
        self._update_tick_status()
        self.child_windows.tell_changed(None, TICK_CHANGE)
        from journey_desktop.services.scheduler import done_text

        self.say(f"Check done: {done_text(summary)}; {summary.completed:,} completed.")

    @Slot(str)
    def _on_scheduler_tick_failed(self, message: str) -> None:
        self._update_tick_status()
        self.update_actions()

    def _update_tick_status(self) -> None:
        if self.scheduler is None:
            self.tick_status_label.setText(
                "Evaluator: not running (read-only)" if self.read_only
                else "Evaluator: not running in this window")
            return
        self.tick_status_label.setText(self.scheduler.status_text())
        summary = self.scheduler.last_summary
        if summary is not None:
            self.tick_status_label.setToolTip("\n".join(summary.lines()))

    @Slot()
    def _on_refresh_triggered(self) -> None:
        try:
            self.refresh()
        except RepositoryError as exc:  # the database is gone: the window keeps working
            self.say(f"The list could not be reloaded: {sentence(exc)}")
            return
        self.say("List reloaded.")

    @Slot()
    def _on_about_triggered(self) -> None:
        prompts.about(self, f"About {APP_NAME}", about_text(self.data_dir))

    @Slot()
    def _on_guide_triggered(self) -> None:
        from journey_desktop.ui.guide import SECTION_WINDOW, show_guide  # on first use

        show_guide(self, SECTION_WINDOW)

    @Slot()
    def _on_find_triggered(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self.update_actions()

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

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if not self.child_windows.close_all():  # the user kept unsaved changes open
            event.ignore()
            return
        self.wait_for_background_work()
        self.save_settings()
        super().closeEvent(event)
