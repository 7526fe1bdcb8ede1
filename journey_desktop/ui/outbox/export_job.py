"""The outbox export, run as a job: the store writes beside the target and marks the
rows only once the file is in place."""

from __future__ import annotations

import datetime as dt

from journey_desktop.services.workers import JobControl
from journey_desktop.store.outbox import (
    ExportResult,
    OutboxFilter,
    export_file,
)


def export_job(control: JobControl, path: str, flt: OutboxFilter, only_new: bool, now: int,
                tz: dt.tzinfo | None, total: int, delimiter: str) -> ExportResult:
    """Export ``flt``'s messages to ``path``, reporting progress and checking Cancel."""
    def progress(done: int) -> None:
        control.check()
        control.progress(done, total, f"{done:,} of {total:,} messages written")

    return export_file(path, flt, only_new=only_new, now=now, tz=tz, progress=progress,
                       delimiter=delimiter)
