"""Validation problems in the words of the window: "Condition 1: choose a field".

The command line keeps the exact ``node.field: message`` form of SPEC §2; the window shows
this plain form of the same problem, naming the input as its label reads and saying what to
do. One mapping from field paths to labels lives here, for the editor and the dialogs.
"""

from __future__ import annotations

import re

from journey_desktop.domain.filters import DAY_OPS, MAX_DAYS_BY_OP, OP_LABELS, op_field_type
from journey_desktop.domain.journey import MAX_DURATION, Node
from journey_desktop.domain.values import AMBIGUOUS_NUMBER

# The label of each message field as the properties panel shows it.
CONTENT_LABELS = {
    "title": "Title",
    "body": "Body",
    "url": "Link (optional)",
    "subject": "Subject",
    "from_name": "From name (optional)",
    "template": "Template",
}
TARGET_LABELS = {"next": "Then", "yes": "If yes", "no": "If no"}
DAY_VALUE_LABELS = {
    "anniversary_in_days": "Days before the anniversary",
    "within_last_days": "Days back",
    "within_next_days": "Days ahead",
}
JOURNEY_LABELS = {
    "name": "Journey name",
    "description": "Description",
    "activation.max_entries": "Maximum entries",
    "activation.timeout": "Minimum time between entries",
    "activation.timeout.value": "Minimum time between entries",
    "activation.timeout.unit": "Minimum time between entries",
    "activation.check_at": "Check at",
    "goal.event": "Goal event",
    "goal.within.value": "Goal window",
    "goal.within.unit": "Goal window",
}
_CONDITION = re.compile(r"(?:^|\.)conditions\[(\d+)\]\.(field|op|value)$")
_BRANCH = re.compile(r"^branches\[(\d+)\]\.(next|percent)$")
# The entry event's property conditions, and history conditions (or a whole condition).
_EVENT_CONDITION = re.compile(
    r"^(event\.filter\.)?(?:filter\.)?conditions\[(\d+)\]"
    r"(?:\.(event|within_days|at_least|at_most))?$|^event\.filter\.conditions\[(\d+)\]\.")
EVENT_LABELS = {
    "event": "Event",
    "timeout": "Wait up to",
    "timeout.value": "Wait up to",
    "timeout.unit": "Wait up to",
    "same": "Same property",
    "event.name": "Event",
    "event.who": "Who",
    "event.max_age": "Maximum age",
    "event.max_age.value": "Maximum age",
    "event.max_age.unit": "Maximum age",
    "event.filter": "Event properties",
    "event.filter.conditions": "Event properties",
    "event.filter.match": "Match",
}
_QUOTED = re.compile(r"'([^']*)'")
# The goal's filter and the exit rules (SPEC §12), named as the goal panel shows them.
_EXIT_RULE = re.compile(r"^exit_when\[(\d+)\]")
_ANY_CONDITION = re.compile(r"conditions\[(\d+)\]")


def _rules_label(field: str) -> str | None:
    """"Exit rule 2", "Exit rule 2, condition 1", "Goal condition 1"; None elsewhere."""
    rule = _EXIT_RULE.match(field)
    if rule:
        owner = f"Exit rule {int(rule.group(1)) + 1}"
    elif field.startswith("goal.filter"):
        owner = "Goal"
    else:
        return None
    condition = _ANY_CONDITION.search(field)
    if condition is None:
        return owner if rule else "Goal conditions"
    number = int(condition.group(1)) + 1
    return f"{owner}, condition {number}" if rule else f"Goal condition {number}"


def field_label(field: str, node: Node | None = None) -> str:
    """The label of the input a problem's field path names, as the window shows it."""
    if field in JOURNEY_LABELS:
        return JOURNEY_LABELS[field]
    rules = _rules_label(field)
    if rules is not None:
        return rules
    if field in EVENT_LABELS:
        return EVENT_LABELS[field]
    event_condition = _EVENT_CONDITION.search(field)
    if event_condition:
        index = int(event_condition.group(2) or event_condition.group(4))
        kind = "Event condition" if field.startswith("event.filter.") else "Condition"
        return f"{kind} {index + 1}"
    condition = _CONDITION.search(field)
    if condition:
        index, part = int(condition.group(1)), condition.group(2)
        op = _condition_op(node, index)
        if part == "value" and op in DAY_VALUE_LABELS:
            return DAY_VALUE_LABELS[op]
        return f"Condition {index + 1}"
    branch = _BRANCH.match(field)
    if branch:
        number = int(branch.group(1)) + 1
        return f"Branch {number}" if branch.group(2) == "next" else f"Branch {number} percent"
    simple = {
        "id": "This step",
        "type": "This step",
        "nodes": "Journey",
        "branches": "Branches",
        "duration": "Wait for",
        "duration.value": "Wait for",
        "duration.unit": "Wait for",
        "at_time": "Time of day",
        "channel": "Channel",
        "filter": "Conditions",
        "filter.conditions": "Conditions",
        "filter.match": "Match",
    }
    if field in simple:
        return simple[field]
    if field in TARGET_LABELS:
        return TARGET_LABELS[field]
    return CONTENT_LABELS.get(field, field).removesuffix(" (optional)")


