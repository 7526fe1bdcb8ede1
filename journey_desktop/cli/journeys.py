"""Journey commands: list, create, export, validate, activate, deactivate, clone, remove."""

from __future__ import annotations

import argparse
import json
import re

from journey_desktop.cli.context import EXIT_NO, EXIT_OK, CliContext, CliError
from journey_desktop.cli.delivery import keep_forecast
from journey_desktop.domain.activation_words import describe_activation
from journey_desktop.domain.journey import Activation, Duration
from journey_desktop.domain.journey_file import read_journey_file, write_journey_file
from journey_desktop.domain.validation import (
    AT_TIME,
    MAX_ENTRIES,
    duration_problem,
    max_entries_problem,
)
from journey_desktop.store.journey_versions import StaleJourneyError

TIMEOUT_PATTERN = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
TIMEOUT_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_timeout(text: str) -> Duration:
    """``N{m,h,d}`` as a Duration (``90m``, ``1d``), within the limits validation keeps."""
    match = TIMEOUT_PATTERN.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid timeout {text!r}: use a whole number 1 or more and m, h or d, like 1d"
        )
    digits = match.group(1).lstrip("0") or "0"
    # Thousands of digits are past every limit: do not ask Python to convert them.
    value = int(digits) if len(digits) <= 18 else 10**18
    unit = TIMEOUT_UNITS[match.group(2)]
    problem = duration_problem(value, unit, "the timeout")
    if problem:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: {problem}")
    return Duration(value, unit)


def parse_max_entries(text: str) -> int:
    """``--max-entries``: a whole number within the limit validation keeps."""
    digits = text.strip()
    try:
        value = int(digits) if len(digits) <= 18 else 0
    except ValueError:
        value = 0
    if max_entries_problem(value):
        raise argparse.ArgumentTypeError(
            f"expected a whole number 1 or more (at most {MAX_ENTRIES:,}), not {text!r}"
        )
    return value


CHECK_AT_OFF = "off"


