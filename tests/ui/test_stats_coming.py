"""The statistics window says what is coming at each wait ("3 waiting until 09:00
tomorrow"), relative to the window's clock: under the node table and in the tooltip of
the wait's "Waiting now"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.stats.models import COL_NODE, COL_WAITING
from tests.store.evaluator_support import DAY, MADRID
from tests.ui.outbox_support import START, WELCOME_CSV, start_example
from tests.ui.test_stats_view import make_window


def shown(window) -> str:  # type: ignore[no-untyped-def]
    """The label as the user reads it."""
    document = QTextDocument()
    document.setHtml(window.coming_label.text())
    return document.toPlainText() if window.coming_label.isVisible() else ""


def tooltips(window) -> dict[str, str]:  # type: ignore[no-untyped-def]
    model = window.node_table.model()
    return {model.index(r, COL_NODE).data():
            model.index(r, COL_WAITING).data(Qt.ItemDataRole.ToolTipRole) or ""
            for r in range(model.rowCount())}


@pytest.mark.both_databases
def test_the_window_says_what_is_coming_at_each_wait(qtbot, repo: JourneyRepository,
                                                     tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    journey_id = start_example(repo, "welcome-series", WELCOME_CSV, tmp_path, START)
    window = make_window(qtbot, repo, journey_id, now=START)
    assert shown(window) == ""  # nobody has entered yet
    window.close()
    Evaluator(tz=MADRID).tick(START)  # Monday 09:00: three enter and wait two days

    window = make_window(qtbot, repo, journey_id, now=START + 3600)
    assert shown(window) == "What is coming\nwait_two_days: 3 waiting until 14 May at 09:00"
    tips = tooltips(window)
    assert tips["wait_two_days"] == "3 waiting until 14 May at 09:00"
    assert tips["start"] == tips["end"] == ""
    window.close()

    window = make_window(qtbot, repo, journey_id, now=START + DAY + 3600)
    assert shown(window).endswith("wait_two_days: 3 waiting until 09:00 tomorrow")
    window.close()

    window = make_window(qtbot, repo, journey_id, now=START + 2 * DAY + 60)
    assert shown(window).endswith("wait_two_days: 3 waiting, due at the next check")
