"""The events import (SPEC §11): one transaction, each event stored once, in import order."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.store import close_store, open_store, sqlite_bulk
from journey_desktop.store.db import database
from journey_desktop.store.events import EventStore
from journey_desktop.store.postgres import on_postgres

ROOT = Path(__file__).resolve().parents[2]
T0 = 1740819600  # 2025-03-01T09:00:00Z
CUSTOMER_INDEX = "event_external_id_name_occurred_at"

pytestmark = pytest.mark.both_databases


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def import_file(path: Path, **kwargs):
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    return EventStore().import_file(plan, **kwargs)


def stored() -> list[tuple]:
    return database.execute_sql(
        "SELECT external_id, name, occurred_at, properties FROM event ORDER BY seq").fetchall()


def indexes() -> set[str]:
    sql = ("SELECT indexname FROM pg_indexes WHERE tablename = 'event'" if on_postgres() else
           "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event'")
    return {name for (name,) in database.execute_sql(sql)}


def test_import_counts_and_reads_a_customers_events_in_time_order(store, tmp_path):
    path = write(tmp_path, "e.csv", "userId,event,timestamp,cartId\n"
                 f"u1,purchase,{T0 + 60},c1\nu2,view,{T0},c9\nu1,add_to_cart,{T0},c1\n")
    result = import_file(path, now=T0 + 3600)
    assert (result.read, result.added, result.duplicates, result.rejected) == (3, 3, 0, 0)
    assert result.committed
    assert EventStore().count() == 3
    timeline = EventStore().events_for("u1")
    assert [(e.name, e.occurred_at, e.properties) for e in timeline] == [
        ("add_to_cart", T0, {"cartId": "c1"}), ("purchase", T0 + 60, {"cartId": "c1"})]
    assert database.execute_sql("SELECT DISTINCT imported_at FROM event").fetchall() == [
        (T0 + 3600,)]


def test_out_of_order_file_is_stored_in_file_order_with_its_own_timestamps(store, tmp_path):
    path = write(tmp_path, "late-first.csv", "userId,event,timestamp\n"
                 f"u1,c,{T0 + 200}\nu1,a,{T0}\nu2,b,{T0 + 100}\n")
    import_file(path)
    assert [(ext, name, at) for ext, name, at, _ in stored()] == [
        ("u1", "c", T0 + 200), ("u1", "a", T0), ("u2", "b", T0 + 100)]
    # a later file comes after, whatever its timestamps
    import_file(write(tmp_path, "older.csv", f"userId,event,timestamp\nu3,z,{T0 - 9999}\n"))
    assert [name for _, name, _, _ in stored()] == ["c", "a", "b", "z"]


def test_duplicates_by_message_id_and_by_content(store, tmp_path):
    first = write(tmp_path, "a.jsonl", "\n".join(json.dumps(e) for e in [
        {"userId": "u1", "event": "buy", "timestamp": T0, "messageId": "m1",
         "properties": {"cartId": "c1"}},
        {"userId": "u1", "event": "view", "timestamp": T0, "properties": {"p": 1, "q": 2}},
        # same messageId, different content: the first one is kept
        {"userId": "u2", "event": "refund", "timestamp": T0 + 5, "messageId": "m1"},
        # the same content, keys in another order and the time as ISO: the same event
        {"userId": "u1", "event": "view", "timestamp": "2025-03-01T09:00:00Z",
         "properties": {"q": 2, "p": 1}},
    ]) + "\n")
    result = import_file(first)
    assert (result.read, result.added, result.duplicates) == (4, 2, 2)
    assert [(ext, name) for ext, name, _, _ in stored()] == [("u1", "buy"), ("u1", "view")]
    again = import_file(first)
    assert (again.read, again.added, again.duplicates, again.committed) == (4, 0, 4, True)
    # the same events as CSV: the content hash ignores the format
    as_csv = write(tmp_path, "b.csv", f"userId,event,timestamp,p,q\nu1,view,{T0},1,2\n")
    assert import_file(as_csv).added == 1  # CSV values are text: "1" is not 1
    assert EventStore().count() == 3


def test_every_line_rejected_stores_nothing(store, tmp_path):
    path = write(tmp_path, "e.csv", "userId,event,timestamp\nu1,,1\n,view,1\n")
    result = import_file(path)
    assert (result.committed, result.read, result.rejected, result.added) == (False, 2, 2, 0)
    assert EventStore().count() == 0


def big_file(tmp_path: Path, rows: int) -> Path:
    return write(tmp_path, "big.csv", "userId,event,timestamp,messageId\n" + "".join(
        f"u{i % 97},view,{T0 + i},m{i}\n" for i in range(rows)))


def test_a_cancelled_import_stores_nothing(store, tmp_path, monkeypatch):
    cancelled_import_stores_nothing(tmp_path, monkeypatch, defer=False)


@pytest.mark.sqlite_only  # only SQLite's import drops the customer index for a while
def test_a_cancelled_import_brings_the_dropped_index_back(store, tmp_path, monkeypatch):
    cancelled_import_stores_nothing(tmp_path, monkeypatch, defer=True)


def cancelled_import_stores_nothing(tmp_path, monkeypatch, *, defer: bool) -> None:
    if defer:  # a large import drops the customer index first: the cancel brings it back
        monkeypatch.setattr(sqlite_bulk.EventInsert, "DEFER_MIN_ROWS", 10)
    import_file(write(tmp_path, "before.csv", f"userId,event,timestamp\nu0,first,{T0}\n"))
    path = big_file(tmp_path, 25_000)

    class Cancelled(Exception):
        pass

    def progress(rows: int, position: int, size: int) -> None:
        assert CUSTOMER_INDEX not in indexes() if defer else CUSTOMER_INDEX in indexes()
        raise Cancelled()

    with pytest.raises(Cancelled):
        import_file(path, progress=progress)
    assert [name for _, name, _, _ in stored()] == ["first"]
    assert CUSTOMER_INDEX in indexes()


@pytest.mark.sqlite_only
def test_a_large_import_builds_the_customer_index_again(store, tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_bulk.EventInsert, "DEFER_MIN_ROWS", 10)
    result = import_file(big_file(tmp_path, 25_000))
    assert result.added == 25_000
    assert CUSTOMER_INDEX in indexes()
    plan = " ".join(row[3] for row in database.execute_sql(
        "EXPLAIN QUERY PLAN SELECT seq FROM event WHERE external_id = ? AND name = ?"
        " AND occurred_at > ?", ("u1", "view", 0)))
    assert CUSTOMER_INDEX in plan
    assert len(EventStore().events_for("u5")) == len(range(5, 25_000, 97))


KILL_AFTER_FIRST_BATCH = """
import os, signal, sys
from pathlib import Path
from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.store import open_store
from journey_desktop.store.events import EventStore

