"""Customer search: one page of a case-insensitive ID prefix search over 1,000,000 profiles.

Run alone with ``.venv/bin/python bench/bench_customer_search.py [--customers N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey_desktop.store import close_store, open_store  # noqa: E402
from journey_desktop.store.customers import CustomerBase  # noqa: E402

CUSTOMERS = 1_000_000
RUNS = 9
PAGE = 100
TARGET_MS = 50.0
PREFIXES = ("c", "Cu", "cust-0004", "CUST-00042", "CuSt-0004217", "user", "zz")


def populate(data_dir: Path, customers: int) -> None:
    """IDs in mixed case (``cust-…`` and ``Cust-…``), with three fields each."""
    db = open_store(data_dir)
    conn = db.connection()
    stamp = int(time.time())
    rows = (
        (f"{'Cust' if i % 3 == 0 else 'cust'}-{i:07d}",
         json.dumps({"firstName": f"Name {i}", "city": "Madrid", "score": i % 100}),
         stamp, stamp)
        for i in range(customers)
    )
    with db.atomic():
        conn.executemany(
            "INSERT INTO profile (external_id, fields, created_at, updated_at) "
            "VALUES (?, ?, ?, ?)", rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        populate(Path(tmp), args.customers)
        print(f"{args.customers:,} profiles written in {time.perf_counter() - started:.1f} s")
        base = CustomerBase()
        worst = 0.0
        for prefix in PREFIXES:
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                rows = base.search(prefix, PAGE)
                if rows:
                    base.search(prefix, PAGE, after=rows[-1].external_id)
                times.append((time.perf_counter() - t0) * 1000 / (2 if rows else 1))
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"search {prefix!r:16} {len(rows):4} rows  {median:6.2f} ms a page (median)")
        t0 = time.perf_counter()
        total = base.count()
        print(f"count(): {total:,} in {(time.perf_counter() - t0) * 1000:.0f} ms")
        close_store()
    print(f"worst page {worst:.2f} ms (target {TARGET_MS:.0f} ms)")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
