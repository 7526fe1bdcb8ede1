"""The filter editor of the properties panel: match all or any, one row per condition,
each with its field, operator and value as the document stores them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.filters import (
    ALL_OPS,
    DAY_OPS,
    OP_LABELS,
    OPS_BY_TYPE,
    PRESENCE_OPS,
)
from journey_desktop.domain.journey import (
    Condition,
    Filter,
    Node,
)
from journey_desktop.domain.values import parse_number
from journey_desktop.ui.editor.document import JourneyDocument
from journey_desktop.ui.editor.summary import value_text


def parse_value(op: str, text: str) -> Any:
    """The stored value of a condition typed as text, typed as its operator expects."""
    text = text.strip()
    if op in PRESENCE_OPS:
        return None
    if op == "in":
        return [part.strip() for part in text.split(",") if part.strip()]
    if op in DAY_OPS or op in OPS_BY_TYPE["number"]:
        number = parse_number(text)
        if number is None or (op in DAY_OPS and not number.is_integer()):
            return text  # validation names the problem
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text


def value_hint(op: str) -> str:
    if op in PRESENCE_OPS:
        return "no value needed"
    if op == "in":
        return "values separated by commas"
    if op in DAY_OPS:
        return "number of days"
    if op in OPS_BY_TYPE["number"]:
        return "a number"
    if op in ("before", "after", "on"):
        return "a date, YYYY-MM-DD"
    return "text"


class FilterEditorMixin(QScrollArea):
    """A node's filters: match all or any, one row per condition (a field's test, or the
    customer's history of an event)."""

    document: JourneyDocument
    _refreshers: list[Callable[[Node], None]]

    if TYPE_CHECKING:  # the panel's own helpers, which bind a widget to one node value
        def _edit(self, change: Callable[[Node], None], text: str,
                  merge_key: str | None = None) -> None: ...
        def _combo(self, name: str, items: list[tuple[str, Any]], get: Callable[[Node], Any],
                   put: Callable[[Node, Any], None], text: str) -> QComboBox: ...

    # --- filters ------------------------------------------------------------------------------

    def _filter_section(self, node: Node, *, required: bool, scope: FilterScope | None = None
                        ) -> QWidget:
        """The filter ``scope`` edits: the node's customer filter unless told otherwise."""
        scope = scope or FilterScope(
            fields=self._customer_fields(node), history=True,
            caption="Customers who match" if required else "Who enters",
            empty="Add at least one condition." if required
            else "No condition: every customer of the audience enters.")
        box = QFrame()
        box.setObjectName(f"{scope.prefix}filter_editor")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(box)
        heading = QHBoxLayout()
        caption = QLabel(scope.caption)
        caption.setStyleSheet("font-weight: 600;")
        heading.addWidget(caption)

        def put_match(n: Node, match: str) -> None:
            flt = scope.get(n)
            if flt is None:
                scope.put(n, Filter(match, []))
            else:
                flt.match = match

        heading.addWidget(
            self._combo(
                f"{scope.prefix}match_combo",
                [("all conditions", "all"), ("any condition", "any")],
                lambda n: (scope.get(n) or Filter()).match,
                put_match,
                "Change match",
            ),
            1,
        )
        column.addLayout(heading)
        flt = scope.get(node)
        conditions = flt.conditions if flt else []
        if not conditions:
            empty = QLabel(scope.empty)
            empty.setStyleSheet("color: #5f6368;")
            empty.setWordWrap(True)
            column.addWidget(empty)
        for i, condition in enumerate(conditions):
            if condition.is_history:
                column.addLayout(self._history_row(i, scope))
            else:
                column.addLayout(self._condition_row(i, required, scope))
        add = QPushButton("Add condition")
        add.setObjectName(f"{scope.prefix}add_condition_button")

        def add_condition(n: Node) -> None:
            field = next(iter(scope.fields), "")
            kind = scope.fields.get(field)
            op = OPS_BY_TYPE[kind][0] if kind in OPS_BY_TYPE else "equals"
            _conditions(n, scope).append(Condition(field, op, parse_value(op, "")))

        add.clicked.connect(lambda: self._edit(add_condition, "Add condition"))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        if scope.history:
            history = QPushButton("Add history condition")
            history.setObjectName(f"{scope.prefix}add_history_button")
            history.setToolTip("Whether the customer did an event a number of times in the "
                               "last days: \"has done purchase at least 1 time in the last "
                               "30 days\"")

            def add_history(n: Node) -> None:
                name = next(iter(self.document.event_names), "")
                _conditions(n, scope).append(
                    Condition("", "", event=name, within_days=30, at_least=1))

            history.clicked.connect(lambda: self._edit(add_history, "Add history condition"))
            buttons.addWidget(history)
        buttons.addStretch(1)
        column.addLayout(buttons)
        return box

    def _customer_fields(self, node: Node) -> dict[str, str]:
        """The fields a customer filter offers: the audience's columns, then the event
        data a condition can read (``event.x``, ``matched.x``) where the journey has it."""
        fields = self.document.columns()
        if node.type == "condition":
            fields.update(dict.fromkeys(self.document.event_fields(), ""))
        return fields

    def _condition_row(self, index: int, required: bool, scope: FilterScope) -> QGridLayout:
        grid = QGridLayout()
        columns = scope.fields
        prefix = scope.prefix
        field_combo = QComboBox()
        field_combo.setObjectName(f"{prefix}condition_field_{index}")
        field_combo.setEditable(True)
        field_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line_edit = field_combo.lineEdit()
        assert line_edit is not None  # the combo is editable
        line_edit.setPlaceholderText(scope.field_hint)
        for column_name in columns:
            field_combo.addItem(column_name)
        op_combo = QComboBox()
        op_combo.setObjectName(f"{prefix}condition_op_{index}")
        value_edit = QLineEdit()
        value_edit.setObjectName(f"{prefix}condition_value_{index}")
        remove = QToolButton()
        remove.setObjectName(f"{prefix}remove_condition_{index}")
        remove.setText("✕")
        remove.setToolTip("Remove this condition")

        def condition(n: Node) -> Condition:
            return _conditions(n, scope)[index]

        def put_field(text: str) -> None:
            def change(n: Node) -> None:
                c = condition(n)
                c.field = text.strip()
                kind = columns.get(c.field)
                if kind in OPS_BY_TYPE and c.op not in OPS_BY_TYPE[kind]:
                    c.op = OPS_BY_TYPE[kind][0]
                    c.value = parse_value(c.op, value_text(c.value))

            self._edit(change, "Change condition field", f"{prefix}conditions[{index}].field")

        def put_op(_i: int) -> None:
            op = op_combo.currentData()
            if op is None:
                return

            def change(n: Node) -> None:
                c = condition(n)
                c.op = op
                c.value = parse_value(op, value_edit.text())

            self._edit(change, "Change operator")

        def put_value(text: str) -> None:
            def change(n: Node) -> None:
                c = condition(n)
                c.value = parse_value(c.op, text)

            self._edit(change, "Change condition value", f"{prefix}conditions[{index}].value")

        def remove_condition(n: Node) -> None:
            _remove_condition(n, scope, index, required)

        field_combo.currentTextChanged.connect(put_field)
        op_combo.currentIndexChanged.connect(put_op)
        value_edit.textEdited.connect(put_value)
        remove.clicked.connect(lambda: self._edit(remove_condition, "Remove condition"))

        def refresh(n: Node) -> None:
            conditions = _conditions_or_none(n, scope)
            if conditions is None or index >= len(conditions) or conditions[index].is_history:
                return
            c = conditions[index]
            if field_combo.currentText() != c.field:
                field_combo.setCurrentText(c.field)
            kind = columns.get(c.field)
            ops = list(OPS_BY_TYPE[kind]) if kind in OPS_BY_TYPE else list(ALL_OPS)
            if c.op not in ops:
                ops.append(c.op)  # keep an operator from a file visible; validation explains
            if [op_combo.itemData(i) for i in range(op_combo.count())] != ops:
                op_combo.clear()
                for op in ops:
                    op_combo.addItem(OP_LABELS.get(op, op), op)
            op_combo.setCurrentIndex(op_combo.findData(c.op))
            text = value_text(c.value)
            if parse_value(c.op, value_edit.text()) != c.value and value_edit.text() != text:
                value_edit.setText(text)
            value_edit.setEnabled(c.op not in PRESENCE_OPS)
            value_edit.setPlaceholderText(value_hint(c.op))
            if kind:
                field_combo.setToolTip(f"{kind} column")
            else:
                field_combo.setToolTip(scope.unknown_tip if columns else "")

        self._refreshers.append(refresh)
        grid.addWidget(field_combo, 0, 0)
        grid.addWidget(op_combo, 0, 1)
        grid.addWidget(remove, 0, 2)
        grid.addWidget(value_edit, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        return grid

    def _history_row(self, index: int, scope: FilterScope) -> QGridLayout:
        """"has done [purchase] [at least] [1] times in the last [30] days"."""
        prefix = scope.prefix
        grid = QGridLayout()
        event_combo = QComboBox()
        event_combo.setObjectName(f"{prefix}condition_event_{index}")
        event_combo.setEditable(True)
        event_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        event_combo.addItems(self.document.event_names)
        count_op = QComboBox()
        count_op.setObjectName(f"{prefix}condition_count_op_{index}")
        count_op.addItem("at least", "at_least")
        count_op.addItem("at most", "at_most")
        count = QSpinBox()
        count.setObjectName(f"{prefix}condition_count_{index}")
        count.setRange(0, 1_000_000)
        count.setSuffix(" times")
        days = QSpinBox()
        days.setObjectName(f"{prefix}condition_within_days_{index}")
        days.setRange(1, 36_500)
        days.setSuffix(" days")
        remove = QToolButton()
        remove.setObjectName(f"{prefix}remove_condition_{index}")
        remove.setText("✕")
        remove.setToolTip("Remove this condition")

        def change(text: str, merge: str | None, apply: Callable[[Condition], None]) -> None:
            def edit(n: Node) -> None:
                apply(_conditions(n, scope)[index])

            self._edit(edit, text, merge and f"{prefix}conditions[{index}].{merge}")

        def put_event(name: str) -> None:
            change("Change history event", "event",
                   lambda c: setattr(c, "event", name.strip()))

        def put_count(*_args: object) -> None:
            key, number = count_op.currentData(), count.value()

            def apply(c: Condition) -> None:
                c.at_least = number if key == "at_least" else None
                c.at_most = number if key == "at_most" else None

            change("Change history count", "count", apply)

        def put_days(value: int) -> None:
            change("Change history days", "within_days",
                   lambda c: setattr(c, "within_days", value))

        event_combo.currentTextChanged.connect(put_event)
        count_op.currentIndexChanged.connect(put_count)
        count.valueChanged.connect(put_count)
        days.valueChanged.connect(put_days)
        remove.clicked.connect(lambda: self._edit(
            lambda n: _remove_condition(n, scope, index, False), "Remove condition"))

        def refresh(n: Node) -> None:
            conditions = _conditions_or_none(n, scope)
            if conditions is None or index >= len(conditions):
                return
            c = conditions[index]
            if event_combo.currentText() != (c.event or ""):
                event_combo.setCurrentText(c.event or "")
            key = "at_most" if c.at_least is None and c.at_most is not None else "at_least"
            count_op.setCurrentIndex(count_op.findData(key))
            number = c.at_most if key == "at_most" else c.at_least
            if isinstance(number, (int, float)) and count.value() != int(number):
                count.setValue(int(number))
            if isinstance(c.within_days, (int, float)) and days.value() != int(c.within_days):
                days.setValue(int(c.within_days))

        self._refreshers.append(refresh)
        grid.addWidget(QLabel("has done"), 0, 0)
        grid.addWidget(event_combo, 0, 1, 1, 2)
        grid.addWidget(remove, 0, 3)
        grid.addWidget(count_op, 1, 0)
        grid.addWidget(count, 1, 1)
        grid.addWidget(QLabel("in the last"), 1, 2)
        grid.addWidget(days, 2, 1)
        grid.setColumnStretch(1, 1)
        return grid


@dataclass
class FilterScope:
    """Which filter of a node an editor section edits and what it offers: the customer
    filter (the default), an entry event's or a wait's property filter (``prefix`` names
    its inputs apart, as ``problem_inputs`` finds them)."""

    get: Callable[[Node], Filter | None] = lambda n: n.filter
    put: Callable[[Node, Filter | None], None] = lambda n, f: setattr(n, "filter", f)
    prefix: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    history: bool = False
    caption: str = "Customers who match"
    empty: str = "Add at least one condition."
    field_hint: str = "field"
    unknown_tip: str = "not a known customer field"


def _conditions_or_none(node: Node, scope: FilterScope) -> list[Condition] | None:
    flt = scope.get(node)
    return flt.conditions if flt is not None else None


def _conditions(node: Node, scope: FilterScope) -> list[Condition]:
    """The scope's conditions, made on first use (a new filter matches all)."""
    flt = scope.get(node)
    if flt is None:
        flt = Filter("all", [])
        scope.put(node, flt)
    return flt.conditions


def _remove_condition(node: Node, scope: FilterScope, index: int, required: bool) -> None:
    conditions = _conditions(node, scope)
    conditions.pop(index)
    if not conditions and not required:
        scope.put(node, None)
