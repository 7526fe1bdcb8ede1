"""The statistics window says what is coming at each wait ("3 waiting until 09:00
tomorrow"), relative to the window's clock, and sorts the column by due time."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.stats.models import COL_COMING, COL_NODE
from tests.store.evaluator_support import DAY, MADRID
from tests.ui.outbox_support import START, WELCOME_CSV, start_example
from tests.ui.test_stats_view import make_window


def coming(window) -> dict[str, str]:  # type: ignore[no-untyped-def]
    model = window.node_table.model()
    return {model.index(r, COL_NODE).data(): model.index(r, COL_COMING).data()
            for r in range(model.rowCount())}


def test_the_node_table_says_what_is_coming_at_each_wait(qtbot, repo: JourneyRepository,
                                                          tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    journey_id = start_example(repo, "welcome-series", WELCOME_CSV, tmp_path, START)
    Evaluator(tz=MADRID).tick(START)  # Monday 09:00: three enter and wait two days

    window = make_window(qtbot, repo, journey_id, now=START + 3600)
    model = window.node_table.model()
    assert model.headerData(COL_COMING, Qt.Orientation.Horizontal) == "What is coming"
    rows = coming(window)
    assert rows["wait_two_days"] == "3 waiting until 14 May at 09:00"
    assert rows["start"] == rows["end"] == ""
    window.close()

    window = make_window(qtbot, repo, journey_id, now=START + DAY + 3600)
    assert coming(window)["wait_two_days"] == "3 waiting until 09:00 tomorrow"
    window.node_table.sortByColumn(COL_COMING, Qt.SortOrder.AscendingOrder)
    first = window.node_table.model().index(0, COL_NODE).data()
    assert first == "wait_two_days"  # a due time sorts before no due time
    window.close()

    window = make_window(qtbot, repo, journey_id, now=START + 2 * DAY + 60)
    assert coming(window)["wait_two_days"] == "3 waiting, due at the next check"

