"""The forecast's days table shows held and suppressed messages (SPEC §13) when any."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from journey_desktop.domain.forecast import ForecastDay
from journey_desktop.ui.forecast.models import ForecastDaysTableModel


def _headers(model: ForecastDaysTableModel) -> list[str]:
    return [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]


def test_held_and_suppressed_columns_follow_the_channels(qtmodeltester):
    model = ForecastDaysTableModel()
    plain = [ForecastDay(date=dt.date(2027, 1, 4), messages={"push": 3})]
    model.set_days(plain)
    assert _headers(model) == ["Day", "Entered", "Exited", "In progress", "Messages", "Push"]
    model.set_days([ForecastDay(date=dt.date(2027, 1, 4), messages={"push": 3}, held=2,
                                suppressed=5)])
    qtmodeltester.check(model)
    assert _headers(model)[-3:] == ["Push", "Held", "Suppressed"]
    row = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert row[-3:] == ["3", "2", "5"]
