"""The properties panel's placeholders: {{column}} from the audience, event data
(``event.x``, ``matched.x``) or a built-in, inserted where the cursor was in the message
text used last."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QMenu, QPlainTextEdit, QScrollArea, QToolButton

from journey_desktop.domain.engine import BUILTIN_PLACEHOLDERS
from journey_desktop.domain.journey import EVENT_PREFIX
from journey_desktop.ui.editor.document import JourneyDocument


class PlaceholderMixin(QScrollArea):
    """The Insert placeholder button and what it inserts."""

    document: JourneyDocument
    _last_text: QLineEdit | QPlainTextEdit | None
    _text_targets: dict[QObject, Callable[[], None]]

    def _placeholder_button(self) -> QToolButton:
        button = QToolButton()
        button.setObjectName("placeholder_button")
        button.setText("Insert placeholder")
        button.setToolTip(
            "Insert {{field}} from the customer fields, or a built-in, where the cursor"
            " is; {{firstName|there}} shows \"there\" when a customer has no first name"
        )
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        menu.setObjectName("placeholder_menu")
        columns = self.document.columns()
        if not columns:
            empty = QAction("No audience imported yet", menu)
            empty.setEnabled(False)
            menu.addAction(empty)
        for column, kind in columns.items():
            if column not in BUILTIN_PLACEHOLDERS:  # the built-in wins when rendering
                self._add_placeholder_action(menu, column, kind)
        event_fields = self.document.event_fields()
        if event_fields:
            menu.addSection("Event data")
            for name in event_fields:
                about = ("the event that started the run" if name.startswith(EVENT_PREFIX)
                         else "the event the wait matched")
                self._add_placeholder_action(menu, name, about)
        menu.addSection("Built in")
        for name, about in BUILTIN_PLACEHOLDERS.items():
            self._add_placeholder_action(menu, name, about)
        button.setMenu(menu)
        return button

    def _add_placeholder_action(self, menu: QMenu, name: str, about: str) -> None:
        action = QAction(f"{name}  ({about})", menu)
        action.setData(name)
        action.triggered.connect(lambda _c=False, name=name: self.insert_placeholder(name))
        menu.addAction(action)

    def insert_placeholder(self, column: str) -> None:
        """Insert ``{{column}}`` at the cursor of the text field used last."""
        target = self._last_text
        if target is None:
            return
        text = "{{" + column + "}}"
        if isinstance(target, QLineEdit):
            target.insert(text)
            self._text_targets[target]()
        else:
            target.insertPlainText(text)
        target.setFocus()
