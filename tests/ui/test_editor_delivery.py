"""Delivery figures on the editor's message cards (SPEC §15: the canvas shows them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from journey_desktop.store.delivery import import_report
from journey_desktop.ui.common.changes import DELIVERY_REPORT_CHANGE
from journey_desktop.ui.editor import EditorWindow
from tests.store.test_delivery import LATER, ids_by_customer, report, run_two_days
from tests.ui.editor_helpers import cards


def open_loaded(qtbot: Any, repo: Any, journey_id: int) -> EditorWindow:
    """The editor, shown once its cards' delivery figures were read."""
    window = EditorWindow(repo, journey_id)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.delivery_figures.delivery_loaded, timeout=10_000):
        pass  # the read started with the window; its answer comes through the event loop
    window.show()
    qtbot.waitExposed(window)
    return window


def apply_fixed_report(tmp_path: Path) -> None:
    """Hello (push, 4 written): c0 clicked, c1 opened, c2 delivered, c3 bounced. By hand:
    sent 3, delivered 3, opened 2 (66.7 %), clicked 1 (33.3 %), bounced 1."""
    ids = ids_by_customer()
    result = import_report(report(tmp_path, [
        (ids["c0"], "clicked", LATER), (ids["c1"], "opened", LATER),
        (ids["c2"], "delivered", LATER), (ids["c3"], "bounced", LATER)]))
    assert result.committed


def test_a_message_card_shows_what_the_report_said(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    journey_id = run_two_days(repo)
    apply_fixed_report(tmp_path)
    window = open_loaded(qtbot, repo, journey_id)
    shown = cards(window)
    assert shown["hello"].delivery_text == "3 sent · 66.7 % open · 33.3 % CTR"
    tip = shown["hello"].toolTip().splitlines()
    assert tip[0].startswith("hello — ")
    assert tip[tip.index("Delivery reports:"):] == [
        "Delivery reports:", "Written 4", "Sent 3", "Delivered 3", "Opened 2", "Clicked 1",
        "Bounced 1", "Failed 0", "Unsubscribed 0",
        "Open rate 66.7 % (opened ÷ delivered)", "CTR 33.3 % (clicked ÷ delivered)"]
    # The email no report named, and the cards that send nothing, show no delivery line.
    assert {node for node, card in shown.items() if card.delivery_text} == {"hello"}
    assert "Delivery reports:" not in shown["again"].toolTip()


def test_a_journey_with_no_report_shows_no_delivery_line(qtbot, repo) -> None:  # type: ignore[no-untyped-def]
    window = open_loaded(qtbot, repo, run_two_days(repo))
    shown = cards(window)
    assert [node for node, card in shown.items() if card.delivery_text] == []
    assert all("Delivery reports:" not in card.toolTip() for card in shown.values())


def test_a_report_applied_while_the_editor_is_open_shows_on_its_cards(  # type: ignore[no-untyped-def]
        qtbot, main_window, repo, tmp_path) -> None:
    journey_id = run_two_days(repo)
    editor = main_window.child_windows.open_editor(journey_id)
    with qtbot.waitSignal(editor.delivery_figures.delivery_loaded, timeout=10_000):
        pass
    assert cards(editor)["hello"].delivery_text == ""
    apply_fixed_report(tmp_path)
    with qtbot.waitSignal(editor.delivery_figures.delivery_loaded, timeout=10_000):
        main_window.child_windows.tell_changed(None, DELIVERY_REPORT_CHANGE)
    assert cards(editor)["hello"].delivery_text == "3 sent · 66.7 % open · 33.3 % CTR"
