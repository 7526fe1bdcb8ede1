"""Check at figures (docs/BENCHMARKS.md, "Check at"): the tick that re-checks a whole
birthday audience a day after activation, with Check at 09:00 against the same tick
without it (the baseline, measured in the same run), and the statistics read with what
is coming at the waits.

    .venv/bin/python bench/bench_check_at.py [--customers N] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey_desktop.domain.journey import Activation, Duration, Journey  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402
from journey_desktop.store.sqlite_sql import run_path_last_node  # noqa: E402
from journey_desktop.store.stats import journey_stats  # noqa: E402

MADRID = ZoneInfo("Europe/Madrid")
JOURNEY = {
    "format": "journey-desktop/1",
    "name": "Bench: birthday at nine",
    "nodes": [
        {"id": "start", "type": "entry", "next": "nine",
         "filter": {"match": "all", "conditions": [
             {"field": "birthday", "op": "anniversary_in_days", "value": 0}]}},
        {"id": "nine", "type": "wait", "duration": {"value": 1, "unit": "minutes"},
         "at_time": "09:00", "next": "greet"},
        {"id": "greet", "type": "message", "channel": "push", "title": "Happy birthday",
         "body": "{{firstName}}", "next": "end"},
        {"id": "end", "type": "exit"},
    ],
}


def local(day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(2026, 12, day, hour, minute, tzinfo=MADRID).timestamp())


def populate(conn, journey_id: int, count: int, now: int) -> None:  # type: ignore[no-untyped-def]
    conn.execute("BEGIN")
    first = dt.date(1980, 1, 1)
    # One in ten has a birthday on 2 December (they wait at "nine" after the second tick),
    # the others a birthday spread over ten years.
    rows = [(f"C{i:07d}", "1990-12-02" if i % 10 == 0
             else (first + dt.timedelta(days=i % 3650)).isoformat()) for i in range(count)]
    conn.executemany(
        "INSERT INTO profile (external_id, fields, created_at, updated_at) VALUES (?, ?, ?, ?)",
        ((ext, json.dumps({"firstName": "N", "birthday": b}), now, now) for ext, b in rows))
    conn.executemany(
        "INSERT INTO member (journey_id, external_id, entries, next_check_at, imported_at)"
        " VALUES (?, ?, 0, ?, ?)", ((journey_id, ext, now, now) for ext, _ in rows))
    conn.execute("COMMIT")


def one_run(customers: int,
            check_at: str | None) -> tuple[float, float, float, float, int]:
    """(seconds of the re-check tick, of journey_stats, of its runs-waiting query as it was
    before what is coming, of that query as it is now, customers checked)."""
    activated = local(1, 14, 0)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_store(Path(tmp))
        repo = JourneyRepository()
        journey_id = repo.create(Journey.from_dict(JOURNEY), now=activated)
        populate(db.connection(), journey_id, customers, activated)
        activation = Activation(True, None, Duration(1, "days"), check_at)
        assert repo.activate(journey_id, activation, now=activated).ok
        evaluator = Evaluator(db, tz=MADRID)
        evaluator.tick(local(1, 14, 5))
        # The next day every customer is due again: at 09:00 with Check at, else 14:05.
        again = evaluator.tick(local(2, 9, 0) if check_at else local(2, 14, 5))
        started = time.perf_counter()
        stats = journey_stats(journey_id, db)
        read = time.perf_counter() - started
        assert stats.next_due["nine"][1] == stats.waiting["nine"] > customers // 20
        started = time.perf_counter()
        db.execute_sql(  # the runs standing at each node, as read before
            f"SELECT {run_path_last_node()}, count(*) FROM run"
            " WHERE journey_id = ? AND state = 'in_progress' GROUP BY 1", (journey_id,)
        ).fetchall()
        waiting_only = time.perf_counter() - started
        started = time.perf_counter()
        db.execute_sql(  # as journey_stats reads them now
            "SELECT node, sum(n), min(due), n FROM ("
            f" SELECT {run_path_last_node()} AS node, due_at AS due, count(*) AS n FROM run"
            " WHERE journey_id = ? AND state = 'in_progress' GROUP BY 1, 2) GROUP BY node",
            (journey_id,)).fetchall()
        with_next_due = time.perf_counter() - started
        close_store()
    return again.seconds, read, waiting_only, with_next_due, again.checked


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    off: list[float] = []
    on: list[float] = []
    reads: list[float] = []
    waiting_reads: list[float] = []
    next_due_reads: list[float] = []
    checked = 0
    for _ in range(args.runs):  # interleaved, so both see the same machine load
        seconds, _read, _waiting, _next_due, checked = one_run(args.customers, None)
        off.append(seconds)
        seconds, read, waiting, next_due, _checked = one_run(args.customers, "09:00")
        on.append(seconds)
        reads.append(read)
        waiting_reads.append(waiting)
        next_due_reads.append(next_due)
    print(f"audience: {args.customers:,} customers, {checked:,} re-checked the next day")
    print("re-check tick, Check at off (baseline): "
          + ", ".join(f"{s:.2f}" for s in off) + f" s (median {statistics.median(off):.2f})")
    print("re-check tick, Check at 09:00: "
          + ", ".join(f"{s:.2f}" for s in on) + f" s (median {statistics.median(on):.2f})")
    print(f"ratio Check at / baseline (medians): "
          f"{statistics.median(on) / statistics.median(off):.2f}")
    def ms(values: list[float]) -> str:
        return ", ".join(f"{s * 1000:.0f}" for s in values) + " ms"

    print(f"statistics read (journey_stats, with what is coming): {ms(reads)}")
    print(f"runs waiting per node, as read before: {ms(waiting_reads)}; with the next due "
          f"time and how many then: {ms(next_due_reads)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
