"""The built-in user guide: the README's user sections, shipped, with their screenshots,
and F1 in each window opening the section that explains it."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from journey_desktop.paths import resource_path
from journey_desktop.ui.guide import (
    GUIDE_FILE,
    IMAGE_MAX_WIDTH,
    SECTION_CUSTOMERS,
    SECTION_FORECAST,
    SECTION_STATS,
    GuideWindow,
    images_base,
    user_guide,
)
from tests.conftest import ROOT, load_example


def test_the_shipped_guide_is_the_readmes_user_sections() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shipped = resource_path(*GUIDE_FILE).read_text(encoding="utf-8")
    assert shipped == user_guide(readme), "run `make guide` after changing the README"
    assert "## The window" in shipped and "## Forecast" in shipped
    assert "## The command line" not in shipped and "## Set-up" not in shipped


def test_every_screenshot_of_the_guide_is_found() -> None:
    shipped = resource_path(*GUIDE_FILE).read_text(encoding="utf-8")
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", shipped)
    assert images
    for image in images:
        assert (images_base() / image).is_file(), image


def test_the_guide_shows_its_pictures_a_page_wide_at_most(qtbot) -> None:  # type: ignore[no-untyped-def]
    guide = GuideWindow()
    qtbot.addWidget(guide)
    guide.show()
    document = guide.browser.document()
    widths = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            image = iterator.fragment().charFormat().toImageFormat()
            if image.isValid():  # scaled down, or shown at its own width
                natural = QImage(str(images_base() / image.name())).width()
                widths.append(image.width() or natural)
            iterator += 1
        block = block.next()
    assert widths and all(0 < width <= IMAGE_MAX_WIDTH for width in widths)


def open_section_with_f1(qtbot, window: QWidget, focus: QWidget | None = None) -> GuideWindow:  # type: ignore[no-untyped-def]
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(focus or window, Qt.Key.Key_F1)
    guide = window.findChild(GuideWindow, "guide_window")
    assert guide is not None and guide.isVisible()
    top = guide.browser.cursorForPosition(guide.browser.viewport().rect().topLeft()).block()
    assert top.text() == guide.section  # the section's heading is at the top
    return guide


@pytest.mark.parametrize("kind, section", [("stats", SECTION_STATS), ("forecast", SECTION_FORECAST),
                                           ("outbox", SECTION_STATS),
                                           ("customers", SECTION_CUSTOMERS)])
def test_f1_in_each_window_opens_its_section(qtbot, repo, kind: str, section: str) -> None:  # type: ignore[no-untyped-def]
    journey_id = repo.create(load_example("birthday"))
    if kind == "stats":
        from journey_desktop.ui.stats import StatsWindow

        window: QWidget = StatsWindow(repo, journey_id)
    elif kind == "forecast":
        from journey_desktop.ui.forecast import ForecastWindow

        window = ForecastWindow(repo, journey_id)
    elif kind == "outbox":
        from journey_desktop.ui.outbox import OutboxWindow

        window = OutboxWindow(repo)
    else:
        from journey_desktop.ui.customers import CustomersWindow

        window = CustomersWindow()
    qtbot.addWidget(window)
    guide = open_section_with_f1(qtbot, window)
    assert guide.section == section
    if kind == "stats":
        qtbot.waitUntil(lambda: not window.loading)  # type: ignore[attr-defined]
