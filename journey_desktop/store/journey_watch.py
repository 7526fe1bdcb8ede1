"""Noticing other writers' journey changes (SPEC §14: windows show others' changes within
a few seconds), behind one small interface: ``open_watch()`` gives a ``JourneyWatch`` whose
``wait(seconds)`` answers which journeys changed since it last answered.

On a team database it listens for the ``NOTIFY`` every journey write sends
(``store/postgres_changes``) and hears a change at once; on a SQLite file it asks every
``SQLITE_POLL_SECONDS`` whether another connection committed (``PRAGMA data_version``, no
I/O) and only then reads the journeys' versions. A watch runs on a thread of its own
(``services/journey_watch``): waiting, or reconnecting to a lost server, never holds up
a window. It reads with a connection of its own, never the store's.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from journey_desktop.store.postgres import PostgresStore
from journey_desktop.store.postgres_changes import PostgresListener

log = logging.getLogger(__name__)

SQLITE_POLL_SECONDS = 2.0
LISTEN_SECONDS = 1.0  # how long one wait on a team database blocks (so a stop is heard)


@dataclass(frozen=True)
class JourneyChange:
    """Journeys written by someone since the last answer: ``ids``; ``everything`` when
    it cannot be known which (the connection was lost meanwhile): read them all again."""

    ids: frozenset[int] = frozenset()
    everything: bool = False

    def concerns(self, journey_id: int) -> bool:
        return self.everything or journey_id in self.ids


class JourneyWatch(Protocol):
    def wait(self, seconds: float) -> JourneyChange | None:
        """Journeys changed within about ``seconds`` (None: none); never raises for a
        lost connection (it reconnects on a later call)."""

    def stop_waiting(self) -> None:
        """Make a ``wait`` under way return soon (from another thread)."""

    def close(self) -> None: ...

    @property
    def wait_seconds(self) -> float: ...


def open_watch(db: Any = None) -> JourneyWatch:
    """The watch for the open store (or ``db``): listening on a team database, polling a
    SQLite file."""
    if db is None:
        from journey_desktop.store.db import proxy

        db = proxy.obj
    db = getattr(db, "obj", db)
    if isinstance(db, PostgresStore):
        return ListeningWatch(db.url)
    return PollingWatch(Path(db.database))


class PollingWatch:
    """The SQLite side: a commit by another connection, then which versions moved."""

    wait_seconds = SQLITE_POLL_SECONDS

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._data_version = -1
        self._versions: dict[int, int] = {}
        try:
            self._open()
        except sqlite3.Error as exc:
            log.warning("journey watch on %s: %s (trying again later)", path, exc)

    def _open(self) -> None:
        conn = sqlite3.connect(str(self.path), timeout=1.0, check_same_thread=False,
                               isolation_level=None)
        conn.execute("PRAGMA query_only = 1")
        self._conn = conn
        self._data_version = self._read_data_version()
        self._versions = self._read_versions()

    def _read_data_version(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _read_versions(self) -> dict[int, int]:
        assert self._conn is not None
        return {int(jid): int(version) for jid, version in
                self._conn.execute("SELECT id, version FROM journey")}

    def wait(self, seconds: float) -> JourneyChange | None:
        if self._stop.wait(seconds):
            return None
        try:
            if self._conn is None:
                self._open()
                return JourneyChange(everything=True)
            data_version = self._read_data_version()
            if data_version == self._data_version:
                return None
            self._data_version = data_version
            versions = self._read_versions()
        except sqlite3.Error as exc:
            log.warning("journey watch on %s: %s", self.path, exc)
            return None
        before, self._versions = self._versions, versions
        moved = {jid for jid in before.keys() | versions.keys()
                 if before.get(jid) != versions.get(jid)}
        return JourneyChange(frozenset(moved)) if moved else None

    def stop_waiting(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class ListeningWatch:
    """The team database side: ``LISTEN journey_changes`` on a connection of its own."""

    wait_seconds = LISTEN_SECONDS

    def __init__(self, url: str) -> None:
        self._listener = PostgresListener(url)
        self._lost = False
        self._stop = threading.Event()
        try:
            self._listener.connect()
        except Exception as exc:  # the store reports a lost server; here we only retry
            log.warning("journey watch: cannot listen (%s); trying again later", exc)
            self._lost = True

    def wait(self, seconds: float) -> JourneyChange | None:
        if self._stop.is_set():
            return None
        try:
            if not self._listener.connected:
                self._stop.wait(seconds)
                self._listener.connect()
                # What was notified while nobody listened is gone: read everything.
                self._lost = False
                return JourneyChange(everything=True)
            ids = self._listener.receive(seconds)
        except Exception as exc:  # psycopg.Error, OSError: the server went away
            if not self._lost:
                log.warning("journey watch: the connection was lost (%s)", exc)
            self._lost = True
            self._listener.close()
            return None
        return JourneyChange(frozenset(ids)) if ids else None

    def stop_waiting(self) -> None:
        self._stop.set()  # a wait under way ends within LISTEN_SECONDS

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
