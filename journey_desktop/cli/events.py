"""Events commands: ``events import`` (SPEC §11, §7)."""

from __future__ import annotations

import argparse

from journey_desktop.cli.audience import (
    add_customer_file_options,
    add_file_options,
    check_outputs,
    column_types,
    exit_status,
    file_error,
    output_partials,
    report_misfits,
    report_rejects,
    save_misfits,
)
from journey_desktop.cli.context import CliContext, CliError
from journey_desktop.domain.audience_csv import REJECTS_COLUMNS_NOTE, CsvFileError
from journey_desktop.domain.events_file import JSON_LINES, EventPlan, preview_events
from journey_desktop.store.events import EventStore

DONE = "the events were imported"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("events", help="customer events")
    sub = p.add_subparsers(dest="events_command", metavar="COMMAND", required=True)
    q = sub.add_parser(
        "import",
        help="import customer events from a CSV or JSON Lines file",
        description="Import customer events (CSV, or JSON Lines shaped as Segment track "
        "calls: told apart by content) in one transaction; an event already stored is a "
        "duplicate. Prints the counts; exit 1 when some lines were rejected, 2 when nothing "
        "could be imported. --delimiter and --type are for CSV files.",
    )
    q.add_argument("file", metavar="FILE")
    add_file_options(q)
    add_customer_file_options(q)
    q.set_defaults(handler=import_events, writes=True)


def import_events(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.open()
    check_outputs(ctx, args)  # refused before anything is imported
    partials = output_partials(args)
    try:
        try:
            preview = preview_events(args.file, max_rows=0, id_column=args.id_column,
                                     delimiter=args.delimiter)
            if preview.format == JSON_LINES and (args.delimiter or args.types):
                option = "--delimiter" if args.delimiter else "--type"
                raise CliError(f"{args.file}: is JSON Lines; {option} is for CSV files")
            if preview.problem:
                raise CsvFileError(preview.problem)
            orders = ({name: args.date_order for name in preview.columns}
                      if args.date_order else None)
            plan = EventPlan.from_preview(preview, date_orders=orders,
                                          types=column_types(preview, args.types))
            result = EventStore().import_file(plan)
        except CsvFileError as exc:
            raise file_error(args.file, exc) from None
        try:
            ctx.print(f"read: {result.read}")
            ctx.print(f"added: {result.added}")
            ctx.print(f"duplicates: {result.duplicates}")
            ctx.print(f"rejected: {result.rejected}")
            if result.not_fitting:
                ctx.print(f"not_fitting: {result.not_fitting}")
            report_misfits(ctx, args, result.misfits)
            if plan.skipped_columns:
                ctx.err.write(f"{REJECTS_COLUMNS_NOTE}\n")
            report_rejects(ctx, args, result, partials.get("rejects"), DONE)
            if "misfits" in partials:
                save_misfits(args.misfits, result, partials["misfits"], DONE)
        finally:
            result.close()
        return exit_status(ctx, result, "no event was stored")
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
