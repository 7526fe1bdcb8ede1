"""The evaluator's pure rules (SPEC §5): rhythm, waits in local time, splits, rendering.

Every function takes the time it reasons about as an argument and never reads the clock, so
the same rules serve the live evaluator and the forecast's virtual clock. Times are UTC Unix
seconds; ``tz`` is the local zone (None: the computer's zone, as ``time.localtime`` sees it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from journey_desktop.domain.journey import Journey, Node

# ``{{ name }}`` or ``{{ name | default }}``; an empty name is a validation error.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

# Built-in placeholders (SPEC §2). They win over a customer field of the same name, so
# ``{{customerId}}`` always shows the ID the customer is known by in the outbox.
CUSTOMER_ID = "customerId"
JOURNEY_NAME = "journeyName"
ENTRY_NUMBER = "entryNumber"
BUILTIN_PLACEHOLDERS: dict[str, str] = {
    CUSTOMER_ID: "the customer's ID",
    JOURNEY_NAME: "the journey's name",
    ENTRY_NUMBER: "1 on a customer's first run, 2 on the second",
}

# Which outbox column each channel field fills; the rest go to the JSON ``extra`` column.
OUTBOX_COLUMNS: dict[str, dict[str, str]] = {
    "push": {"title": "title", "body": "body", "url": "url"},
    "email": {"subject": "title", "body": "body"},
    "sms": {"body": "body"},
    "inapp": {"title": "title", "body": "body"},
    "whatsapp": {"template": "title", "body": "body"},
}


# --- time -------------------------------------------------------------------------------

DAY_SECONDS = 86_400


def local_datetime(ts: int, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The aware local date and time of a UTC instant."""
    if tz is None:
        return dt.datetime.fromtimestamp(ts).astimezone()
    return dt.datetime.fromtimestamp(ts, tz)


TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time_text(ts: int | None, tz: dt.tzinfo | None = None) -> str:
    """A UTC instant as people read it, in local time to the minute; blank for none."""
    return "" if ts is None else local_datetime(int(ts), tz).strftime(TIME_FORMAT)


def local_date(ts: int, tz: dt.tzinfo | None = None) -> dt.date:
    """The local calendar day of an instant: what "today" means to date filters."""
    if tz is None:
        return dt.date.fromtimestamp(ts)
    return dt.datetime.fromtimestamp(ts, tz).date()


def local_timestamp(day: dt.date, hour: int, minute: int, tz: dt.tzinfo | None = None,
                    second: int = 0) -> int:
    """The instant of a local wall-clock time; a time skipped by DST lands just after the gap."""
    if tz is None:
        struct = (day.year, day.month, day.day, hour, minute, second, 0, 0, -1)
        return int(time.mktime(struct))
    return int(dt.datetime(day.year, day.month, day.day, hour, minute, second,
                           tzinfo=tz).timestamp())


def whole_days(seconds: int) -> int:
    """How many local calendar days a duration steps, or 0 when it steps in seconds.

    SPEC §5: timeouts and waits of whole days keep the wall-clock time across daylight-saving
    changes (a daily check at 09:00 stays at 09:00); shorter ones are exact seconds.
    """
    return seconds // DAY_SECONDS if seconds > 0 and seconds % DAY_SECONDS == 0 else 0


def add_local_days(ts: int, days: int, tz: dt.tzinfo | None = None) -> int:
    """The same local wall-clock time ``days`` calendar days later (earlier when negative)."""
    if days == 0:
        return ts
    moment = local_datetime(ts, tz)
    day = moment.date() + dt.timedelta(days=days)
    return local_timestamp(day, moment.hour, moment.minute, tz, moment.second)


def after_duration(start: int, seconds: int, tz: dt.tzinfo | None = None) -> int:
    """``start`` plus a duration: whole days in local calendar days, else in seconds."""
    days = whole_days(seconds)
    return add_local_days(start, days, tz) if days else start + seconds


def parse_at_time(text: str) -> tuple[int, int]:
    """``HH:MM`` as (hour, minute); validation has already refused anything else."""
    hour, minute = text.strip().split(":")
    return int(hour), int(minute)


