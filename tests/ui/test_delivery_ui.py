"""Delivery reports in the window (SPEC §15): File → Import delivery report… through preview,
progress and result; the journey list's report; the forecast kept after activation."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMenu, QTableView

from journey_desktop.domain.delivery import LADDER
from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.db import database
from journey_desktop.store.delivery_status import database_id
from journey_desktop.ui import prompts
from journey_desktop.ui.imports.report import REPORT_FILTER
from tests.store.test_delivery import ids_by_customer, report, run_two_days
from tests.ui.test_main_window import click_row

LATER = "2025-05-14T12:00:00+00:00"
EARLY = "2025-05-01T12:00:00+00:00"  # before any message was written


class Asked:
    """Answers the file dialogs and records what the window said."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open_file: str | None = None
        self.save_file: str | None = None
        self.save_format = ""
        self.calls: list[tuple[str, Any]] = []
        monkeypatch.setattr(prompts, "ask_open_file", self._open)
        monkeypatch.setattr(prompts, "ask_save_file", self._save)
        monkeypatch.setattr(prompts, "ask_save_file_as", self._save_as)
        monkeypatch.setattr(prompts, "show_error",
                            lambda _parent, _title, text: self.calls.append(("error", text)))
        monkeypatch.setattr(prompts, "inform",
                            lambda _parent, _title, text: self.calls.append(("inform", text)))

    def _open(self, _parent: Any, title: str, _folder: str, name_filter: str) -> str | None:
        self.calls.append(("open", (title, name_filter)))
        return self.open_file

    def _save(self, _parent: Any, title: str, suggested: str, _filter: str) -> str | None:
        self.calls.append(("save", (title, suggested)))
        return self.save_file

    def _save_as(self, _parent: Any, title: str, suggested: str, filters: list[str],
                 selected: str = "") -> tuple[str, str] | None:
        self.calls.append(("save_as", (title, suggested, selected)))
        if self.save_file is None:
            return None
        return self.save_file, next(f for f in filters if self.save_format in f)

    def texts(self, kind: str) -> list[Any]:
        return [value for k, value in self.calls if k == kind]


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    return Asked(monkeypatch)


def shown(name: str) -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == name and widget.isVisible():
            return widget  # type: ignore[return-value]
    return None


