"""The windows the main window opens: one editor per journey, one statistics or forecast
window per journey, one outbox and one customers window; each brought forward when asked
again, and the views reopened where they were closed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from journey_desktop.services.settings import WindowSettings
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.common.geometry import PreserveGeometry

if TYPE_CHECKING:  # the editor is imported when first opened: a faster start
    from journey_desktop.store.journey_watch import JourneyChange
    from journey_desktop.ui.editor import EditorWindow


class ChildWindows(QObject):
    """Opens each child window once and forgets it when it is closed."""

    journey_saved = Signal(int)  # an editor saved this journey, or saw it activated
    clone_opened = Signal(int)  # an editor cloned its journey into this draft, to open
    # A journey's figures changed (None: any journey's), and by what, in words: the open
    # statistics and forecast windows (``notice_change``) refresh or say they are stale;
    # read-only editors read their cards' delivery figures again.
    figures_changed = Signal(object, str)
    journey_activated = Signal(int)  # a window (the forecast) activated this journey

    def __init__(self, repository: JourneyRepository, settings: WindowSettings,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._repository = repository
        self._settings = settings
        self._editors: dict[int, EditorWindow] = {}
        self._views: dict[tuple[str, int | None], QWidget] = {}

    def editor(self, journey_id: int) -> EditorWindow | None:
        return self._editors.get(journey_id)

    def open_editor(self, journey_id: int) -> EditorWindow:
        """The journey's editor, brought forward (RepositoryError for a journey gone)."""
        editor = self._editors.get(journey_id)
        if editor is None:
            from journey_desktop.ui.editor import EditorWindow

            editor = EditorWindow(self._repository, journey_id)
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            editor.journey_saved.connect(self.journey_saved)
            editor.status_changed.connect(self.journey_saved)  # the list shows it anew
            editor.clone_opened.connect(self.clone_opened)
            self.figures_changed.connect(editor.notice_change)  # delivery figures on cards
            editor.destroyed.connect(partial(self._editors.pop, journey_id, None))
            self._editors[journey_id] = editor
        _bring_forward(editor)
        return editor

    def show_view(self, kind: str, journey_id: int | None,
                  make: Callable[[], QWidget]) -> tuple[QWidget, bool]:
        """Bring forward the open window of this kind for this journey, or open a new one;
        returns it and whether it was just created (so the caller connects it once)."""
        key = (kind, journey_id)
        window = self._views.get(key)
        created = window is None
        if window is None:
            window = make()
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(partial(self._views.pop, key, None))
            self._views[key] = window
            PreserveGeometry(kind, self._settings, window)
            notice = getattr(window, "notice_change", None)
            if notice is not None:
                self.figures_changed.connect(notice)
            activated = getattr(window, "journey_activated", None)
            if activated is not None:
                activated.connect(self.journey_activated)
        elif hasattr(window, "refresh"):
            window.refresh()
        _bring_forward(window)
        return window, created

    def tell_changed(self, journey_id: int | None, what: str) -> None:
        """Tell the open windows that a journey's figures changed (see ``figures_changed``)."""
        self.figures_changed.emit(journey_id, what)

    def tell_journeys_changed(self, change: JourneyChange) -> None:
        """Someone wrote journeys: each open editor looks whether its own is among them."""
        for editor in list(self._editors.values()):
            editor.notice_others_change(change)

    def close_all(self) -> bool:
        """Close every child window; False when an editor kept unsaved changes open."""
        for editor in list(self._editors.values()):
            if not editor.close():
                return False
        for view in list(self._views.values()):
            view.close()
        return True


def _bring_forward(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
