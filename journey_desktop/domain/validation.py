"""Validation of SPEC §2: every problem at once, each naming its node and field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from journey_desktop.domain.engine import BUILTIN_PLACEHOLDERS, PLACEHOLDER, placeholders
from journey_desktop.domain.filters import OPS_BY_TYPE, op_field_type, value_problem
from journey_desktop.domain.journey import (
    CHANNEL_FIELDS,
    CHANNELS,
    DURATION_UNITS,
    EVENT_PREFIX,
    MATCHED_PREFIX,
    MAX_DURATION,
    SMS_MAX_LENGTH,
    UNIT_SECONDS,
    Activation,
    Filter,
    Journey,
    Node,
)
from journey_desktop.domain.problem_words import plain_words

ERROR = "error"
WARNING = "warning"
NAME_MAX_LENGTH = 120
# The most entries per customer: what the activation dialog's nine-digit field takes.
MAX_ENTRIES = 999_999_999
MIN_BRANCHES, MAX_BRANCHES = 2, 10  # of a split
AT_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Links a push may carry: the web, or an app's own link (myapp://offers/42); never a scheme
# that runs or reads something where the link is opened.
UNSAFE_URL_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob", "about"})
# Characters that show nothing: spaces, controls, zero-width and other format characters.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"})


@dataclass(frozen=True)
class Problem:
    """One finding; ``node`` is None for journey-level fields (name, activation)."""

    node: str | None
    field: str
    message: str
    severity: str = ERROR
    plain: str = ""  # the window's words: "Condition 1: choose a field"

    def __str__(self) -> str:
        where = f"{self.node}.{self.field}" if self.node else self.field
        return f"{where}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def words(self) -> str:
        """What the window shows: the plain form, or the file's form when there is none."""
        return self.plain or str(self)


@dataclass
class ValidationResult:
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        """True when nothing blocks activation (warnings may remain)."""
        return not self.errors

    def for_node(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id]


def normalize_name(name: str) -> str:
    """The key that makes names unique case-insensitively."""
    return name.strip().casefold()


def name_problem(name: str) -> str | None:
    """Why a journey name cannot be used (taken names aside), or None: the repository and
    validation share it so that both refuse the same names in the same words."""
    trimmed = name.strip()
    if not trimmed:
        return "a journey name is required"
    if len(trimmed) > NAME_MAX_LENGTH:
        return f"a journey name is at most {NAME_MAX_LENGTH} characters"
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in trimmed):
        return "a journey name cannot contain control characters or line breaks"
    if all(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in trimmed):
        return "a journey name needs at least one visible character"
    return None


def whole_number(value: object) -> int | None:
    """The value as an int when it is a finite whole number (``3`` or ``3.0``), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():  # also NaN and infinities
        return None
    return int(value)


def duration_problem(value: object, unit: str, what: str = "the duration") -> str | None:
    """Why a wait or timeout value cannot be used, or None: whole units from 1 to a year
    (an unknown unit is reported on its own field)."""
    number = whole_number(value)
    if number is None:
        return f"{what} must be a whole number of {unit}, not {value!r}"
    if number < 1:
        return f"{what} must be 1 or more"
    limit = MAX_DURATION.get(unit)
    if limit is not None and number > limit:
        return f"{what} must be at most {limit:,} {unit} (one year)"
    return None


def max_entries_problem(value: object) -> str | None:
    """Why a maximum number of entries cannot be used, or None (None itself is unlimited)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ENTRIES:
        return f"maximum entries must be a whole number from 1 to {MAX_ENTRIES:,} (or blank)"
    return None


def url_problem(url: str) -> str | None:
    """Why a message link cannot be used, or None; ``{{field}}`` placeholders may fill in
    its parts, but its scheme (``https:``) must be written out."""
    text = url.strip()
    if not text:
        return None
    invalid = f"not a valid web address: {url!r}"
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in text):
        return invalid
    colon = text.find(":")
    opening = text.find("{{")
    if colon < 0 or 0 <= opening < colon:
        return invalid
    parts = urlsplit(PLACEHOLDER.sub("x", text))
    scheme = parts.scheme.lower()
    if scheme in UNSAFE_URL_SCHEMES:
        return f"links must be web (https:) or app links, not {scheme}: links"
    if scheme in ("http", "https"):
        host = parts.netloc
        return None if host and ("." in host or host.startswith("localhost")) else invalid
    # App deep links such as myapp://offers/42 are common in push messages.
    if re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) and (parts.netloc or parts.path):
        return None
    return invalid


