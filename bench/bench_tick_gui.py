"""GUI responsiveness while the evaluator ticks in the window (docs/BENCHMARKS.md,
"Evaluator in the window"): the longest gap between 10 ms heartbeats of the GUI thread while
"Run now" ticks a journey of N customers in the scheduler's worker (target: at most 100 ms).
Then, on the database the tick left (N customers, runs and messages), the time F5 keeps the
GUI thread (the list is shown at once, its counts follow from a worker) against counting
the list there.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_tick_gui.py [--customers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_evaluator import JOURNEY, populate  # noqa: E402

from journey_desktop.domain.journey import Journey  # noqa: E402
from journey_desktop.store import open_store  # noqa: E402
from journey_desktop.store.repository import JourneyRepository  # noqa: E402

HEARTBEAT_MS = 10


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from journey_desktop.services.scheduler import EvaluatorScheduler
    from journey_desktop.services.settings import WindowSettings
    from journey_desktop.ui.main import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)  # noqa: F841 (kept alive for the run)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        open_store(data_dir)
        repo = JourneyRepository()
        journey_id = repo.create(Journey.from_dict(JOURNEY))
        now = int(time.time())
        conn = sqlite3.connect(data_dir / "journeys.db", isolation_level=None)
        populate(conn, journey_id, args.customers, now)
        conn.close()
        assert repo.activate(journey_id, now=now).ok

        window = MainWindow(data_dir, settings=WindowSettings.at_path(str(data_dir / "s.ini")))
        scheduler = EvaluatorScheduler(window, interval_seconds=3600)
        window.attach_scheduler(scheduler)
        scheduler.start()
        window.show()
        settled = QEventLoop()
        window.journeys_counted.connect(settled.quit)
        settled.exec()  # the counts of the first load
        window.journeys_counted.disconnect(settled.quit)

        gaps: list[float] = []
        last = [time.perf_counter()]

        def beat() -> None:
            current = time.perf_counter()
            gaps.append((current - last[0]) * 1000)
            last[0] = current

        heartbeat = QTimer()
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(beat)
        finished: list[object] = []
        loop = QEventLoop()
        # The tick, then the journey list reloaded (in the background) with its counts.
        scheduler.tick_finished.connect(finished.append)
        scheduler.tick_failed.connect(finished.append)
        scheduler.tick_failed.connect(loop.quit)
        window.journeys_counted.connect(loop.quit)
        heartbeat.start()
        started = time.perf_counter()
        window.action_run_now.trigger()
        loop.exec()
        seconds = time.perf_counter() - started
        heartbeat.stop()
        scheduler.stop()

        f5: list[float] = []
        for _ in range(5):
            begun = time.perf_counter()
            window.action_refresh.trigger()
            f5.append((time.perf_counter() - begun) * 1000)
            loop.exec()  # until its counts are shown
        counting: list[float] = []
        for _ in range(3):
            begun = time.perf_counter()
            repo.summaries()
            counting.append((time.perf_counter() - begun) * 1000)
        window.close()
        summary = finished[0]
        worst = max(gaps) if gaps else float("nan")
        print(f"tick in the window: {args.customers:,} customers, {seconds:.1f} s "
              f"({getattr(summary, 'messages', '?'):,} messages); longest GUI stall "
              f"{worst:.0f} ms between {HEARTBEAT_MS} ms heartbeats "
              f"(target <= 100 ms; {len(gaps)} beats)", flush=True)
        f5_ms, counting_ms = statistics.median(f5), statistics.median(counting)
        print(f"F5 in the window: {f5_ms:.0f} ms on the GUI thread (median of 5); counting the "
              f"list: {counting_ms:.0f} ms (median of 3)", flush=True)
        print(json.dumps({"customers": args.customers, "seconds": round(seconds, 2),
                          "max_gap_ms": round(worst, 1), "f5_ms": round(f5_ms, 1),
                          "counting_ms": round(counting_ms, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
