"""Build the three example journeys from nothing through the palette, canvas and panel."""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QCheckBox, QPushButton, QSpinBox, QTimeEdit

from journey_desktop.domain.filters import OP_LABELS
from tests.conftest import load_example
from tests.ui.editor_helpers import (
    add_node,
    arrows,
    cards,
    choose,
    drag_connect,
    new_draft,
    open_editor,
    panel_widget,
    redo_all,
    stored_file,
    type_text,
    undo_all,
    without_positions,
)

COLUMNS = {
    "firstName": "text",
    "birthday": "date",
    "signupDate": "date",
    "plan": "text",
    "offersOptIn": "text",
}


def set_meta(qtbot, window, name, description):
    window.name_edit.selectAll()
    qtbot.keyClicks(window.name_edit, name)
    window.description_edit.selectAll()
    qtbot.keyClicks(window.description_edit, description)


def add_condition(qtbot, window, field, op, value):
    panel_widget(window, QPushButton, "add_condition_button").click()
    choose(window, "condition_field_0", field)
    choose(window, "condition_op_0", OP_LABELS[op])
    type_text(qtbot, window, "condition_value_0", value)


def push(qtbot, window, node_id, title, body, url):
    add_node(qtbot, window, "message", node_id)
    type_text(qtbot, window, "field_title", title)
    type_text(qtbot, window, "field_body", body)
    type_text(qtbot, window, "field_url", url)


def email(qtbot, window, node_id, subject, body, from_name):
    add_node(qtbot, window, "message", node_id)
    choose(window, "channel_combo", "Email")
    type_text(qtbot, window, "field_subject", subject)
    type_text(qtbot, window, "field_body", body)
    type_text(qtbot, window, "field_from_name", from_name)


def connect_in_panel(window, node_id, combo, target):
    window.select_node(node_id)
    choose(window, combo, target)


def check_round_trip(qtbot, repo, window, journey_id, example):
    expected = without_positions(example.to_dict())
    window.save_action.trigger()
    assert stored_file(repo, journey_id) == expected
    assert not window.isWindowModified()
    stored = repo.get(journey_id).journey
    assert all(node.position is not None for node in stored.nodes)

    undo_all(window)
    assert cards(window) == {}
    assert arrows(window) == []
    assert window.document.journey.nodes == []
    assert window.name_edit.text() == "New journey"

    redo_all(window)
    assert without_positions(window.document.journey.to_dict()) == expected
    assert set(cards(window)) == {n.id for n in example.nodes}
    assert len(arrows(window)) == sum(
        1 for n in example.nodes for _f, target in n.targets() if target
    )
    assert window.document.undo_stack.isClean()


def test_build_birthday_by_dragging_connections(qtbot, repo):
    example = load_example("birthday")
    journey_id = new_draft(repo, activation=example.activation, columns=COLUMNS)
    window = open_editor(qtbot, repo, journey_id)

    set_meta(qtbot, window, example.name, example.description)
    add_node(qtbot, window, "entry", "start")
    add_condition(qtbot, window, "birthday", "anniversary_in_days", "0")
    push(qtbot, window, "greet", "Happy birthday, {{firstName}}!",
         "A gift is waiting for you in the app.", "https://example.com/gift")
    add_node(qtbot, window, "exit", "end")

    drag_connect(qtbot, window, "start", "next", "greet")
    drag_connect(qtbot, window, "greet", "next", "end")
    assert sorted((e.source.node_id, e.target.node_id) for e in arrows(window)) == [
        ("greet", "end"),
        ("start", "greet"),
    ]
    assert window.document.validation.problems == []
    assert cards(window)["greet"].summary == "Push: Happy birthday, {{firstName}}!"

    check_round_trip(qtbot, repo, window, journey_id, example)


def test_build_daily_promotion(qtbot, repo):
    example = load_example("daily-promotion")
    journey_id = new_draft(repo, activation=example.activation, columns=COLUMNS)
    window = open_editor(qtbot, repo, journey_id)

    set_meta(qtbot, window, example.name, example.description)
    add_node(qtbot, window, "entry", "start")
    add_condition(qtbot, window, "offersOptIn", "equals", "yes")
    push(qtbot, window, "daily_offer", "Today's deal for you, {{firstName}}",
         "20% off everything in the app until midnight.", "https://example.com/deals/today")
    add_node(qtbot, window, "exit", "end")
    connect_in_panel(window, "start", "next_combo", "daily_offer")
    drag_connect(qtbot, window, "daily_offer", "next", "end")

    check_round_trip(qtbot, repo, window, journey_id, example)


def test_build_welcome_series(qtbot, repo):
    example = load_example("welcome-series")
    journey_id = new_draft(repo, activation=example.activation, columns=COLUMNS)
    window = open_editor(qtbot, repo, journey_id)

    set_meta(qtbot, window, example.name, example.description)
    add_node(qtbot, window, "entry", "start")
    add_condition(qtbot, window, "signupDate", "within_last_days", "7")
    email(qtbot, window, "welcome_email", "Welcome aboard, {{firstName}}",
          "Thanks for joining. Here is how to get started.", "The Team")
    add_node(qtbot, window, "wait", "wait_two_days")
    panel_widget(window, QSpinBox, "duration_value").setValue(2)
    choose(window, "duration_unit", "days")
    panel_widget(window, QCheckBox, "at_time_check").setChecked(True)
    panel_widget(window, QTimeEdit, "at_time_edit").setTime(QTime(9, 0))
    assert cards(window)["wait_two_days"].summary == "Wait 2 days, then at 09:00"
    add_node(qtbot, window, "condition", "is_premium")
    add_condition(qtbot, window, "plan", "equals", "premium")
    add_node(qtbot, window, "split", "ab_test")
    assert cards(window)["ab_test"].summary == "Split 50 % / 50 %"
    email(qtbot, window, "premium_email", "Your premium features, {{firstName}}",
          "Discover what your premium plan includes.", "The Team")
    push(qtbot, window, "premium_push", "Premium tips",
         "Open the app to discover your premium features.", "https://example.com/premium")
    push(qtbot, window, "basic_push", "Getting started, {{firstName}}?",
         "Three quick tips to get the most out of the app.", "https://example.com/tips")
    add_node(qtbot, window, "exit", "end")

    drag_connect(qtbot, window, "start", "next", "welcome_email")
    connect_in_panel(window, "welcome_email", "next_combo", "wait_two_days")
    connect_in_panel(window, "wait_two_days", "next_combo", "is_premium")
    drag_connect(qtbot, window, "is_premium", "yes", "ab_test")
    connect_in_panel(window, "is_premium", "no_combo", "basic_push")
    connect_in_panel(window, "ab_test", "branch_next_0", "premium_email")
    drag_connect(qtbot, window, "ab_test", "branches[1].next", "premium_push")
    for node_id in ("premium_email", "premium_push", "basic_push"):
        connect_in_panel(window, node_id, "next_combo", "end")

    labels = sorted(e.label for e in arrows(window) if e.label)
    assert labels == ["50 %", "50 %", "no", "yes"]
    assert window.document.validation.problems == []
    check_round_trip(qtbot, repo, window, journey_id, example)
