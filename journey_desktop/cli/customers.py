"""Customer base commands (SPEC §4, §7)."""

from __future__ import annotations

import argparse

from journey_desktop.cli.customers_import import add_import_command


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("customers", help="the customer base shared by every journey")
    sub = p.add_subparsers(dest="customers_command", metavar="COMMAND", required=True)
    add_import_command(sub)
