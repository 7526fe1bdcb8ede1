"""An events file in a forecast (SPEC §11): its events go into the forecast's throwaway
copy once the journey is active there, and the evaluator takes each when the virtual clock
reaches its timestamp (an event dated after a tick's ``now`` waits for its time), exactly
as it would take them from a real import."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from peewee import Database

from journey_desktop.domain.csv_records import CsvFileError, RejectLog
from journey_desktop.domain.events_file import EventPlan, EventReader, preview_events
from journey_desktop.store.errors import RepositoryError

# When something of a journey on events falls due: a queued event, or one imported into
# the copy and not yet taken (past the journey's watermark). For ``forecast._next_due``.
NEXT_DUE_SQL = (
    "SELECT occurred_at FROM event_queue WHERE journey_id = ? ORDER BY journey_id, kind,"
    " occurred_at LIMIT 1",
    "SELECT min(occurred_at) FROM event WHERE seq > coalesce((SELECT seq FROM event_mark"
    " WHERE journey_id = ?), 0) HAVING count(*) > 0",
)


class ForecastEventsError(RepositoryError):
    """An events file the forecast cannot read; worded for users."""


def import_into(db: Database, path: Path, start: int, tz: dt.tzinfo | None) -> int:
    """Store the file's events in the copy ``db`` (each once, as an import would); returns
    how many. Rejected lines are left out, as an import leaves them out."""
    try:
        plan = EventPlan.from_preview(preview_events(path, max_rows=0))
        added = 0
        with EventReader(plan, RejectLog(plan.delimiter, plan.encoding), tz=tz) as reader, \
                db.atomic():
            for batch in reader.batches():
                cursor = db.execute_sql(
                    "INSERT INTO event (event_key, external_id, name, occurred_at,"
                    " properties, imported_at, import_id) SELECT value ->> 0, value ->> 1,"
                    " value ->> 2, value ->> 3, value ->> 4, ?, 0 FROM json_each(?)"
                    " WHERE true ON CONFLICT DO NOTHING",
                    (start, _rows_json(batch.keys, batch.ids, batch.names, batch.times,
                                       batch.properties)),
                )
                added += max(0, cursor.rowcount)
        return added
    except (CsvFileError, OSError) as exc:
        raise ForecastEventsError(f"the events file cannot be read: {exc}") from None


def _rows_json(*columns: list[Any]) -> str:
    """A batch's columns as one JSON array of rows: one statement inserts the batch."""
    return json.dumps([list(row) for row in zip(*columns, strict=True)], ensure_ascii=False)
