"""The store keeps the standard library's SQLite driver even where the ``pysqlite3``
package can be imported (peewee would take it: a newer SQLite, but another driver's
connections and errors)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WELCOME = ROOT / "resources" / "examples" / "welcome-series.json"


def stub_driver(folder: Path) -> Path:
    """A ``pysqlite3`` that peewee prefers (it claims a newer SQLite) and that fails on use."""
    package = folder / "pysqlite3"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (package / "dbapi2.py").write_text(
        "from sqlite3 import *  # noqa: F403\n"
        "sqlite_version_info = (99, 0, 0)\n"
        "def connect(*args, **kwargs):\n"
        "    raise RuntimeError('the pysqlite3 driver was used')\n", "utf-8")
    return folder


def journey_desktop(data_dir: Path, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "journey_desktop", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_a_pysqlite3_package_on_the_path_is_not_used(tmp_path: Path) -> None:
    path = stub_driver(tmp_path / "site")
    audience = tmp_path / "audience.csv"
    today = dt.date.today().isoformat()  # signed up today: the entry filter lets them in
    audience.write_text(f"customerId,firstName,email,signupDate,plan\nc1,Ana,ana@example.com,{today},"
                        "premium\n", "utf-8")
    data_dir = tmp_path / "data"

    created = journey_desktop(data_dir, path, "create", str(WELCOME))
    imported = journey_desktop(data_dir, path, "audience", "import", "1", str(audience))
    activated = journey_desktop(data_dir, path, "activate", "1")
    ticked = journey_desktop(data_dir, path, "tick")

    for done in (created, imported, activated, ticked):
        assert done.returncode == 0, done.stderr
        assert "pysqlite3" not in done.stderr
    assert "added: 1" in imported.stdout
    conn = sqlite3.connect(data_dir / "journeys.db")
    try:
        assert conn.execute("SELECT external_id, entries FROM member").fetchall() == [("c1", 1)]
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    finally:
        conn.close()
