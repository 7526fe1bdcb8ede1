"""One evaluator batch on a team database: rows copied into an in-memory SQLite database,
the unchanged engine run on them, and what it changed written back (SPEC §14).

``BatchCopy`` holds the copy. ``load`` brings rows of the team database in (inside the
caller's PostgreSQL transaction, where they were claimed); ``loaded`` keeps a copy of each
table the engine writes (in a second in-memory database attached as ``loaded``, which the
engine's own TEMP tables and pragmas leave alone); ``write_back`` compares each with what
the engine left, in SQL, and writes the difference: new rows
inserted, changed rows updated, removed rows deleted, and the counters (node visits,
messages written, wait counts, rate slots) added as deltas, never overwritten with the
copy's stale totals. New runs and messages take their ids from the team database's own
sequences, reserved for the batch, so ids stay unique across evaluators; the rows that
name a run (a conversion, the goal mark) follow. A new message whose once-only key is
already taken raises ``psycopg.errors.UniqueViolation``: the batch was done elsewhere and
the caller's transaction rolls back whole.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from peewee import CompositeKey, SqliteDatabase

from journey_desktop.store.postgres import PostgresStore, to_psycopg
from journey_desktop.store.records import ALL_RECORDS
from journey_desktop.store.team_copy import columns_of, copy_rows, create_sqlite_schema

# Tables the engine only reads: never written back.
READ_ONLY = frozenset({
    "schema_version", "setting", "journey", "event", "delivery",
    "delivery_count", "forecast_day", "evaluator_lock",
})
# Tables the engine only adds to, as an import may meanwhile (an event's new customer's
# profile): their new rows are inserted unless one with the key is there by then.
ADD_ONLY = frozenset({"profile"})
# Counters: the copy's change is added to the team database's value.
COUNTERS: dict[str, tuple[str, ...]] = {
    "node_visit": ("visits",),
    "message_count": ("written",),
    "wait_event_count": ("matched", "timed_out", "late"),
    "rate_slot": ("used",),
}
# Tables whose ids come from a sequence, and the columns of other tables that name them.
ID_TABLES = ("run", "outbox")
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "run": (("conversion", "run_id"), ("goal_mark", "run_id")),
    "outbox": (("delivery", "outbox_id"),),
}
# Tables that name runs by id: compared after the swap of new runs' ids (few rows a batch).
NAMING_RUNS = frozenset(table for table, _ in REFERENCES["run"])
# The attached database of the tables as loaded.
LOADED = "loaded"
# Above this many rows, updates go through a temporary table filled by COPY.
COPY_ABOVE = 200

Key = tuple[Any, ...]


def _key_columns() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for record in ALL_RECORDS:
        meta = record._meta
        pk = meta.primary_key
        if isinstance(pk, CompositeKey):
            keys[meta.table_name] = [meta.fields[name].column_name for name in pk.field_names]
        else:
            keys[meta.table_name] = [pk.column_name]  # type: ignore[union-attr]
    return keys


KEY_COLUMNS = _key_columns()
WRITTEN = [record._meta.table_name for record in ALL_RECORDS
           if record._meta.table_name not in READ_ONLY]


class BatchCopy:
    """An in-memory SQLite database with the current schema, loaded batch by batch."""

    def __init__(self, source: PostgresStore) -> None:
        self.source = source
        self.db = SqliteDatabase(":memory:", check_same_thread=False,
                                 pragmas={"foreign_keys": 0})
        self.db.connect()
        create_sqlite_schema(self.db)
        conn = self.db.connection()
        assert isinstance(conn, sqlite3.Connection)
        self.conn = conn
        conn.execute(f"ATTACH DATABASE ':memory:' AS {LOADED}")
        self._sequences: dict[str, str] = {}
        self.tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        self.columns = {table: columns_of(conn, table) for table in self.tables}

    def close(self) -> None:
        self.db.close()

    def clear(self) -> None:
        """Empty every table, ready for the next batch."""
        for table in self.tables:
            self.conn.execute(f'DELETE FROM main."{table}"')
        self.conn.execute("DELETE FROM main.sqlite_sequence")
        self._drop_before()
        self.conn.commit()

    def _drop_before(self) -> None:
        for table in WRITTEN:
            self.conn.execute(f'DROP TABLE IF EXISTS {_before(table)}')

    def load(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        """Copy the rows ``where`` selects (PostgreSQL SQL, ``?`` placeholders)."""
        with self._one_transaction():
            return copy_rows(self.source, self.conn, table, where, params)

    def insert(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Rows given whole, in the table's column order."""
        if rows:
            marks = ", ".join("?" for _ in self.columns[table])
            with self._one_transaction():
                self.conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)

    @contextlib.contextmanager
    def _one_transaction(self) -> Iterator[None]:
        """The rows of one load in one transaction of the copy (the connection commits
        each statement by itself: a transaction a row cost a third of the load)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def loaded(self) -> None:
        """Everything is in: keep what the written tables hold, to compare later."""
        self.conn.commit()
        self._drop_before()
        for table in WRITTEN:
            before = _before(table)
            keys = ", ".join(f'"{c}"' for c in KEY_COLUMNS[table])
            self.conn.execute(f'CREATE TABLE {before} AS SELECT * FROM main."{table}"')
            self.conn.execute(f'CREATE UNIQUE INDEX {LOADED}."{table}_key" ON "{table}" ({keys})')
        self.conn.commit()

    def _rows(self, table: str, source: str) -> dict[Key, tuple[Any, ...]]:
        """Every row of a small table (``source``: the table, or its copy as loaded)."""
        columns = self.columns[table]
        index = [columns.index(c) for c in KEY_COLUMNS[table]]
        names = ", ".join(f'"{c}"' for c in columns)
        return {
            tuple(row[i] for i in index): tuple(row)
            for row in self.conn.execute(f"SELECT {names} FROM {source}")
        }

    def _diff(self, table: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                                         list[tuple[Any, ...]]]:
        """The rows the engine added and changed, and the keys of those it removed: the
        table joined on its key with its copy as loaded, in SQL (a row is read into
        Python only when it is to be written)."""
        columns = self.columns[table]
        keys = KEY_COLUMNS[table]
        before = _before(table)
        on = " AND ".join(f'b."{c}" = a."{c}"' for c in keys)
        differs = " OR ".join(f'a."{c}" IS NOT b."{c}"' for c in columns if c not in keys)
        names = ", ".join(f'a."{c}"' for c in columns)
        # Two passes, each row fetched as the tuple it is written from.
        joined = f'SELECT {names} FROM main."{table}" AS a LEFT JOIN {before} AS b ON {on}'
        new = self.conn.execute(f"{joined} WHERE b.rowid IS NULL").fetchall()
        changed = self.conn.execute(
            f"{joined} WHERE b.rowid IS NOT NULL AND ({differs or 'false'})").fetchall()
        key_names = ", ".join(f'b."{c}"' for c in keys)
        gone = self.conn.execute(
            f"SELECT {key_names} FROM {before} AS b"
            f' WHERE NOT EXISTS (SELECT 1 FROM main."{table}" AS a WHERE {on})').fetchall()
        return new, changed, [tuple(key) for key in gone]

    # --- writing back ---------------------------------------------------------------------

    def write_back(self) -> int:
        """Write what the engine changed into the team database (the caller's transaction);
        returns how many rows changed."""
        changed = 0
        ids: dict[str, dict[Any, Any]] = {}
        for table in ID_TABLES:
            new = [row[0] for row in self.conn.execute(
                f'SELECT a.id FROM main."{table}" AS a WHERE NOT EXISTS (SELECT 1 FROM'
                f" {_before(table)} AS b WHERE b.id = a.id) ORDER BY a.id")]
            ids[table] = dict(zip(new, self._reserve(table, len(new)), strict=True))
        for table in WRITTEN:
            if table in COUNTERS or table in NAMING_RUNS:
                # Small tables, compared whole in Python, their run ids swapped first
                # (a reference to a new run may equal an old id of the copy's numbering).
                after = self._mapped(table, self._rows(table, f'main."{table}"'), ids)
                before = self._mapped(table, self._rows(table, _before(table)), ids)
                if table in COUNTERS:
                    changed += self._write_counters(table, before, after)
                else:
                    changed += self._write_rows(table, *_compared(before, after))
                continue
            new, altered, gone = self._diff(table)
            new, altered = self._swapped(table, new, ids), self._swapped(table, altered, ids)
            if table in ADD_ONLY:
                changed += self._add_rows(table, new)
            else:
                changed += self._write_rows(table, new, altered, gone)
        return changed

    def _reserve(self, table: str, count: int) -> list[int]:
        """``count`` ids of the table's sequence, each taken by ``nextval`` (another
        evaluator's reservations interleave, never overlap)."""
        if count <= 0:
            return []
        sequence = self._sequences.get(table)
        if sequence is None:  # named once: looked up in every row, it cost three times more
            (sequence,) = self.source.execute_sql(
                "SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone()
            self._sequences[table] = sequence
        rows = self.source.execute_sql(
            "SELECT nextval(?::regclass) FROM generate_series(1, ?)",
            (sequence, count)).fetchall()
        return sorted(int(r[0]) for r in rows)

    def _swaps(self, table: str, ids: dict[str, dict[Any, Any]],
               ) -> list[tuple[int, dict[Any, Any]]]:
        """The columns of ``table`` that hold a new run's or message's id, and the map
        from the copy's ids to the reserved ones."""
        columns = self.columns[table]
        swaps = [(columns.index("id"), ids[table])] if table in ids else []
        for target, refs in REFERENCES.items():
            swaps += [(columns.index(col), ids[target]) for t, col in refs if t == table]
        return [(position, mapping) for position, mapping in swaps if mapping]

    def _swapped(self, table: str, rows: list[tuple[Any, ...]],
                 ids: dict[str, dict[Any, Any]]) -> list[tuple[Any, ...]]:
        """Rows with the copy's new ids replaced by the reserved ones."""
        swaps = self._swaps(table, ids)
        if not swaps or not rows:
            return rows
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for position, mapping in swaps:
                values[position] = mapping.get(values[position], values[position])
            out.append(tuple(values))
        return out

    def _mapped(self, table: str, rows: dict[Key, tuple[Any, ...]],
                ids: dict[str, dict[Any, Any]]) -> dict[Key, tuple[Any, ...]]:
        """``_swapped`` of rows by key, keyed again."""
        if not self._swaps(table, ids):
            return rows
        columns = self.columns[table]
        index = [columns.index(c) for c in KEY_COLUMNS[table]]
        return {tuple(row[i] for i in index): row
                for row in self._swapped(table, list(rows.values()), ids)}

    def _write_rows(self, table: str, new: list[tuple[Any, ...]],
                    changed: list[tuple[Any, ...]], gone: list[tuple[Any, ...]]) -> int:
        columns = self.columns[table]
        keys = KEY_COLUMNS[table]
        if gone:
            match = " AND ".join(f'"{c}" = ?' for c in keys)
            self._executemany(f'DELETE FROM "{table}" WHERE {match}', gone)
        if changed:
            self._update(table, columns, keys, changed)
        if new:
            self._copy_in(table, columns, new)
        return len(new) + len(changed) + len(gone)

    def _add_rows(self, table: str, new: list[tuple[Any, ...]]) -> int:
        if new:
            columns = self.columns[table]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            self._executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
                              " ON CONFLICT DO NOTHING", new)
        return len(new)

    def _write_counters(self, table: str, before: dict[Key, tuple[Any, ...]],
                        after: dict[Key, tuple[Any, ...]]) -> int:
        columns = self.columns[table]
        keys = KEY_COLUMNS[table]
        counted = COUNTERS[table]
        positions = [columns.index(c) for c in counted]
        deltas: list[tuple[Any, ...]] = []
        for key, row in after.items():
            old = before.get(key)
            values = list(row)
            for p in positions:
                values[p] = (row[p] or 0) - ((old[p] or 0) if old is not None else 0)
            if old is None or any(values[p] for p in positions):
                deltas.append(tuple(values))
        gone = [key for key in before if key not in after]
        if gone:
            match = " AND ".join(f'"{c}" = ?' for c in keys)
            self._executemany(f'DELETE FROM "{table}" WHERE {match}', gone)
        if deltas:
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            adds = ", ".join(f'"{c}" = "{table}"."{c}" + excluded."{c}"' for c in counted)
            conflict = ", ".join(f'"{c}"' for c in keys)
            self._executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks}) '
                f"ON CONFLICT ({conflict}) DO UPDATE SET {adds}", deltas)
        return len(deltas) + len(gone)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.source.connection().cursor() as cur:
            cur.executemany(to_psycopg(sql), [tuple(r) for r in rows])

    def _copy_in(self, table: str, columns: list[str], rows: Sequence[Sequence[Any]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        with self.source.connection().cursor() as cur:
            with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

    def _update(self, table: str, columns: list[str], keys: list[str],
                rows: Sequence[Sequence[Any]]) -> None:
        others = [c for c in columns if c not in keys]
        if len(rows) <= COPY_ABOVE:
            sets = ", ".join(f'"{c}" = ?' for c in others)
            match = " AND ".join(f'"{c}" = ?' for c in keys)
            index = {c: i for i, c in enumerate(columns)}
            params = [tuple(row[index[c]] for c in [*others, *keys]) for row in rows]
            self._executemany(f'UPDATE "{table}" SET {sets} WHERE {match}', params)
            return
        scratch = f"jd_upd_{table}"
        with self.source.connection().cursor() as cur:
            cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{scratch}"'
                        f' (LIKE "{table}") ON COMMIT DELETE ROWS')
            cur.execute(f'TRUNCATE "{scratch}"')
        self._copy_in(scratch, columns, rows)
        sets = ", ".join(f'"{c}" = s."{c}"' for c in others)
        match = " AND ".join(f't."{c}" = s."{c}"' for c in keys)
        with self.source.connection().cursor() as cur:
            cur.execute(f'UPDATE "{table}" AS t SET {sets} FROM "{scratch}" AS s WHERE {match}')


def _before(table: str) -> str:
    """The table holding ``table`` as loaded."""
    return f'{LOADED}."{table}"'


def _compared(before: dict[Key, tuple[Any, ...]], after: dict[Key, tuple[Any, ...]],
              ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[Key]]:
    """New rows, changed rows and the keys of removed rows, by key."""
    new = [row for key, row in after.items() if key not in before]
    changed = [row for key, row in after.items() if key in before and before[key] != row]
    gone = [key for key in before if key not in after]
    return new, changed, gone
