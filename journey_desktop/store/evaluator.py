"""The evaluator's persistence (SPEC §5): entry checks and advancing runs, set-based.

A tick takes one ``now`` (UTC seconds) and never reads the clock. Work is found through the
indexed due times (``member.next_check_at``, ``run.due_at``), so a tick costs what is due,
not the audience. Each batch of customers is moved through the journey with a few
``INSERT … SELECT`` / ``UPDATE … FROM`` statements over a scratch table and committed on its
own: the outbox row is written in the same transaction that moves the run on, and every
write is keyed (``ON CONFLICT DO NOTHING``), so a tick killed anywhere and run again loses
nothing and writes nothing twice.

One cohesive thing, kept whole past the usual 600 lines: the tick's statements share one
scratch table and one transaction per batch, and read best in order.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peewee import Database

from journey_desktop.domain import engine
from journey_desktop.domain.journey import SMS_MAX_LENGTH, Journey, JourneyFileError, Node
from journey_desktop.domain.lifecycle import (
    ACTIVE,
    COMPLETED,
    END_EXIT,
    END_INVALID,
    END_LEFT_AUDIENCE,
    IN_PROGRESS,
    STOPPED,
)
from journey_desktop.domain.policy import REASON_EXIT_RULE
from journey_desktop.domain.validation import check_at_problem
from journey_desktop.store import (
    evaluator_clock,
    evaluator_events,
    evaluator_goals,
    evaluator_policy,
    sqlite_sql,
)
from journey_desktop.store.db import database
from journey_desktop.store.postgres import on_postgres
from journey_desktop.store.tick_summary import JourneyFailure, TickSummary

__all__ = ["Evaluator", "JourneyFailure", "TickCancelled", "TickSummary", "tick"]

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 20_000
# New entry events taken straight from the event table, by default: each batch's commit
# writes the pages its messages touched all over the outbox's (journey, due_at) index (the
# events' times are spread), whatever the batch's size, so fewer, larger batches write
# less (a third fewer page writes for a million events). Their scratch rows stay small.
DEFAULT_NEW_EVENTS_BATCH_SIZE = 100_000

# Stands for a run's time in the path of steps it takes at its own time (``replace``).
_TIME_MARK = "\x01"

# Whose entry count is read back from their runs (``_entry_batch``): nobody; customers
# never checked before (one removed by a replace import and added again keeps its runs);
# everyone (after a run insert met an entry number already taken).
PROBE_NONE, PROBE_NEW, PROBE_ALL = 0, 1, 2


@dataclass
class _Plan:
    """One active journey, compiled once per tick."""

    id: int
    journey: Journey
    order: list[Node]
    entry: Node
    reentry: bool
    max_entries: int | None
    timeout: int
    chain: list[Node] | None  # entry ... first wait/exit, when no step branches before it
    check_at: str | None = None  # the rhythm's time of day ("09:00"), SPEC §3
    events: evaluator_events.EventRules | None = None  # what it does with events (§11)
    goals: evaluator_goals.GoalRules | None = None  # its goal and exit rules (§12)


@dataclass(frozen=True)
class _Entrants:
    """The new runs of a batch as ``_enter_along_chain`` reads them from a scratch table."""

    rows: str  # the FROM clause's table and filter
    number: str  # each run's entry number
    at: str | None  # when each run takes its first steps; None: the tick's now
    event_seq: str  # the event that started each run, or NULL
    # Messages written in due order when the runs' times differ (events'): the outbox's
    # (journey, due_at) index is then written from one end to the other, not all over.
    by_due: bool = False


_CHECK_ENTRANTS = _Entrants("temp.jd_check WHERE enter = 1", "n + 1", None, "NULL")
_EVENT_ENTRANTS = _Entrants("temp.jd_walk WHERE true", "entry_number", "due", "event_seq",
                            by_due=True)


def _entry_chain(journey: Journey, entry: Node) -> list[Node] | None:
    """The steps every new run takes alike: from the entry through messages to the first
    wait or exit. None when a condition or split comes first (runs then walk one by one)."""
    chain: list[Node] = []
    node: Node | None = entry
    seen: set[str] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        chain.append(node)
        if node.type in ("wait", "exit"):
            return chain if node.type == "exit" or node.next else None
        if node.type not in ("entry", "message") or not node.next:
            return None
        node = journey.node(node.next)
    return None


class JourneyError(Exception):
    """A journey that cannot be evaluated as stored; the tick reports it and goes on."""


class _EntryNumberTaken(Exception):
    """A new run's entry number was already used: the batch is rolled back and redone."""


def _plan(journey_id: int, definition: str, activated_at: int | None = None) -> _Plan:
    try:
        journey = Journey.from_json(definition)
    except JourneyFileError as exc:
        raise JourneyError(f"its definition cannot be read: {exc}") from exc
    entry = journey.entry()
    if entry is None:
        raise JourneyError("it has no single entry node")
    activation = journey.activation
    return _Plan(
        id=journey_id,
        journey=journey,
        order=engine.step_order(journey),
        entry=entry,
        reentry=activation.allow_reentry,
        max_entries=activation.max_entries if activation.allow_reentry else 1,
        timeout=max(1, activation.timeout.seconds),
        chain=_entry_chain(journey, entry),
        events=evaluator_events.rules_for(journey, activated_at),
        goals=evaluator_goals.rules_for(journey),
        check_at=_check_at(journey),
    )


def _check_at(journey: Journey) -> str | None:
    """The activation's Check at, when it applies (validation refused it otherwise)."""
    activation = journey.activation
    if activation.check_at is None or check_at_problem(activation, journey.trigger() is not None):
        return None
    return activation.check_at


