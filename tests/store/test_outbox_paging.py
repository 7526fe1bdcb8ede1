"""What the Outbox window relies on: stable pages, snapshots and export progress."""

from __future__ import annotations

import io

import pytest

from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.outbox import (
    OutboxFilter,
    count_messages,
    export_csv,
    last_message_id,
    list_messages,
)
from tests.store.evaluator_support import DAY, MADRID, activate, journey_from, local

pytestmark = pytest.mark.both_databases

START = local(2025, 5, 12, 9, 0)


def promotion_days(repo, customers: int, days: int) -> int:  # type: ignore[no-untyped-def]
    journey = journey_from([
        {"id": "start", "type": "entry", "next": "offer"},
        {"id": "offer", "type": "message", "channel": "push", "title": "Deal {{firstName}}",
         "body": "Today only", "next": "end"},
        {"id": "end", "type": "exit"},
    ], reentry=True)
    journey_id = activate(repo, journey, {f"c{i:04d}": {"firstName": f"N{i}"}
                                          for i in range(customers)}, START)
    evaluator = Evaluator(tz=MADRID)
    for day in range(days):
        evaluator.tick(START + day * DAY)
    return journey_id


def test_pages_join_up_to_the_whole_list_both_ways(repo) -> None:  # type: ignore[no-untyped-def]
    promotion_days(repo, 7, 3)
    for newest_first in (True, False):
        whole = list_messages(limit=100, newest_first=newest_first)
        pages = [m for offset in range(0, 21, 4)
                 for m in list_messages(offset=offset, limit=4, newest_first=newest_first)]
        assert [m.id for m in pages] == [m.id for m in whole]
        keys = [(m.due_at, m.id) for m in whole]
        assert keys == sorted(keys, reverse=newest_first)


def test_snapshot_leaves_out_messages_written_later(repo) -> None:  # type: ignore[no-untyped-def]
    assert last_message_id() == 0
    promotion_days(repo, 5, 1)
    snapshot = OutboxFilter(up_to_id=last_message_id())
    Evaluator(tz=MADRID).tick(START + DAY)
    assert count_messages() == 10
    assert count_messages(snapshot) == 5
    assert {m.due_at for m in list_messages(snapshot)} == {START}
    out = io.StringIO()
    assert export_csv(out, snapshot, now=START + 2 * DAY).written == 5
    assert count_messages(OutboxFilter(status="ready")) == 5


def test_export_reports_progress_and_a_cancel_marks_nothing(repo) -> None:  # type: ignore[no-untyped-def]
    promotion_days(repo, 1100, 2)  # 2,200 messages
    seen: list[int] = []
    assert export_csv(io.StringIO(), OutboxFilter(due_to=START + 1), now=START + DAY,
                      progress=seen.append).written == 1100
    assert seen == [1000]

    class Stop(Exception):
        pass

    def stop(done: int) -> None:
        raise Stop()

    with pytest.raises(Stop):
        export_csv(io.StringIO(), now=START + 2 * DAY, progress=stop)
    assert count_messages(OutboxFilter(status="exported")) == 1100
