"""File → Import events… (SPEC §11): the preview says what the file holds, the import runs
as a job, the result counts and saves the rejected lines, and files meant for another
import are told which they are."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QTableView, QWidget

from journey_desktop.domain import engine
from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.imports import run_events_import_flow, run_import_flow
from journey_desktop.ui.imports.target import EVENTS_FILTER
from tests.ui.test_import_dialog import Prompts, close_result, dialog_named, write


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    return Prompts(monkeypatch)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def stored_events() -> list[tuple[str, str, int]]:
    return [tuple(row) for row in database.execute_sql(  # type: ignore[misc]
        "SELECT external_id, name, occurred_at FROM event ORDER BY seq")]


def at(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


JSON_EVENTS = (
    '{"userId": "c1", "event": "cart_updated", "timestamp": "2026-03-01T10:00:00Z", '
    '"messageId": "m1", "properties": {"cartId": "A"}}\n'
    '{"userId": "c1", "event": "purchase", "timestamp": "2026-03-01T11:30:00Z", '
    '"messageId": "m2", "properties": {"cartId": "A"}}\n'
    '{"userId": "c2", "event": "cart_updated", "timestamp": "2026-03-02T09:15:00Z", '
    '"messageId": "m3", "properties": {"cartId": "B"}}\n'
    '{"userId": "", "event": "purchase", "timestamp": "2026-03-02T09:20:00Z"}\n'
)


def text_of(dialog: QWidget, name: str) -> str:
    return dialog.findChild(QLabel, name).text()


def test_events_file_is_previewed_imported_and_its_rejects_saved(  # type: ignore[no-untyped-def]
    qtbot, window, repo: JourneyRepository, settings, asked, tmp_path
) -> None:
    path = write(tmp_path / "exports", JSON_EVENTS, "events.jsonl")
    asked.open_file = str(path)
    controller = run_events_import_flow(window, repo, settings=settings)
    assert asked.texts("open") == [
        ("Import events into the database", str(Path.home()), EVENTS_FILTER)]

    preview = dialog_named("import_preview_dialog")
    assert preview.windowTitle() == "Import events into the database"
    assert text_of(preview, "format_label") == "JSON Lines"
    assert text_of(preview, "columns_label") == (
        "userId (customer ID), event (event name), timestamp (time), "
        "messageId (message ID), properties")
    assert text_of(preview, "read_label") == "4 lines: 3 events, 1 rejected line"
    first = engine.local_time_text(at("2026-03-01T10:00:00+00:00"))
    last = engine.local_time_text(at("2026-03-02T09:15:00+00:00"))
    assert text_of(preview, "time_range_label") == f"{first} to {last}"
    names = preview.names_view.model()
    assert [(names.index(r, 0).data(), names.index(r, 1).data())
            for r in range(names.rowCount())] == [("cart_updated", "2"), ("purchase", "1")]
    rejects = preview.rejects_view.model()
    assert (rejects.index(0, 0).data(), rejects.index(0, 1).data()) == (4, "no customer ID")
    assert preview.import_button.isEnabled()

    with qtbot.waitSignal(controller.events_imported, timeout=10_000):
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    result = dialog_named("import_result_dialog")
    assert result.windowTitle() == "Events import"
    counts = {k: text_of(result, f"count_{k}")
              for k in ("read", "added", "duplicates", "rejected")}
    assert counts == {"read": "4", "added": "3", "duplicates": "0", "rejected": "1"}
    assert stored_events() == [("c1", "cart_updated", at("2026-03-01T10:00:00+00:00")),
                               ("c1", "purchase", at("2026-03-01T11:30:00+00:00")),
                               ("c2", "cart_updated", at("2026-03-02T09:15:00+00:00"))]

    asked.save_file = str(tmp_path / "rejected.csv")
    qtbot.mouseClick(result.save_rejects_button, Qt.MouseButton.LeftButton)
    with open(asked.save_file, newline="", encoding="utf-8-sig") as saved:
        rows = list(csv.reader(saved))
    assert rows[0] == ["line", "reason", "text"]
    assert rows[1][:2] == ["4", "no customer ID"]
    close_result(qtbot, controller)

    # The same file again: every event is a duplicate, nothing new is stored.
    controller = run_events_import_flow(window, repo, str(path), settings=settings)
    with qtbot.waitSignal(controller.events_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    result = dialog_named("import_result_dialog")
    assert (text_of(result, "count_added"), text_of(result, "count_duplicates")) == ("0", "3")
    close_result(qtbot, controller)
    assert len(stored_events()) == 3


def test_csv_events_preview_names_the_format_and_columns(  # type: ignore[no-untyped-def]
    qtbot, window, repo, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "customerId,event,timestamp,total\n"
                 "c1,purchase,2026-03-01T10:00:00Z,19.90\n", "events.csv")
    controller = run_events_import_flow(window, repo, str(path), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "format_label") == "CSV"
    assert text_of(preview, "columns_label") == (
        "customerId (customer ID), event (event name), timestamp (time), "
        "total (property, number)")
    with qtbot.waitSignal(controller.finished):
        preview.reject()
    assert stored_events() == []


def test_a_rejects_files_line_and_reason_are_shown_as_not_imported(  # type: ignore[no-untyped-def]
        qtbot, window, repo, settings, asked, tmp_path) -> None:
    path = write(tmp_path, "line,reason,customerId,event,timestamp,total\n"
                 "3,no customer ID,c1,purchase,2026-03-01T10:00:00Z,19.90\n", "rejects.csv")
    controller = run_events_import_flow(window, repo, str(path), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "columns_label") == (
        "line (not imported), reason (not imported), customerId (customer ID), "
        "event (event name), timestamp (time), total (property, number)")
    with qtbot.waitSignal(controller.finished):
        preview.reject()


def test_the_customer_id_column_is_chosen_in_the_preview(  # type: ignore[no-untyped-def]
        qtbot, window, repo, settings, asked, tmp_path) -> None:
    path = write(tmp_path, "user,event,timestamp\nc1,view,2026-03-01T10:00:00Z\n"
                 ",view,2026-03-01T11:00:00Z\n", "events.csv")
    controller = run_events_import_flow(window, repo, str(path), settings=settings)
    preview = dialog_named("import_preview_dialog")
    combo = preview.id_column_combo
    assert combo.isVisible()
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "— choose the ID column —", "user", "event", "timestamp"]
    assert text_of(preview, "problem_label").endswith("choose the customer ID column.")
    assert not preview.import_button.isEnabled()

    combo.setCurrentIndex(combo.findData("user"))
    assert not preview.problem_label.isVisible()
    assert text_of(preview, "columns_label") == (
        "user (customer ID), event (event name), timestamp (time)")
    assert text_of(preview, "read_label") == "2 lines: 1 event, 1 rejected line"
    rejects = preview.rejects_view.model()
    assert (rejects.index(0, 0).data(), rejects.index(0, 1).data()) == (3, "no customer ID")
    assert preview.rejects_view.isVisible()
    combo.setCurrentIndex(0)  # no choice: none is found by name, so none is read
    assert not preview.import_button.isEnabled()
    combo.setCurrentIndex(combo.findData("user"))
    with qtbot.waitSignal(controller.events_imported, timeout=10_000):
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    close_result(qtbot, controller)
    assert stored_events() == [("c1", "view", at("2026-03-01T10:00:00+00:00"))]


def test_json_lines_name_the_customer_in_user_id_and_rejects_show_the_line(  # type: ignore[no-untyped-def]
        qtbot, window, repo, settings, asked, tmp_path) -> None:
    line = '{"userId":"  ","event":"view","timestamp":1740819600}'
    path = write(tmp_path, line + "\n" + line.replace('"  "', '"c1"') + "\n", "e.jsonl")
    controller = run_events_import_flow(window, repo, str(path), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert not preview.id_column_combo.isVisible()
    rejects = preview.rejects_view.model()
    assert [rejects.index(0, c).data() for c in range(3)] == [1, "no customer ID", line]
    with qtbot.waitSignal(controller.finished):
        preview.reject()


def test_files_meant_for_another_import_are_told_which_they_are(  # type: ignore[no-untyped-def]
    qtbot, window, repo: JourneyRepository, settings, asked, tmp_path
) -> None:
    customers = write(tmp_path, "customerId,firstName\nc1,Ann\n", "customers.csv")
    controller = run_events_import_flow(window, repo, str(customers), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "problem_label").startswith(
        "This looks like a list of customers (column customerId, no event or timestamp)")
    assert not preview.import_button.isEnabled()
    with qtbot.waitSignal(controller.finished):
        preview.reject()

    events = write(tmp_path, "userId,event,timestamp\nc1,view,2026-03-01T10:00:00Z\n",
                   "events.csv")
    journey_id = repo.create(minimal_journey("Welcome"))
    controller = run_import_flow(window, repo, journey_id, str(events), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "problem_label").startswith(
        "This looks like an events file (columns event, timestamp)")
    assert not preview.import_button.isEnabled()
    with qtbot.waitSignal(controller.finished):
        preview.reject()

    compact = write(tmp_path, '{"userId":"c1","event":"view","timestamp":1740819600}\n',
                    "events.jsonl")
    controller = run_import_flow(window, repo, journey_id, str(compact), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "problem_label").startswith(
        "This looks like an events file (JSON Lines with userId, event, timestamp)")
    assert not preview.import_button.isEnabled()
    with qtbot.waitSignal(controller.finished):
        preview.reject()


def test_file_import_events_in_the_main_window(qtbot, main_window, asked, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    file_menu = window.menuBar().findChild(QWidget, "file_menu")
    assert window.action_import_events in file_menu.actions()
    assert window.action_import_events.objectName() == "action_import_events"
    asked.open_file = str(write(tmp_path, JSON_EVENTS, "events.jsonl"))
    window.action_import_events.trigger()
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "format_label") == "JSON Lines"
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog_named("import_result_dialog") is not None, timeout=10_000)
    dialog_named("import_result_dialog").reject()
    assert len(stored_events()) == 3


def reaches_the_right_edge(view: QTableView) -> bool:
    header = view.horizontalHeader()
    last = header.count() - 1
    return header.sectionPosition(last) + header.sectionSize(last) == view.viewport().width()


def test_nothing_is_read_until_the_customer_id_column_is_chosen(  # type: ignore[no-untyped-def]
        qtbot, window, repo, settings, asked, tmp_path) -> None:
    path = write(tmp_path, "user,event,timestamp,cartId\n"
                 "c1,cart_updated,2026-03-01T10:00:00Z,A\nc1,purchase,2026-03-01T11:30:00Z,A\n"
                 ",purchase,2026-03-02T09:20:00Z,C\nc3,view,2026-03-02T10:00:00Z,17\n",
                 "events.csv")
    controller = run_events_import_flow(window, repo, str(path), settings=settings)
    preview = dialog_named("import_preview_dialog")
    assert text_of(preview, "read_label") == (
        "nothing yet: the file is read once the customer ID column is chosen")
    # Any of the other columns may be the ID: none is said to be a property yet.
    assert text_of(preview, "columns_label") == (
        "user, event (event name), timestamp (time), cartId")

    preview.id_column_combo.setCurrentIndex(preview.id_column_combo.findData("user"))
    assert text_of(preview, "read_label") == "4 lines: 3 events, 1 rejected line"
    assert text_of(preview, "columns_label") == (
        "user (customer ID), event (event name), timestamp (time), cartId (property, text)")
    qtbot.waitUntil(lambda: all(map(reaches_the_right_edge, (
        preview.names_view, preview.samples_view, preview.rejects_view))), timeout=2_000)
    with qtbot.waitSignal(controller.finished):
        preview.reject()
