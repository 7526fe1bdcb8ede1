"""Evaluator commands: ``tick``, ``run``, ``outbox export``, ``stats``."""

from __future__ import annotations

import argparse

from journey_desktop.cli.context import not_built


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("tick", help="one evaluation of every active journey")
    p.add_argument("--now", metavar="ISO8601")
    p.set_defaults(handler=not_built("tick"))

    p = commands.add_parser("run", help="run the evaluator headless until interrupted")
    p.set_defaults(handler=not_built("run"))

    p = commands.add_parser("outbox", help="the messages written by the evaluator")
    sub = p.add_subparsers(dest="outbox_command", metavar="COMMAND", required=True)
    q = sub.add_parser("export", help="export messages to CSV")
    q.add_argument("--journey", metavar="JOURNEY")
    q.add_argument("--new", action="store_true")
    q.add_argument("-o", "--output", metavar="FILE.csv")
    q.set_defaults(handler=not_built("outbox export"))

    p = commands.add_parser("stats", help="a journey's statistics")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=not_built("stats"))
