"""Audience commands: ``audience import``."""

from __future__ import annotations

import argparse

from journey_desktop.cli.context import not_built


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("audience", help="a journey's audience")
    sub = p.add_subparsers(dest="audience_command", metavar="COMMAND", required=True)
    q = sub.add_parser("import", help="import customers from a CSV file")
    q.add_argument("journey", metavar="JOURNEY")
    q.add_argument("file", metavar="FILE.csv")
    q.add_argument("--replace", action="store_true")
    q.add_argument("--id-column", metavar="COL")
    q.add_argument("--rejects", metavar="OUT.csv")
    q.set_defaults(handler=not_built("audience import"))
