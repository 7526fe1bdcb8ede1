"""What one tick did (SPEC §5), as the status bar, the command line and the logs show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from journey_desktop.domain.journey import SMS_MAX_LENGTH

_COUNTS = ("checked", "entered", "advanced", "messages", "completed", "stopped",
           "sms_too_long", "batches", "held", "released", "invalid_zones")


@dataclass(frozen=True)
class JourneyFailure:
    """A journey the tick skipped because evaluating it failed; the others went on."""

    journey_id: int
    name: str
    error: str

    def line(self) -> str:
        return f"{self.name} — {self.error}"


@dataclass
class TickSummary:
    """What one tick did: counts, the journeys that failed, and a clock that went back."""

    now: int
    journeys: int = 0
    checked: int = 0
    entered: int = 0
    advanced: int = 0
    messages: int = 0
    completed: int = 0
    stopped: int = 0
    sms_too_long: int = 0  # SMS not written: over the SMS limit once rendered
    batches: int = 0
    held: int = 0  # messages written held by quiet hours or the rate limit (SPEC §13)
    released: int = 0  # held messages made ready
    suppressed: dict[str, int] = field(default_factory=dict)  # reason -> messages
    invalid_zones: int = 0  # messages whose customer's zone name is no zone (computer's used)
    seconds: float = 0.0
    messages_by_journey: dict[int, int] = field(default_factory=dict)
    failures: list[JourneyFailure] = field(default_factory=list)
    clock_went_back_from: int | None = None  # the last tick's time, when now is before it
    rescheduled: int = 0  # next checks moved back to the rhythm after the clock went back
    # (journey id, exit rule index) -> runs that exit rule ended (SPEC §12)
    exit_rules: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, other: TickSummary) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, count in other.exit_rules.items():
            self.exit_rules[key] = self.exit_rules.get(key, 0) + count
        for reason, count in other.suppressed.items():
            self.suppressed[reason] = self.suppressed.get(reason, 0) + count

    def lines(self) -> list[str]:
        """``key: value`` lines for ``tick``; the problems follow when there are any."""
        lines = [
            f"journeys: {self.journeys}",
            f"checked: {self.checked}",
            f"entered: {self.entered}",
            f"advanced: {self.advanced}",
            f"messages: {self.messages}",
            f"completed: {self.completed}",
            f"stopped: {self.stopped}",
            f"failed journeys: {len(self.failures)}",
        ]
        if self.sms_too_long:
            lines.append(f"sms not written (over {SMS_MAX_LENGTH:,} characters): "
                         f"{self.sms_too_long}")
        if self.held or self.released:
            lines.append(f"held: {self.held}")
            lines.append(f"released: {self.released}")
        for reason, count in sorted(self.suppressed.items()):
            lines.append(f"suppressed ({reason}): {count}")
        if self.invalid_zones:
            lines.append(f"unknown time zones (computer's used): {self.invalid_zones}")
        if self.clock_went_back_from is not None:
            lines.append(f"clock went back: {self.clock_text()}")
        return lines

    def problems(self) -> list[str]:
        """What a user should hear about this tick, one sentence each (status bar, logs)."""
        notes: list[str] = []
        if self.failures:
            count = len(self.failures)
            noun = "journey" if count == 1 else "journeys"
            notes.append(f"{count} {noun} failed: "
                         + "; ".join(failure.line() for failure in self.failures))
        if self.sms_too_long:
            noun = "SMS was" if self.sms_too_long == 1 else "SMS were"
            notes.append(f"{self.sms_too_long:,} {noun} not written: over "
                         f"{SMS_MAX_LENGTH:,} characters once filled in")
        if self.invalid_zones:
            noun = "message's customer has" if self.invalid_zones == 1 else (
                "messages' customers have")
            notes.append(f"{self.invalid_zones:,} {noun} a time zone that does not exist: "
                         "the computer's zone was used")
        if self.clock_went_back_from is not None:
            notes.append(f"the clock went back: {self.clock_text()}")
        return notes

    def clock_text(self) -> str:
        last = dt.datetime.fromtimestamp(self.clock_went_back_from or 0).astimezone()
        return (f"the last tick was at {last:%Y-%m-%d %H:%M}; {self.rescheduled:,} next "
                "checks were moved back to their rhythm")

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "journeys": self.journeys,
            "checked": self.checked,
            "entered": self.entered,
            "advanced": self.advanced,
            "messages": self.messages,
            "completed": self.completed,
            "stopped": self.stopped,
            "sms_too_long": self.sms_too_long,
            "held": self.held,
            "released": self.released,
            "suppressed": dict(self.suppressed),
            "invalid_zones": self.invalid_zones,
            "failed": [{"journey_id": f.journey_id, "name": f.name, "error": f.error}
                       for f in self.failures],
            "clock_went_back_from": self.clock_went_back_from,
            "rescheduled": self.rescheduled,
            "seconds": round(self.seconds, 3),
        }
