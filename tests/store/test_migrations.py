"""Upgrades from every earlier schema, on databases made by that version's own code
(``fixtures/make_old_databases.sh`` says how each dump was made)."""

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from journey_desktop.store import close_store, migrations, open_store
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository

FIXTURES = Path(__file__).parent / "fixtures"


def _old_database(data_dir: Path, version: int) -> Path:
    path = data_dir / "journeys.db"
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / f"schema_v{version}.sql").read_text(encoding="utf-8"))
    conn.close()
    return path


def _upgraded_outbox(rows: list[tuple]) -> list[tuple]:
    """Outbox rows as schema 10 keeps them: a message not exported yet is 'ready'."""
    return [(*row[:13], "ready" if row[13] == "pending" else row[13]) for row in rows]


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("version", [1, 2])
def test_upgrade_merges_audiences_into_one_customer_base(data_dir, version, caplog):
    path = _old_database(data_dir, version)
    before = {
        "members": _rows(path, "SELECT journey_id, external_id, entries, first_check_at,"
                               " next_check_at, imported_at FROM customer ORDER BY 1, 2"),
        "runs": _rows(path, "SELECT * FROM run ORDER BY id"),
        "outbox": _rows(path, "SELECT * FROM outbox ORDER BY id"),
    }
    open_store(data_dir)
    try:
        version_now = database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
        assert version_now == (migrations.SCHEMA_VERSION,)
        members = database.execute_sql(
            "SELECT journey_id, external_id, entries, first_check_at, next_check_at,"
            " imported_at FROM member ORDER BY 1, 2").fetchall()
        assert members == before["members"]
        # Later versions add columns to run (events, §11); the old ones keep their values.
        width = len(before["runs"][0])
        assert [row[:width] for row in database.execute_sql(
            "SELECT * FROM run ORDER BY id")] == before["runs"]
        assert [row[:14] for row in database.execute_sql(
            "SELECT * FROM outbox ORDER BY id")] == _upgraded_outbox(before["outbox"])
        profiles = {ext: json.loads(fields) for ext, fields in database.execute_sql(
            "SELECT external_id, fields FROM profile")}
        # C2 and C3 were in both journeys; the discount week's import came last and wins on
        # the fields they disagree on; fields only one journey had are kept.
        assert profiles == {
            "C1": {"firstName": "Ann", "city": "Madrid", "birthday": "1990-05-17"},
            "C2": {"firstName": "Robert", "city": "Lisbon", "birthday": "1985-12-01",
                   "plan": "gold"},
            "C3": {"firstName": "Cy", "city": "Rome", "birthday": "2000-02-29",
                   "plan": "silver"},
            "C4": {"firstName": "Dee", "city": "Oslo", "plan": "bronze"},
        }
        # The due index of the new table serves the evaluator's question.
        plan = " ".join(row[3] for row in database.execute_sql(
            "EXPLAIN QUERY PLAN SELECT external_id FROM member WHERE journey_id = ? "
            "AND next_check_at <= ? ORDER BY next_check_at LIMIT 10", (1, 0)))
        assert "member_journey_id_next_check_at" in plan
        assert "customer" not in {r[0] for r in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        close_store()
    [report] = data_dir.glob("journeys.db.merge-conflicts-*.csv")
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    with report.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["customerId"], r["field"], r["kept_value"], r["other_value"]) for r in rows] == [
        ("C2", "firstName", "Robert", "Bob"),
        ("C3", "city", "Rome", "Paris"),
    ]
    assert {r["kept_journey"] for r in rows} == {"Seven-day discount week"}
    assert {r["other_journey"] for r in rows} == {"Birthday greetings"}
    assert "2 field values differed" in caplog.text
    [backup] = data_dir.glob(f"journeys.db.v{version}-*.bak")
    assert _rows(backup, "SELECT count(*) FROM customer") == [(6,)]


def test_upgraded_database_keeps_working(data_dir):
    _old_database(data_dir, 2)
    open_store(data_dir)
    try:
        repo = JourneyRepository()
        birthday = repo.get(1)
        assert birthday.status == "active"
        assert repo.summary(1).audience == 3 and repo.summary(2).audience == 3
        # The next day's tick checks the birthday journey's members again, from profiles.
        summary = Evaluator().tick(1796115600 + 86400)
        assert summary.checked == 3
    finally:
        close_store()


def test_no_conflicts_no_report(data_dir):
    path = _old_database(data_dir, 2)
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM customer WHERE journey_id = 2 AND external_id IN ('C2', 'C3')")
    conn.commit()
    conn.close()
    open_store(data_dir)
    close_store()
    assert not list(data_dir.glob("journeys.db.merge-conflicts-*"))


def _event_schema(path: Path) -> list[tuple]:
    return _rows(path, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'event' "
                       "ORDER BY name")


