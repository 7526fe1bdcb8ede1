"""``db copy FROM TO`` (SPEC §14): how a user moves a local database to the team one."""

from __future__ import annotations

import argparse

from journey_desktop.cli.context import EXIT_OK, CliContext
from journey_desktop.store.db_copy import Place, copy_database


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("db", help="copy a whole database (to or from a team database)")
    sub = p.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    q = sub.add_parser(
        "copy", help="copy every table of one database into an empty one",
        description="Copy a whole database into an empty one and check the rows per table. "
        "FROM and TO are each a journeys.db file, a data folder or a team database (a "
        "postgresql:// URL or libpq's key=value form), "
        "either way. The source must hold this version's schema (open it with the app "
        "first); the target must be a new file or an empty PostgreSQL database. Nothing is "
        "written unless every table copies.")
    q.add_argument("source", metavar="FROM", help="journeys.db, a data folder or a URL")
    q.add_argument("target", metavar="TO", help="a new file, a data folder without a "
                   "database, or an empty PostgreSQL database's URL")
    q.set_defaults(handler=cmd_copy)


def cmd_copy(ctx: CliContext, args: argparse.Namespace) -> int:
    source, target = Place.of(args.source), Place.of(args.target)

    def progress(text: str) -> None:
        ctx.err.write(text + "\n")
        ctx.err.flush()

    counts = copy_database(source, target, progress)
    ctx.print(f"copied {source} to {target}; rows per table, equal on both sides:")
    width = max(len(table) for table in counts)
    for table, rows in counts.items():
        ctx.print(f"  {table:<{width}}  {rows:>12,}")
    return EXIT_OK
