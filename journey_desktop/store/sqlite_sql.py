"""Everything SQLite-specific the evaluator uses, in one place: a port to another database
replaces this module (JSON access, user functions, write locks, temporary work tables).

Filter conditions are evaluated by ``jd_cond``, a user function that calls the domain's own
``condition_matches``, so SQL and Python can never disagree; cheap exact pre-filters
(``instr``) keep the Python calls to the few rows that can match.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from peewee import Database

from journey_desktop.domain import engine
from journey_desktop.domain.delivery import ladder_event
from journey_desktop.domain.filters import condition_matches
from journey_desktop.domain.journey import Condition, Filter

SqlParts = tuple[str, list[Any]]


@dataclass(frozen=True)
class EventData:
    """Where a filter finds what SPEC §11 adds: ``value_of`` gives the SQL of a field that
    is not the profile's (``event.x``, ``matched.x``) or None; ``history`` the SQL of a
    history condition. Without them such conditions never match."""

    value_of: Callable[[str], SqlParts | None] | None = None
    history: Callable[[Condition], SqlParts] | None = None


def write_transaction(db: Database) -> AbstractContextManager[Any]:
    """A transaction that takes the write lock at once, so two writers never deadlock."""
    return db.atomic(lock_type="IMMEDIATE")


_ASCII_KEY = re.compile(r'[ -!#-\[\]-~]*')  # printable ASCII but `"` and `\`
_RAW_KEY = re.compile(r'[^"\\\x00-\x1f\x7f]*')  # also any other character written raw


def json_path(name: str) -> str | None:
    """The JSON path of a top-level customer field, or None when no path can name it.

    A quoted path key (``$."a b.c"``) may hold spaces, dots, ``$`` and brackets, but SQLite
    ends it at the first ``"`` and compares it with the key as written in the JSON text:
    a name with a quote or a backslash has no path.
    """
    return f'$."{name}"' if _RAW_KEY.fullmatch(name) else None


def limit_once(limit: str = "-1") -> str:
    """The LIMIT clause of a FROM subquery whose columns must be computed once per row.

    SQLite never merges a subquery that has an OFFSET into the outer query (merging copies
    each column's expression, and so its cost, into every place the outer query uses it);
    the subquery runs as a co-routine that hands its rows on, never stored.
    """
    return f"LIMIT {limit} OFFSET 0"


def field_value_sql(fields_sql: str, name: str) -> SqlParts:
    """A top-level field's value, whatever its name, as Python reads it from ``fields``.

    Plain ASCII names go through a JSON path (fast); the path also finds other names as an
    import writes them (UTF-8, unescaped), else the key is looked up through ``json_each``,
    which compares keys as decoded text.
    """
    by_key = f"(SELECT value FROM json_each({fields_sql}) WHERE key = ?)"
    path = json_path(name)
    if path is None:
        return by_key, [name]
    if _ASCII_KEY.fullmatch(name):
        return f"json_extract({fields_sql}, ?)", [path]
    return f"coalesce(json_extract({fields_sql}, ?), {by_key})", [path, name]


def field_text_sql(fields_sql: str, name: str) -> SqlParts:
    """A field as placeholder text, NULL when missing (``engine.field_text``)."""
    value, params = field_value_sql(fields_sql, name)
    return f"CAST({value} AS TEXT)", params


def builtins_sql(customer_id_sql: str, entry_number_sql: str, journey_name: str
                 ) -> dict[str, SqlParts]:
    """The built-in placeholders of a run as SQL text (``engine.RunContext.values``)."""
    return {
        engine.CUSTOMER_ID: (customer_id_sql, []),
        engine.JOURNEY_NAME: ("?", [journey_name]),
        engine.ENTRY_NUMBER: (f"CAST({entry_number_sql} AS TEXT)", []),
    }


def placeholder_sql(placeholder: engine.Placeholder, fields_sql: str,
                    builtins: Mapping[str, SqlParts]) -> SqlParts:
    """One placeholder as SQL text (``engine.placeholder_text``): a built-in wins over a
    field of the same name; a missing or empty value shows the default."""
    if placeholder.name in builtins:
        sql, params = builtins[placeholder.name]
    else:
        sql, params = field_text_sql(fields_sql, placeholder.name)
    if not placeholder.default:
        return f"coalesce({sql}, '')", list(params)
    return f"coalesce(nullif({sql}, ''), ?)", [*params, placeholder.default]


def render_sql(template: str, fields_sql: str,
               builtins: Mapping[str, SqlParts]) -> SqlParts:
    """A message template as one SQL text expression over the customer's fields and the
    run's built-ins (from ``builtins_sql``)."""
    pieces: list[str] = []
    params: list[Any] = []
    for part in engine.template_parts(template):
        if isinstance(part, str):
            pieces.append("?")
            params.append(part)
        else:
            sql, more = placeholder_sql(part, fields_sql, builtins)
            pieces.append(sql)
            params.extend(more)
    if not pieces:
        return "''", []
    return " || ".join(pieces), params


def extra_sql(templates: dict[str, str], fields_sql: str,
              builtins: Mapping[str, SqlParts]) -> SqlParts:
    """The ``extra`` JSON object of rendered channel fields (``from_name``, ...)."""
    if not templates:
        return "'{}'", []
    pieces: list[str] = []
    params: list[Any] = []
    for key, template in sorted(templates.items()):
        sql, more = render_sql(template, fields_sql, builtins)
        pieces.append(f"?, {sql}")
        params.append(key)
        params.extend(more)
    return f"json_object({', '.join(pieces)})", params


def _anniversary_tails(condition: Condition, day: int) -> list[str]:
    """For ``anniversary_in_days`` on a fixed day, the "-MM-DD" one of which a match holds."""
    if condition.op != "anniversary_in_days" or isinstance(condition.value, bool) or not (
        isinstance(condition.value, int)
    ):
        return []
    target = dt.date.fromordinal(day) + dt.timedelta(days=condition.value)
    tails = [target.strftime("-%m-%d")]
    if target.month == 2 and target.day == 28:
        tails.append("-02-29")
    return tails


def event_named(alias: str, name: str) -> SqlParts:
    """Event ``alias`` is the event ``name`` a journey waits for, enters on, counts or has
    as its goal: its own name, or for a delivery status on the ladder an event further on
    that stands for it (``message_clicked`` from step 2 is also ``message_opened``; see
    ``domain.delivery.ladder_event``). The one place where that rule meets the SQL; the
    name's list keeps the (external_id, name, occurred_at) index usable."""
    ladder = ladder_event(name)
    if ladder is None:
        return f"{alias}.name = ?", [name]
    names, step = ladder
    marks = ", ".join("?" for _ in names)
    return (f"({alias}.name IN ({marks}) AND ({alias}.name = ? OR {alias}.ladder_from < ?))",
            [*names, name, step])


def events_named(alias: str, names: list[str]) -> SqlParts:
    """``event_named`` for any of ``names``."""
    parts = [event_named(alias, name) for name in names]
    if not parts:
        return "0", []
    return ("(" + " OR ".join(sql for sql, _ in parts) + ")",
            [param for _, params in parts for param in params])


def property_path(dotted: str) -> str | None:
    """The JSON path of an event property, nested with dots (``cart.total``), or None when
    a part cannot be named by a path."""
    parts = dotted.split(".")
    if not all(part and _RAW_KEY.fullmatch(part) for part in parts):
        return None
    return "$" + "".join(f'."{part}"' for part in parts)


def property_value_sql(properties_sql: str, dotted: str) -> SqlParts:
    """An event property's value (NULL when missing or unnamed by a path)."""
    path = property_path(dotted)
    if path is None:
        return "NULL", []
    return f"json_extract({properties_sql}, ?)", [path]


def condition_sql(condition: Condition, fields_sql: str, day_sql: str,
                  day: int | None = None, events: EventData | None = None) -> SqlParts:
    """One filter condition as SQL; ``day_sql`` is the local day's ordinal (an expression).

    With a fixed ``day``, an exact superset test in SQL runs first, so the Python check only
    sees rows that can match (a birthday filter touches a few customers, not all).
    """
    if condition.is_history:
        if events is None or events.history is None:
            return "0", []
        return events.history(condition)
    override = events.value_of(condition.field) if events and events.value_of else None
    value_sql, params = (override if override is not None
                         else field_value_sql(fields_sql, condition.field))
    call = f"jd_cond(?, {value_sql}, {day_sql})"
    call_params: list[Any] = [json.dumps(condition.to_dict()), *params]
    tails = _anniversary_tails(condition, day) if day is not None else []
    if not tails:
        return call, call_params
    tests: list[str] = []
    pre_params: list[Any] = []
    for tail in tails:
        tests.append(f"instr(CAST({value_sql} AS TEXT), ?) > 0")
        pre_params.extend([*params, tail])
    # CASE, not AND: in a result column SQLite evaluates both sides of an AND, so the
    # Python call would still run for every row; CASE skips it when the test fails.
    return (f"(CASE WHEN ({' OR '.join(tests)}) THEN {call} ELSE 0 END)",
            pre_params + call_params)


def filter_sql(flt: Filter | None, fields_sql: str, day_sql: str,
               day: int | None = None, events: EventData | None = None) -> SqlParts:
    """A filter as a SQL boolean; no filter or no conditions matches everyone."""
    if flt is None or not flt.conditions:
        return "1", []
    parts: list[str] = []
    params: list[Any] = []
    for condition in flt.conditions:
        sql, more = condition_sql(condition, fields_sql, day_sql, day, events)
        parts.append(f"({sql})")
        params.extend(more)
    joiner = " OR " if flt.match == "any" else " AND "
    return "(" + joiner.join(parts) + ")", params


@lru_cache(maxsize=256)
def _condition(text: str) -> Condition:
    data = json.loads(text)
    return Condition(field=data["field"], op=data["op"], value=data.get("value"))


@dataclass
class FunctionState:
    """What one connection's user functions saw during a tick.

    ``error`` is the exception behind a statement that failed inside a user function
    (SQLite only says "user-defined function raised exception"); ``sms_too_long`` counts the
    SMS held back for their rendered length.
    """

    error: BaseException | None = None
    sms_too_long: int = 0


def register_functions(conn: sqlite3.Connection, tz: dt.tzinfo | None) -> FunctionState:
    """The evaluator's user functions on this connection, bound to the local zone ``tz``."""
    state = FunctionState()

    @lru_cache(maxsize=4096)
    def local_day(ts: int) -> int:
        try:
            return engine.local_date(int(ts), tz).toordinal()
        except Exception as exc:
            state.error = exc
            raise

    @lru_cache(maxsize=4096)
    def wait_end(start: int, seconds: int, at_time: str) -> int:
        try:
            return engine.wait_end(int(start), int(seconds), at_time or None, tz)
        except Exception as exc:
            state.error = exc
            raise

    @lru_cache(maxsize=4096)
    def next_check(first: int, timeout: int, now: int, inclusive: int) -> int:
        try:
            return engine.next_rhythm_point(int(first), int(timeout), int(now), tz,
                                            inclusive=bool(inclusive))
        except Exception as exc:
            state.error = exc
            raise

    @lru_cache(maxsize=4096)
    def next_check_at(first: int, timeout: int, now: int, inclusive: int, at: str) -> int:
        try:
            return engine.next_rhythm_point(int(first), int(timeout), int(now), tz,
                                            inclusive=bool(inclusive), check_at=at or None)
        except Exception as exc:
            state.error = exc
            raise

    def cond(condition_json: str, raw: Any, day: int) -> int:
        try:
            condition = _condition(condition_json)
            return int(condition_matches(condition, {condition.field: raw},
                                         dt.date.fromordinal(int(day))))
        except Exception as exc:
            state.error = exc
            raise

    def split(journey_id: int, external_id: str, entry_number: int, node_id: str,
              percents: str) -> int:
        bucket = engine.split_bucket(int(journey_id), str(external_id), int(entry_number),
                                     str(node_id))
        return engine.branch_for_bucket(bucket, [int(p) for p in percents.split(",")])

    def sms_too_long() -> int:
        state.sms_too_long += 1
        return 0

    conn.create_function("jd_local_day", 1, local_day, deterministic=True)
    conn.create_function("jd_wait_end", 3, wait_end, deterministic=True)
    conn.create_function("jd_next_check", 4, next_check, deterministic=True)
    conn.create_function("jd_next_check", 5, next_check_at, deterministic=True)
    conn.create_function("jd_cond", 3, cond, deterministic=True)
    conn.create_function("jd_split", 5, split, deterministic=True)
    conn.create_function("jd_sms_too_long", 0, sms_too_long)
    return state


def is_database_trouble(exc: BaseException) -> bool:
    """True for errors of the database itself (busy, full, read-only, damaged), which no
    journey causes and every journey would meet: the tick stops instead of going on."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "sqlite_errorcode", None)
        if code is not None:
            return (code & 0xFF) in _TROUBLE_CODES
        seen = seen.__cause__ or seen.__context__
    return False


_TROUBLE_CODES = frozenset(
    getattr(sqlite3, name) for name in (
        "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_IOERR",
        "SQLITE_CORRUPT", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_NOTADB",
    ) if hasattr(sqlite3, name)
)


def prepare_work_tables(conn: sqlite3.Connection) -> None:
    """Per-connection scratch tables for one batch (in memory, never in the database file)."""
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -131072")
    conn.execute("PRAGMA wal_autocheckpoint = 8000")
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS jd_check ("
        " ext TEXT NOT NULL, n INTEGER NOT NULL, first INTEGER,"
        " matched INTEGER NOT NULL DEFAULT 0, busy INTEGER NOT NULL DEFAULT 0,"
        " enter INTEGER NOT NULL DEFAULT 0, open INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS jd_walk ("
        " run_id INTEGER, member INTEGER NOT NULL, ext TEXT NOT NULL,"
        " entry_number INTEGER NOT NULL,"
        " node TEXT, due INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT,"
        " ended INTEGER, path TEXT NOT NULL DEFAULT '', event_seq INTEGER,"
        " matched_seq INTEGER, since INTEGER, hit INTEGER, started INTEGER)"
    )


def raw_connection(db: Database) -> sqlite3.Connection:
    conn = db.connection()
    assert isinstance(conn, sqlite3.Connection)
    return conn


def run_path_reaches(node_param: str = "?") -> str:
    """A condition on ``run.path`` (``node@time`` lines): the run reached the given node."""
    return f"instr(char(10) || path, char(10) || {node_param} || '@') > 0"


def run_path_last_node() -> str:
    """The last node in ``run.path`` (``node@time`` lines): where a run in progress stands
    (``run.node`` is the step it runs next, after its wait)."""
    trimmed = "rtrim(path, char(10))"
    last_line = (f"replace({trimmed}, rtrim({trimmed}, replace({trimmed}, char(10), '')),"
                 " '')")
    return f"rtrim(rtrim({last_line}, '0123456789'), '@')"
