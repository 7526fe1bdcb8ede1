"""Events commands: ``events import`` (SPEC §11, §7)."""

from __future__ import annotations

import argparse

from journey_desktop.cli.audience import (
    add_file_options,
    exit_status,
    file_error,
    rejects_partial,
    report_rejects,
)
from journey_desktop.cli.context import CliContext
from journey_desktop.domain.audience_csv import CsvFileError
from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.store.events import EventStore


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("events", help="customer events")
    sub = p.add_subparsers(dest="events_command", metavar="COMMAND", required=True)
    q = sub.add_parser(
        "import",
        help="import customer events from a CSV or JSON Lines file",
        description="Import customer events (CSV, or JSON Lines shaped as Segment track "
        "calls: told apart by content) in one transaction; an event already stored is a "
        "duplicate. Prints the counts; exit 1 when some lines were rejected, 2 when nothing "
        "could be imported.",
    )
    q.add_argument("file", metavar="FILE")
    add_file_options(q)
    q.set_defaults(handler=import_events, writes=True)


def import_events(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.open()
    if args.rejects:
        ctx.output_file(args.rejects)  # refused before anything is imported
    partial = rejects_partial(args.rejects, args.file) if args.rejects else None
    try:
        try:
            preview = preview_events(args.file, max_rows=0, id_column=args.id_column)
            if preview.problem:
                raise CsvFileError(preview.problem)
            orders = ({name: args.date_order for name in preview.columns}
                      if args.date_order else None)
            plan = EventPlan.from_preview(preview, date_orders=orders)
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
            report_rejects(ctx, args, result, partial, "the events were imported")
        finally:
            result.rejects.close()
        return exit_status(ctx, result, "no event was stored")
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