def validate(
    journey: Journey,
    *,
    taken_names: Iterable[str] = (),
    audience_columns: Mapping[str, str] | None = None,
) -> ValidationResult:
    """Check a journey; ``taken_names`` are other journeys' names, ``audience_columns``
    the imported audience's columns and types (None when no audience is loaded)."""
    return _Validator(journey, taken_names, audience_columns).run()


class _Validator:
    def __init__(
        self,
        journey: Journey,
        taken_names: Iterable[str],
        audience_columns: Mapping[str, str] | None,
    ) -> None:
        self.journey = journey
        self.taken = {normalize_name(n) for n in taken_names}
        self.columns = audience_columns
        self.problems: list[Problem] = []

    def error(self, node: str | None, fld: str, message: str) -> None:
        self.problems.append(self.problem(node, fld, message, ERROR))

    def warn(self, node: str | None, fld: str, message: str) -> None:
        self.problems.append(self.problem(node, fld, message, WARNING))

    def problem(self, node: str | None, fld: str, message: str, severity: str) -> Problem:
        found = self.journey.node(node) if node else None
        return Problem(node, fld, message, severity, plain_words(found, fld, message))

    def run(self) -> ValidationResult:
        self.check_name()
        ids = self.check_ids()
        self.check_graph(ids)
        for node in self.journey.nodes:
            self.check_node(node)
        self.check_activation()
        # Deferred: validation_events imports this module's Problem and duration_problem.
        from journey_desktop.domain.validation_events import event_problems

        # In the window's words too, as every other problem.
        self.problems.extend(self.problem(p.node, p.field, p.message, p.severity)
                             for p in event_problems(self.journey))
        from journey_desktop.domain.validation_goals import goal_problems

        self.problems.extend(goal_problems(self.journey))
        return ValidationResult(self.problems)

    def check_name(self) -> None:
        name = self.journey.name.strip()
        problem = name_problem(name)
        if problem:
            self.error(None, "name", problem)
        elif normalize_name(name) in self.taken:
            self.error(None, "name", f"another journey is already named {name!r}")

    def check_ids(self) -> dict[str, Node]:
        ids: dict[str, Node] = {}
        for index, node in enumerate(self.journey.nodes):
            if not node.id.strip():
                self.error(f"nodes[{index}]", "id", "node id is empty")
                continue
            if any(unicodedata.category(ch) == "Cc" for ch in node.id):
                self.error(f"nodes[{index}]", "id", "a node id cannot contain control characters")
                continue
            if node.id in ids:
                self.error(node.id, "id", f"node id {node.id!r} is used by more than one node")
                continue
            ids[node.id] = node
        entries = [n for n in self.journey.nodes if n.type == "entry"]
        if not entries:
            self.error(None, "nodes", "the journey has no entry node")
        elif len(entries) > 1:
            for extra in entries[1:]:
                self.error(extra.id, "type", "a journey has exactly one entry node")
        if not any(n.type == "exit" for n in self.journey.nodes):
            self.error(None, "nodes", "the journey has no exit node")
        return ids

    def check_graph(self, ids: dict[str, Node]) -> None:
        edges: dict[str, list[str]] = {}
        for node_id, node in ids.items():
            out: list[str] = []
            for fld, target in node.targets():
                if target is None or target == "":
                    self.error(node_id, fld, "no next step is connected")
                elif target not in ids:
                    self.error(node_id, fld, f"target {target!r} does not exist")
                elif target == node_id:
                    self.error(node_id, fld, "a node cannot lead to itself")
                else:
                    out.append(target)
            edges[node_id] = out
        entries = [n.id for n in self.journey.nodes if n.type == "entry" and n.id in ids]
        if len(entries) == 1:
            reachable = _reachable(entries[0], edges)
            for node_id in ids:
                if node_id not in reachable:
                    self.error(node_id, "id", "cannot be reached from the entry")
        # Name each connection that stays inside a cycle (a condition's yes or no, a split's
        # branch), not just the node.
        cycles = _cycle_components(edges)
        for node_id, node in ids.items():
            if node_id not in cycles:
                continue
            for fld, target in node.targets():
                if target is not None and cycles.get(target) == cycles[node_id]:
                    self.error(node_id, fld, "is part of a cycle")
        # Nodes from which no exit can be reached (a dead end or a loop with no way out).
        exits = {nid for nid, n in ids.items() if n.type == "exit"}
        reverse: dict[str, list[str]] = {nid: [] for nid in ids}
        for source, targets in edges.items():
            for target in targets:
                reverse[target].append(source)
        reaches_exit: set[str] = set()
        stack = list(exits)
        while stack:
            current = stack.pop()
            if current in reaches_exit:
                continue
            reaches_exit.add(current)
            stack.extend(reverse[current])
        for node_id, node in ids.items():
            if node_id in reaches_exit or node_id in cycles:
                continue
            if any(t in (None, "") or t not in ids for _, t in node.targets()):
                continue  # already reported as a missing target
            if exits:
                self.error(node_id, "next", "no path from here reaches an exit")

    def check_node(self, node: Node) -> None:
        nid = node.id or "?"
        if node.type == "entry":
            if node.filter is not None:
                self.check_filter(nid, "filter", node.filter, required=False)
        elif node.type == "wait":
            self.check_wait(nid, node)
        elif node.type == "condition":
            if node.filter is None:
                self.error(nid, "filter", "a condition needs a filter")
            else:
                self.check_filter(nid, "filter", node.filter, required=True)
        elif node.type == "split":
            self.check_split(nid, node)
        elif node.type == "message":
            self.check_message(nid, node)

    def check_wait(self, nid: str, node: Node) -> None:
        duration = node.duration
        if duration is None:
            self.error(nid, "duration", "a wait needs a duration")
        else:
            problem = duration_problem(duration.value, duration.unit)
            if problem:
                self.error(nid, "duration.value", problem)
            if duration.unit not in DURATION_UNITS:
                self.error(
                    nid, "duration.unit", f"unit must be one of {', '.join(DURATION_UNITS)}"
                )
        if node.at_time is not None and not AT_TIME.match(node.at_time):
            self.error(nid, "at_time",
                       f"time of day must be HH:MM (00:00-23:59), not {node.at_time!r}")

    def check_split(self, nid: str, node: Node) -> None:
        count = len(node.branches)
        if not MIN_BRANCHES <= count <= MAX_BRANCHES:
            self.error(nid, "branches",
                       f"a split needs {MIN_BRANCHES} to {MAX_BRANCHES} branches, not {count}")
        total = 0
        all_whole = True
        for i, branch in enumerate(node.branches):
            fld = f"branches[{i}].percent"
            percent = whole_number(branch.percent)
            if percent is None:
                self.error(nid, fld, "percent must be a whole number")
                all_whole = False
                continue
            if not 1 <= percent <= 99:
                self.error(nid, fld, "percent must be between 1 and 99")
            total += percent
        if count and all_whole and total != 100:
            self.error(nid, "branches", f"split percents add up to {total}, not 100")

    def check_message(self, nid: str, node: Node) -> None:
        channel = node.channel or ""
        if channel not in CHANNELS:
            self.error(nid, "channel", f"unknown channel {channel!r}")
            return
        for key, required in CHANNEL_FIELDS[channel]:
            value = node.content.get(key, "")
            if required and not value.strip():
                self.error(nid, key, f"{channel} {key.replace('_', ' ')} is empty")
            self.check_placeholders(nid, key, value)
        url_error = url_problem(node.content.get("url", "")) if channel == "push" else None
        if url_error:
            self.error(nid, "url", url_error)
        if channel == "sms":
            length = len(node.content.get("body", ""))
            if length > SMS_MAX_LENGTH:
                self.error(nid, "body",
                           f"SMS is {length} characters, over the limit of {SMS_MAX_LENGTH}")
        if channel == "whatsapp":
            template = node.content.get("template", "").strip()
            if template and not re.fullmatch(r"[a-z0-9_]+", template):
                self.error(
                    nid,
                    "template",
                    "WhatsApp template names use lowercase letters, digits and underscores",
                )

    def check_placeholders(self, nid: str, fld: str, text: str) -> None:
        """Built-ins are always known (and win over a column of the same name); a default
        does not make an unknown column known, but the warning says it will show."""
        for placeholder in placeholders(text):
            name = placeholder.name
            if not name:
                self.error(nid, fld, "empty placeholder {{}}")
            elif self.columns is None or name.startswith((EVENT_PREFIX, MATCHED_PREFIX)):
                continue  # event data is checked by validation_events
            elif name in BUILTIN_PLACEHOLDERS:
                if name in self.columns:
                    self.warn(nid, fld, f"placeholder {{{{{name}}}}} is built in and wins over "
                              f"the customer field {name!r}")
            elif name not in self.columns:
                problem = f"placeholder {{{{{name}}}}} is not a known customer field"
                if placeholder.default:
                    problem += f", so its default {placeholder.default!r} will show"
                self.warn(nid, fld, problem)

    def check_filter(self, nid: str, fld: str, flt: Filter, *, required: bool) -> None:
        if flt.match not in ("all", "any"):
            self.error(nid, f"{fld}.match", "match must be 'all' or 'any'")
        if required and not flt.conditions:
            self.error(nid, f"{fld}.conditions", "add at least one condition")
        for i, condition in enumerate(flt.conditions):
            where = f"{fld}.conditions[{i}]"
            if condition.is_history:
                continue  # checked by validation_events
            if not condition.field.strip():
                self.error(nid, f"{where}.field", "the field is empty")
            problem = value_problem(condition)
            if problem:
                field = f"{where}.op" if "operator" in problem else f"{where}.value"
                self.error(nid, field, problem)
                continue
            if (self.columns is None or not condition.field.strip()
                    or condition.field.startswith((EVENT_PREFIX, MATCHED_PREFIX))):
                continue
            if condition.field not in self.columns:
                self.warn(nid, f"{where}.field",
                          f"{condition.field!r} is not a known customer field")
                continue
            kind = op_field_type(condition.op)
            column_type = self.columns[condition.field]
            if kind is not None and condition.op not in OPS_BY_TYPE.get(column_type, ()):
                self.warn(
                    nid,
                    f"{where}.op",
                    f"'{condition.op}' is a {kind} operator but {condition.field!r} is a "
                    f"{column_type} column",
                )

    def check_activation(self) -> None:
        act = self.journey.activation
        entries_error = max_entries_problem(act.max_entries)
        if entries_error:
            self.error(None, "activation.max_entries", entries_error)
        timeout = act.timeout
        timeout_error = duration_problem(timeout.value, timeout.unit, "the timeout")
        if timeout.unit not in DURATION_UNITS:
            self.error(None, "activation.timeout.unit",
                       f"unit must be one of {', '.join(DURATION_UNITS)}")
        elif timeout_error:
            self.error(None, "activation.timeout.value", timeout_error)
        elif (
            act.allow_reentry
            and act.max_entries is None
            and timeout.value * UNIT_SECONDS[timeout.unit] < 86400
            and self.uses_date_filter()
        ):
            self.warn(
                None,
                "activation.timeout",
                "re-entry with unlimited entries and a timeout under one day on a date filter "
                "can send the same customer several messages on one day; use 1 day",
            )

        problem = check_at_problem(act, self.journey.trigger() is not None)
        if problem:
            self.error(None, "activation.check_at", problem)

    def uses_date_filter(self) -> bool:
        for node in self.journey.nodes:
            if node.filter and any(op_field_type(c.op) == "date" for c in node.filter.conditions):
                return True
        return False


def check_at_problem(act: Activation, on_event: bool = False) -> str | None:
    """Why the activation's Check at cannot be kept (SPEC §3), or None: a time of day,
    for a re-check rhythm of whole days, on a journey that checks its audience."""
    if act.check_at is None:
        return None
    if not AT_TIME.match(act.check_at):
        return f"time of day must be HH:MM (00:00-23:59), not {act.check_at!r}"
    if not act.allow_reentry:
        return "needs re-entry: without it each customer is checked once, when first seen"
    if act.timeout.unit != "days" or act.timeout.value != int(act.timeout.value):
        return "needs a minimum time between entries of whole days (1 day or more)"
    if on_event:
        return "does not apply to a journey that starts on an event"
    return None


def _reachable(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(edges.get(current, []))
    return seen


def _cycle_components(edges: Mapping[str, list[str]]) -> dict[str, int]:
    """Nodes in a strongly connected component of more than one node, each with the number
    of its component (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: dict[str, int] = {}
    counter = 0
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges.get(node, [])
            if child_i < len(children):
                work.append((node, child_i + 1))
                child = children[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.update((member, index[node]) for member in component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result
