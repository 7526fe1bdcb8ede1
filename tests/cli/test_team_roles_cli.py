"""The command line as the README's roles (SPEC §14): a viewer reads, and every writing
command fails with one line before doing anything; an editor writes and imports."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from journey_desktop.cli import run_command
from journey_desktop.cli.context import EXIT_USAGE
from journey_desktop.store import try_team_database
from journey_desktop.store.postgres import TeamDatabaseError, describe_url
from tests.cli.conftest import Result
from tests.conftest import example_path
from tests.team_database import new_database
from tests.team_roles import EDITOR, PASSWORD, VIEWER, as_role, grant_roles

REFUSAL = ("journey-desktop: your database role may only read the team database; "
           "nothing was changed\n")


def run_as(url: str, data_dir: Path, *args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = run_command(["--data-dir", str(data_dir), "--database", url, *args],
                       out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def granted_url(team_url: str, data_dir: Path) -> str:
    """A team database with the README's roles and one draft, written by its owner, and a
    CSV file of one customer beside it."""
    grant_roles(team_url)
    assert run_as(team_url, data_dir, "create", str(example_path("birthday"))).code == 0
    audience = data_dir / "audience.csv"
    audience.write_text("customerId,firstName,birthday\n1,Ann,1990-01-02\n", encoding="utf-8")
    return team_url


def test_the_viewer_reads(granted_url: str, data_dir: Path) -> None:
    viewer = as_role(granted_url, VIEWER)
    listing = run_as(viewer, data_dir, "list", "--json")
    assert listing.code == 0, listing.err
    assert [j["name"] for j in listing.json()] == ["Birthday greetings"]
    assert run_as(viewer, data_dir, "validate", "1").code == 0
    assert run_as(viewer, data_dir, "policy", "show").code == 0


def test_the_viewer_forecasts_reports_and_copies_to_a_file(granted_url: str, data_dir: Path,
                                                           tmp_path: Path) -> None:
    """What a viewer reads needs no privilege on the id sequences (the README grants none):
    the forecast, statistics, the journey report, and a copy to a local file, whose ids
    continue after the highest ones found (it says so)."""
    events = data_dir / "events.jsonl"
    events.write_text("".join(json.dumps({"userId": "1", "event": "visit", "timestamp": t})
                              + "\n" for t in (1_700_000_000, 1_700_000_060)), "utf-8")
    for args in (("audience", "import", "1", str(data_dir / "audience.csv")),
                 ("activate", "1"), ("events", "import", str(events))):
        assert run_as(granted_url, data_dir, *args).code == 0, args
    viewer = as_role(granted_url, VIEWER)
    for args in (("forecast", "1", "--days", "2"), ("stats", "1"), ("report", "1")):
        result = run_as(viewer, data_dir, *args)
        assert (result.code, result.err) == (0, ""), args
    copy = tmp_path / "copy" / "journeys.db"
    copy.parent.mkdir()
    copied = run_as(viewer, data_dir, "db", "copy", viewer, str(copy))
    assert copied.code == 0, copied.err
    notes = [line for line in copied.err.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: your database role may not read the id sequences of team database"
        f" {describe_url(viewer)} (event, outbox, run); the copy's new ids continue after"
        " the highest ones found in its rows"]
    conn = sqlite3.connect(copy)
    try:
        given = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    finally:
        conn.close()
    assert given == {"event": 2, "outbox": 0, "run": 0}
    listing = run_as_file(copy.parent, "list", "--json")
    assert [(j["name"], j["audience"]) for j in listing.json()] == [("Birthday greetings", 1)]


def run_as_file(data_dir: Path, *args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = run_command(["--data-dir", str(data_dir), *args], out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("role", [EDITOR, VIEWER])
def test_an_older_schema_is_to_be_upgraded_by_its_owner_first(
        postgres_server: str, data_dir: Path, role: str) -> None:
    url = new_database(postgres_server, empty=True)
    dump = (Path(__file__).parents[1] / "store" / "fixtures"
            / "schema_v12_postgres.sql").read_text("utf-8")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(dump.encode())
    grant_roles(url)
    result = run_as(as_role(url, role), data_dir, "list")
    assert (result.code, result.out) == (EXIT_USAGE, "")
    assert result.err == (
        f"journey-desktop: team database {describe_url(as_role(url, role))}: its schema is"
        " version 12, older than this Journey Desktop's; it must be upgraded first: open it"
        " once with this version as the role that owns it (postgres); nothing was changed\n")
    with pytest.raises(TeamDatabaseError) as refused:  # the Connect dialog's Test says so
        try_team_database(as_role(url, role))
    assert f"journey-desktop: {refused.value}\n" == result.err
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (12,)


NOBODY = "journey_nobody"


@pytest.mark.parametrize("schema_usage, detail", [
    (True, "no privileges on the tables of schema public"),
    (False, "no privileges on schema public"),
])
def test_a_role_without_privileges_may_not_read(granted_url: str, data_dir: Path,
                                                 schema_usage: bool, detail: str) -> None:
    with psycopg.connect(granted_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (NOBODY,)).fetchone():
            conn.execute(f"CREATE ROLE {NOBODY} LOGIN PASSWORD '{PASSWORD}'")
        if not schema_usage:
            conn.execute("REVOKE USAGE ON SCHEMA public FROM PUBLIC")
    for args in (("list",), ("create", str(example_path("welcome-series")))):
        result = run_as(as_role(granted_url, NOBODY), data_dir, *args)
        assert (result.code, result.out) == (EXIT_USAGE, "")
        assert result.err == (f"journey-desktop: your database role may not read the team"
                              f" database ({detail}); nothing was changed\n")
    assert len(run_as(granted_url, data_dir, "list", "--json").json()) == 1


@pytest.mark.parametrize("command", [
    ("create", str(example_path("welcome-series"))),
    ("clone", "1"),
    ("activate", "1"),
    ("deactivate", "1", "--yes"),
    ("remove", "1", "--yes"),
    ("audience", "import", "1", "AUDIENCE"),
    ("customers", "import", "AUDIENCE"),
    ("events", "import", "AUDIENCE"),
    ("outbox", "report", "AUDIENCE"),
    ("policy", "set", "--quiet", "21:00-09:00"),
    ("tick",),
    ("run",),
    ("outbox", "export"),
    ("policy", "clear"),
])
def test_every_writing_command_refuses_the_viewer_in_one_line(
        granted_url: str, data_dir: Path, command: tuple[str, ...]) -> None:
    audience = str(data_dir / "audience.csv")
    args = [audience if arg == "AUDIENCE" else arg for arg in command]
    result = run_as(as_role(granted_url, VIEWER), data_dir, *args)
    assert (result.code, result.err, result.out) == (EXIT_USAGE, REFUSAL, "")
    # Nothing changed: the owner still sees one draft with its one customer.
    listing = run_as(granted_url, data_dir, "list", "--json").json()
    assert [(j["name"], j["status"], j["audience"]) for j in listing] == [
        ("Birthday greetings", "draft", 0)]


def test_the_editor_creates_clones_and_sets_the_policy(granted_url: str,
                                                        data_dir: Path) -> None:
    editor = as_role(granted_url, EDITOR)
    created = run_as(editor, data_dir, "create", str(example_path("welcome-series")))
    assert created.code == 0, created.err
    cloned = run_as(editor, data_dir, "clone", "1")
    assert cloned.code == 0, cloned.err
    assert run_as(editor, data_dir, "policy", "clear").code == 0
    listing = run_as(granted_url, data_dir, "list", "--json").json()
    assert len(listing) == 3


def test_the_editor_imports(granted_url: str, data_dir: Path) -> None:
    editor = as_role(granted_url, EDITOR)
    created = run_as(editor, data_dir, "create", str(example_path("welcome-series")))
    assert created.code == 0, created.err
    audience = data_dir / "more.csv"
    audience.write_text("customerId,firstName\n2,Bob\n3,Cy\n", encoding="utf-8")
    imported = run_as(editor, data_dir, "audience", "import", created.out.strip(),
                      str(audience))
    assert imported.code == 0, imported.err
    assert "added: 2" in imported.out.splitlines()
