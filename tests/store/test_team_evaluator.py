"""The evaluator on a team database (SPEC §14): what only several evaluators can meet."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from journey_desktop.store.errors import StoreError
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.evaluator_lock import EvaluatorLock
from tests.team_evaluators import outbox_rows, two_push_journey

NOW = 1_767_225_600


def test_a_message_already_written_rolls_the_whole_batch_back(team_url: str,
                                                                data_dir: Path) -> None:
    """The once-only key is the last line of defence: a batch that meets a message written
    by another evaluator writes nothing at all (no message, run or check), and the journey
    is named as failed rather than a message written twice."""
    journey_id = two_push_journey(data_dir, team_url, 4, NOW)
    open_store(data_dir, url=team_url)
    try:
        database.execute_sql(
            "INSERT INTO outbox (journey_id, external_id, entry_number, node, channel, title,"
            " body, url, extra, due_at, created_at, send_at, status)"
            " VALUES (?, 'c0000002', 1, 'hello', 'push', 'elsewhere', '', '', '{}', ?, ?, ?,"
            " 'ready')", (journey_id, NOW, NOW, NOW))

        summary = Evaluator().tick(NOW)

        assert [f.journey_id for f in summary.failures] == [journey_id]
        assert "already written" in summary.failures[0].error
        assert summary.messages == 0
        assert database.execute_sql("SELECT external_id, title FROM outbox").fetchall() == [
            ("c0000002", "elsewhere")]
        assert database.execute_sql("SELECT count(*) FROM run").fetchone() == (0,)
        assert database.execute_sql(
            "SELECT count(*) FROM member WHERE entries = 0 AND first_check_at IS NULL"
            " AND next_check_at <= ?", (NOW,)).fetchone() == (4,)
        assert database.execute_sql("SELECT count(*) FROM node_visit").fetchone() == (0,)
    finally:
        close_store()


def test_evaluators_on_a_team_database_take_no_lock(team_url: str, data_dir: Path) -> None:
    """Two evaluators (windows, run, tick) may run at once: neither is refused, and the
    lock row of the SQLite file is never written."""
    two_push_journey(data_dir, team_url, 1, NOW)
    open_store(data_dir, url=team_url)
    try:
        first, second = EvaluatorLock(pid=1, host="a"), EvaluatorLock(pid=2, host="b")
        first.acquire()
        second.acquire()
        assert first.heartbeat() and second.heartbeat()
        assert database.execute_sql("SELECT count(*) FROM evaluator_lock").fetchone() == (0,)
        first.release()
        second.release()
    finally:
        close_store()


def test_a_journey_ticked_whole_is_left_to_the_evaluator_ticking_it(team_url: str,
                                                                     data_dir: Path) -> None:
    """A journey with exit rules reads every run of it at once: while another evaluator
    ticks it (its transaction holds the journey's advisory lock), a tick leaves it alone,
    without failing; the next tick does the work."""
    rule = [{"fields": {"match": "all", "conditions": [
        {"field": "plan", "op": "equals", "value": "cancelled"}]}}]
    journey_id = two_push_journey(data_dir, team_url, 4, NOW, exit_when=rule)
    other = psycopg.connect(team_url)
    open_store(data_dir, url=team_url)
    try:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (journey_id,))
        summary = Evaluator().tick(NOW)
        assert (summary.failures, summary.messages) == ([], 0)
        assert database.execute_sql("SELECT count(*) FROM outbox").fetchone() == (0,)
        other.rollback()  # the other evaluator's transaction ends

        summary = Evaluator().tick(NOW)
        assert (summary.failures, summary.entered, summary.messages) == ([], 4, 4)
    finally:
        other.close()
        close_store()


def test_a_connection_lost_during_a_tick_writes_nothing_and_the_next_tick_reconnects(
        team_url: str, data_dir: Path) -> None:
    two_push_journey(data_dir, team_url, 30, NOW)
    admin = psycopg.connect(team_url, autocommit=True)
    open_store(data_dir, url=team_url)
    try:
        (pid,) = database.execute_sql("SELECT pg_backend_pid()").fetchone()

        def cut() -> None:  # after the first batch's commit, the server drops us
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

        with pytest.raises(StoreError, match="connection was lost"):
            Evaluator(batch_size=10, on_batch=cut).tick(NOW)
        assert admin.execute("SELECT count(*) FROM outbox").fetchone() == (10,)

        summary = Evaluator(batch_size=10).tick(NOW)
        assert (summary.failures, summary.messages) == ([], 20)
        assert len(outbox_rows(data_dir, team_url)) == 30
    finally:
        admin.close()
        close_store()
