"""The journey report (SPEC §15, indigitall's down arrow): one row per customer and entry,
written as CSV for spreadsheets like every file the app writes (``outbox``'s helpers)."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from peewee import Database

from journey_desktop.domain.delivery import CLICKED, DELIVERED, OPENED, level
from journey_desktop.domain.journey import Journey
from journey_desktop.domain.lifecycle import IN_PROGRESS
from journey_desktop.store.db import database
from journey_desktop.store.outbox import DELIMITERS, FILE_ENCODING, csv_cell, iso_time
from journey_desktop.store.output_path import check_output_path
from journey_desktop.store.stats import SENT

HEADER = ["customerId", "journey", "entry", "entered_at", "current", "written", "delivered",
          "opened", "clicked", "converted"]
PROGRESS_EVERY = 10_000

ReportRow = tuple[str, int, int, str, int, int, int, int, bool]

_DELIVERY = ("sum(CASE WHEN EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = o.id"
             " AND d.level >= {}) THEN 1 ELSE 0 END)")  # a click is also a delivery and an open


def report_rows(journey_id: int, db: Database | None = None) -> Iterator[ReportRow]:
    """(customer ID, entry number, entered at, current node or end reason, messages written,
    delivered, opened, clicked, converted) per run, by customer ID then entry, in one pass over the
    journey's runs and messages (both read in their unique keys' order). A suppressed message
    is recorded, not written (SPEC §13), so it is not counted."""
    db = db if db is not None else database
    delivered, opened, clicked = (_DELIVERY.format(level(s))
                                   for s in (DELIVERED, OPENED, CLICKED))
    cursor = db.execute_sql(
        "SELECT r.external_id, r.entry_number, r.started_at,"
        " CASE WHEN r.state = ? THEN r.node ELSE coalesce(r.end_reason, r.state) END,"
        " coalesce(m.written, 0), coalesce(m.delivered, 0), coalesce(m.opened, 0),"
        " coalesce(m.clicked, 0), EXISTS (SELECT 1 FROM conversion c WHERE c.run_id = r.id)"
        " FROM run r LEFT JOIN ("
        f" SELECT o.external_id, o.entry_number, count(*) AS written, {delivered} AS delivered,"
        f" {opened} AS opened, {clicked} AS clicked"
        f" FROM outbox o WHERE o.journey_id = ? AND {SENT}"
        " GROUP BY o.external_id, o.entry_number) m"
        " ON m.external_id = r.external_id AND m.entry_number = r.entry_number"
        " WHERE r.journey_id = ? ORDER BY r.external_id, r.entry_number",
        (IN_PROGRESS, journey_id, journey_id))
    for row in cursor:
        yield (row[0], int(row[1]), int(row[2]), str(row[3]), int(row[4]), int(row[5]),
               int(row[6]), int(row[7]), bool(row[8]))


def write_report(out: TextIO, journey_id: int, journey_name: str, *,
                 tz: dt.tzinfo | None = None, delimiter: str = ",",
                 progress: Callable[[int], None] | None = None,
                 db: Database | None = None) -> int:
    """Write the report as CSV; returns its rows. ``converted`` is 1 or 0 for a journey
    with a goal (SPEC §12), empty for one without: nothing then says what a conversion is."""
    if delimiter not in DELIMITERS:
        raise ValueError(f"the delimiter must be one of {' '.join(DELIMITERS)}")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    name = csv_cell(journey_name)
    count = 0
    with_goal = _has_goal(journey_id, db if db is not None else database)
    for external_id, entry, started, current, *figures, converted in report_rows(journey_id,
                                                                                 db):
        writer.writerow([csv_cell(external_id), name, entry, iso_time(started, tz),
                         csv_cell(current), *figures, int(converted) if with_goal else ""])
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    return count


def _has_goal(journey_id: int, db: Database) -> bool:
    row = db.execute_sql("SELECT definition FROM journey WHERE id = ?", (journey_id,)).fetchone()
    return row is not None and Journey.from_json(row[0]).goal is not None


def save_report(path: str | Path, journey_id: int, journey_name: str, *,
                tz: dt.tzinfo | None = None, delimiter: str = ",",
                progress: Callable[[int], None] | None = None) -> int:
    """The report as a file for spreadsheets (UTF-8 with a BOM), never over the open
    database; written beside the target and moved in place only when complete."""
    target = Path(path)
    check_output_path(target)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", encoding=FILE_ENCODING, newline="") as out:
            count = write_report(out, journey_id, journey_name, tz=tz, delimiter=delimiter,
                                 progress=progress)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return count
