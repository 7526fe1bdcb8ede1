"""The customer base, read (SPEC §4, §11): find customers by ID, a customer's profile, the
journeys they belong to and their timeline of events, runs and messages.

IDs are case-sensitive keys (BINARY order), but people search them without minding case.
A search is a few key ranges, one per case variant of the prefix's first letters, each
read in ID order and cut at the page size: a page costs the same over a million profiles
as over a hundred, where a ``LIKE`` would read the whole table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from peewee import Database

from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.domain.lifecycle import ACTIVE, DRAFT
from journey_desktop.domain.values import json_object
from journey_desktop.store import customer_fields
from journey_desktop.store.db import database
from journey_desktop.store.dialect import browse_sql
from journey_desktop.store.events import EventStore, StoredEvent

MAX_CASED_LETTERS = 6  # case variants of at most this many letters: 64 key ranges
LIKE_ESCAPE = "\\"
_SURROGATES = range(0xD800, 0xE000)


@dataclass(frozen=True)
class CustomerRow:
    """One customer of a search page."""

    external_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class CustomerProfile:
    external_id: str
    fields: dict[str, Any]
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Membership:
    """A journey the customer belongs to, with their state in it."""

    journey_id: int
    name: str
    status: str
    entries: int
    next_check_at: int | None  # None: never checked again (or not enrolled yet)
    # A journey for everyone the customer is not enrolled in yet: a draft enrols the whole
    # customer base when it is activated, an active one its new profiles at the next check.
    enrolled: bool = True

    @property
    def first_check(self) -> str | None:
        """When a draft's customer or one not enrolled yet is first checked, in words
        (None: ``next_check_at`` says it)."""
        if self.status == DRAFT:
            return "when activated"
        return None if self.enrolled else "at the next check"


@dataclass(frozen=True)
class RunItem:
    """One run of the customer through a journey."""

    started_at: int
    ended_at: int | None
    journey_id: int
    journey: str
    entry_number: int
    state: str
    end_reason: str | None

    @property
    def at(self) -> int:
        return self.started_at


@dataclass(frozen=True)
class MessageItem:
    """One message written for the customer."""

    due_at: int
    journey_id: int
    journey: str
    entry_number: int
    node: str
    channel: str
    title: str

    @property
    def at(self) -> int:
        return self.due_at


TimelineItem = RunItem | MessageItem


@dataclass
class CustomerTimeline:
    runs: list[RunItem] = field(default_factory=list)
    messages: list[MessageItem] = field(default_factory=list)
    events: list[StoredEvent] = field(default_factory=list)  # in time order (SPEC §11)

    def merged(self) -> list[TimelineItem]:
        """Runs and messages in time order; a run comes before the messages it wrote at
        the same instant (its first steps are due when it starts)."""
        items: list[TimelineItem] = [*self.runs, *self.messages]
        return sorted(items, key=_timeline_key)

    def with_events(self) -> list[TimelineItem | StoredEvent]:
        """Events, runs and messages in time order; an event comes before what it started
        at the same instant."""
        merged = self.merged()
        items: list[TimelineItem | StoredEvent] = [*self.events, *merged]
        order = {id(item): index for index, item in enumerate(items)}
        return sorted(items, key=lambda item: (item.at, order[id(item)]))


def _timeline_key(item: TimelineItem) -> tuple[int, int, int, int]:
    """Sorted stably: messages of one step keep the order they were written in."""
    return (item.at, item.journey_id, item.entry_number, 0 if isinstance(item, RunItem) else 1)


def case_variants(text: str) -> list[str]:
    """Every spelling of ``text`` with each letter in either case (one character each)."""
    choices = []
    for char in text:
        spellings = {char, char.lower(), char.upper()}
        choices.append(sorted(s for s in spellings if len(s) == 1))
    return ["".join(parts) for parts in itertools.product(*choices)]


def split_prefix(prefix: str) -> tuple[str, str]:
    """The head whose case variants become key ranges, and the tail tested by ``LIKE``
    (only for prefixes with more than MAX_CASED_LETTERS letters)."""
    cased = 0
    for index, char in enumerate(prefix):
        if char.lower() != char.upper():
            cased += 1
            if cased > MAX_CASED_LETTERS:
                return prefix[:index], prefix[index:]
    return prefix, ""


def key_after_prefix(prefix: str) -> str | None:
    """The least key above every key starting with ``prefix`` (None: no upper bound).

    Code point order is the BINARY order of UTF-8, so bumping the last character works.
    """
    while prefix:
        last = ord(prefix[-1]) + 1
        if last in _SURROGATES:
            last = _SURROGATES.stop
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def like_pattern(text: str) -> str:
    """``text`` as a LIKE prefix pattern, its ``%``, ``_`` and escapes taken literally."""
    escaped = (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return escaped + "%"


class CustomerBase:
    """Reads of the customer base on the initialised ``database`` proxy (or ``db``)."""

    def __init__(self, db: Database | None = None) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db if self._db is not None else database

    def count(self) -> int:
        return int(self.db.execute_sql("SELECT count(*) FROM profile").fetchone()[0])

    def search(self, prefix: str, limit: int = 100, after: str | None = None) -> list[CustomerRow]:
        """Up to ``limit`` customers whose ID starts with ``prefix`` in any case, in ID
        order, after the ID ``after`` (the last of the previous page)."""
        if limit < 1:
            return []
        dialect = browse_sql(self.db)
        head, tail = split_prefix(prefix)
        parts: list[str] = []
        params: list[Any] = []
        for variant in case_variants(head) if head else [""]:
            clauses: list[str] = []
            values: list[Any] = []
            if variant:
                clauses.append("external_id >= ?")
                values.append(variant)
                upper = key_after_prefix(variant)
                if upper is not None:
                    clauses.append("external_id < ?")
                    values.append(upper)
            if after is not None:
                clauses.append("external_id > ?")
                values.append(after)
            if tail:
                clauses.append(dialect.like_without_case("substr(external_id, ?)", "?"))
                values += [len(head) + 1, like_pattern(tail)]
            where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
            parts.append(
                "SELECT * FROM (SELECT external_id, fields FROM profile "
                f"{where}ORDER BY external_id LIMIT ?) AS page"
            )
            params += [*values, limit]
        sql = " UNION ALL ".join(parts) + " ORDER BY external_id LIMIT ?"
        rows = self.db.execute_sql(sql, [*params, limit]).fetchall()
        return [CustomerRow(external_id, json_object(text)) for external_id, text in rows]

    def profile(self, external_id: str) -> CustomerProfile | None:
        row = self.db.execute_sql(
            "SELECT external_id, fields, created_at, updated_at FROM profile "
            "WHERE external_id = ?", (external_id,),
        ).fetchone()
        if row is None:
            return None
        return CustomerProfile(row[0], json_object(row[1]), int(row[2]), int(row[3]))

    def memberships(self, external_id: str) -> list[Membership]:
        """The journeys whose audience holds the customer, by name: those they are a
        member of, and every draft or active journey for everyone (SPEC §4), as the
        journey list counts them.

        Journeys are few: each is looked up on its (journey, customer) key.
        """
        dialect = browse_sql(self.db)
        rows = self.db.execute_sql(
            "SELECT j.id, j.name, j.status, m.entries, m.next_check_at, m.journey_id"
            " FROM journey j LEFT JOIN member m"
            " ON m.journey_id = j.id AND m.external_id = ?"
            " WHERE m.journey_id IS NOT NULL OR (j.audience = ? AND j.status IN (?, ?))"
            f" ORDER BY {dialect.name_order('j.name')}, j.id",
            (external_id, AUDIENCE_ALL, DRAFT, ACTIVE),
        ).fetchall()
        return [Membership(int(r[0]), r[1], r[2], int(r[3] or 0), r[4], r[5] is not None)
                for r in rows]

    def timeline(self, external_id: str) -> CustomerTimeline:
        """The customer's runs and messages in every journey, each list in time order."""
        join = browse_sql(self.db).JOURNEY_FIRST_JOIN
        runs = [
            RunItem(int(r[0]), r[1], int(r[2]), r[3], int(r[4]), r[5], r[6])
            for r in self.db.execute_sql(
                "SELECT r.started_at, r.ended_at, j.id, j.name, r.entry_number, r.state,"
                f" r.end_reason FROM journey j {join} run r"
                " ON r.journey_id = j.id AND r.external_id = ?"
                " ORDER BY r.started_at, j.id, r.entry_number",
                (external_id,),
            )
        ]
        messages = [
            MessageItem(int(r[0]), int(r[1]), r[2], int(r[3]), r[4], r[5], r[6] or "")
            for r in self.db.execute_sql(
                "SELECT o.due_at, j.id, j.name, o.entry_number, o.node, o.channel, o.title"
                f" FROM journey j {join} outbox o"
                " ON o.journey_id = j.id AND o.external_id = ?"
                " ORDER BY o.due_at, j.id, o.entry_number, o.id",
                (external_id,),
            )
        ]
        return CustomerTimeline(runs, messages, EventStore(self._db).events_for(external_id))

    # --- a message preview --------------------------------------------------------------

    def random_member(self, journey_id: int) -> str | None:
        """A customer of the journey's audience picked at random; any customer of the base
        when the audience is empty (a journey for everyone); None when there is none."""
        for sql, params in (
            ("SELECT external_id FROM member WHERE journey_id = ? ORDER BY random() LIMIT 1",
             (journey_id,)),
            ("SELECT external_id FROM profile ORDER BY random() LIMIT 1", ()),
        ):
            row = self.db.execute_sql(sql, params).fetchone()
            if row is not None:
                return str(row[0])
        return None

    def entries(self, journey_id: int, external_id: str) -> int:
        """How many times the customer entered the journey so far (0 when not a member)."""
        row = self.db.execute_sql(
            "SELECT entries FROM member WHERE journey_id = ? AND external_id = ?",
            (journey_id, external_id),
        ).fetchone()
        return int(row[0]) if row is not None else 0

    def known_fields(self) -> dict[str, str]:
        """The customer base's fields with their types (``customer_fields``)."""
        return customer_fields.known_fields(self.db)
