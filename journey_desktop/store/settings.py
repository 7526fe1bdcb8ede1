"""Preferences stored in the database, so the window and ``run`` agree (the evaluator's
tick interval among them)."""

from __future__ import annotations

import logging

from journey_desktop.store.db import database
from journey_desktop.store.errors import RepositoryError
from journey_desktop.store.records import SettingRecord
from journey_desktop.store.sqlite_sql import write_transaction

log = logging.getLogger(__name__)


class SettingsRepository:
    """Preferences stored in the database, so the window and ``run`` agree."""

    TICK_INTERVAL = "tick_interval_seconds"
    DEFAULT_TICK_INTERVAL = 600
    MIN_TICK_INTERVAL = 10
    # A day: rarer ticks make every wait late by more than a day, and Qt's timer cannot
    # count past about 596 hours (2**31 - 1 milliseconds).
    MAX_TICK_INTERVAL = 86_400

    def get(self, key: str, default: str | None = None) -> str | None:
        record = SettingRecord.get_or_none(SettingRecord.key == key)
        return record.value if record else default

    def set(self, key: str, value: str) -> None:
        with write_transaction(database):
            # An upsert both databases take (PostgreSQL has no INSERT OR REPLACE).
            SettingRecord.insert(key=key, value=value).on_conflict(
                conflict_target=[SettingRecord.key], update={SettingRecord.value: value}
            ).execute()

    def tick_interval(self) -> int:
        """The stored interval, brought within the limits: a value stored by an older version
        or by hand must not stop the window from opening."""
        raw = self.get(self.TICK_INTERVAL)
        if raw is None:
            return self.DEFAULT_TICK_INTERVAL
        try:
            value = int(raw)
        except ValueError:
            log.warning("tick interval %.40r is not a number: using %d s", raw,
                        self.DEFAULT_TICK_INTERVAL)
            return self.DEFAULT_TICK_INTERVAL
        clamped = min(max(value, self.MIN_TICK_INTERVAL), self.MAX_TICK_INTERVAL)
        if clamped != value:
            log.warning("tick interval of %d s is out of range: using %d s", value, clamped)
        return clamped

    def set_tick_interval(self, seconds: int) -> None:
        if seconds < self.MIN_TICK_INTERVAL:
            raise RepositoryError(
                f"the tick interval is at least {self.MIN_TICK_INTERVAL} seconds"
            )
        if seconds > self.MAX_TICK_INTERVAL:
            raise RepositoryError(
                f"the tick interval is at most {self.MAX_TICK_INTERVAL // 3600} hours"
            )
        self.set(self.TICK_INTERVAL, str(int(seconds)))
