"""Long jobs off the GUI thread: a QRunnable that opens its thread's own database connection
and reports back by signals (windows start them through ``ui.common.jobs.run_job``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from journey_desktop.store.db import database, proxy

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a job when its cancel flag was set; ends the job quietly."""


class JobControl:
    """What a job function receives: progress reporting and the cancel flag."""

    def __init__(self, signals: WorkerSignals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._signals.progressed.emit(int(done), int(total), text)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Call once per batch: stops the job here when the user pressed Cancel."""
        if self._cancel.is_set():
            raise Cancelled()


class WorkerSignals(QObject):
    progressed = Signal(int, int, str)  # done, total, text
    finished = Signal(object)  # the job's result
    failed = Signal(str)  # a message for the user
    cancelled = Signal()


class Worker(QRunnable):
    """Runs ``job(control, *args)`` off the GUI thread, on the thread's own connection.

    Expected failures should be raised as exceptions whose text is fit for the user; a bug
    is logged with its traceback and reported with the same signal. ``connects=False``: the
    job opens the thread's connection itself (to handle a failure to connect in its way).
    """

    def __init__(self, job: Callable[..., Any], *args: Any,
                 expected: tuple[type[BaseException], ...] = (),
                 connects: bool = True) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = WorkerSignals()
        self.control = JobControl(self.signals)
        self._job = job
        self._args = args
        self._expected = expected
        self._connects = connects
        self.pool: QThreadPool | None = None

    def run(self) -> None:  # Qt override
        own = proxy.obj is not None  # no database open: a job that needs none
        try:
            if own and self._connects:  # this thread's own connection (one per thread)
                database.connect(reuse_if_open=True)
            result = self._job(self.control, *self._args)
        except Cancelled:
            self.signals.cancelled.emit()
        except self._expected as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a bug: keep the traceback in the log
            log.exception("background job failed")
            self.signals.failed.emit(f"Unexpected error: {exc}")
        else:
            self.signals.finished.emit(result)
        finally:
            if own:
                database.close()

    def start(self, pool: QThreadPool | None = None) -> Worker:
        self.pool = pool or QThreadPool.globalInstance()
        self.pool.start(self)
        return self

    def cancel(self) -> None:
        self.control.cancel()

