"""Files the user asks us to write must never be the open database (SPEC §10).

An export with ``-o journeys.db`` used to replace the database with a CSV file. Every
command and dialog that writes a file the user names checks it here first, whatever the
spelling: a relative path, ``..``, a symbolic or hard link, or the WAL companions.
"""

from __future__ import annotations

import os
from pathlib import Path

from peewee import Database, DatabaseProxy, SqliteDatabase

from journey_desktop.store.db import database

COMPANIONS = ("", "-wal", "-shm")


class DatabaseOutputError(Exception):
    """Writing this path would overwrite the open database; the message says so."""

    def __init__(self, path: str | Path, database_file: Path) -> None:
        super().__init__(f"{path}: this is the open database ({database_file}); "
                         "choose another file")
        self.path = Path(path)
        self.database_file = database_file


def open_database_file(db: Database | None = None) -> Path | None:
    """The file of the open SQLite database (None for none, or a database in memory)."""
    db = db if db is not None else database
    if isinstance(db, DatabaseProxy):
        db = db.obj
    if not isinstance(db, SqliteDatabase):  # a team database has no file here
        return None
    name = getattr(db, "database", None)
    if not isinstance(name, str) or not name or name == ":memory:":
        return None
    return Path(name)


def is_database_file(path: str | Path, db: Database | None = None) -> bool:
    """Whether ``path`` names the open database or one of its ``-wal``/``-shm`` files."""
    main = open_database_file(db)
    if main is None:
        return False
    candidate = Path(os.path.abspath(Path(path).expanduser())).resolve()
    main = main.resolve()
    for suffix in COMPANIONS:
        protected = main.with_name(main.name + suffix)
        if candidate == protected:
            return True
        try:
            if os.path.samefile(candidate, protected):  # a hard link, or a case-folding disk
                return True
        except OSError:  # one of them does not exist (yet): not the same file
            pass
    return False


def check_output_path(path: str | Path, db: Database | None = None) -> None:
    """Raise DatabaseOutputError when writing ``path`` would overwrite the open database."""
    main = open_database_file(db)
    if main is not None and is_database_file(path, db):
        raise DatabaseOutputError(path, main)
