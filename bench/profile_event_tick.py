"""Where the big tick of ``bench_event_tick.py`` spends its time: each statement the
evaluator runs on its raw connection, and each commit, timed and summed (a profiling aid,
not a figure with a target; ``run_all.py`` does not run it).

    python bench/profile_event_tick.py [--rows N] [--batch-size N]

Run from a copy of older code (``git archive``) to time that code's statements alike.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_event_tick  # noqa: E402

from journey_desktop.store import close_store, evaluator, open_store, sqlite_sql  # noqa: E402

SECONDS: collections.Counter[str] = collections.Counter()
CALLS: collections.Counter[str] = collections.Counter()


def _count(key: str, started: float) -> None:
    SECONDS[key] += time.perf_counter() - started
    CALLS[key] += 1


class TimedConnection:
    """The raw connection, each statement timed under its first 90 characters."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, sql: str, params: Any = ()) -> Any:
        started = time.perf_counter()
        try:
            return self._conn.execute(sql, params)
        finally:
            _count(re.sub(r"\s+", " ", sql)[:90], started)

    def execute_sql(self, sql: str, params: Any = ()) -> Any:
        """For code that takes either connection and tells them apart by type."""
        return self.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._conn.executemany(sql, rows)
        finally:
            _count(re.sub(r"\s+", " ", sql)[:90], started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=evaluator.DEFAULT_BATCH_SIZE)
    args = parser.parse_args()
    raw = sqlite_sql.raw_connection
    transaction = sqlite_sql.write_transaction
    evaluator.sqlite_sql.raw_connection = lambda db: TimedConnection(raw(db))  # type: ignore

    @contextlib.contextmanager
    def timed_transaction(db: Any) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            stack.enter_context(transaction(db))
            yield
            started = time.perf_counter()
            stack.close()  # the commit
            _count("COMMIT", started)

    evaluator.sqlite_sql.write_transaction = timed_transaction  # type: ignore
    folder = Path(tempfile.mkdtemp(prefix="profile-event-tick-"))
    try:
        open_store(folder)
        bench_event_tick.setup(args.rows)
        started = time.perf_counter()
        evaluator.Evaluator(batch_size=args.batch_size).tick(bench_event_tick.NOW)
        print(f"tick taking {args.rows:,} new events: {time.perf_counter() - started:.2f} s")
        for key, seconds in SECONDS.most_common(12):
            print(f"{seconds:7.2f} s {CALLS[key]:5d}x  {key}")
    finally:
        close_store()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
