"""Audience commands: ``audience import`` (SPEC §4, §7)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from journey_desktop.cli.context import EXIT_NO, EXIT_OK, EXIT_USAGE, CliContext, CliError
from journey_desktop.domain.audience_csv import CsvFileError, ImportPlan, preview_csv
from journey_desktop.domain.values import DATE_ORDERS
from journey_desktop.store.audience import ADD, REPLACE, AudienceStore

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
    q.add_argument(
        "--rejects",
        metavar="OUT.csv",
        help="write the rejected rows (line, reason, then the file's columns), to fix and "
        "import again",
    )
    q.add_argument(
        "--date-order",
        choices=DATE_ORDERS,
        help="read dates such as 03/04/2024 day-first or month-first (needed when the values "
        "do not decide it)",
    )
    q.set_defaults(handler=import_audience)


def _rejects_partial(path: str, source: str) -> Path:
    """Where the rejected rows are written before they take ``path``'s place: created now,
    so that a path that cannot be written is refused before anything is imported."""
    target = Path(path)
    if target.is_dir():
        raise CliError(f"{path}: is a folder, not a file (--rejects needs a file name)")
    if target.exists() and Path(source).exists() and os.path.samefile(target, source):
        raise CliError(f"{path}: is the file being imported; --rejects needs another file")
    partial = target.with_name(target.name + ".part")
    try:
        partial.open("w").close()
    except OSError as exc:
        raise CliError(
            f"{path}: the rejected rows cannot be written there ({exc.strerror or exc}); "
            "nothing was imported"
        ) from None
    return partial


def import_audience(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    if args.rejects:
        ctx.output_file(args.rejects)  # refused before anything is imported
    journey = repo.find(args.journey)
    audience = AudienceStore(repo)
    audience.check_importable(journey.id)
    partial = _rejects_partial(args.rejects, args.file) if args.rejects else None
    try:
        return _import(ctx, args, audience, journey.id, partial)
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


def _import(
    ctx: CliContext, args: argparse.Namespace, audience: AudienceStore, journey_id: int,
    partial: Path | None,
) -> int:
    try:
        preview = preview_csv(args.file)
        orders = {name: args.date_order for name in preview.header} if args.date_order else None
        plan = ImportPlan.from_preview(preview, id_column=args.id_column, date_orders=orders)
        result = audience.import_csv(journey_id, plan, mode=REPLACE if args.replace else ADD)
    except CsvFileError as exc:
        hint = (" (use --id-column)" if "ID column" in str(exc)
                else " (use --date-order)" if "month-first" in str(exc) else "")
        raise CliError(f"{args.file}: {exc}{hint}") from None
    try:
        ctx.print(f"read: {result.read}")
        ctx.print(f"added: {result.added}")
        ctx.print(f"updated: {result.updated}")
        ctx.print(f"duplicates: {result.duplicates}")
        ctx.print(f"rejected: {result.rejected}")
        if args.replace:
            ctx.print(f"removed: {result.removed}")
        if result.misfits.count:
            ctx.print(f"not_fitting: {result.misfits.count}")
        for misfit in result.misfits.kept[:SHOWN_REJECTS]:
            ctx.err.write(f"line {misfit.line}, column {misfit.column}: {misfit.value!r} "
                          f"({misfit.reason}), not set\n")
        if result.misfits.count > SHOWN_REJECTS:
            ctx.err.write(f"... and {result.misfits.count - SHOWN_REJECTS} more values that do "
                          "not fit their column's type\n")
        for reject in result.rejects.kept[:SHOWN_REJECTS]:
            ctx.err.write(f"line {reject.line}: {reject.reason}\n")
        if result.rejected > SHOWN_REJECTS:
            more = result.rejected - SHOWN_REJECTS
            where = f"; all of them are in {args.rejects}" if args.rejects else " (--rejects OUT.csv saves them all)"
            ctx.err.write(f"... and {more} more rejected rows{where}\n")
        if partial is not None:
            try:
                result.save_rejects(partial)
                partial.replace(args.rejects)
            except OSError as exc:
                # Checked before the import, so rare (a full disk); after a committed import
                # it is a "no", not "nothing imported".
                done = "; the customers were imported" if result.committed else ""
                raise CliError(
                    f"{args.rejects}: the rejected rows could not be written "
                    f"({exc.strerror or exc}){done}", EXIT_NO if result.committed else EXIT_USAGE
                ) from None
    finally:
        result.rejects.close()
    if not result.committed:
        ctx.err.write(
            f"nothing was imported: all {result.rejected} rows were rejected; "
            "the audience is unchanged\n"
        )
        return EXIT_USAGE
    return EXIT_NO if result.rejected else EXIT_OK
