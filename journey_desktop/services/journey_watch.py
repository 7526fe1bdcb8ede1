"""Other writers' journey changes, told to the windows within a few seconds (SPEC §14).

A thread of its own waits on the store's ``JourneyWatch`` (a ``LISTEN`` on a team
database, a cheap poll of a SQLite file) and emits ``journeys_changed`` on the GUI thread;
waiting for a notification or reconnecting to a lost server never holds up a window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from journey_desktop.store.journey_watch import JourneyChange, JourneyWatch, open_watch

log = logging.getLogger(__name__)


class JourneyWatcher(QObject):
    """Emits ``journeys_changed(JourneyChange)`` when someone writes a journey."""

    journeys_changed = Signal(object)

    def __init__(self, parent: QObject | None = None,
                 make_watch: Callable[[], JourneyWatch] | None = None) -> None:
        super().__init__(parent)
        self._make_watch = make_watch or open_watch
        self._watch: JourneyWatch | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Open the watch on the open store (here, so that it sees the store as it is
        now) and start waiting on a thread of its own."""
        if self._thread is not None:
            return
        self._watch = self._make_watch()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="journey-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop waiting (within about a second) and close the watch's connection."""
        thread, watch = self._thread, self._watch
        if thread is None or watch is None:
            return
        self._stopping.set()
        watch.stop_waiting()
        thread.join()
        watch.close()
        self._thread = self._watch = None

    def _run(self) -> None:
        watch = self._watch
        assert watch is not None
        while not self._stopping.is_set():
            try:
                change = watch.wait(watch.wait_seconds)
            except Exception:  # a bug: logged once, and the watch stops
                log.exception("the journey watch failed")
                return
            if change is not None and not self._stopping.is_set():
                self.journeys_changed.emit(change)


__all__ = ["JourneyChange", "JourneyWatcher"]
