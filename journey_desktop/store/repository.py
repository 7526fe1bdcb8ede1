"""The journey repository: every lifecycle rule of SPEC §1 is enforced here, in one place."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from peewee import SQL, Value, fn

from journey_desktop.domain.journey import AUDIENCE_ALL, Activation, Journey
from journey_desktop.domain.lifecycle import (
    ACTIVE,
    DEACTIVATED,
    DRAFT,
    END_DEACTIVATED,
    IN_PROGRESS,
    STOPPED,
    Action,
    refusal,
    refusal_text,
)
from journey_desktop.domain.validation import (
    NAME_MAX_LENGTH,
    ValidationResult,
    name_problem,
    normalize_name,
    validate,
)
from journey_desktop.store import customer_fields, plan_notes
from journey_desktop.store import journey_versions as versions
from journey_desktop.store.db import database
from journey_desktop.store.dialect import browse_sql, lock_writers
from journey_desktop.store.errors import RepositoryError
from journey_desktop.store.evaluator_events import start_mark
from journey_desktop.store.membership import audience_lock, count_audience, enrol_everyone
from journey_desktop.store.records import (
    JourneyRecord,
    MemberRecord,
    MessageCountRecord,
    NodeVisitRecord,
    OutboxRecord,
    ProfileRecord,
    RunRecord,
)
from journey_desktop.store.sqlite_sql import write_transaction

# Callers only ask whether a database is over 100,000 rows (then they count in a worker).
ROWS_COUNTED_AT_MOST = 200_000


class JourneyNotFoundError(RepositoryError):
    pass


class JourneyNameError(RepositoryError):
    """The journey name is missing, too long or taken."""


class LifecycleError(RepositoryError):
    """The journey's status does not allow the change."""


@dataclass
class StoredJourney:
    id: int
    journey: Journey
    status: str
    created_at: int
    updated_at: int
    activated_at: int | None
    deactivated_at: int | None
    audience_columns: dict[str, str] = field(default_factory=dict)
    version: int = 1  # +1 on every saved change (SPEC §14: several editors)
    updated_by: str = ""  # who saved it last ('' when not known)

    @property
    def editable(self) -> bool:
        return refusal(self.status, Action.EDIT) is None


@dataclass
class JourneySummary:
    """One row of the journey list."""

    id: int
    name: str
    status: str
    # None: not counted (``summaries(counts=False)``).
    audience: int | None
    entered: int | None
    in_progress: int | None
    messages: int | None
    updated_at: int
    definition: str
    # JSON, column -> type, from the journey's last audience import.
    audience_columns: str = "{}"
    version: int = 1
    updated_by: str = ""
    # JSON, field -> type: the customer base's fields (every journey's audience shares the
    # profiles), which validation checks placeholders and conditions against.
    known_fields: str = "{}"

    def columns(self) -> dict[str, str] | None:
        """The customers' fields for validation (None before any import)."""
        return json.loads(self.known_fields or "{}") or None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "audience": self.audience,
            "entered": self.entered,
            "in_progress": self.in_progress,
            "messages": self.messages,
            "updated_at": self.updated_at,
        }


@dataclass
class RemovalCounts:
    audience: int
    runs: int
    in_progress: int
    messages: int


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else int(now)


def check_name(name: str) -> str:
    """The trimmed name, or JourneyNameError when it is empty, too long or unreadable."""
    problem = name_problem(name)
    if problem:
        raise JourneyNameError(problem)
    return name.strip()


