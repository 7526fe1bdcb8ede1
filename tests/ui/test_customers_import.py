"""File → Import customers…: the customer base alone, through the same preview, progress
and result as an audience import, driven with pytest-qt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QWidget

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.imports import run_customers_import_flow
from journey_desktop.ui.imports.target import CSV_FILTER
from journey_desktop.ui.journey_table import COL_AUDIENCE
from tests.ui.test_import_dialog import Prompts, close_result, dialog_named, write
from tests.ui.test_main_window import cell


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


def profiles() -> dict[str, dict[str, str]]:
    return {ext: json.loads(fields) for ext, fields in
            database.execute_sql("SELECT external_id, fields FROM profile")}


def member_count() -> int:
    return int(database.execute_sql("SELECT count(*) FROM member").fetchone()[0])


def test_customers_are_imported_into_the_base_without_a_mode(  # type: ignore[no-untyped-def]
    qtbot, window, repo: JourneyRepository, settings, asked, tmp_path
) -> None:
    repo.create(minimal_journey("Welcome"))
    first = write(tmp_path, "customerId,firstName,plan\nc1,Ann,gold\n", "first.csv")
    controller = run_customers_import_flow(window, repo, str(first), settings=settings)
    with qtbot.waitSignal(controller.customers_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    close_result(qtbot, controller)

    asked.open_file = str(write(tmp_path, "customerId;plan\r\nc1;premium\r\nc2;free\r\n"))
    controller = run_customers_import_flow(window, repo, settings=settings)
    assert asked.texts("open") == [
        ("Import customers into the customer base", str(tmp_path.resolve()), CSV_FILTER)]
    preview = dialog_named("import_preview_dialog")
    assert preview.windowTitle() == "Import customers into the customer base"
    assert not preview.add_radio.isVisible() and not preview.replace_radio.isVisible()
    with qtbot.waitSignal(controller.customers_imported, timeout=10_000):
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)

    result = dialog_named("import_result_dialog")
    assert result.windowTitle() == "Customer import"
    headline = result.findChild(QLabel, "headline_label").text()
    assert headline == "customers.csv was imported into the customer base."
    counts = {k: result.findChild(QLabel, f"count_{k}").text()
              for k in ("read", "added", "updated", "duplicates", "rejected")}
    assert counts == {"read": "2", "added": "1", "updated": "1", "duplicates": "0", "rejected": "0"}
    assert result.findChild(QLabel, "count_removed") is None
    close_result(qtbot, controller)
    assert profiles() == {"c1": {"firstName": "Ann", "plan": "premium"}, "c2": {"plan": "free"}}
    assert member_count() == 0


def test_nothing_imported_and_cancel_say_the_customer_base_is_unchanged(
    qtbot, window, repo: JourneyRepository, settings, asked, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    controller = run_customers_import_flow(
        window, repo, str(write(tmp_path, "id,name\n,x\n", "bad.csv")), settings=settings)
    dialog_named("import_preview_dialog").accept()
    qtbot.waitUntil(lambda: dialog_named("import_result_dialog") is not None, timeout=10_000)
    headline = dialog_named("import_result_dialog").findChild(QLabel, "headline_label").text()
    assert headline == ("Nothing was imported: every row of bad.csv was rejected. "
                        "The customer base is unchanged.")
    close_result(qtbot, controller)

    rows = "".join(f"n{i:06d},name {i}\n" for i in range(200_000))
    controller = run_customers_import_flow(
        window, repo, str(write(tmp_path, "id,name\n" + rows, "big.csv")), settings=settings)
    imported: list[bool] = []
    controller.customers_imported.connect(lambda: imported.append(True))
    dialog_named("import_preview_dialog").accept()
    progress = dialog_named("import_progress_dialog")
    assert progress.windowTitle() == "Import customers"
    bar = progress.findChild(QWidget, "import_progress_bar")
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=10_000)
    with qtbot.waitSignal(controller.finished, timeout=20_000):
        qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
    assert imported == []
    assert asked.texts("inform") == [
        "The import was cancelled. Nothing was imported; the customer base is unchanged."]
    assert profiles() == {}


def test_file_import_customers_in_the_main_window(  # type: ignore[no-untyped-def]
    qtbot, repo: JourneyRepository, main_window, asked, tmp_path
) -> None:
    window = main_window
    everyone = minimal_journey("For everyone")
    everyone.audience = "all"
    everyone_id = repo.create(everyone)
    repo.create(minimal_journey("Imported"))
    window.refresh()
    file_menu = window.menuBar().findChild(QWidget, "file_menu")
    assert window.action_import_customers in file_menu.actions()
    assert window.action_import_customers.objectName() == "action_import_customers"

    asked.open_file = str(write(tmp_path, "customerId,firstName\nc1,Ann\nc2,Bob\n"))
    window.action_import_customers.trigger()
    preview = dialog_named("import_preview_dialog")
    assert preview is not None and preview.parent() is window
    preview.accept()
    qtbot.waitUntil(lambda: dialog_named("import_result_dialog") is not None, timeout=10_000)
    assert profiles() == {"c1": {"firstName": "Ann"}, "c2": {"firstName": "Bob"}}
    # A draft for everyone counts the customer base; the other has no audience yet.
    qtbot.waitUntil(lambda: cell(window, "For everyone", COL_AUDIENCE) == "2", timeout=10_000)
    assert cell(window, "Imported", COL_AUDIENCE) == "0"
    dialog_named("import_result_dialog").reject()

    # An audience import into the journey for everyone still works, and adds to the base.
    window.import_audience(everyone_id, str(write(tmp_path, "id,firstName\nc3,Cy\n", "more.csv")))
    dialog_named("import_preview_dialog").accept()
    qtbot.waitUntil(lambda: cell(window, "For everyone", COL_AUDIENCE) == "3", timeout=10_000)
    assert database.execute_sql(
        "SELECT external_id FROM member WHERE journey_id = ?", (everyone_id,)
    ).fetchall() == [("c3",)]
    dialog_named("import_result_dialog").reject()
