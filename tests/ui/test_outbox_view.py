"""The outbox window: what the engine wrote, filtered, paged and exported to CSV."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from journey_desktop.store.db import connect
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.export_lock import ExportLock
from journey_desktop.store.outbox import CSV_HEADER, OutboxFilter, count_messages
from journey_desktop.store.postgres import connect_postgres
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui import prompts
from journey_desktop.ui.outbox import OutboxWindow
from journey_desktop.ui.outbox.model import (
    COL_BODY,
    COL_CHANNEL,
    COL_CUSTOMER,
    COL_DUE,
    COL_EXPORTED,
    COL_JOURNEY,
    COL_NODE,
    COL_STATUS,
    COL_TITLE,
    COL_URL,
    SORT_ROLE,
    OutboxTableModel,
)
from journey_desktop.ui.outbox.window import CSV_FORMATS
from tests.store.evaluator_support import DAY, MADRID
from tests.ui.outbox_support import START, start_example, three_days_of_messages

EXPORT_TIME = START + 3 * DAY  # 15 May 2025, 09:00 in Madrid
PROMOTION = "Seven-day discount week"
WELCOME = "Welcome series"


pytestmark = pytest.mark.both_databases


@pytest.fixture
def journeys(repo: JourneyRepository, tmp_path: Path) -> tuple[int, int]:
    return three_days_of_messages(repo, tmp_path)


def make_window(qtbot, repo: JourneyRepository, journey_id: int | None = None,  # type: ignore[no-untyped-def]
                **kwargs: object) -> OutboxWindow:
    window = OutboxWindow(repo, journey_id, tz=MADRID, clock=lambda: EXPORT_TIME, **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def column(window: OutboxWindow, col: int) -> list[str]:
    model = window.table.model()
    return [model.index(row, col).data() for row in range(model.rowCount())]


def row_of(window: OutboxWindow, customer: str, node: str) -> list[str]:
    model = window.table.model()
    for row in range(model.rowCount()):
        if (model.index(row, COL_CUSTOMER).data(), model.index(row, COL_NODE).data()) == (
                customer, node):
            return [model.index(row, col).data() for col in range(model.columnCount())]
    raise AssertionError(f"no row for {customer} at {node}")


def save_to(monkeypatch: pytest.MonkeyPatch, path: Path, delimiter: str = ",") -> list[str]:
    """Answer the export's save dialog with ``path``, in the form with this delimiter."""
    asked: list[str] = []
    chosen = next(name for name, d in CSV_FORMATS.items() if d == delimiter)

    def ask(_parent: object, title: str, _directory: str, filters: list[str],
            _selected: str = "") -> tuple[str, str]:
        assert chosen in filters
        asked.append(title)
        return str(path), chosen

    monkeypatch.setattr(prompts, "ask_save_file_as", ask)
    return asked


