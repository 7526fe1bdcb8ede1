"""The one way the windows run a long job: ``run_job`` on a pool thread, results by signal.

Every job runs on its worker thread's own database connection (``Worker`` opens and closes
it), is kept alive here while it runs and a little after (its thread may still be
returning from ``run()`` when its result arrives), and ``wait_for_jobs`` waits for all of
them at exit, so no write is cut short.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThreadPool

from journey_desktop.services.workers import JobControl, Worker
from journey_desktop.store.errors import RepositoryError

RETIRED_KEPT = 8  # finished jobs kept alive until this many more have finished

_live: set[Worker] = set()
_retired: deque[Worker] = deque(maxlen=RETIRED_KEPT)


def run_job(
    call: Callable[..., Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[str], None] | None = None,
    *args: Any,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    expected: tuple[type[BaseException], ...] = (RepositoryError,),
    pool: QThreadPool | None = None,
) -> Worker:
    """Start ``call(control, *args)`` off the GUI thread; ``on_done(result)`` or
    ``on_failed(message)`` (an ``expected`` error's own words, or "Unexpected error…" for a
    bug, logged with its traceback) run on the GUI thread. Returns the job, to cancel it."""
    worker = Worker(call, *args, expected=expected)
    signals = worker.signals
    # The caller's slots first: a bound method of a closed window is simply not called.
    signals.finished.connect(on_done)
    if on_failed is not None:
        signals.failed.connect(on_failed)
    if on_progress is not None:
        signals.progressed.connect(on_progress)
    if on_cancelled is not None:
        signals.cancelled.connect(on_cancelled)
    for signal in (signals.finished, signals.failed, signals.cancelled):
        signal.connect(lambda *_: _retire(worker))
    _live.add(worker)
    return worker.start(pool)


def _retire(worker: Worker) -> None:
    if worker in _live:
        _live.discard(worker)
        _retired.append(worker)


def live_jobs() -> int:
    """How many jobs are still running."""
    return len(_live)


def wait_for_jobs() -> None:
    """Block until every running job has returned (at exit: an import or a write must end
    in the database, not halfway)."""
    for pool in {worker.pool for worker in list(_live) if worker.pool is not None}:
        try:
            pool.waitForDone()
        except RuntimeError:  # a window's pool, gone with it: its destructor waited
            pass


__all__ = ["JobControl", "live_jobs", "run_job", "wait_for_jobs"]
