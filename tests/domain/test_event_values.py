"""Event timestamps and keys (SPEC §11): every form read to the same instant, every
unreadable one said in words, and keys that can never collide."""

from __future__ import annotations

import datetime as dt

import pytest

from journey_desktop.domain.event_values import common_times, event_key, parse_timestamp

MADRID = dt.timezone(dt.timedelta(hours=1))  # fixed: the tests do not depend on the host's zone
T0 = int(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize("value, expected", [
    ("2025-03-01T10:00:00+01:00", T0),  # ISO with an offset
    ("2025-03-01T09:00:00Z", T0),
    ("2025-03-01T10:00:00", T0),  # local time (the zone given) without an offset
    ("1740819600", T0),  # epoch seconds
    ("1740819600123", T0),  # epoch milliseconds, told by size
    (1740819600, T0),  # a JSON number
    ("2025-03-01 10:00:00 Europe/Madrid", T0),  # a zone name in the value
    ("2025-03-01T10:00:00[Europe/Madrid]", T0),
])
def test_timestamp_forms(value, expected):
    ms, why = parse_timestamp(value, MADRID)
    assert why is None
    assert ms is not None and ms // 1000 == expected


def test_local_time_without_offset_uses_the_zone_given():
    ms, _ = parse_timestamp("2025-03-01T10:00:00", dt.timezone(dt.timedelta(hours=-5)))
    assert ms == (T0 + 6 * 3600) * 1000


@pytest.mark.parametrize("value, reason", [
    ("yesterday", "unreadable timestamp 'yesterday'"),
    ("2025-03-01 10:00 Mars/Base", "unknown time zone 'Mars/Base'"),
    ("1969-12-31T23:59:59Z", "is before 1970"),
    ("-5", "is before 1970"),
    ("2100-01-01T00:00:00Z", "is after 2099"),
    ("1740819600123000", "is after 2099"),  # microseconds
    ("", "no timestamp"),
    (None, "no timestamp"),
    (float("nan"), "unreadable timestamp"),
])
def test_unreadable_timestamps_say_why(value, reason):
    ms, why = parse_timestamp(value, MADRID)
    assert ms is None and why is not None and reason in why


def test_keys_message_id_or_content_hash_never_collide():
    assert event_key("abc", "u1", "view", 1, "{}") == "m:abc"
    hashed = event_key("", "u1", "view", 1, "{}")
    assert hashed.startswith("h:") and len(hashed) == 42
    assert event_key("", "u1", "view", 1, "{}") == hashed
    assert event_key("", "u1", "view", 2, "{}") != hashed
    assert event_key("", "u1v", "iew", 1, "{}") != hashed  # fields cannot run together


def test_a_column_with_a_line_break_in_a_cell_is_left_to_be_read_one_by_one():
    # Joined, "1747224000\n1747224000" looked like two epoch numbers: int() then failed.
    assert common_times(["1747224000", "1747224000\n1747224000"]) is None
    assert common_times(["1747224000", "1747224001"]) == [1747224000000, 1747224001000]
