"""``run`` after a tick that lost the team database's connection (SPEC §14): it tries
again after 5 s, 10 s, 20 s… up to the tick interval, says so in one line each time, and
says when it is connected again; other failures wait the interval as before."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from journey_desktop.cli.context import CliContext
from journey_desktop.cli.evaluator import run_ticks
from journey_desktop.store import close_store, open_store
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.postgres import TeamConnectionError
from journey_desktop.store.tick_summary import TickSummary
from tests.store.test_team_reconnect import end_connections

LOST = "team database journeys on db.example.com: the connection was lost"
T0 = 1_800_000_000


class Clock:
    """The loop's clock and its waits: a wait moves the clock, nothing sleeps."""

    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False


class Ticks:
    """An evaluator whose ticks fail or succeed in a given order; the last one stops."""

    def __init__(self, outcomes: list[Exception | None], stop: threading.Event) -> None:
        self.outcomes = outcomes
        self.stop = stop
        self.at: list[int] = []

    def tick(self, now: int) -> TickSummary:
        self.at.append(now - T0)
        outcome = self.outcomes.pop(0)
        if not self.outcomes:
            self.stop.set()
        if outcome is not None:
            raise outcome
        return TickSummary(now=now)


class Lock:
    def heartbeat(self) -> bool:
        return True


def run(outcomes: list[Exception | None], interval: int, data_dir: Path
        ) -> tuple[list[int], list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    stop = threading.Event()
    ticks, clock = Ticks(outcomes, stop), Clock()
    run_ticks(CliContext(data_dir, out, err), ticks, Lock(), stop,  # type: ignore[arg-type]
              interval, clock=clock, wait=clock.wait)
    return ticks.at, out.getvalue().splitlines(), err.getvalue().splitlines()


@pytest.mark.parametrize("interval, delays", [(600, [5, 10, 20]), (12, [5, 10, 12])])
def test_a_lost_connection_is_tried_again_sooner(data_dir: Path, interval: int,
                                                 delays: list[int]) -> None:
    lost = [TeamConnectionError(LOST) for _ in delays]
    at, out, err = run([*lost, None, None], interval, data_dir)
    assert at == [0, delays[0], sum(delays[:2]), sum(delays), sum(delays) + interval]
    assert err == [f"journey-desktop: tick failed: {LOST}; trying again in {d} s"
                   for d in delays]
    assert out[0] == "connected to the team database again"
    assert len(out) == 3  # once, then a line per tick


def test_after_reconnecting_the_next_loss_starts_at_5_s_again(data_dir: Path) -> None:
    outcomes: list[Exception | None] = [TeamConnectionError(LOST), TeamConnectionError(LOST),
                                        None, TeamConnectionError(LOST), None]
    at, _out, err = run(outcomes, 600, data_dir)
    assert at == [0, 5, 15, 615, 620]
    assert [line.rsplit(" in ", 1)[1] for line in err] == ["5 s", "10 s", "5 s"]


def test_other_failures_wait_the_interval(data_dir: Path) -> None:
    at, _out, err = run([RuntimeError("boom"), None], 600, data_dir)
    assert at == [0, 600]
    assert err == ["journey-desktop: tick failed: boom"]


def test_a_tick_on_a_team_database_that_lost_its_connection_is_retried(
        postgres_server: str, team_url: str, data_dir: Path) -> None:
    """The real thing: a tick meeting a connection the server ended fails with the error
    ``run`` retries soon, and the retry connects again."""
    open_store(data_dir, url=team_url)
    try:
        evaluator = Evaluator()
        evaluator.tick(T0)
        assert end_connections(postgres_server, team_url) >= 1
        stop = threading.Event()
        out, err = io.StringIO(), io.StringIO()
        clock = Clock()

        class Twice:
            def __init__(self) -> None:
                self.count = 0

            def tick(self, now: int) -> TickSummary:
                self.count += 1
                if self.count == 2:
                    stop.set()
                return evaluator.tick(now)

        run_ticks(CliContext(data_dir, out, err), Twice(), Lock(), stop,  # type: ignore[arg-type]
                  600, clock=clock, wait=clock.wait)
        assert err.getvalue().endswith("; trying again in 5 s\n")
        assert err.getvalue().count("\n") == 1
        assert out.getvalue().splitlines()[0] == "connected to the team database again"
        assert clock.now == T0 + 5
    finally:
        close_store()
