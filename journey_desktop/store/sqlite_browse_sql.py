"""The SQLite SQL of what the window browses: the property paths events carry (the journey
editor's choices) and the customer base's joins, name order and case-blind ``LIKE``.
``store/postgres_browse_sql.py`` holds the twins; ``store/dialect.browse_sql`` picks one."""

from __future__ import annotations

from typing import Any

from peewee import Database

# The journey first, then its rows of the customer (journeys are few; each is a key lookup).
JOURNEY_FIRST_JOIN = "CROSS JOIN"


def one_snapshot(db: Database) -> Any:
    """A read transaction whose queries all see one moment: any SQLite transaction does."""
    return db.atomic()


def name_order(column: str) -> str:
    """An ORDER BY term: names without minding the case of ASCII letters."""
    return f"{column} COLLATE NOCASE"


def like_without_case(text: str, pattern: str) -> str:
    """A condition: ``text`` matches the LIKE ``pattern`` (escaped by ``\\``) whatever the
    case of ASCII letters (SQLite's LIKE already ignores it; other letters keep theirs)."""
    return f"{text} LIKE {pattern} ESCAPE '\\'"


def property_paths(db: Database, sample: int) -> list[str]:
    """The paths (``cart.total``) to the values of the latest ``sample`` events' properties,
    through objects only (nothing inside an array), each once, unsorted."""
    return [_dotted(str(path)) for (path,) in db.execute_sql(
        "SELECT DISTINCT t.fullkey FROM (SELECT properties FROM event ORDER BY seq DESC"
        " LIMIT ?) AS e, json_tree(e.properties) AS t"
        " WHERE t.type NOT IN ('object', 'array') AND t.fullkey NOT LIKE '%[%'",
        (int(sample),))]


def _dotted(fullkey: str) -> str:
    """``$.cart."total"`` as ``cart.total``."""
    return fullkey.removeprefix("$").lstrip(".").replace('"', "")
