"""The journey editor window (SPEC §9): canvas, palette, properties, problems, undo, save."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMetaMethod, QModelIndex, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.validation import ValidationResult
from journey_desktop.store import store_is_read_only
from journey_desktop.store.events import EventStore
from journey_desktop.store.repository import (
    JourneyRepository,
    RepositoryError,
)
from journey_desktop.ui import prompts
from journey_desktop.ui.common.changes import AUDIENCE_IMPORT_CHANGE, CUSTOMERS_IMPORT_CHANGE
from journey_desktop.ui.editor.canvas import JourneyCanvas
from journey_desktop.ui.editor.delivery_figures import DeliveryFigures
from journey_desktop.ui.editor.document import JourneyDocument
from journey_desktop.ui.editor.goal_panel import TITLE as GOAL_TITLE
from journey_desktop.ui.editor.goal_panel import (
    GoalHeader,
    GoalPanel,
    is_rules_field,
    rules_problems,
)
from journey_desktop.ui.editor.items import node_icon
from journey_desktop.ui.editor.layout import auto_layout, place_below
from journey_desktop.ui.editor.panel import PropertiesPanel
from journey_desktop.ui.editor.problems import ProblemListModel
from journey_desktop.ui.editor.summary import AUDIENCE_LABELS, TYPE_LABELS
from journey_desktop.ui.editor.versions import VersionsMixin
from journey_desktop.ui.validate_dialog import ValidateDialog

PALETTE_TYPES = ("entry", "wait", "wait_event", "condition", "split", "message", "exit")
PALETTE_TIPS = {
    "entry": "Where a run starts (one per journey), with an optional filter",
    "wait": "Pause for a duration, optionally until a time of day",
    "wait_event": "Wait for an event (a purchase) up to a timeout: yes if it came, no if not",
    "condition": "Branch on the customer's fields: yes or no",
    "split": "Random A/B split by percent",
    "message": "Send a push, email, SMS, in-app or WhatsApp message",
    "exit": "The run ends",
}
FIT_MIN_ZOOM = 0.55
# How often an open editor asks whether its journey was activated or deactivated elsewhere
# (it also asks whenever its window comes to the front).
STATUS_POLL_MS = 5000
# The changes that may bring customer fields an open editor should know.
FIELD_CHANGES = (AUDIENCE_IMPORT_CHANGE, CUSTOMERS_IMPORT_CHANGE)


class EditorWindow(VersionsMixin):
    """Edits one journey; active and deactivated journeys open read-only."""

    clone_opened = Signal(int)
    clone_requested = Signal(int)  # same as clone_opened, for callers that use this name

    def __init__(
        self, repo: JourneyRepository, journey_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editor_window")
        self.repo = repo
        self.journey_id = journey_id
        stored = repo.get(journey_id)
        self.status = stored.status
        self.version = stored.version  # the one saved over (SPEC §14: several editors)
        self.removed = False
        journey = stored.journey
        events = EventStore()
        self.document = JourneyDocument(
            journey,
            read_only=not stored.editable or store_is_read_only(),
            taken_names=repo.names(excluding=journey_id),
            # The fields customers are known to have, whichever audience brought them,
            # so that the placeholder picker offers them and an unknown one is flagged.
            audience_columns=repo.known_fields() or None,
            journey_id=journey_id,
            event_names=events.seen_names(),
            event_properties=events.seen_properties(),
            parent=self,
        )
        if any(node.position is None for node in journey.nodes):
            self.document.set_positions_silently(auto_layout(journey))
        self._clone_windows: list[EditorWindow] = []
        self._validate_dialog: ValidateDialog | None = None
        self._build()
        self._connect()
        self._on_document_meta_changed()
        self._on_document_validated(self.document.validation)
        self.delivery_figures = DeliveryFigures(self.canvas, journey_id, self)
        if self.read_only:
            self.delivery_figures.refresh()
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_POLL_MS)
        self._status_timer.timeout.connect(self.check_status)
        self._status_timer.start()
        self.resize(1280, 820)

    # --- public -----------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.document.read_only

    def select_node(self, node_id: str) -> None:
        """Select a node, scroll it into view and show it in the properties panel."""
        self.canvas.select_node(node_id)
        self.panel.show_node(node_id)
        self.properties_tabs.setCurrentWidget(self.panel)

    def show_goal_panel(self) -> None:
        """Open the goal and exit rules in the properties area."""
        self.properties_tabs.setCurrentWidget(self.goal_panel)

    def show_problem(self, node_id: str, field: str) -> None:
        """Select the problem's node and put the cursor in the input it names."""
        if node_id and self.document.node(node_id) is not None:
            self.select_node(node_id)
            self.panel.focus_field(field)
        elif not node_id and is_rules_field(field):
            self.show_goal_panel()
            self.goal_panel.focus_field(field)
        elif not node_id:
            self.name_edit.setFocus()
            self.name_edit.selectAll()

    def set_node_counts(self, counts: dict[str, int] | None) -> None:
        """Show "N reached" on each card (statistics); None hides the counts."""
        self.canvas.set_node_counts(counts)

    def notice_change(self, journey_id: int | None, what: str) -> None:
        """A report or a tick changed a journey's figures (None: any journey's): a
        read-only journey's message cards read their delivery figures again. An audience
        or customers import may have brought customer fields: the checks and pickers learn
        them, the unsaved edits untouched."""
        if self.read_only and journey_id in (None, self.journey_id):
            self.delivery_figures.refresh()
        if what in FIELD_CHANGES:
            self._learn_known_fields()

    def _learn_known_fields(self) -> None:
        doc = self.document
        fields = self.repo.known_fields() or None
        if fields == doc.audience_columns:
            return
        doc.audience_columns = fields
        doc.revalidate()
        self.panel.show_node(self.panel.node_id)
        self.goal_panel.refresh()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        doc = self.document
        self.canvas = JourneyCanvas(doc)
        self.panel = PropertiesPanel(doc)
        self.goal_panel = GoalPanel(doc)
        self.properties_tabs = QTabWidget()
        self.properties_tabs.setObjectName("properties_tabs")
        self.properties_tabs.setDocumentMode(True)
        self.properties_tabs.addTab(self.panel, "Step")
        self.properties_tabs.addTab(self.goal_panel, GOAL_TITLE)
        self.goal_header = GoalHeader()
        self.problem_model = ProblemListModel(self)
        self.problems_list = QListView()
        self.problems_list.setObjectName("problems_list")
        self.problems_list.setModel(self.problem_model)
        self.problems_list.setWordWrap(True)
        self.problems_list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.problems_title = QLabel("Problems")
        self.problems_title.setObjectName("problems_title")
        self.problems_title.setStyleSheet("font-weight: 600; padding: 4px 2px;")

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._banner())
        column.addWidget(self._changed_banner())
        column.addWidget(self._header())
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.properties_tabs)
        problems_box = QWidget()
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(6, 0, 6, 6)
        problems_layout.addWidget(self.problems_title)
        problems_layout.addWidget(self.problems_list)
        right.addWidget(problems_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        right.setSizes([580, 160])
        flow = QWidget()
        flow_column = QVBoxLayout(flow)
        flow_column.setContentsMargins(0, 0, 0, 0)
        flow_column.setSpacing(0)
        flow_column.addWidget(self.goal_header)
        flow_column.addWidget(self.canvas, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(flow)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([860, 420])
        column.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self._build_actions()
        self.statusBar().setObjectName("editor_status")

    def _banner(self) -> QWidget:
        banner = QFrame()
        banner.setObjectName("readonly_banner")
        banner.setStyleSheet(
            "#readonly_banner { background: #fef7e0; border-bottom: 1px solid #f9d87a; }"
        )
        row = QHBoxLayout(banner)
        row.setContentsMargins(14, 8, 14, 8)
        label = QLabel(self._banner_text())
        label.setObjectName("readonly_banner_text")
        label.setWordWrap(True)
        self.banner_label = label
        self.clone_button = QPushButton("Clone to edit")
        self.clone_button.setObjectName("clone_to_edit_button")
        self.clone_button.clicked.connect(self._on_clone_button_clicked)
        row.addWidget(label, 1)
        row.addWidget(self.clone_button)
        banner.setVisible(self.read_only)
        self.banner = banner
        return banner

    def _header(self) -> QWidget:
        header = QWidget()
        header.setObjectName("editor_header")
        layout = QVBoxLayout(header)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setSpacing(4)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("name_edit")
        self.name_edit.setPlaceholderText("Journey name")
        self.name_edit.setMaxLength(120)
        font = self.name_edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.name_edit.setFont(font)
        self.name_edit.setFrame(False)
        self.description_edit = QLineEdit()
        self.description_edit.setObjectName("description_edit")
        self.description_edit.setPlaceholderText("Description (optional)")
        self.description_edit.setFrame(False)
        for edit in (self.name_edit, self.description_edit):
            edit.setReadOnly(self.read_only)
        self.audience_combo = QComboBox()
        self.audience_combo.setObjectName("audience_combo")
        for audience, label in AUDIENCE_LABELS.items():
            self.audience_combo.addItem(label, audience)
        self.audience_combo.setToolTip(
            "Who the journey applies to: the customers imported into it, or everyone in the "
            "customer base, including customers imported later")
        self.audience_combo.setEnabled(not self.read_only)
        audience_row = QHBoxLayout()
        audience_row.addWidget(QLabel("Audience:"))
        audience_row.addWidget(self.audience_combo)
        audience_row.addStretch(1)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.description_edit)
        layout.addLayout(audience_row)
        return header

    def _action(self, name: str, text: str,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
        return action

    def _build_actions(self) -> None:
        doc = self.document
        stack = doc.undo_stack
        self.save_action = self._action("save_action", "&Save", QKeySequence.StandardKey.Save,
                                        "Save the journey (Ctrl+S)")
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setObjectName("undo_action")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setObjectName("redo_action")
        self.redo_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")]
        )
        self.delete_action = self._action("delete_action", "&Delete", None,
                                          "Delete the selected nodes and connections (Delete)")
        self.zoom_in_action = self._action(
            "zoom_in_action", "Zoom &in", QKeySequence.StandardKey.ZoomIn
        )
        self.zoom_out_action = self._action(
            "zoom_out_action", "Zoom &out", QKeySequence.StandardKey.ZoomOut
        )
        self.fit_action = self._action("fit_action", "&Fit to window", "Ctrl+0",
                                       "Show the whole journey (Ctrl+0)")
        self.layout_action = self._action("layout_action", "&Arrange", "Ctrl+L",
                                          "Arrange the nodes from top to bottom (Ctrl+L)")
        self.goal_action = self._action("goal_action", "&Goal…", "Ctrl+G",
                                        "The journey's goal and exit rules (Ctrl+G)")
        self.close_action = self._action("close_action", "&Close", QKeySequence.StandardKey.Close)
        for action in (self.save_action, self.undo_action, self.redo_action, self.close_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

        toolbar = QToolBar("Editor")
        toolbar.setObjectName("editor_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.save_action, self.undo_action, self.redo_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self.delete_action, self.zoom_in_action, self.zoom_out_action,
                       self.fit_action, self.layout_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.goal_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.validate_button = QPushButton("Validate")
        self.validate_button.setObjectName("editor_validate_button")
        self.validate_button.setToolTip("Check what the editor shows, every problem at once")
        self.activate_button = QPushButton("Activate…")
        self.activate_button.setObjectName("editor_activate_button")
        toolbar.addWidget(self.validate_button)
        toolbar.addWidget(self.activate_button)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.addAction(self.close_action)

        self.node_palette = QToolBar("Add a node")
        self.node_palette.setObjectName("palette")
        self.node_palette.setMovable(False)
        self.node_palette.setIconSize(QSize(26, 26))
        self.node_palette.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.node_palette.setStyleSheet("QToolBar#palette QToolButton { padding: 4px 6px; }")
        caption = QLabel("Add")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setStyleSheet("color: #5f6368; padding: 6px 4px 2px 4px;")
        self.node_palette.addWidget(caption)
        self.palette_actions: dict[str, QAction] = {}
        for node_type in PALETTE_TYPES:
            action = self._action(f"add_{node_type}", TYPE_LABELS[node_type], None,
                                  PALETTE_TIPS[node_type])
            action.setIcon(node_icon(node_type))
            action.triggered.connect(lambda _c=False, t=node_type: self._on_palette_triggered(t))
            self.node_palette.addAction(action)
            button = self.node_palette.widgetForAction(action)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.palette_actions[node_type] = action
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.node_palette)

        self._update_editable()

    def _connect(self) -> None:
        doc = self.document
        self.save_action.triggered.connect(self._on_save_triggered)
        self.validate_button.clicked.connect(self._on_validate_button_clicked)
        self.activate_button.clicked.connect(self._on_activate_button_clicked)
        self.delete_action.triggered.connect(self.canvas.delete_selection)
        self.zoom_in_action.triggered.connect(lambda: self.canvas.zoom_by(1.25))
        self.zoom_out_action.triggered.connect(lambda: self.canvas.zoom_by(0.8))
        self.fit_action.triggered.connect(lambda: self.canvas.fit_all(max_zoom=1.5))
        self.layout_action.triggered.connect(self._on_layout_triggered)
        self.goal_action.triggered.connect(self.show_goal_panel)
        self.goal_header.clicked.connect(self.show_goal_panel)
        self.close_action.triggered.connect(self.close)
        self.canvas.node_selected.connect(self._on_canvas_node_selected)
        self.canvas.insert_requested.connect(self._on_canvas_insert_requested)
        self.problems_list.clicked.connect(self._on_problems_list_clicked)
        self.problems_list.activated.connect(self._on_problems_list_clicked)
        self.name_edit.textEdited.connect(lambda text: doc.set_meta("name", text))
        self.description_edit.textEdited.connect(lambda text: doc.set_meta("description", text))
        self.audience_combo.activated.connect(self._on_audience_combo_activated)
        doc.meta_changed.connect(self._on_document_meta_changed)
        doc.rules_changed.connect(self._on_document_rules_changed)
        doc.validated.connect(self._on_document_validated)
        doc.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)

    # --- slots ------------------------------------------------------------------------------

    @Slot()
    def _on_save_triggered(self) -> None:
        self.save()

    def _on_palette_triggered(self, node_type: str) -> None:
        after = self._insertion_point(node_type)
        if after is None:
            node_id = self.document.add_node(node_type, self.canvas.free_position())
        else:
            node_id = self.insert_after(*after, node_type)
        self.select_node(node_id)
        self.canvas.setFocus()  # Delete now deletes the new step, never text elsewhere

    def _insertion_point(self, node_type: str) -> tuple[str, str] | None:
        """Where a step from the palette connects: the selected arrow, else the selected
        node's first free output, else its first output (the new step takes it over)."""
        if node_type == "entry":
            return None
        nodes = self.canvas.selected_node_ids()
        edges = self.canvas.selected_edges()
        if not nodes and len(edges) == 1:
            return edges[0]
        node = self.document.node(nodes[0]) if len(nodes) == 1 else None
        if node is None or not node.targets():
            return None
        free = [name for name, target in node.targets() if not target]
        if free:
            return node.id, free[0]
        if node_type == "exit":  # an exit would cut off what follows
            return None
        return node.id, node.targets()[0][0]

    def insert_after(self, source: str, field: str, node_type: str) -> str:
        """Insert a step on an output, placed below its node, the cards below moved down."""
        node = self.document.node(source)
        if node is None:
            return ""
        outputs = [name for name, _target in node.targets()]
        positions = {n.id: n.position or (0.0, 0.0) for n in self.document.journey.nodes}
        position, moves = place_below(positions, source, outputs.index(field), len(outputs))
        return self.document.insert_node(node_type, source, field, position, moves)

    @Slot(str, str, str)
    def _on_canvas_insert_requested(self, source: str, field: str, node_type: str) -> None:
        node_id = self.insert_after(source, field, node_type)
        if node_id:
            self.select_node(node_id)

    @Slot()
    def _on_layout_triggered(self) -> None:
        self.document.move_nodes(auto_layout(self.document.journey), "Arrange")
        self.canvas.fit_all(max_zoom=1.0, min_zoom=FIT_MIN_ZOOM)
        self.canvas.repaint_all()

    @Slot(str)
    def _on_canvas_node_selected(self, node_id: str) -> None:
        self.panel.show_node(node_id)
        if node_id:
            self.properties_tabs.setCurrentWidget(self.panel)

    @Slot()
    def _on_document_rules_changed(self) -> None:
        self.goal_header.show_rules(self.document.journey,
                                    rules_problems(self.document.validation))

    @Slot(QModelIndex)
    def _on_problems_list_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            problem = self.problem_model.problem_at(index.row())
            self.show_problem(problem.node or "", problem.field)

    @Slot(int)
    def _on_audience_combo_activated(self, index: int) -> None:
        self.document.set_meta("audience", str(self.audience_combo.itemData(index)))

    @Slot()
    def _on_document_meta_changed(self) -> None:
        journey = self.document.journey
        if self.name_edit.text() != journey.name:
            self.name_edit.setText(journey.name)
        if self.description_edit.text() != journey.description:
            self.description_edit.setText(journey.description)
        self.audience_combo.setCurrentIndex(self.audience_combo.findData(journey.audience))
        suffix = "" if not self.read_only else f" ({self.status}, read-only)"
        self.setWindowTitle(f"{journey.name or 'Untitled journey'}[*]{suffix} — Journey editor")

    @Slot(object)
    def _on_document_validated(self, result: ValidationResult) -> None:
        self.problem_model.set_result(result)
        self.goal_header.show_rules(self.document.journey, rules_problems(result))
        errors, warnings = len(result.errors), len(result.warnings)
        if not errors and not warnings:
            summary = "No problems"
        else:
            parts = []
            if errors:
                parts.append(f"{errors} error{'s' if errors != 1 else ''}")
            if warnings:
                parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
            summary = ", ".join(parts)
        self.problems_title.setText(f"Problems — {summary}")
        nodes = len(self.document.journey.nodes)
        self.statusBar().showMessage(f"{nodes} node{'s' if nodes != 1 else ''} · {summary}")

    @Slot(bool)
    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    @Slot()
    def _on_clone_button_clicked(self) -> None:
        try:
            new_id = self.repo.clone(self.journey_id)
        except RepositoryError as exc:
            prompts.show_error(self, "Cannot clone the journey", str(exc))
            return
        self.open_draft(new_id)

    def open_draft(self, new_id: int) -> None:
        """Open a new draft made here (a clone, a copy of a version saved too late): in the
        main window's editors when one listens, else in a window of its own."""
        listened = any(
            self.isSignalConnected(QMetaMethod.fromSignal(signal))
            for signal in (self.clone_opened, self.clone_requested)
        )
        self.clone_opened.emit(new_id)
        self.clone_requested.emit(new_id)
        if not listened:  # used on its own: open the new draft here
            window = EditorWindow(self.repo, new_id)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._clone_windows.append(window)
            window.show()

    # --- Qt overrides -----------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.check_status()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            self._shown_once = True
            self.canvas.fit_all(max_zoom=1.0, min_zoom=FIT_MIN_ZOOM)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.read_only or self.document.undo_stack.isClean():
            event.accept()
            return
        name = self.document.journey.name or "this journey"
        answer = prompts.ask_save_changes(
            self, "Unsaved changes", f"Save the changes to “{name}” before closing?"
        )
        if answer == "save" and not self.save():
            event.ignore()
        elif answer == "cancel":
            event.ignore()
        else:
            event.accept()
