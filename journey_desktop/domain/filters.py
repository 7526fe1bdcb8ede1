"""Filter operators of SPEC §2: which fit which field type, and how they match a customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from journey_desktop.domain.journey import Condition, Filter
from journey_desktop.domain.values import AMBIGUOUS_NUMBER, number_problem, parse_number
from journey_desktop.domain.values import parse_iso_date as parse_date

FIELD_TYPES = ("text", "number", "date")

PRESENCE_OPS = ("is_set", "is_not_set")
TEXT_OPS = ("equals", "not_equals", "contains", "starts_with", "in") + PRESENCE_OPS
NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte") + PRESENCE_OPS
DATE_OPS = (
    "before",
    "after",
    "on",
    "within_last_days",
    "within_next_days",
    "anniversary_in_days",
) + PRESENCE_OPS
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {"text": TEXT_OPS, "number": NUMBER_OPS, "date": DATE_OPS}
ALL_OPS = tuple(dict.fromkeys(TEXT_OPS + NUMBER_OPS + DATE_OPS))

# The most days a date operator looks ahead or back: an anniversary comes within a year
# (366 with 29 February), a window of ten years covers any campaign.
MAX_DAYS_BY_OP = {"anniversary_in_days": 366, "within_last_days": 3650, "within_next_days": 3650}
DAY_OPS = tuple(MAX_DAYS_BY_OP)  # the date operators whose value is a number of days

OP_LABELS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "contains": "contains",
    "starts_with": "starts with",
    "in": "is one of",
    "is_set": "is set",
    "is_not_set": "is not set",
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "before": "is before",
    "after": "is after",
    "on": "is on",
    "within_last_days": "within the last N days",
    "within_next_days": "within the next N days",
    "anniversary_in_days": "anniversary in N days",
}


def op_field_type(op: str) -> str | None:
    """The field type an operator implies; None for the type-free presence operators."""
    if op in PRESENCE_OPS:
        return None
    for field_type in FIELD_TYPES:
        if op in OPS_BY_TYPE[field_type]:
            return field_type
    return None


def value_problem(condition: Condition) -> str | None:
    """Why a condition's value does not fit its operator, or None when it does."""
    op, value = condition.op, condition.value
    if op not in ALL_OPS:
        return f"unknown operator {op!r}"
    if op in PRESENCE_OPS:
        return None
    if op == "in":
        if not isinstance(value, list) or not value:
            return "'in' needs a non-empty list of values"
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            return "'in' values must be text or numbers"
        return None
    kind = op_field_type(op)
    if kind == "text":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return f"'{op}' needs a text value"
        if op in ("contains", "starts_with") and str(value) == "":
            return f"'{op}' needs a non-empty value"
        return None
    if kind == "number":
        if parse_number(value) is None:
            if isinstance(value, str) and number_problem(value) == AMBIGUOUS_NUMBER:
                return f"'{op}' needs a number, not {value!r} ({AMBIGUOUS_NUMBER})"
            return f"'{op}' needs a number, not {value!r}"
        return None
    if op in ("before", "after", "on"):
        if not isinstance(value, str) or parse_date(value) is None:
            return f"'{op}' needs a date as YYYY-MM-DD, not {value!r}"
        return None
    # within_last_days, within_next_days, anniversary_in_days
    limit = MAX_DAYS_BY_OP[op]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        return f"'{op}' needs a whole number of days from 0 to {limit:,}, not {value!r}"
    return None


def _anniversary(birth: dt.date, year: int) -> dt.date:
    """The date's anniversary in a year; 29 February falls on 28 February in other years."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def condition_matches(condition: Condition, fields: Mapping[str, Any], today: dt.date) -> bool:
    """Whether one customer's fields satisfy one condition on the local date ``today``."""
    raw = fields.get(condition.field)
    text = "" if raw is None else str(raw).strip()
    op, value = condition.op, condition.value
    if op == "is_set":
        return text != ""
    if op == "is_not_set":
        return text == ""
    if text == "":
        return op == "not_equals"
    kind = op_field_type(op)
    if kind == "text":
        lowered = text.casefold()
        if op == "equals":
            return lowered == str(value).strip().casefold()
        if op == "not_equals":
            return lowered != str(value).strip().casefold()
        if op == "contains":
            return str(value).casefold() in lowered
        if op == "starts_with":
            return lowered.startswith(str(value).casefold())
        if op == "in":
            return lowered in {str(v).strip().casefold() for v in value or []}
        return False
    if kind == "number":
        number, target = parse_number(text), parse_number(value)
        if number is None or target is None:
            return False
        return {
            "eq": number == target,
            "ne": number != target,
            "gt": number > target,
            "gte": number >= target,
            "lt": number < target,
            "lte": number <= target,
        }[op]
    date = parse_date(text)
    if date is None:
        return False
    if op in ("before", "after", "on"):
        target_date = parse_date(str(value))
        if target_date is None:
            return False
        if op == "before":
            return date < target_date
        if op == "after":
            return date > target_date
        return date == target_date
    days = int(value)
    if op == "within_last_days":
        return today - dt.timedelta(days=days) <= date <= today
    if op == "within_next_days":
        return today <= date <= today + dt.timedelta(days=days)
    if op == "anniversary_in_days":
        target_day = today + dt.timedelta(days=days)
        return _anniversary(date, target_day.year) == target_day
    return False


def filter_matches(flt: Filter | None, fields: Mapping[str, Any], today: dt.date) -> bool:
    """Whether a customer matches a filter; no filter or no conditions matches everyone.

    Reference implementation: the evaluator filters in SQL (``sqlite_sql.filter_sql``);
    tests hold the two to the same answers."""
    if flt is None or not flt.conditions:
        return True
    results = (condition_matches(c, fields, today) for c in flt.conditions)
    return any(results) if flt.match == "any" else all(results)


def depends_on_day(flt: Filter | None) -> bool:
    """Whether the day alone can change a filter's answer for unchanged fields: a date
    operator counted from today (``DAY_OPS``), or an operator this version does not know
    (it cannot tell)."""
    return flt is not None and any(
        c.op in DAY_OPS or c.op not in ALL_OPS
        for c in flt.conditions if not c.is_history)


# The date operators a customer who does not match today may match on a later day: their
# anniversary, or their date coming within the next N days.
COMING_DAY_OPS = ("anniversary_in_days", "within_next_days")


def waits_for_a_day(flt: Filter | None) -> bool:
    """Whether a filter lets customers in on a day still to come (an anniversary, a date in
    the next N days): with re-entry off each customer is checked on one day only, so those
    whose day is later are never let in."""
    return flt is not None and any(c.op in COMING_DAY_OPS for c in flt.conditions)
