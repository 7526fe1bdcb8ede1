"""Everything PostgreSQL-specific the store's reads and copies use, in one place: the twins
of ``store/sqlite_sql.py``'s functions of the same names (``store/dialect.sql`` picks one).

SQL is written with ``?`` placeholders, as everywhere in the store (``postgres.to_psycopg``).
"""

from __future__ import annotations

from typing import Any

from peewee import Database


def run_path_reaches(node_param: str = "?") -> str:
    """A condition on ``run.path`` (``node@time`` lines): the run reached the given node."""
    return f"strpos(chr(10) || path, chr(10) || {node_param} || '@') > 0"


def run_path_last_node() -> str:
    """The last node in ``run.path`` (``node@time`` lines): where a run in progress stands.
    A regular expression's ``.`` takes newlines too, so ``^.*\\n`` drops every line but the
    last."""
    last_line = "regexp_replace(rtrim(path, chr(10)), '^.*' || chr(10), '')"
    return f"rtrim(rtrim({last_line}, '0123456789'), '@')"


def lock_writers(db: Database, name: str) -> None:
    """Inside a write transaction: wait until no other transaction holds the lock called
    ``name`` (released at commit or rollback). SQLite's write transaction already excludes
    every other writer; here rows lock only as they are written, and a row that does not
    exist yet locks nothing."""
    db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))


def sequence_value(db: Database, table: str, column: str) -> int | None:
    """The last id the sequence of ``table.column`` gave (0 when it gave none yet); None
    when the role may not read the sequence (a viewer: no catalog view shows it either,
    ``pg_sequences`` gives NULL then)."""
    row = db.execute_sql(
        "SELECT s, has_sequence_privilege(s, 'SELECT')"
        " FROM pg_get_serial_sequence(?, ?) AS s", (table, column)).fetchone()
    if row is None or row[0] is None:
        return 0
    if not row[1]:
        return None
    last, called = db.execute_sql(f"SELECT last_value, is_called FROM {row[0]}").fetchone()
    return int(last) if called else 0


def set_sequence(db: Database, table: str, column: str, value: int) -> None:
    """The next id of ``table.column`` follows ``value`` (ids are never given twice)."""
    db.execute_sql(
        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), ?, ?)",
        (max(int(value), 1), int(value) >= 1),
    )


def sequences(db: Database) -> list[tuple[str, str]]:
    """(table, column) of every column whose default is a sequence, in the current schema."""
    rows: Any = db.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'"
        " ORDER BY table_name"
    )
    return [(str(t), str(c)) for t, c in rows]