def _failure_text(exc: BaseException, function_error: BaseException | None) -> str:
    """One line for a journey's failure; SQLite hides a user function's own error."""
    cause = function_error if isinstance(exc, sqlite3.Error) and function_error else exc
    if isinstance(cause, JourneyError):
        return str(cause)
    if isinstance(cause, (OverflowError, ValueError)):
        return f"a duration or number in it is out of range ({cause})"
    return str(cause) or type(cause).__name__


class Evaluator:
    """Ticks every active journey of a database at a given ``now``."""

    def __init__(
        self,
        db: Database | None = None,
        *,
        tz: dt.tzinfo | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_batch: Callable[[], object] | None = None,
        cancelled: Callable[[], bool] | None = None,
        new_events_batch_size: int | None = None,
    ) -> None:
        self.db = db if db is not None else database
        self.tz = tz
        self.batch_size = max(1, int(batch_size))
        # A batch size given applies to every batch; the default one is larger for new
        # entry events (``DEFAULT_NEW_EVENTS_BATCH_SIZE``).
        if new_events_batch_size is None:
            new_events_batch_size = (DEFAULT_NEW_EVENTS_BATCH_SIZE
                                     if batch_size == DEFAULT_BATCH_SIZE else batch_size)
        self.new_events_batch_size = max(1, int(new_events_batch_size))
        self.on_batch = on_batch
        self.cancelled = cancelled
        self._functions = sqlite_sql.FunctionState()
        self._policy: evaluator_policy.PolicyTick | None = None
        self._policy_text: str | None = None  # the last tick's, to log a change once
        self._team: Any = None  # on a team database: the tick on copies (postgres_tick)

    # --- the tick -------------------------------------------------------------------------

    def tick(self, now: int, journey_ids: list[int] | None = None) -> TickSummary:
        """One evaluation of every active journey (or the given ones) at ``now``.

        A journey that fails is rolled back to its last committed batch, logged and listed
        in the summary's ``failures``; the others are evaluated all the same. Only trouble
        with the database itself (busy, full, damaged) stops the tick.
        """
        if on_postgres(self.db):  # the same engine on a copy of each batch (SPEC §14)
            from journey_desktop.store.postgres_tick import TeamTick

            if self._team is None or not self._team.serves(self.db):
                self._team = TeamTick(self)
            return self._team.tick(now, journey_ids)
        started = time.perf_counter()
        now = int(now)
        summary = TickSummary(now=now)
        conn = self._prepare()
        back = evaluator_clock.clock_went_back(self.db, now)
        summary.clock_went_back_from = back
        self._policy, self._policy_text = evaluator_policy.start_tick(
            conn, self.tz, self._policy_text)
        with sqlite_sql.write_transaction(self.db):
            evaluator_policy.suppress_deactivated(conn)
        rows = conn.execute(
            "SELECT id, name, definition, activated_at FROM journey"
            f" WHERE status = '{ACTIVE}' ORDER BY id"
        ).fetchall()
        for journey_id, name, definition, activated_at in rows:
            selected = journey_ids is None or journey_id in journey_ids
            if not selected and back is None:
                continue
            summary.journeys += int(selected)
            part = TickSummary(now=now)
            self._functions.error = None
            try:
                plan = _plan(journey_id, definition, activated_at)
                if back is not None:
                    summary.rescheduled += evaluator_clock.reschedule(
                        self.db, plan.id, plan.reentry, plan.timeout, now, plan.check_at)
                if selected:
                    self._tick_journey(conn, plan, now, part)
            except TickCancelled:
                raise
            except Exception as exc:
                if sqlite_sql.is_database_trouble(exc):
                    raise
                failure = JourneyFailure(journey_id, name,
                                         _failure_text(exc, self._functions.error))
                log.error("journey %s (%s) skipped by this tick: %s", journey_id, name,
                          failure.error, exc_info=exc)
                summary.failures.append(failure)
            if selected:
                summary.messages_by_journey[journey_id] = part.messages
                summary.add(part)
        if back is not None:
            log.warning("the clock went back: now %s is before the last tick at %s; %s next "
                        "checks were moved back to their rhythm", now, back, summary.rescheduled)
            evaluator_clock.record_tick(self.db, now)
        if self._policy is not None and self._policy.invalid_zone_messages:
            summary.invalid_zones = self._policy.invalid_zone_messages
            log.warning("%s messages: the customer's time zone does not exist (%s); the "
                        "computer's zone was used", summary.invalid_zones,
                        ", ".join(sorted(self._policy.seen_invalid)[:10]))
        summary.seconds = time.perf_counter() - started
        log.info("tick at %s: %s (%.3f s)", now, ", ".join(summary.lines()), summary.seconds)
        return summary

    def _prepare(self) -> sqlite3.Connection:
        self.db.connect(reuse_if_open=True)
        conn = sqlite_sql.raw_connection(self.db)
        self._functions = sqlite_sql.register_functions(conn, self.tz)
        sqlite_sql.prepare_work_tables(conn)
        return conn

    def _tick_journey(self, conn: sqlite3.Connection, plan: _Plan, now: int,
                      summary: TickSummary) -> None:
        """Every due batch of one journey, each its own transaction, counted once committed."""
        if plan.goals is not None:
            self._apply_goals(conn, plan, now, summary)
        if evaluator_policy.held_due(conn, plan.id, now):  # their time came (§13)
            with sqlite_sql.write_transaction(self.db):
                released, stopped = evaluator_policy.release(
                    conn, plan.id, plan.journey.exit_when, now)
            summary.released += released
            if stopped:
                summary.suppressed[REASON_EXIT_RULE] = stopped
        if plan.events is not None:
            if plan.events.trigger is not None and plan.events.trigger.name:
                self._new_event_entries(conn, plan, plan.events, now, summary)
            else:
                with sqlite_sql.write_transaction(self.db):
                    evaluator_events.feed(conn, plan.id, plan.events, now)
            if plan.events.trigger is not None:
                self._event_entries(conn, plan, plan.events, now, summary)
            if plan.events.waits:
                while True:
                    batch = TickSummary(now=now)
                    if not self._advance_batch(conn, plan, now, batch, waits=True):
                        break
                    summary.add(batch)
                    self._committed(summary)
        if plan.events is None or plan.events.trigger is None:
            self._check_entries(conn, plan, now, summary)
        while True:
            batch = TickSummary(now=now)
            if not self._advance_batch(conn, plan, now, batch):
                break
            summary.add(batch)
            self._committed(summary)

    def _apply_goals(self, conn: sqlite3.Connection, plan: _Plan, now: int,
                     summary: TickSummary) -> None:
        """Conversions, then the runs the goal or an exit rule ends: before any message
        of this tick, whatever node a run is on (SPEC §12)."""
        assert plan.goals is not None
        with sqlite_sql.write_transaction(self.db):
            done = evaluator_goals.apply(conn, plan.id, plan.goals, now)
            if plan.reentry and done.ended_by_goal + done.ended_by_rule:
                next_sql = self._next_check_sql(
                    plan, now, "member.entries", "member.first_check_at")
                conn.execute(
                    f"UPDATE member SET next_check_at = {next_sql} WHERE journey_id = ? AND"
                    " external_id IN (SELECT ext FROM temp.jd_ended)", (plan.id,))
        summary.completed += done.ended_by_goal
        summary.stopped += done.ended_by_rule
        summary.exit_rules.update({(plan.id, rule): n for rule, n in done.by_rule.items()})

    def _new_event_entries(self, conn: sqlite3.Connection, plan: _Plan,
                           rules: evaluator_events.EventRules, now: int,
                           summary: TickSummary) -> None:
        """Runs started by the events imported since the watermark (SPEC §11), a batch of
        them by import order at a time, the watermark moved in the batch's transaction:
        those already due start their runs without going through the queue."""
        with sqlite_sql.write_transaction(self.db):
            mark, top = evaluator_events.watermark(conn, plan.id)
            if top > mark:
                evaluator_events.hold_queued(conn, plan.id)
        while mark < top:
            batch = TickSummary(now=now)
            with sqlite_sql.write_transaction(self.db):
                mark, _ = evaluator_events.watermark(conn, plan.id)
                end = evaluator_events.next_new_batch(conn, rules, mark, top,
                                                      self.new_events_batch_size)
                taken = evaluator_events.take_new_entries(conn, plan.id, rules, now, mark, end,
                                                          top)
                entered = self._start_event_runs(conn, plan, now, 1, taken, batch)
            batch.checked += taken
            batch.entered += entered
            summary.add(batch)
            self._committed(summary)
            mark = end

    def _event_entries(self, conn: sqlite3.Connection, plan: _Plan,
                       rules: evaluator_events.EventRules, now: int,
                       summary: TickSummary) -> None:
        """Runs started by the due queued events (SPEC §11), a batch of one rank at a time:
        a customer's events in timestamp order, each starting at most one run."""
        if not evaluator_events.rank_due_entries(conn, plan.id, rules, now):
            return
        after = 0
        while True:
            last, taken = evaluator_events.next_entry_batch(conn, after, self.batch_size)
            if not taken:
                break
            batch = TickSummary(now=now)
            with sqlite_sql.write_transaction(self.db):
                entered = self._start_event_runs(conn, plan, now, after + 1, last, batch)
                evaluator_events.drop_queued(
                    conn, plan.id, evaluator_events.ENTRY_KIND,
                    "SELECT seq FROM temp.jd_ev WHERE id BETWEEN ? AND ?", (after + 1, last))
            batch.checked += taken
            batch.entered += entered
            summary.add(batch)
            self._committed(summary)
            after = last

    def _start_event_runs(self, conn: sqlite3.Connection, plan: _Plan, now: int, first: int,
                          last: int, batch: TickSummary) -> int:
        """The runs started by rows ``first`` to ``last`` of ``temp.jd_ev`` (one event per
        customer), written with their first steps (the caller's transaction)."""
        if last < first:
            return 0
        assert plan.events is not None
        conn.execute("DELETE FROM temp.jd_walk")
        entered = evaluator_events.enter_on_events(
            conn, plan.id, plan.entry, plan.events, plan.max_entries, plan.timeout,
            first, last, now)
        if entered and self._chain_fits_events(conn, plan.chain, now):
            assert plan.chain is not None
            self._enter_along_chain(conn, plan, plan.chain, now, entered, batch,
                                    _EVENT_ENTRANTS)
        elif entered:
            self._walk(conn, plan, now, batch)
            self._insert_walked_runs(conn, plan)
        if entered:
            conn.execute(
                "UPDATE member SET entries = entries + 1 WHERE journey_id = ? AND"
                " external_id IN (SELECT ext FROM temp.jd_walk)", (plan.id,))
        return entered

    def _chain_fits_events(self, conn: sqlite3.Connection, chain: list[Node] | None,
                           now: int) -> bool:
        """Whether the runs of ``temp.jd_walk``, started by events, all stop where the
        shared first steps end: at an exit, or at a wait that ends after ``now`` (a run
        whose event is older than the wait walks on through the journey)."""
        if chain is None:
            return False
        last = chain[-1]
        if last.type == "exit":
            return True
        (earliest,) = conn.execute("SELECT min(due) FROM temp.jd_walk").fetchone()
        seconds = last.duration.seconds if last.duration else 0
        # A wait's end never comes earlier for a later start: the earliest run decides.
        return engine.wait_end(int(earliest), seconds, last.at_time, self.tz) > now

    def _insert_walked_runs(self, conn: sqlite3.Connection, plan: _Plan) -> int:
        """The new runs of ``temp.jd_walk`` as walked, started when they were put there
        (``started``: the event's timestamp for an event entry, else the tick's now)."""
        return int(conn.execute(
            "INSERT INTO run (journey_id, external_id, entry_number, state, node,"
            " due_at, started_at, ended_at, end_reason, path, event_seq, matched_seq,"
            " wait_since) "
            "SELECT ?, ext, entry_number, state, node,"
            " CASE WHEN state = ? THEN due END, started,"
            " ended, reason, path, event_seq, matched_seq, since"
            " FROM temp.jd_walk WHERE true ON CONFLICT DO NOTHING",
            (plan.id, IN_PROGRESS),
        ).rowcount)

    def _check_entries(self, conn: sqlite3.Connection, plan: _Plan, now: int,
                       summary: TickSummary) -> None:
        """The entry checks of §5.1, batch by batch."""
        (has_runs,) = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM run WHERE journey_id = ?)", (plan.id,)
        ).fetchone()
        probe = PROBE_NEW if has_runs else PROBE_NONE
        while True:
            batch = TickSummary(now=now)
            try:
                if not self._entry_batch(conn, plan, now, batch, probe):
                    break
            except _EntryNumberTaken:
                if probe == PROBE_ALL:
                    raise JourneyError("new runs collide with existing entry numbers") from None
                log.warning("journey %s: an entry number was taken; entry counts are read "
                            "back from the runs", plan.id)
                probe = PROBE_ALL
                continue
            summary.add(batch)
            self._committed(summary)

    def _committed(self, summary: TickSummary) -> None:
        summary.batches += 1
        if self.on_batch is not None:
            self.on_batch()
        if self.cancelled is not None and self.cancelled():
            raise TickCancelled()

    # --- entry checks (§5.1) --------------------------------------------------------------

    @staticmethod
    def _entries_sql(probe: int) -> str:
        """A checked customer's entry count: the customer row's, or, for the customers
        ``probe`` names, the highest entry number of their runs when that is higher (a
        customer removed by a replace import and added again starts at 0 but keeps its
        runs: entry numbers are never used twice)."""
        if probe == PROBE_NONE:
            return "c.entries"
        highest = ("max(c.entries, coalesce((SELECT max(r.entry_number) FROM run r"
                   " WHERE r.journey_id = c.journey_id AND r.external_id = c.external_id),"
                   " 0))")
        if probe == PROBE_ALL:
            return highest
        return f"(CASE WHEN c.first_check_at IS NULL THEN {highest} ELSE c.entries END)"

    def _entry_batch(self, conn: sqlite3.Connection, plan: _Plan, now: int,
                     summary: TickSummary, probe: int = PROBE_NONE) -> bool:
        """Check one batch of due customers; False when none was due.

        Raises ``_EntryNumberTaken`` (rolling the batch back) when a new run's key was
        already used, rather than drop the run and leave its customer never checked again.
        """
        jid = plan.id
        today = engine.local_date(now, self.tz).toordinal()
        # History conditions count the customer's events up to now, as a condition
        # node counts them up to its run's time (``evaluator_events.event_data``).
        match_sql, match_params = sqlite_sql.filter_sql(
            plan.entry.filter, "p.fields", str(today), today,
            events=evaluator_events.event_data("c.external_id", str(now), None, None),
        )
        # The profile is read only when the entry filters on it.
        profile = (" LEFT JOIN profile p ON p.external_id = c.external_id"
                   if "p.fields" in match_sql else "")
        entries = self._entries_sql(probe)
        with sqlite_sql.write_transaction(self.db):
            conn.execute("DELETE FROM temp.jd_check")
            conn.execute("DELETE FROM temp.jd_walk")
            # The entry count comes from the member row, which moves in the same
            # transaction as its runs; the in-progress test is one unique-key probe, and
            # none for a customer who never entered (entry numbers start at 1). Whether
            # the customer enters is computed in the same pass (``enter``), never by a
            # second write over the scratch rows.
            limit = "" if plan.max_entries is None else f" AND n < {int(plan.max_entries)}"
            checked = conn.execute(
                "INSERT INTO temp.jd_check (ext, n, first, matched, busy, enter) "
                "SELECT ext, n, first, matched, busy,"
                f" CASE WHEN matched AND busy = 0{limit} THEN 1 ELSE 0 END FROM ("
                f" SELECT c.external_id AS ext, {entries} AS n,"
                f" c.first_check_at AS first, {match_sql} AS matched,"
                f"  CASE WHEN {entries} = 0 THEN 0 ELSE EXISTS (SELECT 1 FROM run r"
                "   WHERE r.journey_id = c.journey_id AND r.external_id = c.external_id"
                f"   AND r.entry_number = {entries} AND r.state = '{IN_PROGRESS}') END AS busy"
                f" FROM member c{profile} WHERE c.journey_id = ? AND c.next_check_at <= ?"
                f" ORDER BY c.next_check_at {sqlite_sql.limit_once('?')})",
                (*match_params, jid, now, self.batch_size),
            ).rowcount
            if checked <= 0:
                return False
            (entered,) = conn.execute("SELECT count(*) FROM temp.jd_check WHERE enter").fetchone()
            started = 0
            if entered and plan.chain is not None:
                started = self._enter_along_chain(conn, plan, plan.chain, now, entered, summary)
            elif entered:
                conn.execute(
                    "INSERT INTO temp.jd_walk (member, ext, entry_number, node, due, state,"
                    " started) SELECT 1, ext, n + 1, ?, ?, ?, ? FROM temp.jd_check"
                    " WHERE enter = 1",
                    (plan.entry.id, now, IN_PROGRESS, now),
                )
                self._walk(conn, plan, now, summary)
                started = self._insert_walked_runs(conn, plan)
                conn.execute(
                    "UPDATE temp.jd_check SET open = 1 WHERE ext IN ("
                    " SELECT ext FROM temp.jd_walk WHERE state = ?)",
                    (IN_PROGRESS,),
                )
            if started < entered:
                raise _EntryNumberTaken()
            next_sql = self._next_check_sql(plan, now, "k.n + k.enter", "k.first")
            # New runs along the shared first steps that stop at a wait are still open.
            chain_waits = plan.chain is not None and plan.chain[-1].type == "wait"
            waits_after_entry = 1 if chain_waits else -1
            # Customers who entered and whose run is still in progress (most of a first
            # tick) are not checked again until it ends: one update with constant values.
            in_run = f"k.enter = 1 AND (k.open = 1 OR k.enter = {waits_after_entry})"
            # The scratch table has no index of its own: the common case (a count kept on
            # the member row) matches members against its IDs (IN), the other finds each
            # member from its scratch row (UPDATE … FROM: the count was read from the runs).
            if probe == PROBE_NONE:
                conn.execute(
                    "UPDATE member SET entries = entries + 1,"
                    " first_check_at = coalesce(first_check_at, ?), next_check_at = NULL "
                    "WHERE journey_id = ? AND external_id IN ("
                    f" SELECT k.ext FROM temp.jd_check AS k WHERE {in_run})",
                    (now, jid),
                )
            else:
                conn.execute(
                    "UPDATE member SET entries = k.n + 1,"
                    " first_check_at = coalesce(member.first_check_at, ?), next_check_at = NULL "
                    "FROM temp.jd_check AS k WHERE member.journey_id = ?"
                    f" AND member.external_id = k.ext AND {in_run}",
                    (now, jid),
                )
            if not (chain_waits and entered == checked):  # else every customer is in_run
                conn.execute(
                    "UPDATE member SET entries = k.n + k.enter,"
                    " first_check_at = coalesce(member.first_check_at, ?),"
                    f" next_check_at = CASE WHEN k.busy = 1 OR k.open = 1"
                    f" OR k.enter = {waits_after_entry} THEN NULL ELSE {next_sql} END "
                    "FROM temp.jd_check AS k WHERE member.journey_id = ?"
                    f" AND member.external_id = k.ext AND NOT ({in_run})",
                    (now, jid),
                )
        summary.checked += checked
        summary.entered += entered
        return True

    def _enter_along_chain(self, conn: sqlite3.Connection, plan: _Plan, chain: list[Node],
                           now: int, entered: int, summary: TickSummary,
                           entrants: _Entrants | None = None) -> int:
        """New runs that all take the same first steps: each step is one statement for the
        whole batch, and each run is written once, already at its first wait or exit.
        The runs are the batch's checked customers who enter, at ``now``, or the
        ``entrants`` (runs started by events, each at its event's time).
        Returns how many runs were written."""
        entrants = entrants or _CHECK_ENTRANTS
        at_params: list[Any] = [] if entrants.at else [now]
        at = entrants.at or "?"
        last = chain[-1]
        for node in chain:
            if node.type == "message":
                self._write_messages(
                    conn, plan, node, now, summary,
                    source=f"SELECT ext, {entrants.number} AS entry_number, {at} AS due,"
                           f" {entrants.event_seq} AS event_seq, NULL AS matched_seq"
                           f" FROM {entrants.rows}",
                    source_params=at_params, by_due=entrants.by_due,
                )
        path_params: list[Any]
        due_params: list[Any]
        if entrants.at and not any(_TIME_MARK in node.id for node in chain):
            # Each run's steps at its own time: its time written once into the path
            # (concatenated step by step, about a quarter of the run insert's work).
            path_sql = f"replace(?, char({ord(_TIME_MARK)}), {at})"
            path_params = ["".join(f"{node.id}@{_TIME_MARK}\n" for node in chain)]
        elif entrants.at:
            path_sql = " || ".join(f"? || {at} || char(10)" for _ in chain)
            path_params = [f"{node.id}@" for node in chain]
        else:
            path_sql, path_params = "?", ["".join(f"{node.id}@{now}\n" for node in chain)]
        due_sql, due_params = "NULL", []
        node_id: str | None
        reason: str | None
        if last.type == "exit":
            state, node_id, reason = COMPLETED, last.id, END_EXIT
            ended_sql, ended_params = at, at_params
            summary.completed += entered
        else:
            state, node_id, reason = IN_PROGRESS, last.next, None
            ended_sql, ended_params = "NULL", []
            if entrants.at:
                due_sql, due_params = self._wait_due_sql(last, at)
            else:
                seconds = last.duration.seconds if last.duration else 0
                due_sql, due_params = "?", [engine.wait_end(now, seconds, last.at_time, self.tz)]
        started = conn.execute(
            "INSERT INTO run (journey_id, external_id, entry_number, state, node, due_at,"
            " started_at, ended_at, end_reason, path, event_seq) "
            f"SELECT ?, ext, {entrants.number}, ?, ?, {due_sql}, {at}, {ended_sql}, ?,"
            f" {path_sql}, {entrants.event_seq} FROM {entrants.rows} ON CONFLICT DO NOTHING",
            (plan.id, state, node_id, *due_params, *at_params, *ended_params, reason,
             *path_params),
        ).rowcount
        conn.executemany(
            "INSERT INTO node_visit (journey_id, node, visits) VALUES (?, ?, ?) "
            "ON CONFLICT (journey_id, node) DO UPDATE SET visits = visits + excluded.visits",
            [(plan.id, node.id, entered) for node in chain],
        )
        return int(started)

    def _next_check_sql(self, plan: _Plan, now: int, entries_sql: str, first_sql: str) -> str:
        """The next check: the first rhythm point after ``now``, or NULL (never again).

        Seconds steps are plain arithmetic; whole-day steps keep the local wall-clock time
        (``jd_next_check``), and a first check's next point is the same for the whole batch.
        """
        if not plan.reentry:
            return "NULL"
        step, n = int(plan.timeout), int(now)
        if engine.whole_days(step):
            fresh = engine.next_rhythm_point(n, step, n, self.tz, check_at=plan.check_at)
            at = f", '{plan.check_at}'" if plan.check_at else ""  # HH:MM, validated
            rhythm = (f"CASE WHEN {first_sql} IS NULL THEN {fresh} "
                      f"ELSE jd_next_check({first_sql}, {step}, {n}, 0{at}) END")
        else:
            first = f"coalesce({first_sql}, {n})"
            # A first check after now (made by a clock ahead of time) steps back in Python.
            rhythm = (
                f"CASE WHEN {first} > {n} THEN jd_next_check({first}, {step}, {n}, 0) "
                f"ELSE {first} + (({n} - {first}) / {step} + 1) * {step} END"
            )
        if plan.max_entries is None:
            return rhythm
        return f"CASE WHEN {entries_sql} >= {int(plan.max_entries)} THEN NULL ELSE {rhythm} END"

    # --- advancing runs (§5.2) ------------------------------------------------------------

    def _advance_batch(self, conn: sqlite3.Connection, plan: _Plan, now: int,
                       summary: TickSummary, *, waits: bool = False) -> bool:
        """Move one batch of due runs on; False when none was due. With ``waits``, the
        batch is the runs waiting for the due queued events of their customers (§11)."""
        jid = plan.id
        with sqlite_sql.write_transaction(self.db):
            conn.execute("DELETE FROM temp.jd_walk")
            if waits:
                assert plan.events is not None
                due = evaluator_events.load_due_waits(conn, jid, plan.events, now,
                                                      self.batch_size)
            else:
                due = conn.execute(
                    "INSERT INTO temp.jd_walk (run_id, member, ext, entry_number, node, due,"
                    " state, path, event_seq, matched_seq, since) "
                    "SELECT r.id, c.journey_id IS NOT NULL, r.external_id, r.entry_number,"
                    " r.node, r.due_at, r.state, r.path, r.event_seq, r.matched_seq,"
                    " r.wait_since FROM run r LEFT JOIN member c"
                    " ON c.journey_id = r.journey_id AND c.external_id = r.external_id "
                    "WHERE r.journey_id = ? AND r.state = ? AND r.due_at <= ? "
                    "ORDER BY r.due_at LIMIT ?",
                    (jid, IN_PROGRESS, now, self.batch_size),
                ).rowcount
            if due <= 0:
                return False
            # Customers removed by a replace import stop at their next step.
            conn.execute(
                "UPDATE temp.jd_walk SET state = ?, reason = ?, ended = due WHERE member = 0",
                (STOPPED, END_LEFT_AUDIENCE),
            )
            self._walk(conn, plan, now, summary)
            conn.execute(
                "UPDATE run SET node = w.node,"
                " due_at = CASE WHEN w.state = ? THEN w.due END,"
                " state = w.state, ended_at = w.ended, end_reason = w.reason, path = w.path,"
                " matched_seq = w.matched_seq, wait_since = w.since "
                "FROM temp.jd_walk AS w WHERE run.id = w.run_id",
                (IN_PROGRESS,),
            )
            if plan.reentry:
                next_sql = self._next_check_sql(
                    plan, now, "member.entries", "member.first_check_at"
                )
                conn.execute(
                    f"UPDATE member SET next_check_at = {next_sql} WHERE journey_id = ? AND"
                    " external_id IN (SELECT ext FROM temp.jd_walk WHERE state <> ? AND member)",
                    (jid, IN_PROGRESS),
                )
            if waits:  # taken in the transaction that acts on them (and counts the late)
                evaluator_events.drop_queued(conn, jid, evaluator_events.WAIT_KIND,
                                             "SELECT seq FROM temp.jd_evw")
        summary.advanced += due if not waits else 0
        return True

    def _walk(self, conn: sqlite3.Connection, plan: _Plan, now: int,
              summary: TickSummary) -> None:
        """Move every run of the batch through the nodes, in graph order, as far as is due.

        Each node is one ``UPDATE`` of the batch (plus the outbox insert for a message), so
        a run takes at most one step per node in a tick: a bad graph cannot spin.
        """
        jid = plan.id
        fields = "(SELECT p.fields FROM profile p WHERE p.external_id = temp.jd_walk.ext)"
        visits: list[tuple[int, str, int]] = []
        for node in plan.order:
            if node.type == "wait_event":
                reached = evaluator_events.wait_step(conn, jid, node, now)
                if reached > 0:
                    visits.append((jid, node.id, reached))
                continue
            if node.type == "split" and plan.goals is not None and plan.goals.goal:
                evaluator_goals.record_branches(conn, jid, node, now)
            assignments, params = self._step_sql(plan, node, fields)
            if node.type == "message":
                self._write_messages(conn, plan, node, now, summary)
            reached = conn.execute(
                f"UPDATE temp.jd_walk SET {assignments}, path = path || ? || '@' || due || ? "
                f"WHERE node = ? AND state = '{IN_PROGRESS}' AND due <= ?",
                (*params, node.id, "\n", node.id, now),
            ).rowcount
            if reached > 0:
                visits.append((jid, node.id, reached))
        if visits:
            conn.executemany(
                "INSERT INTO node_visit (journey_id, node, visits) VALUES (?, ?, ?) "
                "ON CONFLICT (journey_id, node) DO UPDATE SET visits = visits + excluded.visits",
                visits,
            )
        # A run still due here points at a node that does not exist (or sits on a cycle).
        stuck = conn.execute(
            "UPDATE temp.jd_walk SET state = ?, reason = ?, ended = due "
            f"WHERE state = '{IN_PROGRESS}' AND due <= ?",
            (STOPPED, END_INVALID, now),
        ).rowcount
        if stuck:
            log.error("journey %s: %s runs stopped on a missing node or a cycle", jid, stuck)
        for state, count in conn.execute(
            f"SELECT state, count(*) FROM temp.jd_walk WHERE state <> '{IN_PROGRESS}'"
            " GROUP BY state"
        ):
            if state == COMPLETED:
                summary.completed += count
            else:
                summary.stopped += count

    @staticmethod
    def _wait_due_sql(node: Node, start_sql: str) -> tuple[str, list[Any]]:
        """When a ``wait`` node entered at ``start_sql`` ends, in SQL."""
        seconds = node.duration.seconds if node.duration else 0
        if node.at_time or engine.whole_days(seconds):  # local time: in Python
            return "jd_wait_end(" + start_sql + ", ?, ?)", [seconds, node.at_time or ""]
        return f"{start_sql} + ?", [seconds]

    @staticmethod
    def _step_sql(plan: _Plan, node: Node, fields: str) -> tuple[str, list[Any]]:
        """The assignments that take a run one step on from ``node``."""
        stop_invalid = ("state = ?, reason = ?, ended = due", [STOPPED, END_INVALID])
        if node.type == "exit":
            return "state = ?, reason = ?, ended = due", [COMPLETED, END_EXIT]
        if node.type in ("entry", "message"):
            return ("node = ?", [node.next]) if node.next else stop_invalid
        if node.type == "wait":
            if not node.next:
                return stop_invalid
            due_sql, due_params = Evaluator._wait_due_sql(node, "due")
            return f"node = ?, due = {due_sql}", [node.next, *due_params]
        if node.type == "condition":
            if not node.yes or not node.no:
                return stop_invalid
            match_sql, params = sqlite_sql.filter_sql(
                node.filter, fields, "jd_local_day(due)",
                events=evaluator_events.event_data(
                    "temp.jd_walk.ext", "temp.jd_walk.due", "temp.jd_walk.event_seq",
                    "temp.jd_walk.matched_seq"))
            return f"node = CASE WHEN {match_sql} THEN ? ELSE ? END", [*params, node.yes, node.no]
        if node.type == "split":
            targets = [b.next for b in node.branches]
            if not targets or any(not b.next and not b.holdout for b in node.branches):
                return stop_invalid
            if any(b.holdout for b in node.branches):
                return evaluator_goals.holdout_split_sql(plan.id, node)
            whens = " ".join(f"WHEN {i} THEN ?" for i in range(len(targets)))
            percents = ",".join(str(int(b.percent)) for b in node.branches)
            return (
                f"node = CASE jd_split(?, ext, entry_number, ?, ?) {whens} END",
                [plan.id, node.id, percents, *targets],
            )
        return stop_invalid

    @staticmethod
    def _count_written(conn: sqlite3.Connection, keys: tuple[int, str, str], written: int,
                       summary: TickSummary) -> None:
        """Count the messages just written, per node, in the same transaction."""
        if written <= 0:
            return
        summary.messages += written
        conn.execute(
            "INSERT INTO message_count (journey_id, node, channel, written) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (journey_id, node, channel) DO UPDATE"
            " SET written = written + excluded.written",
            (*keys, written),
        )

    def _count_policy(self, conn: sqlite3.Connection, keys: tuple[int, str, str],
                      inserted: int, staged: evaluator_policy.Staged | None,
                      summary: TickSummary) -> None:
        """Count what was written: suppressed messages are recorded, not written (§13)."""
        if staged is None:
            self._count_written(conn, keys, inserted, summary)
            return
        suppressed = sum(staged.suppressed.values())
        if keys[2] == "sms" and suppressed and self._policy is not None and \
                evaluator_policy.staged_first(self._policy, "sms"):
            # An SMS too long was neither written nor suppressed: read them back.
            suppressed = int(conn.execute(
                "SELECT count(*) FROM temp.jd_pol pol JOIN outbox o ON o.journey_id = ?"
                " AND o.external_id = pol.ext AND o.entry_number = pol.entry_number"
                " AND o.node = ? WHERE o.status = 'suppressed'", keys[:2]).fetchone()[0])
        self._count_written(conn, keys, inserted - suppressed, summary)
        summary.held += staged.held
        for reason, count in staged.suppressed.items():
            summary.suppressed[reason] = summary.suppressed.get(reason, 0) + count

    def _write_messages(self, conn: sqlite3.Connection, plan: _Plan, node: Node, now: int,
                        summary: TickSummary, source: str | None = None,
                        source_params: list[Any] | None = None, by_due: bool = False) -> None:
        """One outbox row per run reaching the node, rendered in SQL; a re-run adds none.

        ``source`` yields (ext, entry_number, due) of the runs; by default the runs of the
        batch standing at the node and due. ``by_due``: written in due order (an ORDER BY
        in ``source`` would be dropped from the subquery).

        An SMS whose body is over the SMS limit once its placeholders are filled in is not
        written (as a carrier would refuse it; cutting it could drop its link or its opt-out
        words): the run goes on, and the tick counts and logs what was held back.
        """
        if source is None:
            source = (
                "SELECT ext, entry_number, due, event_seq, matched_seq FROM temp.jd_walk"
                f" WHERE node = ? AND state = '{IN_PROGRESS}' AND due <= ?"
            )
            source_params = [node.id, now]
        mapped, extra = engine.message_templates(node)
        builtins = {
            **evaluator_events.placeholder_builtins(
                [*mapped.values(), *extra.values()], "w.event_seq", "w.matched_seq"),
            **sqlite_sql.builtins_sql("w.ext", "w.entry_number", plan.journey.name),
        }
        columns: list[str] = []
        params: list[Any] = []
        for key in ("title", "body", "url"):
            sql, more = sqlite_sql.render_sql(mapped[key], "p.fields", builtins)
            columns.append(sql)
            params.extend(more)
        sql, more = sqlite_sql.extra_sql(extra, "p.fields", builtins)
        columns.append(sql)
        params.extend(more)
        head = (
            "INSERT INTO outbox (journey_id, external_id, entry_number, node, channel, title,"
            " body, url, extra, due_at, created_at, send_at, status, reason) "
        )
        keys = (plan.id, node.id, node.channel or "")
        # The policy's verdict on each message (§13): in the insert itself, or staged first
        # (a rate limit); else ready as due.
        policy, staged = self._policy, None
        timing = "w.due AS send_at, 'ready' AS status, NULL AS reason"
        joined = f"({source}) AS w"
        if policy is not None and policy.applies(node.channel or "", plan.journey.obeys_caps):
            if not evaluator_policy.staged_first(policy, node.channel or ""):
                keep = "true" if node.channel != "sms" else (
                    f"CASE WHEN length(body) <= {SMS_MAX_LENGTH} THEN 1"
                    " ELSE jd_sms_too_long() END")
                held_back = self._functions.sms_too_long
                inserted, staged = evaluator_policy.insert_in_one_pass(
                    conn, policy, node.channel or "", plan.journey.obeys_caps,
                    (f"{head}SELECT ?, ext, entry_number, ?, ?,", list(keys)),
                    (columns, params), (source, list(source_params or [])), keep, now)
                self._count_policy(conn, keys, inserted, staged, summary)
                self._count_sms_too_long(plan, node, held_back, summary)
                return
            staged = evaluator_policy.stage(
                conn, policy, node.channel or "", plan.journey.obeys_caps, source,
                list(source_params or []), now)
            timing = "pol.send_at AS send_at, pol.status AS status, pol.reason AS reason"
            joined += (" JOIN temp.jd_pol pol ON pol.ext = w.ext"
                       " AND pol.entry_number = w.entry_number")
        if node.channel != "sms":
            cursor = conn.execute(
                f"{head}SELECT ?, w.ext, w.entry_number, ?, ?, {', '.join(columns)}, w.due, ?,"
                f" {timing} FROM {joined} LEFT JOIN profile p ON p.external_id = w.ext "
                f"WHERE true{' ORDER BY w.due' if by_due else ''} ON CONFLICT DO NOTHING",
                (*keys, *params, now, *(source_params or [])),
            )
            self._count_policy(conn, keys, cursor.rowcount, staged, summary)
            return
        # Rendered once per row in a subquery that is never flattened, then measured.
        held_back = self._functions.sms_too_long
        cursor = conn.execute(
            f"{head}SELECT ?, ext, entry_number, ?, ?, title, body, url, extra, due, ?,"
            " send_at, status, reason FROM (SELECT w.ext AS ext,"
            " w.entry_number AS entry_number,"
            f" {columns[0]} AS title, {columns[1]} AS body, {columns[2]} AS url,"
            f" {columns[3]} AS extra, w.due AS due, {timing} FROM {joined} LEFT JOIN profile p"
            f" ON p.external_id = w.ext {sqlite_sql.limit_once()}) "
            f"WHERE CASE WHEN length(body) <= {SMS_MAX_LENGTH} THEN 1 ELSE jd_sms_too_long() END "
            "ON CONFLICT DO NOTHING",
            (*keys, now, *params, *(source_params or [])),
        )
        self._count_policy(conn, keys, cursor.rowcount, staged, summary)
        self._count_sms_too_long(plan, node, held_back, summary)

    def _count_sms_too_long(self, plan: _Plan, node: Node, held_back: int,
                            summary: TickSummary) -> None:
        too_long = self._functions.sms_too_long - held_back
        if too_long:
            summary.sms_too_long += too_long
            log.warning("journey %s, node %s: %s SMS not written, over %s characters once "
                        "filled in", plan.id, node.id, too_long, SMS_MAX_LENGTH)


class TickCancelled(Exception):
    """The tick stopped between batches because it was asked to; what was done is kept."""


def tick(now: int, *, db: Database | None = None, tz: dt.tzinfo | None = None,
         batch_size: int = DEFAULT_BATCH_SIZE,
         on_batch: Callable[[], object] | None = None) -> TickSummary:
    """One evaluation of every active journey of the initialised database at ``now``."""
    return Evaluator(db, tz=tz, batch_size=batch_size, on_batch=on_batch).tick(now)
