"""The main window, assembled from its parts (list, actions, child windows)."""

from journey_desktop.ui.main.window import MainWindow

__all__ = ["MainWindow"]
