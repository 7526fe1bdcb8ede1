"""Plan against actual (SPEC §15) says where the journey parts from its forecast: a
messaging policy changed after activation, profiles updated by a customers import, members
removed by a replacing audience import."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.policy import Cap, Policy
from journey_desktop.store.audience import REPLACE, AudienceStore
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.plan import keep_activation_forecast, plan_against_actual
from journey_desktop.store.policy import save_policy
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    import_customers,
    journey_from,
    local,
    two_messages_a_day_apart,
)

pytestmark = pytest.mark.both_databases
START = local(2025, 5, 12, 10, 0)


def started(repo, nodes=None, customers=None) -> int:  # type: ignore[no-untyped-def]
    """Activated at START with its forecast kept, and the first day's tick run."""
    journey_id = activate(repo, journey_from(nodes or two_messages_a_day_apart()),
                          customers or {"c0": {"firstName": "A"}, "c1": {"firstName": "B"}},
                          START)
    keep_activation_forecast(journey_id, days=30, tz=MADRID)
    Evaluator(tz=MADRID).tick(START)
    return journey_id


def second_day(journey_id: int) -> str:
    Evaluator(tz=MADRID).tick(START + DAY)
    plan = plan_against_actual(journey_id, now=START + 2 * DAY, tz=MADRID)
    assert plan.parted is not None and plan.parted.isoformat() == "2025-05-13"
    return plan.summary()


def test_a_policy_changed_after_activation_is_named_with_what_it_kept_back(repo):
    journey_id = started(repo)
    save_policy(Policy(caps=(Cap.parse("any:1/2d"),)), now=START + 3600)
    assert second_day(journey_id) == (
        "The journey parts from its forecast on 2025-05-13: the messaging policy was changed "
        "after activation (on 2025-05-12): since then 2 messages were suppressed.")


def test_a_policy_there_before_activation_is_not_named(repo):
    save_policy(Policy(caps=(Cap.parse("any:1/2d"),)), now=START - 3600)
    journey_id = started(repo)
    Evaluator(tz=MADRID).tick(START + DAY)
    plan = plan_against_actual(journey_id, now=START + 2 * DAY, tz=MADRID)
    assert plan.parted is None, plan.summary()


def test_profiles_updated_by_a_customers_import_after_activation_are_named(repo, tmp_path):
    nodes = two_messages_a_day_apart()
    nodes[2]["next"] = "check"  # after the wait: premium customers only
    nodes.insert(3, {"id": "check", "type": "condition", "filter": {"match": "all", "conditions": [
        {"field": "plan", "op": "equals", "value": "premium"}]}, "yes": "again", "no": "end"})
    journey_id = started(repo, nodes, {"c0": {"plan": "free"}, "c1": {"plan": "free"}})
    import_customers(repo, tmp_path, "customerId,plan\nc0,premium\nother,premium\n",
                     START + 3600)
    assert second_day(journey_id) == (
        "The journey parts from its forecast on 2025-05-13: 1 customer of its audience had "
        "its profile updated by an import after activation (from 2025-05-12).")


def test_members_removed_by_a_replacing_import_are_counted(repo, tmp_path):
    journey_id = started(repo)
    path = Path(tmp_path) / "only-c0.csv"
    path.write_text("customerId,firstName\nc0,A\n", encoding="utf-8")
    result = AudienceStore(repo).import_csv(
        journey_id, ImportPlan.from_preview(preview_csv(path)), mode=REPLACE, now=START + 3600)
    result.rejects.close()
    assert result.removed == 1
    assert second_day(journey_id) == (
        "The journey parts from its forecast on 2025-05-13: 1 customer of its audience was "
        "imported after activation (from 2025-05-12); 1 customer was removed from its "
        "audience by a replacing import after activation (from 2025-05-12).")


def test_a_journey_following_its_forecast_for_one_day_says_day(repo):
    journey_id = started(repo)
    plan = plan_against_actual(journey_id, now=START + 3600, tz=MADRID)
    assert plan.summary() == "The journey follows its forecast so far (1 day)."
