"""Several editors in words (SPEC §14): who changed a journey and when, as the save
conflict, the editor's banner and the command line say it."""

from __future__ import annotations

import datetime as dt

from journey_desktop.domain.when_words import day_and_time

SOMEONE = "someone else"


def who(updated_by: str | None) -> str:
    """The writer's name as stored, or "someone else" for a change made before names
    were kept."""
    return (updated_by or "").strip() or SOMEONE


def changed_when(updated_at: int, now: int, tz: dt.tzinfo | None = None) -> str:
    """"at 14:05" today, "yesterday at 14:05", "on 4 Dec at 14:05"."""
    return day_and_time(updated_at, now, tz).removeprefix("today ")


def changed_text(updated_by: str | None, name: str, updated_at: int, now: int,
                 tz: dt.tzinfo | None = None) -> str:
    """"Anna changed “Welcome” at 14:05"."""
    writer = who(updated_by)
    if writer == SOMEONE:  # a sentence starts with a capital; a login name stays as it is
        writer = writer.capitalize()
    return f"{writer} changed “{name}” {changed_when(updated_at, now, tz)}"


def conflict_text(updated_by: str | None, name: str, updated_at: int, now: int,
                  tz: dt.tzinfo | None = None) -> str:
    """A save refused because the journey is newer than the one being edited."""
    return (f"{changed_text(updated_by, name, updated_at, now, tz)}; reload it or save "
            "your version as a copy")


def changed_by_text(updated_by: str | None, updated_at: int, now: int,
                    tz: dt.tzinfo | None = None) -> str:
    """"changed by Anna at 14:05": what an editor with unsaved changes shows."""
    return f"changed by {who(updated_by)} {changed_when(updated_at, now, tz)}"
