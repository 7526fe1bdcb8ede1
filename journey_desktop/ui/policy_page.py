"""Preferences ▸ Messaging policy (SPEC §13): quiet hours, rate limits and caps per channel.

The page only edits a ``domain.policy.Policy``; reading and storing it is the store's
(``store.policy``), the rules are the domain's, so the page and ``policy set`` agree.
"""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.journey import CHANNEL_LABELS, CHANNELS
from journey_desktop.domain.policy import (
    ANY,
    HOLD,
    QUIET_ACTIONS,
    Cap,
    Policy,
    PolicyError,
    QuietHours,
    RateLimit,
)

SCOPES = (ANY, *CHANNELS)
DEFAULT_QUIET = (21 * 60, 9 * 60)
ACTION_LABELS = {HOLD: "hold until it ends", "skip": "skip the message"}


def _time(minutes: int) -> QTime:
    return QTime(minutes // 60, minutes % 60)


def _minutes(edit: QTimeEdit) -> int:
    value = edit.time()
    return value.hour() * 60 + value.minute()


class _ScopeRow:
    """One channel's (or every channel's) quiet hours and rate limit."""

    def __init__(self, scope: str, page: QWidget) -> None:
        self.scope = scope
        self.quiet = QCheckBox("Quiet hours", page)
        self.quiet.setObjectName(f"policy_quiet_{scope}")
        self.start = QTimeEdit(_time(DEFAULT_QUIET[0]), page)
        self.start.setObjectName(f"policy_quiet_start_{scope}")
        self.end = QTimeEdit(_time(DEFAULT_QUIET[1]), page)
        self.end.setObjectName(f"policy_quiet_end_{scope}")
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.action = QComboBox(page)
        self.action.setObjectName(f"policy_quiet_action_{scope}")
        for action in QUIET_ACTIONS:
            self.action.addItem(ACTION_LABELS[action], action)
        self.rate = QSpinBox(page)
        self.rate.setObjectName(f"policy_rate_{scope}")
        self.rate.setRange(0, 1_000_000)
        self.rate.setSingleStep(100)
        self.rate.setSpecialValueText("no limit")
        self.rate.setSuffix(" a minute")
        self.quiet.toggled.connect(self._enable)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for widget in (self.start, self.end, self.action):
            widget.setEnabled(on)

    def show(self, policy: Policy) -> None:
        quiet = next((q for q in policy.quiet if q.channel == self.scope), None)
        self.quiet.setChecked(quiet is not None)
        if quiet is not None:
            self.start.setTime(_time(quiet.start))
            self.end.setTime(_time(quiet.end))
            self.action.setCurrentIndex(self.action.findData(quiet.action))
        rate = next((r for r in policy.rates if r.channel == self.scope), None)
        self.rate.setValue(rate.per_minute if rate else 0)

    def quiet_hours(self) -> QuietHours | None:
        if not self.quiet.isChecked():
            return None
        start, end = _minutes(self.start), _minutes(self.end)
        if start == end:
            raise PolicyError(f"{self.label()}: the quiet hours start and end at the same "
                              "time")
        return QuietHours(start, end, self.scope, str(self.action.currentData()))

    def rate_limit(self) -> RateLimit | None:
        return RateLimit(self.rate.value(), self.scope) if self.rate.value() else None

    def label(self) -> str:
        return "All channels" if self.scope == ANY else CHANNEL_LABELS.get(self.scope,
                                                                           self.scope)


class PolicyPage(QWidget):
    """The messaging policy of the whole database, as the preferences dialog's page."""

    def __init__(self, policy: Policy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("policy_page")
        self.timezone_field = QLineEdit(self)
        self.timezone_field.setObjectName("policy_timezone_field")
        self.timezone_field.setPlaceholderText("a customer field, like timezone")
        self.timezone_field.setToolTip(
            "The customer field holding each customer's time zone, an IANA name such as "
            "America/New_York. Without it, or for a name that is no zone, the computer's "
            "zone is used.")
        zone = QGridLayout()
        zone.addWidget(QLabel("Customer time zone field:", self), 0, 0)
        zone.addWidget(self.timezone_field, 0, 1)
        self.rows = [_ScopeRow(scope, self) for scope in SCOPES]
        grid = QGridLayout()
        for column, title in enumerate(("", "", "From", "To", "A message due then",
                                        "Rate limit")):
            if title:
                grid.addWidget(QLabel(f"<b>{title}</b>", self), 0, column)
        for line, row in enumerate(self.rows, start=1):
            grid.addWidget(QLabel(row.label(), self), line, 0)
            grid.addWidget(row.quiet, line, 1)
            grid.addWidget(row.start, line, 2)
            grid.addWidget(row.end, line, 3)
            grid.addWidget(row.action, line, 4)
            grid.addWidget(row.rate, line, 5)
        timing = QGroupBox("Quiet hours and rate limits", self)
        timing_layout = QVBoxLayout(timing)
        timing_layout.addLayout(grid)
        hint = QLabel("A channel's own quiet hours replace those for all channels. Messages "
                      "over a rate limit wait their turn in due order.", self)
        hint.setWordWrap(True)
        timing_layout.addWidget(hint)
        self.caps = QLineEdit(self)
        self.caps.setObjectName("policy_caps_edit")
        self.caps.setPlaceholderText("any:3/1d, push:1/day")
        caps_box = QGroupBox("Frequency caps", self)
        caps_layout = QVBoxLayout(caps_box)
        caps_layout.addWidget(self.caps)
        caps_hint = QLabel(
            "CHANNEL:N/PERIOD, separated by commas; CHANNEL a channel or any; PERIOD 12h, 1d, "
            "7d (rolling) or day, week (calendar, in the customer's zone). A message over a "
            "cap is not sent: it is recorded as suppressed. A journey opts out with "
            '"policy": {"caps": false}.', self)
        caps_hint.setWordWrap(True)
        caps_layout.addWidget(caps_hint)
        layout = QVBoxLayout(self)
        layout.addLayout(zone)
        layout.addWidget(timing)
        layout.addWidget(caps_box)
        applies = QLabel("Changes apply from the next tick.", self)
        layout.addWidget(applies)
        layout.addStretch(1)
        self.show_policy(policy)

    def show_policy(self, policy: Policy) -> None:
        self.timezone_field.setText(policy.timezone_field)
        for row in self.rows:
            row.show(policy)
        self.caps.setText(", ".join(cap.text() for cap in policy.caps))

    def policy(self) -> Policy:
        """The policy as entered; PolicyError names what cannot be read."""
        quiet = tuple(q for q in (row.quiet_hours() for row in self.rows) if q is not None)
        rates = tuple(r for r in (row.rate_limit() for row in self.rows) if r is not None)
        caps = tuple(Cap.parse(text) for text in self.caps.text().split(",") if text.strip())
        return Policy(self.timezone_field.text().strip(), quiet, caps, rates)
