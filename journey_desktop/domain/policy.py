"""The messaging policy (SPEC §13): quiet hours, frequency caps and rate limits.

Pure rules with ``now`` and zones passed in: the text forms the command line and the
preferences page read (``21:00-09:00``, ``any:3/1d``, ``600/min``), the stored JSON form,
and the local-time arithmetic (a quiet window's end, a calendar day or week) with its
daylight-saving rules. The evaluator's SQL calls these through registered functions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from journey_desktop.domain.journey import CHANNELS

ANY = "any"
HOLD, SKIP = "hold", "skip"
QUIET_ACTIONS = (HOLD, SKIP)
CALENDAR_DAY, CALENDAR_WEEK = "calendar day", "calendar week"
CALENDAR_UNITS = (CALENDAR_DAY, CALENDAR_WEEK)
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86_400}
# Outbox statuses (SPEC §13) and the reasons of a suppressed message.
READY, HELD, SUPPRESSED, EXPORTED = "ready", "held", "suppressed", "exported"
OUTBOX_STATUSES = (READY, HELD, SUPPRESSED, EXPORTED)
REASON_QUIET = "quiet_hours"
REASON_EXIT_RULE = "exit_rule"
REASON_DEACTIVATED = "deactivated"
SETTING_KEY = "messaging_policy"


class PolicyError(ValueError):
    """A policy written wrongly; the text says what and where, fit for the user."""


def _channel(text: str, where: str) -> str:
    value = text.strip().lower()
    if value != ANY and value not in CHANNELS:
        raise PolicyError(f"{where}: unknown channel {text!r} (expected {ANY} or one of "
                          f"{', '.join(CHANNELS)})")
    return value


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(text: str, where: str = "quiet") -> int:
    """``HH:MM`` as minutes after midnight."""
    match = _TIME.match(text.strip())
    if not match:
        raise PolicyError(f"{where}: {text!r} is not a time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class QuietHours:
    """Messages due between ``start`` and ``end`` (local minutes; may span midnight) wait."""

    start: int
    end: int
    channel: str = ANY
    action: str = HOLD

    @classmethod
    def parse(cls, text: str, channel: str = ANY, action: str = HOLD) -> QuietHours:
        """``21:00-09:00``."""
        parts = text.replace("–", "-").split("-")
        if len(parts) != 2:
            raise PolicyError(f"quiet: {text!r} is not a window HH:MM-HH:MM")
        start, end = parse_clock(parts[0]), parse_clock(parts[1])
        if start == end:
            raise PolicyError(f"quiet: {text!r} starts and ends at the same time")
        if action not in QUIET_ACTIONS:
            raise PolicyError(f"quiet action: expected hold or skip, not {action!r}")
        return cls(start, end, _channel(channel, "quiet channel"), action)

    def text(self) -> str:
        return f"{clock_text(self.start)}-{clock_text(self.end)}"

    def contains(self, minute_of_day: int) -> bool:
        if self.start < self.end:
            return self.start <= minute_of_day < self.end
        return minute_of_day >= self.start or minute_of_day < self.end


@dataclass(frozen=True)
class Cap:
    """At most ``max`` messages (of ``channel`` or any) per rolling ``seconds`` or per
    calendar day or week in the customer's zone (``calendar``)."""

    channel: str
    max: int
    seconds: int = 0
    calendar: str = ""

    @classmethod
    def parse(cls, text: str) -> Cap:
        """``CH:N/PERIOD``, PERIOD ``12h``, ``1d``, ``7d``, ``90m`` (rolling) or ``day``,
        ``week`` (calendar)."""
        match = re.match(r"^\s*([A-Za-z]+)\s*:\s*(\d+)\s*/\s*(\S+)\s*$", text)
        if not match:
            raise PolicyError(f"cap: {text!r} is not CHANNEL:N/PERIOD (like any:3/1d)")
        channel = _channel(match.group(1), "cap")
        most = int(match.group(2))
        if most < 1:
            raise PolicyError(f"cap: {text!r}: the maximum is at least 1")
        period = match.group(3).lower()
        if period in ("day", "week"):
            return cls(channel, most, calendar=f"calendar {period}")
        rolling = re.match(r"^(\d+)([mhd])$", period)
        if not rolling or int(rolling.group(1)) < 1:
            raise PolicyError(f"cap: period {match.group(3)!r} is not like 12h, 1d, 7d, day "
                              "or week")
        unit = {"m": 60, "h": 3600, "d": 86_400}[rolling.group(2)]
        return cls(channel, most, seconds=int(rolling.group(1)) * unit)

    def text(self) -> str:
        if self.calendar:
            period = self.calendar.split()[1]
        elif self.seconds % 86_400 == 0:
            period = f"{self.seconds // 86_400}d"
        elif self.seconds % 3600 == 0:
            period = f"{self.seconds // 3600}h"
        else:
            period = f"{self.seconds // 60}m"
        return f"{self.channel}:{self.max}/{period}"

    def applies_to(self, channel: str) -> bool:
        return self.channel in (ANY, channel)

    def to_dict(self) -> dict[str, Any]:
        per: Any = self.calendar or {"value": self.seconds // 60, "unit": "minutes"}
        if not self.calendar:
            for unit in ("days", "hours"):
                if self.seconds % UNIT_SECONDS[unit] == 0:
                    per = {"value": self.seconds // UNIT_SECONDS[unit], "unit": unit}
                    break
        return {"channel": self.channel, "max": self.max, "per": per}


@dataclass(frozen=True)
class RateLimit:
    """At most ``per_minute`` messages a minute, of ``channel`` or all together."""

    per_minute: int
    channel: str = ANY

    @classmethod
    def parse(cls, text: str, channel: str = ANY) -> RateLimit:
        """``600/min``."""
        match = re.match(r"^\s*(\d+)\s*/\s*min(ute)?\s*$", text)
        if not match or int(match.group(1)) < 1:
            raise PolicyError(f"rate: {text!r} is not N/min with N at least 1 (like 600/min)")
        return cls(int(match.group(1)), _channel(channel, "rate channel"))

    def text(self) -> str:
        return f"{self.per_minute}/min"


@dataclass(frozen=True)
class Policy:
    """The whole database's messaging policy; empty means every message goes as due."""

    timezone_field: str = ""
    quiet: tuple[QuietHours, ...] = ()
    caps: tuple[Cap, ...] = ()
    rates: tuple[RateLimit, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.quiet or self.caps or self.rates)

    def quiet_for(self, channel: str) -> QuietHours | None:
        """A channel's own quiet hours, else those for every channel."""
        own = [q for q in self.quiet if q.channel == channel]
        every = [q for q in self.quiet if q.channel == ANY]
        found = own or every
        return found[0] if found else None

    def rate_for(self, channel: str) -> list[RateLimit]:
        """The limits a channel's messages count against: its own, then the overall one."""
        return ([r for r in self.rates if r.channel == channel]
                + [r for r in self.rates if r.channel == ANY])

    def with_quiet(self, quiet: QuietHours) -> Policy:
        others = tuple(q for q in self.quiet if q.channel != quiet.channel)
        return replace(self, quiet=(*others, quiet))

    def with_rate(self, rate: RateLimit) -> Policy:
        others = tuple(r for r in self.rates if r.channel != rate.channel)
        return replace(self, rates=(*others, rate))

    def to_dict(self) -> dict[str, Any]:
        return {
            "timezone_field": self.timezone_field or None,
            "quiet_hours": [{"channel": q.channel, "window": q.text(), "action": q.action}
                            for q in self.quiet],
            "caps": [cap.to_dict() for cap in self.caps],
            "rate_limits": [{"channel": r.channel, "per_minute": r.per_minute}
                            for r in self.rates],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> Policy:
        if not isinstance(data, dict):
            raise PolicyError("policy: expected an object")
        try:
            quiet = tuple(QuietHours.parse(q["window"], q.get("channel", ANY),
                                           q.get("action", HOLD))
                          for q in data.get("quiet_hours") or [])
            caps = tuple(_cap_from_dict(c) for c in data.get("caps") or [])
            rates = tuple(RateLimit(int(r["per_minute"]), _channel(r.get("channel", ANY),
                                                                   "rate channel"))
                          for r in data.get("rate_limits") or [])
        except (KeyError, TypeError, AttributeError) as exc:
            raise PolicyError(f"policy: a rule is incomplete ({exc})") from exc
        if any(r.per_minute < 1 for r in rates):
            raise PolicyError("rate: at least 1 a minute")
        field_name = data.get("timezone_field") or ""
        return cls(str(field_name).strip(), quiet, caps, rates)

    @classmethod
    def from_json(cls, text: str | None) -> Policy:
        if not text:
            return cls()
        try:
            return cls.from_dict(json.loads(text))
        except ValueError as exc:
            raise PolicyError(f"policy: {exc}") from exc

    def lines(self) -> list[str]:
        """``policy show``: one rule a line, in the command line's own words."""
        lines = [f"timezone field: {self.timezone_field or '(none: the computer zone)'}"]
        for q in self.quiet:
            lines.append(f"quiet: {q.text()} channel {q.channel} ({q.action})")
        for cap in self.caps:
            lines.append(f"cap: {cap.text()}")
        for r in self.rates:
            lines.append(f"rate: {r.text()} channel {r.channel}")
        if self.empty:
            lines.append("no quiet hours, caps or rate limits")
        return lines


def _cap_from_dict(data: dict[str, Any]) -> Cap:
    channel = _channel(str(data.get("channel", ANY)), "cap")
    most = int(data["max"])
    if most < 1:
        raise PolicyError("cap: the maximum is at least 1")
    per = data["per"]
    if per in CALENDAR_UNITS:
        return Cap(channel, most, calendar=per)
    if isinstance(per, dict) and per.get("unit") in UNIT_SECONDS and int(per["value"]) >= 1:
        return Cap(channel, most, seconds=int(per["value"]) * UNIT_SECONDS[per["unit"]])
    raise PolicyError(f"cap: per {per!r} is not {{value, unit}}, calendar day or week")


# --- zones and local time ------------------------------------------------------------------


@lru_cache(maxsize=1024)
def zone_named(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, or None when there is no such zone."""
    text = (name or "").strip()
    if not text:
        return None
    try:
        return ZoneInfo(text)
    except (ValueError, OSError, KeyError):
        return None


def _wall(ts: int, tz: dt.tzinfo | None) -> dt.datetime:
    if tz is None:
        return dt.datetime.fromtimestamp(ts)
    return dt.datetime.fromtimestamp(ts, tz).replace(tzinfo=None)


def wall_instant(wall: dt.datetime, tz: dt.tzinfo | None) -> int:
    """The instant of a local wall-clock time: the first one when it happens twice (the
    clocks go back), and the first instant after the gap when it does not exist (forward)."""
    if tz is None:
        struct = (wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
                  0, 0, -1)
        return int(time.mktime(struct))
    first = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    if _wall(first, tz) == wall:
        return first
    # In a gap: fold=1 reads the wall time with the later offset, landing before the gap's
    # end; the gap ends at the first instant whose offset is the later one.
    low, high = sorted((int(wall.replace(tzinfo=tz, fold=1).timestamp()), first))
    after = dt.datetime.fromtimestamp(high, tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def quiet_end(due: int, quiet: QuietHours, tz: dt.tzinfo | None) -> int:
    """When a message due at ``due`` may go: ``due`` itself outside the window, else the
    window's end in the customer's zone."""
    wall = _wall(due, tz)
    minute = wall.hour * 60 + wall.minute
    if not quiet.contains(minute):
        return due
    day = wall.date()
    if quiet.start > quiet.end and minute >= quiet.start:
        day += dt.timedelta(days=1)
    end = dt.datetime(day.year, day.month, day.day, quiet.end // 60, quiet.end % 60)
    return max(due, wall_instant(end, tz))


def calendar_bounds(ts: int, unit: str, tz: dt.tzinfo | None) -> tuple[int, int]:
    """The local calendar day (or Monday-to-Sunday week) holding ``ts``: [start, end)."""
    day = _wall(ts, tz).date()
    length = 1
    if unit == CALENDAR_WEEK:
        day -= dt.timedelta(days=day.weekday())
        length = 7
    end = day + dt.timedelta(days=length)
    return (wall_instant(dt.datetime(day.year, day.month, day.day), tz),
            wall_instant(dt.datetime(end.year, end.month, end.day), tz))


@dataclass
class ZoneBook:
    """Customers' zone names resolved once each; names that are no zone fall back to the
    computer's and are remembered, so a tick can count and log them."""

    fallback: dt.tzinfo | None = None
    invalid: set[str] = field(default_factory=set)

    def zone(self, name: object) -> dt.tzinfo | None:
        if name is None or name == "":
            return self.fallback
        found = zone_named(str(name))
        if found is None:
            self.invalid.add(str(name))
            return self.fallback
        return found
