"""Start-up problems: the refused-database choice and the unexpected-error dialog."""

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from journey_desktop.store.db import CorruptDatabaseError, NewerDatabaseError
from journey_desktop.ui.startup import ErrorReporter, ask_fresh_database, start_fresh_beside


def answer_message_box(qtbot, object_name: str, button_text: str, seen: list[str]) -> None:
    """Click a button of the next modal message box once it is shown."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != object_name:
            QTimer.singleShot(10, click)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        for button in box.buttons():
            if button.text() == button_text:
                button.click()
                return
        raise AssertionError(f"no button {button_text!r}")

    QTimer.singleShot(0, click)


@pytest.mark.parametrize("answer, expected", [("Start a fresh database", True), ("Quit", False)])
def test_refused_database_tells_why_and_offers_a_fresh_one(qtbot, tmp_path, answer, expected):
    error = NewerDatabaseError(tmp_path / "journeys.db", "this database was made by a newer version")
    seen: list[str] = []
    answer_message_box(qtbot, "database_error_box", answer, seen)
    assert ask_fresh_database(None, error) is expected
    assert "newer version" in seen[0]
    assert str(tmp_path / "journeys.db") in seen[0]
    assert "renamed, not deleted" in seen[0]


def test_fresh_start_keeps_the_old_file(tmp_path):
    path = tmp_path / "journeys.db"
    path.write_bytes(b"damaged")
    kept = start_fresh_beside(CorruptDatabaseError(path, "damaged"))
    assert not path.exists()
    assert kept.read_bytes() == b"damaged"
    assert ".damaged-" in kept.name


def test_unexpected_error_is_shown_once_with_the_log(qtbot, tmp_path):
    reporter = ErrorReporter(Path(tmp_path / "journey-desktop.log"))
    seen: list[str] = []
    answer_message_box(qtbot, "unexpected_error_box", "OK", seen)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        reporter.handle(ValueError, exc, exc.__traceback__)
        reporter.handle(ValueError, exc, exc.__traceback__)  # the same error is not shown twice
    assert len(seen) == 1
    assert "ValueError: boom" in seen[0]
    assert "journey-desktop.log" in seen[0]
