import pytest

from journey_desktop.domain.journey import Activation, Duration, minimal_journey
from journey_desktop.store.records import MemberRecord, OutboxRecord, RunRecord
from journey_desktop.store.repository import (
    ACTIVE,
    DEACTIVATED,
    DRAFT,
    JourneyNameError,
    JourneyNotFoundError,
    JourneyRepository,
    LifecycleError,
)
from journey_desktop.store.settings import SettingsRepository
from tests.conftest import add_members, load_example

pytestmark = pytest.mark.both_databases


def add_customers(journey_id: int, count: int, now: int = 1000) -> None:
    add_members(journey_id, {f"c{i}": {"firstName": "Ann"} for i in range(count)}, now)


def test_create_get_and_list(repo):
    journey_id = repo.create(load_example("birthday"))
    stored = repo.get(journey_id)
    assert stored.status == DRAFT
    assert stored.journey.to_dict() == load_example("birthday").to_dict()
    [summary] = repo.summaries()
    assert (summary.id, summary.name, summary.status, summary.audience) == (
        journey_id, "Birthday greetings", DRAFT, 0
    )


def test_names_are_trimmed_and_unique_case_insensitively(repo):
    journey = minimal_journey("  Spring sale  ")
    journey_id = repo.create(journey)
    assert repo.get(journey_id).journey.name == "Spring sale"
    with pytest.raises(JourneyNameError, match="already named"):
        repo.create(minimal_journey("SPRING SALE"))
    with pytest.raises(JourneyNameError, match="required"):
        repo.create(minimal_journey("   "))
    with pytest.raises(JourneyNameError, match="at most 120"):
        repo.create(minimal_journey("x" * 121))
    with pytest.raises(JourneyNameError, match="control characters"):
        repo.create(minimal_journey("Sale\x00"))
    with pytest.raises(JourneyNameError, match="visible character"):
        repo.create(minimal_journey("\u200b"))
    assert repo.count() == 1


def test_save_draft(repo):
    journey_id = repo.create(minimal_journey("Draft"))
    journey = repo.get(journey_id).journey
    journey.description = "changed"
    journey.name = "Draft renamed"
    repo.save(journey_id, journey)
    stored = repo.get(journey_id)
    assert (stored.journey.name, stored.journey.description) == ("Draft renamed", "changed")


def test_save_may_keep_its_own_name_in_other_case(repo):
    journey_id = repo.create(minimal_journey("Draft"))
    journey = repo.get(journey_id).journey
    journey.name = "DRAFT"
    repo.save(journey_id, journey)
    assert repo.get(journey_id).journey.name == "DRAFT"


def test_active_journey_cannot_be_saved(repo):
    journey_id = repo.create(load_example("birthday"))
    assert repo.activate(journey_id).ok
    journey = repo.get(journey_id).journey
    journey.description = "sneaky edit"
    with pytest.raises(LifecycleError, match="it is active; clone it"):
        repo.save(journey_id, journey)
    assert repo.get(journey_id).journey.description != "sneaky edit"


def test_activate_refuses_invalid_journey(repo):
    journey = load_example("birthday")
    journey.nodes[1].content["title"] = ""
    journey_id = repo.create(journey)
    result = repo.activate(journey_id)
    assert not result.ok
    assert [str(p) for p in result.errors] == ["greet.title: push title is empty"]
    assert repo.get(journey_id).status == DRAFT


def test_activate_stores_options_and_freezes(repo):
    journey_id = repo.create(load_example("birthday"))
    options = Activation(allow_reentry=True, max_entries=3, timeout=Duration(2, "hours"))
    assert repo.activate(journey_id, options, now=5000).ok
    stored = repo.get(journey_id)
    assert stored.status == ACTIVE
    assert stored.activated_at == 5000
    assert stored.journey.activation == options
    with pytest.raises(LifecycleError):
        repo.activate(journey_id)


def test_activation_makes_draft_audience_due(repo):
    journey_id = repo.create(load_example("birthday"))
    add_customers(journey_id, 3, now=100)
    repo.activate(journey_id, now=7000)
    assert {c.next_check_at for c in MemberRecord.select()} == {7000}