def wait_end(start: int, seconds: int, at_time: str | None = None,
             tz: dt.tzinfo | None = None) -> int:
    """When a wait entered at ``start`` ends: after the duration, then at the next ``at_time``."""
    end = after_duration(start, seconds, tz)
    if not at_time:
        return end
    hour, minute = parse_at_time(at_time)
    day = local_date(end, tz)
    candidate = local_timestamp(day, hour, minute, tz)
    while candidate < end:
        day += dt.timedelta(days=1)
        candidate = local_timestamp(day, hour, minute, tz)
    return candidate


def rhythm_point(first_check_at: int, timeout: int, k: int,
                 tz: dt.tzinfo | None = None) -> int:
    """The ``k``-th point of a customer's check rhythm (``k`` may be negative)."""
    days = whole_days(timeout)
    if days:
        return add_local_days(first_check_at, k * days, tz)
    return first_check_at + k * timeout


def next_rhythm_point(first_check_at: int, timeout: int, now: int,
                      tz: dt.tzinfo | None = None, *, inclusive: bool = False,
                      check_at: str | None = None) -> int:
    """The first rhythm point strictly after ``now`` (at or after it with ``inclusive``).

    The evaluator mostly runs it from SQL (``jd_next_check``, registered by ``sqlite_sql``).

    The rhythm is ``first_check_at`` plus any whole number of timeouts, so checks keep their
    hour; whole-day timeouts step in local calendar days. A first check in the future (a
    tick made with a clock ahead of time) still yields the rhythm's first point after now.

    With ``check_at`` ("09:00", whole-day timeouts only) the points after the first check
    are that local time on the first check's day plus whole timeouts (never that day
    itself: the first check was its check), the wall-clock time kept across DST.
    """
    if timeout <= 0:
        raise ValueError("the timeout must be positive")

    def beyond(point: int) -> bool:
        return point >= now if inclusive else point > now

    days = whole_days(timeout)
    if check_at and days:
        hour, minute = parse_at_time(check_at)
        first_day = local_date(first_check_at, tz)

        def point(n: int) -> int:
            return local_timestamp(first_day + dt.timedelta(days=n * days), hour, minute, tz)

        n = max(1, (local_date(now, tz) - first_day).days // days)
        while n > 1 and beyond(point(n - 1)):
            n -= 1
        while not beyond(point(n)):
            n += 1
        return point(n)

    # Seconds steps are exact; a calendar step differs from its seconds by an hour or two
    # at most, so the estimate is within one step and the loops turn at most twice.
    k = (now - first_check_at) // timeout
    while beyond(rhythm_point(first_check_at, timeout, k, tz)):
        k -= 1
    while not beyond(rhythm_point(first_check_at, timeout, k, tz)):
        k += 1
    return rhythm_point(first_check_at, timeout, k, tz)


# --- splits -----------------------------------------------------------------------------


def split_bucket(journey_id: int, external_id: str, entry_number: int, node_id: str) -> int:
    """A stable 0-99 bucket: the same customer and entry always take the same branch."""
    key = f"{journey_id}\x1f{external_id}\x1f{entry_number}\x1f{node_id}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 100


def branch_for_bucket(bucket: int, percents: Sequence[int]) -> int:
    """The branch whose cumulative percent range holds ``bucket`` (the last takes any rest)."""
    total = 0
    for index, percent in enumerate(percents):
        total += int(percent)
        if bucket < total:
            return index
    return len(percents) - 1


def split_branch(journey_id: int, external_id: str, entry_number: int, node: Node) -> int:
    """Which branch of a split node a run takes (deterministic per journey, customer, entry).

    Reference implementation: the evaluator asks SQL's ``jd_split`` (``sqlite_sql``), which
    runs the same ``split_bucket`` and ``branch_for_bucket``."""
    bucket = split_bucket(journey_id, external_id, entry_number, node.id)
    return branch_for_bucket(bucket, [b.percent for b in node.branches])


# --- rendering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Placeholder:
    """One ``{{name|default}}``: the default shows when the value is missing or empty."""

    name: str
    default: str = ""


@dataclass(frozen=True)
class RunContext:
    """What the built-in placeholders show in the messages of one run."""

    customer_id: str
    journey_name: str
    entry_number: int

    def values(self) -> dict[str, str]:
        return {
            CUSTOMER_ID: self.customer_id,
            JOURNEY_NAME: self.journey_name,
            ENTRY_NUMBER: str(self.entry_number),
        }


def parse_placeholder(inner: str) -> Placeholder:
    """The text between the braces; spaces around the name and the default are ignored."""
    name, _, default = inner.partition("|")
    return Placeholder(name.strip(), default.strip())


def placeholders(template: str) -> list[Placeholder]:
    """Every placeholder of a template, in order (for validation)."""
    return [parse_placeholder(m.group(1)) for m in PLACEHOLDER.finditer(template or "")]


def field_text(value: Any) -> str:
    """A field value as a placeholder shows it; no value is empty (then the default shows)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def template_parts(template: str) -> list[str | Placeholder]:
    """A template as literal texts and placeholders, for Python or SQL rendering."""
    parts: list[str | Placeholder] = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        if match.start() > pos:
            parts.append(template[pos : match.start()])
        parts.append(parse_placeholder(match.group(1)))
        pos = match.end()
    if pos < len(template):
        parts.append(template[pos:])
    return parts


def placeholder_text(placeholder: Placeholder, fields: Mapping[str, Any],
                     builtins: Mapping[str, str]) -> str:
    """A built-in's value, else the field's; the default when that is missing or empty."""
    if placeholder.name in builtins:
        value = builtins[placeholder.name]
    else:
        value = field_text(fields.get(placeholder.name))
    return value or placeholder.default


def render(template: str, fields: Mapping[str, Any], run: RunContext) -> str:
    """Fill ``{{field}}`` placeholders from a customer's fields and the run's built-ins."""
    builtins = run.values()
    return "".join(
        part if isinstance(part, str) else placeholder_text(part, fields, builtins)
        for part in template_parts(template)
    )


@dataclass(frozen=True)
class RenderedMessage:
    channel: str
    title: str
    body: str
    url: str
    extra: dict[str, str]


def message_templates(node: Node) -> tuple[dict[str, str], dict[str, str]]:
    """A message node's templates split into outbox columns and ``extra`` fields."""
    columns = OUTBOX_COLUMNS.get(node.channel or "", {})
    mapped = {"title": "", "body": "", "url": ""}
    extra: dict[str, str] = {}
    for key, template in node.content.items():
        if key in columns:
            mapped[columns[key]] = template
        else:
            extra[key] = template
    return mapped, extra


def render_message(node: Node, fields: Mapping[str, Any], run: RunContext) -> RenderedMessage:
    """The outbox content of a message node for one run.

    Reference implementation: the evaluator renders in SQL (``sqlite_sql.render_sql``); tests
    hold the two to the same output."""
    mapped, extra = message_templates(node)
    return RenderedMessage(
        channel=node.channel or "",
        title=render(mapped["title"], fields, run),
        body=render(mapped["body"], fields, run),
        url=render(mapped["url"], fields, run),
        extra={k: render(v, fields, run) for k, v in extra.items()},
    )


# --- the graph --------------------------------------------------------------------------


def step_order(journey: Journey) -> list[Node]:
    """Nodes in topological order (entry first), so one pass moves a run as far as it can.

    Nodes on a cycle (refused by validation) come last; a run stuck on them is stopped.
    """
    incoming = {n.id: 0 for n in journey.nodes}
    for node in journey.nodes:
        for _, target in node.targets():
            if target in incoming:
                incoming[target] += 1
    ready = [n for n in journey.nodes if incoming[n.id] == 0]
    ready.sort(key=lambda n: n.type != "entry")
    order: list[Node] = []
    seen: set[str] = set()
    while ready:
        node = ready.pop(0)
        if node.id in seen:
            continue
        seen.add(node.id)
        order.append(node)
        for _, target in node.targets():
            if target in incoming:
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(journey.node(target))  # type: ignore[arg-type]
    order.extend(n for n in journey.nodes if n.id not in seen)
    return order
