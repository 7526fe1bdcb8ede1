"""The journey model of SPEC §2 and its journey-file form (``journey-desktop/1``)."""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from journey_desktop.domain.goals import ExitRule, Goal, read_exit_rules, read_goal

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
        return cls.from_dict(_parse(text, strict=False))

    @classmethod
    def from_file(cls, text: str) -> Journey:
        """A journey file from the user: NaN and Infinity, which JSON does not have but
        Python's parser accepts, are refused here."""
        return cls.from_dict(_parse(text, strict=True))

    @classmethod
    def from_dict(cls, data: Any) -> Journey:
        return _Reader().journey(data)


def _refuse_constant(name: str) -> Any:
    raise JourneyFileError(f"not valid JSON: {name} is not a number a journey file may hold")


def _parse(text: str, *, strict: bool) -> Any:
    """JSON text as Python values, or JourneyFileError in words (never a RecursionError on
    a file nested thousands deep, nor Python's message on a number of thousands of digits)."""
    try:
        if strict:
            return json.loads(text, parse_constant=_refuse_constant)
        return json.loads(text)
    except JourneyFileError:
        raise
    except json.JSONDecodeError as exc:
        raise JourneyFileError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise JourneyFileError("not valid JSON: lists or objects are nested too deeply") from None
    except ValueError:  # an integer longer than Python converts
        raise JourneyFileError(
            f"not valid JSON: a number has more than {sys.get_int_max_str_digits():,} digits"
        ) from None


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


_NODE_KEYS: dict[str, set[str]] = {
    "entry": {"event", "filter", "next"},
    "wait": {"duration", "at_time", "next"},
    "wait_event": {"event", "filter", "timeout", "same", "yes", "no"},
    "condition": {"filter", "yes", "no"},
    "split": {"branches"},
    "message": {"channel", "next"},
    "exit": set(),
}


