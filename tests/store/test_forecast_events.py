"""A forecast with an events file (SPEC §11) equals the evaluator day by day, given the same
events imported: entries, waits, matches and timeouts replayed at their timestamps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.domain.journey import Journey
from journey_desktop.store.events import EventStore
from journey_desktop.store.forecast import ForecastError, run_forecast
from journey_desktop.store.stats import customer_trace
from tests.store.evaluator_support import DAY, MADRID, activate
from tests.store.test_evaluator_events import CART
from tests.store.test_forecast import DAYS, START, evaluator_copy, evaluator_days, row_counts

HOUR = 3600


def cart_journey() -> Journey:
    return Journey.from_dict({
        "format": "journey-desktop/1", "name": "Cart",
        "nodes": [{"id": "start", "type": "entry", "event": {"name": "cart"}, "next": "hello"},
                  *CART],
        "activation": {"allow_reentry": True, "max_entries": None,
                       "timeout": {"value": 1, "unit": "hours"}},
    })


def events_file(tmp_path: Path) -> Path:
    lines = []
    for i in range(40):
        at = START + (i * 37 % DAYS) * DAY + (i % 7) * HOUR + 5
        user = f"u{i % 6}"
        lines.append({"userId": user, "event": "cart", "timestamp": at,
                      "properties": {"cartId": f"c{i}"}})
        if i % 3:
            lines.append({"userId": user, "event": "purchase",
                          "timestamp": at + (i % 4) * 1200,
                          "properties": {"cartId": f"c{i if i % 5 else i + 1}", "total": i}})
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in reversed(lines)),
                    encoding="utf-8")
    return path


@pytest.mark.both_databases
def test_forecast_with_an_events_file_equals_the_evaluator_day_by_day(repo, store_url, tmp_path):
    members = {f"u{i}": {} for i in range(6)}
    journey_id = activate(repo, cart_journey(), members, START - HOUR)
    path = events_file(tmp_path)
    before = row_counts()
    result = run_forecast(journey_id, days=DAYS, start=START, tz=MADRID,
                          tick_interval=HOUR, events=path)
    assert row_counts() == before and EventStore().count() == 0
    # The same events imported for real, then the evaluator on a copy, hour by hour.
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    assert EventStore().import_file(plan, now=START - 1, tz=MADRID).committed
    copy = evaluator_copy(tmp_path, store_url)
    expected = evaluator_days(copy, journey_id, HOUR)
    with result:
        assert [day.to_json() for day in result.days] == expected
        for ext in members:
            assert result.trace(ext) == customer_trace(journey_id, ext, db=copy), ext
        nodes = {step.node for step in result.trace("u1")}
        assert {"hello", "thanks", "remind"} <= nodes  # waits, matches and timeouts
    copy.close()
    assert result.totals.entered > 10


@pytest.mark.both_databases
def test_an_events_file_that_cannot_be_read_is_said_in_words(repo, tmp_path):
    journey_id = activate(repo, cart_journey(), {"u1": {}}, START)
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ForecastError, match="events file"):
        run_forecast(journey_id, days=2, start=START, tz=MADRID, tick_interval=HOUR,
                     events=missing)


@pytest.mark.both_databases
def test_the_file_is_taken_when_the_newest_real_events_are_of_other_customers(repo, tmp_path):
    """The copy holds only the journey's customers' events, but the events watermark it
    copies counts every event of the real file: the file's events must come after it."""
    from tests.store.test_evaluator_events import T0, ev, import_events, journey, tick

    journey_id = activate(repo, journey({"name": "cart"}), {"u1": {}, "u2": {}}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0 - 10), ev("zz", "cart", T0 - 5),
                             ev("zz", "other", T0 - 4)])
    tick(T0 + 60)
    path = tmp_path / "file.jsonl"
    path.write_text(json.dumps({"userId": "u2", "event": "cart", "timestamp": T0 + 2 * DAY,
                                "properties": {}}) + "\n", encoding="utf-8")
    with run_forecast(journey_id, days=4, start=T0 + DAY, tz=MADRID, tick_interval=HOUR,
                      events=path) as result:
        assert result.totals.entered == 1
        assert [step.node for step in result.trace("u2")][:1] == ["start"]
