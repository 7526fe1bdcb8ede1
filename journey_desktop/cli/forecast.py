"""``forecast``: the journey on a virtual clock (SPEC §8)."""

from __future__ import annotations

import argparse

from journey_desktop.cli.context import not_built


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("forecast", help="simulate a journey for N days")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--days", type=int, required=True, metavar="N")
    p.add_argument("--from", dest="start", metavar="ISO8601")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=not_built("forecast"))
