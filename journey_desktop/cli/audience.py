"""Audience commands: ``audience import`` (SPEC §4, §7)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from journey_desktop.cli.context import EXIT_NO, EXIT_OK, EXIT_USAGE, CliContext, CliError
from journey_desktop.domain.audience_csv import (
    DELIMITERS,
    REJECTS_COLUMNS_NOTE,
    CsvFileError,
    ImportPlan,
    resolve_column,
)
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.csv_records import RejectLog
from journey_desktop.domain.fields_json import MisfitLog
from journey_desktop.domain.values import COLUMN_TYPES, DATE_ORDERS
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
    add_file_options(q)
    add_customer_file_options(q)
    q.set_defaults(handler=import_audience, writes=True)


def add_file_options(q: argparse.ArgumentParser) -> None:
    """The options of every CSV import: ID column, rejects file, date order."""
    q.add_argument(
        "--id-column", metavar="COL", help="the customer ID column (default: found by name)"
    )
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


def add_customer_file_options(q: argparse.ArgumentParser) -> None:
    """The options of the customer imports (``audience import``, ``customers import``):
    the preview's choices of delimiter and column types, and the values that do not fit."""
    q.add_argument(
        "--delimiter",
        metavar="D",
        type=delimiter_option,
        help="the delimiter: , ; | or tab (also \\t); default: found from the file",
    )
    q.add_argument(
        "--type",
        metavar="COLUMN=TYPE",
        action="append",
        type=type_option,
        default=[],
        dest="types",
        help=f"a column's type, one of {', '.join(COLUMN_TYPES)}; repeat for several "
        "columns (default: number, or date, when more than half of the column's values are "
        "numbers, or dates; the others are then values that do not fit)",
    )
    q.add_argument(
        "--misfits",
        metavar="OUT.csv",
        help="write every value that does not fit its column's type (line, column, value, "
        "reason); such values are not set",
    )


_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def delimiter_option(text: str) -> str:
    """``--delimiter``: one of the delimiters of SPEC §4, tab written ``\\t`` or ``tab``."""
    delimiter = _DELIMITER_NAMES.get(text.casefold(), text)
    if delimiter not in DELIMITERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a delimiter (use , ; | or tab)")
    return delimiter


def type_option(text: str) -> tuple[str, str]:
    """``--type COLUMN=TYPE``: (column, type)."""
    column, equals, kind = text.rpartition("=")
    kind = kind.strip().casefold()
    if not equals or not column.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write COLUMN=TYPE, e.g. birthday=date")
    if kind not in COLUMN_TYPES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the type is one of {', '.join(COLUMN_TYPES)}")
    return column.strip(), kind


class Columns(Protocol):
    """A file's preview, as ``--type`` names its columns (customers, events)."""

    @property
    def field_columns(self) -> list[str]: ...


def column_types(preview: Columns, wanted: list[tuple[str, str]]) -> dict[str, str]:
    """The ``--type`` choices, by the file's column names (matched as ``--id-column``)."""
    types: dict[str, str] = {}
    for column, kind in wanted:
        name = resolve_column(preview.field_columns, column)
        if name is None:
            raise CsvFileError(f"--type {column}={kind}: no column named {column!r} (the "
                               f"columns are: {', '.join(preview.field_columns)})")
        types[name] = kind
    return types


def check_outputs(ctx: CliContext, args: argparse.Namespace) -> None:
    """The ``--rejects`` and ``--misfits`` files, refused before anything is imported when
    they would write over the open database (``CliContext.output_file``)."""
    for path in (args.rejects, args.misfits):
        if path:
            ctx.output_file(path)


def rejects_partial(path: str, source: str, option: str = "--rejects",
                    what: str = "the rejected rows") -> Path:
    """Where ``what`` (the rejected rows) are written before they take ``path``'s place:
    created now, so that a path that cannot be written is refused before anything is
    imported."""
    target = Path(path)
    if target.is_dir():
        raise CliError(f"{path}: is a folder, not a file ({option} needs a file name)")
    if target.exists() and Path(source).exists() and os.path.samefile(target, source):
        raise CliError(f"{path}: is the file being imported; {option} needs another file")
    partial = target.with_name(target.name + ".part")
    try:
        partial.open("w").close()
    except OSError as exc:
        raise CliError(
            f"{path}: {what} cannot be written there ({exc.strerror or exc}); "
            "nothing was imported"
        ) from None
    return partial


def import_audience(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    check_outputs(ctx, args)  # refused before anything is imported
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
    """Read ``args.file``, import it with ``run``, print the counts of SPEC §7 and save the
    rejects to ``args.rejects`` and the values that do not fit to ``args.misfits``: shared
    by audience and customer imports so that both speak the same lines and exit codes. The
    output paths are checked before anything is imported."""
    partials: dict[str, Path] = {}
    try:
        partials.update(output_partials(args))
        return _import(ctx, args, run, partials, unchanged)
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)


def output_partials(args: argparse.Namespace) -> dict[str, Path]:
    """The partial files of ``args.rejects`` and ``args.misfits`` (``rejects_partial``),
    keyed ``rejects`` and ``misfits``: created before anything is imported."""
    partials: dict[str, Path] = {}
    try:
        if args.rejects:
            partials["rejects"] = rejects_partial(args.rejects, args.file)
        if args.misfits:
            partials["misfits"] = rejects_partial(
                args.misfits, args.file, "--misfits", "the values that do not fit")
    except BaseException:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
        raise
    return partials


