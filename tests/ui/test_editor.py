"""The editor's behaviour as a user sees it: canvas, panel, problems, undo, save, read-only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
)

from journey_desktop.domain.engine import BUILTIN_PLACEHOLDERS
from journey_desktop.domain.filters import NUMBER_OPS, OP_LABELS
from journey_desktop.domain.journey import Journey, minimal_journey
from journey_desktop.ui import prompts
from journey_desktop.ui.common.changes import CUSTOMERS_IMPORT_CHANGE
from journey_desktop.ui.editor import EditorWindow
from journey_desktop.ui.editor.layout import CARD_HEIGHT, CARD_WIDTH, auto_layout
from tests.conftest import load_example
from tests.store.evaluator_support import import_customers
from tests.ui.editor_helpers import (
    arrows,
    cards,
    choose,
    click_card,
    new_draft,
    open_editor,
    panel_widget,
    rename,
    type_text,
    view_point,
)


def open_example(qtbot, repo, name, columns=None):
    journey_id = repo.create(load_example(name))
    if columns:
        repo.set_audience_columns(journey_id, columns)
    return journey_id, open_editor(qtbot, repo, journey_id)


def test_example_opens_laid_out_with_summaries_and_labels(qtbot, repo):
    journey_id, window = open_example(qtbot, repo, "welcome-series")
    shown = cards(window)
    assert len(shown) == 9
    assert shown["wait_two_days"].summary == "Wait 2 days, then at 09:00"
    assert shown["basic_push"].summary == "Push: Getting started, {{firstName}}?"
    assert shown["welcome_email"].summary == "Email: Welcome aboard, {{firstName}}"
    assert shown["is_premium"].summary == "If plan equals premium"
    assert sorted(e.label for e in arrows(window) if e.label) == ["50 %", "50 %", "no", "yes"]
    # Top to bottom, no two cards overlap, and the two arms of the condition stay apart.
    rects = [i.sceneBoundingRect() for i in shown.values()]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.adjusted(8, 12, -8, -12).intersects(b.adjusted(8, 12, -8, -12))
    assert shown["start"].pos().y() < shown["welcome_email"].pos().y() < shown["end"].pos().y()
    assert shown["ab_test"].pos().x() < shown["basic_push"].pos().x()
    assert not window.isWindowModified()
    assert window.problem_model.rowCount() == 0
    # The layout is kept when the journey is saved.
    window.save_action.trigger()
    stored = repo.get(journey_id).journey
    assert stored.node("end").position == (shown["end"].pos().x(), shown["end"].pos().y())


def test_stored_positions_are_used(qtbot, repo):
    journey = load_example("birthday")
    for i, node in enumerate(journey.nodes):
        node.position = (100.0 * i, 50.0 * i)
    journey_id = repo.create(journey)
    window = open_editor(qtbot, repo, journey_id)
    assert cards(window)["greet"].pos() == QPointF(100, 50)


def test_drag_a_card_moves_it_and_undo_puts_it_back(qtbot, repo):
    journey_id, window = open_example(qtbot, repo, "birthday")
    item = cards(window)["greet"]
    before = item.pos()
    viewport = window.canvas.viewport()
    start = view_point(window, item.mapToScene(CARD_WIDTH / 2, CARD_HEIGHT / 2 - 10))
    end = start + QPoint(120, 40)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, pos=start + QPoint(30, 10))
    qtbot.mouseMove(viewport, pos=end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert item.pos().x() > before.x() + 50
    assert window.isWindowModified()
    window.save_action.trigger()
    assert repo.get(journey_id).journey.node("greet").position == (item.pos().x(), item.pos().y())
    window.undo_action.trigger()
    assert item.pos() == before


def test_delete_a_connection_and_a_node_then_undo(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday")
    canvas = window.canvas
    edge = canvas.edge_item("start", "next")
    edge.setSelected(True)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert canvas.edge_item("start", "next") is None
    assert window.document.node("start").next is None
    assert cards(window)["start"].badge_text == "1"

    click_card(qtbot, window, "greet")
    assert window.panel.node_id == "greet"
    window.delete_action.trigger()
    assert "greet" not in cards(window)
    assert arrows(window) == []

    window.undo_action.trigger()
    assert "greet" in cards(window)
    assert canvas.edge_item("greet", "next") is not None
    window.undo_action.trigger()
    assert canvas.edge_item("start", "next").target.node_id == "greet"
    assert window.document.validation.problems == []


def test_rename_follows_references_and_refuses_duplicates(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday")
    window.select_node("greet")
    rename(qtbot, window, "hello")
    assert window.document.node("start").next == "hello"
    assert window.canvas.edge_item("start", "next").target.node_id == "hello"
    assert panel_widget(window, QComboBox, "next_combo").currentText() == "end"

    edit = panel_widget(window, QLineEdit, "node_id_edit")
    edit.selectAll()
    qtbot.keyClicks(edit, "end")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    error = panel_widget(window, QLabel, "node_id_error")
    assert "already called 'end'" in error.text()
    assert edit.text() == "hello"
    window.undo_action.trigger()
    assert window.document.node("start").next == "greet"
    assert window.panel.node_id == "greet"


def test_operators_fit_the_field_type_and_placeholders_come_from_columns(qtbot, repo):
    columns = {"firstName": "text", "age": "number", "birthday": "date"}
    _id, window = open_example(qtbot, repo, "birthday", columns)
    window.select_node("start")
    ops = panel_widget(window, QComboBox, "condition_op_0")
    assert [ops.itemData(i) for i in range(ops.count())][0] == "before"
    choose(window, "condition_field_0", "age")
    assert [ops.itemData(i) for i in range(ops.count())] == list(NUMBER_OPS)
    condition = window.document.node("start").filter.conditions[0]
    assert condition.field == "age" and condition.op == "eq"
    choose(window, "condition_op_0", OP_LABELS["gte"])
    type_text(qtbot, window, "condition_value_0", "18")
    condition = window.document.node("start").filter.conditions[0]
    assert (condition.op, condition.value) == ("gte", 18)
    assert cards(window)["start"].summary == "When age ≥ 18"

    window.select_node("greet")
    button = panel_widget(window, QToolButton, "placeholder_button")
    offered = [a.data() for a in button.menu().actions() if not a.isSeparator()]
    assert offered == ["firstName", "age", "birthday", *BUILTIN_PLACEHOLDERS]
    title = panel_widget(window, QLineEdit, "field_title")
    title.setFocus()
    title.setCursorPosition(0)
    next(a for a in button.menu().actions() if a.data() == "age").trigger()
    assert window.document.node("greet").content["title"].startswith("{{age}}Happy birthday")


def test_the_placeholder_picker_offers_the_built_ins_after_the_columns(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday", {"customerId": "text", "city": "text"})
    window.select_node("greet")
    menu = panel_widget(window, QToolButton, "placeholder_button").menu()
    shown = [("---" + a.text()) if a.isSeparator() else a.text() for a in menu.actions()]
    assert shown == [
        "city  (text)",
        "---Built in",
        "customerId  (the customer's ID)",
        "journeyName  (the journey's name)",
        "entryNumber  (1 on a customer's first run, 2 on the second)",
    ]
    title = panel_widget(window, QLineEdit, "field_title")
    title.setFocus()
    title.setCursorPosition(len(title.text()))
    for name in ("customerId", "entryNumber"):
        next(a for a in menu.actions() if a.data() == name).trigger()
    assert window.document.node("greet").content["title"] == (
        "Happy birthday, {{firstName}}!{{customerId}}{{entryNumber}}"
    )


def test_unknown_placeholder_is_a_warning_badge(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday", {"birthday": "date"})
    assert cards(window)["greet"].badge_text == "!"
    assert window.problem_model.rowCount() == 1


def test_an_open_editor_learns_the_fields_a_customers_import_brings(qtbot, repo, tmp_path):
    _id, window = open_example(qtbot, repo, "birthday", {"birthday": "date"})
    window.select_node("greet")
    type_text(qtbot, window, "field_body", "Unsaved words")
    assert cards(window)["greet"].badge_text == "!"
    import_customers(repo, tmp_path, "customerId,firstName\nc1,Ann\n", 1_000)
    window.notice_change(None, CUSTOMERS_IMPORT_CHANGE)
    assert cards(window)["greet"].badge_text == ""
    assert window.problem_model.rowCount() == 0
    menu = panel_widget(window, QToolButton, "placeholder_button").menu()
    assert "firstName" in [a.data() for a in menu.actions() if not a.isSeparator()]
    assert window.document.node("greet").content["body"] == "Unsaved words"
    assert not window.document.undo_stack.isClean()


def test_sms_character_count_is_live(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday")
    window.select_node("greet")
    choose(window, "channel_combo", "SMS")
    type_text(qtbot, window, "field_body", "Hello {{firstName}}")
    count = panel_widget(window, QLabel, "sms_count_label")
    assert count.text() == "19 / 1,600 characters"
    panel_widget(window, QPlainTextEdit, "field_body").setPlainText("x" * 1601)
    assert count.text() == "1,601 / 1,600 characters"
    assert cards(window)["greet"].badge_text == "1"
    assert "over the limit" in cards(window)["greet"].toolTip()
    assert cards(window)["greet"].summary.startswith("SMS: xxx")


def test_problems_list_selects_the_node(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday")
    window.select_node("greet")
    title = panel_widget(window, QLineEdit, "field_title")
    title.selectAll()
    qtbot.keyClick(title, Qt.Key.Key_Backspace)
    assert window.document.node("greet").content["title"] == ""
    window.canvas.scene().clearSelection()
    assert window.panel.node_id == ""
    model = window.problem_model
    assert model.rowCount() == 1
    assert model.index(0).data().endswith("greet · Title: write the title")
    rect = window.problems_list.visualRect(model.index(0))
    qtbot.mouseClick(window.problems_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.canvas.selected_node_ids() == ["greet"]
    assert window.panel.node_id == "greet"
    assert cards(window)["greet"].badge_text == "1"


def test_split_branches_and_wait_fields(qtbot, repo):
    journey_id = new_draft(repo)
    window = open_editor(qtbot, repo, journey_id)
    window.palette_actions["split"].trigger()
    panel_widget(window, QPushButton, "add_branch_button").click()
    assert cards(window)["split_1"].summary == "Split 50 % / 50 % / 10 %"
    assert panel_widget(window, QLabel, "split_total_label").text() == "Total: 110 %"
    assert any("add up to 110" in str(p) for p in window.document.validation.problems)
    panel_widget(window, QToolButton, "remove_branch_2").click()
    assert panel_widget(window, QLabel, "split_total_label").text() == "Total: 100 %"
    assert not panel_widget(window, QToolButton, "remove_branch_0").isEnabled()

    window.palette_actions["wait"].trigger()
    choose(window, "duration_unit", "hours")
    assert cards(window)["wait_1"].summary == "Wait 1 hour"


def test_name_and_description_edit_with_undo(qtbot, repo):
    journey_id = new_draft(repo, "First")
    window = open_editor(qtbot, repo, journey_id)
    window.name_edit.selectAll()
    qtbot.keyClicks(window.name_edit, "Renamed journey")
    assert window.windowTitle().startswith("Renamed journey")
    assert window.isWindowModified()
    window.undo_action.trigger()
    assert window.name_edit.text() == "First"
    window.redo_action.trigger()
    window.save_action.trigger()
    assert repo.get(journey_id).journey.name == "Renamed journey"


def test_ctrl_s_saves(qtbot, repo):
    journey_id = new_draft(repo)
    window = open_editor(qtbot, repo, journey_id)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.palette_actions["exit"].trigger()
    with qtbot.waitSignal(window.journey_saved) as saved:
        qtbot.keyClick(window.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args == [journey_id]
    assert [n.id for n in repo.get(journey_id).journey.nodes] == ["exit_1"]


def test_save_refusal_is_shown(qtbot, repo, monkeypatch):
    repo.create(Journey(name="Taken"))
    journey_id = new_draft(repo)
    window = open_editor(qtbot, repo, journey_id)
    errors = []
    monkeypatch.setattr(prompts, "show_error", lambda parent, title, text: errors.append(text))
    window.name_edit.selectAll()
    qtbot.keyClicks(window.name_edit, "taken")
    assert any(p.field == "name" for p in window.document.validation.problems)
    window.save_action.trigger()
    assert errors == ["another journey is already named 'taken'"]
    assert window.isWindowModified()


def test_closing_with_unsaved_changes_asks(qtbot, repo, monkeypatch):
    journey_id = new_draft(repo)
    window = open_editor(qtbot, repo, journey_id)
    window.palette_actions["entry"].trigger()
    answers = ["cancel", "save"]
    asked = []

    def ask(parent, title, text):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(prompts, "ask_save_changes", ask)
    window.close()
    assert window.isVisible()
    window.close()
    assert not window.isVisible()
    assert len(asked) == 2 and "New journey" in asked[0]
    assert [n.id for n in repo.get(journey_id).journey.nodes] == ["entry_1"]


def test_closing_and_discarding_keeps_the_stored_journey(qtbot, repo, monkeypatch):
    journey_id = new_draft(repo)
    window = open_editor(qtbot, repo, journey_id)
    window.palette_actions["entry"].trigger()
    monkeypatch.setattr(prompts, "ask_save_changes", lambda *a: "discard")
    window.close()
    assert not window.isVisible()
    assert repo.get(journey_id).journey.nodes == []


def test_active_journey_is_read_only_with_clone_to_edit(qtbot, repo):
    journey_id = repo.create(load_example("birthday"))
    assert repo.activate(journey_id).ok
    window = open_editor(qtbot, repo, journey_id)
    banner = window.findChild(QLabel, "readonly_banner_text")
    assert window.banner.isVisible() and "active" in banner.text()
    assert not window.node_palette.isEnabled()
    assert not window.save_action.isEnabled()
    assert window.name_edit.isReadOnly()
    greet = cards(window)["greet"]
    assert not greet.flags() & greet.GraphicsItemFlag.ItemIsMovable
    window.select_node("greet")
    assert not window.panel.widget().isEnabled()
    window.delete_action.trigger()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert "greet" in cards(window)

    opened = []
    window.clone_opened.connect(opened.append)
    window.findChild(QPushButton, "clone_to_edit_button").click()
    assert len(opened) == 1
    clone = repo.get(opened[0])
    assert clone.status == "draft" and clone.journey.name == "Copy of Birthday greetings"


def test_clone_to_edit_opens_the_draft_when_used_alone(qtbot, repo):
    journey_id = repo.create(load_example("birthday"))
    repo.activate(journey_id)
    repo.deactivate(journey_id)
    window = open_editor(qtbot, repo, journey_id)
    assert "deactivated" in window.findChild(QLabel, "readonly_banner_text").text()
    window.findChild(QPushButton, "clone_to_edit_button").click()
    drafts = [w for w in window._clone_windows if w.isVisible()]
    assert len(drafts) == 1 and not drafts[0].read_only
    qtbot.addWidget(drafts[0], before_close_func=lambda w: w.document.undo_stack.setClean())
    assert drafts[0].name_edit.text() == "Copy of Birthday greetings"


def test_node_counts_show_on_cards(qtbot, repo):
    _id, window = open_example(qtbot, repo, "birthday")
    window.set_node_counts({"start": 1200, "greet": 1187})
    shown = cards(window)
    assert shown["start"].count_text == "1,200 reached"
    assert shown["end"].count_text == "0 reached"
    window.set_node_counts(None)
    assert shown["start"].count_text == ""


def test_wheel_zooms_and_fit_shows_everything(qtbot, repo):
    _id, window = open_example(qtbot, repo, "welcome-series")
    canvas = window.canvas
    before = canvas.zoom()
    centre = QPointF(canvas.viewport().rect().center())
    wheel = QWheelEvent(centre, canvas.viewport().mapToGlobal(centre), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom() == pytest.approx(before * 1.15 ** 2)
    window.fit_action.trigger()
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert visible.contains(canvas.scene().itemsBoundingRect().adjusted(10, 10, -10, -10))


def test_arrange_is_undoable(qtbot, repo):
    journey = minimal_journey("Scattered")
    for i, node in enumerate(journey.nodes):
        node.position = (500.0 - 200 * i, 10.0)
    journey_id = repo.create(journey)
    window = open_editor(qtbot, repo, journey_id)
    window.layout_action.trigger()
    ys = [cards(window)[n].pos().y() for n in ("start", "message", "end")]
    assert ys == sorted(ys) and len(set(ys)) == 3
    window.undo_action.trigger()
    assert cards(window)["end"].pos() == QPointF(100, 10)


def test_select_node_is_public(qtbot, repo):
    _id, window = open_example(qtbot, repo, "welcome-series")
    window.select_node("basic_push")
    assert window.canvas.selected_node_ids() == ["basic_push"]
    title = panel_widget(window, QLineEdit, "field_title")
    assert title.text() == "Getting started, {{firstName}}?"
    for name in ("editor_canvas", "properties_panel", "problems_list", "palette", "name_edit",
                 "description_edit", "readonly_banner", "clone_to_edit_button"):
        assert window.findChild(object, name) is not None, name
    for name in ("save_action", "undo_action", "redo_action"):
        assert window.findChild(object, name) is not None, name
    assert isinstance(window, EditorWindow)


def test_layout_of_a_large_journey_has_no_overlaps():
    from bench.bench_editor import large_journey
    from journey_desktop.ui.editor.layout import COLUMN_WIDTH, ROW_HEIGHT

    journey = large_journey(200)
    positions = sorted(auto_layout(journey).values())
    assert len(positions) == 200
    for i, (x, y) in enumerate(positions):
        for other_x, other_y in positions[i + 1:]:
            assert abs(other_x - x) >= COLUMN_WIDTH - 1 or abs(other_y - y) >= ROW_HEIGHT - 1
    by_id = auto_layout(journey)
    assert by_id["start"][1] < by_id["wait_0"][1] < by_id["check_0"][1] < by_id["end"][1]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1,234", "1,234"), ("+5", "+5"), ("NaN", "NaN"), ("1_000", "1_000"), (" 7 ", 7),
     ("1.5e3", 1500), ("2,5", 2.5)],
)
def test_a_number_typed_in_a_condition_is_read_as_the_import_reads_it(qtbot, repo, typed, stored):
    _id, window = open_example(qtbot, repo, "birthday", {"age": "number"})
    window.select_node("start")
    choose(window, "condition_field_0", "age")
    choose(window, "condition_op_0", OP_LABELS["gt"])
    type_text(qtbot, window, "condition_value_0", typed)
    condition = window.document.node("start").filter.conditions[0]
    assert condition.value == stored  # text that is no number is kept for validation to name
    window.document.revalidate()
    problems = [p.message for p in window.document.validation.errors if p.node == "start"]
    assert bool(problems) is isinstance(stored, str)