def parse_check_at(text: str) -> str:
    """``--check-at``: a local time ``HH:MM`` (``9:00`` reads as ``09:00``), or ``off``."""
    value = text.strip().lower()
    if value == CHECK_AT_OFF:
        return CHECK_AT_OFF
    if re.fullmatch(r"\d:\d\d", value):
        value = "0" + value
    if not AT_TIME.match(value):
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use HH:MM (00:00-23:59), like 09:00, or off")
    return value


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("list", help="list journeys")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser("create", help="create a draft from a journey file")
    p.add_argument("file", metavar="FILE.json")
    p.set_defaults(handler=cmd_create, writes=True)

    p = commands.add_parser("export", help="write a journey file")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("-o", "--output", metavar="FILE")
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser("validate", help="list a journey's problems (exit 1 if any)")
    p.add_argument("journey", metavar="JOURNEY")
    p.set_defaults(handler=cmd_validate)

    p = commands.add_parser("activate", help="validate and activate a draft")
    p.add_argument("journey", metavar="JOURNEY")
    reentry = p.add_mutually_exclusive_group()
    reentry.add_argument("--reentry", dest="reentry", action="store_true", default=None)
    reentry.add_argument("--no-reentry", dest="reentry", action="store_false")
    p.add_argument("--max-entries", type=parse_max_entries, metavar="N")
    p.add_argument("--timeout", type=parse_timeout, metavar="N{m,h,d}")
    p.add_argument("--check-at", type=parse_check_at, metavar="HH:MM",
                   help="re-check at this local time of day (whole-day timeouts), or off")
    p.set_defaults(handler=cmd_activate, writes=True)

    p = commands.add_parser("deactivate", help="end an active journey (irreversible)")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--yes", action="store_true", help="confirm: deactivation is irreversible")
    p.set_defaults(handler=cmd_deactivate, writes=True)

    p = commands.add_parser("clone", help="copy a journey into a new draft")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--name", metavar="NAME")
    p.add_argument("--with-audience", action="store_true")
    p.set_defaults(handler=cmd_clone, writes=True)

    p = commands.add_parser("remove", help="delete a journey with its audience and outbox")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--yes", action="store_true", help="confirm the removal")
    p.set_defaults(handler=cmd_remove, writes=True)


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    summaries = ctx.open().summaries()
    if args.json:
        ctx.print(json.dumps([s.to_json() for s in summaries], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not summaries:
        ctx.print("No journeys yet. Create one with: journey-desktop create FILE.json")
        return EXIT_OK
    headers = ("ID", "NAME", "STATUS", "AUDIENCE", "ENTERED", "IN PROGRESS", "MESSAGES")
    rows = [
        (str(s.id), s.name, s.status, str(s.audience), str(s.entered), str(s.in_progress),
         str(s.messages))
        for s in summaries
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        ctx.print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return EXIT_OK


def cmd_create(ctx: CliContext, args: argparse.Namespace) -> int:
    journey = read_journey_file(args.file)
    journey_id = ctx.open().create(journey)
    ctx.print(str(journey_id))
    return EXIT_OK


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    journey = ctx.journey(args.journey).journey
    if args.output:
        write_journey_file(ctx.output_file(args.output), journey)
    else:
        ctx.out.write(journey.to_json())
    return EXIT_OK


def cmd_validate(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    stored = ctx.journey(args.journey)
    result = repo.validate(stored.id)
    for problem in result.problems:
        prefix = "" if problem.is_error else "warning: "
        ctx.print(f"{prefix}{problem}")
    if not result.ok:
        return EXIT_NO
    if not result.problems:
        ctx.print(f"{stored.journey.name}: valid, ready to activate")
    return EXIT_OK


def cmd_activate(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    stored = ctx.journey(args.journey)
    current = stored.journey.activation
    reentry = current.allow_reentry if args.reentry is None else args.reentry
    activation = Activation(
        allow_reentry=reentry,
        max_entries=args.max_entries if args.max_entries is not None else current.max_entries,
        timeout=args.timeout or current.timeout,
        check_at=current.check_at if args.check_at is None else (
            None if args.check_at == CHECK_AT_OFF else args.check_at),
    )
    try:  # the options above were read from this version: never activate a newer one
        result = repo.activate(stored.id, activation, version=stored.version)
    except StaleJourneyError as exc:
        raise CliError(stale_words(exc)) from None
    for problem in result.problems:
        prefix = "" if problem.is_error else "warning: "
        ctx.print(f"{prefix}{problem}")
    if not result.ok:
        ctx.err.write(f"journey-desktop: {stored.journey.name!r} was not activated\n")
        return EXIT_NO
    ctx.print(f"{stored.journey.name}: active. {describe_activation(activation)}")
    keep_forecast(ctx, stored.id)
    return EXIT_OK


def stale_words(exc: StaleJourneyError) -> str:
    """One line for a journey saved by someone between this command's read and write."""
    return f"{exc.changed_text()} while this command ran; nothing was changed: run it again"


def cmd_deactivate(ctx: CliContext, args: argparse.Namespace) -> int:
    if not args.yes:
        raise CliError("deactivation is irreversible: add --yes to confirm")
    repo = ctx.open()
    stored = ctx.journey(args.journey)
    stopped = repo.deactivate(stored.id)
    ctx.print(f"{stored.journey.name}: deactivated ({stopped} runs in progress stopped)")
    return EXIT_OK


def cmd_clone(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    stored = ctx.journey(args.journey)
    new_id = repo.clone(stored.id, name=args.name, with_audience=args.with_audience)
    ctx.print(str(new_id))
    return EXIT_OK


def cmd_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    repo = ctx.open()
    stored = ctx.journey(args.journey)
    counts = repo.removal_counts(stored.id)
    if not args.yes:
        raise CliError(
            f"removing {stored.journey.name!r} deletes {counts.audience} customers, "
            f"{counts.runs} runs and {counts.messages} messages: add --yes to confirm"
        )
    repo.remove(stored.id)
    ctx.print(
        f"{stored.journey.name}: removed with {counts.audience} customers, {counts.runs} runs "
        f"and {counts.messages} messages"
    )
    return EXIT_OK
