"""A message's delivery status as the outbox shows, filters and exports it (SPEC §15), and
the database identity message ids start with. Apart from ``delivery`` (the import), which
the outbox must not import: that would close a circle through the audience import."""

from __future__ import annotations

import secrets
from typing import Any

from peewee import Database

from journey_desktop.domain.delivery import APART, level, reached
from journey_desktop.store.db import database

DATABASE_ID_KEY = "database_id"
NO_REPORT = "none"  # the outbox filter for messages no report has named yet


def _db(db: Database | None) -> Database:
    return db if db is not None else database


def database_id(db: Database | None = None) -> str:
    """This database's random identity, the first part of every message id: made on first
    use and kept in the settings, so ids differ between databases and never change."""
    db = _db(db)
    row = db.execute_sql("SELECT value FROM setting WHERE key = ?", (DATABASE_ID_KEY,)).fetchone()
    if row is not None:
        return str(row[0])
    db.execute_sql("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (DATABASE_ID_KEY, secrets.token_hex(6)))
    return str(db.execute_sql("SELECT value FROM setting WHERE key = ?",
                              (DATABASE_ID_KEY,)).fetchone()[0])


def statuses_of(outbox_ids: list[int], db: Database | None = None) -> dict[int, list[str]]:
    """The statuses each message reached."""
    return {outbox_id: reached_ for outbox_id, (reached_, _) in deliveries_of(outbox_ids,
                                                                               db).items()}


def deliveries_of(outbox_ids: list[int],
                  db: Database | None = None) -> dict[int, tuple[list[str], str]]:
    """The statuses each message reached, and the last detail a report gave (a bounce's
    reason, ...), for a page of the outbox or of an export."""
    out: dict[int, tuple[list[str], str]] = {}
    db = _db(db)
    apart = ", ".join(f"{status}_at IS NOT NULL" for status in APART)
    for start in range(0, len(outbox_ids), 500):
        chunk = outbox_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for outbox_id, top, detail, *given in db.execute_sql(
                f"SELECT outbox_id, level, detail, {apart} FROM delivery"
                f" WHERE outbox_id IN ({marks})", chunk):
            out[int(outbox_id)] = (reached(int(top), dict(zip(APART, map(bool, given),
                                                                strict=True))), detail or "")
    return out


def filter_clause(status: str) -> tuple[str, list[Any]]:
    """The outbox filter's clause for a delivery status (NO_REPORT: none yet): a message
    counts under every status it reached, as in the statistics."""
    if status == NO_REPORT:
        return "NOT EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = o.id)", []
    if status in APART:
        return (f"EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = o.id"
                f" AND d.{status}_at IS NOT NULL)", [])
    return ("EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = o.id AND d.level >= ?)",
            [level(status)])