class JourneyRepository:
    """Journeys and their lifecycle on the initialised ``database`` proxy."""

    # --- reading -------------------------------------------------------------------------

    def get(self, journey_id: int) -> StoredJourney:
        record = self._record(journey_id)
        return self._stored(record)

    def status(self, journey_id: int) -> str:
        """The journey's status alone: cheap enough for an open editor to poll."""
        return str(self._record_field(journey_id, JourneyRecord.status))

    def edit_state(self, journey_id: int) -> versions.EditState:
        """Status, version, who saved it last and when: what an open editor polls."""
        if (state := versions.edit_state(journey_id)) is None:
            raise JourneyNotFoundError(f"no journey with id {journey_id}")
        return state

    def find(self, ref: str) -> StoredJourney:
        """A journey by id or exact name (the JOURNEY argument of the command line)."""
        ref = ref.strip()
        record = None
        if ref.isascii() and ref.isdigit() and len(ref) <= 18:  # an id SQLite can hold
            record = JourneyRecord.get_or_none(JourneyRecord.id == int(ref))
        if record is None:
            record = JourneyRecord.get_or_none(JourneyRecord.name == ref)
        if record is None:
            record = JourneyRecord.get_or_none(JourneyRecord.name_key == normalize_name(ref))
        if record is None:
            raise JourneyNotFoundError(f"no journey with id or name {ref!r}")
        return self._stored(record)

    def names(self, *, excluding: int | None = None) -> list[str]:
        query = JourneyRecord.select(JourneyRecord.name)
        if excluding is not None:
            query = query.where(JourneyRecord.id != excluding)
        return [r.name for r in query]

    def name_taken(self, name: str, *, excluding: int | None = None) -> bool:
        query = JourneyRecord.select().where(JourneyRecord.name_key == normalize_name(name))
        if excluding is not None:
            query = query.where(JourneyRecord.id != excluding)
        return query.exists()

    def count(self) -> int:
        return JourneyRecord.select().count()

    def summaries(self, *, counts: bool = True) -> list[JourneySummary]:
        """All journeys with their counts, in four grouped queries rather than one per row.

        Without ``counts`` the counts are None: the journeys alone take milliseconds,
        counting a million customers, runs and messages about half a second. One read
        transaction, so that a tick committing meanwhile cannot make in progress > entered.
        """
        with browse_sql(database).one_snapshot(database):
            return self._summaries(counts)

    def _summaries(self, counts: bool) -> list[JourneySummary]:
        if counts:
            audience = self._counts(MemberRecord, MemberRecord.journey)
            entered = self._counts(RunRecord, RunRecord.journey)
            in_progress = self._counts(
                RunRecord, RunRecord.journey, RunRecord.state == IN_PROGRESS
            )
            messages = self._counts(OutboxRecord, OutboxRecord.journey)
        else:
            audience = entered = in_progress = messages = {}
        default = 0 if counts else None
        rows = JourneyRecord.select(
            JourneyRecord.id,
            JourneyRecord.name,
            JourneyRecord.status,
            JourneyRecord.updated_at,
            JourneyRecord.definition,
            JourneyRecord.audience_columns,
            JourneyRecord.version,
            JourneyRecord.updated_by,
        ).order_by(JourneyRecord.id)
        if counts:
            # A draft for everyone has no members until it is activated: it will have all.
            drafts_for_all = JourneyRecord.select(JourneyRecord.id).where(
                (JourneyRecord.audience == AUDIENCE_ALL) & (JourneyRecord.status == DRAFT)
            )
            if drafts_for_all.exists():
                everyone = self.profile_count()
                ids = cast(Iterable[tuple[int]], drafts_for_all.tuples())
                audience.update({jid: everyone for (jid,) in ids})
        rows_read = cast(list[tuple[Any, ...]], list(rows.tuples()))
        known = json.dumps(customer_fields.known_fields(database, [r[5] for r in rows_read]))
        return [  # plain tuples: building model objects is most of the cost at 10,000 rows
            JourneySummary(
                id=jid,
                name=name,
                status=status,
                audience=audience.get(jid, default),
                entered=entered.get(jid, default),
                in_progress=in_progress.get(jid, default),
                messages=messages.get(jid, default),
                updated_at=updated_at,
                definition=definition,
                audience_columns=columns,
                version=version,
                updated_by=updated_by,
                known_fields=known,
            )
            for jid, name, status, updated_at, definition, columns, version, updated_by
            in rows_read
        ]

    def rows_to_count(self) -> int:
        """About how many rows ``summaries()`` counts: the highest customer, run and message
        ids, read from the end of each table, so it costs nothing. At least the number of
        rows; more when rows below the highest were deleted."""
        total = 0
        for model in (RunRecord, OutboxRecord):
            total += model.select(fn.MAX(model._meta.primary_key)).scalar() or 0
        # Members have no rowid to read the highest of: count them, but never past the
        # point where the answer can change what the caller does with it.
        (members,) = database.execute_sql(
            "SELECT count(*) FROM (SELECT 1 FROM member LIMIT ?) AS counted",
            (ROWS_COUNTED_AT_MOST,),
        ).fetchone()
        return int(total) + int(members)

    @staticmethod
    def profile_count() -> int:
        """How many customers the customer base holds."""
        return int(ProfileRecord.select().count())

    def audience_size(self, journey_id: int) -> int:
        self._record(journey_id)
        return self._audience_size(journey_id)

    def runs_in_progress(self, journey_id: int) -> int:
        self._record(journey_id)
        return self._runs_in_progress(journey_id)

    def summary(self, journey_id: int) -> JourneySummary:
        """One journey's row, its counts read in one snapshot (as ``summaries``)."""
        with database.atomic():
            return self._summary(journey_id)

    def _summary(self, journey_id: int) -> JourneySummary:
        record = self._record(journey_id)
        return JourneySummary(
            id=record.id,
            name=record.name,
            status=record.status,
            audience=self._audience_size(journey_id),
            entered=RunRecord.select().where(RunRecord.journey == journey_id).count(),
            in_progress=self._runs_in_progress(journey_id),
            messages=OutboxRecord.select().where(OutboxRecord.journey == journey_id).count(),
            updated_at=record.updated_at,
            definition=record.definition,
            audience_columns=record.audience_columns,
            version=record.version,
            updated_by=record.updated_by,
            known_fields=json.dumps(self.known_fields()),
        )

    def validate(self, journey_id: int, journey: Journey | None = None) -> ValidationResult:
        """Validate the stored journey, or ``journey`` as it would be saved under this id."""
        stored = self.get(journey_id)
        return validate(
            journey or stored.journey,
            taken_names=self.names(excluding=journey_id),
            audience_columns=self.known_fields() or None,
        )

    @staticmethod
    def known_fields() -> dict[str, str]:
        """The customer base's fields with their types: what every journey's placeholders
        and conditions can name, whichever audience brought them (SPEC §4)."""
        return customer_fields.known_fields(database)

    def removal_counts(self, journey_id: int) -> RemovalCounts:
        summary = self.summary(journey_id)
        return RemovalCounts(
            audience=summary.audience or 0,
            runs=summary.entered or 0,
            in_progress=summary.in_progress or 0,
            messages=summary.messages or 0,
        )

    # --- changing ------------------------------------------------------------------------

    def create(self, journey: Journey, *, now: int | None = None) -> int:
        """A new draft from a journey; the name must be free."""
        stamp = _now(now)
        with write_transaction(database):
            name = self._free_name(journey.name)
            stored = journey.copy()
            stored.name = name
            record = JourneyRecord.create(
                name=name,
                name_key=normalize_name(name),
                description=journey.description,
                audience=journey.audience,
                status=DRAFT,
                definition=stored.to_json(),
                created_at=stamp,
                updated_at=stamp,
                version=1,
                updated_by=versions.writer_name(),
            )
            versions.tell_changed(record.id)
        return int(record.id)

    def save(self, journey_id: int, journey: Journey, *, version: int | None = None,
             now: int | None = None) -> int:
        """Store a draft's new definition (active and deactivated journeys are frozen) over
        ``version``, the one the editor loaded (``StaleJourneyError`` if newer); returns
        the new version."""
        with write_transaction(database):
            record = self._record(journey_id)
            self._require(record, Action.EDIT)
            versions.check_version(record, version)
            name = self._free_name(journey.name, excluding=journey_id)
            stored = journey.copy()
            stored.name = name
            return versions.write_version(record, version, now, name=name,
                               name_key=normalize_name(name),
                               description=journey.description,
                               audience=journey.audience,
                               definition=stored.to_json())

    def clone(
        self,
        journey_id: int,
        *,
        name: str | None = None,
        with_audience: bool = False,
        now: int | None = None,
    ) -> int:
        """A new draft with the same definition and options ("Copy of NAME")."""
        stamp = _now(now)
        with write_transaction(database):
            source = self.get(journey_id)
            copy = source.journey.copy()
            copy.name = name.strip() if name is not None else self.copy_name(source.journey.name)
            new_id = self.create(copy, now=stamp)
            if with_audience:
                self._copy_audience(journey_id, new_id, stamp)
                JourneyRecord.update(
                    audience_columns=json.dumps(source.audience_columns)
                ).where(JourneyRecord.id == new_id).execute()
        return new_id

    def create_copy(self, journey: Journey, *, now: int | None = None) -> int:
        """An editor's version kept as a new draft "NAME (copy)" (someone saved first)."""
        copy = journey.copy()
        copy.name = self.free_name(f"{check_name(journey.name)[: NAME_MAX_LENGTH - 11]} (copy)")
        return self.create(copy, now=now)

    def copy_name(self, name: str) -> str:
        """The first free name of "Copy of NAME", "Copy of NAME (2)", ..."""
        base = re.sub(r" \(\d+\)$", "", f"Copy of {name.strip()}")
        return self.free_name(base[: NAME_MAX_LENGTH - 6].rstrip())

    def free_name(self, base: str) -> str:
        """The first free name of ``base``, "``base`` (2)", ..."""
        candidate, number = base, 2
        while self.name_taken(candidate):
            candidate = f"{base} ({number})"
            number += 1
        return candidate

    def remove(self, journey_id: int) -> RemovalCounts:
        """Delete a journey with its audience, runs and outbox (confirmation is the caller's)."""
        with write_transaction(database):
            counts = self.removal_counts(journey_id)
            for model in (OutboxRecord, MessageCountRecord, NodeVisitRecord, RunRecord,
                          MemberRecord):
                model.delete().where(model.journey == journey_id).execute()
            JourneyRecord.delete().where(JourneyRecord.id == journey_id).execute()
            plan_notes.forget_journey(database, journey_id)
            versions.tell_changed(journey_id)
        return counts

    def activate(
        self,
        journey_id: int,
        activation: Activation | None = None,
        *,
        version: int | None = None,
        now: int | None = None,
    ) -> ValidationResult:
        """Validate, then freeze the definition and make the journey active.

        Returns the validation result; the journey is activated only when it has no errors
        and, with ``version`` (the one the options were read from), is still that version."""
        stamp = _now(now)
        with write_transaction(database):
            lock_writers(database, audience_lock(journey_id))
            record = self._record(journey_id)
            self._require(record, Action.ACTIVATE)
            versions.check_version(record, version)
            stored = self._stored(record)
            journey = stored.journey
            if activation is not None:
                journey.activation = activation
            result = self.validate(journey_id, journey)
            if not result.ok:
                return result
            versions.write_version(record, version, stamp, status=ACTIVE,
                        definition=journey.to_json(), activated_at=stamp)
            # The audience loaded while a draft is first checked at the next tick.
            MemberRecord.update(next_check_at=stamp).where(
                (MemberRecord.journey == journey_id) & (MemberRecord.first_check_at.is_null())
            ).execute()
            if journey.audience == AUDIENCE_ALL:
                enrol_everyone(database, journey_id, stamp)
            start_mark(database, journey_id)
        return result

    def deactivate(self, journey_id: int, *, now: int | None = None) -> int:
        """End an active journey for good; returns how many runs in progress were stopped."""
        stamp = _now(now)
        with write_transaction(database):
            record = self._record(journey_id)
            self._require(record, Action.DEACTIVATE)
            stopped = (
                RunRecord.update(
                    state=STOPPED, end_reason=END_DEACTIVATED, ended_at=stamp, due_at=None
                )
                .where((RunRecord.journey == journey_id) & (RunRecord.state == IN_PROGRESS))
                .execute()
            )
            MemberRecord.update(next_check_at=None).where(
                MemberRecord.journey == journey_id
            ).execute()
            versions.write_version(record, None, stamp, status=DEACTIVATED, deactivated_at=stamp)
        return int(stopped)

    def set_audience_columns(self, journey_id: int, columns: dict[str, str]) -> None:
        with write_transaction(database):
            JourneyRecord.update(audience_columns=json.dumps(columns)).where(
                JourneyRecord.id == journey_id
            ).execute()

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _record_field(journey_id: int, column: Any) -> Any:
        row = (JourneyRecord.select(column).where(JourneyRecord.id == journey_id)
               .tuples().first())
        if row is None:
            raise JourneyNotFoundError(f"no journey with id {journey_id}")
        return row[0]

    def _record(self, journey_id: int) -> JourneyRecord:
        record = JourneyRecord.get_or_none(JourneyRecord.id == journey_id)
        if record is None:
            raise JourneyNotFoundError(f"no journey with id {journey_id}")
        return record

    @staticmethod
    def _require(record: JourneyRecord, action: Action) -> None:
        text = refusal_text(record.name, record.status, action)
        if text is not None:
            raise LifecycleError(text)

    def _free_name(self, name: str, *, excluding: int | None = None) -> str:
        trimmed = check_name(name)
        if self.name_taken(trimmed, excluding=excluding):
            raise JourneyNameError(f"another journey is already named {trimmed!r}")
        return trimmed

    @staticmethod
    def _stored(record: JourneyRecord) -> StoredJourney:
        journey = Journey.from_json(record.definition)
        journey.name = record.name
        journey.description = record.description
        return StoredJourney(
            id=record.id,
            journey=journey,
            status=record.status,
            created_at=record.created_at,
            updated_at=record.updated_at,
            activated_at=record.activated_at,
            deactivated_at=record.deactivated_at,
            audience_columns=json.loads(record.audience_columns or "{}"),
            version=record.version,
            updated_by=record.updated_by,
        )

    def _audience_size(self, journey_id: int) -> int:
        self._record(journey_id)
        return count_audience(database, journey_id)

    @staticmethod
    def _runs_in_progress(journey_id: int) -> int:
        return int(
            RunRecord.select()
            .where((RunRecord.journey == journey_id) & (RunRecord.state == IN_PROGRESS))
            .count()
        )

    @staticmethod
    def _counts(model, journey_field, condition=None) -> dict[int, int]:  # type: ignore[no-untyped-def]
        query = model.select(journey_field.alias("jid"), fn.COUNT(SQL("*")).alias("n"))
        if condition is not None:
            query = query.where(condition)
        return {row["jid"]: row["n"] for row in query.group_by(journey_field).dicts()}

    @staticmethod
    def _copy_audience(source_id: int, target_id: int, stamp: int) -> None:
        """Copy the membership set-based (INSERT ... SELECT) with fresh entry counts."""
        MemberRecord.insert_from(
            MemberRecord.select(
                Value(target_id),
                MemberRecord.external_id,
                Value(0),
                Value(stamp),
            ).where(MemberRecord.journey == source_id),
            # No next check: the clone is a draft, its customers become due on activation.
            fields=[
                MemberRecord.journey,
                MemberRecord.external_id,
                MemberRecord.entries,
                MemberRecord.imported_at,
            ],
        ).execute()

