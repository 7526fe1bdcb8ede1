"""The built-in user guide: the README's user sections, shipped in ``resources/guide/``
and shown with their screenshots; F1 (or a dialog's Help button) opens it at the section
that explains the window it was pressed in."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QImage, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QMainWindow,
    QTextBrowser,
    QWidget,
)

from journey_desktop import APP_NAME
from journey_desktop.paths import resource_path

# The README's headings the guide runs between (the command line onwards is for developers).
FIRST_SECTION = "The window"
AFTER_LAST_SECTION = "The command line"
SECTION_WINDOW = FIRST_SECTION
SECTION_ACTIVATE = "Activating a journey and loading its audience"
SECTION_CUSTOMERS = "Customers"
SECTION_EVENTS = "Events"
SECTION_EVALUATOR = "The evaluator"
SECTION_STATS = "Outbox and statistics"
SECTION_FORECAST = "Forecast"
GUIDE_FILE = ("guide", "guide.md")
IMAGE_MAX_WIDTH = 760


def user_guide(readme: str) -> str:
    """The README's user sections, ``## The window`` up to ``## The command line``, as the
    guide ships them (``make guide`` writes them; a test holds the copy to the README)."""
    start = readme.index(f"\n## {FIRST_SECTION}\n") + 1
    end = readme.index(f"\n## {AFTER_LAST_SECTION}\n", start) + 1
    return "# User guide\n\n" + readme[start:end].rstrip() + "\n"


def anchor(section: str) -> str:
    """The anchor of a section heading: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def guide_text() -> str:
    return resource_path(*GUIDE_FILE).read_text(encoding="utf-8")


def images_base() -> Path:
    """Where the guide's ``docs/screenshots/…`` paths resolve: the source checkout or the
    bundle (``build.spec`` ships ``docs/screenshots`` beside ``resources``)."""
    return resource_path().parent


class GuideWindow(QMainWindow):
    """The guide in a text browser, with its screenshots scaled to the page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("guide_window")
        self.setWindowTitle(f"User guide — {APP_NAME}")
        self.resize(900, 760)
        self.browser = QTextBrowser()
        self.browser.setObjectName("guide_browser")
        self.browser.setOpenExternalLinks(True)
        self.setCentralWidget(self.browser)
        self.section = ""
        self._load()

    def _load(self) -> None:
        document = self.browser.document()
        base = images_base()
        document.setBaseUrl(QUrl.fromLocalFile(str(base) + "/"))
        self.browser.setSearchPaths([str(base)])
        self.browser.setMarkdown(guide_text())
        cursor = QTextCursor(document)
        block = document.begin()
        while block.isValid():
            level = block.blockFormat().headingLevel()
            if level:  # named, so each section can be scrolled to
                cursor.setPosition(block.position())
                cursor.setPosition(block.position() + block.length() - 1,
                                   QTextCursor.MoveMode.KeepAnchor)
                char = QTextCharFormat()
                char.setAnchor(True)
                char.setAnchorNames([anchor(block.text())])
                cursor.mergeCharFormat(char)
            self._scale_images(block, cursor, base)
            block = block.next()

    @staticmethod
    def _scale_images(block: object, cursor: QTextCursor, base: Path) -> None:
        """Screenshots at most a page wide, keeping their proportions."""
        iterator = block.begin()  # type: ignore[attr-defined]
        while not iterator.atEnd():
            fragment = iterator.fragment()
            image_format = fragment.charFormat().toImageFormat()
            if image_format.isValid():
                image = QImage(str(base / image_format.name()))
                if not image.isNull() and image.width() > IMAGE_MAX_WIDTH:
                    image_format.setWidth(IMAGE_MAX_WIDTH)
                    image_format.setHeight(image.height() * IMAGE_MAX_WIDTH / image.width())
                    cursor.setPosition(fragment.position())
                    cursor.setPosition(fragment.position() + fragment.length(),
                                       QTextCursor.MoveMode.KeepAnchor)
                    cursor.setCharFormat(image_format)
            iterator += 1

    def show_section(self, section: str | None) -> None:
        """Scroll to a section's heading (the top for None)."""
        self.section = section or ""
        if section:
            self.browser.scrollToAnchor(anchor(section))
        else:
            self.browser.verticalScrollBar().setValue(0)


def show_guide(parent: QWidget | None, section: str | None = None) -> GuideWindow:
    """Open the guide (one per window, so a modal dialog never blocks it) at ``section``."""
    owner = parent.window() if parent is not None else None
    guide = owner.findChild(GuideWindow, "guide_window") if owner is not None else None
    if guide is None:
        guide = GuideWindow(owner)
        guide.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    guide.show()
    guide.raise_()
    guide.activateWindow()
    guide.show_section(section)
    return guide


def add_help(widget: QWidget, section: str | None,
             buttons: QDialogButtonBox | None = None) -> None:
    """F1 in ``widget`` (and its Help button, when it has a button box) opens ``section``."""
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_F1), widget)
    shortcut.setObjectName("help_shortcut")
    shortcut.activated.connect(partial(_open, widget, section))
    if buttons is not None:
        button = buttons.addButton(QDialogButtonBox.StandardButton.Help)
        button.setObjectName("help_button")
        button.setAutoDefault(False)
        buttons.helpRequested.connect(partial(_open, widget, section))


@Slot()
def _open(widget: QWidget, section: str | None) -> None:
    show_guide(widget, section)
