"""SQLite-only part of the forecast: a throwaway copy of one journey in a fresh file.

The copy is made on a connection to the new file with the real database ATTACHed
read-only (``mode=ro``), so nothing can be written to it, not even a WAL checkpoint; the
schema is the real file's own (``sqlite_master``), so the engine finds the same tables and
indexes it runs on; rows move with ``INSERT … SELECT`` inside one read transaction, so the
journey, its customers and its runs are one consistent snapshot. A port to another
database replaces this module.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.domain.lifecycle import ACTIVE, IN_PROGRESS

# The throwaway file needs no durability: a crash loses nothing that matters.
COPY_PRAGMAS = {
    "journal_mode": "memory",
    "synchronous": "off",
    "foreign_keys": 0,
    "cache_size": -65536,
    "temp_store": "memory",
}
_ALIAS = "jd_source"


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def copy_journey(source: Path, target: Path, journey_id: int,
                 ended_since: int | None = None, *, with_active: bool = False,
                 history_since: int | None = None) -> list[int]:
    """Create ``target`` with ``source``'s schema holding one journey, its whole audience
    with their profiles, its runs in progress and the settings; node counters start empty,
    and the outbox holds only what the caps count (``history_since``, SPEC §13).
    ``ended_since``: the journey's ended runs that started then or later come too (a goal
    can still convert them: ``forecast_goals.ended_since``). ``with_active`` adds every
    active journey the same way, in the same snapshot (the collision report ticks them
    together); returns the ids copied."""
    conn = sqlite3.connect(_uri(target, "rwc"), uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = memory")
        conn.execute("PRAGMA synchronous = off")
        conn.execute(f"ATTACH DATABASE ? AS {_ALIAS}", (_uri(source, "ro"),))
        conn.execute("BEGIN")
        schema = conn.execute(
            f"SELECT type, sql FROM {_ALIAS}.sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid"
        ).fetchall()
        for _type, sql in schema:
            conn.execute(sql)
        jid = int(journey_id)
        active = f" OR status = '{ACTIVE}'" if with_active else ""
        # The journeys copied are those of main.journey, inserted first.
        ids = "(SELECT id FROM main.journey)"
        for table, where in (
            ("schema_version", ""),
            ("setting", ""),
            ("journey", f"WHERE id = {jid}{active}"),
            ("member", f"WHERE journey_id IN {ids}"),
            # The profiles the journeys read: their members', or everyone's.
            ("profile", f"WHERE EXISTS (SELECT 1 FROM main.journey WHERE audience ="
                        f" '{AUDIENCE_ALL}') OR external_id IN"
                        f" (SELECT external_id FROM main.member)"),
            ("run", f"WHERE (journey_id IN {ids} AND state = '{IN_PROGRESS}')"
                    + ("" if ended_since is None
                       else f" OR (journey_id = {jid} AND started_at >= {int(ended_since)})")),
            # What they have still to take of events (SPEC §11), and the events their waits,
            # history conditions and event data read: those of the customers whose profiles
            # came (a draft for everyone enrols them in the copy), of their members, and
            # their queued ones.
            ("event_mark", f"WHERE journey_id IN {ids}"),
            ("event_queue", f"WHERE journey_id IN {ids}"),
            ("wait_timeout", f"WHERE journey_id IN {ids}"),
            ("event", "WHERE external_id IN (SELECT external_id FROM main.profile)"
                      " OR external_id IN (SELECT external_id FROM main.member)"
                      " OR seq IN (SELECT seq FROM main.event_queue)"),
        ):
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM {_ALIAS}.{table} {where}")
        # Events imported into the copy (a forecast's events file) must come after every
        # event of the real file, copied or not: the watermarks copied count on that.
        conn.execute("DELETE FROM main.sqlite_sequence WHERE name = 'event'")
        conn.execute(f"INSERT INTO main.sqlite_sequence (name, seq) SELECT 'event', seq FROM"
                     f" {_ALIAS}.sqlite_sequence WHERE name = 'event'")
        if history_since is not None:
            _copy_cap_history(conn, jid, int(history_since))
        copied = [int(row[0]) for row in conn.execute("SELECT id FROM main.journey ORDER BY id")]
        conn.execute("COMMIT")
        conn.execute(f"DETACH DATABASE {_ALIAS}")
        return copied
    finally:
        conn.close()


def _copy_cap_history(conn: sqlite3.Connection, jid: int, since: int) -> None:
    """The audience's messages since ``since`` from every journey that obeys caps, which
    the caps count (SPEC §13): under the copied journey (another journey's under a node
    name of its own, so no key collides), created before the forecast's first tick."""
    conn.execute(
        "INSERT INTO main.outbox (journey_id, external_id, entry_number, node, channel,"
        " title, body, url, extra, due_at, created_at, exported_at, status, send_at, reason)"
        f" SELECT {jid}, o.external_id, o.entry_number, CASE WHEN o.journey_id = {jid}"
        " THEN o.node ELSE '~' || o.journey_id || ':' || o.node END, o.channel, '', '', '',"
        f" '{{}}', o.due_at, o.created_at, o.exported_at, o.status, o.send_at, o.reason"
        f" FROM {_ALIAS}.outbox o WHERE o.send_at >= ? AND o.status <> 'suppressed'"
        f" AND o.external_id IN (SELECT external_id FROM main.profile)"
        f" AND o.journey_id NOT IN (SELECT id FROM {_ALIAS}.journey"
        "  WHERE json_extract(definition, '$.policy.caps') = 0)", (since,))


def open_copy(target: Path) -> SqliteDatabase:
    """The copy as a peewee database for the engine (one connection per thread)."""
    return SqliteDatabase(str(target), pragmas=COPY_PRAGMAS, check_same_thread=False)
