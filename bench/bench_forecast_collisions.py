"""Forecast collision report figures (docs/BENCHMARKS.md, "Forecast collisions"): three
active journeys (the examples birthday, daily-promotion, welcome-series) sharing the same
100,000 customers, the daily promotion forecast for 30 days at a 10-minute tick, without
and with ``collisions=1`` (every active journey ticked together, then the report); the
ratio is against the forecast without, measured in the same run, alternating, after one
warm-up forecast of a day.

    .venv/bin/python bench/bench_forecast_collisions.py [--customers N] [--days N]
        [--rounds N] [--each]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_forecast import EXAMPLES, audience  # noqa: E402

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.forecast import run_forecast  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402
from journey_desktop.store.settings import SettingsRepository  # noqa: E402

JOURNEYS = ("birthday", "daily-promotion", "welcome-series")
FORECAST = "daily-promotion"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--each", action="store_true",
                        help="also forecast each other journey alone: the sum of the three "
                        "alone is what ticking them together should cost")
    args = parser.parse_args(argv)
    start = int(dt.datetime(2027, 2, 10, 9, 0).astimezone().timestamp())
    rows = audience(args.customers, dt.date(2027, 2, 10))
    with tempfile.TemporaryDirectory() as folder:
        open_store(Path(folder))
        SettingsRepository().set_tick_interval(600)
        repo = JourneyRepository()
        conn = database.connection()
        with database.atomic():
            conn.executemany(
                "INSERT INTO profile (external_id, fields, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)", ((ext, fields, start, start) for ext, fields in rows))
        ids = {}
        for name in JOURNEYS:
            journey = Journey.from_json((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
            journey_id = repo.create(journey, now=start)
            with database.atomic():
                conn.executemany(
                    "INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                    " imported_at) VALUES (?, ?, 0, ?, ?)",
                    ((journey_id, ext, start, start) for ext, _fields in rows))
            assert repo.activate(journey_id, now=start).ok
            ids[name] = journey_id
        print(f"{len(JOURNEYS)} active journeys x {args.customers:,} shared customers, "
              f"forecast of {FORECAST}, {args.days} local days from 09:00, tick every 10 min")
        began = time.perf_counter()  # warm-up: the file and the evaluator's SQL, cached
        with run_forecast(ids[FORECAST], days=1, start=start, collisions=1):
            print(f"warm-up (1 day, with collisions, not counted): "
                  f"{time.perf_counter() - began:.1f} s", flush=True)
        alone: list[float] = []
        together: list[float] = []
        counts: list[float] = []
        each: list[float] = []
        for round_ in range(1, args.rounds + 1):
            began = time.perf_counter()
            with run_forecast(ids[FORECAST], days=args.days, start=start) as result:
                alone.append(time.perf_counter() - began)
                ticks_alone = result.ticks
            others = 0.0
            for name in JOURNEYS if args.each else ():
                if name != FORECAST:
                    began = time.perf_counter()
                    with run_forecast(ids[name], days=args.days, start=start):
                        others += time.perf_counter() - began
            if args.each:
                each.append(alone[-1] + others)
            began = time.perf_counter()
            with run_forecast(ids[FORECAST], days=args.days, start=start,
                              collisions=1) as result:
                together.append(time.perf_counter() - began)
                report = result.collisions
                assert report is not None
                began = time.perf_counter()
                result.collisions_over(1)
                counts.append(time.perf_counter() - began)
                # The rows the report's GROUP BY reads: every journey's, in the copy.
                (written,) = result._database().execute_sql(
                    "SELECT count(*) FROM outbox").fetchone()
                print(f"round {round_}: without {alone[-1]:6.1f} s ({ticks_alone:,} ticks)  "
                      f"with {together[-1]:6.1f} s ({result.ticks:,} ticks)  "
                      f"ratio {together[-1] / alone[-1]:.2f}  report alone {counts[-1]:.2f} s "
                      f"over {written:,} messages: {len(report.collisions):,} customer-days, "
                      f"{report.customers:,} customers", flush=True)
                if args.each:
                    print(f"         the three journeys forecast one by one: {each[-1]:6.1f} s "
                          f"(with / that: {together[-1] / each[-1]:.2f})", flush=True)
        close_store()
    ratio = statistics.median(w / a for w, a in zip(together, alone, strict=True))
    print(f"median: without {statistics.median(alone):.1f} s, with "
          f"{statistics.median(together):.1f} s, ratio {ratio:.2f}; the report's GROUP BY "
          f"{statistics.median(counts):.2f} s")
    if each:
        print(f"median of with / the three one by one: "
              f"{statistics.median(w / e for w, e in zip(together, each, strict=True)):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
