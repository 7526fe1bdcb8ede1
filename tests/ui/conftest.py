"""Fixtures for window tests: settings in a temp INI file and a shown main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def window_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Window settings in this test's own INI file, shared by windows opened in the test."""
    from journey_desktop.services.settings import WindowSettings

    return WindowSettings.at_path(str(tmp_path / "settings" / "journey-desktop.ini"))


@pytest.fixture
def make_main_window(qtbot, store: Path, repo, window_settings):  # type: ignore[no-untyped-def]
    """Build (and show) a main window on the test's data folder; closed at the end."""
    from journey_desktop.ui.main import MainWindow

    windows: list[MainWindow] = []

    def make(show: bool = True) -> MainWindow:
        window = MainWindow(store, repository=repo, settings=window_settings)
        qtbot.addWidget(window)
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def main_window(make_main_window: Callable[..., object]) -> Iterator[object]:
    yield make_main_window()
