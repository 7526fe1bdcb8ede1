"""``stats`` with a goal: the ``goal`` and ``branches`` keys, the lines, ``--results-csv``."""

from __future__ import annotations

import csv

import pytest

from journey_desktop.store import close_store
from tests.store.test_goal_results import CUSTOMERS, run_ab

pytestmark = pytest.mark.both_databases


def test_stats_json_lines_and_results_csv(repo, tmp_path, cli):
    _jid, _branch, buyers = run_ab(repo, tmp_path)
    close_store()
    data = cli("stats", "Goals", "--json").json()
    assert data["goal"]["conversions"] == len(buyers)
    assert [(b["label"], b["uplift"] is None) for b in data["branches"]] == [
        ("Offer", False), ("Control", True)]
    text = cli("stats", "Goals").out
    assert f"goal purchase: {len(buyers)} conversions of {len(buyers)} runs counted" in text
    assert "Control (holdout):" in text and "baseline" in text
    target = tmp_path / "results.csv"
    result = cli("stats", "Goals", "--results-csv", str(target), "--delimiter", ";")
    assert (result.code, result.err) == (0, "rows: 3\n")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:6] == ["split", "branch", "label", "holdout", "runs", "conversions"]
    assert [r[2] for r in rows[1:]] == ["goal purchase", "Offer", "Control"]
    assert len(CUSTOMERS) > len(buyers)


def test_results_csv_of_a_journey_without_a_goal_is_refused(repo, tmp_path, cli):
    from journey_desktop.domain.journey import minimal_journey

    repo.create(minimal_journey("Plain"), now=0)
    close_store()
    result = cli("stats", "Plain", "--results-csv", str(tmp_path / "r.csv"))
    assert result.code == 1
    assert result.err == ("journey-desktop: journey 'Plain' has no goal: there are no "
                          "results to export\n")
    assert not (tmp_path / "r.csv").exists()
    assert cli("stats", "Plain", "--json").json()["goal"] is None
