"""The command line on a database it cannot use: one line in words, exit 2, file kept."""

import io
import json
import re
import sqlite3
import threading
from pathlib import Path

from journey_desktop.cli import run_command
from journey_desktop.store.db import add_busy_listener
from tests.conftest import example_path
from tests.store.disk_support import (
    damage_pages,
    database_with_customers,
    integrity,
    remount,
    small_disk,  # noqa: F401 (fixture)
)

BIRTHDAY = str(example_path("birthday"))


def run_on(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """A command on a data folder other than the test's (a small disk)."""
    out, err = io.StringIO(), io.StringIO()
    code = run_command(["--data-dir", str(data_dir), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def only_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_negative_schema_version_is_one_line_and_the_file_is_untouched(cli, data_dir):
    path = data_dir / "journeys.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER)")
    conn.execute("INSERT INTO schema_version VALUES (-5, 0)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    result = cli("list")
    assert result.code == 2
    assert only_line(result.err) == (
        f"journey-desktop: cannot open the database {path}: its schema version is not valid "
        "(-5; expected a whole number from 1)"
    )
    assert path.read_bytes() == before


def test_damaged_database_is_never_written(cli, data_dir):
    path = database_with_customers(data_dir)
    damage_pages(path)
    before = path.read_bytes()
    listed = cli("list")
    created = cli("create", BIRTHDAY)
    assert (listed.code, created.code) == (2, 2)
    assert only_line(listed.err).startswith(f"journey-desktop: the database file {path} is damaged")
    assert only_line(created.err).startswith(
        f"journey-desktop: the database file {path} is damaged")
    assert created.out == ""
    assert path.read_bytes() == before


def test_read_only_folder_says_cannot_write_here(small_disk):  # noqa: F811
    data_dir = small_disk / "data"
    assert run_on(data_dir, "create", BIRTHDAY)[0] == 0
    remount(small_disk, "ro")
    try:
        code, _out, err = run_on(data_dir, "create", BIRTHDAY)
    finally:
        remount(small_disk, "rw")
    assert code == 2
    assert only_line(err) == (
        f"journey-desktop: cannot write here ({small_disk / 'data'} is read-only or not writable)"
    )
    assert not list((small_disk / "data").glob("*.damaged-*"))


def test_full_disk_says_so_and_keeps_the_database_intact(small_disk, tmp_path):  # noqa: F811
    data_dir = small_disk / "data"
    journey = json.loads(example_path("birthday").read_text(encoding="utf-8"))
    journey["description"] = "A long description. " * 2500  # about 50 KB a journey
    created = 0
    for number in range(200):  # 2 MB holds far fewer
        journey["name"] = f"Journey {number}"
        file = tmp_path / "journey.json"
        file.write_text(json.dumps(journey), encoding="utf-8")
        code, _out, err = run_on(data_dir, "create", str(file))
        if code != 0:
            break
        created += 1
    assert code == 2
    assert re.fullmatch(r"journey-desktop: the disk is full \(\d+ MB free\); nothing was changed",
                        only_line(err))
    assert created > 0
    assert integrity(data_dir / "journeys.db") == "ok"
    code, out, err = run_on(data_dir, "list", "--json")
    assert (code, err) == (0, "")
    assert [row["name"] for row in json.loads(out)] == [f"Journey {n}" for n in range(created)]


def test_a_write_during_a_tick_waits_for_it(cli, data_dir):
    assert cli("create", BIRTHDAY).code == 0
    holder = sqlite3.connect(data_dir / "journeys.db", isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE journey SET updated_at = updated_at + 1")
    waiting = threading.Event()
    remove = add_busy_listener(waiting.set)

    def commit_once_the_write_waits() -> None:
        waiting.wait(timeout=20)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=commit_once_the_write_waits)
    releaser.start()
    try:
        result = cli("clone", "1")
    finally:
        remove()
        releaser.join()
        holder.close()
    assert waiting.is_set()
    assert (result.code, result.err) == (0, "")
    assert [row["name"] for row in cli("list", "--json").json()] == [
        "Birthday greetings", "Copy of Birthday greetings"]
