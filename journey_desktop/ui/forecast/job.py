"""The forecast as a job: the real evaluator on a throwaway copy, with progress and Cancel."""

from __future__ import annotations

from typing import Any

from journey_desktop.services.workers import Cancelled, JobControl
from journey_desktop.store.forecast import (
    ForecastCancelled,
    ForecastResult,
    run_forecast,
)

PROGRESS_STEPS = 200  # progress signals per forecast, at most


def forecast_job(control: JobControl, journey_id: int, options: dict[str, Any],
                  sink: list[ForecastResult]) -> ForecastResult:
    """Runs on a pool thread: the forecast reads the real file once and writes only its copy.

    The result is also left in ``sink``, so a window closed meanwhile can still drop it.
    """
    shown = -1

    def progress(done: int, total: int, text: str) -> None:
        nonlocal shown
        step = done * PROGRESS_STEPS // max(1, total)
        if step != shown:
            shown = step
            control.progress(step, PROGRESS_STEPS, text)

    try:
        result = run_forecast(journey_id, progress=progress,
                              cancelled=lambda: control.cancelled, **options)
    except ForecastCancelled:
        raise Cancelled() from None
    sink.append(result)
    return result
