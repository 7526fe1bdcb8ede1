"""One-line descriptions of nodes for the canvas cards (plain Python, no Qt)."""

from __future__ import annotations

from typing import Any

from journey_desktop.domain.filters import DAY_OPS, OP_LABELS, PRESENCE_OPS
from journey_desktop.domain.journey import (
    AUDIENCE_ALL,
    AUDIENCE_CSV,
    CHANNEL_LABELS,
    Branch,
    Condition,
    Filter,
    Node,
)

TYPE_LABELS = {
    "entry": "Entry",
    "wait": "Wait",
    "wait_event": "Wait for event",
    "condition": "Condition",
    "split": "Split",
    "message": "Message",
    "exit": "Exit",
}
# The main text field of each channel, shown on the card.
HEADLINE_FIELD = {
    "push": "title",
    "email": "subject",
    "sms": "body",
    "inapp": "title",
    "whatsapp": "template",
}
NBSP = "\u00a0"  # a space a line never breaks at
# Who a journey applies to (SPEC §4), as the editor offers it and the entry card says it.
AUDIENCE_LABELS = {
    AUDIENCE_CSV: "Imported customers (CSV)",
    AUDIENCE_ALL: "Everyone in the customer base",
}


def value_text(value: Any) -> str:
    """A condition's value as the editor shows and edits it: a list joined by commas."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def condition_text(condition: Condition) -> str:
    """"plan equals premium", "birthday anniversary in 0 days"."""
    field = condition.field or "?"
    op = condition.op
    if op in PRESENCE_OPS:
        return f"{field} {OP_LABELS[op]}"
    value = value_text(condition.value)
    if op in DAY_OPS:
        days = value or "?"
        return f"{field} " + OP_LABELS[op].replace(" N ", f" {days} ")
    label = OP_LABELS.get(op, op or "?")
    return f"{field} {label} {value}".rstrip()


def filter_text(flt: Filter | None) -> str:
    if flt is None or not flt.conditions:
        return ""
    joiner = " or " if flt.match == "any" else " and "
    return joiner.join(condition_text(c) for c in flt.conditions)


def plural(value: int | float, unit: str) -> str:
    number = f"{value:g}"
    if value == 1:
        unit = unit.removesuffix("s")
    return f"{number} {unit}"


def node_summary(node: Node, audience: str = AUDIENCE_CSV) -> str:
    """"Wait 2 days, then at 09:00", "Push: Happy birthday, {{firstName}}!"; an entry
    without a filter says who enters, from the journey's ``audience``."""
    if node.type == "entry":
        text = filter_text(node.filter)
        if node.trigger is not None:
            return trigger_text(node) + (f", when {text}" if text else "")
        if text:
            return f"When {text}"
        if audience == AUDIENCE_ALL:
            return AUDIENCE_LABELS[AUDIENCE_ALL]
        return "Every customer of the audience"
    if node.type == "wait":
        if node.duration is None:
            return "Wait (no duration)"
        text = f"Wait {plural(node.duration.value, node.duration.unit)}"
        if node.at_time:
            text += f", then at {node.at_time}"
        return text
    if node.type == "wait_event":
        return wait_event_text(node)
    if node.type == "condition":
        text = filter_text(node.filter)
        return f"If {text}" if text else "If … (no condition yet)"
    if node.type == "split":
        if not node.branches:
            return "Split (no branches)"
        return "Split " + " / ".join(branch_text(b) for b in node.branches)
    if node.type == "message":
        channel = node.channel or ""
        label = CHANNEL_LABELS.get(channel, channel or "Message")
        headline = node.content.get(HEADLINE_FIELD.get(channel, ""), "").strip()
        if channel == "whatsapp" and headline:
            headline = f"template {headline}"
        return f"{label}: {headline}" if headline else f"{label}: (empty)"
    if node.type == "exit":
        return "The run ends"
    return node.type


def event_with_filter(name: str, flt: Filter | None) -> str:
    text = filter_text(flt)
    return f"{name or '…'} where {text}" if text else (name or "… (no event yet)")


def trigger_text(node: Node) -> str:
    """"On cart_updated where total greater than 50" (an entry that starts on an event)."""
    assert node.trigger is not None
    return "On " + event_with_filter(node.trigger.name, node.trigger.filter)


def wait_event_text(node: Node) -> str:
    """"Wait up to 1 hour for purchase with the same cartId"."""
    timeout = node.timeout
    text = (f"Wait up to {plural(timeout.value, timeout.unit)}" if timeout is not None
            else "Wait (no timeout)")
    text += " for " + event_with_filter(node.event or "", node.filter)
    if node.same:
        text += f" with the same {node.same}"
    return text


def branch_text(branch: Branch, *, with_label: bool = True) -> str:
    """"45 %", "Variant A 45 %", "Control 10 %" for a holdout (a control group); its
    words and percent joined by no-break spaces, so that a card never puts "Control" on
    one line and its percent on the next."""
    words = [branch.label.strip()] if with_label and branch.label.strip() else []
    if branch.holdout:
        words.append("Control")
    if not words:
        return f"{branch.percent:g} %"
    return NBSP.join([*words, f"{branch.percent:g}", "%"])


def connection_label(node: Node, field: str, *, with_label: bool = True) -> str:
    """The label drawn on an outgoing arrow: yes/no, a split's branch (its label, "Control"
    for a holdout, its percent; ``with_label`` False where a label has no room), nothing
    for next."""
    if field in ("yes", "no"):
        return field
    if field.startswith("branches["):
        index = int(field[len("branches[") : field.index("]")])
        if index < len(node.branches):
            return branch_text(node.branches[index], with_label=with_label)
    return ""
