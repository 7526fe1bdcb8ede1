"""Run the command line as ``python -m journey_desktop`` would, killed (SIGKILL) after N
batch commits of a tick: the evaluator's per-batch callback is the hook, installed here
by the tests, never by the application.

    python -m tests.cli.crash_after N --data-dir DIR tick --now ...
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from journey_desktop.store import evaluator


def kill_after(commits: int) -> None:
    """Make every Evaluator kill this process once ``commits`` batches are committed."""
    remaining = commits
    original: Callable[..., None] = evaluator.Evaluator.__init__

    def init(self: evaluator.Evaluator, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        chained = self.on_batch

        def on_batch() -> None:
            nonlocal remaining
            if chained is not None:
                chained()
            remaining -= 1
            if remaining <= 0:
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

        self.on_batch = on_batch

    evaluator.Evaluator.__init__ = init  # type: ignore[method-assign]


if __name__ == "__main__":
    kill_after(int(sys.argv[1]))
    from journey_desktop.__main__ import main

    sys.exit(main(sys.argv[2:]))
