"""The filter editor of the properties panel: match all or any, one row per condition,
each with its field, operator and value as the document stores them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
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
    """The entry and condition nodes' filter: match all or any, one row per condition."""

    document: JourneyDocument
    _refreshers: list[Callable[[Node], None]]

    if TYPE_CHECKING:  # the panel's own helpers, which bind a widget to one node value
        def _edit(self, change: Callable[[Node], None], text: str,
                  merge_key: str | None = None) -> None: ...
        def _combo(self, name: str, items: list[tuple[str, Any]], get: Callable[[Node], Any],
                   put: Callable[[Node, Any], None], text: str) -> QComboBox: ...

    # --- filters ------------------------------------------------------------------------------

    def _filter_section(self, node: Node, *, required: bool) -> QWidget:
        box = QFrame()
        box.setObjectName("filter_editor")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(box)
        heading = QHBoxLayout()
        caption = QLabel("Customers who match" if required else "Who enters")
        caption.setStyleSheet("font-weight: 600;")
        heading.addWidget(caption)

        def put_match(n: Node, match: str) -> None:
            if n.filter is None:
                n.filter = Filter(match, [])
            else:
                n.filter.match = match

        heading.addWidget(
            self._combo(
                "match_combo",
                [("all conditions", "all"), ("any condition", "any")],
                lambda n: n.filter.match if n.filter else "all",
                put_match,
                "Change match",
            ),
            1,
        )
        column.addLayout(heading)
        conditions = node.filter.conditions if node.filter else []
        if not conditions:
            empty = QLabel(
                "No condition: every customer of the audience enters."
                if not required
                else "Add at least one condition."
            )
            empty.setStyleSheet("color: #5f6368;")
            empty.setWordWrap(True)
            column.addWidget(empty)
        for i in range(len(conditions)):
            column.addLayout(self._condition_row(i, required))
        add = QPushButton("Add condition")
        add.setObjectName("add_condition_button")

        def add_condition(n: Node) -> None:
            columns = self.document.columns()
            field = next(iter(columns), "")
            kind = columns.get(field)
            op = OPS_BY_TYPE[kind][0] if kind in OPS_BY_TYPE else "equals"
            if n.filter is None:
                n.filter = Filter("all", [])
            n.filter.conditions.append(Condition(field, op, parse_value(op, "")))

        add.clicked.connect(lambda: self._edit(add_condition, "Add condition"))
        column.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
        return box

    def _condition_row(self, index: int, required: bool) -> QGridLayout:
        grid = QGridLayout()
        columns = self.document.columns()
        field_combo = QComboBox()
        field_combo.setObjectName(f"condition_field_{index}")
        field_combo.setEditable(True)
        field_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line_edit = field_combo.lineEdit()
        assert line_edit is not None  # the combo is editable
        line_edit.setPlaceholderText("field")
        for column_name in columns:
            field_combo.addItem(column_name)
        op_combo = QComboBox()
        op_combo.setObjectName(f"condition_op_{index}")
        value_edit = QLineEdit()
        value_edit.setObjectName(f"condition_value_{index}")
        remove = QToolButton()
        remove.setObjectName(f"remove_condition_{index}")
        remove.setText("✕")
        remove.setToolTip("Remove this condition")

        def condition(n: Node) -> Condition:
            assert n.filter is not None
            return n.filter.conditions[index]

        def put_field(text: str) -> None:
            def change(n: Node) -> None:
                c = condition(n)
                c.field = text.strip()
                kind = columns.get(c.field)
                if kind in OPS_BY_TYPE and c.op not in OPS_BY_TYPE[kind]:
                    c.op = OPS_BY_TYPE[kind][0]
                    c.value = parse_value(c.op, value_text(c.value))

            self._edit(change, "Change condition field", f"conditions[{index}].field")

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

            self._edit(change, "Change condition value", f"conditions[{index}].value")

        def remove_condition(n: Node) -> None:
            assert n.filter is not None
            n.filter.conditions.pop(index)
            if not n.filter.conditions and not required:
                n.filter = None

        field_combo.currentTextChanged.connect(put_field)
        op_combo.currentIndexChanged.connect(put_op)
        value_edit.textEdited.connect(put_value)
        remove.clicked.connect(lambda: self._edit(remove_condition, "Remove condition"))

        def refresh(n: Node) -> None:
            if n.filter is None or index >= len(n.filter.conditions):
                return
            c = n.filter.conditions[index]
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
                field_combo.setToolTip("not a column of the audience" if columns else "")

        self._refreshers.append(refresh)
        grid.addWidget(field_combo, 0, 0)
        grid.addWidget(op_combo, 0, 1)
        grid.addWidget(remove, 0, 2)
        grid.addWidget(value_edit, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        return grid
