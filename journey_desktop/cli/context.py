"""What every command needs: the data folder, the opened store, output streams."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from journey_desktop.paths import resolve_data_dir
from journey_desktop.store import close_store, open_store, store_is_read_only
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.postgres import TeamReadOnlyError, resolve_database_url
from journey_desktop.store.repository import JourneyRepository, StoredJourney

EXIT_OK = 0
EXIT_NO = 1
EXIT_USAGE = 2

# Times given on the command line: the evaluator adds up to a year of waits and ten years of
# day windows to them, so they stay well inside what dates can hold.
EARLIEST_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_TIME = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class CliError(Exception):
    """An expected failure: printed as one line, with its exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class CliContext:
    data_dir: Path
    out: TextIO
    err: TextIO
    database_url: str | None = None  # a team database (SPEC §14); None: the SQLite file
    writes: bool = False  # the command changes the data: refused to a read-only role
    _opened: bool = field(default=False, init=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, out: TextIO, err: TextIO) -> CliContext:
        return cls(
            data_dir=resolve_data_dir(getattr(args, "data_dir", None)), out=out, err=err,
            database_url=resolve_database_url(getattr(args, "database", None)),
            writes=bool(getattr(args, "writes", False)),
        )

    def open(self) -> JourneyRepository:
        """Open the database (once) and return the journey repository; a command that
        writes stops here, before any work, when the database role may only read."""
        if not self._opened:
            open_store(self.data_dir, url=self.database_url)
            self._opened = True
            if self.writes and store_is_read_only():
                raise TeamReadOnlyError()
        return JourneyRepository()

    def journey(self, ref: str) -> StoredJourney:
        """The JOURNEY argument: an id or a name."""
        if not _is_text(ref):  # bytes the terminal could not decode
            raise CliError(f"no journey with id or name {ref!r}")
        return self.open().find(ref)

    def output_file(self, path: str) -> Path:
        """A file the user asked us to write: never the open database (exit 2 if it is)."""
        self.open()
        try:
            check_output_path(path)
        except DatabaseOutputError as exc:
            raise CliError(str(exc)) from None
        return Path(path)

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def close(self) -> None:
        if self._opened:
            close_store()
            self._opened = False


def parse_now(text: str) -> int:
    """A time option (``--now``, ``--from``) in ISO 8601 as epoch seconds; without an offset
    it is local time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use ISO 8601, like 2025-03-03T09:00:00+01:00"
        ) from None
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()
        in_range = EARLIEST_TIME <= moment < LATEST_TIME
    except (ValueError, OverflowError):  # so far off that the local zone cannot place it
        in_range = False
    if not in_range:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use a time from {EARLIEST_TIME.year} to "
            f"{LATEST_TIME.year - 1}"
        )
    return int(moment.timestamp())


def _is_text(value: str) -> bool:
    """False for a command-line argument holding undecodable bytes (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
