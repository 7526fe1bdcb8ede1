"""The journey's "Goal and exit rules" panel (SPEC §12) and the line above the canvas that
states them in words; every edit an undoable command of the document.

Like the properties panel, the form is rebuilt only when its shape changes (a goal added
or removed, an exit rule added, removed or of another kind, a condition added or removed);
otherwise its inputs are refreshed in place, so typing is never interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.goals import ExitRule, Goal
from journey_desktop.domain.journey import Duration, Filter, Journey
from journey_desktop.domain.validation import Problem, ValidationResult
from journey_desktop.ui.common.colours import ERROR_COLOR, MUTED_COLOR, WARNING_COLOR
from journey_desktop.ui.editor.bound_combo import bound_combo
from journey_desktop.ui.editor.document import JourneyDocument, JourneyRules
from journey_desktop.ui.editor.event_forms import EventFormsMixin
from journey_desktop.ui.editor.filter_editor import FilterScope
from journey_desktop.ui.editor.goal_summary import header_text
from journey_desktop.ui.editor.problem_inputs import (
    OUTLINE_STYLE,
    find_input,
    focus_input,
    outline,
)

GOAL_WINDOW = Duration(7, "days")  # what a new goal starts with, as the file reader's default
TITLE = "Goal and exit rules"


def is_rules_field(field: str) -> bool:
    """Whether a problem's field is the goal's or an exit rule's (no node of its own)."""
    return field == "goal" or field.startswith(("goal.", "exit_when"))


def rules_problems(result: ValidationResult) -> list[Problem]:
    return [p for p in result.problems if not p.node and is_rules_field(p.field)]


# Getters and setters on the rules the document hands to an edit. They take ``Any`` so
# that the filter and event helpers, written for a node, accept them.

def _goal(rules: Any) -> Goal:
    if rules.goal is None:
        rules.goal = Goal("", Duration(GOAL_WINDOW.value, GOAL_WINDOW.unit))
    goal: Goal = rules.goal
    return goal


def _goal_event(rules: Any) -> str:
    return rules.goal.event if rules.goal is not None else ""


def _put_goal_event(rules: Any, name: str) -> None:
    _goal(rules).event = name


def _goal_within(rules: Any) -> Duration | None:
    return rules.goal.within if rules.goal is not None else None


def _put_goal_within(rules: Any, within: Duration) -> None:
    _goal(rules).within = within


def _goal_filter(rules: Any) -> Filter | None:
    return rules.goal.filter if rules.goal is not None else None


def _put_goal_filter(rules: Any, flt: Filter | None) -> None:
    _goal(rules).filter = flt


def _rule(rules: Any, index: int) -> ExitRule | None:
    exit_when: list[ExitRule] = rules.exit_when
    return exit_when[index] if index < len(exit_when) else None


def _shape_of(flt: Filter | None) -> tuple[bool, ...] | None:
    return None if flt is None else tuple(c.is_history for c in flt.conditions)


