"""A date-time input that takes a date typed as it is written ("2026-12-24 09:00")."""

from __future__ import annotations

from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateTimeEdit, QWidget

DISPLAY_FORMAT = "yyyy-MM-dd HH:mm"


class TypedDateTimeEdit(QDateTimeEdit):
    """``QDateTimeEdit`` refuses a digit typed into a full section (the cursor in "2027"),
    and a separator typed after a section it completed itself skips the next one; here a
    digit starts the section afresh and that separator is taken as already typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(DISPLAY_FORMAT)
        self._advanced = False  # the last digit completed its section and moved on

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        text = event.text()
        if self._advanced and text and not text.isdigit() and text.isprintable():
            self._advanced = False
            event.accept()
            return
        self._advanced = False
        line = self.lineEdit()
        if text.isdigit() and line is not None and not line.hasSelectedText():
            section = self.currentSection()
            width = 4 if section == QDateTimeEdit.Section.YearSection else 2
            if len(self.sectionText(section)) >= width:
                self.setSelectedSection(section)
        before = self.currentSectionIndex()
        super().keyPressEvent(event)
        self._advanced = text.isdigit() and self.currentSectionIndex() > before
