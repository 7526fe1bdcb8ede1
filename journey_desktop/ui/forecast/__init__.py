"""A journey's forecast: the job, the days and trace models, and the window."""

from journey_desktop.ui.forecast.window import ForecastWindow

__all__ = ["ForecastWindow"]
