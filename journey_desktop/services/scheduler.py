"""The evaluator on a QTimer (SPEC §5): ticks off the GUI thread, never overlapping.

The scheduler owns the clock (the engine never reads it): each tick gets ``now`` when it
starts. The work runs in a Worker with the thread's own database connection; a timer that
fires while a tick still runs is skipped. The evaluator lock is taken on ``start()`` and
heartbeated; while another process holds it, ticks are refused with its name. A tick
that lost the team database's connection is tried again soon (5 s, 10 s, 20 s… up to the
interval), and the loss is told once, until a tick reaches the database again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from journey_desktop.services.workers import Cancelled, JobControl, Worker
from journey_desktop.store.db import database, proxy
from journey_desktop.store.errors import StoreError, raise_sqlite_error
from journey_desktop.store.evaluator import Evaluator, TickCancelled, TickSummary
from journey_desktop.store.evaluator_lock import (
    HEARTBEAT_EVERY,
    EvaluatorBusyError,
    EvaluatorLock,
)
from journey_desktop.store.postgres import TeamConnectionError, retry_in
from journey_desktop.store.settings import SettingsRepository

log = logging.getLogger(__name__)


def done_text(summary: TickSummary) -> str:
    """What a check did: "844 customers entered, 1 message written"."""
    entered = summary.entered
    messages = summary.messages
    return (f"{entered:,} customer{'s' if entered != 1 else ''} entered, "
            f"{messages:,} message{'s' if messages != 1 else ''} written")


def _clock_text(ts: int, tz: dt.tzinfo | None) -> str:
    return f"{dt.datetime.fromtimestamp(ts, tz):%H:%M}"


@dataclass(frozen=True)
class ConnectionLost:
    """A tick that met a lost (or refused) connection to the team database."""

    message: str


def _tick_job(control: JobControl, now: int, tz: dt.tzinfo | None,
              heartbeat: Callable[[], object]) -> TickSummary | ConnectionLost:
    """One tick, on this thread's own connection, which it opens itself: a connection the
    server refuses is a lost one too."""
    try:
        database.connect(reuse_if_open=True)
        evaluator = Evaluator(database, tz=tz, on_batch=heartbeat,
                              cancelled=lambda: control.cancelled)
        return evaluator.tick(now)
    except TickCancelled:
        raise Cancelled() from None
    except TeamConnectionError as exc:  # tried again soon, not as a failure of the tick
        return ConnectionLost(str(exc))
    except Exception as exc:  # the evaluator's own SQL: a full disk is said in words
        raise_sqlite_error(exc, getattr(proxy.obj, "path", None))
        raise


class EvaluatorScheduler(QObject):
    """Ticks every active journey at the tick interval; "Run now" ticks at once."""

    tick_started = Signal()
    tick_finished = Signal(object)  # TickSummary
    tick_failed = Signal(str)
    connection_lost = Signal(str)  # once per loss: the first tick that met it
    connection_restored = Signal()  # the first tick that reached the database again

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.time,
        tz: dt.tzinfo | None = None,
        interval_seconds: int | None = None,
        lock: EvaluatorLock | None = None,
        retry_second_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._tz = tz
        self._interval = interval_seconds
        self._lock = lock if lock is not None else EvaluatorLock(clock=clock)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._first_tick = QTimer(self)
        self._first_tick.setSingleShot(True)
        self._first_tick.timeout.connect(self._on_first_tick_timeout)
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(HEARTBEAT_EVERY * 1000)
        self._heartbeat.timeout.connect(self._on_heartbeat_timeout)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._on_retry_timeout)
        self._lost = 0  # ticks in a row that met a lost connection
        self._retry_second_ms = retry_second_ms  # a second of ``retry_in`` (tests shorten it)
        self._worker: Worker | None = None
        self.last_tick_at: int | None = None
        self.next_tick_at: int | None = None
        self.last_summary: TickSummary | None = None
        self.last_error: str | None = None

    # --- what the window needs -------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def interval_seconds(self) -> int:
        if self._interval is not None:  # QTimer takes int milliseconds: at most ~596 hours
            return min(self._interval, SettingsRepository.MAX_TICK_INTERVAL)
        return SettingsRepository().tick_interval()

    def status_text(self) -> str:
        """One sentence for the status bar, in a marketer's words: "Last check 10:42 — 844
        customers entered, 844 messages written; next check 10:52"."""
        if self.busy:
            return "Checking customers…"
        if self.last_error and self._lost and self.next_tick_at is not None:
            again = f"{dt.datetime.fromtimestamp(self.next_tick_at, self._tz):%H:%M:%S}"
            return f"Evaluator: {self.last_error}; trying again at {again}"
        if self.last_error:
            return f"Evaluator: {self.last_error}"
        parts = []
        if self.last_tick_at is not None:
            last = f"Last check {_clock_text(self.last_tick_at, self._tz)}"
            if self.last_summary is not None:
                last += " — " + done_text(self.last_summary)
            parts.append(last)
        if self.next_tick_at is not None:
            next_check = f"check {_clock_text(self.next_tick_at, self._tz)}"
            parts.append(f"next {next_check}" if parts else f"Next {next_check}")
        text = "; ".join(parts) if parts else "Evaluator stopped"
        if self.last_summary is not None:  # what went wrong in the last tick, in words
            text = " — ".join([text, *self.last_summary.problems()])
        return text

    def start(self, *, first_tick_in: float | None = None) -> None:
        """Start ticking at the interval.

        With ``first_tick_in`` (seconds), also tick once that soon: what fell due while the
        application was closed goes out then, as ``journey-desktop run`` does at its start,
        instead of after a whole interval.
        """
        self._try_lock()
        self._timer.start(self.interval_seconds * 1000)
        self._heartbeat.start()
        if first_tick_in is None:
            self._schedule_next()
        else:
            self._first_tick.start(int(first_tick_in * 1000))
            self.next_tick_at = int(self._clock() + first_tick_in)

    def stop(self) -> None:
        """Stop the timer, ask a running tick to stop between batches, release the lock."""
        self._timer.stop()
        self._first_tick.stop()
        self._heartbeat.stop()
        self._retry.stop()
        self.next_tick_at = None
        if self._worker is not None:
            self._worker.cancel()
        self._pool.waitForDone()
        self._lock.release()

    def set_interval(self, seconds: int) -> None:
        self._interval = int(seconds)
        if self._timer.isActive():
            self._timer.start(self.interval_seconds * 1000)
            self._schedule_next()

    @Slot()
    def run_now(self) -> bool:
        """Tick at once; False (and nothing started) when a tick is already running."""
        if self._worker is not None:
            log.info("tick skipped: the previous one is still running")
            return False
        if not self._try_lock():
            return False
        now = int(self._clock())
        worker = Worker(_tick_job, now, self._tz, self._lock.heartbeat,
                        expected=(EvaluatorBusyError, StoreError, OSError), connects=False)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        self.last_tick_at = now
        self.tick_started.emit()
        worker.start(self._pool)
        return True

    # --- internals ------------------------------------------------------------------------

    def _try_lock(self) -> bool:
        if self._lock.held and self._lock.heartbeat():
            return True
        try:
            self._lock.acquire()
        except EvaluatorBusyError as exc:
            self.last_error = str(exc)
            self.tick_failed.emit(str(exc))
            return False
        self.last_error = None
        return True

    def _schedule_next(self) -> None:
        self.next_tick_at = int(self._clock()) + self.interval_seconds

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._schedule_next()
        self.run_now()

    @Slot()
    def _on_first_tick_timeout(self) -> None:
        self.next_tick_at = int(self._clock()) + max(0, self._timer.remainingTime()) // 1000
        self.run_now()

    @Slot()
    def _on_retry_timeout(self) -> None:
        self.run_now()

    @Slot()
    def _on_heartbeat_timeout(self) -> None:
        if self._lock.held:
            self._lock.heartbeat()

    @Slot(object)
    def _on_worker_finished(self, summary: object) -> None:
        self._worker = None
        if isinstance(summary, ConnectionLost):
            self._on_connection_lost(summary.message)
            return
        self.last_error = None
        self._lock.heartbeat()
        if isinstance(summary, TickSummary):
            self.last_summary = summary
        restored = self._lost > 0
        if restored:
            self._lost = 0
            self._retry.stop()
            self.next_tick_at = (int(self._clock()) + max(0, self._timer.remainingTime()) // 1000
                                 if self._timer.isActive() else None)
        self.tick_finished.emit(summary)
        if restored:  # after the tick's own news, so the window's last word is this
            self.connection_restored.emit()

    def _on_connection_lost(self, message: str) -> None:
        """Try again soon (``retry_in``), and tell the loss once."""
        self._lost += 1
        self.last_error = message
        delay = retry_in(self._lost, self.interval_seconds)
        self._retry.start(delay * self._retry_second_ms)
        self.next_tick_at = int(self._clock()) + delay
        log.warning("tick %s: %s; trying again in %s s", self._lost, message, delay)
        if self._lost == 1:
            self.connection_lost.emit(message)
        self.tick_failed.emit(message)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._worker = None
        self.last_error = message
        self.tick_failed.emit(message)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._worker = None
