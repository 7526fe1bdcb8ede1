"""The properties panel's form of a split (SPEC §2, §12): per branch its label, percent,
control group (holdout) and the step it leads to; each edit an undoable command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
)

from journey_desktop.domain.journey import Branch, Node
from journey_desktop.domain.validation import MAX_BRANCHES, MIN_BRANCHES
from journey_desktop.domain.validation_goals import MAX_LABEL_LENGTH
from journey_desktop.ui.common.colours import ERROR_COLOR
from journey_desktop.ui.editor.document import JourneyDocument

HOLDOUT_TEXT = "Control group (holdout)"
HOLDOUT_ENDS = "A control group has no next step: its customers end here"
HOLDOUT_TIP = ("Customers on this branch get no message and end there; their goal is "
               "still tracked, so the other branches can be compared against them")


def branch_field(index: int) -> str:
    return f"branches[{index}].next"


class SplitFormMixin(QScrollArea):
    """Builds the split's branches: label, percent, control group, where each leads."""

    document: JourneyDocument
    _refreshers: list[Callable[[Node], None]]

    if TYPE_CHECKING:  # the panel's own helpers
        def _edit(self, change: Callable[[Node], None], text: str,
                  merge_key: str | None = None) -> None: ...
        def _target_combo(self, name: str, field: str, node: Node) -> QComboBox: ...
        def _line_edit(self, name: str, get: Callable[[Node], str],
                       put: Callable[[Node, str], None], text: str,
                       merge_key: str) -> QLineEdit: ...

    def _build_split(self, node: Node, layout: QVBoxLayout, form: QFormLayout) -> None:
        title = QLabel("Branches (random, per customer and entry)")
        title.setStyleSheet("font-weight: 600;")
        layout.addWidget(title)
        grid = QGridLayout()
        grid.addWidget(QLabel("Label"), 0, 0)
        grid.addWidget(QLabel("Percent"), 0, 1)
        for i in range(len(node.branches)):
            self._branch_rows(grid, node, i)
        grid.setColumnStretch(0, 1)
        layout.addLayout(grid)
        total = QLabel()
        total.setObjectName("split_total_label")

        def refresh_total(n: Node) -> None:
            value = sum(b.percent for b in n.branches)
            total.setText(f"Total: {value:g} %")
            total.setStyleSheet("" if value == 100 else f"color: {ERROR_COLOR};")

        self._refreshers.append(refresh_total)
        add = QPushButton("Add branch")
        add.setObjectName("add_branch_button")
        add.setEnabled(len(node.branches) < MAX_BRANCHES)
        add.clicked.connect(
            lambda: self._edit(lambda n: n.branches.append(Branch(10)), "Add branch")
        )
        row = QHBoxLayout()
        row.addWidget(total, 1)
        row.addWidget(add)
        layout.addLayout(row)

    def _branch_rows(self, grid: QGridLayout, node: Node, i: int) -> None:
        """Two rows: [label] [percent] [control group] [✕], then where it leads."""

        def get_label(n: Node) -> str:
            return n.branches[i].label if i < len(n.branches) else ""

        def put_label(n: Node, text: str) -> None:
            n.branches[i].label = text.strip()

        label = self._line_edit(f"branch_label_{i}", get_label, put_label,
                                "Change branch label", f"branches[{i}].label")
        label.setPlaceholderText(f"Branch {chr(ord('A') + i)}")
        label.setToolTip(f"A name for the branch in the results (at most {MAX_LABEL_LENGTH} "
                         "characters), shown on the canvas")
        spin = QSpinBox()
        spin.setObjectName(f"branch_percent_{i}")
        spin.setRange(1, 99)
        spin.setSuffix(" %")

        def put_percent(v: int) -> None:
            def change(n: Node) -> None:
                n.branches[i].percent = v

            self._edit(change, "Change split", f"branches[{i}].percent")

        spin.valueChanged.connect(put_percent)
        holdout = QCheckBox(HOLDOUT_TEXT)
        holdout.setObjectName(f"branch_holdout_{i}")
        holdout.setToolTip(HOLDOUT_TIP)

        def put_holdout(on: bool) -> None:
            def change(n: Node) -> None:
                n.branches[i].holdout = on
                if on:  # its customers end here: an arrow on would mislead
                    n.branches[i].next = None

            self._edit(change, "Make a control group" if on else "Send on this branch")

        holdout.toggled.connect(put_holdout)
        target = self._target_combo(f"branch_next_{i}", branch_field(i), node)
        # Narrow enough to sit beside the checkbox in the panel's width.
        target.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        target.setMinimumContentsLength(8)
        unconnected = target.itemText(0)

        def refresh(n: Node) -> None:
            if i >= len(n.branches):
                return
            branch = n.branches[i]
            if spin.value() != int(branch.percent):
                spin.setValue(int(branch.percent))
            if holdout.isChecked() != branch.holdout:
                holdout.setChecked(branch.holdout)
            target.setEnabled(not branch.holdout)
            target.setItemText(0, "(ends here)" if branch.holdout else unconnected)
            target.setToolTip(HOLDOUT_ENDS if branch.holdout else "The step this branch leads to")

        self._refreshers.append(refresh)
        remove = QToolButton()
        remove.setObjectName(f"remove_branch_{i}")
        remove.setText("✕")
        remove.setToolTip("Remove this branch")
        remove.setEnabled(len(node.branches) > MIN_BRANCHES)
        remove.clicked.connect(
            lambda _c=False: self._edit(lambda n: n.branches.__delitem__(i), "Remove branch")
        )
        row = 2 * i + 1
        grid.addWidget(label, row, 0)
        grid.addWidget(spin, row, 1)
        grid.addWidget(remove, row, 2)
        leads = QHBoxLayout()
        leads.setContentsMargins(0, 0, 0, 8)  # a gap before the next branch
        leads.addWidget(holdout)
        leads.addWidget(target, 1)
        grid.addLayout(leads, row + 1, 0, 1, 3)
