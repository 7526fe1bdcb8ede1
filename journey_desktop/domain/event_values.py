"""Event timestamps and keys (SPEC §11): one reading of an event's time, and the key that
stores an event once, for the events import, its preview and (later) the forecast.

Timestamps are read to the millisecond: ISO 8601 with an offset; without one, local time
(the zone given, else the computer's, through ``engine``'s local-time helpers); a zone name
after the time; or epoch seconds or milliseconds, told apart by size. Before 1970 and from
2100 on are refused. An event's key is its ``messageId`` (``m:`` prefixed), else a SHA-1 of
the customer ID, the name, the timestamp in milliseconds and the properties' canonical JSON
(``h:`` prefixed): the two kinds of key can never collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import zoneinfo
from itertools import repeat
from operator import floordiv, mul, sub
from typing import Any

from journey_desktop.domain import engine

# A property blob (the properties' JSON, UTF-8) over this is rejected: events are read by
# every tick that looks for them, and 64 KB holds any real cart or order many times over.
MAX_PROPERTIES_BYTES = 64 * 1024
EARLIEST_MS = 0  # 1970-01-01T00:00:00Z
LATEST_MS = int(dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp()) * 1000
# Epoch numbers from here up are milliseconds: as seconds they would be after the year 5000,
# as milliseconds they are from 1973 on (earlier ones would be seconds after 2100: refused).
EPOCH_MS_FROM = 100_000_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)
_EPOCH_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# A time followed by a zone name: "2025-03-01 10:00 Europe/Madrid" or "...[Europe/Madrid]".
_NAMED_ZONE = re.compile(r"(.+?)(?:\s+([A-Za-z][\w+\-/]*)|\[([^\]]+)\])")
NO_TIMESTAMP = "no timestamp"
MESSAGE_KEY_PREFIX = "m:"  # an event's key from its messageId (SQL twin: sqlite_bulk)


# --- timestamps ----------------------------------------------------------------------------


def parse_timestamp(value: object, tz: dt.tzinfo | None = None) -> tuple[int | None, str | None]:
    """Epoch milliseconds of an event's timestamp, or None and why it cannot be read.

    ISO 8601 with an offset; without one, local time (``tz``, else the computer's zone); a
    zone name after the time; or epoch seconds or milliseconds, told apart by size.
    """
    if isinstance(value, bool) or value is None:
        return None, NO_TIMESTAMP if value is None else f"unreadable timestamp {value!r}"
    if isinstance(value, (int, float)):
        return _epoch_ms(float(value), repr(value))
    if not isinstance(value, str):
        return None, f"unreadable timestamp {value!r} (not text or a number)"
    text = value.strip()
    if not text:
        return None, NO_TIMESTAMP
    if _EPOCH_NUMBER.fullmatch(text):
        return _epoch_ms(float(text), text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return _zoned(text, tz)
    return _checked(_moment_ms(moment, tz), text)


def _epoch_ms(number: float, shown: str) -> tuple[int | None, str | None]:
    if not math.isfinite(number):
        return None, f"unreadable timestamp {shown}"
    ms = number if abs(number) >= EPOCH_MS_FROM else number * 1000
    return _checked(math.floor(ms), shown)


def _moment_ms(moment: dt.datetime, tz: dt.tzinfo | None) -> int:
    if moment.tzinfo is not None:
        return (moment - _EPOCH) // _MS
    seconds = engine.local_timestamp(moment.date(), moment.hour, moment.minute, tz,
                                     moment.second)
    return seconds * 1000 + moment.microsecond // 1000


def _zoned(text: str, tz: dt.tzinfo | None) -> tuple[int | None, str | None]:
    """A time followed by a zone name; the name must be one of the time zone database."""
    match = _NAMED_ZONE.fullmatch(text)
    moment = None
    if match is not None:
        try:
            moment = dt.datetime.fromisoformat(match[1].strip())
        except ValueError:
            moment = None
    if match is None or moment is None:
        return None, (f"unreadable timestamp {text!r} (use ISO 8601, or epoch seconds or "
                      "milliseconds)")
    name = match[2] or match[3]
    try:
        zone = zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None, f"unknown time zone {name!r}"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return _checked(_moment_ms(moment, tz), text)


def _checked(ms: int, shown: str) -> tuple[int | None, str | None]:
    if ms < EARLIEST_MS:
        return None, f"timestamp {shown} is before 1970"
    if ms >= LATEST_MS:
        return None, f"timestamp {shown} is after 2099 (microseconds, or a typing error?)"
    return ms, None


# --- keys ----------------------------------------------------------------------------------


def canonical_properties(properties: dict[str, Any]) -> str:
    """The properties' JSON as stored and hashed: keys sorted, no spaces, UTF-8 kept."""
    return json.dumps(properties, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def event_key(message_id: str, external_id: str, name: str, ms: int, canonical: str) -> str:
    """The event's key: its messageId, else the hash of what it says (see the module)."""
    if message_id:
        return MESSAGE_KEY_PREFIX + message_id
    text = f"{len(external_id)}:{external_id}{len(name)}:{name}{ms}:{canonical}"
    return "h:" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def too_large(properties: str) -> bool:
    return (len(properties) * 4 > MAX_PROPERTIES_BYTES
            and len(properties.encode("utf-8", "surrogatepass")) > MAX_PROPERTIES_BYTES)


TOO_LARGE = f"the properties are over {MAX_PROPERTIES_BYTES // 1024} KB"


# --- a column at once --------------------------------------------------------------------

_SECONDS_COLUMN = re.compile(r"(?:\d{1,11}\n)*")
_MILLISECONDS_COLUMN = re.compile(r"(?:\d{12,13}\n)*")


def common_times(values: list[str]) -> list[int] | None:
    """Epoch milliseconds of a column of timestamps all in one common form (whole epoch
    seconds, whole epoch milliseconds, ISO 8601 with an offset) and all in range, in C-level
    calls; None otherwise (``parse_timestamp`` then reads each, and says what is wrong)."""
    joined = "\n".join(values) + "\n"
    ms: list[int]
    if joined.count("\n") != len(values):  # a cell holding a line break: read one by one
        return None
    if _SECONDS_COLUMN.fullmatch(joined):
        ms = list(map(mul, map(int, values), repeat(1000)))
    elif _MILLISECONDS_COLUMN.fullmatch(joined):
        ms = list(map(int, values))
    else:
        try:  # a time without an offset cannot be subtracted from the (UTC) epoch
            ms = list(map(floordiv, map(sub, map(dt.datetime.fromisoformat, values),
                                        repeat(_EPOCH)), repeat(_MS)))
        except (ValueError, TypeError):
            return None
    if not ms or min(ms) < EARLIEST_MS or max(ms) >= LATEST_MS:
        return None
    return ms
