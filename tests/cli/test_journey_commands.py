import json
import os
import subprocess
import sys

import pytest

from tests.conftest import example_path

pytestmark = pytest.mark.both_databases

EXAMPLES = ["birthday", "daily-promotion", "welcome-series"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_export_then_create_round_trips(cli, tmp_path, name):
    first = cli("create", str(example_path(name)))
    assert first.code == 0, first.err
    journey_id = first.out.strip()
    exported = cli("export", journey_id)
    assert exported.out == example_path(name).read_text(encoding="utf-8")
    target = tmp_path / "again.json"
    cli("export", journey_id, "-o", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    document["name"] += " (imported)"
    target.write_text(json.dumps(document), encoding="utf-8")
    second = cli("create", str(target))
    assert second.code == 0, second.err
    again = json.loads(cli("export", second.out.strip()).out)
    original = json.loads(example_path(name).read_text(encoding="utf-8"))
    original["name"] += " (imported)"
    assert again == original


def test_list_json_has_the_contract_keys(cli):
    cli("create", str(example_path("birthday")))
    cli("create", str(example_path("welcome-series")))
    result = cli("list", "--json")
    assert result.code == 0
    rows = result.json()
    assert [r["name"] for r in rows] == ["Birthday greetings", "Welcome series"]
    for row in rows:
        assert {"id", "name", "status", "audience", "entered", "in_progress",
                "messages"} <= set(row)
        assert row["status"] == "draft"


def test_list_text(cli):
    assert "No journeys yet" in cli("list").out
    cli("create", str(example_path("birthday")))
    lines = cli("list").out.splitlines()
    assert lines[0].split()[:3] == ["ID", "NAME", "STATUS"]
    assert "Birthday greetings" in lines[1] and "draft" in lines[1]


def test_validate_reports_problems_and_exit_1(cli, tmp_path):
    document = json.loads(example_path("birthday").read_text(encoding="utf-8"))
    document["nodes"][1]["title"] = ""
    document["nodes"][1]["next"] = "nowhere"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    journey_id = cli("create", str(path)).out.strip()
    result = cli("validate", journey_id)
    assert result.code == 1
    assert set(result.out.splitlines()) >= {
        "greet.title: push title is empty",
        "greet.next: target 'nowhere' does not exist",
    }
    ok = cli("create", str(example_path("welcome-series"))).out.strip()
    good = cli("validate", "Welcome series")
    assert good.code == 0 and "ready to activate" in good.out
    assert ok


def test_activate_options_and_frozen(cli):
    cli("create", str(example_path("birthday")))
    result = cli("activate", "Birthday greetings", "--reentry", "--max-entries", "3",
                 "--timeout", "12h")
    assert result.code == 0, result.err
    exported = json.loads(cli("export", "Birthday greetings").out)
    assert exported["activation"] == {
        "allow_reentry": True, "max_entries": 3, "timeout": {"value": 12, "unit": "hours"}
    }
    assert cli("list", "--json").json()[0]["status"] == "active"
    again = cli("activate", "Birthday greetings")
    assert again.code == 2
    assert "cannot be activated" in again.err


def test_activate_defaults_come_from_the_stored_options(cli):
    cli("create", str(example_path("daily-promotion")))
    assert cli("activate", "Seven-day discount week").code == 0
    exported = json.loads(cli("export", "Seven-day discount week").out)
    assert exported["activation"]["max_entries"] == 7
    assert exported["activation"]["allow_reentry"] is True


def test_activate_invalid_journey_exits_1_and_stays_draft(cli, tmp_path):
    document = json.loads(example_path("birthday").read_text(encoding="utf-8"))
    document["nodes"][1]["url"] = "not a url"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    cli("create", str(path))
    result = cli("activate", "Birthday greetings")
    assert result.code == 1
    assert "greet.url: not a valid web address" in result.out
    assert cli("list", "--json").json()[0]["status"] == "draft"


def test_deactivate_needs_yes_and_is_final(cli):
    cli("create", str(example_path("birthday")))
    cli("activate", "1")
    refused = cli("deactivate", "1")
    assert refused.code == 2 and "--yes" in refused.err
    assert cli("deactivate", "1", "--yes").code == 0
    assert cli("list", "--json").json()[0]["status"] == "deactivated"
    again = cli("activate", "1")
    assert again.code == 2 and "final" in again.err


def test_clone_and_remove(cli):
    cli("create", str(example_path("birthday")))
    cli("activate", "1")
    clone = cli("clone", "1")
    assert clone.code == 0
    named = cli("clone", "1", "--name", "Spring birthdays", "--with-audience")
    rows = {r["name"]: r["status"] for r in cli("list", "--json").json()}
    assert rows == {
        "Birthday greetings": "active",
        "Copy of Birthday greetings": "draft",
        "Spring birthdays": "draft",
    }
    refused = cli("remove", named.out.strip())
    assert refused.code == 2 and "--yes" in refused.err
    assert cli("remove", named.out.strip(), "--yes").code == 0
    assert len(cli("list", "--json").json()) == 2


def test_name_taken_on_create(cli):
    cli("create", str(example_path("birthday")))
    result = cli("create", str(example_path("birthday")))
    assert result.code == 2
    assert result.err.strip() == (
        "journey-desktop: another journey is already named 'Birthday greetings'"
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["export", "42"], "no journey with id or name '42'"),
        (["validate", "Nope"], "no journey with id or name 'Nope'"),
        (["create", "missing.json"], "missing.json: no such file"),
        (["create"], "the following arguments are required"),
        (["activate", "1", "--timeout", "5x"], "invalid timeout"),
        (["activate", "1", "--max-entries", "0"], "expected a whole number 1 or more"),
        (["frobnicate"], "invalid choice"),
        (["clone"], "the following arguments are required"),
        (["tick", "--now", "yesterday"], "invalid time 'yesterday'"),
        (["validate", "\u00b2"], "no journey with id or name '\u00b2'"),
        (["validate", "12345678901234567890123"], "no journey with id or name '1234567890"),
        (["validate", "caf\udce9"], "no journey with id or name"),  # undecodable argv bytes
        (["tick", "--now", "9999-12-31T23:59"], "use a time from 1970 to 8999"),
        (["tick", "--now", "0001-01-01"], "use a time from 1970 to 8999"),
        (["tick", "--now", "9999-12-31T23:59+14:00"], "use a time from 1970 to 8999"),
        (["forecast", "1", "--days", "3", "--from", "0001-01-01"], "use a time from 1970"),
        (["activate", "1", "--timeout", "99999999999999999999d"], "at most 365 days"),
        (["activate", "1", "--timeout", "9" * 5000 + "m"], "at most 525,600 minutes"),
        (["activate", "1", "--max-entries", "99999999999999999999"], "at most 999,999,999"),
        (["forecast", "1", "--days", "3", "--max-per-day", "9" * 25], "--max-per-day must be"),
        (["forecast", "1", "--days", "-3"], "--days must be from 1"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(cli, args, fragment):
    cli("create", str(example_path("birthday")))
    result = cli(*args)
    assert result.code == 2
    assert fragment in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "not valid JSON"),
        ('{"format": "journey-desktop/7", "nodes": []}', "unsupported journey file format"),
        ('{"format": "journey-desktop/1", "nodes": [{"id": "a", "type": "wait", '
         '"duration": {"value": "soon"}}]}', "nodes[0].duration.value: expected a number"),
    ],
)
def test_malformed_journey_files(cli, tmp_path, content, fragment):
    path = tmp_path / "file.json"
    path.write_text(content, encoding="utf-8")
    result = cli("create", str(path))
    assert result.code == 2
    assert fragment in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (example_path("birthday").read_text(encoding="utf-8").replace('"value": 0', '"value": NaN'),
         "NaN is not a number"),
        (json.dumps({"format": "journey-desktop/1", "name": "Sale \ud800"}),
         "name: not valid Unicode text"),
    ],
)
def test_journey_files_python_reads_but_a_journey_cannot_hold(cli, tmp_path, content, fragment):
    path = tmp_path / "deep.json"
    path.write_text(content, encoding="utf-8")
    result = cli("create", str(path))
    assert (result.code, result.out) == (2, "")
    assert fragment in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "unexpected error" not in result.err
    assert "No journeys yet" in cli("list").out


