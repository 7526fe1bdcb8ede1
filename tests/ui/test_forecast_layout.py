"""The Forecast window's layout at its default size: the activation options take two or
three lines, the customer trace's outcomes read in full, the chart keeps its legend."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from journey_desktop.domain.journey import Journey
from journey_desktop.ui import prompts
from tests.cli.test_forecast_waits_cli import CART
from tests.conftest import load_example
from tests.ui.test_forecast_view import make_window, run

pytestmark = pytest.mark.both_databases


def test_the_activation_explanation_has_a_full_width_row_under_the_options(qtbot, repo):  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, repo.create(load_example("daily-promotion")))
    assert window.size().width() == 1240  # the default size
    box, explanation = window.options_box, window.options_summary
    assert explanation.text().startswith("Each customer")
    assert explanation.geometry().top() >= window.activate_button.geometry().bottom()
    assert explanation.width() >= 0.9 * box.contentsRect().width()
    # Title, the inputs and one or two lines of words; it was ~240 px, one word a line.
    assert box.height() <= window.activate_button.height() + 5 * explanation.fontMetrics(
        ).lineSpacing() + 20


def test_the_trace_outcomes_read_in_full_at_the_default_size(qtbot, repo, tmp_path,  # type: ignore[no-untyped-def]
                                                            monkeypatch):
    path = tmp_path / "carts.jsonl"
    path.write_text("".join(
        f'{{"userId": "{user}", "event": "cart", "timestamp": "{at}:00+01:00",'
        f' "properties": {{"cartId": "{user}"}}}}\n'
        for user, at in (("bob", "2027-02-16T10:00"), ("dan", "2027-02-17T23:30"))),
        encoding="utf-8")
    monkeypatch.setattr(prompts, "ask_open_file", lambda *args: str(path))
    window = make_window(qtbot, repo, repo.create(Journey.from_dict(CART)))
    window.days_spin.setValue(3)
    qtbot.mouseClick(window.events_chooser.choose_button, Qt.MouseButton.LeftButton)
    run(qtbot, window)
    table, header = window.trace_table, window.trace_table.horizontalHeader()
    for customer, outcome in (("bob", "timed out at Tue 2027-02-16 11:00"),
                              ("dan", "waiting for purchase until Thu 2027-02-18 00:30")):
        window.customer_search.setText(customer)
        QApplication.processEvents()  # the columns take their contents' width
        assert window.trace_model.index(1, 4).data() == outcome
        assert header.sectionSize(4) > table.fontMetrics().horizontalAdvance(outcome)
        # and the whole column is in view, no sideways scrolling
        assert header.sectionViewportPosition(4) + header.sectionSize(4) <= (
            table.viewport().width())


def test_the_chart_keeps_its_legend_at_1200_by_800(qtbot, repo):  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, repo.create(load_example("daily-promotion")))
    window.resize(1200, 800)
    window.days_spin.setValue(3)
    run(qtbot, window)
    QApplication.processEvents()
    view = window.chart_view
    assert window.chart.legend().isVisible()
    # The whole chart view is on screen (its legend is at its bottom): none of it cut off.
    assert view.geometry().bottom() < view.parentWidget().height()
    # and the tables under it keep room for several rows
    table = window.trace_table
    assert table.viewport().height() >= 5 * table.verticalHeader().defaultSectionSize()
