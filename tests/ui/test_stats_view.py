"""The statistics window: a journey's figures, per-node reach and per-day charts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.audience import REPLACE, AudienceStore
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.stats import StatsWindow
from journey_desktop.ui.stats.models import (
    COL_NODE,
    COL_REACHED,
    COL_SHARE,
    COL_TYPE,
    COL_WAITING,
    NodeStatsTableModel,
)
from journey_desktop.ui.stats.window import DAY_CHOICES
from tests.store.evaluator_support import DAY, MADRID
from tests.ui.outbox_support import START, WELCOME_CSV, start_example

NOW = START + 2 * DAY + 3600  # 14 May 2025, 10:00 in Madrid


def make_window(qtbot, repo: JourneyRepository, journey_id: int, *, now: int = NOW,  # type: ignore[no-untyped-def]
                days: int = 7) -> StatsWindow:
    window = StatsWindow(repo, journey_id, tz=MADRID, clock=lambda: now, days=days)
    qtbot.addWidget(window)
    window.show()
    assert window.loading  # the figures are read off the GUI thread
    with qtbot.waitSignal(window.stats_loaded, timeout=10000):
        pass
    return window


def reload(qtbot, window: StatsWindow, action) -> None:  # type: ignore[no-untyped-def]
    """Do ``action`` and wait until the window shows the figures read after it."""
    with qtbot.waitSignal(window.stats_loaded, timeout=10000):
        action()


def figure(window: StatsWindow, key: str) -> str:
    label = window.findChild(QLabel, f"stats_{key}_value")
    assert label is not None, key
    return label.text()


def figures(window: StatsWindow) -> dict[str, str]:
    keys = ("audience", "entered", "in_progress", "completed", "stopped", "messages")
    return {key: figure(window, key) for key in keys}


def node_rows(window: StatsWindow) -> list[tuple[str, str, str, str]]:
    model = window.node_table.model()
    return [tuple(model.index(r, c).data() for c in (COL_NODE, COL_TYPE, COL_REACHED, COL_SHARE))
            for r in range(model.rowCount())]  # type: ignore[misc]


@pytest.fixture
def welcome(repo: JourneyRepository, tmp_path: Path) -> int:
    """The welcome series after its first tick: three customers entered, welcomed, waiting."""
    journey_id = start_example(repo, "welcome-series", WELCOME_CSV, tmp_path, START)
    Evaluator(tz=MADRID).tick(START)
    return journey_id


def finish_with_one_leaving(repo: JourneyRepository, journey_id: int, folder: Path) -> None:
    """w3 leaves the audience (a replace import), then the wait ends for everyone."""
    from journey_desktop.domain.audience_csv import ImportPlan
    from journey_desktop.domain.audience_preview import preview_csv

    path = folder / "without-w3.csv"
    path.write_text("\n".join(WELCOME_CSV.splitlines()[:3]) + "\n", encoding="utf-8")
    AudienceStore(repo).import_csv(journey_id, ImportPlan.from_preview(preview_csv(path)),
                                   mode=REPLACE, now=START + DAY).rejects.close()
    Evaluator(tz=MADRID).tick(START + 2 * DAY)


@pytest.mark.both_databases
def test_figures_and_nodes_follow_the_runs(qtbot, repo, welcome, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, welcome)
    assert window.objectName() == "stats_window"
    assert window.windowTitle().startswith("Statistics — Welcome series")
    assert figures(window) == {"audience": "4", "entered": "3", "in_progress": "3",
                               "completed": "0", "stopped": "0", "messages": "3"}
    assert figure(window, "messages_email") == "3"
    assert window.channel_boxes["email"].isVisible()
    assert not window.channel_boxes["push"].isVisible()
    assert node_rows(window)[:4] == [
        ("start", "Entry", "3", "100%"), ("welcome_email", "Message", "3", "100%"),
        ("wait_two_days", "Wait", "3", "100%"), ("is_premium", "Condition", "0", "0%")]

    finish_with_one_leaving(repo, welcome, tmp_path)
    assert window.action_refresh.shortcut().toString() == "F5"
    reload(qtbot, window, window.action_refresh.trigger)
    assert figures(window) == {"audience": "2", "entered": "3", "in_progress": "0",
                               "completed": "2", "stopped": "1", "messages": "5"}
    assert (figure(window, "messages_email"), figure(window, "messages_push")) == ("4", "1")
    assert "left audience: 1" in window.figures["stopped"].toolTip()
    assert node_rows(window) == [
        ("start", "Entry", "3", "100%"),
        ("welcome_email", "Message", "3", "100%"),
        ("wait_two_days", "Wait", "3", "100%"),
        ("is_premium", "Condition", "2", "67%"),
        ("ab_test", "Split", "1", "33%"),
        ("basic_push", "Message", "1", "33%"),
        ("premium_email", "Message", "1", "33%"),
        ("premium_push", "Message", "0", "0%"),
        ("end", "Exit", "2", "67%"),
    ]


def test_node_table_sorts_counts_as_numbers(qtbot, qtmodeltester, repo, welcome,  # type: ignore[no-untyped-def]
                                            tmp_path) -> None:
    finish_with_one_leaving(repo, welcome, tmp_path)
    window = make_window(qtbot, repo, welcome)
    window.node_table.sortByColumn(COL_REACHED, Qt.SortOrder.DescendingOrder)
    reached = [int(row[2]) for row in node_rows(window)]
    assert reached == sorted(reached, reverse=True)
    qtmodeltester.check(window.node_model)
    qtmodeltester.check(window.node_proxy)
    qtmodeltester.check(NodeStatsTableModel())


def test_charts_show_entries_and_messages_per_local_day(qtbot, repo, welcome,  # type: ignore[no-untyped-def]
                                                        tmp_path) -> None:
    finish_with_one_leaving(repo, welcome, tmp_path)
    window = make_window(qtbot, repo, welcome)
    assert window.days == 7
    assert window.entries_chart.days == [dt.date(2025, 5, 8) + dt.timedelta(days=i)
                                         for i in range(7)]
    assert window.entries_chart.values("Entries") == [0, 0, 0, 0, 3, 0, 0]
    assert window.messages_chart.labels() == ["Push", "Email"]  # stacked, one set a channel
    assert window.messages_chart.values("Email") == [0, 0, 0, 0, 3, 0, 1]
    assert window.messages_chart.values("Push") == [0, 0, 0, 0, 0, 0, 1]
    assert window.entries_chart.x_axis.categoriesLabels()[-1] == "14 May"
    assert window.entries_chart.y_axis.max() >= 3
    assert not window.entries_chart.note.isVisible()

    selector = window.days_selector
    assert [selector.itemData(i) for i in range(selector.count())] == list(DAY_CHOICES)
    reload(qtbot, window, lambda: selector.setCurrentIndex(selector.findData(30)))
    assert len(window.entries_chart.values("Entries")) == 30
    assert window.entries_chart.values("Entries")[-3] == 3
    assert sum(window.messages_chart.values("Email")) == 4

    later = make_window(qtbot, repo, welcome, now=NOW + 10 * DAY)  # the data is older
    assert later.entries_chart.values("Entries") == [0] * 7
    assert later.entries_chart.note.isVisible()
    assert later.entries_chart.note.text() == "No customer entered in the last 7 days."
    assert later.messages_chart.labels() == []
    assert figure(later, "entered") == "3"  # the figures are all time


@pytest.mark.both_databases
def test_show_on_canvas_hands_over_the_node_counts(qtbot, repo, welcome) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, welcome)
    with qtbot.waitSignal(window.node_counts_requested) as sent:
        window.show_on_canvas_button.click()
    journey_id, counts = sent.args
    assert journey_id == welcome
    assert counts == {"start": 3, "welcome_email": 3, "wait_two_days": 3, "is_premium": 0,
                      "ab_test": 0, "premium_email": 0, "premium_push": 0, "basic_push": 0,
                      "end": 0}


@pytest.mark.both_databases
def test_empty_journey_shows_zeros_and_a_note(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    journey_id = repo.create(minimal_journey("Nothing yet"))
    window = make_window(qtbot, repo, journey_id, days=30)
    assert set(figures(window).values()) == {"0"}
    assert window.no_messages_label.isVisible()
    assert not any(box.isVisible() for box in window.channel_boxes.values())
    assert all(row[2] == "0" and row[3] == "" for row in node_rows(window))
    assert window.entries_chart.values("Entries") == [0] * 30
    assert window.entries_chart.note.isVisible()
    assert window.messages_chart.note.text() == "No message written in the last 30 days."
    assert window.show_on_canvas_button.isEnabled()


@pytest.mark.both_databases
def test_removed_journey_is_said_not_raised(qtbot, repo, welcome) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, welcome)
    repo.remove(welcome)
    reload(qtbot, window, window.refresh)
    assert window.title_label.text() == "This journey was removed"
    assert set(figures(window).values()) == {"0"}
    assert node_rows(window) == []
    assert not window.show_on_canvas_button.isEnabled()



def test_refresh_during_a_read_reads_again(qtbot, repo, welcome, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, welcome)
    window.refresh()
    finish_with_one_leaving(repo, welcome, tmp_path)  # while the first read may still run
    with qtbot.waitSignal(window.stats_loaded, timeout=10000):
        window.refresh()
    assert not window.loading
    assert figure(window, "stopped") == "1"


@pytest.mark.both_databases
def test_closing_while_reading_waits_for_the_worker(qtbot, repo, welcome) -> None:  # type: ignore[no-untyped-def]
    window = StatsWindow(repo, welcome, tz=MADRID, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.show()
    window.close()
    assert not window.isVisible()
    qtbot.waitUntil(lambda: not window.loading)
    assert not window.isVisible()


def test_nodes_in_flow_order_never_entered_and_waiting_now(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from journey_desktop.domain.journey import Journey
    from tests.conftest import example_path
    from tests.ui.outbox_support import START

    journey = Journey.from_json(example_path("welcome-series").read_text(encoding="utf-8"))
    journey.nodes.reverse()  # stored exit first: shown as the arrows lead all the same
    journey_id = repo.create(journey)
    path = tmp_path / "welcome.csv"
    path.write_text(WELCOME_CSV, encoding="utf-8")
    from journey_desktop.domain.audience_csv import ImportPlan
    from journey_desktop.domain.audience_preview import preview_csv

    AudienceStore(repo).import_csv(journey_id, ImportPlan.from_preview(preview_csv(path)),
                                   now=START).rejects.close()
    assert repo.activate(journey_id, now=START).ok
    Evaluator(tz=MADRID).tick(START)
    window = make_window(qtbot, repo, journey_id)
    model = window.node_table.model()
    order = [model.index(r, COL_NODE).data() for r in range(model.rowCount())]
    assert order == ["start", "welcome_email", "wait_two_days", "is_premium", "ab_test",
                     "basic_push", "premium_email", "premium_push", "end"]
    waiting = {model.index(r, COL_NODE).data(): model.index(r, COL_WAITING).data()
               for r in range(model.rowCount())}
    assert waiting["wait_two_days"] == "3"  # the three who entered wait two days
    assert waiting["start"] == waiting["end"] == "0"
    assert model.headerData(COL_WAITING, Qt.Orientation.Horizontal) == "Waiting now"
    assert figure(window, "never_entered") == "1"  # Otto signed up too long ago
    assert figure(window, "entered") == "3"


def test_waits_for_an_event_show_matched_timed_out_and_late(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.store.evaluator_support import activate
    from tests.store.test_evaluator_events import CART, HOUR, T0, ev, import_events, journey

    welcome_id = repo.create(minimal_journey("No waits"))
    window = make_window(qtbot, repo, welcome_id, now=T0)
    assert not window.wait_table.isVisible()
    window.close()

    jid = activate(repo, journey({"name": "cart"}, nodes=CART), {"u1": {}, "u2": {}}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0, cartId="c1"),
                             ev("u2", "cart", T0, cartId="c2"),
                             ev("u2", "purchase", T0 + 600, cartId="c2", total=3)])
    Evaluator(tz=MADRID).tick(T0 + 60)
    Evaluator(tz=MADRID).tick(T0 + 2 * HOUR)  # u1's wait times out
    import_events(tmp_path, [ev("u1", "purchase", T0 + 900, cartId="c1", total=1)], "late.jsonl")
    Evaluator(tz=MADRID).tick(T0 + 3 * HOUR)
    window = make_window(qtbot, repo, jid, now=T0 + 3 * HOUR)
    assert window.wait_table.isVisible()
    model = window.wait_table.model()
    assert [[model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]] + [
        [model.index(r, c).data() for c in range(4)] for r in range(model.rowCount())] == [
        ["Wait for an event", "Matched", "Timed out", "Late"], ["hello", "1", "1", "1"]]
