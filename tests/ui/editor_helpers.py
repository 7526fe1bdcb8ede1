"""Helpers for the editor tests: open an editor, drive the palette, panel and canvas."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from journey_desktop.domain.journey import Activation, Journey
from journey_desktop.ui.editor import EditorWindow
from journey_desktop.ui.editor.items import EdgeItem, NodeItem
from journey_desktop.ui.editor.layout import CARD_HEIGHT, CARD_WIDTH


def open_editor(qtbot: Any, repo: Any, journey_id: int) -> EditorWindow:
    window = EditorWindow(repo, journey_id)
    # Closing at teardown must not ask about unsaved changes with a real dialog.
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.show()
    qtbot.waitExposed(window)
    return window


def new_draft(repo: Any, name: str = "New journey", activation: Activation | None = None,
              columns: dict[str, str] | None = None) -> int:
    """An empty draft, as "New" would make it, with activation options already chosen."""
    journey_id = repo.create(Journey(name=name, activation=activation or Activation()))
    if columns:
        repo.set_audience_columns(journey_id, columns)
    return journey_id


def without_positions(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["nodes"] = [{k: v for k, v in n.items() if k != "position"} for n in data["nodes"]]
    return data


def stored_file(repo: Any, journey_id: int) -> dict[str, Any]:
    return without_positions(repo.get(journey_id).journey.to_dict())


def cards(window: EditorWindow) -> dict[str, NodeItem]:
    return {i.node_id: i for i in window.canvas.scene().items() if isinstance(i, NodeItem)}


def arrows(window: EditorWindow) -> list[EdgeItem]:
    return [i for i in window.canvas.scene().items() if isinstance(i, EdgeItem)]


def panel_widget(window: EditorWindow, cls: type, name: str) -> Any:
    widget = window.panel.findChild(cls, name)
    assert widget is not None and widget.isVisible(), f"{name} is not shown"
    return widget


def add_node(qtbot: Any, window: EditorWindow, node_type: str, node_id: str) -> None:
    """Click the palette, then rename the new node in the panel."""
    before = set(cards(window))
    window.palette_actions[node_type].trigger()
    added = set(cards(window)) - before
    assert len(added) == 1
    assert window.panel.node_id == added.pop()
    rename(qtbot, window, node_id)


def rename(qtbot: Any, window: EditorWindow, node_id: str) -> None:
    edit = panel_widget(window, QLineEdit, "node_id_edit")
    edit.selectAll()
    qtbot.keyClicks(edit, node_id)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.panel.node_id == node_id


def type_text(qtbot: Any, window: EditorWindow, name: str, text: str) -> None:
    widget = window.panel.findChild(QLineEdit, name) or window.panel.findChild(QPlainTextEdit, name)
    assert widget is not None, name
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def choose(window: EditorWindow, name: str, text: str) -> None:
    combo = panel_widget(window, QComboBox, name)
    assert combo.findText(text) >= 0, f"{text!r} not offered by {name}"
    combo.setCurrentText(text)


def view_point(window: EditorWindow, scene_point: Any) -> QPoint:
    return window.canvas.mapFromScene(scene_point)


def drag_connect(qtbot: Any, window: EditorWindow, source: str, field: str, target: str) -> None:
    """Drag from a node's output port onto another node, with mouse events on the viewport."""
    canvas = window.canvas
    canvas.fit_all(max_zoom=1.0)
    viewport: QWidget = canvas.viewport()
    start = view_point(window, canvas.output_port_scene_pos(source, field))
    end = view_point(window, cards(window)[target].sceneBoundingRect().center())
    middle = (start + end) / 2
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, pos=middle)
    qtbot.mouseMove(viewport, pos=end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def click_card(qtbot: Any, window: EditorWindow, node_id: str) -> None:
    item = cards(window)[node_id]
    point = view_point(window, item.mapToScene(CARD_WIDTH / 2, CARD_HEIGHT / 2))
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)


def undo_all(window: EditorWindow) -> int:
    steps = 0
    while window.undo_action.isEnabled():
        window.undo_action.trigger()
        steps += 1
    return steps


def redo_all(window: EditorWindow) -> int:
    steps = 0
    while window.redo_action.isEnabled():
        window.redo_action.trigger()
        steps += 1
    return steps
