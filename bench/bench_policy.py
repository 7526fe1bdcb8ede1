"""Messaging policy figure (docs/BENCHMARKS.md, "Messaging policy"): the first tick over
1,000,000 customers with quiet hours and two cap rules, against the same tick without a
policy, both on copies of one populated database made in the same run.

    .venv/bin/python bench/bench_policy.py [--customers N] [--runs 1] [--recent-every K]

``--recent-every K``: every K-th customer already had a push two hours before (so the caps
are looked up for their batch, and the push:1/day cap stops their new one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.domain.policy import Cap, Policy, QuietHours  # noqa: E402
from journey_desktop.paths import database_path  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.evaluator import Evaluator  # noqa: E402
from journey_desktop.store.policy import save_policy  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_evaluator import JOURNEY  # noqa: E402

ZONES = ("Europe/Madrid", "America/New_York", "Asia/Tokyo", "Europe/London")
POLICY = Policy(timezone_field="tz", quiet=(QuietHours.parse("21:00-09:00"),),
                caps=(Cap.parse("any:3/1d"), Cap.parse("push:1/day")))


def populate(conn: sqlite3.Connection, journey_id: int, count: int, now: int,
             recent_every: int = 0) -> None:
    batch = 100_000
    conn.execute("BEGIN")
    for start in range(0, count, batch):
        ids = [(i, f"C{i:07d}") for i in range(start, min(count, start + batch))]
        conn.executemany(
            "INSERT INTO profile (external_id, fields, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)",
            ((ext, json.dumps({"firstName": f"Name{i}", "tz": ZONES[i % len(ZONES)]}), now,
              now) for i, ext in ids))
        conn.executemany(
            "INSERT INTO member (journey_id, external_id, entries, next_check_at, imported_at)"
            " VALUES (?, ?, 0, ?, ?)", ((journey_id, ext, now, now) for _, ext in ids))
        if recent_every:
            earlier = now - 2 * 3600
            conn.executemany(
                "INSERT INTO outbox (journey_id, external_id, entry_number, node, channel,"
                " title, body, url, extra, due_at, created_at, send_at, status)"
                " VALUES (?, ?, 0, 'earlier', 'push', 'Hi', 'Before', '', '{}', ?, ?, ?,"
                " 'exported')", ((journey_id, ext, earlier, earlier, earlier)
                                 for i, ext in ids if i % recent_every == recent_every - 1))
    conn.execute("COMMIT")


def first_tick(folder: Path, now: int, policy: Policy | None) -> tuple[float, float, str]:
    """The tick's wall-clock and CPU seconds (the machine is shared: CPU time moves less
    with the other processes' load), and what it did."""
    db = open_store(folder)
    try:
        if policy is not None:
            save_policy(policy)
        evaluator = Evaluator(db, tz=dt.UTC)
        cpu = time.process_time()
        summary = evaluator.tick(now)
        cpu = time.process_time() - cpu
        idle = min(evaluator.tick(now + 60 * minute).seconds for minute in range(1, 6))
        held = f", {summary.held:,} held, suppressed {summary.suppressed}" if policy else ""
        return summary.seconds, cpu, (f"{summary.messages:,} messages{held}; then a tick with"
                                      f" nothing due: {idle * 1000:.1f} ms, best of 5")
    finally:
        close_store()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--recent-every", type=int, default=0)
    args = parser.parse_args(argv)
    now = int(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC).timestamp())
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        db = open_store(source)
        repo = JourneyRepository()
        journey_id = repo.create(Journey.from_dict(JOURNEY), now=now)
        populate(db.connection(), journey_id, args.customers, now, args.recent_every)
        repo.activate(journey_id, now=now)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        close_store()
        print(f"audience: {args.customers:,} customers in {len(ZONES)} zones; policy: "
              + "; ".join(POLICY.lines()))
        for run in range(1, args.runs + 1):
            times = {}
            for name, policy in (("without a policy", None), ("with the policy", POLICY)):
                folder = Path(tmp) / f"{run}-{name.split()[0]}"
                folder.mkdir()
                shutil.copy(database_path(source), database_path(folder))
                seconds, cpu, what = first_tick(folder, now, policy)
                times[name] = (seconds, cpu)
                print(f"run {run}: first tick {name}: {seconds:.2f} s, CPU {cpu:.2f} s"
                      f" ({what})", flush=True)
                shutil.rmtree(folder)
            wall = times["with the policy"][0] / times["without a policy"][0]
            cpu = times["with the policy"][1] / times["without a policy"][1]
            print(f"run {run}: with / without: {wall:.2f}x wall clock, {cpu:.2f}x CPU"
                  " (target <= 1.5x)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
