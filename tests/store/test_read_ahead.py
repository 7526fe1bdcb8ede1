"""ReadAhead: a source iterated in its own thread, items in order, errors and closing."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from journey_desktop.store.read_ahead import ReadAhead


def test_items_arrive_in_order_and_are_produced_in_another_thread() -> None:
    producers: set[int] = set()

    def source() -> Iterator[int]:
        for i in range(100):
            producers.add(threading.get_ident())
            yield i

    with ReadAhead(source(), depth=3) as ahead:
        assert list(ahead) == list(range(100))
    assert producers and threading.get_ident() not in producers


def test_an_error_in_the_source_is_raised_to_the_consumer_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3: not CSV")

    got: list[int] = []
    with pytest.raises(ValueError, match="line 3"), ReadAhead(source()) as ahead:
        for item in ahead:
            got.append(item)
    assert got == [1, 2]


def test_closing_early_stops_the_producer_and_closes_the_source() -> None:
    produced: list[int] = []
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(1_000_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    ahead = ReadAhead(source(), depth=2)
    for item in ahead:
        if item == 5:
            break
    ahead.close()
    assert closed.is_set()
    # The producer stops at most the queue's depth and one item in hand past the consumer.
    assert len(produced) <= 5 + 1 + 2 + 1


def test_threads_switch_every_millisecond_while_any_read_ahead_runs() -> None:
    before = sys.getswitchinterval()
    first = ReadAhead(iter(range(3)))
    second = ReadAhead(iter(range(3)))
    assert sys.getswitchinterval() == pytest.approx(min(before, 0.001))
    first.close()
    assert sys.getswitchinterval() == pytest.approx(min(before, 0.001))
    second.close()
    second.close()  # closing twice restores once
    assert sys.getswitchinterval() == before
