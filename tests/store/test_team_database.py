"""Opening a team database (SPEC §14): the schema, the refusals, the errors in words."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from journey_desktop.store.errors import RepositoryError, StoreError
from journey_desktop.store.migrations import SCHEMA_VERSION
from journey_desktop.store.postgres import NOT_ACCEPTING, describe_url, to_psycopg
from journey_desktop.store.records import ALL_RECORDS, JourneyRecord
from tests.team_database import database_url, new_database


def test_an_empty_database_gets_the_current_schema(postgres_server: str, data_dir: Path) -> None:
    url = new_database(postgres_server, empty=True)
    open_store(data_dir, url=url)
    try:
        tables = set(database.get_tables())
        assert {record._meta.table_name for record in ALL_RECORDS} <= tables
        version = database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
        assert version[0] == SCHEMA_VERSION
    finally:
        close_store()
    # Opened again: nothing to do, the rows are kept.
    open_store(data_dir, url=url)
    try:
        assert database.execute_sql("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    finally:
        close_store()


def test_ids_and_times_are_big_numbers(team_url: str, data_dir: Path) -> None:
    """Times run to the year 9000 (CLI limits), past what a 32-bit integer holds."""
    open_store(data_dir, url=team_url)
    try:
        far = 221_845_392_000  # 9000-01-01
        journey = JourneyRecord.create(name="Far", name_key="far", definition="{}",
                                       created_at=far, updated_at=far)
        assert JourneyRecord.get_by_id(journey.id).created_at == far
        again = JourneyRecord.create(name="Next", name_key="next", definition="{}",
                                     created_at=far, updated_at=far)
        assert again.id > journey.id
    finally:
        close_store()


def test_question_marks_become_placeholders_outside_quotes() -> None:
    assert to_psycopg("SELECT a FROM t WHERE b = ? AND c LIKE 'x?%'") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x?%%'"
    )
    assert to_psycopg('SELECT "odd?" FROM t WHERE b = ?') == 'SELECT "odd?" FROM t WHERE b = %s'
    assert to_psycopg("SELECT 1 WHERE a = %s") == "SELECT 1 WHERE a = %s"  # peewee's own


def test_raw_sql_with_question_marks_runs(team_url: str, data_dir: Path) -> None:
    open_store(data_dir, url=team_url)
    try:
        row = database.execute_sql("SELECT ? || '%', ?", ("50", 7)).fetchone()
        assert row == ("50%", 7)
    finally:
        close_store()


def test_a_newer_schema_is_refused_and_left_alone(team_url: str, data_dir: Path) -> None:
    with psycopg.connect(team_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version VALUES (%s, 0)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer Journey Desktop"):
        open_store(data_dir, url=team_url)
    with psycopg.connect(team_url) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == (
            SCHEMA_VERSION + 1
        )


def test_a_database_of_other_tables_is_refused(postgres_server: str, data_dir: Path) -> None:
    url = new_database(postgres_server, empty=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(RepositoryError, match="other tables"):
        open_store(data_dir, url=url)


def test_a_missing_database_is_said_in_one_line(postgres_server: str, data_dir: Path) -> None:
    url = database_url(postgres_server, "nowhere")
    with pytest.raises(StoreError, match="that database does not exist") as caught:
        open_store(data_dir, url=url)
    assert "\n" not in str(caught.value)


def test_an_unreachable_server_is_said_in_one_line(data_dir: Path, tmp_path: Path) -> None:
    url = f"postgresql://anna:secret@/journeys?host={tmp_path}&port=1"
    with pytest.raises(StoreError, match="cannot be reached") as caught:
        open_store(data_dir, url=url)
    assert "secret" not in str(caught.value)


def test_a_database_closed_to_connections_is_said_in_one_line(postgres_server: str,
                                                              data_dir: Path) -> None:
    url = new_database(postgres_server)
    name = url.split("?", 1)[0].rsplit("/", 1)[1]

    def allow(yes: bool) -> None:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(yes).lower()}')

    allow(False)
    try:
        with pytest.raises(StoreError) as caught:
            open_store(data_dir, url=url)
    finally:
        allow(True)
    assert str(caught.value) == f"team database {describe_url(url)}: {NOT_ACCEPTING}"


def test_another_refusal_is_the_server_s_reason_without_libpq_s_prefix() -> None:
    from journey_desktop.store.postgres import map_postgres_error

    raw = ('connection failed: connection to server at "10.0.0.5", port 5432 failed: '
           "FATAL:  sorry, too many clients already")
    error = map_postgres_error(psycopg.OperationalError(raw), "journeys on db as anna")
    assert str(error) == "team database journeys on db as anna: sorry, too many clients already"


def test_the_url_is_described_without_its_password() -> None:
    text = describe_url("postgresql://anna:secret@db.example.com:5433/journeys")
    assert text == "journeys on db.example.com:5433 as anna"


def test_rows_copy_into_a_sqlite_file_of_the_same_schema(team_url: str, data_dir: Path) -> None:
    import sqlite3

    from peewee import SqliteDatabase

    from journey_desktop.store.postgres import on_postgres
    from journey_desktop.store.team_copy import copy_rows, create_sqlite_schema

    open_store(data_dir, url=team_url)
    try:
        assert on_postgres()
        for n in range(3):
            JourneyRecord.create(name=f"J{n}", name_key=f"j{n}", definition="{}",
                                 created_at=n, updated_at=n)
        copy = SqliteDatabase(str(data_dir / "copy.db"))
        create_sqlite_schema(copy)
        conn = sqlite3.connect(data_dir / "copy.db")
        with database.atomic():
            copied = copy_rows(database, conn, "journey", "WHERE created_at >= ?", (1,))
        conn.commit()
        assert copied == 2
        assert conn.execute("SELECT name FROM journey ORDER BY id").fetchall() == [
            ("J1",), ("J2",)
        ]
    finally:
        close_store()


@pytest.mark.both_databases
def test_members_added_by_the_tests_helper(store: Path) -> None:
    from journey_desktop.store.records import MemberRecord, ProfileRecord
    from tests.conftest import add_members

    journey = JourneyRecord.create(name="J", name_key="j", definition="{}", created_at=0,
                                   updated_at=0)
    add_members(journey.id, {"c1": {"plan": "basic"}, "c2": {}}, 100)
    add_members(journey.id, {"c3": {"plan": "premium"}}, 100, due=False)
    assert MemberRecord.select().count() == 3
    assert ProfileRecord.get_by_id("c1").fields == '{"plan": "basic"}'


def test_a_schema_12_team_database_is_upgraded_to_journey_versions(
        postgres_server: str, data_dir: Path) -> None:
    """A team database made by schema 12's command line (``fixtures/make_v12_postgres.sh``)
    gets the journeys' versions, as a new database has them, and is saved over at once."""
    from journey_desktop.store.repository import JourneyRepository

    url = new_database(postgres_server, empty=True)
    dump = (Path(__file__).parent / "fixtures" / "schema_v12_postgres.sql").read_text("utf-8")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(dump.encode())

    def columns(where: str) -> list[tuple]:
        with psycopg.connect(where) as conn:
            return conn.execute(
                "SELECT column_name, data_type, is_nullable, column_default, collation_name"
                " FROM information_schema.columns WHERE table_schema = 'public'"
                " AND table_name = 'journey' ORDER BY column_name").fetchall()

    open_store(data_dir, url=url)
    try:
        repo = JourneyRepository()
        draft = repo.find("Seven-day discount week")
        assert (draft.version, draft.updated_by) == (1, "")
        assert repo.find("Birthday greetings").status == "active"
        assert repo.save(draft.id, draft.journey, version=1) == 2
        versions = database.execute_sql(
            "SELECT version FROM schema_version ORDER BY version").fetchall()
    finally:
        close_store()
    assert versions == [(12,), (SCHEMA_VERSION,)]
    assert columns(url) == columns(new_database(postgres_server))
    assert text_collations(url) == {"C"}


