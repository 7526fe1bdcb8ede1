"""The journey model of SPEC §2 and its journey-file form (``journey-desktop/1``).

Writing is here (``to_dict``); reading is in ``journey_reader``, which imports this module,
so ``Journey.from_*`` import it when called.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from journey_desktop.domain.goals import ExitRule, Goal

FORMAT = "journey-desktop/1"
AUDIENCE_CSV = "csv"  # the customers imported into the journey (SPEC §4)
AUDIENCE_ALL = "all"  # everyone in the customer base, new profiles included
AUDIENCES = (AUDIENCE_CSV, AUDIENCE_ALL)

NODE_TYPES = ("entry", "wait", "wait_event", "condition", "split", "message", "exit")
CHANNELS = ("push", "email", "sms", "inapp", "whatsapp")
DURATION_UNITS = ("minutes", "hours", "days")
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
# The longest wait or timeout, one year in each unit: longer is a typing slip, and a year
# keeps every due time far inside what dates and the database can hold.
MAX_DURATION = {"minutes": 525_600, "hours": 8_760, "days": 365}

# Channel fields in file order: (key, required).
CHANNEL_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "push": (("title", True), ("body", True), ("url", False)),
    "email": (("subject", True), ("body", True), ("from_name", False)),
    "sms": (("body", True),),
    "inapp": (("title", True), ("body", True)),
    "whatsapp": (("template", True), ("body", False)),
}
CHANNEL_LABELS = {
    "push": "Push",
    "email": "Email",
    "sms": "SMS",
    "inapp": "In-app",
    "whatsapp": "WhatsApp",
}
SMS_MAX_LENGTH = 1600
# Who an event entry lets in (SPEC §11): the journey's audience, or anyone who sends it
# (added to the audience on their first such event).
WHO_AUDIENCE = "audience"
WHO_ANYONE = "anyone"
WHO_VALUES = (WHO_AUDIENCE, WHO_ANYONE)
# The prefixes of a condition field or placeholder that reads event data, not the profile:
# the event that started the run, and the last event a wait_event matched.
EVENT_PREFIX = "event."
MATCHED_PREFIX = "matched."


class JourneyFileError(ValueError):
    """A journey file that cannot be read; the message names where (``nodes[2].duration``)."""


@dataclass
class Condition:
    """A test of a field (``field``, ``op``, ``value``), or of history when ``event`` is
    set: how many of the customer's ``event`` events fall in the last ``within_days``."""

    field: str
    op: str
    value: Any = None
    event: str | None = None
    within_days: Any = None
    at_least: Any = None
    at_most: Any = None

    @property
    def is_history(self) -> bool:
        return self.event is not None

    def to_dict(self) -> dict[str, Any]:
        if self.is_history:
            history: dict[str, Any] = {"event": self.event, "within_days": self.within_days}
            if self.at_least is not None:
                history["at_least"] = self.at_least
            if self.at_most is not None:
                history["at_most"] = self.at_most
            return history
        data: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.value is not None or self.op not in ("is_set", "is_not_set"):
            data["value"] = copy.deepcopy(self.value)
        return data


@dataclass
class Filter:
    match: str = "all"
    conditions: list[Condition] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match, "conditions": [c.to_dict() for c in self.conditions]}


@dataclass
class Duration:
    value: int | float
    unit: str = "days"

    @property
    def seconds(self) -> int:
        return int(self.value * UNIT_SECONDS.get(self.unit, 0))

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit}


@dataclass
class EventTrigger:
    """An entry on an event (SPEC §11): ``filter`` tests the event's properties."""

    name: str = ""
    filter: Filter | None = None
    max_age: Duration = field(default_factory=lambda: Duration(3, "days"))
    who: str = WHO_AUDIENCE

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.filter is not None:
            data["filter"] = self.filter.to_dict()
        data["max_age"] = self.max_age.to_dict()
        data["who"] = self.who
        return data


@dataclass
class Branch:
    """A split's branch; a ``holdout`` branch (a control group) sends nothing and ends."""

    percent: int
    next: str | None = None
    label: str = ""
    holdout: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"percent": self.percent, "next": self.next}
        if self.label:
            data["label"] = self.label
        if self.holdout:
            data["holdout"] = True
        return data


