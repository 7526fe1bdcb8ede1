"""The forecast on a team database (SPEC §8, §14): the same figures, traces and collisions
as on the SQLite file holding the same rows, runs in progress and caps' history included;
the team database itself is only read."""

from __future__ import annotations

import io
import json

import pytest

from journey_desktop.cli import run_command
from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.domain.journey import Journey
from journey_desktop.domain.policy import Cap, Policy
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.events import EventStore
from journey_desktop.store.forecast import run_forecast, source_path
from journey_desktop.store.plan import keep_activation_forecast, plan_against_actual
from journey_desktop.store.policy import save_policy
from journey_desktop.store.settings import SettingsRepository
from tests.conftest import load_example
from tests.store.evaluator_support import DAY, MADRID, activate, local
from tests.store.test_forecast import audience, row_counts
from tests.store.test_forecast_goals import PUSH, customers

pytestmark = pytest.mark.both_databases
START = local(2027, 2, 15, 9, 0)
HOUR = 3600


def prepared(repo) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Two journeys active a day before the start, ticked hourly until then (runs waiting,
    messages sent), with a cap whose history the forecast must count."""
    SettingsRepository().set_tick_interval(HOUR)
    save_policy(Policy(caps=(Cap.parse("any:2/2d"),)))
    ids = {name: activate(repo, load_example(name), audience(), START - DAY)
           for name in ("welcome-series", "daily-promotion")}
    evaluator = Evaluator(tz=MADRID)
    for moment in range(START - DAY, START, HOUR):
        evaluator.tick(moment)
    return ids


def forecast_json(journey_id: int, customers: list[str]) -> dict:
    with run_forecast(journey_id, days=5, start=START, tz=MADRID, collisions=1) as result:
        data = json.loads(json.dumps(result.to_json()))
        data["traces"] = {ext: [(s.entry_number, s.node, s.reached_at)
                                for s in result.trace(ext)] for ext in customers}
    return data


@pytest.fixture
def expected(repo, data_dir, store_url, tmp_path, database_kind):  # type: ignore[no-untyped-def]
    """The forecasts on SQLite, made in a data folder of their own; then the test's store
    open again."""
    if database_kind == "sqlite":
        return None
    from journey_desktop.store import close_store, open_store

    close_store()
    folder = tmp_path / "sqlite"
    open_store(folder)
    ids = prepared(repo)
    figures = {name: forecast_json(jid, list(audience())) for name, jid in ids.items()}
    close_store()
    open_store(data_dir, url=store_url)
    return figures


def test_the_forecast_gives_the_same_figures_on_both_databases(repo, expected, database_kind):
    ids = prepared(repo)
    before = row_counts()
    figures = {name: forecast_json(jid, list(audience())) for name, jid in ids.items()}
    assert row_counts() == before
    welcome = figures["welcome-series"]
    assert welcome["days"][0]["in_progress"] > 0  # the runs waiting were copied
    assert sum(d["suppressed"] for d in figures["daily-promotion"]["days"]) > 0  # the cap
    assert welcome["collisions"]
    assert any(welcome["traces"].values())
    if database_kind == "postgres":
        assert source_path() is None
        assert figures == expected


def test_the_forecast_command_on_a_team_database(repo, store, store_url):
    ids = prepared(repo)
    out, err = io.StringIO(), io.StringIO()
    where = ["--database", store_url] if store_url else []
    code = run_command(["--data-dir", str(store), *where, "forecast", "Welcome series",
                        "--days", "3", "--from", "2027-02-15T09:00:00+01:00", "--json"],
                       out=out, err=err)
    assert code == 0, err.getvalue()
    with run_forecast(ids["welcome-series"], days=3, start=START) as result:
        assert json.loads(out.getvalue()) == json.loads(json.dumps(result.to_json()))
        assert result.totals.message_total > 0


def test_the_forecast_kept_at_activation_and_held_against_the_days(repo, store):
    journey_id = activate(repo, load_example("welcome-series"), audience(), START)
    assert keep_activation_forecast(journey_id, days=5, tz=MADRID).days == 5
    plan = plan_against_actual(journey_id, now=START + DAY, tz=MADRID)
    assert [day.day.isoformat() for day in plan.days] == ["2027-02-15", "2027-02-16"]
    assert plan.days[0].forecast_entered > 0
    assert plan.days[0].entered == 0  # nothing ticked yet: the journey parts from its plan
    assert plan.summary().startswith("The journey parts from its forecast on 2027-02-15")


ONE_PUSH = {
    "format": "journey-desktop/1", "name": "One push",
    "nodes": [{"id": "start", "type": "entry", "next": "hi"},
              {"id": "hi", **PUSH, "next": "end"}, {"id": "end", "type": "exit"}],
    "goal": {"event": "purchase", "within": {"value": 3, "unit": "days"}},
}


@pytest.fixture
def goal_expected(repo, data_dir, store_url, tmp_path, database_kind):  # type: ignore[no-untyped-def]
    """The goal journey's forecast on SQLite, in a data folder of its own; then the test's
    store open again."""
    if database_kind == "sqlite":
        return None
    from journey_desktop.store import close_store, open_store

    close_store()
    folder = tmp_path / "sqlite"
    open_store(folder)
    figures = goal_forecast(repo, tmp_path)
    close_store()
    open_store(data_dir, url=store_url)
    return figures


def goal_forecast(repo, tmp_path) -> dict:  # type: ignore[no-untyped-def]
    """Runs ended before the start whose goal window is still open, events already
    imported, and an events file replayed: the conversions the forecast counts."""
    jid = activate(repo, Journey.from_dict(ONE_PUSH), customers(0, 6), START - DAY)
    Evaluator(tz=MADRID).tick(START - DAY)
    path = tmp_path / "before.jsonl"
    path.write_text("".join(json.dumps({"userId": f"u{user:02d}", "event": "visit",
                                        "timestamp": START - HOUR}) + "\n"
                            for user in range(4)), encoding="utf-8")
    plan = EventPlan.from_preview(preview_events(path, max_rows=0))
    assert EventStore().import_file(plan, now=START - 1, tz=MADRID).committed
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps({"userId": f"u{user:02d}", "event": "purchase",
                                          "timestamp": START + DAY + user}) + "\n"
                              for user in (1, 2, 3)), encoding="utf-8")
    with run_forecast(jid, days=4, start=START, tz=MADRID, tick_interval=HOUR,
                      events=events) as result:
        return json.loads(json.dumps(result.to_json()))


def test_a_goal_forecast_with_events_is_the_same_on_both_databases(
        repo, store, store_url, tmp_path, goal_expected, database_kind):
    data = goal_forecast(repo, tmp_path)
    assert data["totals"]["conversions"] == 3  # runs ended before the start convert
    if database_kind == "postgres":
        assert data == goal_expected
