"""One outbox export at a time per database, so that two exports never send a message twice.

An export reads the rows to write, writes the file, then marks them; a second export that
started meanwhile would read the same rows. The lock is a row of the ``evaluator_lock``
table (named ``outbox export``), taken in a write transaction and held by one export, not
by a process: the window and a scheduled command in the same process exclude each other
too. Like the evaluator's lock it expires when its holder dies or stops beating.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from types import TracebackType

from peewee import Database

from journey_desktop.store import sqlite_sql
from journey_desktop.store.db import database
from journey_desktop.store.evaluator_lock import DEFAULT_STALE_AFTER, LockHolder, pid_alive

LOCK_NAME = "outbox export"


class ExportBusyError(Exception):
    """Another export of this database is running; the message names its process."""

    def __init__(self, holder: LockHolder) -> None:
        super().__init__(f"an outbox export is already running in process {holder.pid} on "
                         f"host {holder.host}; try again when it has finished")
        self.holder = holder


class ExportLock:
    """The export lock of one database, held by this export while it runs."""

    def __init__(self, db: Database | None = None, *, stale_after: int = DEFAULT_STALE_AFTER,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db if db is not None else database
        self.stale_after = stale_after
        self.clock = clock
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.token = f"{self.pid}@{self.host}/{uuid.uuid4().hex}"

    def _holder(self) -> tuple[str, LockHolder] | None:
        row = self.db.execute_sql(
            "SELECT holder, pid, host, acquired_at, heartbeat_at FROM evaluator_lock"
            " WHERE name = ?", (LOCK_NAME,)).fetchone()
        if row is None:
            return None
        return str(row[0]), LockHolder(int(row[1]), str(row[2]), int(row[3]), int(row[4]))

    def _is_stale(self, holder: LockHolder, now: int) -> bool:
        if holder.host == self.host and not pid_alive(holder.pid):
            return True
        return now - holder.heartbeat_at > self.stale_after

    def acquire(self) -> None:
        """Take the lock, or raise ExportBusyError naming the export that holds it."""
        now = int(self.clock())
        with sqlite_sql.write_transaction(self.db):
            current = self._holder()
            if current is not None and current[0] != self.token \
                    and not self._is_stale(current[1], now):
                raise ExportBusyError(current[1])
            self.db.execute_sql(
                "INSERT INTO evaluator_lock (name, holder, pid, host, acquired_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " holder = excluded.holder, pid = excluded.pid, host = excluded.host,"
                " acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at",
                (LOCK_NAME, self.token, self.pid, self.host, now, now))

    def heartbeat(self) -> bool:
        """Say the export is alive; False when another export took the lock over (stop)."""
        return self.db.execute_sql(
            "UPDATE evaluator_lock SET heartbeat_at = ? WHERE name = ? AND holder = ?",
            (int(self.clock()), LOCK_NAME, self.token)).rowcount > 0

    def release(self) -> None:
        self.db.execute_sql("DELETE FROM evaluator_lock WHERE name = ? AND holder = ?",
                            (LOCK_NAME, self.token))

    def __enter__(self) -> ExportLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
