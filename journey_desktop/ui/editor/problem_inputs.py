"""Which input of the properties panel a problem names: outlined in red, focused on click.

The panel names its inputs after the node's fields (``field_title``, ``condition_value_0``);
this is the one map from a problem's field path to that input's object name.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QWidget

from journey_desktop.domain.validation import Problem
from journey_desktop.ui.common.colours import ERROR_COLOR, WARNING_COLOR

PROBLEM_PROPERTY = "problem"  # "error" or "warning" on an input a problem names
OUTLINE_STYLE = (
    f'*[problem="error"] {{ border: 2px solid {ERROR_COLOR}; border-radius: 4px; }}'
    f'*[problem="warning"] {{ border: 2px solid {WARNING_COLOR}; border-radius: 4px; }}'
)
_CONDITION = re.compile(
    r"conditions\[(\d+)\](?:\.(field|op|value|event|within_days|at_least|at_most))?$")
# A history condition's count, whichever bound it has, is one input.
_CONDITION_PARTS = {None: "count", "at_least": "count", "at_most": "count"}
TRIGGER_FILTER = "event.filter"  # the entry event's property filter: its inputs' prefix
_BRANCH = re.compile(r"^branches\[(\d+)\]\.(next|percent|label|holdout)$")
# The goal panel's inputs (SPEC §12): the goal's, and each exit rule's by its index.
_GOAL_FILTER = "goal.filter"
_EXIT_RULE = re.compile(r"^exit_when\[(\d+)\](?:\.(event|filter|fields))?")
_GOAL_NAMES = {
    "goal": "goal_check",
    "goal.event": "goal_event_combo",
    "goal.within": "goal_within_value",
    "goal.within.value": "goal_within_value",
    "goal.within.unit": "goal_within_unit",
    "goal.exit_on_goal": "exit_on_goal_check",
    "goal.filter": "goal_add_condition_button",
    "goal.filter.conditions": "goal_add_condition_button",
    "goal.filter.match": "goal_match_combo",
}
_NAMES = {
    "id": "node_id_edit",
    "type": "node_id_edit",
    "next": "next_combo",
    "yes": "yes_combo",
    "no": "no_combo",
    "branches": "add_branch_button",
    "duration": "duration_value",
    "duration.value": "duration_value",
    "duration.unit": "duration_unit",
    "at_time": "at_time_edit",
    "channel": "channel_combo",
    "filter": "add_condition_button",
    "filter.conditions": "add_condition_button",
    "filter.match": "match_combo",
    # customer events (SPEC §11)
    "event": "event_name_combo",
    "timeout": "timeout_value",
    "timeout.value": "timeout_value",
    "timeout.unit": "timeout_unit",
    "same": "same_combo",
    "event.name": "trigger_name_combo",
    "event.who": "who_combo",
    "event.max_age": "max_age_value",
    "event.max_age.value": "max_age_value",
    "event.max_age.unit": "max_age_unit",
    "event.filter": "trigger_add_condition_button",
    "event.filter.conditions": "trigger_add_condition_button",
    "event.filter.match": "trigger_match_combo",
}


def filter_prefix(field: str) -> str:
    """The prefix of the inputs of the filter a field path is in (``FilterScope.prefix``)."""
    if field.startswith(TRIGGER_FILTER + "."):
        return "trigger_"
    if field.startswith(_GOAL_FILTER + "."):
        return "goal_"
    rule = _EXIT_RULE.match(field)
    return f"exit_{rule.group(1)}_" if rule else ""


def input_name(field: str) -> str:
    """The object name of the panel's input for a node's field path, or for the goal
    panel's (``goal.event``, ``exit_when[1].fields.conditions[0].value``)."""
    condition = _CONDITION.search(field)
    if condition:
        prefix = filter_prefix(field)
        part = _CONDITION_PARTS.get(condition.group(2), condition.group(2))
        return f"{prefix}condition_{part}_{condition.group(1)}"
    branch = _BRANCH.match(field)
    if branch:
        return f"branch_{branch.group(2)}_{branch.group(1)}"
    if field in _GOAL_NAMES:
        return _GOAL_NAMES[field]
    rule = _EXIT_RULE.match(field)
    if rule:
        prefix = filter_prefix(field)
        rest = field[rule.end():]
        if rule.group(2) == "event":
            return f"exit_event_combo_{rule.group(1)}"
        if rest.endswith(".match"):
            return f"{prefix}match_combo"
        if rule.group(2) in ("filter", "fields"):
            return f"{prefix}add_condition_button"
        return f"remove_exit_rule_{rule.group(1)}"
    return _NAMES.get(field, f"field_{field}")


def find_input(content: QWidget | None, field: str) -> QWidget | None:
    if content is None:
        return None
    return content.findChild(QWidget, input_name(field))


def outline(content: QWidget | None, problems: list[Problem]) -> list[QWidget]:
    """Outline the inputs the problems name (errors win over warnings); returns them."""
    if content is None:
        return []
    marks: dict[str, str] = {}
    for problem in problems:
        name = input_name(problem.field)
        if marks.get(name) != "error":
            marks[name] = problem.severity
    outlined = []
    for widget in content.findChildren(QWidget):
        mark = marks.get(widget.objectName(), "")
        if (widget.property(PROBLEM_PROPERTY) or "") != mark:
            widget.setProperty(PROBLEM_PROPERTY, mark)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        if mark:
            outlined.append(widget)
    return outlined


def focus_input(widget: QWidget) -> None:
    """Put the cursor in the input, its text selected so typing replaces it."""
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    elif isinstance(widget, QComboBox) and widget.isEditable() and widget.lineEdit():
        widget.lineEdit().selectAll()  # type: ignore[union-attr]
    elif isinstance(widget, QAbstractSpinBox):
        widget.selectAll()
