"""``policy show|set|clear`` (SPEC §13): the messaging policy of the whole database."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from journey_desktop.cli.context import EXIT_OK, CliContext, CliError
from journey_desktop.domain.policy import (
    ANY,
    HOLD,
    QUIET_ACTIONS,
    Cap,
    PolicyError,
    QuietHours,
    RateLimit,
)
from journey_desktop.store.policy import clear_policy, load_policy, save_policy


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("policy", help="quiet hours, frequency caps and rate limits")
    sub = p.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    q = sub.add_parser("show", help="the messaging policy in force")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(handler=cmd_show)
    q = sub.add_parser(
        "set", help="change the messaging policy (applies from the next tick)",
        description="Change the parts given: the customers' time zone field, the quiet hours "
        "of a channel (or any), the caps (every --cap given replaces the caps), the rate "
        "limit of a channel (or any). --channel names the channel of --quiet and --rate.")
    q.add_argument("--timezone-field", metavar="FIELD",
                   help="the customer field holding an IANA zone name (America/New_York)")
    q.add_argument("--quiet", metavar="HH:MM-HH:MM", help="quiet hours, like 21:00-09:00")
    q.add_argument("--channel", metavar="CH", default=ANY,
                   help="the channel of --quiet and --rate, or any (default)")
    q.add_argument("--quiet-action", choices=QUIET_ACTIONS, default=HOLD,
                   help="hold messages to the window's end (default) or skip them")
    q.add_argument("--cap", metavar="CH:N/PERIOD", action="append",
                   help="a frequency cap, like any:3/1d or push:1/day (repeat for more)")
    q.add_argument("--rate", metavar="N/min", help="a rate limit, like 600/min")
    q.set_defaults(handler=cmd_set, writes=True)
    q = sub.add_parser("clear", help="no quiet hours, caps or rate limits any more")
    q.set_defaults(handler=cmd_clear, writes=True)


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.open()
    policy = load_policy()
    if args.json:
        ctx.print(json.dumps(policy.to_dict(), indent=2, ensure_ascii=False))
    else:
        for line in policy.lines():
            ctx.print(line)
    return EXIT_OK


def cmd_set(ctx: CliContext, args: argparse.Namespace) -> int:
    if not any((args.timezone_field is not None, args.quiet, args.cap, args.rate)):
        raise CliError("policy set: give --timezone-field, --quiet, --cap or --rate")
    ctx.open()
    policy = load_policy()
    try:
        if args.timezone_field is not None:
            policy = replace(policy, timezone_field=args.timezone_field.strip())
        if args.quiet:
            policy = policy.with_quiet(QuietHours.parse(args.quiet, args.channel,
                                                        args.quiet_action))
        if args.cap:
            policy = replace(policy, caps=tuple(Cap.parse(text) for text in args.cap))
        if args.rate:
            policy = policy.with_rate(RateLimit.parse(args.rate, args.channel))
    except PolicyError as exc:
        raise CliError(str(exc)) from None
    save_policy(policy)
    for line in policy.lines():
        ctx.print(line)
    return EXIT_OK


def cmd_clear(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.open()
    clear_policy()
    ctx.print("messaging policy cleared")
    return EXIT_OK
