"""Windows that open where they were closed: one helper for every kind of child window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from journey_desktop.services.settings import WindowSettings


class PreserveGeometry(QObject):
    """Restores a window's last geometry for its kind now and saves it when it closes
    (a child of the window, so it goes with it)."""

    def __init__(self, kind: str, settings: WindowSettings, window: QWidget) -> None:
        super().__init__(window)
        self._kind = kind
        self._settings = settings
        geometry = settings.view_geometry(kind)
        if geometry is not None:
            window.restoreGeometry(geometry)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.Close and isinstance(watched, QWidget):
            self._settings.set_view_geometry(self._kind, watched.saveGeometry())
        return False
