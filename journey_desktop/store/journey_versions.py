"""Several editors (SPEC §14): a journey's version, who wrote it, the refusal to save over
a newer version, and the word to the other windows that a journey changed.

Every write of a journey row goes through ``JourneyRepository``, which stamps it here
(``stamp``) and tells the watchers (``tell_changed``) in the same transaction.
"""

from __future__ import annotations

import getpass
import time
from dataclasses import dataclass
from typing import Any

from journey_desktop.domain.edit_words import changed_text, conflict_text
from journey_desktop.store.db import proxy
from journey_desktop.store.errors import RepositoryError
from journey_desktop.store.postgres import PostgresStore
from journey_desktop.store.postgres_changes import notify_journey_changed
from journey_desktop.store.records import JourneyRecord


@dataclass(frozen=True)
class EditState:
    """What an open editor compares with what it loaded: one row, cheap to poll."""

    status: str
    version: int
    updated_by: str
    updated_at: int


def edit_state(journey_id: int) -> EditState | None:
    """The journey's status and version, who saved it last and when (None: removed)."""
    row = (JourneyRecord.select(JourneyRecord.status, JourneyRecord.version,
                                JourneyRecord.updated_by, JourneyRecord.updated_at)
           .where(JourneyRecord.id == journey_id).tuples().first())
    return None if row is None else EditState(str(row[0]), int(row[1]), str(row[2]),
                                              int(row[3]))


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


def check_version(record: JourneyRecord, version: int | None, *,
                  now: int | None = None) -> None:
    """Refuse a write over a version newer than ``version``, naming who and when."""
    if version is not None and record.version != version:
        raise StaleJourneyError(record.id, record.name, record.updated_by,
                                record.updated_at, record.version, now)


def write_version(record: JourneyRecord, version: int | None, now: int | None,
                  **values: Any) -> int:
    """Write a journey's row as its next version, stamped with who and when, and tell the
    other windows: ``UPDATE … WHERE id = ? AND version = ?`` over ``version`` when given,
    else over the one ``record`` read in this transaction. Returns the new version; a
    row changed meanwhile writes nothing and raises ``StaleJourneyError``."""
    expected = record.version if version is None else version
    stamp = int(time.time()) if now is None else int(now)
    written = JourneyRecord.update(
        version=expected + 1, updated_by=writer_name(), updated_at=stamp, **values,
    ).where((JourneyRecord.id == record.id) & (JourneyRecord.version == expected)).execute()
    if not written:
        current = JourneyRecord.get_or_none(JourneyRecord.id == record.id)
        if current is None:
            raise RepositoryError(f"no journey with id {record.id}")
        check_version(current, expected, now=stamp)
    tell_changed(record.id)
    return expected + 1
