"""The PostgreSQL twins of ``store/sqlite_browse_sql.py``: the property paths events carry
and the customer base's joins, name order and case-blind ``LIKE``, with SQLite's results."""

from __future__ import annotations

from typing import Any

from peewee import Database

# PostgreSQL's planner orders the join itself; CROSS JOIN takes no ON there.
JOURNEY_FIRST_JOIN = "JOIN"

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def one_snapshot(db: Database) -> Any:
    """A read transaction whose queries all see one moment: PostgreSQL's default (READ
    COMMITTED) gives each statement its own, so a transaction begun here is REPEATABLE
    READ; inside one already begun, its savepoint sees what that one does."""
    if db.in_transaction():
        return db.atomic()
    return db.atomic(isolation_level="REPEATABLE READ")


def name_order(column: str) -> str:
    """An ORDER BY term ordering as SQLite's NOCASE does: ASCII letters folded, then code
    point order (whatever the database's locale)."""
    return f"{_ascii_lower(column)} COLLATE \"C\""


def like_without_case(text: str, pattern: str) -> str:
    """A condition: ``text`` matches the LIKE ``pattern`` (escaped by ``\\``) whatever the
    case of ASCII letters, as SQLite's LIKE does (ILIKE would fold every letter)."""
    return f"{_ascii_lower(text)} LIKE {_ascii_lower(pattern)} ESCAPE '\\'"


def _ascii_lower(expression: str) -> str:
    return f"translate({expression}, '{_UPPER}', '{_UPPER.lower()}')"


def property_paths(db: Database, sample: int) -> list[str]:
    """The paths (``cart.total``) to the values of the latest ``sample`` events' properties,
    through objects only (nothing inside an array), each once, unsorted. A key holding ``[``
    is left out and ``"`` dropped from keys, as the SQLite twin's ``json_tree`` paths are."""
    objects_only = "CASE WHEN jsonb_typeof({0}) = 'object' THEN {0} ELSE '{{}}'::jsonb END"
    rows = db.execute_sql(
        "WITH RECURSIVE e AS (SELECT properties::jsonb AS p FROM event"
        " ORDER BY seq DESC LIMIT ?),"
        " t(path, value) AS ("
        f" SELECT kv.key, kv.value FROM e, jsonb_each({objects_only.format('e.p')}) AS kv"
        " UNION ALL"
        " SELECT t.path || '.' || kv.key, kv.value"
        f" FROM t, jsonb_each({objects_only.format('t.value')}) AS kv)"
        " SELECT DISTINCT replace(path, '\"', '') FROM t"
        " WHERE jsonb_typeof(value) NOT IN ('object', 'array') AND strpos(path, '[') = 0",
        (int(sample),))
    return [str(path) for (path,) in rows]