def read_csv(path: Path, delimiter: str = ",") -> list[list[str]]:
    """The file as Excel reads it: UTF-8 with its BOM, the chosen delimiter."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_table_shows_what_the_engine_wrote(qtbot, repo, journeys) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo)
    assert window.objectName() == "outbox_window"
    assert window.table.objectName() == "outbox_table"
    assert window.table.model().rowCount() == 15
    assert window.count_label.text() == "15 messages · 15 not exported yet"
    assert row_of(window, "w1", "premium_email") == [
        "w1", WELCOME, "premium_email", "Email", "Your premium features, Wanda",
        "Discover what your premium plan includes.", "", "2025-05-14 09:00", "2025-05-14 09:00",
        "ready", "",
        ""]  # no delivery report yet
    assert row_of(window, "ann", "daily_offer")[:8] == [
        "ann", PROMOTION, "daily_offer", "Push", "Today's deal for you, Ann",
        "20% off everything in the app until midnight.", "https://example.com/deals/today",
        "2025-05-14 09:00"]
    # Newest first; the due time sorts on its instant, not its text.
    dues = [window.model.index(r, COL_DUE).data(SORT_ROLE) for r in range(15)]
    assert dues == sorted(dues, reverse=True)
    assert column(window, COL_DUE)[-1] == "2025-05-12 09:00"


def test_due_time_header_sorts_oldest_first(qtbot, repo, journeys) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo)
    header = window.table.horizontalHeader()
    header.setSortIndicator(COL_DUE, Qt.SortOrder.AscendingOrder)
    assert column(window, COL_DUE)[0] == "2025-05-12 09:00"
    header.setSortIndicator(COL_TITLE, Qt.SortOrder.AscendingOrder)  # not sortable: ignored
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        COL_DUE, Qt.SortOrder.AscendingOrder)
    assert column(window, COL_DUE)[0] == "2025-05-12 09:00"


def test_model_fetches_page_by_page(qtbot, qtmodeltester, repo, journeys) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, page_size=4)
    model = window.model
    assert (model.rowCount(), model.total) == (4, 15)
    assert window.count_label.text() == "15 messages · 15 not exported yet"
    window.table.scrollToBottom()  # the view asks for the next page near the end
    qtbot.waitUntil(lambda: model.rowCount() > 4)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 15
    assert len({model.message_at(r).id for r in range(15)}) == 15
    qtmodeltester.check(model)

    fresh = OutboxTableModel(page_size=6, tz=MADRID)
    fresh.set_filter(OutboxFilter())
    qtmodeltester.check(fresh)


def test_each_filter_narrows_the_rows(qtbot, repo, journeys) -> None:  # type: ignore[no-untyped-def]
    promotion, welcome = journeys
    window = make_window(qtbot, repo)
    journey_combo = window.findChild(type(window.journey_filter), "outbox_journey_filter")
    journey_combo.setCurrentIndex(journey_combo.findText(PROMOTION))
    assert set(column(window, COL_JOURNEY)) == {PROMOTION}
    assert window.count_label.text() == "9 messages · 9 not exported yet"

    journey_combo.setCurrentIndex(0)
    window.channel_filter.setCurrentIndex(window.channel_filter.findData("email"))
    assert column(window, COL_CHANNEL) == ["Email"] * 4
    window.channel_filter.setCurrentIndex(0)

    window.status_filter.setCurrentIndex(window.status_filter.findData("exported"))
    assert window.table.model().rowCount() == 0
    assert window.count_label.text() == "0 messages"
    assert not window.export_button.isEnabled()
    window.status_filter.setCurrentIndex(0)

    window.from_date.setDate(QDate(2025, 5, 13))
    assert set(column(window, COL_DUE)) == {"2025-05-13 09:00", "2025-05-14 09:00"}
    window.to_date.setDate(QDate(2025, 5, 13))
    assert column(window, COL_DUE) == ["2025-05-13 09:00"] * 3
    assert set(column(window, COL_CUSTOMER)) == {"ann", "ben", "=SUM(A1)"}

    window.clear_filters_button.click()
    assert window.table.model().rowCount() == 15
    assert window.from_date.text() == "Any"

    opened_on_one = make_window(qtbot, repo, welcome)
    assert opened_on_one.journey_filter.currentText() == WELCOME
    assert set(column(opened_on_one, COL_JOURNEY)) == {WELCOME}
    assert opened_on_one.table.model().rowCount() == 6


def test_export_writes_escaped_csv_and_marks_rows(qtbot, repo, journeys, tmp_path,  # type: ignore[no-untyped-def]
                                                  monkeypatch) -> None:
    window = make_window(qtbot, repo)
    window.channel_filter.setCurrentIndex(window.channel_filter.findData("push"))
    target = tmp_path / "pushes.csv"
    save_to(monkeypatch, target)
    with qtbot.waitSignal(window.messages_exported, timeout=10000) as done:
        window.export_button.click()
    assert done.args == [11, str(target)]

    rows = read_csv(target)
    assert target.read_text(encoding="utf-8-sig").splitlines()[0] == (
        "customerId,journey,node,channel,title,body,url,due_at,send_at,entry,status,message_id")
    assert rows[0] == CSV_HEADER
    assert len(rows) == 12 and {r[3] for r in rows[1:]} == {"push"}
    eve = [r for r in rows[1:] if r[0] == "'=SUM(A1)"]
    assert len(eve) == 3  # the formula-looking ID is escaped, the rest left as is
    assert eve[0][1:7] == [PROMOTION, "daily_offer", "push", "Today's deal for you, Eve",
                           "20% off everything in the app until midnight.",
                           "https://example.com/deals/today"]
    assert sorted(r[7] for r in eve) == ["2025-05-12T09:00:00+02:00",
                                         "2025-05-13T09:00:00+02:00",
                                         "2025-05-14T09:00:00+02:00"]
    assert not (tmp_path / "pushes.csv.part").exists()

    # What the user sees: every shown row is exported now, at the export time.
    assert set(column(window, COL_STATUS)) == {"exported"}
    assert set(column(window, COL_EXPORTED)) == {"2025-05-15 09:00"}
    assert window.count_label.text() == "11 messages · 0 not exported yet"
    assert not window.export_new_button.isEnabled()
    # What is stored.
    assert count_messages(OutboxFilter(status="exported")) == 11

    window.channel_filter.setCurrentIndex(0)
    assert window.count_label.text() == "15 messages · 4 not exported yet"
    assert window.export_new_button.isEnabled()
    newer = tmp_path / "new"  # no suffix: .csv is added
    asked = save_to(monkeypatch, newer)
    with qtbot.waitSignal(window.messages_exported, timeout=10000) as done:
        window.export_new_button.click()
    assert asked == ["Export new messages"]
    assert done.args == [4, str(newer) + ".csv"]
    rows = read_csv(tmp_path / "new.csv")
    assert rows[0] == CSV_HEADER
    assert sorted((r[0], r[2], r[3]) for r in rows[1:]) == [
        ("w1", "premium_email", "email"), ("w1", "welcome_email", "email"),
        ("w2", "welcome_email", "email"), ("w3", "welcome_email", "email")]
    assert set(column(window, COL_STATUS)) == {"exported"}
    assert count_messages(OutboxFilter(status="ready")) == 0


def test_cancelled_file_choice_exports_nothing(qtbot, repo, journeys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo)
    monkeypatch.setattr(prompts, "ask_save_file_as", lambda *_args: None)
    window.export_button.click()
    assert not window.exporting
    assert count_messages(OutboxFilter(status="exported")) == 0


def test_failed_export_is_shown_and_marks_nothing(qtbot, repo, journeys, tmp_path,  # type: ignore[no-untyped-def]
                                                  monkeypatch) -> None:
    window = make_window(qtbot, repo)
    save_to(monkeypatch, tmp_path / "no-such-folder" / "out.csv")
    errors: list[str] = []
    monkeypatch.setattr(prompts, "show_error", lambda _p, title, text: errors.append(title))
    with qtbot.waitSignal(window.export_failed, timeout=10000):
        window.export_button.click()
    assert errors == ["Export failed"]
    assert set(column(window, COL_STATUS)) == {"ready"}
    assert count_messages(OutboxFilter(status="exported")) == 0
    assert window.export_button.isEnabled()


@pytest.mark.sqlite_only  # ticks with the window open, or a file
def test_large_export_reports_progress(qtbot, repo, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    audience = "customerId,firstName,offersOptIn\n" + "".join(
        f"c{i:04d},N{i},yes\n" for i in range(1500))
    start_example(repo, "daily-promotion", audience, tmp_path, START)
    Evaluator(tz=MADRID).tick(START)
    window = make_window(qtbot, repo)
    assert window.model.rowCount() < window.model.total == 1500  # one page loaded
    progress: list[tuple[int, int]] = []
    window.export_progressed.connect(lambda done, total: progress.append((done, total)))
    save_to(monkeypatch, tmp_path / "all.csv")
    with qtbot.waitSignal(window.messages_exported, timeout=20000):
        window.export_new_button.click()
        assert window.exporting and not window.export_button.isEnabled()
    assert progress == [(1000, 1500)]
    assert len(read_csv(tmp_path / "all.csv")) == 1501
    assert window.count_label.text() == "1,500 messages · 0 not exported yet"
    assert not window.progress_bar.isVisible()


@pytest.mark.sqlite_only  # ticks with the window open, or a file
def test_refresh_shows_new_messages(qtbot, repo, journeys) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, repo, page_size=4)
    Evaluator(tz=MADRID).tick(START + 3 * DAY)  # the promotion's fourth day
    while window.model.canFetchMore():  # later pages are read from the same snapshot
        window.model.fetchMore()
    assert window.table.model().rowCount() == 15
    assert len({window.model.message_at(r).id for r in range(15)}) == 15
    assert window.action_refresh.shortcut().toString() == "F5"
    window.action_refresh.trigger()
    assert window.count_label.text() == "18 messages · 18 not exported yet"
    assert window.table.model().rowCount() == 15  # as many rows as were loaded
    assert column(window, COL_DUE)[:4] == ["2025-05-15 09:00"] * 3 + ["2025-05-14 09:00"]
    window.model.fetchMore()
    assert window.table.model().rowCount() == 18


@pytest.mark.sqlite_only  # ticks with the window open, or a file
def test_long_bodies_show_on_one_line_with_the_full_text_as_tooltip(qtbot, repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.store.evaluator_support import activate, journey_from

    body = "Line one\nline two " + "x" * 200
    journey = journey_from([
        {"id": "start", "type": "entry", "next": "note"},
        {"id": "note", "type": "message", "channel": "sms", "body": body, "next": "end"},
        {"id": "end", "type": "exit"},
    ], name="Long texts")
    activate(repo, journey, {"a": {}}, START)
    Evaluator(tz=MADRID).tick(START)
    window = make_window(qtbot, repo)
    shown = window.model.index(0, COL_BODY)
    assert "\n" not in shown.data() and shown.data().endswith("…")
    assert shown.data(Qt.ItemDataRole.ToolTipRole) == body
    assert window.model.index(0, COL_URL).data() == ""
    assert dt.datetime.strptime(window.model.index(0, COL_DUE).data(), "%Y-%m-%d %H:%M")


def test_export_onto_a_file_open_elsewhere_names_it_and_marks_nothing(qtbot, repo, journeys,  # type: ignore[no-untyped-def]
                                                                    tmp_path, monkeypatch) -> None:
    """The file is written, but cannot replace the one a spreadsheet holds open."""
    window = make_window(qtbot, repo)
    target = tmp_path / "messages.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")

    def held_open(source: object, destination: object) -> None:
        raise PermissionError(13, "Permission denied", str(source), None, str(destination))

    monkeypatch.setattr(os, "replace", held_open)
    save_to(monkeypatch, target)
    errors: list[str] = []
    monkeypatch.setattr(prompts, "show_error", lambda _p, _title, text: errors.append(text))
    with qtbot.waitSignal(window.export_failed, timeout=10000):
        window.export_new_button.click()
    assert errors == ["The outbox could not be exported; nothing was marked.\n\n"
                      f"{target}: cannot write the export (Permission denied)"]
    assert set(column(window, COL_STATUS)) == {"ready"}
    assert count_messages(OutboxFilter(status="exported")) == 0
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert not (tmp_path / "messages.csv.part").exists()


@pytest.mark.sqlite_only  # a team database has no file to write over
def test_export_onto_the_database_is_refused(qtbot, repo, journeys, store, tmp_path,  # type: ignore[no-untyped-def]
                                             monkeypatch) -> None:
    window = make_window(qtbot, repo)
    database_file = store / "journeys.db"
    link = tmp_path / "messages.csv"
    link.symlink_to(database_file)
    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(prompts, "show_error",
                        lambda _p, title, text: errors.append((title, text)))
    for target in (link, Path(f"{database_file}-wal")):
        save_to(monkeypatch, target)
        window.export_button.click()
        assert not window.exporting
    assert errors == [("Export messages", f"The outbox was not exported: {target}: this is the "
                       f"open database ({database_file}); choose another file.")
                      for target in (link, Path(f"{database_file}-wal"))]
    assert count_messages(OutboxFilter(status="exported")) == 0
    assert database_file.read_bytes().startswith(b"SQLite format 3\x00")


def test_semicolon_export_chosen_in_the_save_dialog(qtbot, repo, journeys, tmp_path,  # type: ignore[no-untyped-def]
                                                    monkeypatch) -> None:
    window = make_window(qtbot, repo)
    target = tmp_path / "for-excel.csv"
    save_to(monkeypatch, target, delimiter=";")
    with qtbot.waitSignal(window.messages_exported, timeout=10000):
        window.export_button.click()
    assert target.read_bytes().startswith(codecs.BOM_UTF8 + b"customerId;journey;node;")
    rows = read_csv(target, delimiter=";")
    assert rows[0] == CSV_HEADER and len(rows) == 16
    assert {tuple(r[:3]) for r in rows[1:] if r[0] == "'=SUM(A1)"} == {
        ("'=SUM(A1)", PROMOTION, "daily_offer")}


def test_export_while_another_export_runs_says_so_and_marks_nothing(qtbot, repo, journeys,  # type: ignore[no-untyped-def]
                                                                   store, store_url, tmp_path,
                                                                   monkeypatch) -> None:
    window = make_window(qtbot, repo)
    # A scheduled export, on its own connection.
    other = connect_postgres(store_url) if store_url else connect(store / "journeys.db")
    errors: list[str] = []
    monkeypatch.setattr(prompts, "show_error", lambda _p, _title, text: errors.append(text))
    save_to(monkeypatch, tmp_path / "new.csv")
    try:
        with ExportLock(other), qtbot.waitSignal(window.export_failed, timeout=10000):
            window.export_new_button.click()
    finally:
        other.close()
    assert errors[0].startswith("The outbox could not be exported; nothing was marked.\n\n"
                                "an outbox export is already running in process ")
    assert not (tmp_path / "new.csv").exists()
    assert count_messages(OutboxFilter(status="exported")) == 0


def test_an_export_the_busy_database_refuses_says_so_in_words(  # type: ignore[no-untyped-def]
        qtbot, repo, journeys, tmp_path, monkeypatch) -> None:
    from journey_desktop.store.errors import BusyError
    from journey_desktop.ui.outbox import export_job

    def busy(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise BusyError()

    monkeypatch.setattr(export_job, "export_file", busy)
    window = make_window(qtbot, repo)
    save_to(monkeypatch, tmp_path / "messages.csv")
    errors: list[str] = []
    monkeypatch.setattr(prompts, "show_error", lambda _p, _title, text: errors.append(text))
    with qtbot.waitSignal(window.export_failed, timeout=10000):
        window.export_button.click()
    assert errors == ["The outbox could not be exported; nothing was marked.\n\n"
                      f"{BusyError()}"]