def test_a_journey_name_with_a_control_character_is_refused(cli, tmp_path):
    document = json.loads(example_path("birthday").read_text(encoding="utf-8"))
    document["name"] = "\u200b"
    path = tmp_path / "invisible.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = cli("create", str(path))
    assert result.code == 2
    assert result.err == "journey-desktop: a journey name needs at least one visible character\n"


def test_binary_file_given_to_create(cli, tmp_path):
    path = tmp_path / "photo.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00")
    result = cli("create", str(path))
    assert result.code == 2
    assert "not a text file" in result.err


@pytest.mark.sqlite_only
def test_corrupt_database_gives_one_line(cli, data_dir):
    (data_dir / "journeys.db").write_bytes(b"garbage" * 100)
    result = cli("list")
    assert result.code == 2
    assert "cannot open the database" in result.err
    assert (data_dir / "journeys.db").read_bytes() == b"garbage" * 100


def test_installed_entry_point_and_environment_data_dir(tmp_path):
    env = dict(os.environ, JOURNEY_DESKTOP_DATA_DIR=str(tmp_path / "env-data"))
    created = subprocess.run(
        [sys.executable, "-m", "journey_desktop", "create", str(example_path("birthday"))],
        capture_output=True, text=True, env=env,
    )
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "env-data" / "journeys.db").exists()
    listed = subprocess.run(
        [sys.executable, "-m", "journey_desktop", "list", "--json"],
        capture_output=True, text=True, env=env,
    )
    assert json.loads(listed.stdout)[0]["name"] == "Birthday greetings"


def test_export_to_a_place_that_cannot_be_written_is_one_line(cli, tmp_path):
    assert cli("create", str(example_path("birthday"))).code == 0
    target = tmp_path / "no-such-folder" / "out.json"
    result = cli("export", "1", "-o", str(target))
    assert result.code == 2
    assert result.err == (f"journey-desktop: {target}: cannot be written: "
                          "No such file or directory\n")
    assert not target.exists()


def test_activate_refuses_a_journey_saved_by_someone_while_it_ran(cli, monkeypatch):
    """``activate`` reads the journey's options, then writes: a save by another window
    between the two is never overwritten; one line says who and when."""
    from journey_desktop.cli.context import CliContext
    from journey_desktop.store.repository import JourneyRepository

    created = cli("create", str(example_path("birthday")))
    read = CliContext.journey

    def read_then_saved_elsewhere(self, ref):  # another editor saves meanwhile
        stored = read(self, ref)
        JourneyRepository().save(stored.id, stored.journey, version=stored.version)
        return stored

    monkeypatch.setattr(CliContext, "journey", read_then_saved_elsewhere)
    result = cli("activate", created.out.strip())
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith("journey-desktop: ") and " changed “Birthday greetings” at " in line
    assert line.endswith("while this command ran; nothing was changed: run it again")
    monkeypatch.undo()
    assert cli("list", "--json").json()[0]["status"] == "draft"
    assert cli("activate", created.out.strip()).code == 0