def _import(
    ctx: CliContext, args: argparse.Namespace, run: Callable[[ImportPlan], ImportResult],
    partials: dict[str, Path], unchanged: str,
) -> int:
    try:
        preview = preview_csv(args.file, delimiter=args.delimiter)
        orders = {name: args.date_order for name in preview.header} if args.date_order else None
        plan = ImportPlan.from_preview(preview, id_column=args.id_column, date_orders=orders,
                                       types=column_types(preview, args.types))
        result = run(plan)
    except CsvFileError as exc:
        raise file_error(args.file, exc) from None
    try:
        ctx.print(f"read: {result.read}")
        ctx.print(f"added: {result.added}")
        ctx.print(f"updated: {result.updated}")
        ctx.print(f"duplicates: {result.duplicates}")
        ctx.print(f"rejected: {result.rejected}")
        if result.mode == REPLACE:
            ctx.print(f"removed: {result.removed}")
        if result.misfits.count:
            ctx.print(f"not_fitting: {result.misfits.count}")
        report_misfits(ctx, args, result.misfits)
        if result.skipped_columns:
            ctx.err.write(f"{REJECTS_COLUMNS_NOTE}\n")
        report_rejects(ctx, args, result, partials.get("rejects"), "the customers were imported")
        if "misfits" in partials:
            save_misfits(args.misfits, result, partials["misfits"], "the customers were imported")
    finally:
        result.close()
    return exit_status(ctx, result, unchanged)


def report_misfits(ctx: CliContext, args: argparse.Namespace, misfits: MisfitLog) -> None:
    """The first values that do not fit their column's type, on standard error."""
    for misfit in misfits.kept[:SHOWN_REJECTS]:
        ctx.err.write(f"line {misfit.line}, column {misfit.column}: {misfit.value!r} "
                      f"({misfit.reason}), not set\n")
    if misfits.count > SHOWN_REJECTS:
        where = (f"; all of them are in {args.misfits}" if args.misfits
                 else " (--misfits OUT.csv saves them all)")
        ctx.err.write(f"... and {misfits.count - SHOWN_REJECTS} more values that do "
                      f"not fit their column's type{where}\n")


class MisfitsOutcome(Protocol):
    """What an import's result says about its values that do not fit (customers, events)."""

    committed: bool

    def save_misfits(self, path: str | Path) -> None: ...


def save_misfits(path: str, result: MisfitsOutcome, partial: Path, done: str) -> None:
    """Every value that did not fit, in ``path`` (written to ``partial``, then put in place);
    ``done`` says what a committed import did."""
    save_in_place(path, partial, result.save_misfits, "the values that do not fit",
                  done if result.committed else None)


def save_in_place(path: str, partial: Path, save: Callable[[Path], None], what: str,
                  done: str | None) -> None:
    """``save`` writes ``partial``, which then takes the place of ``path``. A failure is one
    line; after a committed import (``done`` says what it did) it is a "no", not "nothing
    imported". The path was checked before the import, so this is rare (a full disk)."""
    try:
        save(partial)
        partial.replace(path)
    except OSError as exc:
        raise CliError(
            f"{path}: {what} could not be written ({exc.strerror or exc})"
            f"{'; ' + done if done else ''}",
            EXIT_NO if done else EXIT_USAGE,
        ) from None


def file_error(path: str, exc: CsvFileError) -> CliError:
    """A file that cannot be imported, as one line naming it, with the option that helps."""
    text, name = str(exc), Path(path).name
    if text.startswith(f"{name}:"):  # most messages name the file: as given, here
        text = f"{path}{text[len(name):]}"
    elif not text.startswith(name):
        text = f"{path}: {text}"
    hint = (" (use --id-column)" if "ID column" in text
            else " (use --date-order)" if "month-first" in text else "")
    return CliError(f"{text}{hint}")


class ImportOutcome(Protocol):
    """What an import's result says about its rejected rows (customers, events)."""

    committed: bool
    rejected: int
    rejects: RejectLog

    def save_rejects(self, path: str | Path) -> None: ...


def report_rejects(ctx: CliContext, args: argparse.Namespace, result: ImportOutcome,
                   partial: Path | None, done: str) -> None:
    """The first rejected rows on standard error, all of them in ``args.rejects`` (written
    to ``partial``, then put in place); ``done`` says what a committed import did."""
    for reject in result.rejects.kept[:SHOWN_REJECTS]:
        ctx.err.write(f"line {reject.line}: {reject.reason}\n")
    if result.rejected > SHOWN_REJECTS:
        more = result.rejected - SHOWN_REJECTS
        where = (f"; all of them are in {args.rejects}" if args.rejects
                 else " (--rejects OUT.csv saves them all)")
        ctx.err.write(f"... and {more} more rejected rows{where}\n")
    if partial is not None:
        save_in_place(args.rejects, partial, result.save_rejects, "the rejected rows",
                      done if result.committed else None)


def exit_status(ctx: CliContext, result: ImportOutcome, unchanged: str) -> int:
    """SPEC §7: 2 when nothing was imported, 1 when some rows were rejected, else 0."""
    if not result.committed:
        ctx.err.write(
            f"nothing was imported: all {result.rejected} rows were rejected; {unchanged}\n"
        )
        return EXIT_USAGE
    return EXIT_NO if result.rejected else EXIT_OK
