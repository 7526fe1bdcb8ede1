"""Helpers for the evaluator tests: audiences written straight to the store, outbox reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.journey import Journey
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import add_members

MADRID = ZoneInfo("Europe/Madrid")
DAY = 86400


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0,
          tz: dt.tzinfo = MADRID) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=tz).timestamp())


def add_customers(journey_id: int, customers: dict[str, dict[str, Any]], now: int) -> None:
    """Customers as an import leaves them: due for their first check at the next tick."""
    add_members(journey_id, customers, now)


def import_customers(repo: JourneyRepository, folder: Path, text: str, now: int) -> None:
    """File → Import customers… with a CSV ``text``: the store's one way of changing
    profiles once customers are in a journey (what the exit rules on fields rely on)."""
    from journey_desktop.store.audience import AudienceStore

    path = folder / f"customers-{now}.csv"
    path.write_text(text, encoding="utf-8")
    result = AudienceStore(repo).import_profiles(ImportPlan.from_preview(preview_csv(path)),
                                                 now=now)
    result.rejects.close()
    assert result.committed, result


def remove_customers(journey_id: int, external_ids: list[str]) -> None:
    """What a replace import does to customers missing from the new file."""
    for ext in external_ids:
        database.execute_sql(
            "DELETE FROM member WHERE journey_id = ? AND external_id = ?", (journey_id, ext)
        )


def activate(repo: JourneyRepository, journey: Journey, customers: dict[str, dict[str, Any]],
             now: int) -> int:
    journey_id = repo.create(journey, now=now)
    add_customers(journey_id, customers, now)
    result = repo.activate(journey_id, now=now)
    assert result.ok, result.problems
    return journey_id


def outbox(journey_id: int | None = None) -> list[tuple[Any, ...]]:
    """(customer, entry, node, channel, title, body, url, due_at) rows in a stable order."""
    where, params = ("WHERE journey_id = ?", (journey_id,)) if journey_id is not None else ("", ())
    return list(database.execute_sql(
        "SELECT external_id, entry_number, node, channel, title, body, url, due_at FROM outbox "
        f"{where} ORDER BY journey_id, external_id, entry_number, node",
        params,
    ))


def runs(journey_id: int) -> list[tuple[Any, ...]]:
    return list(database.execute_sql(
        "SELECT external_id, entry_number, state, end_reason, node FROM run "
        "WHERE journey_id = ? ORDER BY external_id, entry_number",
        (journey_id,),
    ))


def journey_from(nodes: list[dict[str, Any]], *, reentry: bool = False,
                 max_entries: int | None = None, timeout_days: int = 1,
                 name: str = "Test journey") -> Journey:
    return Journey.from_dict({
        "format": "journey-desktop/1",
        "name": name,
        "nodes": nodes,
        "activation": {"allow_reentry": reentry, "max_entries": max_entries,
                       "timeout": {"value": timeout_days, "unit": "days"}},
    })


def two_messages_a_day_apart(at_time: str | None = None) -> list[dict[str, Any]]:
    wait: dict[str, Any] = {"id": "pause", "type": "wait",
                            "duration": {"value": 1, "unit": "days"}, "next": "again"}
    if at_time:
        wait["at_time"] = at_time
    return [
        {"id": "start", "type": "entry", "next": "hello"},
        {"id": "hello", "type": "message", "channel": "push", "title": "Hello {{firstName}}",
         "body": "Welcome {{firstName}} {{missing}}!", "next": "pause"},
        wait,
        {"id": "again", "type": "message", "channel": "email", "subject": "Still there?",
         "body": "Hi {{firstName}}", "from_name": "The Team", "next": "end"},
        {"id": "end", "type": "exit"},
    ]
