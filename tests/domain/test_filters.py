import datetime as dt

import pytest

from journey_desktop.domain.filters import (
    DAY_OPS,
    condition_matches,
    depends_on_day,
    filter_matches,
    value_problem,
)
from journey_desktop.domain.journey import Condition, Filter

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    "op, value, field_value, expected",
    [
        ("equals", "Gold", "gold", True),
        ("equals", "Gold", "silver", False),
        ("not_equals", "Gold", "silver", True),
        ("not_equals", "Gold", "", True),
        ("contains", "ar", "Barcelona", True),
        ("starts_with", "bar", "Barcelona", True),
        ("starts_with", "cel", "Barcelona", False),
        ("in", ["ES", "FR"], "fr", True),
        ("in", ["ES", "FR"], "DE", False),
        ("is_set", None, "x", True),
        ("is_set", None, "  ", False),
        ("is_not_set", None, "", True),
        ("eq", 3, "3.0", True),
        ("ne", 3, "4", True),
        ("gt", 3, "10", True),
        ("gt", 3, "2", False),
        ("gte", 3, "3", True),
        ("lt", "2.5", "2", True),
        ("lte", 2, "2,0", True),
        ("gt", 3, "abc", False),
        ("before", "2026-01-01", "2025-12-31", True),
        ("after", "2026-01-01", "2025-12-31", False),
        ("on", "2026-03-10", "2026-03-10", True),
        ("within_last_days", 7, "2026-03-03", True),
        ("within_last_days", 7, "2026-03-02", False),
        ("within_next_days", 5, "2026-03-15", True),
        ("within_next_days", 5, "2026-03-16", False),
        ("anniversary_in_days", 0, "1990-03-10", True),
        ("anniversary_in_days", 1, "1990-03-11", True),
        ("anniversary_in_days", 0, "1990-03-11", False),
        ("anniversary_in_days", 0, "not a date", False),
    ],
)
def test_operators(op, value, field_value, expected):
    assert condition_matches(Condition("f", op, value), {"f": field_value}, TODAY) is expected


def test_leap_day_birthdays_fall_on_28_february_in_other_years():
    cond = Condition("birthday", "anniversary_in_days", 0)
    leapling = {"birthday": "2000-02-29"}
    assert condition_matches(cond, leapling, dt.date(2027, 2, 28))
    assert not condition_matches(cond, leapling, dt.date(2027, 3, 1))
    assert condition_matches(cond, leapling, dt.date(2028, 2, 29))
    assert not condition_matches(cond, leapling, dt.date(2028, 2, 28))


def test_match_all_and_any():
    flt = Filter("all", [Condition("a", "equals", "1"), Condition("b", "equals", "2")])
    assert filter_matches(flt, {"a": "1", "b": "2"}, TODAY)
    assert not filter_matches(flt, {"a": "1", "b": "3"}, TODAY)
    flt.match = "any"
    assert filter_matches(flt, {"a": "1", "b": "3"}, TODAY)
    assert filter_matches(None, {}, TODAY)
    assert filter_matches(Filter("all", []), {}, TODAY)


@pytest.mark.parametrize(
    "op, value",
    [
        ("gt", "many"),
        ("in", "ES"),
        ("in", []),
        ("before", "yesterday"),
        ("within_last_days", -1),
        ("anniversary_in_days", 1.5),
        ("frobnicate", 1),
        ("contains", ""),
    ],
)
def test_values_that_do_not_fit_the_operator(op, value):
    assert value_problem(Condition("f", op, value)) is not None


def test_values_that_fit():
    assert value_problem(Condition("f", "gt", "3")) is None
    assert value_problem(Condition("f", "in", ["a", 2])) is None
    assert value_problem(Condition("f", "is_set")) is None


def test_only_dates_counted_from_today_let_the_day_alone_change_the_answer():
    """What the exit rules on fields re-read once a day: a day operator gives two answers
    on two days for the same fields; no other operator does."""
    fields = {"d": "2025-03-02", "plan": "gold"}
    day_free = Filter("all", [Condition("d", "after", "1980-01-01"),
                              Condition("plan", "equals", "gold")])
    assert not depends_on_day(day_free) and not depends_on_day(None)
    assert {filter_matches(day_free, fields, dt.date(2025, 3, d)) for d in (1, 2)} == {True}
    for op in DAY_OPS:
        flt = Filter("any", [Condition("plan", "equals", "silver"), Condition("d", op, 0)])
        assert depends_on_day(flt), op
        answers = {filter_matches(flt, fields, dt.date(2025, 3, d)) for d in (1, 2, 3)}
        assert answers == {True, False}, op
    assert depends_on_day(Filter("all", [Condition("plan", "sounds_like", "x")]))
