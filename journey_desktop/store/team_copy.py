"""Rows of a team database copied into a SQLite file of the same schema (SPEC §14).

The journey engine is one piece of set-based SQLite SQL; on a team database it runs on a
SQLite copy of the rows it needs (the forecast's throwaway file, an evaluator's batch), so
that both databases give the same results by construction. This module holds the two
steps every such copy takes: a SQLite file with the current schema, and rows moved into it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from peewee import SqliteDatabase

from journey_desktop.store.migrations import SCHEMA_VERSION
from journey_desktop.store.postgres import PostgresStore, to_psycopg
from journey_desktop.store.records import ALL_RECORDS

BATCH_ROWS = 5000


def create_sqlite_schema(target: SqliteDatabase) -> None:
    """The current schema in an empty SQLite database, exactly as a new journeys.db gets
    it (the same records, so the same tables, keys and indexes)."""
    with target.bind_ctx(ALL_RECORDS):
        target.create_tables(ALL_RECORDS)


def columns_of(conn: sqlite3.Connection, table: str) -> list[str]:
    """The column names of ``table`` in the SQLite copy, in their declared order."""
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def copy_rows(source: PostgresStore, conn: sqlite3.Connection, table: str,
              where: str = "", params: Sequence[Any] = ()) -> int:
    """Insert into the SQLite ``table`` the rows of the team database's ``table`` that
    ``where`` (PostgreSQL SQL with ``?`` placeholders, may be empty) selects; returns
    how many. Rows stream through a server-side cursor, ``BATCH_ROWS`` at a time, so a
    large copy keeps memory flat."""
    columns = columns_of(conn, table)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'SELECT {names} FROM "{table}" {where}'
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
    copied = 0
    raw = source.connection()
    with raw.cursor(name=f"copy_{table}") if source.in_transaction() else raw.cursor() as cur:
        cur.execute(to_psycopg(sql) if params else sql, tuple(params) or None)
        while True:
            rows = cur.fetchmany(BATCH_ROWS)
            if not rows:
                break
            conn.executemany(insert, rows)
            copied += len(rows)
    return copied


def schema_version_row(conn: sqlite3.Connection, applied_at: int) -> None:
    """The copy says it holds the current schema, as the team database does."""
    conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                 (SCHEMA_VERSION, applied_at))
