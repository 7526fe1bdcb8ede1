"""A clock that goes back (SPEC §5): the last tick's time, and next checks set "in the future".

A tick made with a clock ahead of time (a wrong date, a test with ``--now``) moves every
re-entry customer's next check to after that date; when the clock is right again, nothing
would be due until then. The evaluator keeps the last tick's ``now`` in the ``setting``
table and, when a tick's ``now`` is before it, moves those checks back to their rhythm.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from peewee import Database

from journey_desktop.store import sqlite_sql

LAST_TICK_KEY = "evaluator_last_tick_at"


def last_tick(conn: Any) -> int | None:
    """The last tick's time as stored (None when there is none, or it is not a number);
    ``conn`` is either database's connection (``execute`` with ``?`` placeholders)."""
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (LAST_TICK_KEY,)).fetchone()
    try:
        return int(row[0]) if row is not None else None
    except ValueError:
        return None


def clock_went_back(db: Database, now: int) -> int | None:
    """The last tick's time when ``now`` is before it; otherwise ``now`` becomes the last."""
    last = last_tick(sqlite_sql.raw_connection(db))
    if last is not None and now < last:
        return last
    if last != now:
        record_tick(db, now)
    return None


def record_tick(db: Database, now: int) -> None:
    """Remember ``now`` as the last tick's time (after a clock that went back, too)."""
    with sqlite_sql.write_transaction(db):
        sqlite_sql.raw_connection(db).execute(
            "INSERT INTO setting (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (LAST_TICK_KEY, str(int(now))),
        )


def reschedule(db: Database, journey_id: int, reentry: bool, timeout: int, now: int,
               check_at: str | None = None) -> int:
    """Next checks after ``now`` move to their rhythm's first point at or after ``now``
    (``jd_next_check``; a customer never checked: to ``now``). A check that was right stays
    where it is; one set by the tick "in the future" comes back, so what is overdue is
    checked once, as after a sleep. Returns how many customers moved."""
    n = int(now)
    at = f", '{check_at}'" if check_at else ""  # HH:MM, validated
    rhythm = f"jd_next_check(first_check_at, {int(timeout)}, {n}, 1{at})" if reentry else str(n)
    target = f"CASE WHEN first_check_at IS NULL THEN {n} ELSE {rhythm} END"
    conn: sqlite3.Connection = sqlite_sql.raw_connection(db)
    with sqlite_sql.write_transaction(db):
        moved = conn.execute(
            f"UPDATE member SET next_check_at = {target} "
            f"WHERE journey_id = ? AND next_check_at > ? AND next_check_at <> {target}",
            (journey_id, n),
        ).rowcount
    return int(moved)
