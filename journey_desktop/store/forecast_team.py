"""The forecast on a team database (SPEC §8, §14): the rows it needs, in a SQLite file.

``forecast_copy.copy_journey`` makes the forecast's copy from a SQLite file. On a team
database this module first fills a file of the current schema with the rows that copy
can take (a superset, read in one snapshot), so the copy, and all that runs on it, is the
same on both databases by construction.
"""

from __future__ import annotations

from pathlib import Path

from peewee import Database, SqliteDatabase

from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.domain.lifecycle import ACTIVE, IN_PROGRESS
from journey_desktop.store.db import database
from journey_desktop.store.forecast_copy import COPY_PRAGMAS
from journey_desktop.store.forecast_goals import ended_since_of
from journey_desktop.store.postgres import PostgresStore
from journey_desktop.store.team_copy import copy_rows, create_sqlite_schema


def stage(target: Path, journey_id: int, start: int, *, with_active: bool,
          history_since: int | None, db: Database | None = None) -> None:
    """Fill the new SQLite file ``target`` with the team database's rows that
    ``copy_journey`` may take for ``journey_id`` (and every active journey with
    ``with_active``): every journey (the caps' history asks each one's policy), their
    members, the profiles they read, the runs in progress and those a goal can still
    convert, their event marks, queues and timeouts, the events of the customers whose
    profiles come, the outbox the caps count, the settings, and the event sequence."""
    team = getattr(db if db is not None else database, "obj", db)
    assert isinstance(team, PostgresStore)
    file = SqliteDatabase(str(target), pragmas=COPY_PRAGMAS)
    file.connect()
    try:
        create_sqlite_schema(file)
        conn = file.connection()
        nested = team.in_transaction()
        with team.atomic(), file.atomic():
            if not nested:  # one snapshot for every table (inside a caller's: its own)
                team.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            rows = team.execute_sql(
                "SELECT id, definition, audience FROM journey WHERE id = ?"
                + (" OR status = ?" if with_active else ""),
                (journey_id, *([ACTIVE] if with_active else [])),
            ).fetchall()
            definition = next((row[1] for row in rows if row[0] == journey_id), None)
            ids = ", ".join(str(int(row[0])) for row in rows) or "NULL"
            in_ids = f"journey_id IN ({ids})"
            members = f"SELECT external_id FROM member WHERE {in_ids}"
            everyone = any(row[2] == AUDIENCE_ALL for row in rows)
            ended = ended_since_of(definition, start)
            for table in ("schema_version", "setting", "journey"):
                copy_rows(team, conn, table)
            copy_rows(team, conn, "member", f"WHERE {in_ids}")
            copy_rows(team, conn, "profile",
                      "" if everyone else f"WHERE external_id IN ({members})")
            copy_rows(team, conn, "run",
                      f"WHERE ({in_ids} AND state = '{IN_PROGRESS}')" + (
                          "" if ended is None else
                          f" OR (journey_id = {int(journey_id)} AND started_at >= {ended})"))
            for table in ("event_mark", "event_queue", "wait_timeout"):
                copy_rows(team, conn, table, f"WHERE {in_ids}")
            # Everyone's events for a journey for everyone (its draft's members are
            # enrolled in the copy only), as the profiles.
            copy_rows(team, conn, "event",
                      "" if everyone else f"WHERE external_id IN ({members}) OR seq IN"
                      f" (SELECT seq FROM event_queue WHERE {in_ids})")
            if history_since is not None:
                copy_rows(team, conn, "outbox",
                          "WHERE send_at >= ? AND status <> 'suppressed'",
                          (int(history_since),))
            # Events imported into the copy (a forecast's events file) come after every event
            # of the team database, copied or not, and after every seq the copied watermarks
            # hold. The highest seq in a row answers that as the sequence would, and a role
            # that may only read the tables may read it (not the sequence). The copied events
            # already left a row here, which SQLite would keep using.
            highest = int(team.execute_sql("SELECT max(seq) FROM event").fetchone()[0] or 0)
            marks = conn.execute(
                "SELECT max(seq) FROM (SELECT max(seq) AS seq FROM event_mark"
                " UNION ALL SELECT max(seq) FROM event_queue"
                " UNION ALL SELECT max(event_seq) FROM run"
                " UNION ALL SELECT max(matched_seq) FROM run"
                " UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'event')").fetchone()[0]
            conn.execute("DELETE FROM sqlite_sequence WHERE name = 'event'")
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('event', ?)",
                         (max(highest, int(marks or 0)),))
    finally:
        file.close()
