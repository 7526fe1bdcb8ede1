"""Upgrade figure (docs/BENCHMARKS.md, "Customer base"): opening a schema 2 database of
1,000,000 customers, which merges the audiences into one customer base (schema 3).

The schema 2 file is made from the dump of a database written by the schema 2 code
(tests/store/fixtures/schema_v2.sql), filled with plain sqlite3: two journeys, the second
holding a tenth of the first's customers with one field that differs.

    .venv/bin/python bench/bench_migration.py [--customers N]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journey_desktop.store import close_store, open_store  # noqa: E402

DUMP = ROOT / "tests" / "store" / "fixtures" / "schema_v2.sql"
TARGET_SECONDS = 30.0


def make_v2(path: Path, count: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(DUMP.read_text(encoding="utf-8"))
    conn.execute("DELETE FROM customer")
    conn.execute("BEGIN")
    now = 1_700_000_000
    conn.executemany(
        "INSERT INTO customer (journey_id, external_id, fields, entries, first_check_at,"
        " next_check_at, imported_at) VALUES (1, ?, ?, 1, ?, ?, ?)",
        ((f"C{i:07d}", json.dumps({"firstName": f"Name{i}", "city": "Madrid",
                                   "birthday": "1990-05-17"}), now, now + 86400, now)
         for i in range(count)),
    )
    conn.executemany(
        "INSERT INTO customer (journey_id, external_id, fields, entries, imported_at)"
        " VALUES (2, ?, ?, 0, ?)",
        ((f"C{i:07d}", json.dumps({"firstName": f"Name{i}", "city": "Lisbon"}), now + 60)
         for i in range(0, count, 10)),
    )
    conn.execute("COMMIT")
    conn.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        make_v2(data / "journeys.db", args.customers)
        started = time.perf_counter()
        open_store(data)
        seconds = time.perf_counter() - started
        close_store()
        [report] = data.glob("journeys.db.merge-conflicts-*.csv")
        conflicts = sum(1 for _ in report.open(encoding="utf-8-sig")) - 1
    verdict = "ok" if seconds < TARGET_SECONDS else "OVER TARGET"
    print(f"upgrade of {args.customers:,} customers (+{args.customers // 10:,} in a second "
          f"journey, {conflicts:,} conflicts reported): {seconds:.1f} s "
          f"(target < {TARGET_SECONDS:.0f} s, backup copy included): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
