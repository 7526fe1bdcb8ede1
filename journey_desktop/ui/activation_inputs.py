"""The activation inputs of SPEC §3 (re-entry, maximum entries, timeout value and unit,
Check at), shared by the activation dialog and the forecast so both read them the same way."""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from journey_desktop.domain.journey import DURATION_UNITS, Activation, Duration

UNIT_LABELS = {"minutes": "minutes", "hours": "hours", "days": "days"}
MAX_TIMEOUT = 9999


class ActivationInputs(QObject):
    """Creates the inputs (the caller lays them out) and converts to and from Activation."""

    changed = Signal()

    def __init__(self, parent: QWidget, *, prefix: str = "") -> None:
        super().__init__(parent)
        self.reentry_checkbox = QCheckBox("Allow re-entry", parent)
        self.reentry_checkbox.setObjectName(f"{prefix}reentry" if prefix else "reentry_checkbox")
        self.reentry_checkbox.setToolTip("Check customers again after their first check")
        self.max_entries_edit = QLineEdit(parent)
        self.max_entries_edit.setObjectName(
            f"{prefix}max_entries" if prefix else "max_entries_edit")
        self.max_entries_edit.setPlaceholderText("Unlimited")
        self.max_entries_edit.setClearButtonEnabled(True)
        self.max_entries_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[1-9][0-9]{0,8}"), self)
        )
        self.max_entries_edit.setToolTip(
            "How many times one customer may go through the journey; blank for unlimited")
        self.timeout_value = QSpinBox(parent)
        self.timeout_value.setObjectName(f"{prefix}timeout_value")
        self.timeout_value.setRange(1, MAX_TIMEOUT)
        self.timeout_unit = QComboBox(parent)
        self.timeout_unit.setObjectName(f"{prefix}timeout_unit")
        for unit in DURATION_UNITS:
            self.timeout_unit.addItem(UNIT_LABELS[unit], unit)
        # Check at: a local time HH:MM, blank for off (checks keep the first check's time).
        self.check_at_edit = QLineEdit(parent)
        self.check_at_edit.setObjectName(f"{prefix}check_at" if prefix else "check_at_edit")
        self.check_at_edit.setPlaceholderText("Off")
        self.check_at_edit.setClearButtonEnabled(True)
        self.check_at_edit.setMaximumWidth(110)
        self.check_at_edit.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"([01]?[0-9]|2[0-3])(:[0-5]?[0-9]?)?"), self))
        self.check_at_edit.setToolTip(
            "Check customers again at this local time of day (HH:MM), whatever the time "
            "of the first check; blank for off. For a minimum time of whole days.")
        for signal in (self.reentry_checkbox.toggled, self.max_entries_edit.textChanged,
                       self.timeout_value.valueChanged, self.timeout_unit.currentIndexChanged,
                       self.check_at_edit.textChanged):
            signal.connect(self.changed)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.reentry_checkbox, self.max_entries_edit, self.timeout_value,
                self.timeout_unit, self.check_at_edit)

    def check_at_applies(self) -> bool:
        """Check at keeps a time of day: only for re-checks a whole number of days apart."""
        return self.reentry_checkbox.isChecked() and self.timeout_unit.currentData() == "days"

    def check_at(self) -> str | None:
        """The Check at typed, as HH:MM; None when blank, unfinished or not applying."""
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", self.check_at_edit.text().strip())
        if not self.check_at_applies() or match is None:
            return None
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    def set_options(self, activation: Activation) -> None:
        self.reentry_checkbox.setChecked(activation.allow_reentry)
        if activation.max_entries is not None and activation.max_entries >= 1:
            self.max_entries_edit.setText(str(activation.max_entries))
        self.timeout_value.setValue(max(1, min(MAX_TIMEOUT, int(activation.timeout.value or 1))))
        index = self.timeout_unit.findData(activation.timeout.unit)
        self.timeout_unit.setCurrentIndex(index if index >= 0 else DURATION_UNITS.index("days"))
        self.check_at_edit.setText(activation.check_at or "")

    def options(self) -> Activation:
        """The options as entered (blank maximum = unlimited)."""
        text = self.max_entries_edit.text().strip()
        return Activation(
            allow_reentry=self.reentry_checkbox.isChecked(),
            max_entries=int(text) if text.isdigit() and int(text) >= 1 else None,
            timeout=Duration(self.timeout_value.value(), str(self.timeout_unit.currentData())),
            check_at=self.check_at(),
        )
