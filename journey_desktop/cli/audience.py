"""Audience commands: ``audience import`` (SPEC §4, §7)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from journey_desktop.cli.context import EXIT_NO, EXIT_OK, EXIT_USAGE, CliContext, CliError
from journey_desktop.domain.audience_csv import CsvFileError, ImportPlan, preview_csv
from journey_desktop.store.audience import ADD, REPLACE, AudienceStore, ImportResult

SHOWN_REJECTS = 10


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("audience", help="a journey's audience")
    sub = p.add_subparsers(dest="audience_command", metavar="COMMAND", required=True)
    q = sub.add_parser(
        "import",
        help="import customers from a CSV file",
        description="Import customers from a CSV file in one transaction. Prints the counts; "
        "exit 1 when some rows were rejected, 2 when nothing could be imported.",
    )
    q.add_argument("journey", metavar="JOURNEY")
    q.add_argument("file", metavar="FILE.csv")
    q.add_argument(
        "--replace",
        action="store_true",
        help="the audience becomes exactly the file (customers not in it are removed)",
    )
    q.add_argument("--id-column", metavar="COL", help="the customer ID column (default: found by name)")
    q.add_argument("--rejects", metavar="OUT.csv", help="write rejected rows (line, reason, row)")
    q.set_defaults(handler=import_audience)


def import_audience(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    journey = repo.find(args.journey)
    audience = AudienceStore(repo)
    audience.check_importable(journey.id)
    mode = REPLACE if args.replace else ADD
    return import_file(
        ctx, args, lambda plan: audience.import_csv(journey.id, plan, mode=mode),
        unchanged="the audience is unchanged",
    )


def import_file(
    ctx: CliContext,
    args: argparse.Namespace,
    run: Callable[[ImportPlan], ImportResult],
    *,
    unchanged: str,
) -> int:
    """Read ``args.file`` (with ``args.id_column``), import it with ``run``, print the counts
    of SPEC §7 and save the rejects to ``args.rejects``: shared by audience and customer
    imports so that both speak the same lines and exit codes."""
    try:
        preview = preview_csv(args.file)
        plan = ImportPlan.from_preview(preview, id_column=args.id_column)
        result = run(plan)
    except CsvFileError as exc:
        text = str(exc)
        if not text.startswith(Path(args.file).name):  # most messages name the file already
            text = f"{args.file}: {text}"
        hint = " (use --id-column)" if "ID column" in text else ""
        raise CliError(f"{text}{hint}") from None
    try:
        ctx.print(f"read: {result.read}")
        ctx.print(f"added: {result.added}")
        ctx.print(f"updated: {result.updated}")
        ctx.print(f"duplicates: {result.duplicates}")
        ctx.print(f"rejected: {result.rejected}")
        if result.mode == REPLACE:
            ctx.print(f"removed: {result.removed}")
        for reject in result.rejects.kept[:SHOWN_REJECTS]:
            ctx.err.write(f"line {reject.line}: {reject.reason}\n")
        if result.rejected > SHOWN_REJECTS:
            more = result.rejected - SHOWN_REJECTS
            where = f"; all of them are in {args.rejects}" if args.rejects else " (--rejects OUT.csv saves them all)"
            ctx.err.write(f"... and {more} more rejected rows{where}\n")
        if args.rejects:
            try:
                result.rejects.save(args.rejects)
            except OSError as exc:
                raise CliError(f"{args.rejects}: cannot write the rejected rows ({exc.strerror or exc})") from None
    finally:
        result.rejects.close()
    if not result.committed:
        ctx.err.write(
            f"nothing was imported: all {result.rejected} rows were rejected; {unchanged}\n"
        )
        return EXIT_USAGE
    return EXIT_NO if result.rejected else EXIT_OK
