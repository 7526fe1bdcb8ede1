"""Checking and launching from the editor: problems in plain words at their input, Validate
and Activate on what the editor shows, read-only as soon as the journey runs elsewhere."""

from __future__ import annotations

import warnings

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLabel, QLineEdit, QPushButton

from journey_desktop.domain.journey import Condition, Filter, minimal_journey
from journey_desktop.ui import prompts
from journey_desktop.ui.editor import window as editor_window
from tests.ui.editor_helpers import open_editor, panel_widget


def make_active(window) -> None:  # type: ignore[no-untyped-def]
    """Give the window the keyboard, as a click on it would (offscreen has no window
    manager to do it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        QApplication.setActiveWindow(window)
    assert window.isActiveWindow()


def _broken_entry(repo) -> int:  # type: ignore[no-untyped-def]
    journey = minimal_journey("Welcome")
    journey.nodes[0].filter = Filter("all", [Condition("", "equals", "gold")])
    return repo.create(journey)


def _click_problem(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    model = window.problem_model
    rows = [model.index(r).data() for r in range(model.rowCount())]
    row = next(i for i, shown in enumerate(rows) if shown.endswith(text))
    rect = window.problems_list.visualRect(model.index(row))
    qtbot.mouseClick(window.problems_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_problem_reads_plainly_and_clicking_it_focuses_its_outlined_input(qtbot, repo):
    window = open_editor(qtbot, repo, _broken_entry(repo))
    make_active(window)
    _click_problem(qtbot, window, "start · Condition 1: choose a field")
    field = panel_widget(window, QComboBox, "condition_field_0")
    assert window.canvas.selected_node_ids() == ["start"]
    assert QApplication.focusWidget() in (field, field.lineEdit())
    assert field.property("problem") == "error"
    assert panel_widget(window, QLabel, "node_problems_label").text() == (
        "✖ Condition 1: choose a field")
    qtbot.keyClicks(field.lineEdit(), "plan")
    assert not field.property("problem")
    assert not any(p.node == "start" for p in window.document.validation.problems)


def test_the_editors_validate_dialog_follows_the_edits(qtbot, repo):
    window = open_editor(qtbot, repo, _broken_entry(repo))
    window.findChild(QPushButton, "editor_validate_button").click()
    dialog = window.findChild(QDialog, "validate_dialog")
    summary = dialog.findChild(QLabel, "validate_summary_label")
    assert "Not ready" in summary.text()
    assert dialog.model.index(0, 2).data() == "Condition 1: choose a field"
    window.select_node("start")
    panel_widget(window, QComboBox, "condition_field_0").setCurrentText("plan")
    assert "Ready to activate" in summary.text()
    dialog.close()


def test_main_window_validate_checks_what_an_unsaved_editor_shows(qtbot, repo, main_window):
    from tests.ui.test_main_window import click_row

    journey_id = repo.create(minimal_journey("Fine"))
    main_window.refresh()
    main_window.open_editor(journey_id)
    editor = main_window.child_windows.editor(journey_id)
    qtbot.addWidget(editor, before_close_func=lambda w: w.document.undo_stack.setClean())
    editor.select_node("message")
    title = panel_widget(editor, QLineEdit, "field_title")
    title.selectAll()
    qtbot.keyClick(title, Qt.Key.Key_Backspace)
    assert not editor.document.undo_stack.isClean()
    click_row(qtbot, main_window, "Fine")
    qtbot.mouseClick(main_window.validate_button, Qt.MouseButton.LeftButton)
    dialog = editor.findChild(QDialog, "validate_dialog")
    assert dialog is not None and dialog.isVisible()
    text = dialog.findChild(QLabel, "validate_summary_label").text()
    assert "Not ready" in text and "No problems were found" not in text
    dialog.close()
    editor.document.undo_stack.setClean()  # the main window closes first at teardown


def test_main_window_activate_asks_to_save_an_unsaved_editor_first(qtbot, repo, main_window,
                                                                    monkeypatch):
    from tests.ui.test_main_window import click_row

    journey_id = repo.create(minimal_journey("Fine"))
    main_window.refresh()
    main_window.open_editor(journey_id)
    editor = main_window.child_windows.editor(journey_id)
    qtbot.addWidget(editor, before_close_func=lambda w: w.document.undo_stack.setClean())
    editor.name_edit.textEdited.emit("Fine, renamed")
    asked: list[str] = []
    answer = [False]
    monkeypatch.setattr(prompts, "confirm",
                        lambda _p, _t, text, **_k: asked.append(text) or answer[0])
    click_row(qtbot, main_window, "Fine")
    qtbot.mouseClick(main_window.activate_button, Qt.MouseButton.LeftButton)
    assert asked == ["Save the changes to “Fine, renamed” before activating?"]
    assert main_window.findChild(QDialog, "activate_dialog") is None
    answer[0] = True
    qtbot.mouseClick(main_window.activate_button, Qt.MouseButton.LeftButton)
    assert repo.get(journey_id).journey.name == "Fine, renamed"
    dialog = main_window.findChild(QDialog, "activate_dialog")
    assert dialog is not None and dialog.windowTitle() == "Activate “Fine, renamed”"
    dialog.reject()
    editor.document.undo_stack.setClean()


def test_the_editors_activate_saves_first_then_turns_the_editor_read_only(qtbot, repo,
                                                                         monkeypatch):
    journey_id = repo.create(minimal_journey("Fine"))
    window = open_editor(qtbot, repo, journey_id)
    window.name_edit.textEdited.emit("Launch")
    monkeypatch.setattr(prompts, "confirm", lambda *_a, **_k: True)
    window.findChild(QPushButton, "editor_activate_button").click()
    dialog = window.findChild(QDialog, "activate_dialog")
    assert dialog is not None and dialog.windowTitle() == "Activate “Launch”"
    with qtbot.waitSignal(dialog.activated, timeout=10_000):
        dialog.activate_button.click()
    assert repo.get(journey_id).status == "active"
    assert window.read_only and window.banner.isVisible()
    assert not window.save_action.isEnabled()
    assert not window.findChild(QPushButton, "editor_activate_button").isEnabled()


def test_an_editor_turns_read_only_when_its_journey_is_activated_elsewhere(qtbot, repo,
                                                                          monkeypatch):
    monkeypatch.setattr(editor_window, "STATUS_POLL_MS", 20)
    journey_id = repo.create(minimal_journey("Fine"))
    window = open_editor(qtbot, repo, journey_id)
    window.name_edit.textEdited.emit("Unsaved rename")
    repo.activate(journey_id)  # as the CLI in another process would
    qtbot.waitUntil(lambda: window.read_only, timeout=5000)
    assert window.banner.isVisible()
    assert "unsaved changes cannot be saved" in window.banner_label.text()
    assert window.name_edit.isReadOnly() and not window.node_palette.isEnabled()
    assert not window.save_action.isEnabled()
    window.select_node("message")
    assert not panel_widget(window, QLineEdit, "field_title").isEnabled()


def test_a_palette_click_after_typing_keeps_the_journey_name(qtbot, repo):
    journey_id = repo.create(minimal_journey("Spring sale"))
    window = open_editor(qtbot, repo, journey_id)
    make_active(window)
    window.select_node("message")
    title = panel_widget(window, QLineEdit, "field_title")
    title.setFocus()
    qtbot.keyClicks(title, "!")
    button = window.node_palette.widgetForAction(window.palette_actions["wait"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    focused = QApplication.focusWidget()
    assert focused is not window.name_edit
    qtbot.keyClick(focused, Qt.Key.Key_Delete)
    assert window.name_edit.text() == "Spring sale"
    assert window.document.journey.name == "Spring sale"
    assert "wait_1" not in window.document.node_ids()  # Delete took the new step away
