"""Goal results on the command line (SPEC §12): ``stats``'s ``goal`` and ``branches`` keys
and lines, and ``stats JOURNEY --results-csv FILE``."""

from __future__ import annotations

import argparse
from typing import Any

from journey_desktop.cli.context import EXIT_NO, CliContext, CliError
from journey_desktop.store.db import database
from journey_desktop.store.goal_results import GoalResults, goal_results, save_results
from journey_desktop.store.outbox import DELIMITERS


def add_stats_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results-csv", metavar="FILE.csv",
                   help="write the goal's results per split branch as CSV (for spreadsheets)")
    p.add_argument("--delimiter", choices=DELIMITERS, default=DELIMITERS[0], metavar="CHAR",
                   help="the CSV's delimiter: ',' (the default) or ';'")


def results(journey_id: int) -> GoalResults | None:
    """The journey's results against its goal; None when it has no goal."""
    return goal_results(journey_id, db=database)


def results_json(results: GoalResults | None) -> dict[str, Any]:
    """The ``goal`` and ``branches`` keys (null and [] for a journey without a goal)."""
    if results is None:
        return {"goal": None, "branches": []}
    return {"goal": results.json_goal(), "branches": results.json_branches()}


def write_csv(ctx: CliContext, name: str, results: GoalResults | None, path: str,
              delimiter: str) -> None:
    """``--results-csv``: refused (exit 1) when the journey has no goal."""
    if results is None:
        raise CliError(f"journey {name!r} has no goal: there are no results to export", EXIT_NO)
    target = ctx.output_file(path)
    try:
        rows = save_results(target, results, delimiter=delimiter)
    except OSError as exc:
        raise CliError(f"{target}: cannot write the results ({exc.strerror or exc})") from None
    ctx.err.write(f"rows: {rows}\n")
