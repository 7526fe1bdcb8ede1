"""Preferences: how often the evaluator ticks (SPEC §5, 10 seconds to a day), and the
messaging policy (SPEC §13) on a page of its own."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.policy import PolicyError
from journey_desktop.store.policy import load_policy, save_policy
from journey_desktop.store.repository import RepositoryError
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.ui.common.colours import ERROR_COLOR
from journey_desktop.ui.policy_page import PolicyPage

UNITS = (("seconds", 1), ("minutes", 60), ("hours", 3600))


def split_interval(seconds: int) -> tuple[int, int]:
    """The largest unit that divides the interval evenly: (value, unit seconds)."""
    for _name, factor in reversed(UNITS):
        if seconds % factor == 0:
            return seconds // factor, factor
    return seconds, 1


class PreferencesDialog(QDialog):
    """Edits the tick interval and the messaging policy stored in the database (shared
    with ``journey-desktop run``)."""

    def __init__(self, settings: SettingsRepository, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferences_dialog")
        self.setWindowTitle("Preferences")
        self._settings = settings
        value, factor = split_interval(settings.tick_interval())
        self.interval_value = QSpinBox()
        self.interval_value.setObjectName("tick_interval_value")
        self.interval_value.setRange(1, 100_000)
        self.interval_value.setValue(value)
        self.interval_unit = QComboBox()
        self.interval_unit.setObjectName("tick_interval_unit")
        for name, unit_seconds in UNITS:
            self.interval_unit.addItem(name, unit_seconds)
        self.interval_unit.setCurrentIndex(self.interval_unit.findData(factor))
        row = QHBoxLayout()
        row.addWidget(self.interval_value)
        row.addWidget(self.interval_unit, 1)
        form = QFormLayout()
        form.addRow("Evaluator tick interval:", row)
        note = QLabel(
            "How often the evaluator checks every active journey. Each tick checks the "
            "customers that are due and moves runs whose wait is over; from "
            f"{SettingsRepository.MIN_TICK_INTERVAL} seconds to "
            f"{SettingsRepository.MAX_TICK_INTERVAL // 3600} hours."
        )
        note.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setObjectName("preferences_error_label")
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        evaluator = QWidget()
        evaluator.setObjectName("evaluator_page")
        evaluator_layout = QVBoxLayout(evaluator)
        evaluator_layout.addLayout(form)
        evaluator_layout.addWidget(note)
        evaluator_layout.addStretch(1)
        self._stored_policy = load_policy()
        self.policy_page = PolicyPage(self._stored_policy)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("preferences_tabs")
        self.tabs.addTab(evaluator, "Evaluator")
        self.tabs.addTab(self.policy_page, "Messaging policy")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.resize(720, self.sizeHint().height())

    def interval_seconds(self) -> int:
        return self.interval_value.value() * int(self.interval_unit.currentData())

    def accept(self) -> None:  # Qt override
        try:
            policy = self.policy_page.policy()
        except PolicyError as exc:  # said in words on its page, the dialog stays open
            self.tabs.setCurrentWidget(self.policy_page)
            self._say(str(exc))
            return
        try:
            self._settings.set_tick_interval(self.interval_seconds())
        except RepositoryError as exc:  # out of range: said in words, the dialog stays open
            self._say(str(exc))
            return
        if policy != self._stored_policy:
            save_policy(policy)
        super().accept()

    def _say(self, message: str) -> None:
        self.error_label.setText(f"{message[:1].upper()}{message[1:]}.")
        self.error_label.show()