def test_upgrade_from_3_adds_the_event_table_as_a_new_database_has_it(data_dir, tmp_path):
    path = _old_database(data_dir, 3)
    before = {table: _rows(path, f"SELECT * FROM {table}")
              for table in ("journey", "profile", "member", "run", "outbox", "setting")}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    try:
        assert database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone() == (
            migrations.SCHEMA_VERSION,)
    finally:
        close_store()
    assert _event_schema(path) == _event_schema(fresh / "journeys.db")
    assert [name for _, name, _ in _event_schema(path)] == [
        "event", "event_event_key", "event_external_id_name_occurred_at"]
    for table, rows in before.items():
        # Schema 5 adds columns to run (events, §11): the old ones keep their values.
        width = len(rows[0]) if rows else 0
        if table == "outbox":
            rows = _upgraded_outbox(rows)
        assert [row[:width] for row in _rows(path, f"SELECT * FROM {table}")] == rows, table
    [backup] = data_dir.glob("journeys.db.v3-*.bak")
    assert _rows(backup, "SELECT count(*) FROM sqlite_master WHERE name = 'event'") == [(0,)]


def test_upgraded_database_imports_events(data_dir, tmp_path):
    from journey_desktop.domain.events_file import EventPlan, preview_events
    from journey_desktop.store.events import EventStore

    _old_database(data_dir, 3)
    events = tmp_path / "e.csv"
    events.write_text("userId,event,timestamp\nC1,purchase,1740819600\n", encoding="utf-8")
    open_store(data_dir)
    try:
        plan = EventPlan.from_preview(preview_events(events, max_rows=0))
        assert EventStore().import_file(plan).added == 1
        assert [e.name for e in EventStore().events_for("C1")] == ["purchase"]
    finally:
        close_store()


def _event_run_schema(path: Path) -> list[tuple]:
    return _rows(path, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN"
                       " ('event_mark', 'event_queue', 'wait_timeout', 'wait_event_count')"
                       " ORDER BY name")


def _columns(path: Path, table: str) -> list[tuple]:
    return [(name, kind) for _, name, kind, *_ in _rows(path, f"PRAGMA table_info({table})")]


def test_upgrade_to_5_adds_event_runs_as_a_new_database_has_them(data_dir, tmp_path):
    path = _old_database(data_dir, 3)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    close_store()
    assert _event_run_schema(path) == _event_run_schema(fresh / "journeys.db")
    assert len(_event_run_schema(path)) >= 4
    assert _columns(path, "run") == _columns(fresh / "journeys.db", "run")
    assert ("event_seq", "INTEGER") in _columns(path, "run")
    # An active journey takes the events imported after the upgrade, not the whole table.
    active = _rows(path, "SELECT id FROM journey WHERE status = 'active'")
    assert _rows(path, "SELECT journey_id FROM event_mark ORDER BY 1") == sorted(active)


def _delivery_schema(path: Path) -> list[tuple]:
    return _rows(path, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN"
                       " ('delivery', 'delivery_count', 'forecast_day') ORDER BY name")


def test_upgrade_from_4_adds_the_delivery_tables_as_a_new_database_has_them(data_dir,
                                                                            tmp_path):
    path = _old_database(data_dir, 4)
    before = {table: _rows(path, f"SELECT * FROM {table}")
              for table in ("journey", "profile", "member", "run", "outbox", "event")}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    close_store()
    assert _delivery_schema(path) == _delivery_schema(fresh / "journeys.db")
    assert [name for _, name, _ in _delivery_schema(path)] == [
        "delivery", "delivery_count", "forecast_day"]  # schema 9: one row per message
    for table, rows in before.items():
        after = _rows(path, f"SELECT * FROM {table}")
        # Later steps may add columns (schema 5 adds the run's events): the old ones stay.
        width = len(rows[0]) if rows else 0
        if table == "outbox":
            rows = _upgraded_outbox(rows)
        assert [row[:width] for row in after] == rows, table
    [backup] = data_dir.glob("journeys.db.v4-*.bak")
    assert _rows(backup, "SELECT count(*) FROM sqlite_master WHERE name = 'delivery'") == [(0,)]


def test_upgraded_database_applies_a_delivery_report(data_dir, tmp_path):
    from journey_desktop.store.delivery import import_report
    from journey_desktop.store.delivery_status import database_id

    _old_database(data_dir, 4)
    open_store(data_dir)
    try:
        [(outbox_id,)] = database.execute_sql("SELECT id FROM outbox").fetchall()
        report = tmp_path / "r.csv"
        report.write_text(f"message_id,status,timestamp\n{database_id()}-{outbox_id},opened,"
                          "2026-12-02T10:00:00Z\n", encoding="utf-8")
        assert import_report(report).applied == 1
    finally:
        close_store()