def table_rows(view: QTableView) -> list[list[str]]:
    model = view.model()
    return [[str(model.index(r, c).data()) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def statuses() -> list[tuple[str, str, int]]:
    """Each message a report moved: the furthest status it reached, flagged early or not."""
    return [(ext, LADDER[level - 1], early) for ext, level, early in database.execute_sql(
        "SELECT o.external_id, d.level, d.early FROM delivery d"
        " JOIN outbox o ON o.id = d.outbox_id ORDER BY 1, 2")]


def test_a_report_is_previewed_applied_and_its_left_out_lines_saved(  # type: ignore[no-untyped-def]
    qtbot, repo, main_window, asked, tmp_path
) -> None:
    run_two_days(repo)
    ids = ids_by_customer()
    path = report(tmp_path, [(ids["c0"], "clicked", LATER), (ids["c1"], "opened", EARLY),
                             (ids["c0"], "opened", LATER), (ids["c2"], "bogus", LATER),
                             ("elsewhere-7", "sent", LATER)])
    asked.open_file = str(path)
    file_menu = main_window.menuBar().findChild(QMenu, "file_menu")
    [action] = [a for a in file_menu.actions()
                if a.objectName() == "action_import_delivery_report"]
    action.trigger()
    assert asked.texts("open") == [("Import delivery report", REPORT_FILTER)]

    preview = shown("report_preview_dialog")
    lines = table_rows(preview.findChild(QTableView, "preview_table"))
    assert [(row[0], row[2], row[5]) for row in lines] == [
        ("2", "clicked", ""), ("3", "opened", ""), ("4", "opened", ""),
        ("5", "", "unknown status 'bogus' (use sent, delivered, opened, clicked, bounced, "
                  "failed, unsubscribed)"),
        ("6", "sent", "not a message of this database")]
    assert statuses() == []  # nothing is written before Apply

    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown("report_result_dialog") is not None, timeout=10_000)
    result = shown("report_result_dialog")
    counts = {key: result.findChild(QLabel, f"count_{key}").text()
              for key in ("read", "applied", "duplicates", "unknown", "rejected", "early")}
    assert counts == {"read": "5", "applied": "2", "duplicates": "1", "unknown": "1",
                      "rejected": "1", "early": "1"}
    assert result.findChild(QLabel, "early_label").text() == (
        "1 status is timestamped before its message was written; it was kept and flagged "
        "(line 3).")
    assert statuses() == [("c0", "clicked", 0), ("c1", "opened", 1)]

    asked.save_file = str(tmp_path / "left-out.csv")
    qtbot.mouseClick(result.save_rejects_button, Qt.MouseButton.LeftButton)
    with open(asked.save_file, encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert [row[:2] for row in rows] == [
        ["line", "reason"], ["5", rows[1][1]], ["6", "no such message in this database"]]
    assert "unknown status 'bogus'" in rows[1][1]
    assert "2 lines left out saved to" in result.findChild(QLabel, "saved_label").text()
    result.reject()


def test_a_report_of_another_database_says_so_and_applies_nothing(  # type: ignore[no-untyped-def]
    qtbot, repo, main_window, asked, tmp_path
) -> None:
    run_two_days(repo)
    path = report(tmp_path, [("0123abcd-1", "opened", LATER), ("0123abcd-2", "sent", LATER)])
    controller = main_window.import_delivery_report(str(path))
    imported: list[bool] = []
    controller.report_imported.connect(lambda: imported.append(True))
    shown("report_preview_dialog").accept()
    qtbot.waitUntil(lambda: shown("report_result_dialog") is not None, timeout=10_000)
    headline = shown("report_result_dialog").findChild(QLabel, "headline_label").text()
    assert headline == ("Nothing was applied: none of the 2 messages is in this database (ids "
                        "of database 0123abcd): the report is for messages exported from "
                        "another data folder.")
    assert imported == [] and statuses() == []
    with qtbot.waitSignal(controller.finished):
        shown("report_result_dialog").reject()


def test_a_report_of_messages_removed_with_their_journey_says_so(  # type: ignore[no-untyped-def]
        qtbot, repo, main_window, asked, tmp_path) -> None:
    journey_id = run_two_days(repo)
    ids = ids_by_customer()
    repo.remove(journey_id)
    path = report(tmp_path, [(ids["c0"], "opened", LATER), (ids["c1"], "sent", LATER)])
    controller = main_window.import_delivery_report(str(path))
    lines = table_rows(shown("report_preview_dialog").findChild(QTableView, "preview_table"))
    assert [(row[0], row[5]) for row in lines] == [
        ("2", "no longer in this database (removed with its journey)"),
        ("3", "no longer in this database (removed with its journey)")]
    shown("report_preview_dialog").accept()
    qtbot.waitUntil(lambda: shown("report_result_dialog") is not None, timeout=10_000)
    headline = shown("report_result_dialog").findChild(QLabel, "headline_label").text()
    assert headline == ("Nothing was applied: the 2 messages are no longer in this database: "
                        "their ids are this database's, so they were removed (with their "
                        "journey).")
    with qtbot.waitSignal(controller.finished):
        shown("report_result_dialog").reject()


def test_cancel_applies_nothing(qtbot, repo, main_window, asked, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_two_days(repo)
    mid = ids_by_customer()["c0"]
    path = report(tmp_path, [(mid, "opened", LATER)] * 60_000)
    controller = main_window.import_delivery_report(str(path))
    shown("report_preview_dialog").accept()
    progress = shown("import_progress_dialog")
    assert progress is not None and progress.windowTitle() == "Import delivery report"
    with qtbot.waitSignal(controller.finished, timeout=20_000):
        qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
    assert asked.texts("inform") == [
        "The import was cancelled. Nothing was imported; no message's status changed."]
    assert statuses() == []


def test_a_file_that_is_no_report_is_refused_in_words(  # type: ignore[no-untyped-def]
    qtbot, repo, main_window, asked, tmp_path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customerId,name\nc1,Ann\n", encoding="utf-8")
    main_window.import_delivery_report(str(path))
    assert asked.texts("error") == [
        "customers.csv cannot be imported.\n\na delivery report needs the columns message_id, "
        "status and timestamp; this one has no message_id, status, timestamp"]
    assert shown("report_preview_dialog") is None


# --- the journey report ---------------------------------------------------------------------


def test_the_report_action_writes_the_journey_report(  # type: ignore[no-untyped-def]
    qtbot, repo, main_window, asked, tmp_path
) -> None:
    journey_id = run_two_days(repo)
    draft = repo.create(minimal_journey("Draft one"))
    main_window.refresh()
    click_row(qtbot, main_window, "Draft one")
    assert not main_window.action_report.isEnabled()
    assert main_window.action_report.toolTip() == (
        "Cannot be reported on: it is a draft; no customer has entered it yet.")
    assert main_window.action_report in main_window.toolbar.actions()
    assert main_window.action_report in main_window.context_menu().actions()

    name = repo.get(journey_id).journey.name
    click_row(qtbot, main_window, name)
    assert main_window.action_report.isEnabled() and draft != journey_id
    asked.save_file = str(tmp_path / "report.csv")
    asked.save_format = "semicolon"
    main_window.action_report.trigger()
    target = Path(asked.save_file)
    qtbot.waitUntil(lambda: "Saved the journey report" in main_window.statusBar().currentMessage(),
                    timeout=10_000)
    with target.open(encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved, delimiter=";"))
    assert rows[0][:5] == ["customerId", "journey", "entry", "entered_at", "current"]
    assert sorted(row[0] for row in rows[1:]) == ["c0", "c1", "c2", "c3"]
    assert {row[5] for row in rows[1:]} == {"2"}  # two messages written each
    assert "(4 rows)" in main_window.statusBar().currentMessage()


# --- the forecast kept at activation ------------------------------------------------------


def test_activating_in_the_window_keeps_the_forecast_off_the_gui_thread(
    qtbot, repo, main_window, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from journey_desktop.ui.activate_dialog import ActivateDialog
    from journey_desktop.ui.main.actions import lifecycle

    threads: list[bool] = []
    real = lifecycle.keep_activation_forecast

    def keep(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "keep_activation_forecast", keep)
    journey_id = repo.create(minimal_journey("Spring sale"))
    main_window.refresh()
    click_row(qtbot, main_window, "Spring sale")
    main_window.action_activate.trigger()
    dialog = main_window.findChild(ActivateDialog)
    with qtbot.waitSignal(dialog.activated, timeout=10_000):
        qtbot.mouseClick(dialog.activate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Forecast kept" in main_window.statusBar().currentMessage(),
                    timeout=20_000)
    assert threads == [False]
    kept = database.execute_sql("SELECT count(*) FROM forecast_day WHERE journey_id = ?",
                                (journey_id,)).fetchone()[0]
    assert main_window.statusBar().currentMessage() == (
        f"Forecast kept for plan against actual: {kept} days.")
    assert kept == 30


def test_a_forecast_that_fails_is_said_in_the_status_bar(  # type: ignore[no-untyped-def]
    qtbot, repo, main_window, monkeypatch
) -> None:
    from journey_desktop.store.forecast import ForecastError
    from journey_desktop.ui.main.actions import lifecycle

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise ForecastError("the database is busy")

    monkeypatch.setattr(lifecycle, "keep_activation_forecast", refuse)
    main_window.keep_forecast(repo.create(minimal_journey("Spring sale")))
    qtbot.waitUntil(lambda: "not kept" in main_window.statusBar().currentMessage(),
                    timeout=10_000)
    assert main_window.statusBar().currentMessage() == (
        "The forecast was not kept, so the statistics will have no plan to hold the journey "
        "against: the database is busy")
    assert database_id()  # the database is still usable


# --- the outbox ------------------------------------------------------------------------------


def test_the_outbox_shows_each_message_s_delivery_and_filters_by_it(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from journey_desktop.store.delivery import import_report
    from journey_desktop.ui.common.changes import DELIVERY_REPORT_CHANGE
    from journey_desktop.ui.outbox import OutboxWindow
    from journey_desktop.ui.outbox.model import COL_CUSTOMER, COL_DELIVERY, COL_NODE

    run_two_days(repo)
    window = OutboxWindow(repo, None)
    qtbot.addWidget(window)
    window.show()
    ids = ids_by_customer()
    result = import_report(report(tmp_path, [(ids["c0"], "clicked", LATER),
                                             (ids["c1"], "opened", LATER),
                                             (ids["c2"], "bounced", LATER)]))
    assert result.committed
    window.notice_change(None, DELIVERY_REPORT_CHANGE)

    def rows() -> list[tuple[str, str, str]]:
        model = window.table.model()
        return sorted((model.index(r, COL_CUSTOMER).data(), model.index(r, COL_NODE).data(),
                       model.index(r, COL_DELIVERY).data()) for r in range(model.rowCount()))

    assert window.table.model().headerData(COL_DELIVERY, Qt.Orientation.Horizontal) == "Delivery"
    assert [row for row in rows() if row[1] == "hello"] == [
        ("c0", "hello", "clicked"), ("c1", "hello", "opened"), ("c2", "hello", "bounced"),
        ("c3", "hello", "")]
    combo = window.delivery_filter

    def choose(text: str) -> list[tuple[str, str, str]]:
        combo.setCurrentIndex(combo.findText(text))
        return rows()

    assert choose("Opened") == [("c0", "hello", "clicked"), ("c1", "hello", "opened")]
    assert choose("Clicked") == [("c0", "hello", "clicked")]
    assert choose("Bounced") == [("c2", "hello", "bounced")]
    assert len(choose("No report yet")) == len(ids) * 2 - 3  # two messages each
    window.clear_filters_button.click()
    assert combo.currentText() == "Any delivery" and len(rows()) == len(ids) * 2


def test_the_outbox_shows_the_detail_a_report_gave(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from journey_desktop.store.delivery import import_report
    from journey_desktop.ui.outbox import OutboxWindow
    from journey_desktop.ui.outbox.model import COL_CUSTOMER, COL_DELIVERY, COL_NODE

    run_two_days(repo)
    ids = ids_by_customer()
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp,detail\n"
                    f"{ids['c0']},bounced,{LATER},mailbox full\n"
                    f"{ids['c1']},opened,{LATER},\n", encoding="utf-8")
    assert import_report(path).committed
    window = OutboxWindow(repo, None)
    qtbot.addWidget(window)
    window.show()
    model = window.table.model()
    shown = {model.index(r, COL_CUSTOMER).data(): model.index(r, COL_DELIVERY)
             for r in range(model.rowCount()) if model.index(r, COL_NODE).data() == "hello"}
    assert shown["c0"].data() == "bounced (mailbox full)"
    assert shown["c0"].data(Qt.ItemDataRole.ToolTipRole).startswith(
        "The report's detail: mailbox full\n")
    assert shown["c1"].data() == "opened"
    assert shown["c1"].data(Qt.ItemDataRole.ToolTipRole).startswith("What the delivery reports")
