"""What the reads of a team database rely on (SPEC §14): a named lock that keeps two
writers of one lock row apart, figures read as SQLite gives them, a run's last node."""

from __future__ import annotations

import json

from journey_desktop.store import dialect
from journey_desktop.store.postgres import connect_postgres

TRY = "SELECT pg_try_advisory_xact_lock(hashtext(?))"


def test_a_writer_holding_the_lock_keeps_the_other_out_until_it_commits(team_url):
    first, second = connect_postgres(team_url), connect_postgres(team_url)
    try:
        with first.atomic():
            dialect.lock_writers(first, "journey-desktop outbox export")
            with second.atomic():
                assert second.execute_sql(TRY, ("journey-desktop outbox export",)
                                          ).fetchone()[0] is False
                assert second.execute_sql(TRY, ("journey-desktop evaluator",)
                                          ).fetchone()[0] is True
        with second.atomic():
            assert second.execute_sql(TRY, ("journey-desktop outbox export",)
                                      ).fetchone()[0] is True
    finally:
        first.close()
        second.close()


def test_sums_are_whole_numbers_and_averages_floats_as_on_sqlite(team_url):
    db = connect_postgres(team_url)
    try:
        total, mean = db.execute_sql(
            "SELECT sum(x), avg(x) FROM (VALUES (1::bigint), (2::bigint)) AS t(x)").fetchone()
        assert (total, type(total), mean) == (3, int, 1.5)
        assert json.dumps({"n": total}) == '{"n": 3}'
    finally:
        db.close()


def test_the_last_node_of_a_run_path(team_url):
    db = connect_postgres(team_url)
    try:
        sql = dialect.sql(db)
        for path, last in (("start@1\nwait_2@20\n", "wait_2"), ("a@5\n", "a"),
                           ("x@1\ny@2\nz9@33", "z9")):
            found = db.execute_sql(f"SELECT {sql.run_path_last_node()}"
                                   " FROM (SELECT ? AS path) AS r", (path,)).fetchone()[0]
            assert found == last
            assert db.execute_sql(f"SELECT {sql.run_path_reaches()} FROM (SELECT ? AS path)"
                                  " AS r", (last, path)).fetchone()[0] is True
    finally:
        db.close()
