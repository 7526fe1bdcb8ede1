"""What the plan against actual names as a reason (SPEC §15) that no table keeps: when the
messaging policy changed, and how many members each replacing audience import removed
(their rows are deleted). Kept in the settings, the last few of each, written in the
transaction of the change they note."""

from __future__ import annotations

import json
from typing import Any

from peewee import Database

POLICY_CHANGES_KEY = "messaging_policy_changes"
REMOVALS_KEY = "audience_removed:{}"  # per journey: [[time, members removed], ...]
KEPT = 50  # the last changes kept: the reason looks at those after an activation


def _read(db: Database, key: str) -> list[Any]:
    row = db.execute_sql("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    try:
        value = json.loads(row[0]) if row is not None else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _append(db: Database, key: str, item: Any) -> None:
    items = [*_read(db, key), item][-KEPT:]
    db.execute_sql("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key)"
                   " DO UPDATE SET value = excluded.value", (key, json.dumps(items)))


def note_policy_change(db: Database, now: int) -> None:
    _append(db, POLICY_CHANGES_KEY, int(now))


def policy_changes(db: Database) -> list[int]:
    """When the messaging policy was changed (set or cleared), oldest first."""
    return sorted(int(at) for at in _read(db, POLICY_CHANGES_KEY) if isinstance(at, int))


def note_removed(db: Database, journey_id: int, now: int, removed: int) -> None:
    _append(db, REMOVALS_KEY.format(int(journey_id)), [int(now), int(removed)])


def removals(db: Database, journey_id: int) -> list[tuple[int, int]]:
    """(when, how many) of each replacing import that removed members of the journey."""
    return sorted((int(item[0]), int(item[1]))
                  for item in _read(db, REMOVALS_KEY.format(int(journey_id)))
                  if isinstance(item, list) and len(item) == 2)


def forget_journey(db: Database, journey_id: int) -> None:
    """A removed journey's notes go with it."""
    db.execute_sql("DELETE FROM setting WHERE key = ?", (REMOVALS_KEY.format(int(journey_id)),))
