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
from journey_desktop.domain.lifecycle import IN_PROGRESS

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
                 history_since: int | None = None) -> None:
    """Create ``target`` with ``source``'s schema holding one journey, its whole audience
    with their profiles, its runs in progress and the settings; node counters start empty,
    and the outbox holds only what the caps count (``history_since``, SPEC §13)."""
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
        for table, where in (
            ("schema_version", ""),
            ("setting", ""),
            ("journey", f"WHERE id = {jid}"),
            ("member", f"WHERE journey_id = {jid}"),
            # The profiles the journey reads: its members', or everyone's.
            ("profile", f"WHERE (SELECT audience FROM {_ALIAS}.journey WHERE id = {jid})"
                        f" = '{AUDIENCE_ALL}' OR external_id IN"
                        f" (SELECT external_id FROM {_ALIAS}.member WHERE journey_id = {jid})"),
            ("run", f"WHERE journey_id = {jid} AND state = '{IN_PROGRESS}'"),
            # What it has still to take of events (SPEC §11), and the events its waits,
            # history conditions and event data read: its members' and its queued ones.
            ("event_mark", f"WHERE journey_id = {jid}"),
            ("event_queue", f"WHERE journey_id = {jid}"),
            ("wait_timeout", f"WHERE journey_id = {jid}"),
            ("event", f"WHERE external_id IN (SELECT external_id FROM {_ALIAS}.member"
                      f" WHERE journey_id = {jid}) OR seq IN (SELECT seq FROM"
                      f" {_ALIAS}.event_queue WHERE journey_id = {jid})"),
        ):
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM {_ALIAS}.{table} {where}")
        if history_since is not None:
            _copy_cap_history(conn, jid, int(history_since))
        conn.execute("COMMIT")
        conn.execute(f"DETACH DATABASE {_ALIAS}")
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
