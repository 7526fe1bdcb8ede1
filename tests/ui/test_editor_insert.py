"""Building faster: a step from the palette follows the selected node, a step inserted on
an arrow goes between its two ends."""

from __future__ import annotations

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.ui.editor.layout import CARD_HEIGHT
from tests.ui.editor_helpers import cards, click_card, open_editor, undo_all


def _open(qtbot, repo):  # type: ignore[no-untyped-def]
    return open_editor(qtbot, repo, repo.create(minimal_journey("Welcome")))


def test_a_palette_step_goes_after_the_selected_node_and_takes_over_its_next(qtbot, repo):
    window = _open(qtbot, repo)  # start → message → end
    click_card(qtbot, window, "start")
    window.palette_actions["wait"].trigger()
    doc = window.document
    assert doc.node("start").next == "wait_1"
    assert doc.node("wait_1").next == "message"
    shown = cards(window)
    start, wait, message = (shown[n].pos() for n in ("start", "wait_1", "message"))
    assert wait.x() == start.x() and wait.y() > start.y() + CARD_HEIGHT
    assert message.y() > wait.y() + CARD_HEIGHT  # moved down to make room
    assert not window.document.validation.errors
    assert window.panel.node_id == "wait_1"
    undo_all(window)
    assert doc.node("start").next == "message" and doc.node("wait_1") is None


def test_a_condition_fills_its_free_outputs_first(qtbot, repo):
    window = _open(qtbot, repo)
    click_card(qtbot, window, "message")
    window.palette_actions["condition"].trigger()  # message → condition_1 → end
    assert window.document.node("message").next == "condition_1"
    assert window.document.node("condition_1").yes == "end"
    window.palette_actions["exit"].trigger()  # the condition's free "no"
    assert window.document.node("condition_1").no == "exit_1"
    assert [p.field for p in window.document.validation.errors] == ["filter.conditions"]


def test_an_arrow_menu_inserts_a_step_between_its_ends(qtbot, repo):
    window = _open(qtbot, repo)
    edge = window.canvas.edge_item("message", "next")
    menu = window.canvas.edge_menu(edge)
    insert = next(a for a in menu.findChildren(type(menu.actions()[0]))
                  if a.objectName() == "insert_split")
    insert.trigger()
    doc = window.document
    assert doc.node("message").next == "split_1"
    assert doc.node("split_1").branches[0].next == "end"
    assert window.panel.node_id == "split_1"
    assert window.canvas.edge_item("split_1", "branches[0].next") is not None


def test_without_a_selection_the_palette_step_stands_alone(qtbot, repo):
    window = _open(qtbot, repo)
    window.canvas.scene().clearSelection()
    window.palette_actions["wait"].trigger()
    assert window.document.node("wait_1").next is None
    assert window.document.node("start").next == "message"
