"""The properties panel: a form for the selected node, per type and channel (SPEC §2).

The form is rebuilt only when its shape changes (another node, type, channel, number of
conditions or branches, the list of nodes to connect to); otherwise its values are updated in
place, so typing is never interrupted by the document's redraws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTime, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.journey import (
    CHANNEL_FIELDS,
    CHANNEL_LABELS,
    CHANNELS,
    DURATION_UNITS,
    SMS_MAX_LENGTH,
    Duration,
    Node,
)
from journey_desktop.domain.problem_words import CONTENT_LABELS
from journey_desktop.ui.common.colours import ERROR_COLOR, MUTED_COLOR
from journey_desktop.ui.editor.bound_combo import bound_combo
from journey_desktop.ui.editor.document import JourneyDocument
from journey_desktop.ui.editor.event_forms import EventFormsMixin
from journey_desktop.ui.editor.items import TYPE_COLORS, node_icon
from journey_desktop.ui.editor.placeholders import PlaceholderMixin
from journey_desktop.ui.editor.preview import MessagePreview
from journey_desktop.ui.editor.problem_inputs import OUTLINE_STYLE, find_input, focus_input, outline
from journey_desktop.ui.editor.split_form import SplitFormMixin
from journey_desktop.ui.editor.summary import HEADLINE_FIELD, TYPE_LABELS

NOT_CONNECTED = "(not connected)"


class PropertiesPanel(PlaceholderMixin, SplitFormMixin, EventFormsMixin):
    """Edits the selected node through the document's undoable commands."""

    def __init__(self, document: JourneyDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("properties_panel")
        self.setWidgetResizable(True)
        self.setMinimumWidth(360)
        self.document = document
        self.node_id = ""
        self._signature: tuple[Any, ...] | None = None
        self._refreshers: list[Callable[[Node], None]] = []
        self._refreshing = False
        self._text_targets: dict[QObject, Callable[[], None]] = {}
        self._last_text: QLineEdit | QPlainTextEdit | None = None
        document.node_changed.connect(self._on_document_node_changed)
        document.node_added.connect(self._on_document_nodes_changed)
        document.node_removed.connect(self._on_document_nodes_changed)
        document.node_renamed.connect(self._on_document_node_renamed)
        document.validated.connect(self._on_document_validated)
        self._problems_label: QLabel | None = None
        self.show_node("")

    # --- public -----------------------------------------------------------------------------

    def show_node(self, node_id: str) -> None:
        self.node_id = node_id if self.document.node(node_id) else ""
        self._signature = None
        self.refresh()

    def refresh(self) -> None:
        node = self.document.node(self.node_id) if self.node_id else None
        signature = self._shape(node)
        if signature != self._signature:
            self._signature = signature
            self._rebuild(node)
        if node is not None:
            self._refreshing = True
            try:
                for refresher in self._refreshers:
                    refresher(node)
            finally:
                self._refreshing = False
        self._on_document_validated(self.document.validation)

    def focus_field(self, field: str) -> bool:
        """Put the cursor in the input of the shown node's field; False when there is none."""
        widget = find_input(self.widget(), field)
        if widget is None or not widget.isEnabled():
            return False
        self.ensureWidgetVisible(widget)
        focus_input(widget)
        return True

    # --- document signals -------------------------------------------------------------------

    @Slot(str)
    def _on_document_node_changed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.refresh()

    @Slot(str)
    def _on_document_nodes_changed(self, _node_id: str) -> None:
        if self.node_id and self.document.node(self.node_id) is None:
            self.node_id = ""
        self.refresh()

    @Slot(str, str)
    def _on_document_node_renamed(self, old: str, new: str) -> None:
        if self.node_id == old:
            self.node_id = new
        self.refresh()

    @Slot(object)
    def _on_document_validated(self, result: object) -> None:
        if self._problems_label is None or not self.node_id:
            return
        problems = self.document.validation.for_node(self.node_id)
        lines = [f"{'⚠' if not p.is_error else '✖'} {p.words}" for p in problems]
        outline(self.widget(), problems)
        self._problems_label.setText("\n".join(lines))
        self._problems_label.setVisible(bool(lines))

    # --- building ---------------------------------------------------------------------------

    def _shape(self, node: Node | None) -> tuple[Any, ...]:
        if node is None:
            return ("none",)
        trigger_filter = node.trigger.filter if node.trigger else None
        return (
            node.id,
            node.type,
            node.channel,
            node.filter is not None,
            tuple(c.is_history for c in node.filter.conditions) if node.filter else (),
            len(node.branches),
            tuple(self.document.node_ids()),
            node.trigger is not None,
            len(trigger_filter.conditions) if trigger_filter else -1,
        )

    def _rebuild(self, node: Node | None) -> None:
        self._refreshers = []
        self._text_targets = {}
        self._last_text = None
        self._problems_label = None
        old = self.takeWidget()
        if old is not None:
            focused = QApplication.focusWidget()
            if focused is not None and old.isAncestorOf(focused):
                # Hiding the focused input would pass the focus on down the window's tab
                # chain, to the journey name with its text selected: keep it here.
                self.setFocus()
            old.hide()
            old.deleteLater()
        content = QWidget()
        content.setStyleSheet(OUTLINE_STYLE)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        if node is None:
            hint = QLabel(
                "Select a node on the canvas to edit it, or add one from the palette on the left."
            )
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #5f6368;")
            layout.addWidget(hint)
            layout.addStretch(1)
            self.setWidget(content)
            return
        layout.addWidget(self._header(node))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout.addLayout(form)
        form.addRow("Id", self._id_row(node))
        builder = getattr(self, f"_build_{node.type}", None)
        if builder is not None:
            builder(node, layout, form)
        self._problems_label = QLabel()
        self._problems_label.setObjectName("node_problems_label")
        self._problems_label.setWordWrap(True)
        self._problems_label.setStyleSheet(f"color: {ERROR_COLOR};")
        layout.addWidget(self._problems_label)
        layout.addStretch(1)
        content.setEnabled(not self.document.read_only)
        self.setWidget(content)

    def _header(self, node: Node) -> QWidget:
        header = QWidget()
        row = QHBoxLayout(header)
        row.setContentsMargins(0, 0, 0, 0)
        icon = QLabel()
        icon.setPixmap(node_icon(node.type).pixmap(24, 24))
        title = QLabel(TYPE_LABELS.get(node.type, node.type))
        title.setObjectName("node_type_label")
        title.setStyleSheet(
            f"font-weight: 600; font-size: 14px; color: {TYPE_COLORS.get(node.type, '#202124')};"
        )
        row.addWidget(icon)
        row.addWidget(title, 1)
        return header

    def _id_row(self, node: Node) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        edit = QLineEdit(node.id)
        edit.setObjectName("node_id_edit")
        edit.setToolTip("The node's id; connections to it follow a rename.")
        error = QLabel()
        error.setObjectName("node_id_error")
        error.setStyleSheet(f"color: {ERROR_COLOR};")
        error.hide()
        column.addWidget(edit)
        column.addWidget(error)

        def commit() -> None:
            current = self.node_id
            new = edit.text().strip()
            if not current or new == current:
                error.hide()
                return
            problem = self.document.rename_node(current, new)
            if problem:
                error.setText(problem)
                error.show()
                edit.setText(current)
            else:
                error.hide()

        edit.editingFinished.connect(commit)
        return box

    # --- helpers that bind a widget to one value of the node ----------------------------------

    def _edit(
        self, change: Callable[[Node], None], text: str, merge_key: str | None = None
    ) -> None:
        if self._refreshing or not self.node_id:
            return
        self.document.edit_node(self.node_id, change, text, merge_key)

    def _line_edit(
        self,
        name: str,
        get: Callable[[Node], str],
        put: Callable[[Node, str], None],
        text: str,
        merge_key: str,
    ) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)

        def commit() -> None:
            value = edit.text()
            self._edit(lambda n: put(n, value), text, merge_key)

        edit.textEdited.connect(lambda _t: commit())
        self._track_text(edit, commit)

        def refresh(node: Node) -> None:
            value = get(node)
            if edit.text() != value:
                edit.setText(value)

        self._refreshers.append(refresh)
        return edit

    def _text_edit(
        self,
        name: str,
        get: Callable[[Node], str],
        put: Callable[[Node, str], None],
        text: str,
        merge_key: str,
    ) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(90)

        def commit() -> None:
            value = edit.toPlainText()
            self._edit(lambda n: put(n, value), text, merge_key)

        edit.textChanged.connect(commit)
        self._track_text(edit, commit)

        def refresh(node: Node) -> None:
            value = get(node)
            if edit.toPlainText() != value:
                edit.setPlainText(value)

        self._refreshers.append(refresh)
        return edit

    def _track_text(self, widget: QLineEdit | QPlainTextEdit, commit: Callable[[], None]) -> None:
        self._text_targets[widget] = commit
        widget.installEventFilter(self)
        if self._last_text is None:
            self._last_text = widget

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and watched in self._text_targets:
            self._last_text = watched  # type: ignore[assignment]
        return super().eventFilter(watched, event)

    def _target_combo(self, name: str, field: str, node: Node) -> QComboBox:
        """Which node an output leads to."""
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(NOT_CONNECTED, None)
        for other in self.document.node_ids():
            if other != node.id:
                combo.addItem(other, other)

        def changed(_index: int) -> None:
            target = combo.currentData()
            if not self._refreshing and self.node_id:
                self.document.connect_nodes(self.node_id, field, target)

        combo.currentIndexChanged.connect(changed)

        def refresh(current: Node) -> None:
            target = dict(current.targets()).get(field)
            index = combo.findData(target) if target else 0
            if index < 0:  # a target that does not exist: show it as typed in the file
                combo.addItem(f"{target} (missing)", target)
                index = combo.count() - 1
            combo.setCurrentIndex(index)

        self._refreshers.append(refresh)
        return combo

    def _combo(
        self,
        name: str,
        items: list[tuple[str, Any]],
        get: Callable[[Node], Any],
        put: Callable[[Node, Any], None],
        text: str,
    ) -> QComboBox:
        return bound_combo(name, items, get, put, text, self._edit, self._refreshers)

    # --- forms per type -----------------------------------------------------------------------

    def _build_entry(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        layout.addWidget(self._trigger_section(node))
        layout.addWidget(self._filter_section(node, required=False))
        next_form = QFormLayout()
        next_form.addRow("Then", self._target_combo("next_combo", "next", node))
        layout.addLayout(next_form)

    def _build_condition(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        layout.addWidget(self._filter_section(node, required=True))
        targets = QFormLayout()
        targets.addRow("If yes", self._target_combo("yes_combo", "yes", node))
        targets.addRow("If no", self._target_combo("no_combo", "no", node))
        layout.addLayout(targets)

    def _build_exit(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        note = QLabel("The run ends here.")
        note.setStyleSheet("color: #5f6368;")
        layout.addWidget(note)

    def _build_wait(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        value = QSpinBox()
        value.setObjectName("duration_value")
        value.setRange(1, 100000)

        def put_value(n: Node, v: int) -> None:
            n.duration = Duration(v, n.duration.unit if n.duration else "days")

        value.valueChanged.connect(
            lambda v: self._edit(lambda n: put_value(n, v), "Change wait", "duration.value")
        )

        def refresh_value(n: Node) -> None:
            number = int(round(n.duration.value)) if n.duration else 1
            if value.value() != number:
                value.setValue(number)

        self._refreshers.append(refresh_value)

        def put_unit(n: Node, unit: str) -> None:
            n.duration = Duration(n.duration.value if n.duration else 1, unit)

        unit = self._combo(
            "duration_unit",
            [(u, u) for u in DURATION_UNITS],
            lambda n: n.duration.unit if n.duration else "days",
            put_unit,
            "Change wait unit",
        )
        row = QHBoxLayout()
        row.addWidget(value, 1)
        row.addWidget(unit, 1)
        form.addRow("Wait for", row)

        check = QCheckBox("then continue at")
        check.setObjectName("at_time_check")
        time_edit = QTimeEdit()
        time_edit.setObjectName("at_time_edit")
        time_edit.setDisplayFormat("HH:mm")

        def put_check(on: bool) -> None:
            at = time_edit.time().toString("HH:mm") if on else None
            self._edit(lambda n: setattr(n, "at_time", at), "Change time of day")

        def put_time(t: QTime) -> None:
            if check.isChecked():
                at = t.toString("HH:mm")
                self._edit(lambda n: setattr(n, "at_time", at), "Change time of day", "at_time")

        check.toggled.connect(put_check)
        time_edit.timeChanged.connect(put_time)

        def refresh_time(n: Node) -> None:
            check.setChecked(n.at_time is not None)
            time_edit.setEnabled(n.at_time is not None)
            if n.at_time:
                parsed = QTime.fromString(n.at_time, "HH:mm")
                if parsed.isValid() and parsed != time_edit.time():
                    time_edit.setTime(parsed)
            elif not time_edit.time().isValid() or time_edit.time() == QTime(0, 0):
                time_edit.setTime(QTime(9, 0))

        self._refreshers.append(refresh_time)
        time_row = QHBoxLayout()
        time_row.addWidget(check)
        time_row.addWidget(time_edit, 1)
        form.addRow("", time_row)
        hint = QLabel("Local time; the first such time after the wait.")
        hint.setStyleSheet("color: #5f6368;")
        form.addRow("", hint)
        form.addRow("Then", self._target_combo("next_combo", "next", node))

    def _build_message(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        def put_channel(n: Node, channel: str) -> None:
            old_headline = n.content.get(HEADLINE_FIELD.get(n.channel or "", ""), "")
            content: dict[str, str] = {}
            for key, required in CHANNEL_FIELDS[channel]:
                if key in n.content or required:
                    content[key] = n.content.get(key, "")
            headline = HEADLINE_FIELD[channel]
            if not content.get(headline) and channel != "whatsapp":
                content[headline] = old_headline
            n.channel = channel
            n.content = content

        form.addRow(
            "Channel",
            self._combo(
                "channel_combo",
                [(CHANNEL_LABELS[c], c) for c in CHANNELS],
                lambda n: n.channel,
                put_channel,
                "Change channel",
            ),
        )
        channel = node.channel or "push"
        for key, required in CHANNEL_FIELDS.get(channel, ()):
            def get(n: Node, key: str = key) -> str:
                return n.content.get(key, "")

            def put(n: Node, value: str, key: str = key, required: bool = required) -> None:
                if value or required:
                    n.content[key] = value
                else:
                    n.content.pop(key, None)

            label = CONTENT_LABELS.get(key, key)
            if key == "body":
                widget: QWidget = self._text_edit(f"field_{key}", get, put, f"Edit {key}", key)
            else:
                widget = self._line_edit(f"field_{key}", get, put, f"Edit {key}", key)
            if key == "template":
                widget.setToolTip("The approved WhatsApp template name (lowercase, digits, _)")
            form.addRow(label, widget)
        if channel == "sms":
            count = QLabel()
            count.setObjectName("sms_count_label")

            def refresh_count(n: Node) -> None:
                length = len(n.content.get("body", ""))
                count.setText(f"{length:,} / {SMS_MAX_LENGTH:,} characters")
                over = length > SMS_MAX_LENGTH
                count.setStyleSheet(f"color: {ERROR_COLOR if over else MUTED_COLOR};")

            self._refreshers.append(refresh_count)
            form.addRow("", count)
        form.addRow("", self._placeholder_button())
        form.addRow("Then", self._target_combo("next_combo", "next", node))
        preview = MessagePreview(self.document.journey_id,
                                 lambda: self.document.node(self.node_id),
                                 lambda: self.document.journey.name)
        self._refreshers.append(lambda _n: preview.show_message())
        layout.addWidget(preview)
