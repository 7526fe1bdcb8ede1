"""One reading of numbers and dates written as text (SPEC §2, §4).

The CSV import's type inference and encoding, the filters and the editor's value inputs all
ask this module, so a string is a number (or a date) in all of them or in none.

Numbers: an optional ``-``, digits, and at most one decimal mark, a point or a comma, with
an optional exponent after a decimal point (``1.5e3``). Surrounding spaces are ignored.
Not numbers: a leading ``+`` (phone numbers and codes are written so), ``NaN`` and
infinities, ``_`` and spaces between digits, and thousands separators. A comma that could
be either a thousands separator or a decimal comma (``1,234``, ``-12,500``: one to three
digits, a comma, exactly three digits) is refused as ambiguous rather than guessed; every
other comma is a decimal comma (``1,5``, ``0,125``, ``1234,567``).

Dates: ISO ``YYYY-MM-DD`` (an ISO timestamp keeps its date part) always; ``D/M/YYYY`` or
``M/D/YYYY`` with ``/``, ``-`` or ``.`` between the parts when the column's order is known.
The values decide the order when one of them has a day over 12 first (day-first) or second
(month-first); otherwise the user chooses it. Dates are stored as ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# A column's type in an import (SPEC §4).
TEXT = "text"
NUMBER = "number"
DATE = "date"
COLUMN_TYPES = (TEXT, NUMBER, DATE)
COLUMN_TYPE_LABELS = {TEXT: "Text", NUMBER: "Number", DATE: "Date"}

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)
DATE_ORDER_LABELS = {DAY_FIRST: "Day first (31/12/2024)", MONTH_FIRST: "Month first (12/31/2024)"}

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|-?(?:\d+,\d*|,\d+)")
# Numbers as JSON spells them (no leading zero, digits on both sides of the point).
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_JSON_NUMBERS = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:\n-?(?:0|[1-9]\d*)(?:\.\d+)?)*")
_WHOLE = re.compile(r"-?\d+")
_AMBIGUOUS_COMMA = re.compile(r"-?[1-9]\d{0,2},\d{3}")
# Numbers already written as stored: the import keeps them as they are, with no Python call.
_CANONICAL_NUMBERS = re.compile(r"(?:-?\d+(?:\.\d+)?)?(?:\n-?\d+(?:\.\d+)?|\n)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?")
_ISO_DATES = re.compile(r"(?:\d{4}-\d{2}-\d{2})?(?:\n\d{4}-\d{2}-\d{2}|\n)*")
# A column of ISO dates without blanks, its ASCII digits read as 0, is one shape repeated:
# a check a few times quicker than _ISO_DATES for the usual column.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_ISO_SHAPE_LINE = b"0000-00-00\n"
_ORDERED_DATE = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})")

NOT_A_NUMBER = "not a number"
AMBIGUOUS_NUMBER = "a thousands separator or a decimal comma? write 1234 or 1.234"
NOT_A_DATE = "not a date (YYYY-MM-DD, or day and month with / - .)"
NO_SUCH_DAY = "no such day"
ORDER_NOT_CHOSEN = "day-first or month-first? the order was not chosen"


# --- numbers -------------------------------------------------------------------------------


def count_text(number: int, singular: str, plural: str) -> str:
    """``1 run``, ``2,500 runs``: a count with its noun (the window's, the CLI's)."""
    return f"{number:,} {singular if number == 1 else plural}"


def number_problem(text: str) -> str | None:
    """Why ``text`` is not a number (see the module's rules), or None when it is one."""
    text = text.strip()
    if _AMBIGUOUS_COMMA.fullmatch(text):
        return AMBIGUOUS_NUMBER
    if not _NUMBER.fullmatch(text):
        return NOT_A_NUMBER
    return None


def parse_number(value: Any) -> float | None:
    """A number from text (module rules) or from a JSON number; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str) or number_problem(value) is not None:
        return None
    return float(value.strip().replace(",", "."))


def number_text(text: str) -> str:
    """A number as stored: trimmed, with a decimal point; ``text`` must be a number."""
    return text.strip().replace(",", ".")


def json_number(text: str) -> str:
    """A number as stored (``number_text``) as a JSON value, for event properties (SPEC
    §11), which JSON Lines files give as numbers: kept when JSON spells numbers so
    (``12.50``), else written as JSON writes it (``007`` is 7, ``.5`` is 0.5); blank is
    null, and a number too large for a float stays text."""
    if not text:
        return "null"
    if _JSON_NUMBER.fullmatch(text) and not ("e" in text or "E" in text):
        return text
    if _WHOLE.fullmatch(text):
        return str(int(text))
    number = float(text)
    return repr(number) if math.isfinite(number) else f'"{text}"'


def json_number_column(values: list[str]) -> list[str]:
    """``json_number`` of each value; the list itself when every value is already one (one
    regular expression over the column, no Python per value)."""
    joined = "\n".join(values)
    if (joined.count("\n") == len(values) - 1 and _JSON_NUMBERS.fullmatch(joined)
            and "" not in values):
        return values
    return list(map(json_number, values))


# --- dates ---------------------------------------------------------------------------------


def parse_iso_date(text: str) -> dt.date | None:
    """An ISO ``YYYY-MM-DD`` date (a longer ISO timestamp keeps its date part), else None."""
    text = text.strip()
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def date_problem(text: str, order: str | None) -> str | None:
    """Why ``text`` is not a date in a column with this day/month order, or None."""
    return _read_date(text, order)[1]


def parse_date(text: str, order: str | None = None) -> dt.date | None:
    """An ISO date, or a day/month/year date in the given order; else None."""
    return _read_date(text, order)[0]


def _read_date(text: str, order: str | None) -> tuple[dt.date | None, str | None]:
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        date = parse_iso_date(text)
        return (date, None) if date is not None else (None, NO_SUCH_DAY)
    match = _ORDERED_DATE.fullmatch(text)
    if match is None:
        return None, NOT_A_DATE
    first, second, year = int(match[1]), int(match[3]), int(match[4])
    if order is None:
        if first > 12 and second > 12 or not (first and second):
            return None, NO_SUCH_DAY
        return None, ORDER_NOT_CHOSEN
    day, month = (first, second) if order == DAY_FIRST else (second, first)
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, NO_SUCH_DAY


def date_text(text: str, order: str | None) -> str:
    """A date as stored: ISO values unchanged, others as ``YYYY-MM-DD``; must be a date."""
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        return text
    date = parse_date(text, order)
    assert date is not None, text
    return date.isoformat()


def needs_date_order(values: Iterable[str]) -> bool:
    """Whether some value is a day/month/year date, so the column needs an order."""
    return any(_ORDERED_DATE.fullmatch(v.strip()) for v in values)


def detect_date_order(values: Iterable[str]) -> str | None:
    """The order the values decide: a day over 12 first means day-first, second means
    month-first; the larger side wins when values disagree. None when nothing decides."""
    day_first = month_first = 0
    for value in values:
        match = _ORDERED_DATE.fullmatch(value.strip())
        if match is None:
            continue
        first, second = int(match[1]), int(match[3])
        if first > 12 >= second:
            day_first += 1
        elif second > 12 >= first:
            month_first += 1
    if day_first > month_first:
        return DAY_FIRST
    if month_first > day_first:
        return MONTH_FIRST
    return None


# --- columns -------------------------------------------------------------------------------


@dataclass
class ColumnCheck:
    """How many of a column's values do not fit its type, with the first few of them."""

    count: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)  # (value, why)

    EXAMPLES = 3

    def add(self, value: str, why: str) -> None:
        self.count += 1
        if len(self.examples) < self.EXAMPLES:
            self.examples.append((value, why))


