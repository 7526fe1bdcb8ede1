"""The forecast's collision report (SPEC §8, §13), read from the forecast's copy.

With collisions asked for, ``run_forecast`` copies every active journey of the database
beside the one forecast (``forecast_copy.copy_journey(with_active=True)``) and ticks them
together, so the copy's outbox holds what the evaluator would write to every customer.
This module counts it: one GROUP BY over the outbox by customer and local day (each
message's day found by one index seek in a small table of the forecast's day ends), with
the journeys that wrote; the naming and shaping is ``domain/collisions.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from peewee import Database

from journey_desktop.domain import collisions as rules
from journey_desktop.domain.collisions import CollisionReport
from journey_desktop.domain.forecast import DayBounds
from journey_desktop.store.stats import SENT

_DAYS = "temp.jd_collision_day"

# A message belongs to the first day whose end is after its due time: instants before the
# window (an overdue step, fired by the first tick) count on day 0, as the per-day figures
# count them (domain/forecast._day_index); instants after the last day on none. The copy
# holds only the journeys forecast together, so the whole outbox is read, in table order
# (a table scan beats the index on journey_id, which then reads every row anyway), and
# each message's day is sought once (MATERIALIZED), not once per use.
COLLISIONS_SQL = f"""
WITH message AS MATERIALIZED (
    SELECT external_id, journey_id,
           (SELECT idx FROM {_DAYS} WHERE day_end > coalesce(send_at, due_at)
            ORDER BY day_end LIMIT 1) AS day
    FROM outbox WHERE created_at >= ? AND {SENT})
SELECT external_id, day, count(*) AS messages, group_concat(DISTINCT journey_id)
FROM message WHERE day IS NOT NULL
GROUP BY external_id, day HAVING count(*) > ?
ORDER BY messages DESC, day, external_id
"""


def journey_names(db: Database, journey_ids: Sequence[int], first: int) -> dict[int, str]:
    """The names of the journeys forecast together: the one forecast first, then by id."""
    ids = ",".join(str(int(j)) for j in journey_ids) or "NULL"
    rows = db.execute_sql(f"SELECT id, name FROM journey WHERE id IN ({ids}) ORDER BY id")
    names = {int(journey_id): str(name) for journey_id, name in rows}
    ordered = {first: names.pop(first)} if first in names else {}
    ordered.update(names)
    return ordered


def collision_report(
    db: Database,
    bounds: Sequence[DayBounds],
    limit: int,
    names: dict[int, str],
    warnings: Sequence[str] = (),
    *,
    since: int = 0,
) -> CollisionReport:
    """Customers over ``limit`` messages on one local day across the journeys of the copy
    ``db`` (``names``: all of them), most messages first; with the colliding customers per
    day. Counted: the messages the forecast wrote from ``since`` (not the recent ones copied
    for the caps) that are not suppressed, on the day they may go out (held: ``send_at``)."""
    limit = rules.check_limit(limit)
    dates = [b.date for b in bounds]
    with db.atomic():  # the day table lives on this connection, for this statement only
        db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS jd_collision_day"
                       " (day_end INTEGER PRIMARY KEY, idx INTEGER NOT NULL)")
        db.execute_sql(f"DELETE FROM {_DAYS}")
        for index, bound in enumerate(bounds):
            db.execute_sql(f"INSERT INTO {_DAYS} (day_end, idx) VALUES (?, ?)",
                           (int(bound.end), index))
        rows = db.execute_sql(COLLISIONS_SQL, (int(since), limit)).fetchall()
        db.execute_sql(f"DELETE FROM {_DAYS}")
    collisions = rules.collisions_from_rows(rows, dates, names)
    return CollisionReport(
        limit=limit, journeys=list(names.items()), collisions=collisions,
        days=rules.per_day(collisions, dates), warnings=list(warnings),
    )


def skipped_warning(name: str, error: str) -> str:
    """A journey the evaluator skipped at a tick of the forecast, as the report says it."""
    return f"The evaluator skips journey “{name}” at some ticks: {error}"
