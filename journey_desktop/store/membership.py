"""Who a journey applies to, in SQL both databases run: everyone enrolled, the audience's
size (SPEC §4). Used by the repository, the statistics and the forecast's copy."""

from __future__ import annotations

from peewee import Database

from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.domain.lifecycle import DRAFT


def audience_lock(journey_id: int) -> str:
    """The name of the lock (``dialect.lock_writers``) an audience import and an activation
    of the journey take first: neither runs while the other writes the journey's members
    (an activation would miss the draft's customers an import is still adding)."""
    return f"journey-desktop audience {int(journey_id)}"


def enrol_everyone(db: Database, journey_id: int, stamp: int) -> None:
    """Make every profile a member of a journey whose audience is everyone, due at
    ``stamp``; later profiles join as they are imported. Members keep their state."""
    db.execute_sql(
        "INSERT INTO member (journey_id, external_id, entries, first_check_at, next_check_at,"
        " imported_at) SELECT ?, external_id, 0, NULL, ?, ? FROM profile WHERE true"
        " ON CONFLICT DO NOTHING",
        (journey_id, stamp, stamp),
    )


def count_audience(db: Database, journey_id: int) -> int:
    """A journey's audience size: its members; a draft for everyone counts the whole
    customer base, which is what activation will enrol."""
    row = db.execute_sql(
        "SELECT status, audience FROM journey WHERE id = ?", (journey_id,)
    ).fetchone()
    if row is not None and row[0] == DRAFT and row[1] == AUDIENCE_ALL:
        (count,) = db.execute_sql("SELECT count(*) FROM profile").fetchone()
    else:
        (count,) = db.execute_sql(
            "SELECT count(*) FROM member WHERE journey_id = ?", (journey_id,)
        ).fetchone()
    return int(count)