def plain_words(node: Node | None, field: str, message: str) -> str:
    """One problem as "Label: what to do"; ``node`` gives the context (None for the
    journey's own fields or a node the validator could not name)."""
    label = field_label(field, node)
    return f"{label}: {_advice(node, field, message)}"


def _advice(node: Node | None, field: str, message: str) -> str:
    if message.startswith("is empty: "):  # "is empty: name the event to wait for"
        return message.removeprefix("is empty: ")
    if message == "the property is empty":
        return "choose a property"
    if "needs at_least or at_most" in message:
        return "choose at least or at most a number of times"
    if _EVENT_CONDITION.search(field):
        return message
    condition = _CONDITION.search(field)
    if condition:
        return _condition_advice(node, int(condition.group(1)), condition.group(2), message)
    if field in TARGET_LABELS or _BRANCH.match(field) and field.endswith(".next"):
        return _target_advice(message)
    if field.endswith("percent"):
        return "enter a percent from 1 to 99"
    if field == "id":
        return _id_advice(message)
    if field in ("duration", "duration.value"):
        return _duration_advice(node, message)
    if field == "goal.within.value":
        return _goal_window_advice(message)
    if field.startswith("exit_when["):
        return message
    if field == "at_time":
        return "enter a time of day as HH:MM, from 00:00 to 23:59"
    if field == "branches" and "add up" in message:
        total = message.split("add up to ", 1)[1].split(",", 1)[0]
        return f"the percents add up to {total}: make them add up to 100"
    if field == "nodes":
        kind = "an Entry" if "entry" in message else "an Exit"
        return f"add {kind} step"
    if field == "type":
        return "a journey has one Entry step: remove this one"
    if field in ("filter", "filter.conditions"):
        return "add at least one condition"
    if field == "filter.match":
        return "choose all conditions or any condition"
    if field == "name" and message.startswith("another journey"):
        return "another journey already has this name: choose another"
    if field == "name" and "required" in message:
        return "enter a name"
    if field == "channel":
        return "choose a channel"
    if message.endswith(" is empty"):
        return f"write the {field_label(field, node).lower()}"
    if "placeholder" in message:
        return _placeholder_advice(message)
    if field == "url":
        return "enter a web address (https://…) or an app link (myapp://…)"
    return message


def _condition_op(node: Node | None, index: int) -> str:
    if node is None or node.filter is None or not 0 <= index < len(node.filter.conditions):
        return ""
    return node.filter.conditions[index].op


def _condition_advice(node: Node | None, index: int, part: str, message: str) -> str:
    op = _condition_op(node, index)
    if part == "field":
        if message == "the field is empty":
            return "choose a field"
        return message.replace("is not a column", "is not a field", 1)
    if part == "op":
        if message.startswith("unknown operator"):
            return "choose how to compare"
        field = node.filter.conditions[index].field if node and node.filter else ""
        column_type = message.rsplit(" ", 2)[-2]
        return (f"“{OP_LABELS.get(op, op)}” is for {op_field_type(op)} fields but “{field}” "
                f"is a {column_type} field")
    if op in DAY_OPS:
        value = node.filter.conditions[index].value if node and node.filter else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return f"enter a whole number up to {MAX_DAYS_BY_OP[op]:,}"
        return "enter a whole number (0 or more)"
    kind = op_field_type(op)
    if op == "in":
        return "enter one or more values, separated by commas"
    if kind == "number":
        return "enter a number" + (f" ({AMBIGUOUS_NUMBER})" if AMBIGUOUS_NUMBER in message else "")
    if kind == "date":
        return "enter a date as YYYY-MM-DD"
    if op in ("contains", "starts_with"):
        return "enter the text to look for"
    return "enter a value"


def _target_advice(message: str) -> str:
    if message == "no next step is connected":
        return "connect the next step"
    if message.startswith("target "):
        missing = _QUOTED.search(message)
        return f"the step “{missing.group(1) if missing else ''}” does not exist: choose another"
    if "itself" in message:
        return "a step cannot lead to itself"
    if "cycle" in message:
        return "this leads back round in a loop: connect it to a later step"
    if "exit" in message:
        return "no path from here reaches an Exit: connect one"
    return message


def _id_advice(message: str) -> str:
    if "reached" in message:
        return "nothing leads here from the Entry: connect it"
    if "more than one" in message:
        return "another step has the same name: rename one"
    if "empty" in message:
        return "give the step a name"
    return message


def _duration_advice(node: Node | None, message: str) -> str:
    unit = node.duration.unit if node is not None and node.duration else "days"
    if "at most" in message:
        return f"enter at most {MAX_DURATION.get(unit, 0):,} {unit} (one year)"
    if "needs a duration" in message:
        return "enter how long to wait"
    return f"enter a whole number of {unit} (1 or more)"


def _goal_window_advice(message: str) -> str:
    """"the goal window must be at most 365 days (one year)" → what to type instead."""
    unit = next((u for u in MAX_DURATION if u in message), "days")
    if "at most" in message:
        return f"a conversion counts at most {MAX_DURATION[unit]:,} {unit} after entry (one year)"
    return f"enter how many {unit} after entry a conversion counts (1 or more)"


def _placeholder_advice(message: str) -> str:
    if "empty placeholder" in message:
        return "a placeholder {{}} has no field name: write one or remove it"
    if "built in" in message:
        return message
    return message
