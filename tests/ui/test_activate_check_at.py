"""The activation dialog's Check at (SPEC §3, §9 ``check_at_edit``): off by default,
proposed for a date journey, greyed where it cannot apply, said in words ("first check
today at 14:05, then daily at 09:00"), stored on Activate."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from journey_desktop.domain.journey import Journey
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.activate_dialog import ActivateDialog
from tests.conftest import add_members, load_example

MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 12, 1, 13, 58, tzinfo=MADRID).timestamp()
NEXT_TICK = int(dt.datetime(2026, 12, 1, 14, 5, tzinfo=MADRID).timestamp())


def open_dialog(qtbot, repo: JourneyRepository, journey_id: int) -> ActivateDialog:  # type: ignore[no-untyped-def]
    dialog = ActivateDialog(repo, journey_id, next_tick_at=NEXT_TICK, clock=lambda: NOW,
                            tz=MADRID)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_check_at_is_proposed_said_in_words_and_stored(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    journey_id = repo.create(load_example("birthday"))
    add_members(journey_id, {"c1": {"birthday": "1990-12-01"}}, 1000)
    dialog = open_dialog(qtbot, repo, journey_id)
    edit = dialog.findChild(QLineEdit, "check_at_edit")
    assert edit is not None and edit.isEnabled()
    assert edit.text() == "" and edit.placeholderText() == "Off"
    assert dialog.schedule_label.text() == "First check today at 14:05, then daily at 14:05."
    hint = dialog.findChild(type(dialog.schedule_label), "check_at_hint")
    assert hint.isVisible() and "check at 09:00" in hint.text()

    hint.linkActivated.emit("09:00")  # the user follows the proposal
    assert edit.text() == "09:00"
    assert not hint.isVisible()
    assert dialog.schedule_label.text() == "First check today at 14:05, then daily at 09:00."
    assert dialog.summary_label.text().endswith("checked again once a day at 09:00.")

    unit = dialog.findChild(QComboBox, "timeout_unit")
    unit.setCurrentIndex(unit.findData("hours"))
    assert not edit.isEnabled() and dialog.activation().check_at is None
    assert dialog.schedule_label.text() == "First check today at 14:05, then once an hour."
    unit.setCurrentIndex(unit.findData("days"))
    assert edit.isEnabled() and dialog.activation().check_at == "09:00"

    with qtbot.waitSignal(dialog.activated, timeout=10_000):
        qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    assert repo.get(journey_id).journey.activation.check_at == "09:00"


def test_typing_takes_hh_mm_only_and_reentry_off_greys_it(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    journey_id = repo.create(load_example("birthday"))
    dialog = open_dialog(qtbot, repo, journey_id)
    edit = dialog.check_at_edit
    for typed, kept, value in (("9:30", "9:30", "09:30"), ("25", "2", None), ("8:5", "8:5", None),
                               ("ab", "", None), ("07:45", "07:45", "07:45")):
        edit.clear()
        qtbot.keyClicks(edit, typed)
        assert (edit.text(), dialog.activation().check_at) == (kept, value), typed
    dialog.reentry_checkbox.click()
    assert not edit.isEnabled() and dialog.activation().check_at is None
    assert dialog.schedule_label.text() == (
        "First check today at 14:05; each customer is checked once, when first seen.")


def test_the_proposal_keeps_a_wait_then_at_on_the_day(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    data = load_example("birthday").to_dict()
    data["nodes"][0]["next"] = "nine"
    data["nodes"].insert(1, {"id": "nine", "type": "wait", "at_time": "09:00", "next": "greet",
                             "duration": {"value": 1, "unit": "minutes"}})
    dialog = open_dialog(qtbot, repo, repo.create(Journey.from_dict(data)))
    assert "check at 08:00" in dialog.check_at_hint.text()
    daily = load_example("daily-promotion")  # no date in the entry: nothing proposed
    dialog = open_dialog(qtbot, repo, repo.create(daily))
    assert not dialog.check_at_hint.isVisible()


def test_the_forecast_window_takes_check_at_and_hands_it_to_the_dialog(
        qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.test_forecast_view import make_window, run

    journey_id = repo.create(load_example("birthday"))
    add_members(journey_id, {"c1": {"firstName": "C", "birthday": "1990-02-16"}}, 0)
    window = make_window(qtbot, repo, journey_id)  # from 15 February 2027, 09:00
    edit = window.findChild(QLineEdit, "forecast_check_at")
    assert edit is not None and edit.isEnabled()
    qtbot.keyClicks(edit, "07:30")
    assert window.options_summary.text().endswith("checked again once a day at 07:30.")
    result = run(qtbot, window)
    assert result.journey.activation.check_at == "07:30"
    # Checked first at 09:00 on the 15th, then at 07:30: greeted at 07:30 on the 16th.
    trace = [(step.node, step.reached_at) for step in result.trace("c1")]
    assert trace[0] == ("start", int(dt.datetime(2027, 2, 16, 7, 30, tzinfo=MADRID).timestamp()))
    qtbot.mouseClick(window.activate_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(ActivateDialog)
    assert dialog is not None and dialog.check_at_edit.text() == "07:30"
    dialog.reject()
