"""What names a team database (SPEC §14, libpq conventions): a postgresql:// URL or libpq's
key=value form, in ``--database``, ``$JOURNEY_DESKTOP_DATABASE`` and ``db copy``; anything
else is refused in one line naming what was expected, before connecting to anything."""

from __future__ import annotations

import io
from pathlib import Path

import psycopg.conninfo
import pytest

from journey_desktop.cli import run_command
from journey_desktop.store.postgres import DATABASE_ENV
from tests.cli.conftest import Result
from tests.conftest import example_path

EXPECTED = ("expected a PostgreSQL URL (postgresql://user@host:5432/journeys) or libpq's"
            " key=value form (host=db.example.com dbname=journeys user=anna)")


def run(*args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = run_command(list(args), out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


def key_value(url: str) -> str:
    """The tests' URL in libpq's key=value form."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    return f"host={params['host']} dbname={params['dbname']} user={params['user']}"


@pytest.mark.parametrize("value", ["mysql://x@y/z", "/tmp/journeys.db", "not a url"])
@pytest.mark.parametrize("where", ["--database", DATABASE_ENV])
def test_what_names_no_team_database_is_refused_in_one_line(
        value: str, where: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if where == DATABASE_ENV:
        monkeypatch.setenv(DATABASE_ENV, value)
        result = run("--data-dir", str(data_dir), "list")
        source = f"${DATABASE_ENV}"
    else:
        result = run("--data-dir", str(data_dir), "--database", value, "list")
        source = "--database"
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"journey-desktop: {source}: {value!r} is not a team database"
                          f" address; {EXPECTED}\n")
    assert list(data_dir.iterdir()) == []  # no local file made instead


def test_a_password_in_text_refused_is_not_repeated(data_dir: Path) -> None:
    result = run("--data-dir", str(data_dir), "--database", "mysql://anna:secret@db/j", "list")
    assert result.code == 2 and "secret" not in result.err
    assert "'mysql://anna@db/j' is not a team database address" in result.err


def test_libpq_key_value_form_opens_the_team_database(
        team_url: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conninfo = key_value(team_url)
    created = run("--data-dir", str(data_dir), "--database", conninfo, "create",
                  str(example_path("birthday")))
    assert created.code == 0, created.err
    listed = run("--data-dir", str(data_dir), "--database", team_url, "list", "--json")
    assert [j["name"] for j in listed.json()] == ["Birthday greetings"]
    monkeypatch.setenv(DATABASE_ENV, conninfo)
    listed = run("--data-dir", str(data_dir), "list", "--json")
    assert listed.code == 0, listed.err
    assert [j["name"] for j in listed.json()] == ["Birthday greetings"]
    copy = tmp_path / "copy"
    copy.mkdir()
    copied = run("db", "copy", conninfo, str(copy))
    assert copied.code == 0, copied.err
    listed = run("--data-dir", str(copy), "list", "--json")
    assert [j["name"] for j in listed.json()] == ["Birthday greetings"]
