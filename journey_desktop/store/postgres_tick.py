"""The evaluator on a team database (SPEC §14): several evaluators share the due work.

The engine (``store/evaluator.py``) is SQLite SQL with Python functions; on PostgreSQL it
runs unchanged on an in-memory SQLite copy of the rows a batch needs, and what it changed
is written back in the batch's PostgreSQL transaction (``team_tick_copy``), so both
databases give the same results by construction.

A journey whose runs only ever touch their own customer's rows is taken in batches that
any number of evaluators claim side by side: the due members, due runs and held messages
whose time came, ``FOR UPDATE SKIP LOCKED``; a customer is worked on only when this
evaluator holds their member row (or they have none) and every piece of their due work,
so two evaluators never work on one customer. A journey whose tick reads shared state
(events and their watermark, a goal or exit rules, frequency caps and rate limits across
journeys) is ticked whole by one evaluator at a time, under a transaction-level advisory
lock that the others skip, and only when a few indexed reads find something of it due:
an idle tick copies nothing. A killed evaluator's transaction is rolled back by the server
and its rows are claimed by the next batch of another. A new message whose once-only key
is taken means the work was done elsewhere: the batch rolls back whole and is claimed
again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from journey_desktop.domain.lifecycle import ACTIVE, DEACTIVATED, IN_PROGRESS
from journey_desktop.domain.policy import Policy
from journey_desktop.store import evaluator_clock, evaluator_policy, sqlite_sql
from journey_desktop.store.errors import StoreError
from journey_desktop.store.policy import cap_history_since, load_policy
from journey_desktop.store.postgres import PostgresStore, portable_connection
from journey_desktop.store.postgres_tick_due import whole_tick_due
from journey_desktop.store.team_tick_copy import BatchCopy
from journey_desktop.store.tick_summary import JourneyFailure, TickSummary

if TYPE_CHECKING:
    from journey_desktop.store.evaluator import Evaluator, _Plan

log = logging.getLogger(__name__)

# Advisory lock keys: one journey ticked whole (its id), the caps and rate limits.
POLICY_LOCK = -17
DEACTIVATED_LOCK = -18
# A batch whose messages were written elsewhere meanwhile is claimed again this often.
CONFLICT_RETRIES = 5


def _customers(rows: Sequence[Sequence[Any]], column: int = 0) -> set[str]:
    return {str(row[column]) for row in rows}


class TeamTick:
    """One tick of every active journey of a team database, sharing the work."""

    def __init__(self, evaluator: Evaluator) -> None:
        db = getattr(evaluator.db, "obj", evaluator.db)
        assert isinstance(db, PostgresStore)
        self.db = db
        self.evaluator = evaluator
        self.tz = evaluator.tz
        self.batch_size = evaluator.batch_size
        # The in-memory copy and the engine on it, kept from tick to tick.
        self._copy: BatchCopy | None = None
        self._engine: Evaluator | None = None

    def serves(self, db: object) -> bool:
        """Whether this tick's copy belongs to ``db`` (the store may have been reopened)."""
        return getattr(db, "obj", db) is self.db

    # --- the tick ---------------------------------------------------------------------------

    def tick(self, now: int, journey_ids: list[int] | None = None) -> TickSummary:
        from journey_desktop.store.evaluator import TickCancelled

        try:
            return self._tick(now, journey_ids)
        except (TickCancelled, StoreError):
            raise
        except Exception as exc:  # a lost connection, a full disk: said in words
            self.db._raise_mapped(exc)
            raise

    def _tick(self, now: int, journey_ids: list[int] | None) -> TickSummary:
        from journey_desktop.store.evaluator import JourneyError, _failure_text, _plan

        started = time.perf_counter()
        now = int(now)
        summary = TickSummary(now=now)
        self._reconnect()
        back = self._clock_went_back(now)
        summary.clock_went_back_from = back
        policy = load_policy(self.db)
        if self._copy is None or self._engine is None:
            self._copy = BatchCopy(self.db)
            self._engine = self._new_engine(self._copy)
        copy, engine = self._copy, self._engine
        self._suppress_deactivated(copy, engine, now)
        rows = self.db.execute_sql(
            "SELECT id, name, definition, activated_at FROM journey"
            f" WHERE status = '{ACTIVE}' ORDER BY id").fetchall()
        for journey_id, name, definition, activated_at in rows:
            selected = journey_ids is None or journey_id in journey_ids
            if not selected and back is None:
                continue
            summary.journeys += int(selected)
            part = TickSummary(now=now)
            try:
                plan = _plan(journey_id, definition, activated_at)
                if back is not None:
                    summary.rescheduled += self._reschedule(copy, plan, now)
                if selected:
                    if self._whole(plan, policy):
                        self._tick_whole(copy, engine, plan, now, part, policy)
                    else:
                        self._tick_batches(copy, engine, plan, now, part)
            except JourneyError as exc:
                failure = JourneyFailure(journey_id, name, _failure_text(exc, None))
                log.error("journey %s (%s) skipped by this tick: %s", journey_id, name,
                          failure.error)
                part.failures.append(failure)
            if selected:
                summary.messages_by_journey[journey_id] = part.messages
                summary.add(part)
                summary.failures.extend(part.failures)
        if back is not None:
            log.warning("the clock went back: now %s is before the last tick at %s; %s next "
                        "checks were moved back to their rhythm", now, back, summary.rescheduled)
            self.db.execute_sql("UPDATE setting SET value = ? WHERE key = ?",
                                (str(now), evaluator_clock.LAST_TICK_KEY))
        summary.seconds = time.perf_counter() - started
        log.info("tick at %s on the team database: %s (%.3f s)", now,
                 ", ".join(summary.lines()), summary.seconds)
        return summary

    def _reconnect(self) -> None:
        """A connection the server dropped (a restart, a network cut) is opened again, so a
        tick after a lost one works; the lost tick's open batch was rolled back."""
        if not self.db.is_closed():
            raw = self.db.connection()
            if raw.closed or raw.broken:
                log.warning("the connection to team database %s was lost; connecting again",
                            self.db.where)
                try:
                    self.db.close()
                except Exception:  # noqa: BLE001 - the old connection is gone either way
                    self.db._state.reset()  # type: ignore[attr-defined]
        self.db.connect(reuse_if_open=True)

    def _new_engine(self, copy: BatchCopy) -> Evaluator:
        from journey_desktop.store.evaluator import Evaluator

        # One batch of the copy holds at most a claim of each kind per customer.
        return Evaluator(copy.db, tz=self.tz, batch_size=max(self.batch_size, 1) * 4)

    def _run_engine(self, engine: Evaluator, plan: _Plan, now: int) -> TickSummary:
        part = engine.tick(now, journey_ids=[plan.id])
        part.batches = 0
        part.journeys = 0
        return part

    def _committed(self, summary: TickSummary) -> None:
        self.evaluator._committed(summary)

    # --- the clock (SPEC §5) ----------------------------------------------------------------

    def _clock_went_back(self, now: int) -> int | None:
        """As ``evaluator_clock.clock_went_back``; while it goes forward, several evaluators
        record the latest of their ticks."""
        last = evaluator_clock.last_tick(portable_connection(self.db))
        if last is not None and now < last:
            return last
        if last != now:
            self.db.execute_sql(
                "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value WHERE CASE WHEN setting.value ~ '^[0-9]+$'"
                " THEN setting.value::bigint < excluded.value::bigint ELSE true END",
                (evaluator_clock.LAST_TICK_KEY, str(now)))
        return None

    def _reschedule(self, copy: BatchCopy, plan: _Plan, now: int) -> int:
        with self.db.atomic():
            copy.clear()
            copy.load("member", "WHERE journey_id = ? AND next_check_at > ? FOR UPDATE",
                      (plan.id, now))
            copy.loaded()
            sqlite_sql.register_functions(copy.conn, self.tz)
            moved = evaluator_clock.reschedule(copy.db, plan.id, plan.reentry, plan.timeout,
                                               now, plan.check_at)
            copy.write_back()
        return moved

    # --- what is shared by every journey ----------------------------------------------------

    def _suppress_deactivated(self, copy: BatchCopy, engine: Evaluator, now: int) -> None:
        """Held messages of deactivated journeys are suppressed (SPEC §13)."""
        (any_held,) = self.db.execute_sql(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'held' AND journey_id IN"
            " (SELECT id FROM journey WHERE status = ?))", (DEACTIVATED,)).fetchone()
        if not any_held:
            return
        with self.db.atomic():
            if not self._try_lock(DEACTIVATED_LOCK):
                return
            copy.clear()
            copy.load("journey")
            deactivated = f"(SELECT id FROM journey WHERE status = '{DEACTIVATED}')"
            copy.load("outbox", f"WHERE status = 'held' AND journey_id IN {deactivated}"
                      " FOR UPDATE")
            copy.load("message_count", f"WHERE journey_id IN {deactivated}")
            copy.loaded()
            with copy.db.atomic():
                evaluator_policy.suppress_deactivated(copy.conn)
            copy.write_back()

    def _try_lock(self, key: int) -> bool:
        (got,) = self.db.execute_sql("SELECT pg_try_advisory_xact_lock(?)", (key,)).fetchone()
        return bool(got)

    def _load_settings(self, copy: BatchCopy) -> None:
        copy.load("setting", "WHERE key <> ?", (evaluator_clock.LAST_TICK_KEY,))
        copy.load("journey")

    # --- journeys ticked whole --------------------------------------------------------------

    @staticmethod
    def _policy_shared(plan: _Plan, policy: Policy) -> bool:
        """Whether the journey's messages meet caps or rate limits, shared across journeys."""
        if policy.empty:
            return False
        channels = {n.channel or "" for n in plan.journey.nodes if n.type == "message"}
        obeys = plan.journey.obeys_caps
        return any(policy.rate_for(ch) or (obeys and any(c.applies_to(ch) for c in policy.caps))
                   for ch in channels)

    def _whole(self, plan: _Plan, policy: Policy) -> bool:
        return plan.events is not None or plan.goals is not None or \
            self._policy_shared(plan, policy)

    def _tick_whole(self, copy: BatchCopy, engine: Evaluator, plan: _Plan, now: int,
                    summary: TickSummary, policy: Policy) -> None:
        """The whole journey in one transaction, by one evaluator at a time; left alone,
        without a copy, when the server says nothing of it is due (``postgres_tick_due``)."""
        jid = plan.id
        if not whole_tick_due(self.db, plan, now, self.tz):
            return
        shared = self._policy_shared(plan, policy)
        with self.db.atomic():
            if not self._try_lock(jid) or (shared and not self._try_lock(POLICY_LOCK)):
                log.info("journey %s is being ticked by another evaluator", jid)
                return
            copy.clear()
            self._load_settings(copy)
            for table in ("member", "run", "event_mark", "event_queue", "wait_timeout",
                          "wait_event_count", "message_count", "node_visit", "conversion",
                          "goal_mark", "run_branch"):
                copy.load(table, "WHERE journey_id = ?", (jid,))
            self._concerned(plan)
            concerned = "external_id IN (SELECT external_id FROM jd_whole)"
            copy.load("profile", f"WHERE {concerned}")
            # The newest event too: the watermarks move up to it.
            copy.load("event", f"WHERE {concerned} OR seq = (SELECT max(seq) FROM event)")
            since = cap_history_since(now, self.db) if shared else None
            if since is not None:
                copy.load("outbox", "WHERE journey_id = ? OR send_at >= ?", (jid, since))
            else:
                copy.load("outbox", "WHERE journey_id = ?", (jid,))
            if shared:
                copy.load("rate_slot", "FOR UPDATE")
            copy.loaded()
            part = self._run_engine(engine, plan, now)
            copy.write_back()
        summary.add(part)
        summary.failures.extend(part.failures)
        self._committed(summary)

    def _concerned(self, plan: _Plan) -> None:
        """The customers whose profiles and events a journey ticked whole may read, into
        the temporary table ``jd_whole`` (emptied at commit): its members, the customers
        of its runs, messages and queued events, and those of every event past its
        watermarks (the engine takes new events by seq, an entry on an event may start a
        run for anyone). Every read of the engine outside these customers' rows is of the
        events past a watermark or of the newest event's seq."""
        jid = plan.id
        parts = [f"SELECT external_id FROM {table} WHERE journey_id = ?"
                 for table in ("member", "run", "outbox", "event_queue")]
        params: list[Any] = [jid] * len(parts)
        marks = [table for table, used in (("event_mark", plan.events is not None),
                                           ("goal_mark", plan.goals is not None)) if used]
        if marks:  # a journey without a mark yet takes every event as new
            lowest = " UNION ALL ".join(
                f"SELECT coalesce((SELECT seq FROM {t} WHERE journey_id = ?), 0)"
                for t in marks)
            parts.append(f"SELECT external_id FROM event WHERE seq > (SELECT min(m.seq)"
                         f" FROM ({lowest}) AS m(seq))")
            params += [jid] * len(marks)
        with self.db.connection().cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS jd_whole"
                        " (external_id TEXT PRIMARY KEY) ON COMMIT DELETE ROWS")
            cur.execute("TRUNCATE jd_whole")
        self.db.execute_sql(
            f"INSERT INTO jd_whole (external_id) {' UNION '.join(parts)}", params)
        with self.db.connection().cursor() as cur:
            cur.execute("ANALYZE jd_whole")

    # --- journeys taken in batches ----------------------------------------------------------

    def _tick_batches(self, copy: BatchCopy, engine: Evaluator, plan: _Plan, now: int,
                      summary: TickSummary) -> None:
        conflicts = 0
        while True:
            try:
                with self.db.atomic():
                    customers = self._claim(plan.id, now)
                    if customers is None:
                        return
                    self._load_batch(copy, plan.id, customers)
                    part = self._run_engine(engine, plan, now)
                    changed = copy.write_back()
            except psycopg.errors.UniqueViolation:
                conflicts += 1
                log.warning("journey %s: a batch's messages were written by another "
                            "evaluator; the batch is claimed again", plan.id)
                if conflicts > CONFLICT_RETRIES:
                    from journey_desktop.store.evaluator import JourneyError

                    raise JourneyError("its batches keep meeting messages already written")\
                        from None
                continue
            summary.add(part)
            summary.failures.extend(part.failures)
            self._committed(summary)
            if part.failures or not changed:
                return

    def _claim(self, jid: int, now: int) -> set[str] | None:
        """The customers of one batch, their rows locked; an empty set when every due
        customer seen is held by another evaluator; None when nothing is due."""
        limit = self.batch_size
        members = self.db.execute_sql(
            "SELECT external_id FROM member WHERE journey_id = ? AND next_check_at <= ?"
            " ORDER BY next_check_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (jid, now, limit)).fetchall()
        runs = self.db.execute_sql(
            "SELECT id, external_id FROM run WHERE journey_id = ? AND state = ?"
            " AND due_at <= ? ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (jid, IN_PROGRESS, now, limit)).fetchall()
        held = self.db.execute_sql(
            "SELECT id, external_id FROM outbox WHERE journey_id = ? AND status = 'held'"
            " AND send_at <= ? ORDER BY send_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (jid, now, limit)).fetchall()
        if not members and not runs and not held:
            return None
        mine = _customers(members)
        others = sorted((_customers(runs, 1) | _customers(held, 1)) - mine)
        if others:
            locked = self.db.execute_sql(
                "SELECT external_id FROM member WHERE journey_id = ? AND external_id = ANY(?)"
                " FOR UPDATE SKIP LOCKED", (jid, others)).fetchall()
            known = self.db.execute_sql(
                "SELECT external_id FROM member WHERE journey_id = ? AND external_id = ANY(?)",
                (jid, others)).fetchall()
            mine |= _customers(locked) | (set(others) - _customers(known))
        if not mine:
            return set()
        # Every due run and held message of these customers must be this batch's.
        self._batch_table(sorted(mine))
        batch = "external_id IN (SELECT external_id FROM jd_batch)"
        for table, due in (("run", f"state = '{IN_PROGRESS}' AND due_at <= ?"),
                           ("outbox", "status = 'held' AND send_at <= ?")):
            got = self.db.execute_sql(
                f"SELECT id FROM {table} WHERE journey_id = ? AND {batch}"
                f" AND {due} FOR UPDATE SKIP LOCKED", (jid, now)).fetchall()
            every = self.db.execute_sql(
                f"SELECT id, external_id FROM {table} WHERE journey_id = ?"
                f" AND {batch} AND {due}", (jid, now)).fetchall()
            ours = {int(r[0]) for r in got}
            mine -= {str(r[1]) for r in every if int(r[0]) not in ours}
        return mine

    def _load_batch(self, copy: BatchCopy, jid: int, customers: set[str]) -> None:
        copy.clear()
        self._load_settings(copy)
        if customers:
            self._batch_table(sorted(customers))  # some may have been left out since
            mine = "external_id IN (SELECT external_id FROM jd_batch)"
            copy.load("member", f"WHERE journey_id = ? AND {mine}", (jid,))
            copy.load("run", f"WHERE journey_id = ? AND {mine}", (jid,))
            copy.load("outbox", f"WHERE journey_id = ? AND {mine} AND status = 'held'", (jid,))
            copy.load("profile", f"WHERE {mine}")
            copy.load("event", f"WHERE {mine}")
        copy.load("message_count", "WHERE journey_id = ?", (jid,))
        copy.load("node_visit", "WHERE journey_id = ?", (jid,))
        copy.loaded()

    def _batch_table(self, customers: list[str]) -> None:
        """The batch's customers in a temporary table (emptied at commit), for the loads."""
        with self.db.connection().cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS jd_batch (external_id TEXT PRIMARY KEY)"
                        " ON COMMIT DELETE ROWS")
            cur.execute("TRUNCATE jd_batch")
            with cur.copy("COPY jd_batch (external_id) FROM STDIN") as rows:
                for ext in customers:
                    rows.write_row((ext,))
            cur.execute("ANALYZE jd_batch")
