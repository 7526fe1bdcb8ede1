"""Forecast of a journey with a goal and an exit rule, with an events file (docs/BENCHMARKS.md,
"Goals and exit rules"): 20,000 customers, 30 days, a tick every 10 minutes, 7,000
purchases and 1,000 unsubscribes on known days. Skipping idle ticks (the default) against
ticking every point (the baseline, in the same run); both must give the same days.

    .venv/bin/python bench/bench_forecast_goals.py [--customers N] [--days N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.forecast import run_forecast  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402
from journey_desktop.store.settings import SettingsRepository  # noqa: E402

DAY = 86_400
PUSH = {"type": "message", "channel": "push", "title": "Hi", "body": "b"}
JOURNEY = {
    "format": "journey-desktop/1", "name": "Goal forecast",
    "nodes": [
        {"id": "start", "type": "entry", "next": "first"},
        {"id": "first", **PUSH, "next": "pause"},
        {"id": "pause", "type": "wait", "duration": {"value": 3, "unit": "days"},
         "next": "email"},
        {"id": "email", "type": "message", "channel": "email", "subject": "Offer",
         "body": "b", "next": "again"},
        {"id": "again", "type": "wait", "duration": {"value": 40, "unit": "days"},
         "next": "end"},
        {"id": "end", "type": "exit"},
    ],
    "goal": {"event": "purchase", "within": {"value": 14, "unit": "days"},
             "exit_on_goal": True},
    # No rule on fields: it reads every run in progress at every tick (see bench_goals.py
    # --fields-rule), which would be all this measured.
    "exit_when": [{"event": "unsubscribed"}],
}


def events_file(folder: Path, customers: int, start: int, days: int) -> Path:
    """Purchases for 35 % of customers, unsubscribes for 5 %, at known instants."""
    path = folder / "events.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(customers):
            at = start + (i * 7919 % (days * DAY))
            if i % 20 < 7:
                out.write(json.dumps({"userId": f"C{i:07d}", "event": "purchase",
                                      "timestamp": at}) + "\n")
            elif i % 20 == 7:
                out.write(json.dumps({"userId": f"C{i:07d}", "event": "unsubscribed",
                                      "timestamp": at}) + "\n")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    start = int(dt.datetime(2027, 2, 10, 9, 0).astimezone().timestamp())
    with tempfile.TemporaryDirectory() as folder:
        open_store(Path(folder))
        SettingsRepository().set_tick_interval(600)
        journey_id = JourneyRepository().create(Journey.from_dict(JOURNEY), now=start)
        conn = database.connection()
        with database.atomic():
            conn.executemany(
                "INSERT INTO profile (external_id, fields, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                ((f"C{i:07d}", json.dumps({"plan": "cancelled" if i % 50 == 0 else "basic"}),
                  start, start) for i in range(args.customers)))
            conn.executemany(
                "INSERT INTO member (journey_id, external_id, entries, imported_at)"
                " VALUES (?, ?, 0, ?)",
                ((journey_id, f"C{i:07d}", start) for i in range(args.customers)))
        path = events_file(Path(folder), args.customers, start, args.days)
        print(f"{args.customers:,} customers, {args.days} days, tick every 10 min, "
              f"events file of {sum(1 for _ in path.open()):,} lines")
        figures = {}
        for skip in (True, False):
            began = time.perf_counter()
            result = run_forecast(journey_id, days=args.days, start=start, events=path,
                                  skip_idle=skip)
            seconds = time.perf_counter() - began
            with result:
                figures[skip] = (seconds, result.ticks, [d.to_json() for d in result.days],
                                 result.totals.to_json())
        close_store()
    (fast, ticks, days, totals), (slow, all_ticks, every_days, _) = figures[True], figures[False]
    assert days == every_days, "skipping idle ticks changed the forecast"
    print(f"skipping idle ticks: {fast:.1f} s, {ticks:,} ticks run; every point (baseline): "
          f"{slow:.1f} s, {all_ticks:,} ticks; ratio {fast / slow:.3f}; same days: yes")
    print(f"conversions {totals['conversions']:,}, exits {totals['exits']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
