"""The command line as the README's roles (SPEC §14): a viewer reads, and every writing
command fails with one line before doing anything; an editor writes and imports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from journey_desktop.cli import run_command
from journey_desktop.cli.context import EXIT_USAGE
from tests.cli.conftest import Result
from tests.conftest import example_path
from tests.team_roles import EDITOR, VIEWER, as_role, grant_roles

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
