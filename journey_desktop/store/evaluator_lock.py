"""One evaluator per database (SPEC §5): a lock row that names its holder and expires;
the same mechanism keeps outbox exports one at a time.

The row is taken in a write transaction, so two processes starting in the same second
cannot both win. A holder is stale when it is a dead process on this host, or when its
heartbeat is older than ``stale_after`` seconds (a crash on another host, a reused PID).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from peewee import Database

from journey_desktop.store import dialect, sqlite_sql
from journey_desktop.store.db import database
from journey_desktop.store.postgres import on_postgres

LOCK_NAME = "evaluator"
DEFAULT_STALE_AFTER = 120
HEARTBEAT_EVERY = 30


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    acquired_at: int
    heartbeat_at: int

    def describe(self) -> str:
        return f"the evaluator is already running in process {self.pid} on host {self.host}"


class EvaluatorBusyError(Exception):
    """Another live process holds the evaluator lock; the message names it."""

    def __init__(self, holder: LockHolder) -> None:
        super().__init__(holder.describe())
        self.holder = holder


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this computer."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class DatabaseLock:
    """A named lock row of the database, held by one holder (``token``) at a time.

    Taking it is a write transaction, so two contenders cannot both win; a holder that died
    on this host, or stopped beating for ``stale_after`` seconds, loses it to the next.
    """

    name = ""

    def __init__(
        self,
        db: Database | None = None,
        *,
        stale_after: int = DEFAULT_STALE_AFTER,
        clock: Callable[[], float] = time.time,
        pid: int | None = None,
        host: str | None = None,
        token: str | None = None,
    ) -> None:
        self.db = db if db is not None else database
        self.stale_after = stale_after
        self.clock = clock
        self.pid = os.getpid() if pid is None else pid
        self.host = host or socket.gethostname()
        self.token = token or f"{self.pid}@{self.host}"
        self.held = False

    def busy_error(self, holder: LockHolder) -> Exception:
        """The error that says who holds the lock."""
        raise NotImplementedError

    def _row(self) -> tuple[str, LockHolder] | None:
        row = self.db.execute_sql(
            "SELECT holder, pid, host, acquired_at, heartbeat_at FROM evaluator_lock"
            " WHERE name = ?", (self.name,),
        ).fetchone()
        if row is None:
            return None
        return str(row[0]), LockHolder(int(row[1]), str(row[2]), int(row[3]), int(row[4]))

    def holder(self) -> LockHolder | None:
        row = self._row()
        return row[1] if row else None

    def is_stale(self, holder: LockHolder, now: int) -> bool:
        if holder.host == self.host and not pid_alive(holder.pid):
            return True
        return now - holder.heartbeat_at > self.stale_after

    def acquire(self) -> None:
        """Take the lock, or raise ``busy_error`` naming the live holder."""
        now = int(self.clock())
        with sqlite_sql.write_transaction(self.db):
            dialect.lock_writers(self.db, f"journey-desktop {self.name}")
            row = self._row()
            if row is not None and row[0] != self.token and not self.is_stale(row[1], now):
                raise self.busy_error(row[1])
            self.db.execute_sql(
                "INSERT INTO evaluator_lock (name, holder, pid, host, acquired_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " holder = excluded.holder, pid = excluded.pid, host = excluded.host,"
                " acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at",
                (self.name, self.token, self.pid, self.host, now, now),
            )
        self.held = True

    def heartbeat(self) -> bool:
        """Say we are alive; False when the lock was taken over meanwhile (stop)."""
        if not self.held:
            return False
        updated = self.db.execute_sql(
            "UPDATE evaluator_lock SET heartbeat_at = ? WHERE name = ? AND holder = ?",
            (int(self.clock()), self.name, self.token),
        ).rowcount
        self.held = updated > 0
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self.db.execute_sql(
            "DELETE FROM evaluator_lock WHERE name = ? AND holder = ?", (self.name, self.token)
        )
        self.held = False

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


class EvaluatorLock(DatabaseLock):
    """The evaluator lock, held by this process: one evaluator per SQLite database. A team
    database has no such lock: its evaluators share the due work (SPEC §14,
    ``store/postgres_tick``), so the lock is always held there and never written."""

    name = LOCK_NAME

    def busy_error(self, holder: LockHolder) -> Exception:
        return EvaluatorBusyError(holder)

    def _shared(self) -> bool:
        return on_postgres(self.db)

    def acquire(self) -> None:
        if self._shared():
            self.held = True
            return
        super().acquire()

    def heartbeat(self) -> bool:
        if self._shared():
            return self.held
        return super().heartbeat()

    def release(self) -> None:
        if self._shared():
            self.held = False
            return
        super().release()
