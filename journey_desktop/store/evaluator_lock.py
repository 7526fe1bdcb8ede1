"""One evaluator per database (SPEC §5): a lock row that names its holder and expires.

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

from peewee import Database

from journey_desktop.store import sqlite_sql
from journey_desktop.store.db import database

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


class EvaluatorLock:
    """The evaluator lock of the initialised database, held by this process."""

    def __init__(
        self,
        db: Database | None = None,
        *,
        stale_after: int = DEFAULT_STALE_AFTER,
        clock: Callable[[], float] = time.time,
        pid: int | None = None,
        host: str | None = None,
    ) -> None:
        self.db = db if db is not None else database
        self.stale_after = stale_after
        self.clock = clock
        self.pid = os.getpid() if pid is None else pid
        self.host = host or socket.gethostname()
        self.held = False

    def holder(self) -> LockHolder | None:
        row = self.db.execute_sql(
            "SELECT pid, host, acquired_at, heartbeat_at FROM evaluator_lock WHERE name = ?",
            (LOCK_NAME,),
        ).fetchone()
        return LockHolder(int(row[0]), str(row[1]), int(row[2]), int(row[3])) if row else None

    def is_stale(self, holder: LockHolder, now: int) -> bool:
        if holder.host == self.host and not pid_alive(holder.pid):
            return True
        return now - holder.heartbeat_at > self.stale_after

    def acquire(self) -> None:
        """Take the lock, or raise EvaluatorBusyError naming the live holder."""
        now = int(self.clock())
        with sqlite_sql.write_transaction(self.db):
            holder = self.holder()
            mine = holder is not None and holder.pid == self.pid and holder.host == self.host
            if holder is not None and not mine and not self.is_stale(holder, now):
                raise EvaluatorBusyError(holder)
            self.db.execute_sql(
                "INSERT INTO evaluator_lock (name, holder, pid, host, acquired_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " holder = excluded.holder, pid = excluded.pid, host = excluded.host,"
                " acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at",
                (LOCK_NAME, f"{self.pid}@{self.host}", self.pid, self.host, now, now),
            )
        self.held = True

    def heartbeat(self) -> bool:
        """Say we are alive; False when the lock was taken over meanwhile (stop ticking)."""
        if not self.held:
            return False
        updated = self.db.execute_sql(
            "UPDATE evaluator_lock SET heartbeat_at = ? WHERE name = ? AND pid = ? AND host = ?",
            (int(self.clock()), LOCK_NAME, self.pid, self.host),
        ).rowcount
        self.held = updated > 0
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self.db.execute_sql(
            "DELETE FROM evaluator_lock WHERE name = ? AND pid = ? AND host = ?",
            (LOCK_NAME, self.pid, self.host),
        )
        self.held = False

    def __enter__(self) -> EvaluatorLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
