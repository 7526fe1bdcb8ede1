"""Customer events (SPEC §11): the import as one transaction, and reads for the timeline.

The import follows the audience import (``store.audience``): the file read a batch ahead in
a thread of its own while the previous batch is written, one IMMEDIATE transaction, and a
progress callback that may raise (a cancel) to roll everything back.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peewee import Database

from journey_desktop.domain.csv_records import CsvFileError, RejectLog
from journey_desktop.domain.events_file import (
    CSV,
    NO_EVENTS,
    EventBatch,
    EventPlan,
    EventReader,
)
from journey_desktop.domain.fields_json import MisfitLog
from journey_desktop.domain.values import json_object
from journey_desktop.store import dialect as dialects
from journey_desktop.store.audience import (
    BATCH_ROWS,
    LOG_EVERY_ROWS,
    Progress,
    collector_paused,
    write_misfits,
    write_rejects,
)
from journey_desktop.store.db import database
from journey_desktop.store.dialect import browse_sql
from journey_desktop.store.postgres import portable_connection
from journey_desktop.store.read_ahead import ReadAhead

log = logging.getLogger(__name__)

SEEN_SAMPLE = 10_000  # the latest events the editor reads for names and properties


@dataclass
class EventImportResult:
    """The counts of SPEC §11; ``committed`` is False when nothing could be imported."""

    read: int = 0
    added: int = 0
    duplicates: int = 0  # already stored, or earlier in the file (the first one is kept)
    rejected: int = 0
    blank: int = 0
    not_fitting: int = 0  # property values stored as not set (they do not fit the type)
    committed: bool = False
    format: str = CSV
    rejects: RejectLog = field(default_factory=RejectLog)
    misfits: MisfitLog = field(default_factory=MisfitLog)  # the values not fitting
    seconds: float = 0.0

    def save_rejects(self, path: str | Path) -> None:
        """The rejected lines as a file to fix: for CSV the source's delimiter, encoding and
        columns; for JSON Lines ``line,reason,text``."""
        write_rejects(self.rejects, path)

    def save_misfits(self, path: str | Path) -> None:
        """Every property value that did not fit its column's type (as SPEC §4)."""
        write_misfits(self.misfits, path)

    def close(self) -> None:
        """Forget the rejected lines and values not fitting spooled to temporary files."""
        self.rejects.close()
        self.misfits.close()


@dataclass(frozen=True)
class StoredEvent:
    """One stored event, as the customer timeline shows it."""

    seq: int
    external_id: str
    name: str
    occurred_at: int  # UTC seconds
    properties: dict[str, Any]

    @property
    def at(self) -> int:
        return self.occurred_at


class _NothingImported(Exception):
    """Rolls the transaction back when every line was rejected."""


def _counted(reader: EventReader) -> Iterator[tuple[EventBatch, int, int]]:
    """Each batch with the lines and bytes read up to its end (for progress)."""
    for batch in reader.batches(BATCH_ROWS):
        yield batch, reader.rows_so_far, reader.bytes_read


def _remaining(rows: int, position: int, size: int) -> int:
    """About how many lines are left to read, from the bytes each line took so far."""
    return (size - position) * rows // position if position else 0


class EventStore:
    """The events of the database, on the initialised ``database`` proxy (or ``db``)."""

    def __init__(self, db: Database | None = None) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db if self._db is not None else database

    def import_file(
        self,
        plan: EventPlan,
        *,
        now: int | None = None,
        progress: Progress | None = None,
        tz: dt.tzinfo | None = None,
    ) -> EventImportResult:
        """Import an events file in one transaction: an error, a cancel (``progress``
        raising) or a crash stores nothing. Events already stored count as duplicates.

        Raises CsvFileError for a file that cannot be read or holds no events; returns
        ``committed=False`` when every line was rejected.
        """
        stamp = int(time.time()) if now is None else int(now)
        started = time.perf_counter()
        result = EventImportResult(format=plan.format,
                                   rejects=RejectLog(plan.delimiter, plan.encoding))
        reader = EventReader(plan, result.rejects, tz=tz)
        dialect = dialects.bulk()
        try:
            with collector_paused(), dialect.write_transaction():
                insert = dialect.EventInsert(
                    stamp, dialect.next_import_id(portable_connection()))
                with reader, ReadAhead(_counted(reader), name="events-reader") as batches:
                    logged = 0
                    for batch, rows, position in batches:
                        if insert.worth_deferring(_remaining(rows, position, reader.size)):
                            insert.defer_indexes()
                        insert.write(batch)
                        if rows - logged >= LOG_EVERY_ROWS:
                            log.info("events import: %d lines written", rows)
                            logged = rows
                        if progress is not None:
                            progress(rows, position, reader.size)
                    result.read = reader.read
                    result.rejected = reader.rejects.count
                    result.blank = reader.blank
                    result.not_fitting = reader.misfits.count
                    result.misfits = reader.misfits
                    if result.read == 0:
                        raise CsvFileError(NO_EVENTS)  # a header alone, or blank lines
                    if reader.accepted == 0:
                        raise _NothingImported()
                insert.finish()
                result.added = insert.added
                result.duplicates = insert.written - insert.added
            result.committed = True
        except _NothingImported:
            result.committed = False
        except BaseException:
            result.rejects.close()
            reader.misfits.close()
            raise
        result.seconds = time.perf_counter() - started
        log.info("events import (%s): read %d, added %d, duplicates %d, rejected %d, %.1f s",
                 plan.format, result.read, result.added, result.duplicates, result.rejected,
                 result.seconds)
        return result

    # --- reading -------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.db.execute_sql("SELECT count(*) FROM event").fetchone()[0])

    def seen_names(self, sample: int = SEEN_SAMPLE) -> list[str]:
        """The event names of the latest ``sample`` events, sorted: the editor's choices
        (a sample, on the rowid range, so opening an editor never reads the whole table)."""
        return [str(name) for (name,) in self.db.execute_sql(
            "SELECT DISTINCT name FROM (SELECT name FROM event ORDER BY seq DESC LIMIT ?)"
            " AS latest ORDER BY name", (int(sample),))]

    def seen_properties(self, sample: int = SEEN_SAMPLE) -> list[str]:
        """The property paths (``cartId``, ``cart.total``) of the latest ``sample`` events,
        sorted, as conditions and placeholders address them after ``event.``/``matched.``."""
        paths = set(browse_sql(self.db).property_paths(self.db, sample))
        return sorted(path for path in paths if path)

    def events_for(self, external_id: str) -> list[StoredEvent]:
        """A customer's events in time order (then import order), on the
        (external_id, name, occurred_at) index."""
        return [
            StoredEvent(int(seq), ext, name, int(occurred_at), json_object(text))
            for seq, ext, name, occurred_at, text in self.db.execute_sql(
                "SELECT seq, external_id, name, occurred_at, properties FROM event"
                " WHERE external_id = ? ORDER BY occurred_at, seq",
                (external_id,),
            )
        ]


