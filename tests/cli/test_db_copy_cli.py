"""``db copy FROM TO`` (SPEC §14): a local database to a team database and back, equal table
by table, ids continuing where they were; a target that is not empty, a source of another
schema and a server that cannot be reached are refused in one line, writing nothing."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from pathlib import Path

import pytest

from journey_desktop.cli import run_command
from journey_desktop.store.postgres import connect_postgres
from journey_desktop.store.records import ALL_RECORDS
from tests.cli.test_events_evaluator_cli import CART_JOURNEY
from tests.conftest import example_path
from tests.team_database import new_database

HOUR = 3600
T0 = (int(time.time()) // 3600 + 2) * 3600
TABLES = [record._meta.table_name for record in ALL_RECORDS]


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_command(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


@pytest.fixture
def ticked(tmp_path: Path) -> Path:
    """A data folder made through the store by the command line: journeys (one removed, so
    the ids in use are below the ids given), profiles, members, events, runs, an outbox
    partly exported, a policy, all by ticks on SQLite."""
    data = tmp_path / "local"
    at = ["--data-dir", str(data)]
    cart = tmp_path / "cart.json"
    cart.write_text(json.dumps(CART_JOURNEY), encoding="utf-8")
    for journey in (example_path("welcome-series"), cart, example_path("daily-promotion")):
        assert cli(*at, "create", str(journey))[0] == 0
    audience = tmp_path / "audience.csv"
    audience.write_text("customerId,firstName,signupDate,plan\n" + "".join(
        f"w{i},N{i},{time.strftime('%Y-%m-%d', time.gmtime(T0 - 86400))},"
        f"{'premium' if i % 2 else 'basic'}\n" for i in range(6)), encoding="utf-8")
    assert cli(*at, "audience", "import", "Welcome series", str(audience))[0] == 0
    assert cli(*at, "audience", "import", "Seven-day discount week", str(audience))[0] == 0
    for name in ("Welcome series", "Cart", "Seven-day discount week"):
        assert cli(*at, "activate", name)[0] == 0, name
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(
        {"userId": f"u{i % 3}", "event": "cart", "timestamp": T0 + 60 * i + 5,
         "properties": {"cartId": f"c{i}"}}) + "\n" for i in range(6)), encoding="utf-8")
    assert cli(*at, "events", "import", str(events))[0] == 0
    assert cli(*at, "tick", "--now", iso(T0 + HOUR))[0] == 0
    assert cli(*at, "outbox", "export", "--journey", "Welcome series")[0] == 0
    assert cli(*at, "tick", "--now", iso(T0 + 3 * HOUR))[0] == 0
    assert cli(*at, "remove", "Cart", "--yes")[0] == 0
    assert cli(*at, "policy", "set", "--cap", "any:3/1d")[0] == 0
    return data


def sqlite_tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        tables = {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                  for t in TABLES}
        tables["sqlite_sequence"] = sorted(conn.execute("SELECT * FROM sqlite_sequence"))
        return tables
    finally:
        conn.close()


def team_counts(url: str) -> dict[str, int]:
    db = connect_postgres(url)
    try:
        return {t: db.execute_sql(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in TABLES}
    finally:
        db.close()


def test_sqlite_to_postgres_to_sqlite_is_equal_table_by_table(ticked, tmp_path,
                                                              postgres_server):
    team = new_database(postgres_server, empty=True)
    code, out, err = cli("db", "copy", str(ticked), team)
    assert code == 0, err
    assert "copying outbox:" in err
    original = sqlite_tables(ticked / "journeys.db")
    for table in ("journey", "profile", "member", "run", "outbox", "event"):
        assert len(original[table]) > 0, table
        assert f"  {table} " in out
    counts = {line.split()[0]: int(line.split()[1].replace(",", ""))
              for line in out.splitlines()[1:]}
    assert counts == {t: len(rows) for t, rows in original.items() if t in TABLES}
    assert team_counts(team) == counts

    back = tmp_path / "back" / "journeys.db"
    back.parent.mkdir()
    code, out, err = cli("db", "copy", team, str(back))
    assert code == 0, err
    assert sqlite_tables(back) == original  # sqlite_sequence too: no id is given twice

    # The team database gives the next ids after the highest ever given, not the highest
    # still in a row (the removed journey's runs and messages had the top ones).
    given = dict(original["sqlite_sequence"])
    assert given["run"] > max(row[0] for row in original["run"])
    db = connect_postgres(team)
    try:
        for table in ("run", "outbox", "event"):
            column = "seq" if table == "event" else "id"
            nxt = db.execute_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table}', '{column}'))").fetchone()[0]
            assert nxt == given[table] + 1, table
        nxt = db.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('journey', 'id'))").fetchone()[0]
        assert nxt == max(row[0] for row in original["journey"]) + 1
    finally:
        db.close()
    # The copy opens and reads like the original.
    code, out, _ = cli("--database", team, "list")
    assert code == 0 and "Welcome series" in out and "Cart" not in out


def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(ticked, tmp_path,
                                                                  postgres_server):
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    code, out, err = cli("db", "copy", str(ticked), str(existing))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "the target must be a new file" in err
    assert existing.read_bytes() == b"keep me"

    code, _, err = cli("db", "copy", str(ticked), str(ticked))
    assert code == 2 and "the same database" in err

    team = new_database(postgres_server)  # holds the current schema, no rows
    code, out, err = cli("db", "copy", str(ticked), team)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "the target must be empty" in err
    assert set(team_counts(team).values()) <= {0, 1}  # only its own schema version row


def test_a_source_of_another_schema_is_refused(ticked, tmp_path):
    conn = sqlite3.connect(ticked / "journeys.db")
    conn.execute("UPDATE schema_version SET version = version - 1"
                 " WHERE version = (SELECT max(version) FROM schema_version)")
    conn.commit()
    conn.close()
    target = tmp_path / "new.db"
    code, out, err = cli("db", "copy", str(ticked / "journeys.db"), str(target))
    assert code == 2 and out == ""
    assert "open it with this version of Journey Desktop first" in err
    assert err.count("\n") == 1
    assert not target.exists()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_source_of_a_newer_schema_is_to_be_copied_by_that_version(
        ticked, tmp_path, kind, request):
    from journey_desktop.store.migrations import SCHEMA_VERSION

    newer = "INSERT INTO schema_version (version, applied_at) VALUES (?, 0)"
    if kind == "sqlite":
        source = str(ticked / "journeys.db")
        conn = sqlite3.connect(source)
        conn.execute(newer, (SCHEMA_VERSION + 1,))
        conn.commit()
        conn.close()
    else:
        source = new_database(request.getfixturevalue("postgres_server"))
        db = connect_postgres(source)
        db.execute_sql(newer, (SCHEMA_VERSION + 1,))
        db.close()
    target = tmp_path / "new.db"
    code, out, err = cli("db", "copy", source, str(target))
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert err.endswith(f"its schema is version {SCHEMA_VERSION + 1}, newer than this"
                        f" version's {SCHEMA_VERSION}: it was made by a newer Journey"
                        " Desktop; copy it with that version\n")
    assert not target.exists()


def test_an_unreachable_server_is_one_line(ticked):
    code, out, err = cli("db", "copy", str(ticked),
                         "postgresql://nobody@127.0.0.1:1/journeys?connect_timeout=2")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "cannot be reached" in err


def test_help_names_the_command():
    code, out, _ = cli("db", "copy", "--help")
    assert code == 0 and "FROM" in out and "postgresql://" in out


READS = [
    ("list",), ("list", "--json"),
    ("stats", "Welcome series"), ("stats", "Welcome series", "--json"),
    ("report", "Welcome series"), ("report", "Seven-day discount week"),
    ("policy", "show", "--json"),
    ("forecast", "Welcome series", "--days", "3", "--from", "2027-02-15T09:00:00+01:00",
     "--json", "--collisions"),
    ("outbox", "export"), ("outbox", "export", "--new"),
]


def test_every_read_says_the_same_on_the_copy_as_on_the_file(ticked, tmp_path,
                                                            postgres_server):
    """The statistics (with what is coming at the waits), the journey report, the policy,
    the forecast, the outbox export (with its marks: the second export has nothing new)
    read the team database as they read the file."""
    team = new_database(postgres_server, empty=True)
    assert cli("db", "copy", str(ticked), team)[0] == 0
    on_file = ["--data-dir", str(ticked)]
    on_team = ["--data-dir", str(tmp_path / "unused"), "--database", team]
    for command in READS:
        expected = cli(*on_file, *command)
        assert expected[0] == 0, (command, expected[2])
        assert cli(*on_team, *command) == expected, command
    assert "wait_two_days" in cli(*on_team, "stats", "Welcome series", "--json")[1]
