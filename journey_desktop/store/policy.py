"""The messaging policy as stored (SPEC §13): one setting for the whole database, read by
the evaluator at each tick, so a change applies from the next tick; every change is logged."""

from __future__ import annotations

import logging
import sqlite3
import time

from peewee import Database

from journey_desktop.domain.policy import SETTING_KEY, Policy, PolicyError
from journey_desktop.store.db import database
from journey_desktop.store.plan_notes import note_policy_change
from journey_desktop.store.sqlite_sql import write_transaction

log = logging.getLogger(__name__)


def _db(db: Database | None) -> Database:
    return db if db is not None else database


def read_policy_text(conn: sqlite3.Connection | Database) -> str | None:
    """The stored policy's JSON text, or None (no policy), on a raw or peewee connection."""
    sql = "SELECT value FROM setting WHERE key = ?"
    if isinstance(conn, sqlite3.Connection):
        row = conn.execute(sql, (SETTING_KEY,)).fetchone()
    else:
        row = conn.execute_sql(sql, (SETTING_KEY,)).fetchone()
    return None if row is None else str(row[0])


def load_policy(db: Database | None = None) -> Policy:
    """The stored policy; one that cannot be read (written by hand) counts as none, logged."""
    text = read_policy_text(_db(db))
    try:
        return Policy.from_json(text)
    except PolicyError as exc:
        log.error("the stored messaging policy cannot be read (%s): no policy applies", exc)
        return Policy()


def save_policy(policy: Policy, db: Database | None = None, *, now: int | None = None) -> None:
    """Store the policy (an empty one removes the setting); it applies from the next tick.
    When it changed (``now``) is noted for the plan against actual."""
    db = _db(db)
    with write_transaction(db):
        note_policy_change(db, int(time.time()) if now is None else int(now))
        if policy.empty and not policy.timezone_field:
            db.execute_sql("DELETE FROM setting WHERE key = ?", (SETTING_KEY,))
        else:
            db.execute_sql(
                "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value", (SETTING_KEY, policy.to_json()))
    log.info("messaging policy changed, applies from the next tick: %s",
             "; ".join(policy.lines()))


def clear_policy(db: Database | None = None, *, now: int | None = None) -> None:
    save_policy(Policy(), db, now=now)


def cap_history_since(start: int, db: Database | None = None) -> int | None:
    """How far back the caps look from ``start`` (the forecast copies that much of the
    outbox); None without caps. A calendar week reaches back at most 8 days."""
    caps = load_policy(db).caps
    if not caps:
        return None
    reach = max(cap.seconds if not cap.calendar else (8 if "week" in cap.calendar else 2)
                * 86_400 for cap in caps)
    return int(start) - reach