def text_collations(url: str) -> set[str | None]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(
            "SELECT collation_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type = 'text'")}


def test_text_is_ordered_by_code_point_whatever_the_servers_locale(
        postgres_server: str, team_url: str, data_dir: Path) -> None:
    """As SQLite's BINARY collation: the customer search's key ranges are prefixes only in
    that order, and the server's own collation may be a language's (en_US sorts "a-c"
    between "ab" and "ad")."""
    assert text_collations(team_url) == {"C"}
    open_store(data_dir, url=team_url)
    try:
        database.execute_sql(
            "INSERT INTO profile (external_id, fields, created_at, updated_at)"
            " VALUES ('ab', '{}', 0, 0), ('a-c', '{}', 0, 0), ('B', '{}', 0, 0),"
            " ('a', '{}', 0, 0)")
        ordered = [row[0] for row in database.execute_sql(
            "SELECT external_id FROM profile ORDER BY external_id")]
    finally:
        close_store()
    assert ordered == sorted(["ab", "a-c", "B", "a"])  # Python's order is code point order


def test_a_wrong_password_is_said_in_one_line_and_the_right_one_opens(
        password_server: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.team_database import PASSWORD

    monkeypatch.setenv("PGPASSWORD", "wrong horse")
    with pytest.raises(StoreError) as caught:
        open_store(data_dir, url=password_server)
    assert str(caught.value) == (
        f"team database {describe_url(password_server)}: the user name or password was refused")
    assert PASSWORD not in str(caught.value) and "wrong horse" not in str(caught.value)
    assert not (data_dir / "journeys.db").exists()  # not quietly the local file instead
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    open_store(data_dir, url=password_server)
    try:
        assert database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()[0] == (
            SCHEMA_VERSION)
    finally:
        close_store()


def test_the_command_line_says_a_wrong_password_in_one_line(
        password_server: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from journey_desktop.cli import run_command

    monkeypatch.setenv("PGPASSWORD", "wrong horse")
    out, err = io.StringIO(), io.StringIO()
    code = run_command(["--data-dir", str(data_dir), "--database", password_server, "list"],
                       out=out, err=err)
    assert (code, out.getvalue()) == (2, "")
    assert err.getvalue().count("\n") == 1
    assert "the user name or password was refused" in err.getvalue()


def test_two_imports_starting_together_get_numbers_of_their_own(team_url: str) -> None:
    """Each import's number (``import_id``) is its own even when a second import asks for
    one while the first has not committed."""
    from concurrent.futures import ThreadPoolExecutor

    from journey_desktop.store.postgres import TeamConnection, connect_postgres
    from journey_desktop.store.sqlite_bulk import next_import_id

    first, second = connect_postgres(team_url), connect_postgres(team_url)
    watcher = psycopg.connect(team_url, autocommit=True)

    def other_import() -> int:
        with second.atomic():
            return next_import_id(TeamConnection(second))

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            with first.atomic():
                number = next_import_id(TeamConnection(first))
                later = pool.submit(other_import)
                waiting = 0
                for _ in range(3000):  # until the second waits for the first's row
                    waiting = watcher.execute(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]
                    if waiting or later.done():
                        break
                    watcher.execute("SELECT pg_sleep(0.01)")
                assert waiting == 1
            assert later.result(timeout=30) == number + 1
    finally:
        watcher.close()
        first.close()
        second.close()
