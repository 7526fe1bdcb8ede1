"""One customer base (SPEC §4): profiles imported alone, journeys for everyone, and one
profile read by every journey the customer is in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.journey import Journey
from journey_desktop.store.audience import AudienceStore, ImportResult
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.store.stats import journey_stats
from tests.store.evaluator_support import MADRID, outbox

NOW = 1_750_000_000


def journey(name: str, *, audience: str = "csv", plan: str | None = None) -> Journey:
    """Entry (on ``plan`` when given), one push, exit."""
    entry: dict[str, Any] = {"id": "start", "type": "entry", "next": "hello"}
    if plan is not None:
        entry["filter"] = {"match": "all", "conditions": [
            {"field": "plan", "op": "equals", "value": plan}]}
    return Journey.from_dict({
        "format": "journey-desktop/1", "name": name, "audience": audience,
        "nodes": [entry,
                  {"id": "hello", "type": "message", "channel": "push",
                   "title": "Hello {{firstName}}", "body": "Hi", "next": "end"},
                  {"id": "end", "type": "exit"}],
    })


def plan_of(tmp_path: Path, text: str, name: str = "customers.csv") -> ImportPlan:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return ImportPlan.from_preview(preview_csv(path))


def closed(result: ImportResult) -> ImportResult:
    result.rejects.close()
    return result


def profiles() -> dict[str, dict[str, str]]:
    return {ext: json.loads(fields) for ext, fields in
            database.execute_sql("SELECT external_id, fields FROM profile")}


def members() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for journey_id, ext in database.execute_sql(
            "SELECT journey_id, external_id FROM member ORDER BY journey_id, external_id"):
        found.setdefault(journey_id, []).append(ext)
    return found


@pytest.mark.both_databases
def test_a_profile_import_updates_profiles_in_place_and_joins_no_audience(
    tmp_path: Path, repo: JourneyRepository
) -> None:
    draft = repo.create(journey("Draft"), now=NOW)
    draft_all = repo.create(journey("Draft for everyone", audience="all"), now=NOW)
    store = AudienceStore(repo)
    closed(store.import_profiles(plan_of(tmp_path, "id,firstName,plan\na,Ann,gold\n", "a.csv"),
                                 now=NOW))
    result = closed(store.import_profiles(
        plan_of(tmp_path, "id,plan\na,premium\nb,free\na,free\n"), now=NOW + 60))
    assert (result.committed, result.read, result.added, result.updated, result.duplicates) == (
        True, 3, 1, 1, 1)
    assert profiles() == {"a": {"firstName": "Ann", "plan": "free"}, "b": {"plan": "free"}}
    assert members() == {}
    assert repo.summary(draft).audience == 0
    assert repo.summary(draft_all).audience == 2  # everyone: the base, once activated
    assert repo.activate(draft_all, now=NOW + 120).ok
    assert members() == {draft_all: ["a", "b"]}


@pytest.mark.both_databases
def test_a_customer_imported_after_activation_joins_and_enters_an_everyone_journey(
    tmp_path: Path, repo: JourneyRepository
) -> None:
    everyone = repo.create(journey("Everyone", audience="all"), now=NOW)
    imported = repo.create(journey("Imported"), now=NOW)
    assert repo.activate(everyone, now=NOW).ok and repo.activate(imported, now=NOW).ok
    result = closed(AudienceStore(repo).import_profiles(
        plan_of(tmp_path, "customerId,firstName\nc1,Ann\n"), now=NOW + 60))
    assert result.added == 1
    assert members() == {everyone: ["c1"]}
    Evaluator(tz=MADRID).tick(NOW + 120)
    assert [(ext, node, title) for ext, _n, node, _c, title, *_ in outbox(everyone)] == [
        ("c1", "hello", "Hello Ann")]
    assert outbox(imported) == []


@pytest.mark.both_databases
def test_an_import_into_one_journey_changes_what_anothers_filter_sees(
    tmp_path: Path, repo: JourneyRepository
) -> None:
    store = AudienceStore(repo)
    premium = repo.create(journey("Premium welcome", plan="premium"), now=NOW)
    upgrades = repo.create(journey("Upgrades"), now=NOW)
    closed(store.import_csv(premium, plan_of(tmp_path, "id,firstName,plan\na,Ann,free\n"
                                             "b,Bob,free\n", "p.csv"), now=NOW))
    assert repo.activate(premium, now=NOW).ok
    # Before the premium journey's first tick, another journey's file upgrades Ann.
    closed(store.import_csv(upgrades, plan_of(tmp_path, "id,plan\na,premium\n"), now=NOW + 10))
    assert profiles() == {"a": {"firstName": "Ann", "plan": "premium"},
                          "b": {"firstName": "Bob", "plan": "free"}}
    Evaluator(tz=MADRID).tick(NOW + 60, [premium])
    assert [(ext, title) for ext, _n, _node, _c, title, *_ in outbox(premium)] == [
        ("a", "Hello Ann")]


@pytest.mark.both_databases
def test_a_draft_for_everyone_counts_the_customer_base_in_the_list_and_the_stats(
    tmp_path: Path, repo: JourneyRepository
) -> None:
    everyone = repo.create(journey("Everyone", audience="all"), now=NOW)
    closed(AudienceStore(repo).import_profiles(plan_of(tmp_path, "id\na\nb\nc\n"), now=NOW))
    [listed] = repo.summaries()
    assert listed.audience == repo.summary(everyone).audience == 3
    assert journey_stats(everyone).audience == 3
    assert repo.activate(everyone, now=NOW).ok
    assert journey_stats(everyone).audience == repo.summary(everyone).audience == 3
