"""The team database (SPEC §14): the same records on PostgreSQL, through psycopg 3.

Everything that must differ from SQLite in how the database is opened, how statements are
sent and how failures are worded lives here; the SQL that differs lives in
``store/postgres_sql.py``. SQL in this project is written with ``?`` placeholders (SQLite's
style); ``execute_sql`` turns them into psycopg's ``%s`` once per statement text.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Sequence
from typing import Any

from peewee import Model, PostgresqlDatabase

from journey_desktop.store.errors import (
    BusyError,
    FullError,
    RepositoryError,
    StoreError,
    _causes,
)

log = logging.getLogger(__name__)

DATABASE_ENV = "JOURNEY_DESKTOP_DATABASE"
PASSWORD_ENV = "PGPASSWORD"  # libpq's own
URL_SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_SECONDS = 10


# What names a team database, as the one line refusing anything else says.
ADDRESS_EXPECTED = ("a PostgreSQL URL (postgresql://user@host:5432/journeys) or libpq's"
                    " key=value form (host=db.example.com dbname=journeys user=anna)")


def database_url(text: str) -> str:
    """The one rule for what names a team database (libpq conventions): a ``postgresql://``
    URL, or libpq's ``key=value`` connection string, given back as a URL (which everything
    after reads: the title, what is remembered, a password taken out). Anything else is
    refused with one line naming what was expected (``NotADatabaseAddress``)."""
    from urllib.parse import quote, urlencode

    import psycopg.conninfo

    value = text.strip()
    is_url = value.lower().startswith(URL_SCHEMES)
    why = ""
    if is_url or "=" in value:
        try:
            params = psycopg.conninfo.conninfo_to_dict(value)
        except psycopg.ProgrammingError as exc:
            why = f" ({(str(exc).strip().splitlines() or [''])[0]})"
        else:
            if is_url:
                return value
            if params:
                pairs = {key: str(item) for key, item in params.items() if item is not None}
                return "postgresql://?" + urlencode(pairs, quote_via=quote, safe="")
    raise NotADatabaseAddress(f"{_shown(value)} is not a team database address{why};"
                              f" expected {ADDRESS_EXPECTED}")


def _shown(value: str) -> str:
    """Text refused as an address, quoted as the message shows it: without what may be a
    password, and cut short."""
    value = re.sub(r"(password\s*=\s*)('[^']*'|[^\s&]*)", r"\1…", value, flags=re.IGNORECASE)
    value = re.sub(r"(://[^/:@\s]*):[^@/\s]*@", r"\1@", value)
    return repr(value if len(value) <= 80 else value[:79] + "…")


def is_database_url(text: str | None) -> bool:
    """Whether ``text`` names a team database (``database_url``'s rule)."""
    try:
        database_url(text or "")
    except NotADatabaseAddress:
        return False
    return True


def resolve_database_url(cli_value: str | None = None) -> str | None:
    """``--database``, else ``$JOURNEY_DESKTOP_DATABASE``, as a URL; None for the local
    SQLite file. Text that names no team database is refused, naming where it came from."""
    for value, source in ((cli_value, "--database"), (os.environ.get(DATABASE_ENV),
                                                       f"${DATABASE_ENV}")):
        if value and value.strip():
            try:
                return database_url(value)
            except NotADatabaseAddress as exc:
                raise NotADatabaseAddress(f"{source}: {exc}") from None
    return None


def describe_url(url: str) -> str:
    """The database as the title bar and messages name it, never with its password:
    ``journeys on db.example.com:5432 as anna``."""
    import psycopg.conninfo

    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "a PostgreSQL database (the address cannot be read)"
    name = str(params.get("dbname") or params.get("user") or os.environ.get("PGDATABASE", ""))
    host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
    if host.startswith("/"):
        host = "local socket"
    port = params.get("port")
    where = f"{host}:{port}" if port else host
    user = params.get("user")
    return f"{name or 'the default database'} on {where}" + (f" as {user}" if user else "")


def without_password(url: str) -> str:
    """``url`` with any password taken out (``user:secret@`` or ``?password=``), as it may
    be remembered or shown; the password itself comes from ``PGPASSWORD``, ``~/.pgpass``
    or is asked for (``use_password``)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    if not is_database_url(url):
        return url
    parts = urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    netloc = f"{user.split(':', 1)[0]}@{host}" if at else host
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "password"]
    tail = f"?{urlencode(query, safe='/')}" if query else ""
    return f"{parts.scheme}://{netloc}{parts.path}{tail}"


def use_password(password: str) -> None:
    """A password typed in the window, for libpq's next connections in this process only
    (``PGPASSWORD``); it is never written anywhere."""
    if password:
        os.environ[PASSWORD_ENV] = password


def build_url(host: str, port: int | None, database: str, user: str) -> str:
    """A ``postgresql://`` URL from its parts (no password: see ``without_password``)."""
    from urllib.parse import quote

    who = f"{quote(user, safe='')}@" if user else ""
    where = quote(host, safe="") if host and not host.startswith("/") else ""
    at = f":{port}" if port else ""
    socket = f"?host={quote(host, safe='/')}" if host.startswith("/") else ""
    return f"postgresql://{who}{where}{at}/{quote(database, safe='')}{socket}"


def url_parts(url: str) -> dict[str, str]:
    """A URL's libpq parameters (``host``, ``port``, ``dbname``, ``user``, …); empty for
    text that is not a readable PostgreSQL URL."""
    import psycopg.conninfo

    if not is_database_url(url):
        return {}
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return {}
    return {key: str(value) for key, value in params.items() if value is not None}


class TeamDatabaseError(StoreError):
    """The team database could not be reached or used; one line saying why and what to do."""


class TeamConnectionError(TeamDatabaseError):
    """The connection failed or was lost: worth trying again soon (``retry_in``)."""


# After a tick lost the connection, the next try comes this soon, then twice as late each
# time, up to the tick interval: a server back after a restart is used again at once.
RETRY_FIRST_SECONDS = 5


def retry_in(failures: int, interval: int) -> int:
    """Seconds before trying again after ``failures`` ticks in a row that lost the
    connection: 5, 10, 20… up to ``interval``."""
    return max(1, min(int(interval), RETRY_FIRST_SECONDS * 2 ** max(0, failures - 1)))


class NotADatabaseAddress(TeamDatabaseError):
    """Text given as a team database's address that names none (``database_url``)."""


# Why the window greys out and the CLI refuses what would write, for a read-only role.
READ_ONLY_ROLE = "your database role may only read the team database"


class TeamReadOnlyError(StoreError):
    """The database role may read but not change this data (SPEC §14: roles)."""

    def __init__(self, detail: str = "") -> None:
        more = f" ({detail})" if detail else ""
        super().__init__(f"{READ_ONLY_ROLE}; nothing was changed" + more)


class TeamNoAccessError(StoreError):
    """The database role may not even read the app's data (SPEC §14: roles)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"your database role may not read the team database ({detail});"
                         " nothing was changed")


# SQLSTATE classes and codes (PostgreSQL's errcodes appendix) that users can act on.
_READ_ONLY = {"42501", "25006"}  # insufficient_privilege, read_only_sql_transaction
_BUSY = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock_not_available
_FULL = {"53100"}  # disk_full
_LOST = {"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"}


def map_postgres_error(exc: BaseException, where: str) -> StoreError | None:
    """The worded error for a PostgreSQL failure; None for a bug (syntax, constraint)."""
    import psycopg

    for cause in _causes(exc):
        if isinstance(cause, StoreError):
            return cause
        candidates = [cause, *[a for a in cause.args[:1] if isinstance(a, BaseException)]]
        for candidate in candidates:
            if not isinstance(candidate, psycopg.Error):
                continue
            state = candidate.sqlstate or ""
            message = (str(candidate).strip().splitlines() or [""])[0]
            if state in _READ_ONLY:
                return TeamReadOnlyError(message)
            if state in _BUSY:
                return BusyError()
            if state in _FULL:
                return FullError(None)
            if state in _LOST or (isinstance(candidate, psycopg.OperationalError) and not state):
                return TeamConnectionError(_connection_words(message, where))
    return None


def _connection_words(message: str, where: str) -> str:
    """One line for a failed or lost connection, naming the database and what to check."""
    text = message.lower()
    if "password authentication failed" in text or "no password supplied" in text:
        why = "the user name or password was refused"
    elif "does not exist" in text and "database" in text:
        why = "that database does not exist on the server"
    elif "role" in text and "does not exist" in text:
        why = "that user does not exist on the server"
    elif any(words in text for words in _NOT_ACCEPTING):
        why = NOT_ACCEPTING
    elif "timeout" in text or "timed out" in text:
        why = "the server did not answer in time"
    elif "closed the connection" in text or "terminating connection" in text or (
        "consuming input failed" in text or "server conn" in text
    ):
        why = "the connection was lost; nothing of the unfinished change was written"
    elif "connection refused" in text or "could not connect" in text or "no such file" in text:
        why = "the server cannot be reached (is it running, and is the address right?)"
    elif "could not translate host name" in text or "name or service not known" in text:
        why = "the server's host name is unknown"
    else:
        why = _server_words(message) or "the connection failed"
    return f"team database {where}: {why}"


# The server is up but lets no one in: the database closed to connections (ALTER DATABASE …
# ALLOW_CONNECTIONS false) or the server starting or stopping.
NOT_ACCEPTING = ("the database is not accepting connections (closed by its administrator, "
                 "or the server is starting or stopping)")
_NOT_ACCEPTING = ("not currently accepting connections", "does not allow connections",
                  "database system is starting up", "database system is shutting down",
                  "database system is not accepting connections")

# What libpq puts before the server's own words: 'connection failed: connection to server at
# "db", port 5432 failed: FATAL:  <the reason>'.
_LIBPQ_PREFIX = re.compile(
    r"^(?:connection failed:\s*)?(?:connection to server (?:at|on) .*? failed:\s*)?"
    r"(?:(?:FATAL|ERROR|PANIC):\s*)?", re.IGNORECASE)


def _server_words(message: str) -> str:
    """The reason in a connection error, without libpq's prefixes and severity."""
    return _LIBPQ_PREFIX.sub("", message.strip(), count=1).strip()


@functools.lru_cache(maxsize=4096)
def to_psycopg(sql: str) -> str:
    """``sql`` with its ``?`` placeholders (outside quotes) as ``%s`` and every other ``%``
    doubled, as psycopg reads a statement that has parameters. Text without ``?`` is peewee's
    own (already ``%s``) and is returned as it is."""
    if "?" not in sql:
        return sql
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


@functools.cache
def _numeric_loader() -> type:
    """A ``numeric`` read as SQLite gives the same figure: a whole number as ``int``, any
    other as ``float``. ``sum`` and ``avg`` of whole numbers are numeric in PostgreSQL, and
    a ``Decimal`` would not mix with the figures' ints nor go into JSON."""
    from decimal import Decimal

    from psycopg.types.numeric import NumericLoader

    class FigureLoader(NumericLoader):
        def load(self, data: Any) -> int | float:  # type: ignore[override]
            value: Decimal = super().load(data)
            if value.is_finite() and value == value.to_integral_value():
                return int(value)
            return float(value)

    return FigureLoader


class PostgresStore(PostgresqlDatabase):
    """PostgreSQL with the project's rules: ``?`` placeholders, errors in words, every
    whole number a BIGINT (times run to the year 9000), ids from sequences that never go
    back, and text compared and ordered by code point as SQLite's BINARY collation does,
    whatever the server's locale (key ranges such as the customer search rely on it)."""

    dialect = "postgres"
    field_types = {"INT": "BIGINT", "AUTO": "BIGSERIAL", "BIGAUTO": "BIGSERIAL",
                   "TEXT": 'TEXT COLLATE "C"'}

    def __init__(self, url: str) -> None:
        url = database_url(url)
        if url.lower().startswith("postgres://"):  # psycopg and peewee read postgresql://
            url = "postgresql://" + url[len("postgres://"):]
        super().__init__(
            url, prefer_psycopg3=True, autoconnect=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
        self.url = url
        self.where = describe_url(url)
        self.read_only = False  # set at open: the role may only read (``role_may_write``)

    @property
    def path(self) -> None:
        """No file: output paths can never name the database (``store/output_path``)."""
        return None

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return self._execute(to_psycopg(sql), params)
        except Exception as exc:
            self._raise_mapped(exc)
            raise

    def cursor(self, named_cursor: Any = None) -> Any:
        """A cursor, on a new connection when the last one was lost (the server restarted,
        or an administrator ended it) and no transaction is open: the next action after a
        lost connection works again."""
        state: Any = getattr(self, "_state")  # noqa: B009  (peewee's per-thread state)
        conn = state.conn
        if conn is not None and conn.closed and self.transaction_depth() == 0:
            log.info("team database %s: the connection was lost; connecting again", self.where)
            state.reset()
        return super().cursor(named_cursor)

    def _execute(self, sql: str, params: Any) -> Any:
        """Peewee keeps the connection in autocommit: outside ``atomic()`` each statement
        is its own transaction, as on SQLite."""
        cursor = self.cursor()
        cursor.execute(sql, tuple(params) if params else None)
        return cursor

    def _connect(self) -> Any:
        try:
            conn = super()._connect()  # type: ignore[misc]
        except Exception as exc:
            self._raise_mapped(exc)
            raise
        conn.adapters.register_loader("numeric", _numeric_loader())
        return conn

    def begin(self, isolation_level: str | None = None, lock_type: str | None = None) -> None:
        """BEGIN; SQLite's lock types mean nothing here (rows lock as they are written)."""
        try:
            super().begin(isolation_level)
        except Exception as exc:
            self._raise_mapped(exc)
            raise

    def commit(self) -> None:
        try:
            super().commit()
        except Exception as exc:
            self._raise_mapped(exc)
            raise

    def rollback(self) -> None:
        """ROLLBACK, unless the connection is already gone (its transaction went with it)."""
        if self.is_closed() or self.connection().closed:
            return
        super().rollback()

    def check_before_writing(self) -> None:
        """Nothing to check: the server keeps its own pages sound."""

    def _raise_mapped(self, exc: BaseException) -> None:
        mapped = map_postgres_error(exc, self.where)
        if mapped is None or mapped is exc:
            return
        if mapped.__traceback__ is not None:
            raise mapped
        raise mapped from exc


# Whether the connection's role may change the app's data (SPEC §14: roles). Each privilege
# is asked for on its own: ``has_table_privilege`` with a list is true when any one is held.
ROLE_MAY_WRITE_SQL = """
SELECT NOT pg_is_in_recovery()
   AND current_setting('transaction_read_only') = 'off'
   AND COALESCE(bool_and(has_table_privilege(c.oid, 'INSERT')
                         AND has_table_privilege(c.oid, 'UPDATE')
                         AND has_table_privilege(c.oid, 'DELETE')), true)
   AND (SELECT COALESCE(bool_and(has_sequence_privilege(s.oid, 'USAGE')), true)
          FROM pg_class s
         WHERE s.relkind = 'S'
           AND s.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))
  FROM pg_class c
 WHERE c.relkind = 'r' AND c.relname <> 'schema_version'
   AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
"""


def role_may_write(db: PostgresStore) -> bool:
    """False when the role may only read: a table of the app it may not insert into, update
    or delete from, a read-only transaction default, or a standby server. The server
    refuses such writes anyway; this lets the window and the CLI say so before trying."""
    row = db.execute_sql(ROLE_MAY_WRITE_SQL).fetchone()
    return bool(row and row[0])


def connect_postgres(url: str) -> PostgresStore:
    db = PostgresStore(url)
    db.connect(reuse_if_open=True)
    return db


# The tables of the connection's default schema (where the app's tables live).
_APP_TABLES = ("relkind IN ('r', 'p') AND relnamespace ="
               " (SELECT oid FROM pg_namespace WHERE nspname = current_schema())")


def stored_version(db: PostgresStore) -> int:
    """The schema version of a team database (0 for an empty one); a database that holds
    other tables but not ours is refused, never written to, and so is one whose tables the
    role may not read. The catalog lists every table, readable by the role or not."""
    schema = db.execute_sql("SELECT current_schema()").fetchone()[0]
    if schema is None:  # no schema of the search path that the role may use
        raise TeamNoAccessError(f"no privileges on schema {_first_schema(db)}")
    tables = {
        str(name): bool(readable) for name, readable in db.execute_sql(
            "SELECT relname, has_table_privilege(oid, 'SELECT') FROM pg_class"
            f" WHERE {_APP_TABLES}"
        )
    }
    if "schema_version" not in tables:
        if tables:
            raise RepositoryError(
                f"team database {db.where}: it holds other tables, not Journey Desktop's;"
                " use an empty database"
            )
        return 0
    if not tables["schema_version"]:
        raise TeamNoAccessError(f"no privileges on the tables of schema {schema}")
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    if row is None or row[0] is None:
        raise RepositoryError(f"team database {db.where}: its schema version table is empty")
    return int(row[0])


def _first_schema(db: PostgresStore) -> str:
    """The first schema named in the search path (other than the role's own, ``$user``)."""
    path = str(db.execute_sql("SHOW search_path").fetchone()[0])
    names = [name.strip().strip('"') for name in path.split(",")]
    return next((name for name in names if name and name != "$user"), "public")


def check_upgrade_allowed(db: PostgresStore, version: int) -> None:
    """Before upgrading a team database of an older schema: the role must own its tables
    (only an owner may alter them), else one line says who must open it first."""
    owners = [str(row[0]) for row in db.execute_sql(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
        f" WHERE {_APP_TABLES}"
        " AND NOT pg_has_role(relowner, 'USAGE') ORDER BY 1")]
    if owners:
        raise TeamDatabaseError(
            f"team database {db.where}: its schema is version {version}, older than this"
            " Journey Desktop's; it must be upgraded first: open it once with this version as"
            f" the role that owns it ({', '.join(owners)}); nothing was changed")


def create_schema(db: PostgresStore, records: Sequence[type[Model]],
                  version: int | None) -> None:
    """The current schema in an empty database, in one transaction (a savepoint inside the
    caller's); without ``version``, no schema version row (``db copy`` copies the
    source's). PostgreSQL has no rowid to leave out, so each table is created as an
    ordinary one."""
    kept = {record: record._meta.without_rowid for record in records}
    try:
        for record in records:
            record._meta.without_rowid = False
        with db.bind_ctx(records), db.atomic():
            db.create_tables(records)
            if version is not None:
                db.execute_sql(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, int(time.time())),
                )
    finally:
        for record, without_rowid in kept.items():
            record._meta.without_rowid = without_rowid
    log.info("created the schema (version %s) in team database %s", version, db.where)


def text_in_code_point_order(db: PostgresStore) -> None:
    """Every text column of the app's tables compared and ordered by code point
    (``COLLATE "C"``), as new tables are made: tables made before schema 13 took the
    server's collation, in which a key range need not be a prefix."""
    columns = db.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND data_type = 'text'"
        " AND collation_name IS DISTINCT FROM 'C'"
    ).fetchall()
    for table, column in columns:
        db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE TEXT COLLATE "C"')


def on_postgres(db: object | None = None) -> bool:
    """Whether ``db`` (by default the open store) is a team database."""
    if db is None:
        from journey_desktop.store.db import proxy

        db = proxy.obj
    return isinstance(getattr(db, "obj", db), PostgresStore)


class TeamConnection:
    """What the store's portable SQL uses of a ``sqlite3.Connection`` (``execute``,
    ``executemany``, with ``?`` placeholders), on a team database, inside the caller's
    transaction."""

    def __init__(self, db: PostgresStore) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute_sql(sql, params)

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self.db.cursor()
        try:
            cursor.executemany(to_psycopg(sql), list(rows))
        except Exception as exc:
            self.db._raise_mapped(exc)
            raise
        return cursor


def portable_connection(db: Any = None) -> Any:
    """The connection that runs portable SQL on the open store: SQLite's own
    ``sqlite3.Connection``, or a ``TeamConnection`` on a team database."""
    if db is None:
        from journey_desktop.store.db import proxy

        db = proxy.obj
    db = getattr(db, "obj", db)
    return TeamConnection(db) if isinstance(db, PostgresStore) else db.connection()
