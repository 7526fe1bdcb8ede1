"""Events import: 1,000,000 events in a 5-column CSV (userId,event,timestamp,messageId,cartId).

Prints the import time as a ratio to the ``sqlite3`` command-line tool's ``.import`` of the
same file into a table keyed on the event key (target: at most 2.0x), measured in the same
run, and the import's peak memory. With ``--indexes``, also the import time with each of the
event table's secondary indexes left out (what each index costs the import).

    python bench/bench_events.py [--rows N] [--repeat N] [--indexes]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import run_measured  # noqa: E402  (beside this script)

HEADER = "userId,event,timestamp,messageId,cartId\n"
EVENTS = ("view", "add_to_cart", "purchase", "open_app", "checkout")
START = 1_767_225_600  # 2026-01-01T00:00:00Z
TARGET_RATIO = 2.0
INDEXES = ("event_external_id_name_occurred_at",)


def generate(path: Path, rows: int) -> None:
    """100,000 customers, five event names, ISO 8601 UTC timestamps over a month, unique
    message IDs: about 80 bytes a row."""
    rnd = random.Random(11)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        chunk: list[str] = []
        for i in range(rows):
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(START + rnd.randrange(2_592_000)))
            chunk.append(f"user{rnd.randrange(100_000):06d},{rnd.choice(EVENTS)},{ts}."
                         f"{rnd.randrange(1000):03d}Z,msg-{i:09d},cart-{rnd.randrange(10**6)}\n")
            if len(chunk) == 10_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)


def sqlite_baseline(sqlite3: str, csv_path: Path, work: Path) -> float:
    """``.import`` into a table keyed on the event key, with the application's pragmas."""
    db = work / "baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    script = (
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA cache_size=-32000;\n"
        "CREATE TABLE event (userId TEXT, event TEXT, timestamp TEXT,"
        " messageId TEXT PRIMARY KEY, cartId TEXT);\n"
        f".import --csv --skip 1 '{csv_path}' event\n"
        "SELECT count(*) FROM event;\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sqlite3, str(db)], input=script, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode or result.stderr.strip():
        raise SystemExit(f"sqlite3 .import failed: {result.stderr.strip()}")
    return elapsed


def child_import(data_dir: str, csv_path: str, without: str) -> None:
    """In a fresh process: what ``events import`` does after opening the store."""
    from journey_desktop.domain.events_file import EventPlan, preview_events
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.db import database
    from journey_desktop.store.events import EventStore

    open_store(Path(data_dir))
    if without:
        database.execute_sql(f'DROP INDEX "{without}"')
    started = time.perf_counter()
    plan = EventPlan.from_preview(preview_events(csv_path, max_rows=0))
    result = EventStore().import_file(plan)
    elapsed = time.perf_counter() - started
    result.rejects.close()
    close_store()
    print(json.dumps({"seconds": elapsed, "read": result.read, "added": result.added}))


def measure(csv_path: Path, work: Path, repeat: int, without: str = "") -> tuple[float, float]:
    """The median import time and the largest peak memory over ``repeat`` fresh databases."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seconds: list[float] = []
    peak = 0.0
    for run in range(repeat):
        data = work / f"data-{without or 'all'}-{run}"
        _, rss, out = run_measured(
            [sys.executable, __file__, "--child", str(data), str(csv_path), without], env=env)
        figures = json.loads(out)
        seconds.append(figures["seconds"])
        peak = max(peak, rss)
        shutil.rmtree(data, ignore_errors=True)
    return statistics.median(seconds), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--indexes", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("DATA_DIR", "CSV", "WITHOUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    try:
        csv_path = work / "events.csv"
        generate(csv_path, args.rows)
        print(f"file: {args.rows:,} events, 5 columns, "
              f"{csv_path.stat().st_size / 1e6:.1f} MB")
        seconds, peak = measure(csv_path, work, args.repeat)
        print(f"events import: {seconds:.2f} s (median of {args.repeat}), "
              f"peak memory {peak:.0f} MB")
        sqlite3 = shutil.which("sqlite3")
        status = 0
        if sqlite3 is None:
            print("sqlite3 command-line tool not found: the ratio is skipped")
        else:
            base = statistics.median(sqlite_baseline(sqlite3, csv_path, work)
                                     for _ in range(args.repeat))
            ratio = seconds / base
            verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
            print(f"sqlite3 .import keyed on the event key: {base:.2f} s; "
                  f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x) {verdict}")
            status = 0  # figures are reported, as by the other benchmarks; the verdict says
        if args.indexes:
            for index in INDEXES:
                without, _ = measure(csv_path, work, args.repeat, index)
                print(f"without {index}: {without:.2f} s ({seconds - without:+.2f} s for it)")
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
