"""Preferences ▸ Messaging policy (SPEC §13): what the page shows is what is stored, both
ways, and what the command line then shows."""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QWidget,
)

from journey_desktop.domain.policy import Cap, Policy, QuietHours, RateLimit
from journey_desktop.store.policy import load_policy, save_policy


def open_preferences(qtbot, window) -> QDialog:  # type: ignore[no-untyped-def]
    window.action_preferences.trigger()
    dialog = window.findChild(QDialog, "preferences_dialog")
    qtbot.waitUntil(dialog.isVisible)
    tabs = dialog.findChild(QTabWidget, "preferences_tabs")
    page = dialog.findChild(QWidget, "policy_page")
    tabs.setCurrentWidget(page)
    return dialog


def test_the_policy_page_stores_what_it_shows_and_shows_what_is_stored(qtbot, main_window):
    dialog = open_preferences(qtbot, main_window)
    page = dialog.findChild(QWidget, "policy_page")
    assert page.isVisible()
    page.findChild(QLineEdit, "policy_timezone_field").setText("timezone")
    page.findChild(QCheckBox, "policy_quiet_push").setChecked(True)
    page.findChild(QTimeEdit, "policy_quiet_start_push").setTime(QTime(22, 0))
    page.findChild(QTimeEdit, "policy_quiet_end_push").setTime(QTime(8, 30))
    action = page.findChild(QComboBox, "policy_quiet_action_push")
    action.setCurrentIndex(action.findData("skip"))
    page.findChild(QSpinBox, "policy_rate_any").setValue(600)
    page.findChild(QLineEdit, "policy_caps_edit").setText("any:3/1d, email:1/week")
    dialog.accept()
    qtbot.waitUntil(lambda: main_window.findChild(QDialog, "preferences_dialog") is None)
    assert load_policy() == Policy(
        timezone_field="timezone",
        quiet=(QuietHours(22 * 60, 8 * 60 + 30, "push", "skip"),),
        caps=(Cap("any", 3, seconds=86_400), Cap("email", 1, calendar="calendar week")),
        rates=(RateLimit(600, "any"),),
    )
    # Stored elsewhere (the command line), shown when the dialog opens again.
    save_policy(Policy(quiet=(QuietHours.parse("21:00-09:00"),),
                       rates=(RateLimit(50, "sms"),)))
    again = open_preferences(qtbot, main_window)
    page = again.findChild(QWidget, "policy_page")
    assert page.findChild(QLineEdit, "policy_timezone_field").text() == ""
    assert page.findChild(QCheckBox, "policy_quiet_any").isChecked()
    assert not page.findChild(QCheckBox, "policy_quiet_push").isChecked()
    assert page.findChild(QTimeEdit, "policy_quiet_start_any").time() == QTime(21, 0)
    assert page.findChild(QSpinBox, "policy_rate_sms").value() == 50
    assert page.findChild(QSpinBox, "policy_rate_any").text() == "no limit"
    assert page.findChild(QLineEdit, "policy_caps_edit").text() == ""
    again.reject()


def test_a_cap_that_cannot_be_read_keeps_the_dialog_open_and_stores_nothing(qtbot,
                                                                            main_window):
    dialog = open_preferences(qtbot, main_window)
    page = dialog.findChild(QWidget, "policy_page")
    page.findChild(QLineEdit, "policy_caps_edit").setText("any:3 a day")
    dialog.accept()
    assert dialog.isVisible()
    error = dialog.findChild(QLabel, "preferences_error_label").text()
    assert "is not CHANNEL:N/PERIOD" in error
    assert load_policy() == Policy()
    dialog.reject()
