"""Results against the goal (SPEC §12): the denominator follows the evaluator's last tick,
holdout runs count, branches are compared with the holdout; the report's ``converted``."""

from __future__ import annotations

import csv
import io

import pytest

from journey_desktop.domain.ab_results import two_proportions
from journey_desktop.store.db import database
from journey_desktop.store.goal_results import goal_results, write_results
from journey_desktop.store.journey_report import write_report
from tests.store.evaluator_support import activate
from tests.store.test_evaluator_events import DAY, HOUR, T0, ev, import_events, tick
from tests.store.test_evaluator_goals import PURCHASE_IN_A_DAY, PUSH, goal_journey

AB = [{"id": "ab", "type": "split", "branches": [
    {"percent": 50, "next": "hello", "label": "Offer"},
    {"percent": 50, "next": None, "label": "Control", "holdout": True}]},
    {"id": "hello", **PUSH, "next": "end"}]
CUSTOMERS = [f"c{i:03d}" for i in range(200)]
pytestmark = pytest.mark.both_databases


def run_ab(repo, tmp_path) -> tuple[int, dict[str, int], set[str]]:  # type: ignore[no-untyped-def]
    """200 customers split; offer customers buy one in three, control one in six."""
    jid = activate(repo, goal_journey(AB, goal=PURCHASE_IN_A_DAY),
                   {c: {} for c in CUSTOMERS}, T0)
    tick(T0)
    branch = dict(database.execute_sql(
        "SELECT external_id, branch FROM run_branch WHERE journey_id = ?", (jid,)))
    buyers = {c for c in CUSTOMERS if int(c[1:]) % (3 if branch[c] == 0 else 6) == 0}
    import_events(tmp_path, [ev(c, "purchase", T0 + HOUR) for c in sorted(buyers)],
                  now=T0 + HOUR)
    tick(T0 + 2 * HOUR)
    return jid, branch, buyers


def test_runs_count_once_their_window_closed_at_the_last_tick(repo, tmp_path):
    jid, branch, buyers = run_ab(repo, tmp_path)
    open_windows = goal_results(jid)
    assert open_windows is not None
    assert (open_windows.conversions, open_windows.counted) == (len(buyers), len(buyers))
    tick(T0 + DAY)  # windows end at T0 + 1 day: closed at this tick, holdout included
    closed = goal_results(jid)
    assert closed is not None
    assert (closed.conversions, closed.counted) == (len(buyers), len(CUSTOMERS))
    assert closed.json_goal()["rate"] == pytest.approx(len(buyers) / len(CUSTOMERS))
    [split] = closed.splits
    offer, control = split.branches
    offer_runs = sum(1 for c in CUSTOMERS if branch[c] == 0)
    offer_buys = sum(1 for c in buyers if branch[c] == 0)
    control_runs, control_buys = len(CUSTOMERS) - offer_runs, len(buyers) - offer_buys
    assert (offer.runs, offer.conversions) == (offer_runs, offer_buys)
    assert (control.runs, control.conversions, control.holdout) == (
        control_runs, control_buys, True)
    assert control.baseline and control.uplift is None
    expected = two_proportions(offer_buys, offer_runs, control_buys, control_runs)
    assert offer.p_value == pytest.approx(expected.p_value)
    assert offer.uplift == pytest.approx(
        (offer_buys / offer_runs) / (control_buys / control_runs) - 1)
    keys = set(closed.json_branches()[0])
    assert keys == {"split", "branch", "label", "runs", "conversions", "rate", "uplift",
                    "ci_low", "ci_high", "p_value"}
    out = io.StringIO()
    assert write_results(out, closed) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["label"], r["runs"], r["conversions"], r["note"]) for r in rows] == [
        ("goal purchase", str(len(CUSTOMERS)), str(len(buyers)), ""),
        ("Offer", str(offer_runs), str(offer_buys), ""),
        ("Control", str(control_runs), str(control_buys), "baseline")]


def test_the_journey_report_fills_converted(repo, tmp_path):
    jid, _branch, buyers = run_ab(repo, tmp_path)
    out = io.StringIO()
    write_report(out, jid, "Goals")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["customerId"] for r in rows if r["converted"] == "1"} == buyers
    assert {r["converted"] for r in rows} == {"0", "1"}