def test_upgrade_from_6_counts_the_messages_written_per_node(data_dir):
    path = _old_database(data_dir, 6)
    expected = _rows(path, "SELECT journey_id, node, channel, count(*) FROM outbox"
                           " GROUP BY journey_id, node, channel ORDER BY 1, 2, 3")
    assert expected  # the dump holds messages
    open_store(data_dir)
    close_store()
    assert _rows(path, "SELECT journey_id, node, channel, written FROM message_count"
                       " ORDER BY 1, 2, 3") == expected


def test_upgrade_from_8_keeps_one_delivery_row_per_message_and_one_event_per_line(
        data_dir, tmp_path):
    from journey_desktop.store.delivery import import_report, node_delivery
    from journey_desktop.store.delivery_status import database_id, statuses_of

    path = _old_database(data_dir, 8)
    old_counts = dict(_rows(path, "SELECT status, sum(count) FROM delivery_count GROUP BY 1"))
    old_statuses: dict[int, set[str]] = {}
    for outbox_id, status in _rows(path, "SELECT outbox_id, status FROM delivery"):
        old_statuses.setdefault(outbox_id, set()).add(status)
    assert _rows(path, "SELECT id, matched_seq FROM run WHERE matched_seq IS NOT NULL"
                       " ORDER BY 1") == [(1, 3), (2, 5)]  # C1 matched the implied open
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    try:
        assert _delivery_schema(path) == _delivery_schema(fresh / "journeys.db")
        assert _event_schema(path) == _event_schema(fresh / "journeys.db")
        # The statistics and the outbox's statuses read what they read before.
        [hello] = [row for row in node_delivery(1) if row.node == "hello"]
        assert {s: n for s, n in hello.reached.items() if n} == old_counts
        assert {k: set(v) for k, v in statuses_of(list(old_statuses)).items()} == old_statuses
        assert database.execute_sql(
            "SELECT outbox_id, level, sent_at, delivered_at, opened_at, clicked_at, bounced_at"
            " FROM delivery ORDER BY 1").fetchall() == [
                (1, 4, 1796117400, 1796117400, 1796117400, 1796117400, None),
                (2, 4, 1796116800, 1796116800, 1796116800, 1796119200, None),
                (3, 0, None, None, None, None, 1796116200),
                (4, 2, 1796115900, 1796115900, None, None, None)]
        # The events of implied statuses are gone; each line's own keeps the step before it,
        # and the run that matched an implied open now points at the click that implied it.
        assert database.execute_sql(
            "SELECT seq, external_id, name, ladder_from FROM event ORDER BY seq").fetchall() == [
                (1, "C1", "message_clicked", 0), (5, "C2", "message_opened", 0),
                (8, "C3", "message_bounced", None), (9, "C4", "message_delivered", 0),
                (11, "C2", "message_clicked", 3)]
        assert database.execute_sql(
            "SELECT id, matched_seq FROM run WHERE matched_seq IS NOT NULL ORDER BY 1"
        ).fetchall() == [(1, 1), (2, 5)]
        # Forward only still: C1's open is a duplicate; C4's click implies the open its
        # run waits for.
        report = tmp_path / "r.csv"
        report.write_text(f"message_id,status,timestamp\n{database_id()}-1,opened,"
                          f"2026-12-01T12:00:00Z\n{database_id()}-4,clicked,"
                          "2026-12-01T12:00:00Z\n", encoding="utf-8")
        result = import_report(report)
        assert (result.applied, result.duplicates) == (1, 1)
        Evaluator().tick(1796126400)  # 2026-12-01T13:00Z
        assert database.execute_sql(
            "SELECT external_id, node FROM outbox WHERE node IN ('thanks', 'nudge')"
            " ORDER BY 1").fetchall() == [("C1", "thanks"), ("C2", "thanks"), ("C4", "thanks")]
    finally:
        close_store()


def _outbox_schema(path: Path) -> list[tuple]:
    return _rows(path, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN"
                       " ('outbox', 'rate_slot') ORDER BY type, name")


def test_upgrade_to_10_gives_messages_a_status_and_send_time(data_dir, tmp_path):
    path = _old_database(data_dir, 6)
    before = _rows(path, "SELECT id, due_at, exported_at FROM outbox ORDER BY id")
    assert before
    open_store(data_dir)
    close_store()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    # Columns added by ALTER TABLE come last and stay nullable: compare names, not text.
    assert [name for _, name, _ in _outbox_schema(path)] == [
        name for _, name, _ in _outbox_schema(fresh / "journeys.db")]
    after = _rows(path, "SELECT id, send_at, status, reason FROM outbox ORDER BY id")
    assert after == [(row_id, due, "ready" if exported is None else "exported", None)
                     for row_id, due, exported in before]