@dataclass
class Node:
    """One step of a journey; which attributes matter depends on ``type``."""

    id: str
    type: str
    next: str | None = None
    yes: str | None = None
    no: str | None = None
    filter: Filter | None = None
    duration: Duration | None = None
    at_time: str | None = None
    branches: list[Branch] = field(default_factory=list)
    channel: str | None = None
    content: dict[str, str] = field(default_factory=dict)
    position: tuple[float, float] | None = None
    # entry: the event that starts a run (None: the customer's fields decide, §5)
    trigger: EventTrigger | None = None
    # wait_event: the event waited for (its properties tested by ``filter``), how long,
    # and the property that must equal the entry event's
    event: str | None = None
    timeout: Duration | None = None
    same: str | None = None

    def targets(self) -> list[tuple[str, str | None]]:
        """The outgoing connections as (field name, target id) pairs."""
        if self.type in ("entry", "wait", "message"):
            return [("next", self.next)]
        if self.type in ("condition", "wait_event"):
            return [("yes", self.yes), ("no", self.no)]
        if self.type == "split":
            # A holdout branch may lead nowhere: its runs end there.
            return [(f"branches[{i}].next", b.next) for i, b in enumerate(self.branches)
                    if b.next or not b.holdout]
        return []

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "entry":
            if self.trigger is not None:
                data["event"] = self.trigger.to_dict()
            if self.filter is not None:
                data["filter"] = self.filter.to_dict()
            data["next"] = self.next
        elif self.type == "wait_event":
            data["event"] = self.event
            if self.filter is not None:
                data["filter"] = self.filter.to_dict()
            data["timeout"] = self.timeout.to_dict() if self.timeout else None
            if self.same is not None:
                data["same"] = self.same
            data["yes"] = self.yes
            data["no"] = self.no
        elif self.type == "wait":
            data["duration"] = self.duration.to_dict() if self.duration else None
            if self.at_time is not None:
                data["at_time"] = self.at_time
            data["next"] = self.next
        elif self.type == "condition":
            data["filter"] = self.filter.to_dict() if self.filter else None
            data["yes"] = self.yes
            data["no"] = self.no
        elif self.type == "split":
            data["branches"] = [b.to_dict() for b in self.branches]
        elif self.type == "message":
            data["channel"] = self.channel
            for key, required in CHANNEL_FIELDS.get(self.channel or "", ()):
                if required or key in self.content:
                    data[key] = self.content.get(key, "")
            data["next"] = self.next
        if self.position is not None:
            data["position"] = {"x": self.position[0], "y": self.position[1]}
        return data


@dataclass
class Activation:
    """Re-entry options of SPEC §3; the timeout is also the re-check rhythm, which
    ``check_at`` ("09:00", local) anchors at a time of day."""

    allow_reentry: bool = False
    max_entries: int | None = None
    timeout: Duration = field(default_factory=lambda: Duration(1, "days"))
    check_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"allow_reentry": self.allow_reentry,
                                "max_entries": self.max_entries,
                                "timeout": self.timeout.to_dict()}
        if self.check_at is not None:  # written only when set
            data["check_at"] = self.check_at
        return data


@dataclass
class Journey:
    name: str
    description: str = ""
    nodes: list[Node] = field(default_factory=list)
    activation: Activation = field(default_factory=Activation)
    audience: str = AUDIENCE_CSV
    goal: Goal | None = None  # SPEC §12
    exit_when: list[ExitRule] = field(default_factory=list)
    obeys_caps: bool = True  # SPEC §13: ``"policy": {"caps": false}`` opts out of caps

    def node(self, node_id: str) -> Node | None:
        for node in self.nodes:
            if node.id == node_id:
                return node
        return None

    def entry(self) -> Node | None:
        entries = [n for n in self.nodes if n.type == "entry"]
        return entries[0] if len(entries) == 1 else None

    def trigger(self) -> EventTrigger | None:
        """The event that starts runs, when the entry is on an event."""
        entry = self.entry()
        return entry.trigger if entry is not None else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
        }
        if self.audience != AUDIENCE_CSV:
            data["audience"] = self.audience
        data["nodes"] = [n.to_dict() for n in self.nodes]
        data["activation"] = self.activation.to_dict()
        if self.goal is not None:
            data["goal"] = self.goal.to_dict()
        if self.exit_when:
            data["exit_when"] = [rule.to_dict() for rule in self.exit_when]
        if not self.obeys_caps:
            data["policy"] = {"caps": False}
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def copy(self) -> Journey:
        return Journey.from_dict(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Journey:
        """A definition this app stored: older versions could store NaN, which validation
        then reports on its node rather than making the journey unreadable."""
        from journey_desktop.domain.journey_reader import parse  # the reader imports this module

        return cls.from_dict(parse(text, strict=False))

    @classmethod
    def from_file(cls, text: str) -> Journey:
        """A journey file from the user: NaN and Infinity, which JSON does not have but
        Python's parser accepts, are refused here."""
        from journey_desktop.domain.journey_reader import parse  # the reader imports this module

        return cls.from_dict(parse(text, strict=True))

    @classmethod
    def from_dict(cls, data: Any) -> Journey:
        from journey_desktop.domain.journey_reader import read_journey  # it imports this module

        return read_journey(data)


def minimal_journey(name: str) -> Journey:
    """The smallest valid journey (entry, one push, exit): the template for New."""
    return Journey(
        name=name,
        description="",
        nodes=[
            Node(id="start", type="entry", next="message"),
            Node(
                id="message",
                type="message",
                channel="push",
                content={"title": "Hello {{firstName}}", "body": "We have news for you."},
                next="end",
            ),
            Node(id="end", type="exit"),
        ],
    )
