"""The outbox and statistics APIs the Outbox and Stats views use."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest

from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.evaluator_lock import EvaluatorBusyError, EvaluatorLock
from journey_desktop.store.outbox import (
    CSV_HEADER,
    ExportResult,
    OutboxFilter,
    count_messages,
    csv_cell,
    export_csv,
    list_messages,
)
from journey_desktop.store.stats import daily_counts, journey_stats
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    journey_from,
    local,
    two_messages_a_day_apart,
)

pytestmark = pytest.mark.both_databases
START = local(2025, 5, 12, 23, 30)  # half an hour before local midnight


def run_two_days(repo) -> int:  # type: ignore[no-untyped-def]
    """Two days of a two-message journey for four customers."""
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": f"N{i}"} for i in range(4)}, START)
    evaluator = Evaluator(tz=MADRID)
    evaluator.tick(START)
    evaluator.tick(START + DAY)
    return journey_id


def test_filters_and_paging(repo):
    journey_id = run_two_days(repo)
    assert count_messages() == 8
    assert count_messages(OutboxFilter(journey_id=journey_id, channel="email")) == 4
    assert count_messages(OutboxFilter(due_from=START + 1, due_to=START + DAY + 1)) == 4
    page = list_messages(OutboxFilter(journey_id=journey_id), offset=2, limit=3)
    assert len(page) == 3
    assert page[0].journey_name == "Test journey"
    everything = list_messages(OutboxFilter(), limit=100, newest_first=False)
    assert [m.due_at for m in everything] == sorted(m.due_at for m in everything)
    assert {m.status for m in everything} == {"ready"}
    assert everything[-1].extra == {"from_name": "The Team"}


def test_export_marks_rows_and_new_skips_them(repo):
    journey_id = run_two_days(repo)
    out = io.StringIO()
    assert export_csv(out, OutboxFilter(channel="push"), now=START + 2 * DAY,
                      tz=MADRID) == ExportResult(written=4, marked=4)
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(CSV_HEADER)
    assert lines[1].split(",")[7] == "2025-05-12T23:30:00+02:00"
    assert count_messages(OutboxFilter(status="exported")) == 4
    again = io.StringIO()
    assert export_csv(again, OutboxFilter(journey_id=journey_id), only_new=True,
                      now=START + 2 * DAY) == ExportResult(written=4, marked=4)
    assert count_messages(OutboxFilter(status="ready")) == 0


def test_formula_cells_are_escaped():
    assert [csv_cell(v) for v in ("=1+1", "+33", "-x", "@a", "plain", "")] == [
        "'=1+1", "'+33", "'-x", "'@a", "plain", ""]


def test_stats_and_daily_counts_use_local_days(repo):
    journey_id = run_two_days(repo)
    stats = journey_stats(journey_id)
    assert (stats.audience, stats.entered, stats.completed, stats.in_progress) == (4, 4, 4, 0)
    assert stats.messages == {"email": 4, "push": 4}
    days = daily_counts(journey_id, tz=MADRID)
    assert [d.day for d in days] == [dt.date(2025, 5, 12), dt.date(2025, 5, 13)]
    assert (days[0].entered, days[0].messages, days[1].messages) == (
        4, {"push": 4}, {"email": 4})
    # The same instants are one day later in Tokyo.
    tokyo = daily_counts(journey_id, tz=dt.timezone(dt.timedelta(hours=9)))
    assert [d.day for d in tokyo] == [dt.date(2025, 5, 13), dt.date(2025, 5, 14)]


@pytest.mark.sqlite_only  # on a team database evaluators share the work: no such lock
def test_lock_names_its_holder_and_expires(store):
    now = [1_000_000]
    holder = EvaluatorLock(pid=os.getppid(), host="elsewhere", clock=lambda: now[0])
    holder.acquire()
    me = EvaluatorLock(clock=lambda: now[0], stale_after=120)
    try:
        me.acquire()
        raise AssertionError("the lock was taken from a live holder")
    except EvaluatorBusyError as exc:
        assert str(exc) == (
            f"the evaluator is already running in process {os.getppid()} on host elsewhere")
    now[0] += 121  # no heartbeat for longer than allowed: stale
    me.acquire()
    assert not holder.heartbeat()
    assert me.heartbeat()
    me.release()
    assert me.holder() is None