def test_upgrade_to_11_gives_the_goal_mark_the_fields_marks_a_new_database_has(
        data_dir, tmp_path):
    path = _old_database(data_dir, 8)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO goal_mark (journey_id, seq, run_id) VALUES (1, 3, 2)")
    conn.commit()
    conn.close()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    close_store()
    assert _columns(path, "goal_mark") == _columns(fresh / "journeys.db", "goal_mark")
    assert ("profiles", "INTEGER") in _columns(path, "goal_mark")
    # The marks of events and runs stay; the rules on fields have not looked yet (NULL):
    # their first tick looks at every run in progress once, as every tick did before.
    assert _rows(path, "SELECT journey_id, seq, run_id, profiles, fields_day"
                       " FROM goal_mark") == [(1, 3, 2, None, None)]
    assert _rows(path, "SELECT version FROM schema_version WHERE version > 8") == [
        (v,) for v in sorted(migrations.MIGRATIONS) if v > 8]


def _schema(path: Path) -> list[tuple]:
    return _rows(path, "SELECT type, name, tbl_name, sql FROM sqlite_master"
                       " WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name")


def test_upgrade_to_12_keeps_every_run_and_message_and_never_gives_their_ids_again(
        data_dir, tmp_path, monkeypatch):
    path = _old_database(data_dir, 8)
    # A version 11 database, as the upgrades up to 11 leave it.
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "SCHEMA_VERSION", 11)
        patch.setattr(migrations, "MIGRATIONS",
                      {v: step for v, step in migrations.MIGRATIONS.items() if v <= 11})
        open_store(data_dir)
        close_store()
    conn = sqlite3.connect(path)
    top_run = conn.execute("SELECT max(id) FROM run").fetchone()[0]
    conn.execute("INSERT INTO conversion (run_id, journey_id, external_id, entry_number,"
                 " started_at, converted_at, event_seq) SELECT id, journey_id, external_id,"
                 " entry_number, started_at, started_at + 60, 1 FROM run WHERE id = ?",
                 (top_run,))
    # A goal mark holding the id of a run deleted since: no new run may get it again.
    conn.execute("INSERT INTO goal_mark (journey_id, seq, run_id) VALUES (1, 3, ?)",
                 (top_run + 5,))
    conn.commit()
    conn.close()
    tables = ("run", "outbox", "conversion", "delivery", "goal_mark")
    before = {t: _rows(path, f"SELECT * FROM {t} ORDER BY 1") for t in tables}
    assert all(before.values())
    top_message = before["outbox"][-1][0]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    close_store()
    assert _schema(path) == _schema(fresh / "journeys.db")
    assert {t: _rows(path, f"SELECT * FROM {t} ORDER BY 1") for t in tables} == before
    assert dict(_rows(path, "SELECT name, seq FROM sqlite_sequence WHERE name IN"
                            " ('run', 'outbox')")) == {"run": top_run + 5,
                                                       "outbox": top_message}
    assert _rows(path, "PRAGMA foreign_key_check") == []
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(path, "SELECT version FROM schema_version WHERE version > 11") == [
        (v,) for v in sorted(migrations.MIGRATIONS) if v > 11]
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM run WHERE id = ?", (top_run,))
    conn.execute("DELETE FROM outbox WHERE id = ?", (top_message,))
    new_run = conn.execute("INSERT INTO run (journey_id, external_id, entry_number, state,"
                           " node, started_at, path) VALUES (1, 'NEW', 1, 'in_progress',"
                           " 'start', 0, '')").lastrowid
    new_message = conn.execute(
        "INSERT INTO outbox (journey_id, external_id, entry_number, node, channel, title,"
        " body, url, extra, due_at, created_at, status) VALUES (1, 'NEW', 1, 'n', 'email',"
        " '', '', '', '{}', 0, 0, 'ready')").lastrowid
    conn.close()
    assert (new_run, new_message) == (top_run + 6, top_message + 1)


def test_upgrade_from_12_gives_every_journey_version_1_as_a_new_database_has_it(
        data_dir, tmp_path):
    path = _old_database(data_dir, 12)
    before = _rows(path, "SELECT * FROM journey ORDER BY id")
    assert len(before) == 2
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh)
    close_store()
    open_store(data_dir)
    try:
        repo = JourneyRepository()
        draft = repo.find("Seven-day discount week")
        assert (draft.version, draft.updated_by) == (1, "")
        assert repo.save(draft.id, draft.journey, version=1) == 2
    finally:
        close_store()
    assert _columns(path, "journey") == _columns(fresh / "journeys.db", "journey")
    after = _rows(path, "SELECT * FROM journey ORDER BY id")
    assert after[0] == (*before[0], 1, "")  # the active journey: unchanged, version 1
    assert _rows(path, "SELECT version FROM schema_version WHERE version > 12") == [(13,)]
    assert [p.name for p in data_dir.glob("journeys.db.v12-*.bak")]
