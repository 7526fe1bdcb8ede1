"""One outbox export at a time per database, so that two exports never send a message twice.

An export reads the rows to write, writes the file, then marks them; a second export that
started meanwhile would read the same rows. The lock is a row of the ``evaluator_lock``
table (named ``outbox export``), taken in a write transaction and held by one export, not
by a process: the window and a scheduled command in the same process exclude each other
too. Like the evaluator's lock it expires when its holder dies or stops beating.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from peewee import Database

from journey_desktop.store.evaluator_lock import DEFAULT_STALE_AFTER, DatabaseLock, LockHolder

LOCK_NAME = "outbox export"


class ExportBusyError(Exception):
    """Another export of this database is running; the message names its process."""

    def __init__(self, holder: LockHolder) -> None:
        super().__init__(f"an outbox export is already running in process {holder.pid} on "
                         f"host {holder.host}; try again when it has finished")
        self.holder = holder


class ExportLock(DatabaseLock):
    """The export lock of one database, held by this export (not this process) while it
    runs."""

    name = LOCK_NAME

    def __init__(self, db: Database | None = None, *, stale_after: int = DEFAULT_STALE_AFTER,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(db, stale_after=stale_after, clock=clock)
        self.token = f"{self.pid}@{self.host}/{uuid.uuid4().hex}"

    def busy_error(self, holder: LockHolder) -> Exception:
        return ExportBusyError(holder)
