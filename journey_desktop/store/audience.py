"""A journey's audience: the CSV import as one transaction, and paged reads for the viewer."""

from __future__ import annotations

import csv
import gc
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from journey_desktop.domain.audience_csv import (
    CsvFileError,
    CustomerBatch,
    CustomerReader,
    ImportPlan,
    create_text,
)
from journey_desktop.domain.csv_records import RejectLog, rejects_file_header
from journey_desktop.domain.fields_json import MisfitLog
from journey_desktop.domain.lifecycle import ACTIVE, Action, refusal_text
from journey_desktop.store import dialect as dialects
from journey_desktop.store.customer_fields import record_fields
from journey_desktop.store.db import database
from journey_desktop.store.membership import audience_lock
from journey_desktop.store.outbox import FILE_ENCODING
from journey_desktop.store.plan_notes import note_removed
from journey_desktop.store.read_ahead import ReadAhead
from journey_desktop.store.records import JourneyRecord, MemberRecord, ProfileRecord
from journey_desktop.store.repository import (
    JourneyNotFoundError,
    JourneyRepository,
    LifecycleError,
)

log = logging.getLogger(__name__)

ADD = "add"
REPLACE = "replace"
BATCH_ROWS = 10_000
LOG_EVERY_ROWS = 100_000

# progress(rows_read, bytes_read, bytes_total); it may raise (a cancel) to roll back.
Progress = Callable[[int, int, int], None]


@dataclass
class ImportResult:
    """The counts of SPEC §4; ``committed`` is False when nothing could be imported."""

    read: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    removed: int = 0
    blank: int = 0
    committed: bool = False
    mode: str = ADD
    rejects: RejectLog = field(default_factory=RejectLog)
    misfits: MisfitLog = field(default_factory=MisfitLog)  # values stored as not set
    columns: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    skipped_columns: tuple[str, ...] = ()  # a rejects file's line and reason: not imported

    def save_rejects(self, path: str | Path) -> None:
        """Write the rejected rows as a file to fix and import again (SPEC §4)."""
        write_rejects(self.rejects, path)

    def save_misfits(self, path: str | Path) -> None:
        """Write every value that did not fit its column's type (SPEC §4)."""
        write_misfits(self.misfits, path)

    def close(self) -> None:
        """Forget the rejected rows and values not fitting spooled to temporary files."""
        self.rejects.close()
        self.misfits.close()


def write_rejects(rejects: RejectLog, path: str | Path) -> None:
    """Rejected rows as a file to fix and import again (SPEC §4, §11).

    In the source's delimiter and encoding: ``line`` and ``reason`` first (so they stay
    in place whatever a row's width), then the source's columns. The cells are the
    source's own, exactly (no formula escaping: the file is imported again, and an
    escape would land in the profile); an import of the file leaves ``line`` and
    ``reason`` out (``rejects_file_columns``).
    """
    with create_text(path, rejects.encoding) as out:
        writer = csv.writer(out, delimiter=rejects.delimiter)
        writer.writerow(rejects_file_header(rejects.header))
        for reject in rejects:
            writer.writerow([reject.line, reject.reason, *reject.cells])


MISFITS_HEADER = ("line", "column", "value", "reason")


