"""The properties panel's forms for customer events (SPEC §11): the entry's "Starts on an
event" and the wait for an event, each edit an undoable command of the document."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.journey import (
    DURATION_UNITS,
    WHO_ANYONE,
    WHO_AUDIENCE,
    Duration,
    EventTrigger,
    Filter,
    Node,
)
from journey_desktop.ui.editor.document import JourneyDocument
from journey_desktop.ui.editor.filter_editor import FilterEditorMixin, FilterScope

WHO_LABELS = {
    WHO_AUDIENCE: "customers in the audience",
    WHO_ANYONE: "anyone (adds them to the audience)",
}
TRIGGER_PREFIX = "trigger_"  # the entry event's property filter, named apart from its own


def _trigger(node: Node) -> EventTrigger:
    if node.trigger is None:
        node.trigger = EventTrigger()
    return node.trigger


def _set_trigger_filter(node: Node, flt: Filter | None) -> None:
    _trigger(node).filter = flt


class EventFormsMixin(FilterEditorMixin):
    """Builds the event inputs of the entry and of ``wait_event`` nodes."""

    document: JourneyDocument
    _refreshers: list[Callable[[Node], None]]

    if TYPE_CHECKING:  # the panel's own helpers
        def _target_combo(self, name: str, field: str, node: Node) -> QComboBox: ...

    def _property_scope(self, prefix: str, get: Callable[[Node], Filter | None],
                        put: Callable[[Node, Filter | None], None], caption: str
                        ) -> FilterScope:
        """A filter on an event's properties: the properties seen in the database."""
        return FilterScope(get=get, put=put, prefix=prefix,
                           fields=dict.fromkeys(self.document.event_properties, ""),
                           caption=caption, empty="No condition: any such event.",
                           field_hint="property (cart.total)",
                           unknown_tip="not a property of the events imported so far")

    def _event_name_combo(self, name: str, get: Callable[[Node], str],
                          put: Callable[[Node, str], None], text: str) -> QComboBox:
        """An event name: the names seen in the database, or any name typed."""
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems(self.document.event_names)
        line = combo.lineEdit()
        assert line is not None  # the combo is editable
        line.setPlaceholderText("event name (purchase)")
        combo.currentTextChanged.connect(
            lambda value: self._edit(lambda n: put(n, value.strip()), text, name))

        def refresh(node: Node) -> None:
            if combo.currentText().strip() != get(node):
                combo.setCurrentText(get(node))

        self._refreshers.append(refresh)
        return combo

    def _duration_row(self, prefix: str, get: Callable[[Node], Duration | None],
                      put: Callable[[Node, Duration], None], text: str) -> QHBoxLayout:
        """A value and unit (``{prefix}_value``, ``{prefix}_unit``) as one duration."""
        value = QSpinBox()
        value.setObjectName(f"{prefix}_value")
        value.setRange(1, 100_000)
        unit = QComboBox()
        unit.setObjectName(f"{prefix}_unit")
        for name in DURATION_UNITS:
            unit.addItem(name, name)

        def put_value(number: int) -> None:
            def change(n: Node) -> None:
                current = get(n)
                put(n, Duration(number, current.unit if current else "hours"))

            self._edit(change, text, f"{prefix}.value")

        def put_unit(_index: int) -> None:
            chosen = unit.currentData()

            def change(n: Node) -> None:
                current = get(n)
                put(n, Duration(current.value if current else value.value(), chosen))

            self._edit(change, text)

        value.valueChanged.connect(put_value)
        unit.currentIndexChanged.connect(put_unit)

        def refresh(node: Node) -> None:
            current = get(node)
            if current is None:
                return
            number = int(round(current.value))
            if value.value() != number:
                value.setValue(number)
            index = unit.findData(current.unit)
            if index >= 0 and index != unit.currentIndex():
                unit.setCurrentIndex(index)

        self._refreshers.append(refresh)
        row = QHBoxLayout()
        row.addWidget(value, 1)
        row.addWidget(unit, 1)
        return row

    # --- the entry ------------------------------------------------------------------------

    def _trigger_section(self, node: Node) -> QWidget:
        """"Starts on an event": its name, property filter, maximum age and who."""
        box = QFrame()
        box.setObjectName("trigger_editor")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(box)
        check = QCheckBox("Starts on an event")
        check.setObjectName("trigger_check")
        check.setToolTip("Customers enter when the event is imported (SPEC §11), instead of "
                         "when their fields match at a check")
        check.setChecked(node.trigger is not None)

        def toggle(on: bool) -> None:
            def change(n: Node) -> None:
                n.trigger = EventTrigger() if on else None

            self._edit(change, "Start on an event" if on else "Start on the fields")

        check.toggled.connect(toggle)
        self._refreshers.append(lambda n: check.setChecked(n.trigger is not None))
        column.addWidget(check)
        if node.trigger is None:
            return box
        form = QFormLayout()
        form.addRow("Event", self._event_name_combo(
            "trigger_name_combo", lambda n: n.trigger.name if n.trigger else "",
            lambda n, value: setattr(_trigger(n), "name", value), "Change starting event"))
        form.addRow("Maximum age", self._duration_row(
            "max_age", lambda n: n.trigger.max_age if n.trigger else None,
            lambda n, d: setattr(_trigger(n), "max_age", d), "Change maximum age"))
        who = self._combo("who_combo", [(label, key) for key, label in WHO_LABELS.items()],
                          lambda n: n.trigger.who if n.trigger else WHO_AUDIENCE,
                          lambda n, value: setattr(_trigger(n), "who", value), "Change who")
        form.addRow("Who", who)
        column.addLayout(form)
        column.addWidget(self._filter_section(node, required=False, scope=self._property_scope(
            TRIGGER_PREFIX, lambda n: n.trigger.filter if n.trigger else None,
            _set_trigger_filter, "Event properties that match")))
        return box

    # --- the wait for an event --------------------------------------------------------------

    def _build_wait_event(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        form.addRow("Event", self._event_name_combo(
            "event_name_combo", lambda n: n.event or "",
            lambda n, value: setattr(n, "event", value), "Change awaited event"))
        form.addRow("Wait up to", self._duration_row(
            "timeout", lambda n: n.timeout, lambda n, d: setattr(n, "timeout", d),
            "Change timeout"))
        form.addRow("Same property", self._same_combo())
        layout.addWidget(self._filter_section(node, required=False, scope=self._property_scope(
            "", lambda n: n.filter, lambda n, f: setattr(n, "filter", f),
            "Event properties that match")))
        targets = QFormLayout()
        targets.addRow("If it happens", self._target_combo("yes_combo", "yes", node))
        targets.addRow("If not (timed out)", self._target_combo("no_combo", "no", node))
        layout.addLayout(targets)

    def _same_combo(self) -> QComboBox:
        """The property that must equal the starting event's (``cartId``); blank: any."""
        combo = QComboBox()
        combo.setObjectName("same_combo")
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem("")
        combo.addItems(self.document.event_properties)
        line = combo.lineEdit()
        assert line is not None  # the combo is editable
        line.setPlaceholderText("any (or a property such as cartId)")
        combo.setToolTip("Only an event whose property equals the one of the event that "
                         "started the run (one cart, not any cart)")

        def put(value: str) -> None:
            same: Any = value.strip() or None
            self._edit(lambda n: setattr(n, "same", same), "Change same property", "same")

        combo.currentTextChanged.connect(put)

        def refresh(node: Node) -> None:
            if combo.currentText().strip() != (node.same or ""):
                combo.setCurrentText(node.same or "")

        self._refreshers.append(refresh)
        return combo
