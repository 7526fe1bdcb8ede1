"""``journey-desktop`` with a clock that runs ``SPEED`` times faster than the real one from
the moment ``BASE`` (epoch seconds): every process started with the same two numbers reads
the same time, always going forward. A journey's one-minute wait (the shortest the SPEC
allows) then passes in a few real seconds.

    python -m tests.fast_clock BASE SPEED [journey-desktop arguments…]
"""

from __future__ import annotations

import sys
import time


def fast_clock(base: float, speed: float):  # type: ignore[no-untyped-def]
    real = time.time

    def now() -> float:
        return base + (real() - base) * speed

    return now


if __name__ == "__main__":
    time.time = fast_clock(float(sys.argv[1]), float(sys.argv[2]))
    from journey_desktop.__main__ import main

    sys.exit(main(sys.argv[3:]))
