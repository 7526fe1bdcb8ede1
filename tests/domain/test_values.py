"""One reading of numbers and dates: inference, filters and validation give one verdict."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from journey_desktop.domain.audience_preview import infer_type
from journey_desktop.domain.filters import condition_matches, value_problem
from journey_desktop.domain.journey import Condition
from journey_desktop.domain.values import (
    AMBIGUOUS_NUMBER,
    DAY_FIRST,
    MONTH_FIRST,
    NO_SUCH_DAY,
    ORDER_NOT_CHOSEN,
    check_column,
    date_text,
    detect_date_order,
    json_number,
    json_number_column,
    parse_date,
    parse_number,
    stored_column,
)
from journey_desktop.domain.values import value_problem as column_value_problem

TODAY = dt.date(2024, 6, 1)

# The strings whose verdicts used to differ between the import, the filters and the editor.
VERDICTS = [
    ("1,234", None),  # a thousands separator or a decimal comma: refused, never guessed
    ("+5", None),  # a leading plus marks phone numbers and codes
    ("NaN", None),
    ("inf", None),
    ("1_000", None),
    (" 7 ", 7.0),
    ("1.5e3", 1500.0),
    ("1,5", 1.5),
    ("0,125", 0.125),
    ("-2.25", -2.25),
]


@pytest.mark.parametrize(("text", "number"), VERDICTS)
def test_one_verdict_in_inference_filters_and_validation(text: str, number: float | None) -> None:
    assert parse_number(text) == number
    assert (infer_type([text]) == "number") is (number is not None)
    # A stored field with this text is greater than any number below it, or not a number.
    target = number - 1 if number is not None else -1e12
    matched = condition_matches(Condition("points", "gt", target), {"points": text}, TODAY)
    assert matched is (number is not None)
    # The same text typed as a filter value.
    assert (value_problem(Condition("points", "gt", text)) is None) is (number is not None)


def test_an_ambiguous_comma_is_explained() -> None:
    assert AMBIGUOUS_NUMBER in (value_problem(Condition("points", "gt", "1,234")) or "")


def test_json_numbers_that_are_not_finite_are_not_numbers() -> None:
    assert parse_number(float("nan")) is None
    assert parse_number(True) is None
    assert parse_number(3) == 3.0


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["31/12/1990", "01/02/1990"], DAY_FIRST),
        (["12/31/1990", "01/02/1990"], MONTH_FIRST),
        (["01.02.1990", "03-04-1990"], None),  # every day is 12 or less: the user chooses
        (["1990-12-31"], None),
    ],
)
def test_the_values_decide_the_date_order_when_they_can(
    values: list[str], order: str | None
) -> None:
    assert detect_date_order(values) == order


def test_dates_in_each_order_and_iso() -> None:
    assert parse_date("03/04/2020", DAY_FIRST) == dt.date(2020, 4, 3)
    assert parse_date("03/04/2020", MONTH_FIRST) == dt.date(2020, 3, 4)
    assert parse_date("3.4.2020", DAY_FIRST) == dt.date(2020, 4, 3)
    assert parse_date("2020-04-03T10:00:00Z") == dt.date(2020, 4, 3)
    assert parse_date("03/04/2020") is None  # no order chosen
    assert parse_date("2024-W01-1") is None


def test_values_that_do_not_fit_say_why() -> None:
    check = check_column(["31/02/1990", "", "03/04/2020", "n/a", "1990-01-01"], "date", DAY_FIRST)
    assert check.count == 2
    assert check.examples == [
        ("31/02/1990", NO_SUCH_DAY),
        ("n/a", "not a date (YYYY-MM-DD, or day and month with / - .)"),
    ]
    assert check_column(["03/04/2020"], "date").examples == [("03/04/2020", ORDER_NOT_CHOSEN)]


def test_stored_form_is_iso_dates_and_decimal_points() -> None:
    assert stored_column(["31/12/1990", "", "1990-01-02"], "date", DAY_FIRST) == (
        ["1990-12-31", "", "1990-01-02"], {})
    assert stored_column(["1,5", "+5", "2"], "number") == (["1.5", "", "2"], {1: "not a number"})
    clean = ["1", "2.5", ""]
    assert stored_column(clean, "number")[0] is clean  # kept as they are, no copy
    assert stored_column(["1990-02-30"], "date") == ([""], {0: NO_SUCH_DAY})


@pytest.mark.parametrize(("stored", "written"), [
    ("12", "12"), ("-3", "-3"), ("12.50", "12.50"), ("0.5", "0.5"),  # JSON's own spelling
    ("007", "7"), ("5.", "5.0"), (".5", "0.5"), ("-.5", "-0.5"), ("1.5e3", "1500.0"),
    ("1e999", '"1e999"'), ("", "null"),
])
def test_a_stored_number_as_a_json_value(stored: str, written: str) -> None:
    assert json_number(stored) == written
    assert json.loads(written) == (None if not stored else stored if "999" in stored
                                   else float(stored))


def test_a_column_of_json_numbers_is_kept_as_it_is() -> None:
    clean = ["1", "-2.5", "0"]
    assert json_number_column(clean) is clean
    assert json_number_column(["1", "", "007"]) == ["1", "null", "7"]


@pytest.mark.parametrize("values", [
    ["1990-01-02", "2000-12-31"],  # every value an ISO date: kept as they are
    ["1990-01-02", "1990-02-30"],  # ISO-shaped, no such day
    ["1990-01-02", ""],  # a blank
    ["1990-1-02", "2000-12-31"],  # not the ISO shape
    ["١٩٩٠-٠١-٠٢", "1990-01-02"],  # other digits
    ["1990-01-02T10:00", "1990-01-02"],
])
def test_a_column_of_iso_dates_is_kept_as_it_is_and_any_other_read_value_by_value(
    values: list[str],
) -> None:
    stored, problems = stored_column(values, "date", DAY_FIRST)
    assert (stored is values) == (values == ["1990-01-02", "2000-12-31"]
                                  or values == ["1990-01-02", ""])
    one_by_one = [date_text(v, DAY_FIRST) if v and not column_value_problem(v, "date", DAY_FIRST)
                  else "" for v in values]
    assert stored == one_by_one
    assert problems == {i: column_value_problem(v, "date", DAY_FIRST) for i, v in enumerate(values)
                        if v and column_value_problem(v, "date", DAY_FIRST)}


@pytest.mark.parametrize("seed", range(4))
def test_a_column_of_iso_dates_keeps_the_real_days_and_names_the_others(seed: int) -> None:
    """Columns of YYYY-MM-DD values, real days or not (day 00 or over the month's last, month
    00 or over 12, year 0000, 29 February in leap years and others): kept as they are when
    every one is a real day, else each one that is not is named, as date.fromisoformat
    tells them."""
    rnd = random.Random(seed)

    def real(value: str) -> bool:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True

    for _ in range(500):
        years = ["0000", "0001", "1900", "2000", "2023", "2024", "9999"]
        months = ["00", "01", "02", "04", "09", "12", "13", f"{rnd.randrange(100):02d}"]
        days = ["00", "01", "28", "29", "30", "31", "32", f"{rnd.randrange(100):02d}"]
        values = [f"{rnd.choice(years)}-{rnd.choice(months)}-{rnd.choice(days)}"
                  for _ in range(rnd.randrange(1, 8))]
        if rnd.random() < 0.5:  # most columns in a file hold real days only
            values = [value if real(value) else "2024-02-29" for value in values]
        stored, problems = stored_column(list(values), "date")
        assert set(problems) == {i for i, value in enumerate(values) if not real(value)}
        assert stored == ["" if i in problems else value for i, value in enumerate(values)]
        assert set(problems.values()) <= {NO_SUCH_DAY}
