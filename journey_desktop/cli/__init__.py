"""The command line of SPEC §7, on domain, store and services: no widgets."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from journey_desktop import __version__
from journey_desktop.cli import (
    audience,
    customers,
    database,
    delivery,
    evaluator,
    events,
    forecast,
    journeys,
    policy,
)
from journey_desktop.cli.context import EXIT_OK, EXIT_USAGE, CliContext, CliError
from journey_desktop.domain.journey import JourneyFileError
from journey_desktop.paths import database_path
from journey_desktop.store.db import DatabaseOpenError
from journey_desktop.store.errors import map_error
from journey_desktop.store.postgres import describe_url, map_postgres_error
from journey_desktop.store.repository import RepositoryError

PROG = "journey-desktop"
log = logging.getLogger(__name__)


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad usage as one clear line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{PROG} --help')\n")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Plan, validate and run customer journeys offline. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder (default: $JOURNEY_DESKTOP_DATA_DIR, else the user data folder)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a team database, postgresql://user@host:5432/name (default: "
        "$JOURNEY_DESKTOP_DATABASE, else the SQLite file in the data folder)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run one journey end to end on a temporary data folder, offscreen, and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (journeys, audience, customers, events, evaluator, forecast, delivery,
                   policy, database):
        module.register(commands)
    return parser


def run_command(
    argv: Sequence[str],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Parse and run one command; returns the exit status (0 yes, 1 no, 2 bad usage/input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse already printed its one line (or the help)
        return int(exc.code or 0)
    try:
        ctx = CliContext.from_args(args, out=out, err=err)
    except RepositoryError as exc:  # ``--database`` (or its variable) names no database
        err.write(f"{PROG}: {exc}\n")
        return EXIT_USAGE
    try:
        return int(args.handler(ctx, args))
    except CliError as exc:
        err.write(f"{PROG}: {exc}\n")
        return exc.code
    except (RepositoryError, JourneyFileError) as exc:
        err.write(f"{PROG}: {exc}\n")
        return EXIT_USAGE
    except DatabaseOpenError as exc:
        err.write(f"{PROG}: cannot open the database {exc.path}: {exc.reason}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``). Nothing more can reach it: stop writing there,
        # and say so on the error stream (an export marks nothing as exported then).
        _discard_output(out)
        err.write(f"{PROG}: the output was closed before the command finished\n")
        return EXIT_USAGE
    except OSError as exc:
        err.write(f"{PROG}: {exc.strerror or exc}: {exc.filename or ''}\n".replace(": \n", "\n"))
        return EXIT_USAGE
    except Exception as exc:
        mapped = (map_postgres_error(exc, describe_url(ctx.database_url)) if ctx.database_url
                  else map_error(exc, database_path(ctx.data_dir)))
        if mapped is not None:  # SQLite failed outside the store's own statements
            err.write(f"{PROG}: {mapped}\n")
            return EXIT_USAGE
        # A bug: one line here, the traceback in the log.
        log.exception("command %s failed", getattr(args, "command", "?"))
        err.write(f"{PROG}: unexpected error: {exc} (details in the log)\n")
        return EXIT_USAGE
    finally:
        ctx.close()


def _discard_output(out: TextIO) -> None:
    """Point a closed standard output at the null device, so that the interpreter's last
    flush does not fail a second time; other streams are left as they are."""
    if out is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


__all__ = ["EXIT_OK", "build_parser", "run_command"]
