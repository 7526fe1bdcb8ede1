"""A journey's statistics window (SPEC §6, §15): counts, per-node reach and per-day charts;
the delivery figures and the plan against actual in tabs of their own.

Every figure comes from ``store.stats`` (``journey_stats`` and ``daily_counts``); the
window only lays them out. Days are the computer's local days, like the evaluator's."""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable

from PySide6.QtCore import (
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from journey_desktop import APP_NAME
from journey_desktop.domain import engine
from journey_desktop.domain.journey import CHANNEL_LABELS, CHANNELS
from journey_desktop.domain.when_words import waiting_in_words
from journey_desktop.services.workers import Worker
from journey_desktop.store.plan import PlanAgainstActual
from journey_desktop.store.repository import (
    JourneyRepository,
)
from journey_desktop.store.stats import DayCount, JourneyStats
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.guide import SECTION_STATS, add_help
from journey_desktop.ui.icons import icon
from journey_desktop.ui.stats.charts import (
    CHANNEL_COLORS,
    ENTRIES_COLOR,
    HELD_COLOR,
    SUPPRESSED_COLOR,
    DayChart,
    FigureBox,
    charts_column,
)
from journey_desktop.ui.stats.load_job import StatsSnapshot, load_job
from journey_desktop.ui.stats.models import (
    COL_NODE,
    COL_REACHED,
    COL_SHARE,
    COL_TYPE,
    COL_WAITING,
    NodeStatsProxy,
    NodeStatsTableModel,
    WaitEventStatsTableModel,
)
from journey_desktop.ui.stats.panels import DeliveryPanel, PlanPanel
from journey_desktop.ui.stats.results import ResultsPanel

DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 30
FIGURES = (  # key, label, tooltip
    ("audience", "Audience", "Customers in the journey's audience"),
    ("entered", "Entered", "Entries (a customer who re-enters counts again)"),
    ("never_entered", "Never entered",
     "Customers checked who never matched the entry (not yet checked: not counted)"),
    ("in_progress", "In progress", "Customers in this journey now, on their way through it"),
    ("completed", "Completed", "Entries that reached an exit"),
    ("stopped", "Stopped",
     "Entries ended otherwise (customer left the audience, journey ended)"),
)


class StatsWindow(QMainWindow):
    """The figures of one journey, its per-node reach and per-day charts.

    The figures are read by a Worker (a million-customer journey takes seconds to count);
    ``stats_loaded`` says when the window shows them.
    """

    node_counts_requested = Signal(int, dict)  # journey id, {node id: customers who reached it}
    stats_loaded = Signal()
    stats_failed = Signal(str)

    def __init__(
        self,
        repo: JourneyRepository,
        journey_id: int,
        parent: QWidget | None = None,
        *,
        tz: dt.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        days: int = DEFAULT_DAYS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stats_window")
        self.setWindowIcon(icon("stats"))
        self.resize(1200, 800)
        self.repo = repo
        self.journey_id = int(journey_id)
        self._tz = tz
        self._clock = clock
        self.stats = JourneyStats(journey_id=self.journey_id)
        self.day_counts: list[DayCount] = []
        self._worker: Worker | None = None
        self._reload_again = False
        self._close_when_done = False
        self._build(days)
        self._connect()
        add_help(self, SECTION_STATS)
        self.refresh()

    # --- public interface ------------------------------------------------------------------

    @property
    def days(self) -> int:
        """How many days the charts cover (ending today)."""
        return int(self.days_selector.currentData())

    def set_days(self, days: int) -> None:
        index = self.days_selector.findData(int(days))
        if index >= 0:
            self.days_selector.setCurrentIndex(index)

    def node_counts(self) -> dict[str, int]:
        return dict(self.stats.nodes)

    @property
    def loading(self) -> bool:
        return self._worker is not None

    @Slot()
    def refresh(self) -> None:
        """Read the figures and the charts again (in the background; see stats_loaded)."""
        if self._worker is not None:
            self._reload_again = True  # what is being read may predate the change
            return
        self._reload_again = False
        self.statusBar().showMessage("Reading the statistics…")
        self._worker = run_job(load_job, self._on_worker_finished, self._on_worker_failed,
                               self.repo, self.journey_id, self.days, int(self._clock()),
                               self._tz)

    def notice_change(self, journey_id: int | None, what: str) -> None:
        """Something changed this journey's figures (``journey_id`` None: any journey's):
        read them again, in the background."""
        if journey_id in (None, self.journey_id):
            self.refresh()

    # --- building --------------------------------------------------------------------------

    def _build(self, days: int) -> None:
        self.action_refresh = QAction(icon("refresh"), "&Refresh", self)
        self.action_refresh.setObjectName("stats_refresh_action")
        self.action_refresh.setShortcut(QKeySequence("F5"))
        self.action_refresh.setStatusTip("Read the statistics again")
        self.days_selector = QComboBox()
        self.days_selector.setObjectName("stats_days_selector")
        for choice in DAY_CHOICES:
            self.days_selector.addItem(f"Last {choice} days", choice)
        self.days_selector.setCurrentIndex(max(0, self.days_selector.findData(int(days))))
        self.show_on_canvas_button = QPushButton(icon("edit"), "Show on canvas")
        self.show_on_canvas_button.setObjectName("stats_show_on_canvas_button")
        self.show_on_canvas_button.setToolTip(
            "Open the journey with these counts on its nodes")
        self.show_on_canvas_button.setEnabled(False)  # until the counts are read
        toolbar = QToolBar("Statistics")
        toolbar.setObjectName("stats_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.action_refresh)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Charts: "))
        toolbar.addWidget(self.days_selector)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().Policy.Expanding,
                             spacer.sizePolicy().Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.show_on_canvas_button)
        self.addToolBar(toolbar)

        self.title_label = QLabel()
        self.title_label.setObjectName("stats_title")
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.4)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.status_label = QLabel()
        self.status_label.setObjectName("stats_status")
        self.status_label.setStyleSheet("color: #5f6b73;")
        heading = QHBoxLayout()
        heading.addWidget(self.title_label)
        heading.addWidget(self.status_label)
        heading.addStretch(1)

        self.figures: dict[str, FigureBox] = {}
        figures = QGridLayout()
        figures.setHorizontalSpacing(8)
        for column, (key, caption, tip) in enumerate(FIGURES):
            box = FigureBox(key, caption, tip)
            self.figures[key] = box
            figures.addWidget(box, 0, column)
        self.messages_box = FigureBox("messages", "Messages", "Messages written to the outbox")
        self.figures["messages"] = self.messages_box
        figures.addWidget(self.messages_box, 0, len(FIGURES))
        self.channel_boxes: dict[str, FigureBox] = {}
        self.channels_row = QHBoxLayout()
        self.channels_row.setSpacing(8)
        channels_caption = QLabel("Messages per channel:")
        channels_caption.setObjectName("stats_channels_caption")
        self.channels_row.addWidget(channels_caption)
        self.no_messages_label = QLabel("none yet")
        self.no_messages_label.setObjectName("stats_no_messages")
        self.no_messages_label.setStyleSheet("color: #5f6b73;")
        self.channels_row.addWidget(self.no_messages_label)
        for channel in CHANNELS:
            box = FigureBox(f"messages_{channel}", CHANNEL_LABELS.get(channel, channel),
                            f"{CHANNEL_LABELS.get(channel, channel)} messages written")
            box.hide()
            self.channel_boxes[channel] = box
            self.channels_row.addWidget(box)
        self.channels_row.addStretch(1)

        self.node_model = NodeStatsTableModel(self)
        self.node_proxy = NodeStatsProxy(self)
        self.node_proxy.setSourceModel(self.node_model)
        self.node_table = QTableView()
        self.node_table.setObjectName("stats_node_table")
        self.node_table.setModel(self.node_proxy)
        self.node_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.node_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.node_table.setAlternatingRowColors(True)
        self.node_table.verticalHeader().setVisible(False)
        self.node_table.setSortingEnabled(True)
        self.node_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header = self.node_table.horizontalHeader()
        header.setSectionResizeMode(COL_NODE, QHeaderView.ResizeMode.Stretch)
        for column in (COL_TYPE, COL_REACHED, COL_SHARE, COL_WAITING):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        nodes_caption = QLabel("Customers who reached each node, in flow order, and those "
                               "waiting at it now")
        nodes_caption.setObjectName("stats_nodes_caption")
        nodes_panel = QWidget()
        nodes_layout = QVBoxLayout(nodes_panel)
        nodes_layout.setContentsMargins(0, 0, 0, 0)
        nodes_layout.addWidget(nodes_caption)
        nodes_layout.addWidget(self.node_table, 1)
        self.coming_label = QLabel()  # at each wait: how many, until when
        self.coming_label.setObjectName("stats_coming_label")
        self.coming_label.setWordWrap(True)
        self.coming_label.setTextFormat(Qt.TextFormat.RichText)
        self.coming_label.hide()
        nodes_layout.addWidget(self.coming_label)
        self.wait_model = WaitEventStatsTableModel(self)
        self.wait_table = QTableView()
        self.wait_table.setObjectName("stats_wait_event_table")
        self.wait_table.setModel(self.wait_model)
        self.wait_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.wait_table.verticalHeader().setVisible(False)
        self.wait_table.setToolTip(
            "Matched: the event came before the timeout. Timed out: it did not. Late: it was "
            "imported after the timeout had fired, and changed nothing.")
        self.wait_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.wait_table.setMaximumHeight(150)
        self.wait_table.hide()  # shown for journeys that wait for an event
        nodes_layout.addWidget(self.wait_table)

        self.entries_chart = DayChart("stats_entries_chart", "Entries per day", stacked=False)
        self.messages_chart = DayChart("stats_messages_chart", "Messages per day by channel",
                                       stacked=True)
        # Shown only for a journey with held or suppressed messages (SPEC §13).
        self.policy_chart = DayChart("stats_policy_chart", "Held and suppressed per day",
                                     stacked=False)
        self.policy_chart.hide()
        charts = charts_column(self.entries_chart, self.messages_chart, self.policy_chart)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("stats_splitter")
        splitter.addWidget(nodes_panel)
        splitter.addWidget(charts)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 640])  # room for the node names and every count

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(heading)
        layout.addLayout(figures)
        layout.addLayout(self.channels_row)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stats_tabs")
        self.tabs.addTab(splitter, "Reach")
        self.delivery_panel = DeliveryPanel()
        self.tabs.addTab(self.delivery_panel, "Delivery")
        self.plan_panel = PlanPanel()
        self.tabs.addTab(self.plan_panel, "Plan against actual")
        self.results_panel = ResultsPanel()
        self.tabs.addTab(self.results_panel, "Results")
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _connect(self) -> None:
        self.action_refresh.triggered.connect(self.refresh)
        self.days_selector.currentIndexChanged.connect(self._on_days_selector_changed)
        self.show_on_canvas_button.clicked.connect(self._on_show_on_canvas_button_clicked)

    # --- showing ----------------------------------------------------------------------------

    def _show_figures(self) -> None:
        stats = self.stats
        for key, _caption, _tip in FIGURES:
            self.figures[key].set_value(int(getattr(stats, key)))
        if stats.stopped_by_reason:
            reasons = ", ".join(f"{reason.replace('_', ' ')}: {count:,}"
                                for reason, count in sorted(stats.stopped_by_reason.items()))
            self.figures["stopped"].setToolTip(f"Entries ended otherwise ({reasons})")
        self.messages_box.set_value(stats.message_total)
        policy = [f"{stats.held:,} held now (quiet hours, rate limit)"] if stats.held else []
        policy += [f"{count:,} suppressed ({reason.replace('_', ' ')})"
                   for reason, count in stats.suppressed.items()]
        self.messages_box.setToolTip("Messages written to the outbox"
                                     + (f"; {'; '.join(policy)}" if policy else ""))
        for channel, box in self.channel_boxes.items():
            count = stats.messages.get(channel, 0)
            box.set_value(count)
            box.setVisible(count > 0)
        self.no_messages_label.setVisible(stats.message_total == 0)

    def _show(self, snapshot: StatsSnapshot) -> None:
        stored = snapshot.stored
        if stored is None:
            self._show_missing()
            return
        name = stored.journey.name
        self.setWindowTitle(f"Statistics — {name} — {APP_NAME}")
        self.title_label.setText(name)
        self.status_label.setText(stored.status.capitalize())
        self.stats = snapshot.stats
        self._show_figures()
        nodes = [(node.id, node.type) for node in engine.step_order(stored.journey)]
        coming = self._coming(nodes)
        self.node_model.set_counts(nodes, self.stats.nodes, self.stats.customers_entered,
                                   self.stats.waiting, coming)
        self.coming_label.setText("<b>What is coming</b>" + "".join(
            f"<br>{html.escape(node)}: {html.escape(words)}" for node, words in coming.items()))
        self.coming_label.setVisible(bool(coming))
        self.wait_model.set_counts(self.stats.wait_events)
        self.wait_table.setVisible(bool(self.stats.wait_events))
        self.show_on_canvas_button.setEnabled(True)
        self.day_counts = snapshot.day_counts
        self._show_charts(snapshot.days)
        self.delivery_panel.show_delivery(snapshot.delivery, [node for node, _ in nodes],
                                          snapshot.days, snapshot.delivery_days)
        self.plan_panel.show_plan(snapshot.plan)
        self.results_panel.show_results(snapshot.results)

    def _coming(self, nodes: list[tuple[str, str]]) -> dict[str, str]:
        """At each wait where runs stand, what is coming ("42 waiting until 09:00 today")."""
        now = int(self._clock())
        coming: dict[str, str] = {}
        for node_id, node_type in nodes:
            count = self.stats.waiting.get(node_id, 0)
            if node_type not in ("wait", "wait_event") or not count:
                continue
            due, due_count = self.stats.next_due.get(node_id, (None, 0))
            coming[node_id] = waiting_in_words(count, due, due_count, now, self._tz,
                                               for_event=node_type == "wait_event")
        return coming

    def _show_charts(self, days: list[dt.date]) -> None:
        span = len(days)
        by_day = {count.day: count for count in self.day_counts}
        entries = [by_day[d].entered if d in by_day else 0 for d in days]
        self.entries_chart.set_values(
            days, [("Entries", ENTRIES_COLOR, entries)],
            empty_note=f"No customer entered in the last {span} days.")
        channels = [c for c in CHANNELS if any(c in count.messages for count in self.day_counts)]
        channels += sorted({c for count in self.day_counts for c in count.messages} - set(channels))
        sets = [
            (CHANNEL_LABELS.get(c, c), CHANNEL_COLORS.get(c, "#7f7f7f"),
             [by_day[d].messages.get(c, 0) if d in by_day else 0 for d in days])
            for c in channels
        ]
        self.messages_chart.set_values(
            days, sets,
            empty_note=f"No message written in the last {span} days.")
        held = [by_day[d].held if d in by_day else 0 for d in days]
        suppressed = [by_day[d].suppressed if d in by_day else 0 for d in days]
        self.policy_chart.set_values(
            days, [("Held", HELD_COLOR, held), ("Suppressed", SUPPRESSED_COLOR, suppressed)],
            empty_note=f"No message held or suppressed in the last {span} days.")
        self.policy_chart.setVisible(bool(self.stats.held or self.stats.suppressed
                                          or any(held) or any(suppressed)))

    def _show_missing(self) -> None:
        self.setWindowTitle(f"Statistics — {APP_NAME}")
        self.title_label.setText("This journey was removed")
        self.status_label.setText("")
        self.stats = JourneyStats(journey_id=self.journey_id)
        self._show_figures()
        self.node_model.set_counts([], {}, 0)
        self.coming_label.hide()
        self.show_on_canvas_button.setEnabled(False)
        self.entries_chart.set_values([], [], empty_note="No data.")
        self.messages_chart.set_values([], [], empty_note="No data.")
        self.delivery_panel.show_delivery([], [], [], {})
        self.plan_panel.show_plan(PlanAgainstActual([], None, ""))

    # --- slots -------------------------------------------------------------------------------

    @Slot(int)
    def _on_days_selector_changed(self, _index: int) -> None:
        self.refresh()

    @Slot(object)
    def _on_worker_finished(self, snapshot: object) -> None:
        self._worker = None
        if self._close_when_done:
            QTimer.singleShot(0, self.close)
            return
        if self._reload_again:
            self.refresh()
            return
        assert isinstance(snapshot, StatsSnapshot)
        self._show(snapshot)
        self.statusBar().clearMessage()
        self.stats_loaded.emit()

    @Slot(str)
    def _on_worker_failed(self, text: str) -> None:
        self._worker = None
        if self._close_when_done:
            QTimer.singleShot(0, self.close)
            return
        self.statusBar().showMessage(f"The statistics could not be read: {text}")
        self.stats_failed.emit(text)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if self._worker is not None:  # the worker must not outlive the window: close after it
            self._close_when_done = True
            self.hide()
            event.ignore()
            return
        super().closeEvent(event)

    @Slot()
    def _on_show_on_canvas_button_clicked(self) -> None:
        self.node_counts_requested.emit(self.journey_id, self.node_counts())

