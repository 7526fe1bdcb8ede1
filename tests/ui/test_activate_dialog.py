"""The activation dialog (SPEC §3): prefill, greyed fields, the sentence, warnings, refusal."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QDialog, QLineEdit, QSpinBox

from journey_desktop.domain.activation_words import describe_activation
from journey_desktop.domain.journey import AUDIENCE_ALL, Activation, Duration, Node
from journey_desktop.store.repository import ACTIVE, DRAFT, JourneyRepository
from journey_desktop.ui.activate_dialog import (
    EMPTY_AUDIENCE_NOTE,
    EMPTY_BASE_NOTE,
    ONE_DAY_NOTE,
    ActivateDialog,
)
from journey_desktop.ui.guide import SECTION_ACTIVATE, GuideWindow, anchor
from tests.conftest import add_members, load_example


@pytest.fixture
def birthday_id(repo: JourneyRepository) -> int:
    return repo.create(load_example("birthday"))


def open_dialog(qtbot, repo: JourneyRepository, journey_id: int) -> ActivateDialog:  # type: ignore[no-untyped-def]
    dialog = ActivateDialog(repo, journey_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def widgets(dialog: ActivateDialog) -> tuple[QCheckBox, QLineEdit, QSpinBox, QComboBox]:
    return (
        dialog.findChild(QCheckBox, "reentry_checkbox"),
        dialog.findChild(QLineEdit, "max_entries_edit"),
        dialog.findChild(QSpinBox, "timeout_value"),
        dialog.findChild(QComboBox, "timeout_unit"),
    )


def summary(dialog: ActivateDialog) -> str:
    return dialog.summary_label.text()


def test_prefilled_from_the_stored_options(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    reentry, max_entries, value, unit = widgets(dialog)
    assert dialog.windowTitle() == "Activate “Birthday greetings”"
    assert reentry.isChecked()
    assert max_entries.text() == "" and max_entries.placeholderText() == "Unlimited"
    assert (value.value(), unit.currentData()) == (1, "days")
    assert summary(dialog).startswith(
        "Each customer can enter any number of times, at most once a day.")


def test_fields_are_greyed_out_while_reentry_is_off(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    reentry, max_entries, value, unit = widgets(dialog)
    reentry.click()
    assert not reentry.isChecked()
    assert not max_entries.isEnabled() and not value.isEnabled() and not unit.isEnabled()
    assert summary(dialog).startswith("Each customer is checked once, when first seen")
    reentry.click()
    assert max_entries.isEnabled() and value.isEnabled() and unit.isEnabled()


def test_the_sentence_follows_the_options(qtbot, repo: JourneyRepository, birthday_id: int) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, repo, birthday_id)
    _, max_entries, value, unit = widgets(dialog)
    qtbot.keyClicks(max_entries, "7")
    assert summary(dialog).startswith("Each customer can enter up to 7 times, at most once a day.")
    value.setValue(3)
    unit.setCurrentIndex(unit.findData("hours"))
    assert summary(dialog).startswith(
        "Each customer can enter up to 7 times, at most once every 3 hours.")
    max_entries.clear()
    qtbot.keyClicks(max_entries, "1")
    assert summary(dialog) == (
        "Each customer can enter once. Customers who do not match are checked again "
        "once every 3 hours until they enter."
    )


def test_max_entries_accepts_whole_numbers_from_one_only(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    _, max_entries, _, _ = widgets(dialog)
    for typed, kept in (("0", ""), ("-3", "3"), ("abc", ""), ("2.5", "25"), ("007", "7")):
        max_entries.clear()
        qtbot.keyClicks(max_entries, typed)
        assert max_entries.text() == kept, typed
    max_entries.clear()
    qtbot.keyClicks(max_entries, "12")
    assert dialog.activation().max_entries == 12


def test_duplicate_send_warning_is_shown_live(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    _, max_entries, value, unit = widgets(dialog)
    assert "several messages on one day" not in dialog.problems_label.text()
    unit.setCurrentIndex(unit.findData("hours"))
    value.setValue(6)
    assert dialog.problems_label.isVisible()
    assert "Warnings" in dialog.problems_label.text()
    assert "several messages on one day" in dialog.problems_label.text()
    qtbot.keyClicks(max_entries, "3")
    assert "several messages on one day" not in dialog.problems_label.text()


def test_activate_stores_the_options_and_accepts(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    _, max_entries, value, unit = widgets(dialog)
    qtbot.keyClicks(max_entries, "7")
    value.setValue(2)
    with qtbot.waitSignal(dialog.activated) as blocker:
        qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [birthday_id]
    assert dialog.result() == QDialog.DialogCode.Accepted
    stored = repo.get(birthday_id)
    assert stored.status == ACTIVE
    assert stored.journey.activation == Activation(True, 7, Duration(2, "days"))


def test_invalid_journey_shows_the_problems_instead_of_activating(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    journey = repo.get(birthday_id).journey
    journey.nodes.append(Node(id="orphan", type="exit"))
    journey.node("greet").content["title"] = ""  # type: ignore[union-attr]
    repo.save(birthday_id, journey)
    dialog = open_dialog(qtbot, repo, birthday_id)
    qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    text = dialog.problems_label.text()
    assert "Cannot activate" in text
    assert "greet.title: push title is empty" in text
    assert "orphan.id: cannot be reached from the entry" in text
    assert repo.get(birthday_id).status == DRAFT


def test_cancel_changes_nothing(qtbot, repo: JourneyRepository, birthday_id: int) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, repo, birthday_id)
    reentry, *_ = widgets(dialog)
    reentry.setChecked(False)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    stored = repo.get(birthday_id)
    assert stored.status == DRAFT and stored.journey.activation.allow_reentry


def test_an_active_journey_is_refused_in_words(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    repo.activate(birthday_id)
    qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.activating, timeout=10_000)
    assert "cannot be activated: it is active" in dialog.problems_label.text()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.activate_button.isEnabled()


def test_activation_runs_in_a_worker_and_the_dialog_waits_for_it(
    qtbot, repo: JourneyRepository, birthday_id: int, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    real = repo.activate

    def held_activate(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert threading.current_thread() is not threading.main_thread()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "activate", held_activate)
    dialog = open_dialog(qtbot, repo, birthday_id)
    qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    # The window is not blocked: the click returned while the activation is held.
    assert dialog.activating
    assert "Activating" in dialog.problems_label.text()
    assert not dialog.activate_button.isEnabled() and not dialog.reentry_checkbox.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # no cancelling half-way
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.activated, timeout=10_000):
        release.set()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert repo.get(birthday_id).status == ACTIVE


@pytest.mark.parametrize(
    ("activation", "text"),
    [
        (Activation(False),
         "Each customer is checked once, when first seen, and enters at most once."),
        (Activation(True, 7, Duration(1, "days")),
         "Each customer can enter up to 7 times, at most once a day."),
        (Activation(True, None, Duration(1, "hours")),
         "Each customer can enter any number of times, at most once an hour."),
        (Activation(True, 2, Duration(30, "minutes")),
         "Each customer can enter up to 2 times, at most once every 30 minutes."),
    ],
)
def test_describe_activation(activation: Activation, text: str) -> None:
    assert describe_activation(activation).startswith(text)


def _plain(dialog: ActivateDialog) -> str:
    """The warnings as the user reads them (the label's rich text without its markup)."""
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(dialog.problems_label.text())
    return " ".join(document.toPlainText().split())


def test_an_empty_audience_is_said_and_goes_once_customers_are_in(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    dialog = open_dialog(qtbot, repo, birthday_id)
    assert dialog.problems_label.isVisible()
    assert EMPTY_AUDIENCE_NOTE in _plain(dialog)
    assert ("No customers yet: import an audience after activating, or choose Everyone"
            in _plain(dialog))
    dialog.close()

    add_members(birthday_id, {"c1": {"birthday": "1990-05-01"}}, 1000)
    dialog = open_dialog(qtbot, repo, birthday_id)
    assert "No customers yet" not in _plain(dialog)


def test_everyone_with_an_empty_customer_base_says_so(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    journey = repo.get(birthday_id).journey
    journey.audience = AUDIENCE_ALL
    repo.save(birthday_id, journey)
    dialog = open_dialog(qtbot, repo, birthday_id)
    assert EMPTY_BASE_NOTE in _plain(dialog)
    assert EMPTY_AUDIENCE_NOTE not in _plain(dialog)


def test_a_date_filter_with_reentry_off_warns_it_greets_one_day_only(
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:  # type: ignore[no-untyped-def]
    add_members(birthday_id, {"c1": {"birthday": "1990-05-01"}}, 1000)
    dialog = open_dialog(qtbot, repo, birthday_id)
    reentry, *_ = widgets(dialog)
    assert ONE_DAY_NOTE not in _plain(dialog)  # re-entry on: checked again each day
    reentry.click()
    assert ONE_DAY_NOTE in _plain(dialog)
    reentry.click()
    assert ONE_DAY_NOTE not in _plain(dialog)


def test_a_journey_without_a_date_filter_gets_no_date_warning(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository
) -> None:
    journey_id = repo.create(load_example("welcome-series"))
    dialog = open_dialog(qtbot, repo, journey_id)
    reentry, *_ = widgets(dialog)
    reentry.setChecked(False)
    assert ONE_DAY_NOTE not in _plain(dialog)


def test_the_dialog_grows_with_its_warnings_and_keeps_its_inputs(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, birthday_id: int
) -> None:
    # With the first name its greeting shows: no warning until the options make some.
    add_members(birthday_id, {"c1": {"birthday": "1990-05-01", "firstName": "Ann"}}, 1000)
    dialog = open_dialog(qtbot, repo, birthday_id)
    reentry, max_entries, value, unit = widgets(dialog)
    inputs = (max_entries, value, unit)
    before = [w.height() for w in inputs]
    assert not dialog.problems_label.isVisible()
    height = dialog.height()
    unit.setCurrentIndex(unit.findData("hours"))  # a warning: several messages a day
    reentry.click()  # and the date warning
    label = dialog.problems_label
    assert label.isVisible() and ONE_DAY_NOTE in _plain(dialog)
    assert dialog.height() > height
    assert [w.height() for w in inputs] == before
    for widget in inputs:
        assert widget.height() >= widget.sizeHint().height()
    # The whole text fits: the label is as tall as its wrapped text needs.
    assert label.height() >= label.heightForWidth(label.width())
    assert dialog.timeout_label.text() == "Minimum time between entries:"


def test_f1_opens_the_guide_at_activation(qtbot, repo: JourneyRepository, birthday_id: int) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, repo, birthday_id)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClick(dialog.max_entries_edit, Qt.Key.Key_F1)
    guide = dialog.findChild(GuideWindow, "guide_window")
    assert guide is not None and guide.isVisible()
    assert guide.section == SECTION_ACTIVATE
    top = guide.browser.cursorForPosition(guide.browser.viewport().rect().topLeft()).block()
    assert top.text() == SECTION_ACTIVATE
    assert guide.browser.verticalScrollBar().value() > 0
    guide.close()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Help),
                     Qt.MouseButton.LeftButton)
    assert dialog.findChild(GuideWindow, "guide_window").section == SECTION_ACTIVATE
    assert anchor(SECTION_ACTIVATE) == "activating-a-journey-and-loading-its-audience"