class GoalPanel(EventFormsMixin):
    """Edits the goal (event, property filter, window, ending the run) and the exit rules
    (an event, or the customer's fields) through the document's undo stack."""

    def __init__(self, document: JourneyDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goal_panel")
        self.setWidgetResizable(True)
        self.setMinimumWidth(360)
        self.document = document
        self._signature: tuple[Any, ...] | None = None
        self._refreshers: list[Callable[[Any], None]] = []
        self._refreshing = False
        self._problems_label: QLabel | None = None
        document.rules_changed.connect(self._on_document_rules_changed)
        document.validated.connect(self._on_document_validated)
        self.refresh()

    # --- public -----------------------------------------------------------------------------

    def refresh(self) -> None:
        rules = self.document.rules()
        signature = self._shape(rules)
        if signature != self._signature:
            self._signature = signature
            self._rebuild(rules)
        self._refreshing = True
        try:
            for refresher in self._refreshers:
                refresher(rules)
        finally:
            self._refreshing = False
        self._on_document_validated(self.document.validation)

    def focus_field(self, field: str) -> bool:
        """Put the cursor in the input a goal or exit rule problem names."""
        widget = find_input(self.widget(), field)
        if widget is None or not widget.isEnabled():
            return False
        self.ensureWidgetVisible(widget)
        focus_input(widget)
        return True

    # --- document signals -------------------------------------------------------------------

    @Slot()
    def _on_document_rules_changed(self) -> None:
        self.refresh()

    @Slot(object)
    def _on_document_validated(self, _result: object) -> None:
        if self._problems_label is None:
            return
        problems = rules_problems(self.document.validation)
        outline(self.widget(), problems)
        lines = [f"{'✖' if p.is_error else '⚠'} {p.words}" for p in problems]
        self._problems_label.setText("\n".join(lines))
        self._problems_label.setVisible(bool(lines))

    # --- the document's edits, as the filter and event helpers call them ---------------------

    def _edit(self, change: Callable[[Any], None], text: str,
              merge_key: str | None = None) -> None:
        if self._refreshing or self.document.read_only:
            return
        self.document.edit_rules(change, text, merge_key)

    def _combo(self, name: str, items: list[tuple[str, Any]], get: Callable[[Any], Any],
               put: Callable[[Any, Any], None], text: str) -> QComboBox:
        return bound_combo(name, items, get, put, text, self._edit, self._refreshers)

    # --- building ---------------------------------------------------------------------------

    def _shape(self, rules: JourneyRules) -> tuple[Any, ...]:
        goal = rules.goal
        return (
            self.document.read_only,
            goal is not None,
            None if goal is None else _shape_of(goal.filter),
            tuple((rule.on_fields, _shape_of(rule.fields if rule.on_fields else rule.filter))
                  for rule in rules.exit_when),
        )

    def _rebuild(self, rules: JourneyRules) -> None:
        self._refreshers = []
        self._problems_label = None
        old = self.takeWidget()
        if old is not None:
            focused = QApplication.focusWidget()
            if focused is not None and old.isAncestorOf(focused):
                self.setFocus()  # keep the focus here, not on the next input of the window
            old.hide()
            old.deleteLater()
        content = QWidget()
        content.setStyleSheet(OUTLINE_STYLE)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 12, 8, 12)  # the filter rows need the width
        layout.setSpacing(10)
        title = QLabel(TITLE)
        title.setStyleSheet("font-weight: 600; font-size: 14px;")
        layout.addWidget(title)
        layout.addWidget(self._goal_section(rules))
        layout.addWidget(self._exit_section(rules))
        self._problems_label = QLabel()
        self._problems_label.setObjectName("goal_problems_label")
        self._problems_label.setWordWrap(True)
        self._problems_label.setStyleSheet(f"color: {ERROR_COLOR};")
        layout.addWidget(self._problems_label)
        layout.addStretch(1)
        content.setEnabled(not self.document.read_only)
        self.setWidget(content)

    def _note(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {MUTED_COLOR};")
        return label

    def _goal_section(self, rules: JourneyRules) -> QWidget:
        box = QFrame()
        box.setObjectName("goal_editor")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(box)
        check = QCheckBox("Track a goal")
        check.setObjectName("goal_check")
        check.setToolTip("A run converts, once, when the goal event happens within the "
                         "window after its entry; the statistics' Results tab counts them")
        check.setChecked(rules.goal is not None)

        def toggle(on: bool) -> None:
            def change(r: Any) -> None:
                r.goal = Goal("", Duration(GOAL_WINDOW.value, GOAL_WINDOW.unit)) if on else None

            self._edit(change, "Add a goal" if on else "Remove the goal")

        check.toggled.connect(toggle)
        self._refreshers.append(lambda r: check.setChecked(r.goal is not None))
        column.addWidget(check)
        if rules.goal is None:
            column.addWidget(self._note("No goal: the journey's results count no conversions."))
            return box
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Goal event", self._event_name_combo(
            "goal_event_combo", _goal_event, _put_goal_event, "Change goal event"))
        form.addRow("", self._event_hint("goal_event_hint", _goal_event))
        form.addRow("Within", self._duration_row(
            "goal_within", _goal_within, _put_goal_within, "Change goal window"))
        exit_on_goal = QCheckBox("End the run when the goal is reached")
        exit_on_goal.setObjectName("exit_on_goal_check")
        exit_on_goal.setToolTip("The run ends (reason goal) at the next check, whatever step "
                                "it is on: no more messages to a customer who converted")

        def put_exit(on: bool) -> None:
            self._edit(lambda r: setattr(_goal(r), "exit_on_goal", on),
                       "End runs on the goal" if on else "Keep runs after the goal")

        exit_on_goal.toggled.connect(put_exit)

        def refresh_exit(r: Any) -> None:
            on = bool(r.goal is not None and r.goal.exit_on_goal)
            if exit_on_goal.isChecked() != on:
                exit_on_goal.setChecked(on)

        self._refreshers.append(refresh_exit)
        form.addRow("", exit_on_goal)
        column.addLayout(form)
        scope = self._property_scope("goal_", _goal_filter, _put_goal_filter,
                                     "Goal event properties that match")
        column.addWidget(self._filter_section(cast(Any, rules), required=False, scope=scope))
        return box

    def _exit_section(self, rules: JourneyRules) -> QWidget:
        box = QFrame()
        box.setObjectName("exit_rules_editor")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(box)
        caption = QLabel("Exit rules")
        caption.setStyleSheet("font-weight: 600;")
        column.addWidget(caption)
        column.addWidget(self._note(
            "A run in progress ends, whatever step it is on, when one of these happens "
            "(checked before any message)." if rules.exit_when
            else "No exit rule: runs go on to their end."))
        for index, rule in enumerate(rules.exit_when):
            column.addWidget(self._exit_rule(index, rule))
        add_event = QPushButton("Add event rule")
        add_event.setObjectName("add_exit_event_button")
        add_event.setToolTip("End a run when the customer does an event after entering "
                             "(unsubscribed)")
        add_event.clicked.connect(lambda: self._edit(
            lambda r: r.exit_when.append(ExitRule(event="")), "Add exit rule"))
        add_fields = QPushButton("Add fields rule")
        add_fields.setObjectName("add_exit_fields_button")
        add_fields.setToolTip("End a run when the customer's fields match (plan equals "
                              "premium), checked at every tick")
        add_fields.clicked.connect(lambda: self._edit(
            lambda r: r.exit_when.append(ExitRule(fields=Filter("all", []))), "Add exit rule"))
        buttons = QHBoxLayout()
        buttons.addWidget(add_event)
        buttons.addWidget(add_fields)
        buttons.addStretch(1)
        column.addLayout(buttons)
        return box

    def _exit_rule(self, index: int, rule: ExitRule) -> QWidget:
        """One exit rule: "the event NAME [where …]", or "the customer's fields match …"."""
        box = QFrame()
        box.setObjectName(f"exit_rule_{index}")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(box)
        column.setContentsMargins(6, 6, 6, 6)  # a frame in a frame: room for the inputs
        heading = QHBoxLayout()
        title = QLabel(f"{index + 1}. " + ("When the customer's fields match" if rule.on_fields
                                           else "When the customer does the event"))
        title.setStyleSheet("font-weight: 600;")
        remove = QToolButton()
        remove.setObjectName(f"remove_exit_rule_{index}")
        remove.setText("✕")
        remove.setToolTip("Remove this exit rule")
        remove.clicked.connect(lambda: self._edit(
            lambda r: r.exit_when.pop(index), "Remove exit rule"))
        heading.addWidget(title, 1)
        heading.addWidget(remove)
        column.addLayout(heading)

        def get_event(r: Any) -> str:
            found = _rule(r, index)
            return (found.event or "") if found is not None else ""

        def put_event(r: Any, name: str) -> None:
            r.exit_when[index].event = name

        def get_filter(r: Any) -> Filter | None:
            found = _rule(r, index)
            if found is None:
                return None
            return found.fields if found.on_fields else found.filter

        def put_filter(r: Any, flt: Filter | None) -> None:
            if r.exit_when[index].on_fields:
                r.exit_when[index].fields = flt or Filter("all", [])
            else:
                r.exit_when[index].filter = flt

        prefix = f"exit_{index}_"
        if rule.on_fields:
            scope = FilterScope(get=get_filter, put=put_filter, prefix=prefix,
                                fields=self.document.columns(), caption="Customers who match",
                                empty="Add at least one condition.")
            column.addWidget(self._filter_section(cast(Any, self.document.rules()), required=True,
                                                  scope=scope))
            return box
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Event", self._event_name_combo(
            f"exit_event_combo_{index}", get_event, put_event, "Change exit event"))
        form.addRow("", self._event_hint(f"exit_event_hint_{index}", get_event))
        column.addLayout(form)
        column.addWidget(self._filter_section(cast(Any, self.document.rules()), required=False,
                                              scope=self._property_scope(
                                                  prefix, get_filter, put_filter,
                                                  "Properties that match")))
        return box

    def _event_hint(self, name: str, get: Callable[[Any], str]) -> QLabel:
        """Says so when events have been imported but none has the name typed (a typo)."""
        hint = QLabel()
        hint.setObjectName(name)
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {WARNING_COLOR};")
        hint.hide()

        def refresh(r: Any) -> None:
            typed = get(r).strip()
            known = self.document.event_names
            unknown = bool(typed and known and typed not in known)
            hint.setText(f"No “{typed}” event has been imported yet: check the name."
                         if unknown else "")
            hint.setVisible(unknown)

        self._refreshers.append(refresh)
        return hint


class GoalHeader(QLabel):
    """The line above the canvas: the goal and exit rules in words; a click opens the
    panel that edits them (from the keyboard: the Goal action, Ctrl+G)."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goal_header")
        self.setWordWrap(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def show_rules(self, journey: Journey, problems: list[Problem]) -> None:
        """The words for the journey's rules, in the error colour while they have problems."""
        self.setText(header_text(journey))
        errors = [p for p in problems if p.is_error]
        colour = ERROR_COLOR if errors else "#202124"
        self.setStyleSheet(
            "#goal_header { background: #f1f3f4; border-bottom: 1px solid #dadce0;"
            f" padding: 6px 14px; color: {colour}; }}")
        tip = f"Click to edit the {TITLE.lower()}"
        if problems:
            tip += "\n" + "\n".join(f"• {p.words}" for p in problems)
        self.setToolTip(tip)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
                event.position().toPoint()):
            self.clicked.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)