def test_deactivate_is_final_and_stops_runs(repo):
    journey_id = repo.create(load_example("birthday"))
    with pytest.raises(LifecycleError, match="it is a draft; only an active journey"):
        repo.deactivate(journey_id)
    repo.activate(journey_id)
    add_customers(journey_id, 2)
    RunRecord.create(journey=journey_id, external_id="c0", entry_number=1, node="greet",
                     due_at=10, started_at=1)
    assert repo.deactivate(journey_id, now=9000) == 1
    run = RunRecord.get()
    assert (run.state, run.end_reason, run.ended_at, run.due_at) == (
        "stopped", "deactivated", 9000, None)
    assert repo.get(journey_id).status == DEACTIVATED
    with pytest.raises(LifecycleError, match="deactivated, which is final"):
        repo.activate(journey_id)
    with pytest.raises(LifecycleError):
        repo.save(journey_id, repo.get(journey_id).journey)
    assert all(c.next_check_at is None for c in MemberRecord.select())


def test_clone_names_and_is_a_draft(repo):
    journey_id = repo.create(load_example("birthday"))
    repo.activate(journey_id, Activation(True, 5, Duration(1, "days")))
    first = repo.clone(journey_id)
    second = repo.clone(journey_id)
    third = repo.clone(first)
    assert repo.get(first).journey.name == "Copy of Birthday greetings"
    assert repo.get(second).journey.name == "Copy of Birthday greetings (2)"
    assert repo.get(third).journey.name == "Copy of Copy of Birthday greetings"
    assert repo.get(first).status == DRAFT
    assert repo.get(first).journey.activation == Activation(True, 5, Duration(1, "days"))
    named = repo.clone(journey_id, name="Autumn birthdays")
    assert repo.get(named).journey.name == "Autumn birthdays"


def test_clone_of_deactivated_journey(repo):
    journey_id = repo.create(load_example("birthday"))
    repo.activate(journey_id)
    repo.deactivate(journey_id)
    assert repo.get(repo.clone(journey_id)).status == DRAFT


def test_clone_copies_audience_only_on_request(repo):
    journey_id = repo.create(load_example("birthday"))
    add_customers(journey_id, 4)
    repo.set_audience_columns(journey_id, {"firstName": "text"})
    MemberRecord.update(entries=2).execute()
    bare = repo.clone(journey_id)
    full = repo.clone(journey_id, with_audience=True, now=4242)
    assert repo.summary(bare).audience == 0
    assert repo.summary(full).audience == 4
    copied = MemberRecord.select().where(MemberRecord.journey == full)
    # The clone is a draft: its customers become due when it is activated.
    assert {(c.entries, c.next_check_at, c.first_check_at, c.imported_at) for c in copied} == {
        (0, None, None, 4242)
    }
    assert repo.get(full).audience_columns == {"firstName": "text"}


def test_remove_cascades_and_reports_counts(repo):
    keep = repo.create(minimal_journey("Keep"))
    gone = repo.create(load_example("birthday"))
    add_customers(keep, 1)
    add_customers(gone, 3)
    RunRecord.create(journey=gone, external_id="c0", entry_number=1, node="greet", started_at=1)
    OutboxRecord.create(journey=gone, external_id="c0", entry_number=1, node="greet",
                        channel="push", due_at=1, created_at=1)
    counts = repo.remove(gone)
    assert (counts.audience, counts.runs, counts.messages) == (3, 1, 1)
    with pytest.raises(JourneyNotFoundError):
        repo.get(gone)
    assert MemberRecord.select().count() == 1
    assert RunRecord.select().count() == 0
    assert OutboxRecord.select().count() == 0


def test_find_by_id_or_name(repo):
    journey_id = repo.create(minimal_journey("Spring"))
    assert repo.find(str(journey_id)).id == journey_id
    assert repo.find("Spring").id == journey_id
    with pytest.raises(JourneyNotFoundError, match="no journey with id or name 'Autumn'"):
        repo.find("Autumn")