def write_misfits(misfits: MisfitLog, path: str | Path) -> None:
    """Every value stored as not set because it did not fit its column's type, in file
    order: ``line``, ``column``, ``value``, ``reason``, as a file for spreadsheets (UTF-8
    with a BOM, comma separated: SPEC §4). Values are written exactly as read, like the
    rejects file's: they are the user's own, to find and fix in the source."""
    with open(path, "w", encoding=FILE_ENCODING, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(MISFITS_HEADER)
        for misfit in misfits:
            writer.writerow((misfit.line, misfit.column, misfit.value, misfit.reason))


@dataclass
class AudienceRow:
    external_id: str
    fields: dict[str, str]
    entries: int


class _NothingImported(Exception):
    """Rolls the transaction back when every row was rejected."""


def _counted_batches(reader: CustomerReader) -> Iterator[tuple[CustomerBatch, int, int]]:
    """Each batch with the rows and bytes read up to its end (for progress)."""
    for batch in reader.batches(BATCH_ROWS):
        yield batch, reader.rows_so_far, reader.bytes_read


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of short-lived rows go by.

    They hold no cycles; tracking them made the collector a third of the import time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class AudienceStore:
    """The audience of journeys, on the initialised ``database`` proxy."""

    def __init__(self, repo: JourneyRepository | None = None) -> None:
        self.repo = repo or JourneyRepository()

    # --- import --------------------------------------------------------------------------

    def check_importable(self, journey_id: int) -> JourneyRecord:
        """The journey; LifecycleError for a deactivated one (its audience is final)."""
        record = JourneyRecord.get_or_none(JourneyRecord.id == journey_id)
        if record is None:
            raise JourneyNotFoundError(f"no journey with id {journey_id}")
        text = refusal_text(record.name, record.status, Action.IMPORT_AUDIENCE)
        if text is not None:
            raise LifecycleError(text)
        return record

    def import_csv(
        self,
        journey_id: int,
        plan: ImportPlan,
        *,
        mode: str = ADD,
        now: int | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import a journey's audience in one transaction: an error, a cancel or a crash
        changes nothing. The file's columns update the customers' profiles too.

        Raises CsvFileError for a file that cannot be read, RepositoryError when the journey
        does not allow it; returns ``committed=False`` when every row was rejected.
        """
        if mode not in (ADD, REPLACE):
            raise ValueError(f"unknown import mode {mode!r}")
        return self._import(journey_id, plan, mode=mode, now=now, progress=progress)

    def import_profiles(
        self,
        plan: ImportPlan,
        *,
        now: int | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import customers into the customer base alone (File → Import customers…): their
        profiles are added or updated, no journey's audience changes except those whose
        audience is everyone. One transaction, as an audience import."""
        return self._import(None, plan, mode=ADD, now=now, progress=progress)

    def _import(
        self,
        journey_id: int | None,
        plan: ImportPlan,
        *,
        mode: str,
        now: int | None,
        progress: Progress | None,
    ) -> ImportResult:
        stamp = int(time.time()) if now is None else int(now)
        started = time.perf_counter()
        target = "the customer base" if journey_id is None else f"journey {journey_id}"
        result = ImportResult(mode=mode, rejects=RejectLog(plan.delimiter, plan.encoding),
                              skipped_columns=plan.skipped)
        reader = CustomerReader(plan, result.rejects)
        dialect = dialects.bulk()
        try:
            with collector_paused(), dialect.write_transaction():
                if journey_id is not None:
                    dialects.lock_writers(database, audience_lock(journey_id))
                # A draft's customers become due when it is activated, an active
                # journey's at the next tick.
                due = (journey_id is not None
                       and self.check_importable(journey_id).status == ACTIVE)
                with (
                    reader,
                    dialect.CustomerUpsert(journey_id, stamp, due=due) as upsert,
                    ReadAhead(_counted_batches(reader), name="audience-reader") as batches,
                ):
                    logged = 0
                    for batch, rows, position in batches:
                        upsert.write(batch)
                        if rows - logged >= LOG_EVERY_ROWS:
                            log.info("import into %s: %d rows written", target, rows)
                            logged = rows
                        if progress is not None:
                            progress(rows, position, reader.size)
                    self._fill_counts(result, reader)
                    if result.read == 0:
                        raise CsvFileError("the file has a header line but no customer rows")
                    if reader.accepted == 0:
                        raise _NothingImported()
                    counts = upsert.finish(replace=mode == REPLACE)
                result.added = counts.added
                result.updated = counts.updated
                result.duplicates = counts.duplicates
                result.removed = counts.removed
                if counts.removed and journey_id is not None:
                    note_removed(database, journey_id, stamp, counts.removed)
                if journey_id is not None:
                    result.columns = self._merge_columns(journey_id, plan.columns, mode)
                    self.repo.set_audience_columns(journey_id, result.columns)
                else:
                    result.columns = dict(plan.columns)
                # Whichever way they came, the columns are the profiles' fields now.
                record_fields(database, plan.columns)
            result.committed = True
        except _NothingImported:
            result.committed = False
        except BaseException:
            result.rejects.close()
            reader.misfits.close()
            raise
        result.seconds = time.perf_counter() - started
        log.info(
            "import into %s (%s): read %d, added %d, updated %d, "
            "duplicates %d, rejected %d, removed %d, %.1f s",
            target, mode, result.read, result.added, result.updated,
            result.duplicates, result.rejected, result.removed, result.seconds,
        )
        return result

    def count_leaving(
        self, journey_id: int, plan: ImportPlan, *, progress: Progress | None = None
    ) -> int:
        """How many customers a replace with this file would remove (for the confirmation)."""
        if self.count(journey_id) == 0:
            return 0
        rejects = RejectLog(plan.delimiter, plan.encoding)
        reader = CustomerReader(plan, rejects)
        try:
            with collector_paused(), reader:

                def ids() -> Iterator[list[str]]:
                    for batch in reader.batches(BATCH_ROWS):
                        yield batch.ids
                        if progress is not None:
                            progress(reader.rows_so_far, reader.bytes_read, reader.size)

                return int(dialects.bulk().count_missing(journey_id, ids()))
        finally:
            rejects.close()
            reader.misfits.close()

    @staticmethod
    def _fill_counts(result: ImportResult, reader: CustomerReader) -> None:
        result.read = reader.read
        result.rejected = reader.rejects.count
        result.blank = reader.blank
        result.misfits = reader.misfits

    def _merge_columns(self, journey_id: int, columns: dict[str, str], mode: str) -> dict[str, str]:
        """Replace: the file's columns. Add: the known columns, updated and extended."""
        if mode == REPLACE:
            return dict(columns)
        merged = dict(self.repo.get(journey_id).audience_columns)
        merged.update(columns)
        return merged

    # --- reading -------------------------------------------------------------------------

    def count(self, journey_id: int, prefix: str = "") -> int:
        return int(self._query(journey_id, prefix).count())

    def columns(self, journey_id: int) -> dict[str, str]:
        return dict(self.repo.get(journey_id).audience_columns)

    def page(
        self,
        journey_id: int,
        *,
        prefix: str = "",
        after: str | None = None,
        before: str | None = None,
        last: bool = False,
        limit: int = 100,
    ) -> list[AudienceRow]:
        """One page of members in ID order, by keyset: the first page, the page after or
        before a given ID, or the last page. Uses the (journey, external_id) key, so a
        page costs the same at the end of a million customers as at the start."""
        query = self._query(journey_id, prefix).select(
            MemberRecord.external_id, ProfileRecord.fields, MemberRecord.entries
        ).join(ProfileRecord, on=(ProfileRecord.external_id == MemberRecord.external_id))
        backwards = before is not None or last
        if after is not None:
            query = query.where(MemberRecord.external_id > after)
        if before is not None:
            query = query.where(MemberRecord.external_id < before)
        if last:
            total = self.count(journey_id, prefix)
            limit = total % limit or limit
        order = MemberRecord.external_id.desc() if backwards else MemberRecord.external_id
        rows = [
            AudienceRow(external_id, _fields(fields), entries)
            for external_id, fields, entries in query.order_by(order).limit(limit).tuples()
        ]
        if backwards:
            rows.reverse()
        return rows

    def find(self, journey_id: int, external_id: str) -> AudienceRow | None:
        row = (
            MemberRecord.select(MemberRecord.external_id, ProfileRecord.fields,
                                MemberRecord.entries)
            .join(ProfileRecord, on=(ProfileRecord.external_id == MemberRecord.external_id))
            .where((MemberRecord.journey == journey_id)
                   & (MemberRecord.external_id == external_id))
            .tuples()
            .first()
        )
        if row is None:
            return None
        return AudienceRow(row[0], _fields(row[1]), row[2])

    @staticmethod
    def _query(journey_id: int, prefix: str):  # type: ignore[no-untyped-def]
        query = MemberRecord.select().where(MemberRecord.journey == journey_id)
        if prefix:
            # A range rather than LIKE: IDs are case-sensitive and the range uses the key.
            query = query.where(
                (MemberRecord.external_id >= prefix)
                & (MemberRecord.external_id < prefix + "\U0010ffff")
            )
        return query


def _fields(text: str) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
