"""The customer base's fields (SPEC §2, §4): recorded by every import, whichever way it
came, and what validation and the editor know for every journey."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_desktop.store.audience import AudienceStore
from journey_desktop.store.customer_fields import SAMPLE_PROFILES
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from tests.store.test_customer_base import closed, journey, plan_of

pytestmark = pytest.mark.both_databases

NOW = 1_750_000_000


def warnings(repo: JourneyRepository, journey_id: int) -> list[str]:
    return [str(p) for p in repo.validate(journey_id).warnings]


def test_fields_imported_alone_are_known_to_every_journey(
        repo: JourneyRepository, tmp_path: Path) -> None:
    store = AudienceStore(repo)
    closed(store.import_profiles(plan_of(tmp_path, "customerId,firstName,age\nc1,Ann,40\n"),
                                 now=NOW))
    imported = repo.create(journey("Imported"))  # its title says {{firstName}}
    everyone = repo.create(journey("Everyone", audience="all"))
    closed(store.import_csv(imported, plan_of(tmp_path, "customerId,score\nc1,5\n", "a2.csv"),
                            now=NOW))
    assert repo.known_fields() == {"firstName": "text", "age": "number", "score": "number"}
    for journey_id in (imported, everyone):
        assert warnings(repo, journey_id) == []
        assert repo.summary(journey_id).columns() == repo.known_fields()
    assert {s.id: s.columns() for s in repo.summaries()} == {
        imported: repo.known_fields(), everyone: repo.known_fields()}


def test_a_field_known_nowhere_still_warns(repo: JourneyRepository, tmp_path: Path) -> None:
    closed(AudienceStore(repo).import_profiles(
        plan_of(tmp_path, "customerId,city\nc1,Oslo\n"), now=NOW))
    journey_id = repo.create(journey("Hello"))
    assert warnings(repo, journey_id) == [
        "hello.title: placeholder {{firstName}} is not a known customer field"]


def test_a_fields_type_is_the_one_its_last_import_gave(
        repo: JourneyRepository, tmp_path: Path) -> None:
    store = AudienceStore(repo)
    closed(store.import_profiles(plan_of(tmp_path, "customerId,code\nc1,A7\n"), now=NOW))
    assert repo.known_fields() == {"code": "text"}
    journey_id = repo.create(journey("Hello"))
    closed(store.import_csv(journey_id, plan_of(tmp_path, "customerId,code\nc1,7\n", "b.csv"),
                            now=NOW))
    assert repo.known_fields() == {"code": "number"}


def test_the_fields_are_read_without_reading_every_profile(
        repo: JourneyRepository, tmp_path: Path) -> None:
    rows = "".join(f"c{i:03d},Ann\n" for i in range(SAMPLE_PROFILES + 50))
    closed(AudienceStore(repo).import_profiles(
        plan_of(tmp_path, "customerId,firstName\n" + rows), now=NOW))
    # A field no import brought is not looked for among a million profiles: only a sample.
    database.execute_sql("UPDATE profile SET fields = ? WHERE external_id = ?",
                         ('{"firstName": "Ann", "x": "1"}', f"c{SAMPLE_PROFILES + 10:03d}"))
    assert repo.known_fields() == {"firstName": "text"}


def test_fields_of_profiles_imported_before_they_were_recorded_are_known(
        repo: JourneyRepository, tmp_path: Path) -> None:
    """A database upgraded from before imports recorded their fields: the fields a
    customers import gave every profile are in no journey's columns, and still known."""
    closed(AudienceStore(repo).import_profiles(
        plan_of(tmp_path, "customerId,firstName,age\nc1,Ann,40\nc2,Bob,7\n"), now=NOW))
    database.execute_sql("DELETE FROM setting WHERE key LIKE 'customer\\_field:%' ESCAPE '\\'")
    journey_id = repo.create(journey("Hello"))  # its title says {{firstName}}
    closed(AudienceStore(repo).import_csv(
        journey_id, plan_of(tmp_path, "customerId,score\nc1,5\n", "a.csv"), now=NOW))
    assert repo.known_fields() == {"score": "number", "firstName": "text", "age": "number"}
    assert warnings(repo, journey_id) == []