def test_summaries_count_per_journey(repo):
    a = repo.create(minimal_journey("A"))
    b = repo.create(minimal_journey("B"))
    add_customers(a, 5)
    RunRecord.create(journey=b, external_id="x", entry_number=1, node="n", started_at=1)
    RunRecord.create(journey=b, external_id="y", entry_number=1, node="n", started_at=1,
                     state="completed")
    rows = {s.name: (s.audience, s.entered, s.in_progress) for s in repo.summaries()}
    assert rows == {"A": (5, 0, 0), "B": (0, 2, 1)}


def test_list_counts_are_read_in_one_snapshot(repo, store, store_url, monkeypatch):
    """A tick committing a run between the counts of entered and in progress (on another
    connection) shows in both or in neither, never in progress > entered."""
    journey_id = repo.create(load_example("birthday"))
    other = another_connection(store, store_url)
    counted: list[object] = []
    count = JourneyRepository._counts

    def tick_commits_between_the_counts(*args):  # type: ignore[no-untyped-def]
        counted.append(args)
        if len(counted) == 3:  # audience and entered counted, in progress not yet
            other.execute(
                "INSERT INTO run (journey_id, external_id, entry_number, state, node, due_at,"
                " started_at, path) VALUES (?, 'c1', 1, 'in_progress', 'n', 0, 0, '')",
                (journey_id,))
        return count(*args)

    monkeypatch.setattr(JourneyRepository, "_counts",
                        staticmethod(tick_commits_between_the_counts))
    try:
        (row,) = repo.summaries()
    finally:
        other.close()
    assert len(counted) >= 3
    assert (row.entered, row.in_progress) == (0, 0)
    (row,) = repo.summaries()
    assert (row.entered, row.in_progress) == (1, 1)


def another_connection(store, store_url):  # type: ignore[no-untyped-def]
    """A second connection to the test's database, each statement committed at once."""
    if store_url is None:
        import sqlite3

        return sqlite3.connect(store / "journeys.db", isolation_level=None)
    import psycopg

    from journey_desktop.store.postgres import to_psycopg

    class Connection:
        def __init__(self) -> None:
            self.conn = psycopg.connect(store_url, autocommit=True)

        def execute(self, sql: str, params: tuple = ()) -> None:
            self.conn.execute(to_psycopg(sql), params)

        def close(self) -> None:
            self.conn.close()

    return Connection()


@pytest.mark.both_databases
def test_tick_interval_setting(store):
    settings = SettingsRepository()
    assert settings.tick_interval() == 600
    settings.set_tick_interval(30)
    assert settings.tick_interval() == 30
    settings.set_tick_interval(45)  # written over, on either database
    assert settings.tick_interval() == 45
    with pytest.raises(Exception, match="at least 10 seconds"):
        settings.set_tick_interval(5)


@pytest.mark.parametrize(
    "stored, used",
    [("9999999999", SettingsRepository.MAX_TICK_INTERVAL), ("3", 10), ("soon", 600),
     ("9" * 5000, 600)],
)
def test_a_stored_tick_interval_out_of_range_is_brought_within_it_and_logged(
    store, caplog, stored, used
):
    settings = SettingsRepository()
    settings.set(SettingsRepository.TICK_INTERVAL, stored)
    with caplog.at_level("WARNING", logger="journey_desktop.store.repository"):
        assert settings.tick_interval() == used
    assert "tick interval" in caplog.text


def test_the_tick_interval_is_at_most_a_day(store):
    settings = SettingsRepository()
    settings.set_tick_interval(86_400)
    with pytest.raises(Exception, match="at most 24 hours"):
        settings.set_tick_interval(700 * 3600)
    assert settings.tick_interval() == 86_400


def test_rows_to_count_grows_with_customers_runs_and_messages(repo):
    assert repo.rows_to_count() == 0
    journey_id = repo.create(load_example("birthday"))
    add_customers(journey_id, 7)
    assert repo.rows_to_count() == 7
