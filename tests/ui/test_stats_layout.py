"""The statistics window fits a 1366×768 screen, and the plan against actual shows every
column at its default width."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from journey_desktop.domain.policy import Cap, Policy
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.plan import keep_activation_forecast
from journey_desktop.store.policy import save_policy
from journey_desktop.ui.stats import StatsWindow
from tests.store.evaluator_support import (
    DAY,
    MADRID,
    activate,
    journey_from,
    local,
    two_messages_a_day_apart,
)

pytestmark = pytest.mark.both_databases
START = local(2025, 5, 12, 10, 0)


@pytest.fixture
def window(qtbot, repo) -> StatsWindow:  # type: ignore[no-untyped-def]
    """A journey with a kept forecast whose second day a cap suppressed: the Reach tab has
    its third chart (held and suppressed), the plan tab a day where they part."""
    journey_id = activate(repo, journey_from(two_messages_a_day_apart()),
                          {f"c{i}": {"firstName": f"N{i}"} for i in range(5)}, START)
    keep_activation_forecast(journey_id, days=30, tz=MADRID)
    Evaluator(tz=MADRID).tick(START)
    save_policy(Policy(caps=(Cap.parse("any:1/2d"),)), now=START + 3600)
    Evaluator(tz=MADRID).tick(START + DAY)
    stats = StatsWindow(repo, journey_id, tz=MADRID, clock=lambda: START + 2 * DAY, days=7)
    qtbot.addWidget(stats)
    with qtbot.waitSignal(stats.stats_loaded, timeout=10_000):
        stats.show()
    assert stats.policy_chart.isVisibleTo(stats)
    return stats


def test_the_window_can_be_made_short_enough_for_a_laptop_screen(window) -> None:  # type: ignore[no-untyped-def]
    assert window.minimumSizeHint().height() <= 700  # was 927: three charts' least heights
    window.resize(1366, 680)
    QApplication.processEvents()
    assert window.height() == 680


def test_the_plan_table_shows_every_column_at_1200_pixels(window) -> None:  # type: ignore[no-untyped-def]
    window.resize(1200, 800)
    window.tabs.setCurrentIndex(2)
    QApplication.processEvents()
    table = window.plan_panel.table
    header = table.horizontalHeader()
    assert table.model().headerData(4, header.orientation()) == "Messages"
    assert header.length() <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()
    assert header.sectionSize(4) >= header.sectionSizeHint(4)
