"""Where applying a delivery report of ``bench_delivery.py`` spends its time on SQLite: each
step of ``store.sqlite_delivery`` timed, wall and CPU of the importing thread, summed over
the batches (a profiling aid, not a figure with a target; ``run_all.py`` does not run it).

    python bench/profile_delivery.py [--messages N] [--statuses opened,clicked]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_delivery  # noqa: E402

from journey_desktop.store import close_store, open_store, sqlite_bulk  # noqa: E402
from journey_desktop.store import sqlite_delivery as steps  # noqa: E402
from journey_desktop.store.delivery import import_report  # noqa: E402
from journey_desktop.store.delivery_status import database_id  # noqa: E402

WALL: Counter[str] = Counter()
CPU: Counter[str] = Counter()


@contextlib.contextmanager
def timed(name: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        WALL[name] += time.perf_counter() - wall
        CPU[name] += time.thread_time() - cpu


def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with timed(name):
            return function(*args, **kwargs)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--statuses", default="opened")
    args = parser.parse_args()
    for name in ("_pick_in_order", "_note", "_events", "_count", "_move"):
        setattr(steps, name, wrap(name.strip("_"), getattr(steps, name)))
    steps._Stage.write = wrap("stage", steps._Stage.write)  # type: ignore[method-assign]
    sqlite_bulk.EventInsert.finish = wrap(  # type: ignore[method-assign]
        "events' index built again", sqlite_bulk.EventInsert.finish)
    transaction = sqlite_bulk.write_transaction

    @contextlib.contextmanager
    def timed_transaction() -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            stack.enter_context(transaction())
            yield
            with timed("commit"):
                stack.close()

    sqlite_bulk.write_transaction = timed_transaction  # type: ignore[assignment]
    folder = Path(tempfile.mkdtemp(prefix="profile-delivery-"))
    try:
        open_store(folder / "data")
        bench_delivery.fill(args.messages)
        path = folder / "report.csv"
        lines = bench_delivery.write_report(path, database_id(), args.messages,
                                            tuple(args.statuses.split(",")))
        wall, cpu, own = time.perf_counter(), bench_delivery.own_cpu(), time.thread_time()
        result = import_report(path)
        wall, cpu = time.perf_counter() - wall, bench_delivery.own_cpu() - cpu
        own = time.thread_time() - own
        print(f"apply {lines:,} lines ({result.applied:,} applied): {wall:.2f} s, CPU"
              f" {cpu:.2f} s (importing thread {own:.2f} s, reading thread about"
              f" {cpu - own:.2f} s)")
        for name, seconds in WALL.most_common():
            print(f"{seconds:7.2f} s  CPU {CPU[name]:6.2f} s  {name}")
        print(f"{wall - sum(WALL.values()):7.2f} s  the rest (the pick, deletes, progress)")
    finally:
        close_store()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