class _Reader:
    """Turns parsed JSON into the model, naming the exact place of any type error."""

    def journey(self, data: Any) -> Journey:
        obj = self._object(data, "journey file")
        fmt = obj.get("format")
        if fmt is None:
            raise JourneyFileError("format: missing (expected \"journey-desktop/1\")")
        if fmt != FORMAT:
            raise JourneyFileError(
                f"format: unsupported journey file format {fmt!r} (expected \"{FORMAT}\")"
            )
        self._known_keys(
            obj, {"format", "name", "description", "audience", "nodes", "activation", "goal",
                  "exit_when", "policy"}, ""
        )
        name = self._text(obj.get("name", ""), "name")
        description = self._text(obj.get("description", "") or "", "description")
        nodes_raw = obj.get("nodes", [])
        if not isinstance(nodes_raw, list):
            raise JourneyFileError("nodes: expected a list of nodes")
        nodes = [self.node(raw, f"nodes[{i}]") for i, raw in enumerate(nodes_raw)]
        activation = self.activation(obj.get("activation"), "activation")
        audience = obj.get("audience", AUDIENCE_CSV)
        if audience not in AUDIENCES:
            raise JourneyFileError(
                f"audience: expected \"{AUDIENCE_CSV}\" (the imported customers) or "
                f"\"{AUDIENCE_ALL}\" (everyone in the customer base), not {audience!r}"
            )
        return Journey(name=name, description=description, nodes=nodes, activation=activation,
                       audience=audience, goal=read_goal(self, obj.get("goal")),
                       exit_when=read_exit_rules(self, obj.get("exit_when")),
                       obeys_caps=self._caps_opt(obj.get("policy", {})))

    @staticmethod
    def _caps_opt(data: Any) -> bool:
        if not isinstance(data, dict) or not isinstance(data.get("caps", True), bool):
            raise JourneyFileError('policy: expected {"caps": true or false}')
        return bool(data.get("caps", True))

    def node(self, data: Any, where: str) -> Node:
        obj = self._object(data, where)
        node_id = self._text(obj.get("id"), f"{where}.id", required=True)
        node_type = self._text(obj.get("type"), f"{where}.type", required=True)
        if node_type not in NODE_TYPES:
            raise JourneyFileError(
                f"{where}.type: unknown node type {node_type!r} (expected one of "
                f"{', '.join(NODE_TYPES)})"
            )
        allowed = {"id", "type", "position"} | _NODE_KEYS[node_type]
        channel = None
        if node_type == "message":
            channel = self._text(obj.get("channel"), f"{where}.channel", required=True)
            if channel not in CHANNELS:
                raise JourneyFileError(
                    f"{where}.channel: unknown channel {channel!r} (expected one of "
                    f"{', '.join(CHANNELS)})"
                )
            allowed |= {key for key, _ in CHANNEL_FIELDS[channel]}
        self._known_keys(obj, allowed, where)
        node = Node(id=node_id, type=node_type, channel=channel)
        for key in ("next", "yes", "no"):
            if key in obj:
                setattr(node, key, self._optional_text(obj[key], f"{where}.{key}"))
        if "filter" in obj and obj["filter"] is not None:
            node.filter = self.filter(obj["filter"], f"{where}.filter")
        if "duration" in obj and obj["duration"] is not None:
            node.duration = self.duration(obj["duration"], f"{where}.duration")
        if node_type == "entry" and obj.get("event") is not None:
            node.trigger = self.trigger(obj["event"], f"{where}.event")
        if node_type == "wait_event":
            node.event = self._text(obj.get("event"), f"{where}.event")
            if obj.get("timeout") is not None:
                node.timeout = self.duration(obj["timeout"], f"{where}.timeout")
            if obj.get("same") is not None:
                node.same = self._text(obj["same"], f"{where}.same")
        if "at_time" in obj:
            node.at_time = self._optional_text(obj["at_time"], f"{where}.at_time")
        if "branches" in obj:
            branches = obj["branches"]
            if not isinstance(branches, list):
                raise JourneyFileError(f"{where}.branches: expected a list of branches")
            node.branches = [
                self.branch(b, f"{where}.branches[{i}]") for i, b in enumerate(branches)
            ]
        if channel:
            for key, _required in CHANNEL_FIELDS[channel]:
                if key in obj:
                    node.content[key] = self._text(obj[key] or "", f"{where}.{key}")
        if "position" in obj and obj["position"] is not None:
            pos = self._object(obj["position"], f"{where}.position")
            x = self._number(pos.get("x"), f"{where}.position.x")
            y = self._number(pos.get("y"), f"{where}.position.y")
            node.position = (x, y)
        return node

    def filter(self, data: Any, where: str) -> Filter:
        obj = self._object(data, where)
        self._known_keys(obj, {"match", "conditions"}, where)
        match = self._text(obj.get("match", "all"), f"{where}.match")
        conditions_raw = obj.get("conditions", [])
        if not isinstance(conditions_raw, list):
            raise JourneyFileError(f"{where}.conditions: expected a list of conditions")
        conditions = []
        for i, raw in enumerate(conditions_raw):
            cw = f"{where}.conditions[{i}]"
            cobj = self._object(raw, cw)
            if "event" in cobj:
                conditions.append(self.history(cobj, cw))
                continue
            self._known_keys(cobj, {"field", "op", "value"}, cw)
            value = cobj.get("value")
            if isinstance(value, dict):
                raise JourneyFileError(f"{cw}.value: expected text, a number or a list")
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    self._unicode(item, f"{cw}.value")
            conditions.append(
                Condition(
                    field=self._text(cobj.get("field", ""), f"{cw}.field"),
                    op=self._text(cobj.get("op", ""), f"{cw}.op"),
                    value=value,
                )
            )
        return Filter(match=match, conditions=conditions)

    def history(self, obj: dict[str, Any], where: str) -> Condition:
        """``{"event", "within_days", "at_least"|"at_most"}``; validation checks the numbers."""
        self._known_keys(obj, {"event", "within_days", "at_least", "at_most"}, where)
        counts = {}
        for key in ("within_days", "at_least", "at_most"):
            value = obj.get(key)
            if value is not None:
                self._number(value, f"{where}.{key}")
            counts[key] = value
        return Condition(field="", op="", event=self._text(obj["event"], f"{where}.event"),
                         **counts)

    def trigger(self, data: Any, where: str) -> EventTrigger:
        obj = self._object(data, where)
        self._known_keys(obj, {"name", "filter", "max_age", "who"}, where)
        trigger = EventTrigger(name=self._text(obj.get("name", ""), f"{where}.name"))
        if obj.get("filter") is not None:
            trigger.filter = self.filter(obj["filter"], f"{where}.filter")
        if obj.get("max_age") is not None:
            trigger.max_age = self.duration(obj["max_age"], f"{where}.max_age")
        who = obj.get("who", WHO_AUDIENCE)
        if who not in WHO_VALUES:
            raise JourneyFileError(
                f"{where}.who: expected \"{WHO_AUDIENCE}\" (the journey's audience) or "
                f"\"{WHO_ANYONE}\" (anyone who sends the event), not {who!r}"
            )
        trigger.who = who
        return trigger

    def duration(self, data: Any, where: str) -> Duration:
        obj = self._object(data, where)
        self._known_keys(obj, {"value", "unit"}, where)
        value = self._number(obj.get("value"), f"{where}.value")
        unit = self._text(obj.get("unit", ""), f"{where}.unit")
        return Duration(value=value, unit=unit)

    def branch(self, data: Any, where: str) -> Branch:
        obj = self._object(data, where)
        self._known_keys(obj, {"percent", "next", "label", "holdout"}, where)
        percent = self._number(obj.get("percent"), f"{where}.percent")
        holdout = obj.get("holdout", False)
        if not isinstance(holdout, bool):
            raise JourneyFileError(f"{where}.holdout: expected true or false")
        return Branch(percent=percent, next=self._optional_text(obj.get("next"), f"{where}.next"),
                      label=self._text(obj.get("label") or "", f"{where}.label"), holdout=holdout)

    def activation(self, data: Any, where: str) -> Activation:
        if data is None:
            return Activation()
        obj = self._object(data, where)
        self._known_keys(obj, {"allow_reentry", "max_entries", "timeout", "check_at"}, where)
        reentry = obj.get("allow_reentry", False)
        if not isinstance(reentry, bool):
            raise JourneyFileError(f"{where}.allow_reentry: expected true or false")
        max_entries = obj.get("max_entries")
        if max_entries is not None and (
            isinstance(max_entries, bool) or not isinstance(max_entries, int)
        ):
            raise JourneyFileError(f"{where}.max_entries: expected a whole number or null")
        timeout_raw = obj.get("timeout")
        timeout = (
            Duration(1, "days")
            if timeout_raw is None
            else self.duration(timeout_raw, f"{where}.timeout")
        )
        check_at = obj.get("check_at")
        if check_at is not None:
            check_at = self._text(check_at, f"{where}.check_at").strip() or None
        return Activation(allow_reentry=reentry, max_entries=max_entries, timeout=timeout,
                          check_at=check_at)

    @staticmethod
    def _object(data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise JourneyFileError(f"{where}: expected an object")
        return data

    @staticmethod
    def _known_keys(obj: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(obj) - allowed)
        if unknown:
            prefix = f"{where}." if where else ""
            raise JourneyFileError(f"{prefix}{unknown[0]}: unknown key")

    @staticmethod
    def _text(value: Any, where: str, required: bool = False) -> str:
        if value is None:
            if required:
                raise JourneyFileError(f"{where}: required")
            return ""
        if not isinstance(value, str):
            raise JourneyFileError(f"{where}: expected text")
        if required and not value.strip():
            raise JourneyFileError(f"{where}: required")
        return _Reader._unicode(value, where)

    @staticmethod
    def _optional_text(value: Any, where: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise JourneyFileError(f"{where}: expected a node id (text)")
        return _Reader._unicode(value, where)

    @staticmethod
    def _unicode(value: str, where: str) -> str:
        """Text the database can store: a lone surrogate (``"\\ud800"``) is not."""
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JourneyFileError(f"{where}: not valid Unicode text") from None
        return value

    @staticmethod
    def _number(value: Any, where: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise JourneyFileError(f"{where}: expected a number")
        return value
