"""The Forecast window of a journey with a goal and exit rules: a Conversions column, the
exits by goal and by rule in the Exited cell's tooltip, and in the totals."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from journey_desktop.domain.journey import Journey
from tests.cli.test_forecast_goals_cli import DAY2, DAY3, JOURNEY
from tests.store.evaluator_support import add_customers
from tests.ui.test_forecast_view import make_window, run


def test_conversions_column_and_exits_by_rule(qtbot, repo, tmp_path, monkeypatch):
    from journey_desktop.ui import prompts

    journey_id = repo.create(Journey.from_dict(JOURNEY))
    add_customers(journey_id, {ext: {} for ext in "ABCD"}, 0)
    path = tmp_path / "events.csv"
    path.write_text("userId,event,timestamp\n"
                    f"A,purchase,{DAY2}\nB,purchase,{DAY2}\nC,unsubscribed,{DAY3}\n",
                    encoding="utf-8")
    monkeypatch.setattr(prompts, "ask_open_file", lambda *args: str(path))
    window = make_window(qtbot, repo, journey_id)
    window.days_spin.setValue(4)
    qtbot.mouseClick(window.events_chooser.choose_button, Qt.MouseButton.LeftButton)
    run(qtbot, window)

    model = window.days_model
    last = model.columnCount() - 1
    assert model.headerData(last, Qt.Orientation.Horizontal) == "Conversions"
    assert [model.index(row, last).data() for row in range(4)] == ["0", "2", "0", "0"]
    assert [model.index(row, 2).data() for row in range(4)] == ["0", "0", "1", "0"]
    assert model.index(2, 2).data(Qt.ItemDataRole.ToolTipRole) == (
        "Ended by the goal: 0\nEnded by exit rule event:unsubscribed: 1\n"
        "Ended by exit rule event:unsubscribed#2: 0")
    totals = window.totals_label.text()
    assert "Conversions: <b>2</b>" in totals
    assert "Ended by exit rule event:unsubscribed: 1" in totals


def test_no_conversions_column_without_a_goal(qtbot, repo):
    plain = {k: v for k, v in JOURNEY.items() if k not in ("goal", "exit_when")}
    journey_id = repo.create(Journey.from_dict(json.loads(json.dumps(plain))))
    add_customers(journey_id, {"A": {}}, 0)
    window = make_window(qtbot, repo, journey_id)
    window.days_spin.setValue(2)
    run(qtbot, window)
    model = window.days_model
    headers = [model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(model.columnCount())]
    assert "Conversions" not in headers
    assert model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole) is None
    assert "Conversions" not in window.totals_label.text()
