"""Delivery reports: applying a 1,000,000-line report against ``sqlite3``'s ``.import`` of
the same file into a table keyed on (message_id, status) (target: at most 2.0x), and the
statistics of a journey with 1,000,000 messages and 3,000,000 report lines (target: < 1 s).
The CPU seconds of both (every thread of the import, the ``sqlite3`` process) are printed
too: on a shared machine they move less with the load than the wall times.

    python bench/bench_delivery.py [--messages N]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.db import database  # noqa: E402
from journey_desktop.store.delivery import import_report, node_delivery  # noqa: E402
from journey_desktop.store.delivery_status import database_id  # noqa: E402
from journey_desktop.store.stats import journey_stats  # noqa: E402

START = 1_767_225_600  # 2026-01-01T00:00:00Z
DEFINITION = (ROOT / "resources" / "examples" / "welcome-series.json").read_text("utf-8")


def fill(messages: int) -> None:
    """One active journey with ``messages`` messages over four nodes, written by SQL."""
    database.execute_sql(
        "INSERT INTO journey (id, name, name_key, description, status, definition,"
        " audience_columns, audience, created_at, updated_at, activated_at)"
        " VALUES (1, 'Bench', 'bench', '', 'active', ?, '{}', 'csv', ?, ?, ?)",
        (DEFINITION, START, START, START))
    database.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO outbox (id, journey_id, external_id, entry_number, node, channel, title,"
        " body, url, extra, due_at, created_at, status)"
        " SELECT i, 1, 'c' || i, 1, 'm' || (i % 4), 'push', 't', 'b', '', '{}',"
        " ? + i % 86400, ? + i % 86400, 'exported' FROM n", (messages, START, START))
    # What the evaluator keeps as it writes them: messages written per node.
    database.execute_sql(
        "INSERT INTO message_count (journey_id, node, channel, written)"
        " SELECT journey_id, node, channel, count(*) FROM outbox GROUP BY 1, 2, 3")
    # And the runs that wrote them, so the journey's counts read a million runs too.
    database.execute_sql(
        "INSERT INTO run (journey_id, external_id, entry_number, state, node, started_at,"
        " ended_at, end_reason, path) SELECT 1, external_id, 1, 'completed', node, due_at,"
        " due_at, 'exit', '' FROM outbox")


def write_report(path: Path, dbid: str, messages: int, statuses: tuple[str, ...]) -> int:
    lines = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("message_id,status,timestamp\n")
        for status in statuses:
            for i in range(1, messages + 1):
                out.write(f"{dbid}-{i},{status},{START + 3600 + i % 86400}\n")
                lines += 1
    return lines


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sqlite_import(path: Path, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``sqlite3``'s ``.import`` into a keyed table."""
    target = folder / "keyed.db"
    target.unlink(missing_ok=True)
    script = ("CREATE TABLE r (message_id TEXT, status TEXT, timestamp TEXT,"
              " PRIMARY KEY (message_id, status));\n.mode csv\n"
              f".import --skip 1 {path} r\n")
    started, cpu = time.perf_counter(), child_cpu()
    subprocess.run(["sqlite3", str(target)], input=script, text=True, check=True)
    return time.perf_counter() - started, child_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    try:
        open_store(folder / "data")
        fill(args.messages)
        dbid = database_id()
        first = folder / "opened.csv"
        lines = write_report(first, dbid, args.messages, ("opened",))
        baseline, baseline_cpu = sqlite_import(first, folder)
        started, cpu = time.perf_counter(), own_cpu()
        result = import_report(first)
        applied, applied_cpu = time.perf_counter() - started, own_cpu() - cpu
        print(f"apply {lines:,} lines: {applied:.2f} s (applied {result.applied:,});"
              f" sqlite3 .import: {baseline:.2f} s; ratio {applied / baseline:.2f}x"
              " (target 2.0x)")
        print(f"  CPU (every thread): apply {applied_cpu:.2f} s, .import {baseline_cpu:.2f} s;"
              f" ratio {applied_cpu / baseline_cpu:.2f}x")
        more = folder / "more.csv"
        write_report(more, dbid, args.messages, ("clicked", "unsubscribed"))
        started = time.perf_counter()
        import_report(more)
        print(f"then {2 * args.messages:,} more lines: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        journey_stats(1, database)
        rows = node_delivery(1)
        print(f"statistics of {args.messages:,} messages and {3 * args.messages:,} report"
              f" lines: {time.perf_counter() - started:.3f} s (target 1 s), {len(rows)} nodes")
        close_store()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
