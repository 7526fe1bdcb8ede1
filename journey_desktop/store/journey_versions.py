"""Several editors (SPEC §14): a journey's version, who wrote it, the refusal to save over
a newer version, and the word to the other windows that a journey changed.

Every write of a journey row goes through ``JourneyRepository``, which stamps it here
(``stamp``) and tells the watchers (``tell_changed``) in the same transaction.
"""

from __future__ import annotations

import getpass
import time
from typing import Any

from journey_desktop.domain.edit_words import changed_text, conflict_text
from journey_desktop.store.db import proxy
from journey_desktop.store.errors import RepositoryError
from journey_desktop.store.postgres import PostgresStore
from journey_desktop.store.postgres_changes import notify_journey_changed


class StaleJourneyError(RepositoryError):
    """The journey was saved by someone else after this editor (or command) read it."""

    def __init__(self, journey_id: int, name: str, updated_by: str, updated_at: int,
                 version: int, now: int | None = None) -> None:
        self.journey_id = journey_id
        self.name = name
        self.updated_by = updated_by
        self.updated_at = updated_at
        self.version = version
        self.now = int(time.time()) if now is None else now
        super().__init__(conflict_text(updated_by, name, updated_at, self.now))

    def changed_text(self) -> str:
        """"Anna changed “Welcome” at 14:05", without what to do about it."""
        return changed_text(self.updated_by, self.name, self.updated_at, self.now)


def _database() -> Any:
    db = proxy.obj
    return getattr(db, "obj", db)


def writer_name() -> str:
    """Who is writing: the database user on a team database (``current_user``, read once
    per connection), the computer's login name on a SQLite file."""
    db = _database()
    if isinstance(db, PostgresStore):
        name = getattr(db, "_writer_name", None)
        if name is None:
            name = str(db.execute_sql("SELECT current_user").fetchone()[0])
            db._writer_name = name  # type: ignore[attr-defined]
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a service account without a passwd entry)
        return ""


def tell_changed(journey_id: int) -> None:
    """Tell the other windows that the journey changed, inside the writing transaction:
    a NOTIFY on a team database (sent at commit, dropped by a rollback); on a SQLite file
    the watchers see the commit itself (``store/journey_watch``)."""
    db = _database()
    if isinstance(db, PostgresStore):
        notify_journey_changed(db, journey_id)
