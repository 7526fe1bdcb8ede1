"""A journey's results against its goal (SPEC §12): conversions and rate, and each split
branch compared with the holdout (else the first branch); the CSV export of them.

Counted from ``conversion`` and ``run_branch`` (which keeps whether each run converted),
never a join of the runs per branch. A run counts once its goal window has closed, judged
against the evaluator's latest tick (never the wall clock), or once it converted.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from peewee import Database

from journey_desktop.domain.ab_results import (
    NOT_ENOUGH_DATA,
    BranchCounts,
    SplitResult,
    branch_name,
    compare_split,
    p_words,
    result_line,
)
from journey_desktop.domain.journey import Journey
from journey_desktop.store.db import database
from journey_desktop.store.evaluator_clock import LAST_TICK_KEY
from journey_desktop.store.outbox import DELIMITERS, FILE_ENCODING, csv_cell
from journey_desktop.store.output_path import check_output_path

CSV_HEADER = ["split", "branch", "label", "holdout", "runs", "conversions", "rate", "uplift",
              "ci_low", "ci_high", "p_value", "note"]


@dataclass
class GoalResults:
    """Conversions of the journey (holdout runs included) and its splits compared."""

    event: str
    conversions: int = 0
    counted: int = 0  # runs whose window closed, or that converted
    last_tick: int | None = None
    splits: list[SplitResult] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.conversions / self.counted if self.counted else None

    def json_goal(self) -> dict[str, Any]:
        return {"conversions": self.conversions, "rate": self.rate}

    def json_branches(self) -> list[dict[str, object]]:
        return [b.to_json() for split in self.splits for b in split.branches]

    def lines(self) -> list[str]:
        """The results in words, as ``stats`` prints them."""
        rate = "–" if self.rate is None else f"{self.rate * 100:.1f} %"
        lines = [f"goal {self.event}: {self.conversions:,} conversions of {self.counted:,}"
                 f" runs counted ({rate})"]
        for split in self.splits:
            lines.append(f"split {split.split}:")
            lines.extend(f"  {result_line(b, split.enough)}" for b in split.branches)
            if split.chi_p is not None:
                lines.append(f"  chi-squared over {len(split.branches)} branches:"
                             f" p {p_words(split.chi_p)}")
            elif not split.enough:
                lines.append(f"  {NOT_ENOUGH_DATA}: an expected count is under 5")
        return lines


def _last_tick(db: Database) -> int | None:
    row = db.execute_sql("SELECT value FROM setting WHERE key = ?", (LAST_TICK_KEY,)).fetchone()
    try:
        return int(row[0]) if row is not None else None
    except ValueError:
        return None


def goal_results(journey_id: int, journey: Journey | None = None,
                 db: Database | None = None) -> GoalResults | None:
    """The results of a journey with a goal; None when it has none."""
    db = db if db is not None else database
    if journey is None:
        row = db.execute_sql("SELECT definition FROM journey WHERE id = ?",
                             (journey_id,)).fetchone()
        if row is None:
            return None
        journey = Journey.from_json(row[0])
    goal = journey.goal
    if goal is None:
        return None
    last = _last_tick(db)
    # Windows that began at or before this have closed (none before the first tick).
    cutoff = last - goal.within.seconds if last is not None else -(2**62)
    results = GoalResults(event=goal.event, last_tick=last)
    (closed,) = db.execute_sql(
        "SELECT count(*) FROM run WHERE journey_id = ? AND started_at <= ?",
        (journey_id, cutoff)).fetchone()
    converted, open_converted = db.execute_sql(
        "SELECT count(*), coalesce(sum(CASE WHEN started_at > ? THEN 1 ELSE 0 END), 0)"
        " FROM conversion"
        " WHERE journey_id = ?", (cutoff, journey_id)).fetchone()
    results.conversions = int(converted)
    results.counted = int(closed) + int(open_converted)
    counts = {(node, int(branch)): [int(runs), int(conv)] for node, branch, runs, conv in
              db.execute_sql(
                  "SELECT node, branch,"
                  " sum(CASE WHEN started_at <= ? OR converted <> 0 THEN 1 ELSE 0 END),"
                  " sum(converted)"
                  " FROM run_branch WHERE journey_id = ? GROUP BY node, branch",
                  (cutoff, journey_id))}
    for node in journey.nodes:
        if node.type != "split" or not node.branches:
            continue
        results.splits.append(compare_split([
            BranchCounts(node.id, i, b.label, b.holdout, *counts.get((node.id, i), [0, 0]))
            for i, b in enumerate(node.branches)]))
    return results


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def write_results(out: TextIO, results: GoalResults, *, delimiter: str = ",") -> int:
    """The results per branch as CSV (fractions, like ``stats --json``); a first row for
    the whole journey. Returns the rows written."""
    if delimiter not in DELIMITERS:
        raise ValueError(f"the delimiter must be one of {' '.join(DELIMITERS)}")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(["", "", csv_cell(f"goal {results.event}"), "", results.counted,
                     results.conversions, _number(results.rate), "", "", "", "", ""])
    count = 1
    for split in results.splits:
        for b in split.branches:
            note = "baseline" if b.baseline else ("" if split.enough else NOT_ENOUGH_DATA)
            writer.writerow([csv_cell(split.split), b.branch + 1, csv_cell(branch_name(b)),
                             int(b.holdout), b.runs, b.conversions, _number(b.rate),
                             _number(b.uplift), _number(b.ci_low), _number(b.ci_high),
                             _number(b.p_value), note])
            count += 1
    return count


def save_results(path: str | Path, results: GoalResults, *, delimiter: str = ",") -> int:
    """The results as a file for spreadsheets (UTF-8 with a BOM), never over the open
    database; written beside the target and moved in place only when complete."""
    target = Path(path)
    check_output_path(target)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", encoding=FILE_ENCODING, newline="") as out:
            count = write_results(out, results, delimiter=delimiter)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return count
