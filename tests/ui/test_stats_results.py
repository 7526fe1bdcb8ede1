"""The statistics window's Results tab (SPEC §12): per branch against the holdout."""

from __future__ import annotations

from PySide6.QtCharts import QBarSeries

from journey_desktop.store.goal_results import goal_results
from journey_desktop.ui.stats import StatsWindow
from tests.store.evaluator_support import MADRID
from tests.store.test_evaluator_events import DAY, T0, tick
from tests.store.test_goal_results import CUSTOMERS, run_ab
from tests.ui.test_stats_delivery import headers, rows


def open_window(qtbot, repo, journey_id: int) -> StatsWindow:  # type: ignore[no-untyped-def]
    window = StatsWindow(repo, journey_id, tz=MADRID, clock=lambda: T0 + DAY, days=7)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.stats_loaded, timeout=10_000):
        pass
    return window


def test_results_tab_compares_each_branch_with_the_holdout(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    journey_id, branch, buyers = run_ab(repo, tmp_path)
    tick(T0 + DAY)
    window = open_window(qtbot, repo, journey_id)
    panel = window.results_panel
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "Results"
    assert headers(panel.table) == ["Split", "Branch", "Runs", "Conversions", "Rate",
                                    "Uplift", "Difference (95 %)", "p-value"]
    results = goal_results(journey_id)
    assert results is not None
    offer, control = results.splits[0].branches
    table = rows(panel.table)
    assert table[1][:5] == ["ab", "Control (holdout)", f"{control.runs:,}",
                            f"{control.conversions:,}", f"{control.rate * 100:.1f} %"]
    assert table[1][6] == "baseline"
    assert table[0][5] == f"{offer.uplift * 100:+.1f} %"
    assert table[0][7] == f"{offer.p_value:.4f}"
    assert panel.summary_label.text().startswith(
        f"Goal “purchase”: {len(buyers):,} conversions")
    bars = [s for s in panel.chart.chart().series() if isinstance(s, QBarSeries)]
    assert [round(v, 6) for v in (bars[0].barSets()[0].at(i) for i in range(2))] == [
        round(offer.rate * 100, 6), round(control.rate * 100, 6)]
    assert len(CUSTOMERS) == offer.runs + control.runs and branch


def test_a_journey_without_a_goal_says_so(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    from journey_desktop.domain.journey import minimal_journey

    journey_id = repo.create(minimal_journey("Plain"), now=T0)
    window = open_window(qtbot, repo, journey_id)
    assert window.results_panel.summary_label.text() == "This journey has no goal."
    assert rows(window.results_panel.table) == []
