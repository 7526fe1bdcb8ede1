"""The goal and exit rules panel of the editor, the line above the canvas that states them,
and split branches with labels and a control group (SPEC §12, §9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.domain.goals import ExitRule, Goal
from journey_desktop.domain.journey import (
    Branch,
    Condition,
    Duration,
    Filter,
    Journey,
    Node,
    minimal_journey,
)
from journey_desktop.store.events import EventStore
from journey_desktop.ui.editor import EditorWindow
from tests.ui.editor_helpers import arrows, cards, click_card, open_editor, panel_widget
from tests.ui.test_editor_launch import _click_problem, make_active


def import_events(folder: Path) -> None:
    path = folder / "events.jsonl"
    path.write_text(
        '{"userId": "c1", "event": "purchase", "timestamp": "2026-03-01T10:30:00Z", '
        '"properties": {"total": 40}}\n'
        '{"userId": "c2", "event": "unsubscribed", "timestamp": "2026-03-01T11:00:00Z"}\n',
        encoding="utf-8")
    EventStore().import_file(EventPlan.from_preview(preview_events(path)))


def goal_widget(window: EditorWindow, cls: type, name: str) -> Any:
    widget = window.goal_panel.findChild(cls, name)
    assert widget is not None and widget.isVisible(), f"{name} is not shown"
    return widget


def goal_choose(window: EditorWindow, name: str, text: str) -> None:
    combo = goal_widget(window, QComboBox, name)
    assert combo.findText(text) >= 0, f"{text!r} not offered by {name}"
    combo.setCurrentText(text)


def plain(text: str) -> str:
    """Card and arrow text with its no-break spaces as spaces."""
    return text.replace("\u00a0", " ")


def open_goal_panel(qtbot: Any, window: EditorWindow) -> None:
    """Click the line above the canvas, as a user would."""
    header = window.goal_header
    qtbot.mouseClick(header, Qt.MouseButton.LeftButton, pos=header.rect().center())
    assert window.properties_tabs.currentWidget() is window.goal_panel


def _type(qtbot: Any, widget: QWidget, text: str) -> None:
    """Select what the input holds and type over it."""
    edit = widget if isinstance(widget, QLineEdit) else widget.lineEdit()  # type: ignore[attr-defined]
    assert isinstance(edit, QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(widget, text)


def test_set_a_goal_and_exit_rules_then_save(qtbot, repo, tmp_path):
    import_events(tmp_path)
    journey_id = repo.create(minimal_journey("Welcome"))
    repo.set_audience_columns(journey_id, {"firstName": "text", "plan": "text"})
    window = open_editor(qtbot, repo, journey_id)
    assert window.goal_header.text() == "No goal"
    open_goal_panel(qtbot, window)

    goal_widget(window, QCheckBox, "goal_check").click()
    goal_choose(window, "goal_event_combo", "purchase")
    _type(qtbot, goal_widget(window, QSpinBox, "goal_within_value"), "3")
    goal_choose(window, "goal_within_unit", "days")
    goal_widget(window, QCheckBox, "exit_on_goal_check").click()
    goal_widget(window, QPushButton, "goal_add_condition_button").click()
    goal_choose(window, "goal_condition_field_0", "total")
    goal_choose(window, "goal_condition_op_0", ">")
    _type(qtbot, goal_widget(window, QLineEdit, "goal_condition_value_0"), "20")

    goal_widget(window, QPushButton, "add_exit_event_button").click()
    goal_choose(window, "exit_event_combo_0", "unsubscribed")
    goal_widget(window, QPushButton, "add_exit_fields_button").click()
    goal_widget(window, QPushButton, "exit_1_add_condition_button").click()
    goal_choose(window, "exit_1_condition_field_0", "plan")
    goal_choose(window, "exit_1_condition_op_0", "equals")
    _type(qtbot, goal_widget(window, QLineEdit, "exit_1_condition_value_0"), "premium")

    assert window.goal_header.text() == (
        "Goal: purchase where total > 20 within 3 days · exits on goal"
        " · Exit when: unsubscribed or fields: plan equals premium")
    assert window.isWindowModified()
    assert window.document.validation.problems == []
    window.save_action.trigger()
    assert not window.isWindowModified()

    stored = repo.get(journey_id).journey.to_dict()
    assert stored["goal"] == {
        "event": "purchase",
        "filter": {"match": "all", "conditions": [{"field": "total", "op": "gt", "value": 20}]},
        "within": {"value": 3, "unit": "days"},
        "exit_on_goal": True,
    }
    assert stored["exit_when"] == [
        {"event": "unsubscribed"},
        {"fields": {"match": "all", "conditions": [
            {"field": "plan", "op": "equals", "value": "premium"}]}},
    ]

    goal_widget(window, QToolButton, "remove_exit_rule_0").click()
    goal_widget(window, QCheckBox, "goal_check").click()  # no goal any more
    window.save_action.trigger()
    stored = repo.get(journey_id).journey.to_dict()
    assert "goal" not in stored
    assert stored["exit_when"] == [{"fields": {"match": "all", "conditions": [
        {"field": "plan", "op": "equals", "value": "premium"}]}}]
    assert window.goal_header.text() == "No goal · Exit when: fields: plan equals premium"


def test_a_goal_edit_undoes_and_redoes(qtbot, repo):
    window = open_editor(qtbot, repo, repo.create(minimal_journey("Welcome")))
    window.goal_action.trigger()
    assert window.properties_tabs.currentWidget() is window.goal_panel
    goal_widget(window, QCheckBox, "goal_check").click()
    _type(qtbot, goal_widget(window, QComboBox, "goal_event_combo"), "purchase")
    assert window.document.journey.goal == Goal("purchase", Duration(7, "days"))
    assert window.goal_header.text() == "Goal: purchase within 7 days"

    window.undo_action.trigger()  # the typing is one step
    assert window.document.journey.goal == Goal("", Duration(7, "days"))
    assert goal_widget(window, QComboBox, "goal_event_combo").currentText() == ""
    window.undo_action.trigger()
    assert window.document.journey.goal is None
    assert window.goal_header.text() == "No goal"
    assert not goal_widget(window, QCheckBox, "goal_check").isChecked()
    assert window.goal_panel.findChild(QComboBox, "goal_event_combo") is None

    window.redo_action.trigger()
    window.redo_action.trigger()
    assert goal_widget(window, QComboBox, "goal_event_combo").currentText() == "purchase"
    assert window.goal_header.text() == "Goal: purchase within 7 days"
    assert window.isWindowModified()


def test_an_empty_goal_event_is_a_problem_on_its_input(qtbot, repo):
    window = open_editor(qtbot, repo, repo.create(minimal_journey("Welcome")))
    make_active(window)
    open_goal_panel(qtbot, window)
    goal_widget(window, QCheckBox, "goal_check").click()
    combo = goal_widget(window, QComboBox, "goal_event_combo")
    assert combo.property("problem") == "error"
    label = goal_widget(window, QLabel, "goal_problems_label")
    assert "Goal event" in label.text()
    assert window.goal_header.toolTip().count("•") == 1

    window.select_node("message")  # elsewhere; the problem list brings the input back
    assert window.properties_tabs.currentWidget() is window.panel
    _click_problem(qtbot, window, "name the goal's event")
    assert window.properties_tabs.currentWidget() is window.goal_panel
    assert QApplication.focusWidget() in (combo, combo.lineEdit())

    qtbot.keyClicks(combo.lineEdit(), "purchase")
    assert combo.property("problem") == ""
    assert not label.isVisible()


def test_a_goal_event_no_import_has_is_pointed_out(qtbot, repo, tmp_path):
    import_events(tmp_path)
    window = open_editor(qtbot, repo, repo.create(minimal_journey("Welcome")))
    open_goal_panel(qtbot, window)
    goal_widget(window, QCheckBox, "goal_check").click()
    _type(qtbot, goal_widget(window, QComboBox, "goal_event_combo"), "purchse")
    hint = goal_widget(window, QLabel, "goal_event_hint")
    assert hint.text() == "No “purchse” event has been imported yet: check the name."
    goal_choose(window, "goal_event_combo", "purchase")
    assert not hint.isVisible()


def test_an_active_journey_shows_its_rules_read_only(qtbot, repo):
    journey = minimal_journey("Welcome")
    journey.goal = Goal("purchase", Duration(7, "days"), exit_on_goal=True)
    journey.exit_when = [ExitRule(event="unsubscribed")]
    journey_id = repo.create(journey)
    repo.activate(journey_id)
    window = open_editor(qtbot, repo, journey_id)
    assert window.goal_header.text() == (
        "Goal: purchase within 7 days · exits on goal · Exit when: unsubscribed")
    open_goal_panel(qtbot, window)
    for cls, name in ((QCheckBox, "goal_check"), (QComboBox, "goal_event_combo"),
                      (QSpinBox, "goal_within_value"), (QCheckBox, "exit_on_goal_check"),
                      (QComboBox, "exit_event_combo_0"), (QToolButton, "remove_exit_rule_0"),
                      (QPushButton, "add_exit_event_button")):
        assert not goal_widget(window, cls, name).isEnabled(), name
    assert goal_widget(window, QComboBox, "goal_event_combo").currentText() == "purchase"


def test_a_draft_activated_elsewhere_turns_its_panel_read_only(qtbot, repo):
    journey_id = repo.create(minimal_journey("Welcome"))
    window = open_editor(qtbot, repo, journey_id)
    open_goal_panel(qtbot, window)
    assert goal_widget(window, QCheckBox, "goal_check").isEnabled()
    repo.activate(journey_id)
    window.check_status()
    assert not goal_widget(window, QCheckBox, "goal_check").isEnabled()


AB_TEST = Journey(name="A/B", nodes=[
    Node("start", "entry", next="ab"),
    Node("ab", "split", branches=[Branch(50, "push"), Branch(50, "push")]),
    Node("push", "message", channel="push", content={"title": "Hi", "body": "News"},
         next="end"),
    Node("end", "exit"),
])


def test_split_label_and_control_group_are_saved_and_drawn(qtbot, repo):
    journey_id = repo.create(AB_TEST.copy())
    window = open_editor(qtbot, repo, journey_id)
    click_card(qtbot, window, "ab")
    assert window.panel.node_id == "ab"
    label = panel_widget(window, QLineEdit, "branch_label_0")
    label.selectAll()
    qtbot.keyClicks(label, "Push")
    _type(qtbot, panel_widget(window, QSpinBox, "branch_percent_0"), "90")
    _type(qtbot, panel_widget(window, QSpinBox, "branch_percent_1"), "10")
    panel_widget(window, QCheckBox, "branch_holdout_1").click()
    assert plain(cards(window)["ab"].summary) == "Split Push 90 % / Control 10 %"
    # A control group ends there: its arrow goes, and no next step is asked for.
    labels = {e.field: plain(e.label) for e in arrows(window) if e.source.node_id == "ab"}
    assert labels == {"branches[0].next": "Push 90 %"}
    assert not panel_widget(window, QComboBox, "branch_next_1").isEnabled()
    assert window.document.validation.problems == []
    window.save_action.trigger()
    stored = repo.get(journey_id).journey.to_dict()
    split = next(n for n in stored["nodes"] if n["id"] == "ab")
    assert split["branches"] == [
        {"percent": 90, "next": "push", "label": "Push"},
        {"percent": 10, "next": None, "holdout": True},
    ]

    window.undo_action.trigger()  # the tick and the disconnection are one step
    assert window.document.node("ab").branches[1] == Branch(10, "push")
    assert {e.field for e in arrows(window) if e.source.node_id == "ab"} == {
        "branches[0].next", "branches[1].next"}


def test_a_control_group_with_a_next_step_from_a_file_is_labelled_on_its_arrow(qtbot, repo):
    journey = AB_TEST.copy()
    split = journey.node("ab")
    assert split is not None
    split.branches[1].holdout = True
    window = open_editor(qtbot, repo, repo.create(journey))
    labels = {e.field: plain(e.label) for e in arrows(window) if e.source.node_id == "ab"}
    assert labels == {"branches[0].next": "50 %", "branches[1].next": "Control 50 %"}


def test_a_long_branch_label_gives_way_to_the_percent_on_its_arrow(qtbot, repo):
    journey = AB_TEST.copy()
    split = journey.node("ab")
    assert split is not None
    split.branches = [Branch(34, "push", label="A very long name for a branch"),
                      Branch(33, "push", label="B"), Branch(33, "push", label="C")]
    window = open_editor(qtbot, repo, repo.create(journey))
    labels = {e.field: e for e in arrows(window) if e.source.node_id == "ab"}
    assert labels["branches[0].next"].label == "34 %"
    assert plain(labels["branches[0].next"].toolTip()) == "A very long name for a branch 34 %"
    assert plain(labels["branches[1].next"].label) == "B 33 %"


def test_each_problem_of_the_goal_and_exit_rules_is_outlined_on_its_input(qtbot, repo):
    journey = minimal_journey("Welcome")
    journey.goal = Goal("purchase", Duration(400, "days"),
                        filter=Filter("all", [Condition("", "gt", 20)]))
    journey.exit_when = [ExitRule(event=""), ExitRule(fields=Filter("all", [])),
                         ExitRule(event="refund", filter=Filter("all", [
                             Condition("total", "greater_than", 1)]))]
    window = open_editor(qtbot, repo, repo.create(journey))
    make_active(window)
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert window.properties_tabs.currentWidget() is window.goal_panel
    problems = {p.field for p in window.document.validation.problems}
    assert problems == {"goal.within.value", "goal.filter.conditions[0].field",
                        "exit_when[0].event", "exit_when[1].fields",
                        "exit_when[2].filter.conditions[0].op"}
    for name in ("goal_within_value", "goal_condition_field_0", "exit_event_combo_0",
                 "exit_1_add_condition_button", "exit_2_condition_op_0"):
        assert goal_widget(window, QWidget, name).property("problem") == "error", name
    shown = goal_widget(window, QLabel, "goal_problems_label").text().splitlines()
    assert len(shown) == 5
