"""Reading a journey file (SPEC §2, ``journey-desktop/1``) into the model of ``journey``.

Kept apart from the model so each stays readable: this module imports the model, and the
model's ``from_json``/``from_file``/``from_dict`` call ``parse`` and ``read_journey`` here.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from journey_desktop.domain.goals import read_exit_rules, read_goal
from journey_desktop.domain.journey import (
    AUDIENCE_ALL,
    AUDIENCE_CSV,
    AUDIENCES,
    CHANNEL_FIELDS,
    CHANNELS,
    FORMAT,
    NODE_TYPES,
    WHO_ANYONE,
    WHO_AUDIENCE,
    WHO_VALUES,
    Activation,
    Branch,
    Condition,
    Duration,
    EventTrigger,
    Filter,
    Journey,
    JourneyFileError,
    Node,
)


def read_journey(data: Any) -> Journey:
    """Parsed JSON as a journey, or JourneyFileError naming the exact place."""
    return _Reader().journey(data)


def _refuse_constant(name: str) -> Any:
    raise JourneyFileError(f"not valid JSON: {name} is not a number a journey file may hold")


def parse(text: str, *, strict: bool) -> Any:
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
