"""Where an import goes and how every import dialog names it."""

from __future__ import annotations

from dataclasses import dataclass

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
EVENTS_FILTER = ("Events files (*.csv *.jsonl *.ndjson *.json *.txt);;CSV files (*.csv);;"
                 "JSON Lines (*.jsonl *.ndjson);;All files (*)")


LAST_FOLDER_KEY = "audience_import/last_folder"


PROGRESS_STEPS = 1000


@dataclass(frozen=True)
class ImportTarget:
    """Where an import goes and how the dialogs name it: a journey's audience (add or
    replace), or the customer base alone (``journey_id`` None: profiles, add only)."""

    journey_id: int | None = None
    journey_name: str = ""

    @property
    def is_audience(self) -> bool:
        return self.journey_id is not None

    @property
    def key(self) -> object:
        """What one import at a time is kept to (two imports into one journey collide)."""
        return self.journey_id

    @property
    def title(self) -> str:
        return "Import audience" if self.is_audience else "Import customers"

    @property
    def into(self) -> str:
        return f"“{self.journey_name}”" if self.is_audience else "the customer base"

    @property
    def unchanged(self) -> str:
        """What an import that wrote nothing left as it was."""
        return "the audience is unchanged" if self.is_audience else "the customer base is unchanged"

    @property
    def busy(self) -> str:
        """Why a second import into the same place waits for the first."""
        what = ("An audience is already being imported into" if self.is_audience
                else "Customers are already being imported into")
        return f"{what} {self.into}."

    @property
    def file_filter(self) -> str:
        return CSV_FILTER

    @property
    def result_title(self) -> str:
        return "Audience import" if self.is_audience else "Customer import"


@dataclass(frozen=True)
class EventsTarget:
    """An events import (SPEC §11): into the database's events, shared by every journey;
    named the way ``ImportTarget`` names the others, for the shared dialogs."""

    is_audience = False
    key = "events"  # one events import at a time, whatever the journey
    title = "Import events"
    into = "the database"
    unchanged = "no event was stored"
    busy = "Events are already being imported."
    file_filter = EVENTS_FILTER
    result_title = "Events import"


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


AnyTarget = ImportTarget | EventsTarget  # what the shared dialogs and the flow are told
