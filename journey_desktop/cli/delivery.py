"""Delivery commands (SPEC §15, §7): ``outbox report``, ``report``; the ``stats`` lines and
the forecast kept after ``activate``."""

from __future__ import annotations

import argparse

from journey_desktop.cli.audience import file_error, rejects_partial, report_rejects
from journey_desktop.cli.context import EXIT_NO, EXIT_OK, EXIT_USAGE, CliContext, CliError
from journey_desktop.domain.csv_records import CsvFileError
from journey_desktop.domain.delivery import CLICKED, DELIVERED, OPENED, STATUSES, rate, rate_text
from journey_desktop.domain.lifecycle import Action, refusal_text
from journey_desktop.store.delivery import NodeDelivery, import_report
from journey_desktop.store.forecast import ForecastError
from journey_desktop.store.journey_report import save_report, write_report
from journey_desktop.store.outbox import DELIMITERS
from journey_desktop.store.plan import keep_activation_forecast


def add_report_command(outbox: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``outbox report FILE``, beside ``outbox export``."""
    q = outbox.add_parser(
        "report", help="apply a delivery report (sent, delivered, opened, clicked, ...)",
        description="Apply a delivery report (CSV or JSON Lines with message_id, status, "
        "timestamp and optional detail) in one transaction; a status already there, or "
        "implied by a later one, changes nothing. Prints the counts; exit 1 when some lines "
        "were rejected or unknown, 2 when nothing was applied.")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--rejects", metavar="OUT.csv",
                   help="write the rejected and unknown lines (line, reason, then the columns)")
    q.set_defaults(handler=cmd_outbox_report, writes=True)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser(
        "report", help="a journey's report: one row per customer and entry",
        description="One CSV row per customer and entry: entered at, current node or end "
        "reason, messages written, delivered, opened, clicked. With -o the file is UTF-8 "
        "with a BOM, for spreadsheets.")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("-o", "--output", metavar="FILE.csv")
    p.add_argument("--delimiter", choices=DELIMITERS, default=DELIMITERS[0], metavar="CHAR",
                   help="',' (the default) or ';' (for spreadsheets that use a decimal comma)")
    p.set_defaults(handler=cmd_report)


def cmd_outbox_report(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.open()
    if args.rejects:
        ctx.output_file(args.rejects)  # refused before anything is applied
    partial = rejects_partial(args.rejects, args.file) if args.rejects else None
    try:
        try:
            result = import_report(args.file)
        except CsvFileError as exc:
            raise file_error(args.file, exc) from None
        try:
            for name in ("read", "applied", "duplicates", "unknown", "rejected"):
                ctx.print(f"{name}: {getattr(result, name)}")
            if result.early:
                ctx.print(f"early: {result.early}")
                lines = ", ".join(map(str, result.early_lines))
                word = "line" if result.early == 1 else "lines"
                ctx.err.write(f"{result.early_text()} (kept, flagged): {word} {lines}\n")
            all_unknown = result.all_unknown_text()
            if all_unknown:
                ctx.err.write(f"journey-desktop: {all_unknown}\n")
            else:
                for reject in result.unknowns.kept[:10]:
                    ctx.err.write(f"line {reject.line}: {reject.reason}\n")
            report_rejects(ctx, args, result, partial, "the report was applied")
        finally:
            result.rejects.close()
            result.unknowns.close()
        if not result.committed:
            if not all_unknown:
                ctx.err.write(f"nothing was applied: {result.nothing_applied_text()}\n")
            return EXIT_USAGE
        return EXIT_NO if result.rejected or result.unknown else EXIT_OK
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


def cmd_report(ctx: CliContext, args: argparse.Namespace) -> int:
    stored = ctx.journey(args.journey)
    refused = refusal_text(stored.journey.name, stored.status, Action.REPORT)
    if refused is not None:  # as the window's disabled action says it
        raise CliError(refused)
    if args.output:
        target = ctx.output_file(args.output)
        try:
            rows = save_report(target, stored.id, stored.journey.name,
                               delimiter=args.delimiter)
        except OSError as exc:
            raise CliError(f"{target}: cannot write the report ({exc.strerror or exc})"
                           ) from None
        ctx.err.write(f"rows: {rows}\n")
    else:
        write_report(ctx.out, stored.id, stored.journey.name, delimiter=args.delimiter)
    return EXIT_OK


def delivery_lines(rows: list[NodeDelivery]) -> list[str]:
    """``stats``'s lines per message node and channel."""
    lines = []
    for row in rows:
        reached = row.reached
        counts = ", ".join(f"{status} {reached[status]}" for status in STATUSES)
        lines.append(
            f"  {row.node} ({row.channel}): written {row.written}, {counts}; open rate "
            f"{rate_text(rate(reached[OPENED], reached[DELIVERED]))}, CTR "
            f"{rate_text(rate(reached[CLICKED], reached[DELIVERED]))}")
    return lines


def keep_forecast(ctx: CliContext, journey_id: int) -> None:
    """After ``activate``: the forecast the plan is held against (a failure is a warning,
    the journey is active either way)."""
    try:
        kept = keep_activation_forecast(journey_id)
    except ForecastError as exc:
        ctx.err.write(f"journey-desktop: the forecast was not kept ({exc})\n")
        return
    ctx.print(f"forecast kept: {kept.days} days ({kept.seconds:.1f} s)")
