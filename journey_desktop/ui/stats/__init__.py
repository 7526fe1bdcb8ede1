"""A journey's statistics: the node table model, the charts, the load job and the window."""

from journey_desktop.ui.stats.window import StatsWindow

__all__ = ["StatsWindow"]
