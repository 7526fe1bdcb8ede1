"""Forecast figures (docs/BENCHMARKS.md, "Forecast"): 100,000 customers, 30 days, a tick
every 10 minutes (about 4,300 tick points), for each example journey, with progress.

    .venv/bin/python bench/bench_forecast.py [--customers N] [--days N] [--journey NAME]
        [--no-skip]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
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

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
JOURNEYS = ("birthday", "daily-promotion", "welcome-series")
TARGET_SECONDS = 60.0


def audience(count: int, start: dt.date) -> list[tuple[str, str]]:
    """Birthdays over the year (29 Feb included), opt-in yes/no, signups around the start."""
    rnd = random.Random(20250301)
    rows = []
    for i in range(count):
        birthday = dt.date(1970 + i % 40, 1, 1) + dt.timedelta(days=rnd.randrange(365))
        if i % 1461 == 0:
            birthday = dt.date(1992, 2, 29)
        signup = start + dt.timedelta(days=rnd.randint(-40, 30))
        rows.append((f"C{i:07d}", json.dumps({
            "firstName": f"Name{i}", "birthday": birthday.isoformat(),
            "offersOptIn": "yes" if rnd.random() < 0.4 else "no",
            "signupDate": signup.isoformat(),
            "plan": rnd.choice(("premium", "basic", "basic", "free")),
        })))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--journey", choices=JOURNEYS, action="append")
    parser.add_argument("--no-skip", action="store_true",
                        help="run every tick point, idle ones included")
    args = parser.parse_args(argv)
    start = int(dt.datetime(2027, 2, 10, 9, 0).astimezone().timestamp())
    rows = audience(args.customers, dt.date(2027, 2, 10))
    slowest = 0.0
    with tempfile.TemporaryDirectory() as folder:
        open_store(Path(folder))
        SettingsRepository().set_tick_interval(600)
        repo = JourneyRepository()
        print(f"{args.customers:,} customers, {args.days} local days from 09:00, "
              "tick every 10 min")
        for name in args.journey or JOURNEYS:
            journey = Journey.from_json((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
            journey_id = repo.create(journey, now=start)
            conn = database.connection()
            with database.atomic():
                conn.executemany(
                    "INSERT INTO profile (external_id, fields, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    ((ext, fields, start, start) for ext, fields in rows),
                )
                conn.executemany(
                    "INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                    " imported_at) VALUES (?, ?, 0, ?, ?)",
                    ((journey_id, ext, start, start) for ext, _fields in rows),
                )
            assert repo.activate(journey_id, now=start).ok
            reports: list[float] = []
            began = time.perf_counter()
            result = run_forecast(
                journey_id, days=args.days, start=start,
                progress=lambda *_, reports=reports: reports.append(time.perf_counter()),
                skip_idle=not args.no_skip)
            seconds = time.perf_counter() - began
            gaps = [b - a for a, b in zip([began, *reports], reports, strict=False)]
            with result:
                totals = result.totals
                print(f"{name:16} {seconds:6.1f} s  ticks run {result.ticks:5,}  "
                      f"entered {totals.entered:7,}  messages {totals.message_total:7,}  "
                      f"progress reports {len(reports):5,} (longest gap {max(gaps):.1f} s)")
            slowest = max(slowest, seconds)
        close_store()
    verdict = "ok" if slowest < TARGET_SECONDS else "OVER TARGET"
    print(f"slowest forecast: {slowest:.1f} s (target < {TARGET_SECONDS:.0f} s): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
