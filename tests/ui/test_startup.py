"""Start-up problems: the refused-database choice and the unexpected-error dialog."""

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from journey_desktop.store.db import CorruptDatabaseError, NewerDatabaseError
from journey_desktop.ui.startup import ErrorReporter, ask_fresh_database, start_fresh_beside
from tests.store.disk_support import small_disk  # noqa: F401 (fixture)


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
    error = NewerDatabaseError(tmp_path / "journeys.db",
                               "this database was made by a newer version")
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


# --- the database at start-up, and while the window runs ------------------------------------


def test_read_only_database_is_told_in_words_and_never_set_aside(
    small_disk, monkeypatch  # noqa: F811
):
    from journey_desktop.store import close_store, open_store
    from journey_desktop.ui import prompts, startup
    from tests.store.disk_support import remount

    data_dir = small_disk / "data"
    open_store(data_dir)
    close_store()
    shown: list[str] = []
    monkeypatch.setattr(prompts, "show_error", lambda _p, _t, text: shown.append(text))
    monkeypatch.setattr(startup, "ask_fresh_database", lambda *_: pytest.fail("offered"))
    remount(small_disk, "ro")
    try:
        assert startup.open_database(data_dir) is False
    finally:
        remount(small_disk, "rw")
    assert len(shown) == 1 and "cannot write here" in shown[0]
    assert sorted(p.name for p in data_dir.iterdir()) == ["journeys.db"]


def test_damaged_database_is_offered_a_fresh_one_beside_it(data_dir, monkeypatch):
    from journey_desktop.store import close_store
    from journey_desktop.store.repository import JourneyRepository
    from journey_desktop.ui import startup
    from tests.store.disk_support import damage_pages, database_with_customers

    path = database_with_customers(data_dir)
    damage_pages(path)
    before = path.read_bytes()
    reasons: list[str] = []
    monkeypatch.setattr(startup, "ask_fresh_database",
                        lambda _parent, error: reasons.append(error.reason) or True)
    try:
        assert startup.open_database(data_dir) is True
        assert JourneyRepository().count() == 0  # the fresh one
    finally:
        close_store()
    assert "damaged" in reasons[0]
    (kept,) = [p for p in data_dir.glob("journeys.db.damaged-*")
               if not p.name.endswith(("-wal", "-shm"))]
    assert kept.read_bytes() == before


def test_a_write_that_waits_for_the_evaluator_says_so(qtbot, main_window, store):
    import sqlite3
    import threading

    from journey_desktop.store.db import add_busy_listener

    window = main_window
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    holder = sqlite3.connect(store / "journeys.db", isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # as a tick's batch does
    holder.execute("INSERT INTO setting (key, value) VALUES ('held', 'yes')")
    waiting = threading.Event()
    remove = add_busy_listener(waiting.set)  # after the window's: it has spoken by then

    def commit_once_the_write_waits() -> None:
        waiting.wait(timeout=20)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=commit_once_the_write_waits)
    releaser.start()
    try:
        window.action_new.trigger()
    finally:
        remove()
        releaser.join()
        holder.close()
    assert any(m.startswith("The evaluator (or another program) is busy with the database; "
                            "retrying") for m in messages)
    assert window.selected_journey().name == "New journey"
