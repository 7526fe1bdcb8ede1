"""Events import: 1,000,000 events in a 5-column CSV (userId,event,timestamp,messageId,cartId).

Prints the import time as a ratio to the ``sqlite3`` command-line tool's ``.import`` of the
same file into a table keyed on the event key (target: at most 2.0x), measured in the same
run, and the import's peak memory. The CPU time of each (the import's threads together) is
printed beside it: on a machine busy with other work it moves less than the wall time.
With ``--indexes``, also the import time with each of the
event table's secondary indexes left out (what each index costs the import).

    python bench/bench_events.py [--rows N] [--repeat N] [--indexes]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sqlite_baseline(sqlite3: str, csv_path: Path, work: Path) -> tuple[float, float]:
    """``.import`` into a table keyed on the event key, with the application's pragmas:
    wall and CPU seconds."""
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
    started, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run([sqlite3, str(db)], input=script, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if result.returncode or result.stderr.strip():
        raise SystemExit(f"sqlite3 .import failed: {result.stderr.strip()}")
    return elapsed, cpu


def child_import(data_dir: str, csv_path: str, without: str) -> None:
    """In a fresh process: what ``events import`` does after opening the store."""
    from journey_desktop.domain.events_file import EventPlan, preview_events
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.db import database
    from journey_desktop.store.events import EventStore

    open_store(Path(data_dir))
    if without:
        database.execute_sql(f'DROP INDEX "{without}"')
    started, cpu = time.perf_counter(), time.process_time()
    plan = EventPlan.from_preview(preview_events(csv_path, max_rows=0))
    result = EventStore().import_file(plan)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    result.rejects.close()
    close_store()
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "read": result.read,
                      "added": result.added}))


def measure(csv_path: Path, work: Path, repeat: int, without: str = ""
            ) -> tuple[float, float, float]:
    """The median import time, its median CPU time and the largest peak memory over
    ``repeat`` fresh databases."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seconds: list[float] = []
    cpus: list[float] = []
    peak = 0.0
    for run in range(repeat):
        data = work / f"data-{without or 'all'}-{run}"
        _, rss, out = run_measured(
            [sys.executable, __file__, "--child", str(data), str(csv_path), without], env=env)
        figures = json.loads(out)
        seconds.append(figures["seconds"])
        cpus.append(figures["cpu"])
        peak = max(peak, rss)
        shutil.rmtree(data, ignore_errors=True)
    return statistics.median(seconds), statistics.median(cpus), peak


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
        print(f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
              if Path("/proc/loadavg").exists() else "")
        seconds, cpu, peak = measure(csv_path, work, args.repeat)
        print(f"events import: {seconds:.2f} s (median of {args.repeat}; CPU {cpu:.2f} s), "
              f"peak memory {peak:.0f} MB")
        sqlite3 = shutil.which("sqlite3")
        status = 0
        if sqlite3 is None:
            print("sqlite3 command-line tool not found: the ratio is skipped")
        else:
            runs = [sqlite_baseline(sqlite3, csv_path, work) for _ in range(args.repeat)]
            base = statistics.median(wall for wall, _ in runs)
            base_cpu = statistics.median(cpu for _, cpu in runs)
            ratio = seconds / base
            verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
            print(f"sqlite3 .import keyed on the event key: {base:.2f} s (CPU {base_cpu:.2f} s); "
                  f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x) {verdict}; "
                  f"CPU ratio {cpu / base_cpu:.2f}x")
            status = 0  # figures are reported, as by the other benchmarks; the verdict says
        if args.indexes:
            for index in INDEXES:
                without, _, _ = measure(csv_path, work, args.repeat, index)
                print(f"without {index}: {without:.2f} s ({seconds - without:+.2f} s for it)")
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
