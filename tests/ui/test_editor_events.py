"""Journeys on customer events in the editor (SPEC §11): an abandoned cart built from the
palette, the wait's card, its problems in plain words, history conditions; all undoable."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QPushButton, QSpinBox, QToolButton

from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.domain.journey import (
    Duration,
    Journey,
    Node,
    minimal_journey,
)
from journey_desktop.domain.validation import validate
from journey_desktop.store.events import EventStore
from journey_desktop.ui.editor.summary import node_summary
from tests.ui.editor_helpers import (
    add_node,
    arrows,
    cards,
    choose,
    new_draft,
    open_editor,
    panel_widget,
    redo_all,
    stored_file,
    type_text,
    undo_all,
    without_positions,
)
from tests.ui.test_editor_launch import _click_problem, make_active


def import_events(folder: Path) -> None:
    path = folder / "events.jsonl"
    path.write_text(
        '{"userId": "c1", "event": "cart_updated", "timestamp": "2026-03-01T10:00:00Z", '
        '"properties": {"cartId": "A", "total": 40}}\n'
        '{"userId": "c1", "event": "purchase", "timestamp": "2026-03-01T10:30:00Z", '
        '"properties": {"cartId": "A", "total": 40}}\n', encoding="utf-8")
    EventStore().import_file(EventPlan.from_preview(preview_events(path)))


ABANDONED_CART = {
    "format": "journey-desktop/1",
    "name": "Abandoned cart",
    "description": "",
    "nodes": [
        {"id": "start", "type": "entry",
         "event": {"name": "cart_updated", "max_age": {"value": 3, "unit": "days"},
                   "who": "audience"},
         "next": "wait_purchase"},
        {"id": "wait_purchase", "type": "wait_event", "event": "purchase",
         "timeout": {"value": 1, "unit": "hours"}, "same": "cartId",
         "yes": "thanks", "no": "reminder"},
        {"id": "thanks", "type": "message", "channel": "push", "title": "Thank you",
         "body": "Your order is on its way.", "next": "end"},
        {"id": "end", "type": "exit"},
        {"id": "reminder", "type": "message", "channel": "push",
         "title": "Your cart is waiting", "body": "Cart {{event.cartId}} is still there.",
         "next": "end"},
    ],
    "activation": {"allow_reentry": False, "max_entries": None,
                   "timeout": {"value": 1, "unit": "days"}},
}


@pytest.mark.both_databases
def test_build_an_abandoned_cart_from_the_palette(qtbot, repo, tmp_path):
    import_events(tmp_path)
    journey_id = new_draft(repo, columns={"firstName": "text"})
    window = open_editor(qtbot, repo, journey_id)
    window.name_edit.selectAll()
    qtbot.keyClicks(window.name_edit, "Abandoned cart")

    add_node(qtbot, window, "entry", "start")
    panel_widget(window, QCheckBox, "trigger_check").setChecked(True)
    choose(window, "trigger_name_combo", "cart_updated")
    choose(window, "who_combo", "customers in the audience")
    add_node(qtbot, window, "wait_event", "wait_purchase")  # after the selected entry
    choose(window, "event_name_combo", "purchase")
    assert panel_widget(window, QSpinBox, "timeout_value").value() == 1
    choose(window, "timeout_unit", "hours")
    choose(window, "same_combo", "cartId")
    assert cards(window)["wait_purchase"].summary == (
        "Wait up to 1 hour for purchase with the same cartId")

    add_node(qtbot, window, "message", "thanks")  # takes the wait's first free output: yes
    type_text(qtbot, window, "field_title", "Thank you")
    type_text(qtbot, window, "field_body", "Your order is on its way.")
    add_node(qtbot, window, "exit", "end")
    window.select_node("wait_purchase")
    add_node(qtbot, window, "message", "reminder")  # then its no
    type_text(qtbot, window, "field_title", "Your cart is waiting")
    type_text(qtbot, window, "field_body", "Cart {{event.cartId}} is still there.")
    choose(window, "next_combo", "end")

    menu = panel_widget(window, QToolButton, "placeholder_button").menu()
    offered = [action.data() for action in menu.actions() if action.data()]
    assert {"event.cartId", "event.total", "matched.cartId", "matched.total"} <= set(offered)

    labels = {(e.source.node_id, e.target.node_id): e.label for e in arrows(window)}
    assert labels[("wait_purchase", "thanks")] == "yes"
    assert labels[("wait_purchase", "reminder")] == "no"
    assert window.document.validation.problems == []
    window.save_action.trigger()
    assert stored_file(repo, journey_id) == ABANDONED_CART
    assert validate(repo.get(journey_id).journey).problems == []

    undo_all(window)
    assert window.document.journey.nodes == []
    redo_all(window)
    assert without_positions(window.document.journey.to_dict()) == ABANDONED_CART


def test_wait_event_card_summary():
    node = Node("w", "wait_event", event="purchase", timeout=Duration(1, "hours"))
    assert node_summary(node) == "Wait up to 1 hour for purchase"
    node.same, node.timeout = "cartId", Duration(2, "days")
    assert node_summary(node) == "Wait up to 2 days for purchase with the same cartId"


def test_wait_event_problems_are_outlined_in_plain_words_and_focused(qtbot, repo, tmp_path):
    journey = minimal_journey("Waits")
    journey_id = repo.create(journey)
    window = open_editor(qtbot, repo, journey_id)
    window.select_node(journey.nodes[0].id)
    add_node(qtbot, window, "wait_event", "wait_purchase")
    combo = panel_widget(window, QComboBox, "same_combo")
    combo.setCurrentText("cartId")
    problems = {p.field: p.words for p in window.document.validation.for_node("wait_purchase")}
    assert problems["event"] == "Event: name the event to wait for"
    assert problems["same"].startswith("Same property: compares with the event that started")
    event_combo = panel_widget(window, QComboBox, "event_name_combo")
    assert event_combo.property("problem") == "error"
    assert combo.property("problem") == "error"
    make_active(window)
    window.select_node("start")
    _click_problem(qtbot, window, "wait_purchase · Event: name the event to wait for")
    assert window.canvas.selected_node_ids() == ["wait_purchase"]
    event_combo = panel_widget(window, QComboBox, "event_name_combo")  # the panel was rebuilt
    assert QApplication.focusWidget() in (event_combo, event_combo.lineEdit())
    assert event_combo.property("problem") == "error"

    event_combo.setCurrentText("purchase")
    assert "event" not in {p.field for p in window.document.validation.for_node("wait_purchase")}
    assert event_combo.property("problem") == ""


def test_history_condition_and_event_fields_in_a_condition(qtbot, repo, tmp_path):
    import_events(tmp_path)
    journey = Journey.from_dict({
        "format": "journey-desktop/1", "name": "History",
        "nodes": [
            {"id": "start", "type": "entry", "event": {"name": "cart_updated"},
             "next": "check"},
            {"id": "check", "type": "condition", "filter": {"match": "all", "conditions": []},
             "yes": "end", "no": "end"},
            {"id": "end", "type": "exit"},
        ]})
    journey_id = repo.create(journey)
    window = open_editor(qtbot, repo, journey_id)
    window.select_node("check")
    panel_widget(window, QPushButton, "add_condition_button").click()
    field = panel_widget(window, QComboBox, "condition_field_0")
    offered = [field.itemText(i) for i in range(field.count())]
    assert "event.cartId" in offered and "event.total" in offered
    assert not any(name.startswith("matched.") for name in offered)  # no wait for an event
    window.undo_action.trigger()

    panel_widget(window, QPushButton, "add_history_button").click()
    choose(window, "condition_event_0", "purchase")
    panel_widget(window, QSpinBox, "condition_within_days_0").setValue(14)
    choose(window, "condition_count_op_0", "at most")
    panel_widget(window, QSpinBox, "condition_count_0").setValue(2)
    check = window.document.node("check")
    assert check.filter.to_dict()["conditions"] == [
        {"event": "purchase", "within_days": 14, "at_most": 2}]
    assert cards(window)["check"].summary.startswith("If ")
    assert window.document.validation.for_node("check") == []
    window.undo_action.trigger()  # the count and its bound, typed together, are one step
    assert window.document.node("check").filter.to_dict()["conditions"] == [
        {"event": "purchase", "within_days": 14, "at_least": 1}]
    assert panel_widget(window, QComboBox, "condition_count_op_0").currentText() == "at least"
