"""Upgrade figure (docs/BENCHMARKS.md, "Ids never given twice"): opening a schema 11
database of 1,000,000 runs and 1,000,000 messages, which rebuilds both tables with
AUTOINCREMENT (schema 12), keeping every row, id and index.

The schema 11 file is the schema 8 dump (tests/store/fixtures/schema_v8.sql) brought to 11
by the upgrades up to 11, then filled with plain sqlite3: one journey, a run and a message
per customer, a conversion and a delivery report for one message in ten (the rows that
point at the two tables, kept aside and put back by the upgrade).

    .venv/bin/python bench/bench_migration_ids.py [--rows N]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journey_desktop.store import close_store, migrations, open_store  # noqa: E402

DUMP = ROOT / "tests" / "store" / "fixtures" / "schema_v8.sql"


def make_v11(data: Path, count: int) -> None:
    path = data / "journeys.db"
    conn = sqlite3.connect(path)
    conn.executescript(DUMP.read_text(encoding="utf-8"))
    conn.close()
    steps, version = migrations.MIGRATIONS, migrations.SCHEMA_VERSION
    migrations.MIGRATIONS = {v: step for v, step in steps.items() if v <= 11}
    migrations.SCHEMA_VERSION = 11
    try:
        open_store(data)
        close_store()
    finally:
        migrations.MIGRATIONS, migrations.SCHEMA_VERSION = steps, version
    for backup in data.glob("journeys.db.v*.bak"):
        backup.unlink()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for table in ("delivery", "conversion", "delivery_count", "message_count", "run",
                  "outbox"):
        conn.execute(f"DELETE FROM {table}")
    now = 1_700_000_000
    conn.executemany(
        "INSERT INTO run (id, journey_id, external_id, entry_number, state, node, due_at,"
        " started_at, path) VALUES (?, 1, ?, 1, 'in_progress', 'wait', ?, ?, ?)",
        ((i, f"C{i:07d}", now + 86400, now, f"start@{now} wait@{now} ")
         for i in range(1, count + 1)))
    conn.executemany(
        "INSERT INTO outbox (id, journey_id, external_id, entry_number, node, channel, title,"
        " body, url, extra, due_at, created_at, exported_at, status, send_at)"
        " VALUES (?, 1, ?, 1, 'hello', 'email', 'Hello', ?, '', '{}', ?, ?, ?, ?, ?)",
        ((i, f"C{i:07d}", f"Hi Name{i}, news for you", now, now, now if i % 2 else None,
          "exported" if i % 2 else "ready", now) for i in range(1, count + 1)))
    conn.execute(
        "INSERT INTO conversion (run_id, journey_id, external_id, entry_number, started_at,"
        " converted_at, event_seq) SELECT id, 1, external_id, 1, started_at, started_at + 60,"
        " 1 FROM run WHERE id % 10 = 0")
    conn.execute(
        "INSERT INTO delivery (outbox_id, level, sent_at, detail, early, line, imported_at,"
        " import_id) SELECT id, 1, created_at, '', 0, id, created_at, 1 FROM outbox"
        " WHERE id % 10 = 0")
    conn.execute("COMMIT")
    conn.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    step = migrations.MIGRATIONS[12]
    timed: list[float] = []

    def timed_step(db, path):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        step(db, path)
        timed.append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        make_v11(data, args.rows)
        migrations.MIGRATIONS[12] = timed_step
        started = time.perf_counter()
        open_store(data)
        seconds = time.perf_counter() - started
        close_store()
        migrations.MIGRATIONS[12] = step
        conn = sqlite3.connect(data / "journeys.db")
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("run", "outbox", "conversion", "delivery")]
        conn.close()
    print(f"upgrade 11 -> 12 of {counts[0]:,} runs and {counts[1]:,} messages "
          f"({counts[2]:,} conversions, {counts[3]:,} delivery rows kept): {seconds:.1f} s "
          f"to open (backup copy included), of which the rebuild {timed[0]:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
