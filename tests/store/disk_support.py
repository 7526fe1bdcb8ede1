"""Real disks that misbehave: a small tmpfs that can be filled or made read-only, and a
database file with damaged pages."""

from __future__ import annotations

import random
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from journey_desktop.store import close_store, open_store

PAGE_SIZE = 4096


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for the test (skipped where mounting is not allowed)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def remount(mount_point: Path, mode: str) -> None:
    """Make the small disk read-only ("ro") or writable again ("rw")."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount_point)], check=True)


def fill(mount_point: Path) -> Path:
    """Write a file until the disk has no room left; returns it (delete it to make room)."""
    filler = mount_point / "filler"
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"x" * PAGE_SIZE)
        except OSError:
            pass
    return filler


def damage_pages(path: Path, count: int = 8, seed: int = 7) -> None:
    """Overwrite ``count`` pages past the schema with noise, as a failing disk would."""
    pages = path.stat().st_size // PAGE_SIZE
    conn = sqlite3.connect(path)
    try:
        (last_root,) = conn.execute("SELECT max(rootpage) FROM sqlite_master").fetchone()
    finally:
        conn.close()
    rnd = random.Random(seed)
    with path.open("r+b") as fh:
        # Past every table's first page: the customers' pages, not the tables made at open.
        for page in rnd.sample(range(max(4, last_root), pages), count):
            fh.seek(page * PAGE_SIZE)
            fh.write(rnd.randbytes(PAGE_SIZE))


def database_with_customers(data_dir: Path, customers: int = 3000) -> Path:
    """A database with one journey and enough customers to span many pages, closed."""
    open_store(data_dir)
    close_store()
    path = data_dir / "journeys.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO journey (name, name_key, description, status, definition, "
            "audience_columns, created_at, updated_at) "
            "VALUES ('Old', 'old', '', 'draft', '{}', '{}', 0, 0)"
        )
        conn.executemany(
            "INSERT INTO profile (external_id, fields, created_at, updated_at) "
            "VALUES (?, ?, 0, 0)",
            ((f"C{i:05d}", '{"city": "Madrid", "plan": "gold"}') for i in range(customers)),
        )
        conn.executemany(
            "INSERT INTO member (journey_id, external_id, entries, imported_at) "
            "VALUES (1, ?, 0, 0)",
            ((f"C{i:05d}",) for i in range(customers)),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