open_store(Path(sys.argv[1]), url=sys.argv[3] or None)
def progress(rows, position, size):
    os.kill(os.getpid(), signal.SIGKILL)
EventStore().import_file(EventPlan.from_preview(preview_events(sys.argv[2], max_rows=0)),
                         progress=progress)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_import_stores_nothing(data_dir, tmp_path, store_url):
    path = big_file(tmp_path, 25_000)
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_BATCH, str(data_dir),
                           str(path), store_url or ""], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    open_store(data_dir, url=store_url)
    try:
        assert EventStore().count() == 0
        assert CUSTOMER_INDEX in indexes()
    finally:
        close_store()


def test_rejects_file_of_csv_keeps_the_source_delimiter_and_encoding(store, tmp_path):
    path = write(tmp_path, "e.csv", "userId;event;timestamp;city\n"
                 f"u1;view;{T0};Málaga\nu2;;{T0};Cádiz\n", encoding="cp1252")
    result = import_file(path)
    result.save_rejects(tmp_path / "rejects.csv")
    result.rejects.close()
    text = (tmp_path / "rejects.csv").read_text(encoding="cp1252")
    assert text.splitlines() == ["line;reason;userId;event;timestamp;city",
                                 f"3;no event name;u2;;{T0};Cádiz"]


def test_rejects_file_of_json_lines_is_line_reason_text(store, tmp_path):
    bad = '{"userId": "u1", "event": "view", "timestamp": "never"}'
    path = write(tmp_path, "e.jsonl", f'{{"userId": "u1", "event": "v", "timestamp": {T0}}}\n'
                 f"{bad}\n")
    result = import_file(path)
    result.save_rejects(tmp_path / "rejects.csv")
    result.rejects.close()
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["line", "reason", "text"],
                    ["2", "unreadable timestamp 'never' (use ISO 8601, or epoch seconds or "
                     "milliseconds)", bad]]
