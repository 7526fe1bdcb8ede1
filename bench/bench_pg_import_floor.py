"""The floor under an audience import on a team database (docs/BENCHMARKS.md): the rows
of the 1,000,000-row audience file, already in the form the app stores them, sent with
``COPY`` straight into ``profile`` and ``member`` of a migrated database (no staging, no
merge, no parsing: less than any import can do), against ``COPY`` of the file into one
table keyed on the ID, the baseline of ``bench_pg_import.py``; then the same with
``member``'s foreign key to ``journey`` dropped, to show what its per-row check costs; and
in the same loop the import itself (``bench_pg_import.py``'s, in a fresh process), against
both.

    python bench/bench_pg_import_floor.py [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_import import generate  # noqa: E402
from bench_pg_import import (  # noqa: E402
    COPY_CHUNK,
    TEMPLATE,
    admin,
    copy_baseline,
    database_url,
    team_server,
    timed_import,
)

NOW = 1_767_225_600


def stored_rows(csv_path: Path) -> tuple[bytes, bytes]:
    """``profile`` and ``member`` rows in COPY's text format (formatted before timing)."""
    profiles, members = io.StringIO(), io.StringIO()
    with csv_path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        header = next(reader)
        for row in reader:
            fields = json.dumps(dict(zip(header[1:], row[1:], strict=True)), ensure_ascii=False)
            profiles.write(f"{row[0]}\t{fields.replace(chr(92), chr(92) * 2)}\t{NOW}\t{NOW}\n")
            members.write(f"1\t{row[0]}\t0\t{NOW}\n")
    return profiles.getvalue().encode(), members.getvalue().encode()


def copy_stored(url: str, rows: tuple[bytes, bytes], *, foreign_key: bool) -> tuple[float, float]:
    """Seconds of the two ``COPY``s, one transaction, into a fresh migrated database."""
    import psycopg

    admin(url, "DROP DATABASE IF EXISTS floor_run")
    admin(url, f'CREATE DATABASE floor_run TEMPLATE "{TEMPLATE}"')
    with psycopg.connect(database_url(url, "floor_run")) as conn:
        conn.execute(
            "INSERT INTO journey (id, name, name_key, description, status, definition,"
            " audience_columns, audience, created_at, updated_at)"
            " VALUES (1, 'Floor', 'floor', '', 'draft', '{}', '{}', 'csv', %s, %s)", (NOW, NOW))
        if not foreign_key:
            (name,) = conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'member'::regclass"
                " AND contype = 'f'").fetchone()
            conn.execute(f'ALTER TABLE member DROP CONSTRAINT "{name}"')
        conn.commit()
        times = []
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for table, columns, data in (
                    ("profile", "external_id, fields, created_at, updated_at", rows[0]),
                    ("member", "journey_id, external_id, entries, imported_at", rows[1])):
                begun = time.perf_counter()
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for at in range(0, len(data), COPY_CHUNK):
                        copy.write(data[at:at + COPY_CHUNK])
                times.append(time.perf_counter() - begun)
        conn.commit()
        times.append(time.perf_counter() - started)
    return times[0], times[2]


def app_import(url: str, csv_path: Path, work: Path, rows: int) -> float:
    """Seconds of the app's import into a new draft of a fresh migrated database."""
    admin(url, "DROP DATABASE IF EXISTS floor_import")
    admin(url, f'CREATE DATABASE floor_import TEMPLATE "{TEMPLATE}"')
    return timed_import(HERE.parent, work / "data", csv_path,
                        database_url(url, "floor_import"), rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with team_server("bench-pg-floor-") as (work, url):
        admin(url, 'CREATE DATABASE "floor_copy"')
        csv_path = work / "audience.csv"
        generate(csv_path, args.rows)
        rows = stored_rows(csv_path)
        print(f"file: {args.rows:,} rows, 4 columns")
        for _ in range(args.repeat):
            baseline = copy_baseline(database_url(url, "floor_copy"), csv_path)
            profile, both = copy_stored(url, rows, foreign_key=True)
            _, without = copy_stored(url, rows, foreign_key=False)
            imported = app_import(url, csv_path, work, args.rows)
            print(f"COPY into one keyed table {baseline:.2f} s; COPY into profile {profile:.2f} s"
                  f" and member {both - profile:.2f} s: {both:.2f} s, {both / baseline:.2f}x;"
                  f" member without its foreign key: {without:.2f} s, {without / baseline:.2f}x;"
                  f" the import {imported:.2f} s, {imported / baseline:.2f}x,"
                  f" {imported / both:.2f}x the two COPYs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
