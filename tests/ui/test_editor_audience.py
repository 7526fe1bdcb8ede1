"""The journey's audience in the editor: imported customers or everyone in the customer
base, chosen in the header, undoable, saved, and said on the entry card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from journey_desktop.domain.journey import Condition, Filter, minimal_journey
from journey_desktop.store.repository import JourneyRepository
from tests.ui.editor_helpers import cards, open_editor


def audience_combo(window) -> QComboBox:  # type: ignore[no-untyped-def]
    combo = window.findChild(QComboBox, "audience_combo")
    assert combo is not None and combo.isVisible()
    return combo


def test_choose_everyone_undo_redo_save_and_reload(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    journey_id = repo.create(minimal_journey("Welcome"))
    window = open_editor(qtbot, repo, journey_id)
    combo = audience_combo(window)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Imported customers (CSV)", "Everyone in the customer base"]
    assert combo.currentText() == "Imported customers (CSV)"
    assert cards(window)["start"].summary == "Every customer of the audience"

    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # as a user picks the second choice
    assert combo.currentText() == "Everyone in the customer base"
    assert window.document.journey.audience == "all"
    assert cards(window)["start"].summary == "Everyone in the customer base"
    assert window.isWindowModified()

    qtbot.keyClick(combo, Qt.Key.Key_Up)  # and changes their mind: two undo steps
    assert window.document.journey.audience == "csv"
    window.undo_action.trigger()
    assert combo.currentText() == "Everyone in the customer base"
    assert cards(window)["start"].summary == "Everyone in the customer base"
    window.undo_action.trigger()
    assert combo.currentText() == "Imported customers (CSV)"
    assert window.document.journey.audience == "csv"
    assert cards(window)["start"].summary == "Every customer of the audience"
    window.redo_action.trigger()
    assert combo.currentText() == "Everyone in the customer base"
    assert cards(window)["start"].summary == "Everyone in the customer base"

    assert window.save()
    assert repo.get(journey_id).journey.audience == "all"
    assert repo.get(journey_id).journey.to_dict()["audience"] == "all"
    window.close()

    reopened = open_editor(qtbot, repo, journey_id)
    assert audience_combo(reopened).currentText() == "Everyone in the customer base"
    assert cards(reopened)["start"].summary == "Everyone in the customer base"


def test_a_filtered_entry_keeps_its_condition_on_the_card(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    journey = minimal_journey("Premium")
    journey.audience = "all"
    journey.nodes[0].filter = Filter("all", [Condition("plan", "equals", "premium")])
    window = open_editor(qtbot, repo, repo.create(journey))
    assert audience_combo(window).currentText() == "Everyone in the customer base"
    assert cards(window)["start"].summary == "When plan equals premium"


def test_the_audience_is_read_only_for_an_active_journey(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    journey = minimal_journey("Running")
    journey.audience = "all"
    journey_id = repo.create(journey)
    assert repo.activate(journey_id).ok
    window = open_editor(qtbot, repo, journey_id)
    combo = audience_combo(window)
    assert combo.currentText() == "Everyone in the customer base"
    assert not combo.isEnabled()
    window.document.set_meta("audience", "csv")  # refused: the definition is frozen
    assert window.document.journey.audience == "all"
