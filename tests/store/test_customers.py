"""The customer base read: case-insensitive ID search by keyset, profile, memberships and
the timeline of runs and messages in time order."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.store.audience import AudienceStore
from journey_desktop.store.customers import CustomerBase, MessageItem, RunItem
from journey_desktop.store.evaluator import tick
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import add_members
from tests.store.evaluator_support import DAY, activate, journey_from, two_messages_a_day_apart

NOW = 1_700_000_000
IDS = ["abc", "ABD", "aBx", "b-1", "a%b", "a_b", "a'b", "axb", "Éclair", "école",
       "abcdefghij", "ABCDEFGHIJ", "abcdefgHIJ", "abcdefgXYZ", "z"]


@pytest.fixture
def base(repo: JourneyRepository, tmp_path: Path) -> CustomerBase:
    """The IDs above imported for real (profiles only), as File → Import customers does."""
    path = tmp_path / "customers.csv"
    path.write_text("customerId,firstName\n" + "".join(f"\"{i}\",N {i}\n" for i in IDS),
                    encoding="utf-8")
    result = AudienceStore(repo).import_profiles(ImportPlan.from_preview(preview_csv(path)),
                                                 now=NOW)
    result.rejects.close()
    assert result.added == len(IDS)
    return CustomerBase()


def ids(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.external_id for row in rows]


@pytest.mark.both_databases
def test_search_ignores_case_and_keeps_id_order(base: CustomerBase) -> None:
    expected = sorted(i for i in IDS if i.lower().startswith("ab"))
    assert ids(base.search("ab", 100)) == expected
    assert ids(base.search("AB", 100)) == expected
    assert ids(base.search("aB", 100)) == expected
    assert ids(base.search("éc", 100)) == ["Éclair", "école"]


@pytest.mark.both_databases
def test_search_takes_like_wildcards_and_quotes_literally(base: CustomerBase) -> None:
    assert ids(base.search("a%", 100)) == ["a%b"]
    assert ids(base.search("a_", 100)) == ["a_b"]
    assert ids(base.search("a'", 100)) == ["a'b"]
    assert ids(base.search("A'B", 100)) == ["a'b"]


@pytest.mark.both_databases
def test_search_on_a_long_prefix_ignores_case_past_the_key_ranges(base: CustomerBase) -> None:
    # More letters than become key ranges: the rest is still compared without case.
    assert ids(base.search("abcdefgh", 100)) == ["ABCDEFGHIJ", "abcdefgHIJ", "abcdefghij"]
    assert ids(base.search("ABCDEFGX", 100)) == ["abcdefgXYZ"]


@pytest.mark.both_databases
def test_search_pages_by_keyset(base: CustomerBase) -> None:
    everyone = sorted(IDS)
    seen: list[str] = []
    after = None
    while True:
        page = ids(base.search("", 4, after=after))
        if not page:
            break
        assert len(page) <= 4
        seen += page
        after = page[-1]
    assert seen == everyone
    first = ids(base.search("a", 3))
    second = ids(base.search("A", 3, after=first[-1]))
    assert first + second == sorted(i for i in IDS if i.lower().startswith("a"))[:6]


@pytest.mark.both_databases
def test_search_with_no_match_and_count(base: CustomerBase) -> None:
    assert base.search("nobody", 100) == []
    assert base.search("%", 100) == []
    assert base.count() == len(IDS)


@pytest.mark.both_databases
def test_profile_memberships_and_timeline_in_time_order(repo: JourneyRepository) -> None:
    welcome = activate(repo, journey_from(two_messages_a_day_apart(), name="Welcome"),
                       {"c1": {"firstName": "Ann"}, "c2": {"firstName": "Bob"}}, NOW)
    later = activate(repo, journey_from(two_messages_a_day_apart(), name="autumn"), {}, NOW)
    add_members(later, {"c1": {"city": "Oslo"}}, NOW + 3600)
    draft = repo.create(journey_from(two_messages_a_day_apart(), name="Draft"), now=NOW)
    tick(NOW)
    tick(NOW + 3600)
    tick(NOW + DAY + 3600)
    base = CustomerBase()

    profile = base.profile("c1")
    assert profile is not None
    assert profile.fields == {"firstName": "Ann", "city": "Oslo"}
    assert profile.created_at == NOW
    assert base.profile("C1") is None

    assert [(m.journey_id, m.name, m.status, m.entries) for m in base.memberships("c1")] == [
        (later, "autumn", "active", 1), (welcome, "Welcome", "active", 1)]  # case aside
    assert draft not in [m.journey_id for m in base.memberships("c1")]

    timeline = base.timeline("c1")
    merged = timeline.merged()
    assert [(type(i).__name__, i.journey, i.at) for i in merged] == [
        ("RunItem", "Welcome", NOW),
        ("MessageItem", "Welcome", NOW),
        ("RunItem", "autumn", NOW + 3600),
        ("MessageItem", "autumn", NOW + 3600),
        ("MessageItem", "Welcome", NOW + DAY),
        ("MessageItem", "autumn", NOW + DAY + 3600),
    ]
    first_run = merged[0]
    assert isinstance(first_run, RunItem)
    assert (first_run.entry_number, first_run.state, first_run.end_reason,
            first_run.ended_at) == (1, "completed", "exit", NOW + DAY)
    message = merged[1]
    assert isinstance(message, MessageItem)
    assert (message.node, message.channel, message.title) == ("hello", "push", "Hello Ann")
    assert [m.at for m in timeline.messages] == sorted(m.at for m in timeline.messages)


@pytest.mark.both_databases
def test_unknown_customer_has_nothing(store: Path) -> None:
    base = CustomerBase()
    assert base.profile("ghost") is None
    assert base.memberships("ghost") == []
    assert base.timeline("ghost").merged() == []


@pytest.mark.both_databases
def test_an_import_over_a_profile_keeps_its_fields_in_order(repo: JourneyRepository,
                                                             tmp_path: Path) -> None:
    """A value changed in place, a new field after the others (as ``customers show`` and
    the customers window list them)."""
    for name, text in (("first.csv", "customerId,firstName,city\nc1,Ann,Oslo\n"),
                       ("second.csv", "customerId,plan,firstName\nc1,gold,Anna\n")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = AudienceStore(repo).import_profiles(
            ImportPlan.from_preview(preview_csv(path)), now=NOW)
        result.rejects.close()
    profile = CustomerBase().profile("c1")
    assert profile is not None
    assert list(profile.fields.items()) == [("firstName", "Anna"), ("city", "Oslo"),
                                            ("plan", "gold")]


@pytest.mark.both_databases
def test_a_customer_given_twice_in_a_file_keeps_the_fields_in_order(repo: JourneyRepository,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("customerId,firstName,city\nc1,Ann,Oslo\nc2,Bob,Rome\nc1,Anna,Bergen\n",
                    encoding="utf-8")
    result = AudienceStore(repo).import_profiles(ImportPlan.from_preview(preview_csv(path)),
                                                 now=NOW)
    result.rejects.close()
    profile = CustomerBase().profile("c1")
    assert profile is not None
    assert list(profile.fields.items()) == [("firstName", "Anna"), ("city", "Bergen")]
