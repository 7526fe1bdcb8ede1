"""What is coming at each wait (the statistics' ``next_due``, ``stats --json``'s
``waiting``): how many runs stand there, when the first of them fall due, how many then."""

from __future__ import annotations

import pytest

from journey_desktop.domain import engine
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.store.stats import journey_stats
from tests.conftest import add_members, load_example
from tests.store.evaluator_support import MADRID, local

pytestmark = pytest.mark.both_databases


def test_waiting_counts_and_the_next_due_time_per_wait(repo: JourneyRepository) -> None:
    start = local(2025, 5, 12, 9, 0)
    journey_id = repo.create(load_example("welcome-series"), now=start)
    signed_up = {"plan": "basic", "firstName": "W", "signupDate": "2025-05-11"}
    add_members(journey_id, {f"w{i}": dict(signed_up) for i in range(3)}, start)
    assert repo.activate(journey_id, now=start).ok
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(start)
    later = local(2025, 5, 12, 16, 0)
    add_members(journey_id, {"late": dict(signed_up)}, later)
    evaluator.tick(later)

    stats = journey_stats(journey_id)
    # Entered at 09:00: "2 days, then at 09:00" ends on the 14th at 09:00; at 16:00: the 15th.
    assert stats.waiting == {"wait_two_days": 4}
    assert stats.next_due == {"wait_two_days": (local(2025, 5, 14, 9, 0), 3)}
    assert stats.to_json()["waiting"] == {"wait_two_days": {
        "count": 4, "next_due": engine.local_datetime(local(2025, 5, 14, 9, 0)).isoformat(),
        "next_count": 3}}

    Evaluator(tz=MADRID).tick(local(2025, 5, 14, 9, 0))
    stats = journey_stats(journey_id)
    assert stats.next_due == {"wait_two_days": (local(2025, 5, 15, 9, 0), 1)}
