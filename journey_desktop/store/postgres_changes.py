"""The team database's word that a journey changed (SPEC §14): ``NOTIFY journey_changes``
with the journey's id, sent by every write in its transaction, and the ``LISTEN`` side,
on a connection of its own."""

from __future__ import annotations

import logging
from typing import Any

from journey_desktop.store.postgres import CONNECT_TIMEOUT_SECONDS, PostgresStore

log = logging.getLogger(__name__)

CHANNEL = "journey_changes"


def notify_journey_changed(db: PostgresStore, journey_id: int) -> None:
    """Queue the notification in the current transaction: listeners hear it at commit."""
    db.execute_sql("SELECT pg_notify(?, ?)", (CHANNEL, str(int(journey_id))))


class PostgresListener:
    """A dedicated autocommit connection that listens on ``journey_changes``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None

    def connect(self) -> None:
        import psycopg

        self._conn = psycopg.connect(self.url, autocommit=True,
                                     connect_timeout=CONNECT_TIMEOUT_SECONDS)
        self._conn.execute(f"LISTEN {CHANNEL}")

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def receive(self, seconds: float) -> set[int]:
        """The journey ids notified within ``seconds`` (returns at the first, with any
        others already there). Raises psycopg's error when the connection is lost."""
        conn = self._conn
        ids: set[int] = set()
        for timeout, stop in ((seconds, 1), (0.0, None)):
            for notice in conn.notifies(timeout=timeout, stop_after=stop):
                try:
                    ids.add(int(notice.payload))
                except ValueError:
                    log.warning("ignored a %s notification %.40r", CHANNEL, notice.payload)
        return ids

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