def value_problem(text: str, kind: str, order: str | None = None) -> str | None:
    """Why a non-blank value does not fit a column of type ``kind`` (number, date, text)."""
    if kind == "number":
        return number_problem(text)
    if kind == "date":
        return date_problem(text, order)
    return None


def check_column(values: Iterable[str], kind: str, order: str | None = None) -> ColumnCheck:
    """The values that do not fit the type; blanks are not set, so they always fit."""
    check = ColumnCheck()
    for value in values:
        value = value.strip()
        if value:
            why = value_problem(value, kind, order)
            if why is not None:
                check.add(value, why)
    return check


def _iso_shaped(joined: str, count: int) -> bool:
    """Whether ``count`` values joined by newlines are each YYYY-MM-DD in ASCII digits."""
    if not joined.isascii():
        return False
    shapes = (joined + "\n").encode("ascii").translate(_DIGITS_AS_ZERO)
    return shapes == _ISO_SHAPE_LINE * count


def stored_column(
    values: list[str], kind: str, order: str | None = None
) -> tuple[list[str], dict[int, str]]:
    """A column's trimmed values as stored, and the problem of each index that does not fit.

    Values already in their stored form (plain numbers, ISO dates) are checked by one
    regular expression over the whole column and kept as they are: no Python runs per value.
    """
    joined = "\n".join(values)
    one_line_each = joined.count("\n") == len(values) - 1
    if one_line_each and kind == "number" and _CANONICAL_NUMBERS.fullmatch(joined):
        return values, {}
    if one_line_each and kind == "date" and (_iso_shaped(joined, len(values))
                                             or _ISO_DATES.fullmatch(joined)):
        try:
            deque(map(dt.date.fromisoformat, filter(None, values)), maxlen=0)
        except ValueError:
            pass
        else:
            return values, {}
    stored: list[str] = []
    problems: dict[int, str] = {}
    convert = number_text if kind == "number" else lambda v: date_text(v, order)
    for index, value in enumerate(values):
        why = value_problem(value, kind, order) if value else None
        if why is None:
            stored.append(convert(value) if value else value)
        else:
            stored.append("")
            problems[index] = why
    return stored, problems


def json_object(text: str | None) -> dict[str, Any]:
    """A stored JSON object (a profile's fields, an event's properties) as a dict; {} for
    nothing, unreadable text or anything but an object."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
