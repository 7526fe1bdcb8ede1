"""The import flow in the window: file dialog (through the prompts seam), preview, progress,
cancel, result and saving rejected rows, driven with pytest-qt."""

from __future__ import annotations

import csv
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QGroupBox, QLabel, QWidget

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.db import database
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui import prompts
from journey_desktop.ui.imports import ImportController, run_import_flow
from journey_desktop.ui.imports.target import CSV_FILTER

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


class Prompts:
    """Records what the flow asked or told, and answers like a user would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open_file: str | None = None
        self.save_file: str | None = None
        self.confirm_answer = True
        self.calls: list[tuple[str, Any]] = []
        monkeypatch.setattr(prompts, "ask_open_file", self._ask_open_file)
        monkeypatch.setattr(prompts, "ask_save_file", self._ask_save_file)
        monkeypatch.setattr(prompts, "confirm", self._confirm)
        monkeypatch.setattr(prompts, "show_error",
                            lambda parent, title, text: self.calls.append(("error", text)))
        monkeypatch.setattr(prompts, "inform",
                            lambda parent, title, text: self.calls.append(("inform", text)))

    def _ask_open_file(
        self, parent: Any, title: str, directory: str, name_filter: str
    ) -> str | None:
        self.calls.append(("open", (title, directory, name_filter)))
        return self.open_file

    def _ask_save_file(
        self, parent: Any, title: str, directory: str, name_filter: str
    ) -> str | None:
        self.calls.append(("save", (title, directory, name_filter)))
        return self.save_file

    def _confirm(self, parent: Any, title: str, text: str, **kwargs: Any) -> bool:
        self.calls.append(("confirm", text))
        return self.confirm_answer

    def texts(self, kind: str) -> list[Any]:
        return [value for k, value in self.calls if k == kind]


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    return Prompts(monkeypatch)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def journey_id(repo: JourneyRepository) -> int:
    return repo.create(minimal_journey("Welcome"))


def write(folder: Path, text: str | bytes, name: str = "customers.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def dialog_named(name: str) -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == name and widget.isVisible():
            return widget  # type: ignore[return-value]
    return None


def stored(journey_id: int) -> dict[str, dict[str, str]]:
    return {
        ext: json.loads(fields) for ext, fields in database.execute_sql(
            "SELECT m.external_id, p.fields FROM member m JOIN profile p"
            " ON p.external_id = m.external_id WHERE m.journey_id = ?", (journey_id,))
    }


@pytest.fixture
def window(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    """Stands for the main window, which outlives every import (qtbot holds it weakly)."""
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def start(
    window: QWidget, repo: JourneyRepository, journey_id: int, settings: QSettings,
    path: str | None = None,
) -> ImportController:
    return run_import_flow(window, repo, journey_id, path, settings=settings)


def close_result(qtbot, controller: ImportController) -> None:  # type: ignore[no-untyped-def]
    result = dialog_named("import_result_dialog")
    assert result is not None
    with qtbot.waitSignal(controller.finished):
        result.reject()


def test_add_flow_from_the_file_dialog(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path / "exports", "customerId;firstName;points;birthday\r\n"
                 "c1;Ann;10;1990-05-01\r\nc2;Bob;7;1985-11-30\r\nc1;Anna;12;1990-05-01\r\n")
    asked.open_file = str(path)
    controller = start(window, repo, journey_id, settings)
    title, directory, name_filter = asked.texts("open")[0]
    assert title == "Import audience into “Welcome”"
    assert name_filter == CSV_FILTER and "*.csv" in name_filter
    assert directory == str(Path.home())

    preview = dialog_named("import_preview_dialog")
    assert preview is not None
    assert preview.findChild(QComboBox, "encoding_combo").currentText() == "UTF-8"
    assert preview.findChild(QComboBox, "delimiter_combo").currentText() == "Semicolon ( ; )"
    assert preview.findChild(QComboBox, "id_column_combo").currentText() == "customerId"
    model = preview.findChild(QWidget, "preview_table").model()
    assert model.headerData(0, Qt.Orientation.Horizontal) == "customerId (ID)"
    assert model.index(1, 1).data() == "Bob"
    assert [preview.type_combo(c).currentText() for c in ("firstName", "points", "birthday")] == [
        "Text", "Number", "Date"]
    assert preview.add_radio.isChecked()  # add is the default
    preview.type_combo("points").setCurrentIndex(preview.type_combo("points").findData("text"))

    with qtbot.waitSignal(controller.audience_imported, timeout=10_000) as imported:
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    assert imported.args == [journey_id]
    result = dialog_named("import_result_dialog")
    assert result is not None
    counts = {k: result.findChild(QLabel, f"count_{k}").text()
              for k in ("read", "added", "updated", "duplicates", "rejected")}
    assert counts == {"read": "3", "added": "2", "updated": "0", "duplicates": "1", "rejected": "0"}
    assert ("customers.csv was imported into “Welcome”"
            in result.findChild(QLabel, "headline_label").text())
    assert not result.save_rejects_button.isEnabled()
    assert stored(journey_id) == {
        "c1": {"firstName": "Anna", "points": "12", "birthday": "1990-05-01"},
        "c2": {"firstName": "Bob", "points": "7", "birthday": "1985-11-30"},
    }
    assert repo.get(journey_id).audience_columns == {
        "firstName": "text", "points": "text", "birthday": "date"}
    close_result(qtbot, controller)

    # The next file dialog opens in the folder of the last import.
    asked.open_file = None
    start(window, repo, journey_id, settings)
    assert asked.texts("open")[1][1] == str((tmp_path / "exports").resolve())


def test_preview_overrides_delimiter_and_id_column(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "email|code|name\nann@x.org|7|Ann\n")
    controller = start(window, repo, journey_id, settings, str(path))
    assert asked.texts("open") == []  # a dropped file skips the file dialog
    preview = dialog_named("import_preview_dialog")
    assert preview.findChild(QComboBox, "delimiter_combo").currentData() == "|"
    problem = preview.findChild(QLabel, "problem_label")
    assert "No customer ID column" in problem.text() and not preview.import_button.isEnabled()

    delimiter = preview.findChild(QComboBox, "delimiter_combo")
    delimiter.setCurrentIndex(delimiter.findData(","))
    delimiter.activated.emit(delimiter.currentIndex())
    assert preview.preview.header == ["email|code|name"]
    delimiter.setCurrentIndex(delimiter.findData("|"))
    delimiter.activated.emit(delimiter.currentIndex())
    # Read again, the table's last column still reaches its right edge.
    header = preview.rows_view.horizontalHeader()
    qtbot.waitUntil(lambda: header.sectionPosition(2) + header.sectionSize(2)
                    == preview.rows_view.viewport().width(), timeout=2_000)

    id_combo = preview.findChild(QComboBox, "id_column_combo")
    id_combo.setCurrentIndex(id_combo.findData("email"))
    assert preview.import_button.isEnabled() and not problem.isVisible()
    assert preview.type_combo("code").currentText() == "Number"
    with pytest.raises(KeyError):
        preview.type_combo("email")  # the ID column is not a field
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    assert stored(journey_id) == {"ann@x.org": {"code": "7", "name": "Ann"}}
    close_result(qtbot, controller)


def test_replace_asks_with_the_number_leaving(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    first = write(tmp_path, "id,name\na,A\nb,B\nc,C\n", "first.csv")
    controller = start(window, repo, journey_id, settings, str(first))
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    close_result(qtbot, controller)

    second = write(tmp_path, "id,name\nc,C2\nd,D\n", "second.csv")
    for answer in (False, True):
        asked.confirm_answer = answer
        controller = start(window, repo, journey_id, settings, str(second))
        preview = dialog_named("import_preview_dialog")
        titles = [box.title() for box in preview.findChildren(QGroupBox)]
        assert "Mode (the audience has 3 customers now)" in titles
        preview.replace_radio.setChecked(True)
        if not answer:
            with qtbot.waitSignal(controller.finished, timeout=10_000):
                preview.accept()
            assert sorted(stored(journey_id)) == ["a", "b", "c"]
        else:
            with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
                preview.accept()
            assert stored(journey_id) == {"c": {"name": "C2"}, "d": {"name": "D"}}
            result = dialog_named("import_result_dialog")
            assert result.findChild(QLabel, "count_removed").text() == "2"
            close_result(qtbot, controller)
    confirmations = asked.texts("confirm")
    assert len(confirmations) == 2
    assert confirmations[0].startswith(
        "2 customers of “Welcome” are not in second.csv and will leave")


def test_cancel_leaves_the_audience_unchanged(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    small = write(tmp_path, "id,name\nkeep,K\n", "small.csv")
    controller = start(window, repo, journey_id, settings, str(small))
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    close_result(qtbot, controller)

    rows = "".join(f"n{i:06d},name {i}\n" for i in range(200_000))
    big = write(tmp_path, "id,name\nkeep,changed\n" + rows, "big.csv")
    controller = start(window, repo, journey_id, settings, str(big))
    imported: list[int] = []
    controller.audience_imported.connect(imported.append)
    dialog_named("import_preview_dialog").accept()
    progress = dialog_named("import_progress_dialog")
    assert progress is not None and not progress.isModal()  # the window stays usable
    bar = progress.findChild(QWidget, "import_progress_bar")
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=10_000)
    assert " rows · " in progress.findChild(QLabel, "progress_rows_label").text()
    with qtbot.waitSignal(controller.finished, timeout=20_000):
        qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
    assert imported == []
    assert asked.texts("inform") == [
        "The import was cancelled. Nothing was imported; the audience is unchanged."]
    assert stored(journey_id) == {"keep": {"name": "K"}}
    assert dialog_named("import_progress_dialog") is None


def test_rejected_rows_are_listed_and_saved(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "id,name\n1,Ann\n,Nobody\n2,Bob,extra\n")
    controller = start(window, repo, journey_id, settings, str(path))
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    result = dialog_named("import_result_dialog")
    assert result.findChild(QLabel, "count_rejected").text() == "2"
    table = result.findChild(QWidget, "rejects_table").model()
    assert [(table.index(r, 0).data(), table.index(r, 1).data())
            for r in range(table.rowCount())] == [
        (3, "empty customer ID"), (4, "too many fields (3; the header has 2)")]
    out = tmp_path / "rejected.csv"
    asked.save_file = str(out)
    qtbot.mouseClick(result.save_rejects_button, Qt.MouseButton.LeftButton)
    assert asked.texts("save")[0][1] == str(tmp_path / "customers-rejected.csv")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["line", "reason", "id", "name"], ["3", "empty customer ID", "", "Nobody"],
            ["4", "too many fields (3; the header has 2)", "2", "Bob", "extra"]]
    assert "2 rejected rows saved to" in result.findChild(QLabel, "saved_label").text()
    close_result(qtbot, controller)


def test_rejected_rows_are_never_saved_over_the_database(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, store, tmp_path
) -> None:
    path = write(tmp_path, "id,name\n1,Ann\n,Nobody\n")
    controller = start(window, repo, journey_id, settings, str(path))
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    result = dialog_named("import_result_dialog")
    database_file = store / "journeys.db"
    asked.save_file = f"{database_file}-wal"
    qtbot.mouseClick(result.save_rejects_button, Qt.MouseButton.LeftButton)
    assert asked.texts("error") == [f"Nothing was saved: {database_file}-wal: this is the open "
                                    f"database ({database_file}); choose another file."]
    assert not result.findChild(QLabel, "saved_label").isVisible()
    assert list(stored(journey_id)) == ["1"]  # the database is whole
    close_result(qtbot, controller)


def test_all_rows_rejected_reports_nothing_imported(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "id,name\n,x\n")
    controller = start(window, repo, journey_id, settings, str(path))
    imported: list[int] = []
    controller.audience_imported.connect(imported.append)
    dialog_named("import_preview_dialog").accept()
    qtbot.waitUntil(lambda: dialog_named("import_result_dialog") is not None, timeout=10_000)
    headline = dialog_named("import_result_dialog").findChild(QLabel, "headline_label").text()
    assert headline.startswith("Nothing was imported") and imported == []
    close_result(qtbot, controller)


@pytest.mark.parametrize(
    ("content", "message"),
    [(PNG, "not a CSV file"), (b"", "is empty")],
    ids=["png-renamed-csv", "empty"],
)
def test_files_that_are_not_csv_get_a_clear_message(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path, content, message
) -> None:
    path = write(tmp_path, content, "photo.csv")
    controller = ImportController(None, repo, journey_id, settings)
    with qtbot.waitSignal(controller.finished):
        controller.start(str(path))
    [error] = asked.texts("error")
    assert error.startswith("photo.csv cannot be imported.") and message in error
    assert dialog_named("import_preview_dialog") is None


def test_a_quote_never_closed_is_named_and_nothing_imported(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    rows = "".join(f"C{i},Name{i}\n" for i in range(1, 1_000))
    path = write(tmp_path, 'id,name\nC0,"Ann\n' + rows)
    controller = ImportController(None, repo, journey_id, settings)
    with qtbot.waitSignal(controller.finished):
        controller.start(str(path))
    [error] = asked.texts("error")
    assert error == ("customers.csv cannot be imported.\n\ncustomers.csv, line 2: a quote opened "
                     "on this line is never closed (the field runs to the end of the file)")
    assert dialog_named("import_preview_dialog") is None and stored(journey_id) == {}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_is_refused_without_freezing_the_window(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)
    # Should the window wait on the pipe, this lets it go (with an empty read) after a while.
    valve = threading.Timer(10, lambda: open(fifo, "wb").close())
    valve.start()
    try:
        controller = ImportController(None, repo, journey_id, settings)
        with qtbot.waitSignal(controller.finished):
            controller.start(str(fifo))
    finally:
        valve.cancel()
    [error] = asked.texts("error")
    assert error.startswith("customers.csv cannot be imported.\n\ncustomers.csv: is not a "
                            "regular file (a pipe or a device)")


def test_header_only_file_cannot_be_imported(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    controller = start(window, repo, journey_id, settings,
                       str(write(tmp_path, "customerId,name\n")))
    preview = dialog_named("import_preview_dialog")
    assert "no customer rows" in preview.findChild(QLabel, "problem_label").text()
    assert not preview.import_button.isEnabled()
    with qtbot.waitSignal(controller.finished):
        preview.reject()


def test_deactivated_journey_is_refused(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    repo.activate(journey_id)
    repo.deactivate(journey_id)
    controller = ImportController(None, repo, journey_id, settings)
    with qtbot.waitSignal(controller.finished):
        controller.start()
    assert asked.texts("open") == []
    [error] = asked.texts("error")
    assert "deactivated" in error and "clone it" in error.lower()


def test_preview_counts_values_that_do_not_fit_and_asks_the_date_order(
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "id,birthday,points\n1,03/04/1990,5\n2,02/01/1985,x\n3,n/a,7\n")
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    points = preview.type_combo("points")
    assert points.currentData() == "number"  # two values in three are numbers
    assert preview.fit_label("points").text() == "1 not fitting: x"
    points.setCurrentIndex(points.findData("text"))
    assert preview.fit_label("points").text() == ""
    points.setCurrentIndex(points.findData("number"))
    assert preview.fit_label("points").text() == "1 not fitting: x"
    order = preview.date_order_combo("birthday")
    assert preview.type_combo("birthday").currentData() == "date"  # two in three are dates
    assert order.isVisibleTo(preview) and order.currentData() == ""
    assert not preview.import_button.isEnabled()
    assert "could be day-first or month-first" in preview.findChild(QLabel, "problem_label").text()
    order.setCurrentIndex(order.findData("day-first"))
    assert preview.import_button.isEnabled()
    assert preview.fit_label("birthday").text() == "1 not fitting: n/a"
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        preview.accept()
    assert stored(journey_id) == {
        "1": {"birthday": "1990-04-03", "points": "5"},
        "2": {"birthday": "1985-01-02"},
        "3": {"points": "7"},
    }
    result = dialog_named("import_result_dialog")
    assert result.findChild(QLabel, "count_not_fitting").text() == "2"
    table = result.findChild(QWidget, "misfits_table").model()
    assert [[table.index(r, c).data() for c in range(4)] for r in range(table.rowCount())] == [
        [3, "points", "x", "not a number"],
        [4, "birthday", "n/a", "not a date (YYYY-MM-DD, or day and month with / - .)"],
    ]
    close_result(qtbot, controller)


def test_enter_in_the_preview_does_not_start_the_import(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "id,name\na,A\nb,B\n")
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    preview.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview)
    assert not preview.import_button.isDefault() and not preview.import_button.autoDefault()
    for widget in (preview, preview.id_column_combo, preview.rows_view, preview.replace_radio,
                   preview.import_button):
        widget.setFocus()
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            qtbot.keyClick(widget, key)
    assert preview.isVisible() and controller.progress_dialog is None
    assert stored(journey_id) == {}
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    assert sorted(stored(journey_id)) == ["a", "b"]
    close_result(qtbot, controller)


def test_replacing_names_one_customer_leaving_in_the_singular(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    first = write(tmp_path, "id,name\na,A\nb,B\n", "first.csv")
    controller = start(window, repo, journey_id, settings, str(first))
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    close_result(qtbot, controller)
    asked.confirm_answer = False
    second = write(tmp_path, "id,name\nb,B\n", "second.csv")
    controller = start(window, repo, journey_id, settings, str(second))
    preview = dialog_named("import_preview_dialog")
    preview.replace_radio.setChecked(True)
    with qtbot.waitSignal(controller.finished, timeout=10_000):
        preview.accept()
    assert asked.texts("confirm")[0].startswith(
        "1 customer of “Welcome” is not in second.csv and will leave the journey")
    assert sorted(stored(journey_id)) == ["a", "b"]


def test_f1_in_the_preview_opens_the_guide_on_imports(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    from journey_desktop.ui.guide import SECTION_ACTIVATE, GuideWindow

    controller = start(window, repo, journey_id, settings, str(write(tmp_path, "id\na\n")))
    preview = dialog_named("import_preview_dialog")
    preview.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview)
    qtbot.keyClick(preview.rows_view, Qt.Key.Key_F1)
    guide = preview.findChild(GuideWindow, "guide_window")
    assert guide is not None and guide.isVisible() and guide.section == SECTION_ACTIVATE
    guide.close()
    with qtbot.waitSignal(controller.finished):
        preview.reject()


def test_preview_of_a_date_column_with_an_unreadable_value(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    rows = "".join(f"k{i};2{i}/12/1980\n" for i in range(8)) + "k9;unknown\n"
    path = write(tmp_path, "id;birthday\n" + rows)
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    assert preview.type_combo("birthday").currentData() == "date"
    assert preview.fit_label("birthday").text() == "1 not fitting: unknown"
    assert preview.import_button.isEnabled()
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        preview.accept()
    customers = stored(journey_id)
    assert customers["k9"] == {} and customers["k0"] == {"birthday": "1980-12-20"}
    close_result(qtbot, controller)


def test_the_preview_numbers_rows_by_line_as_the_result_does(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    rows = "".join(f"k{i};2{i}/12/1980\n" for i in range(8)) + "\nk9;unknown\n"
    path = write(tmp_path, "id;birthday\n" + rows)
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    model = preview.rows_view.model()
    lines = [model.headerData(r, Qt.Orientation.Vertical) for r in range(model.rowCount())]
    assert lines == ["2", "3", "4", "5", "6", "7", "8", "9", "11"]
    assert model.index(8, 1).data() == "unknown"
    assert preview.rows_label.text() == "9 rows in the file, numbered by their line:"
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        preview.accept()
    misfits = dialog_named("import_result_dialog").findChild(QWidget, "misfits_table").model()
    assert (misfits.index(0, 0).data(), misfits.index(0, 2).data()) == (11, "unknown")
    close_result(qtbot, controller)


def test_dates_waiting_for_their_order_are_not_said_not_to_fit(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    rows = "".join(f"k{i},0{i + 1}/12/1980\n" for i in range(8)) + "k9,unknown\n"
    path = write(tmp_path, "id,birthday\n" + rows)
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    assert preview.fit_label("birthday").text() == "1 not fitting: unknown"
    assert preview.date_order_combo("birthday").isVisibleTo(preview)
    assert preview.problem_label.text().endswith("choose the order")
    assert not preview.import_button.isEnabled()
    order = preview.date_order_combo("birthday")
    order.setCurrentIndex(order.findData("month-first"))
    assert preview.fit_label("birthday").text() == "1 not fitting: unknown"
    assert preview.import_button.isEnabled()
    with qtbot.waitSignal(controller.finished):
        preview.reject()


def test_every_value_that_does_not_fit_is_saved_from_the_result(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr("journey_desktop.domain.fields_json.KEPT_REJECTS", 5)  # 15 spooled
    rows = "".join(f"c{i},{'x' if i % 3 == 1 else i}\n" for i in range(60))
    path = write(tmp_path, "id,points\n" + rows)
    controller = start(window, repo, journey_id, settings, str(path))
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    result = dialog_named("import_result_dialog")
    assert result.findChild(QLabel, "count_not_fitting").text() == "20"
    assert result.findChild(QWidget, "misfits_table").model().rowCount() == 5
    assert not result.save_rejects_button.isEnabled()
    out = tmp_path / "not-fitting.csv"
    asked.save_file = str(out)
    qtbot.mouseClick(result.save_misfits_button, Qt.MouseButton.LeftButton)
    suggested = str(tmp_path / "customers-not-fitting.csv")
    assert asked.texts("save") == [("Save values that do not fit", suggested, "CSV files (*.csv)")]
    assert out.read_bytes().startswith(b"\xef\xbb\xbfline,column,value,reason\r\n")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1:] == [[str(i + 2), "points", "x", "not a number"]
                                            for i in range(1, 60, 3)]
    assert "20 values that do not fit saved to" in result.findChild(QLabel, "saved_label").text()
    close_result(qtbot, controller)


def test_a_rejects_file_is_previewed_without_its_line_and_reason_columns(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "line,reason,id,score\n3,empty customer ID,c1,-5\n")
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    note = preview.findChild(QLabel, "skipped_columns_label")
    assert note.isVisibleTo(preview)
    assert note.text() == "The rejects file's line and reason columns are not imported."
    assert preview.type_combo("score").currentData() == "number"
    with pytest.raises(KeyError):
        preview.type_combo("line")
    with qtbot.waitSignal(controller.audience_imported, timeout=10_000):
        preview.accept()
    assert stored(journey_id) == {"c1": {"score": "-5"}}
    result = dialog_named("import_result_dialog")
    assert result.findChild(QLabel, "skipped_columns_label") is not None
    close_result(qtbot, controller)


def test_a_rejects_file_s_own_columns_are_marked_in_the_table_by_the_note(  # type: ignore[no-untyped-def]
    qtbot, window, repo, journey_id, settings, asked, tmp_path
) -> None:
    path = write(tmp_path, "line,reason,id,name\n3,empty customer ID,c1,Ann\n")
    controller = start(window, repo, journey_id, settings, str(path))
    preview = dialog_named("import_preview_dialog")
    model = preview.rows_view.model()
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "line (not imported)", "reason (not imported)", "id (ID)", "name"]
    grey = model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ForegroundRole)
    assert grey is not None and model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) == grey
    assert model.index(0, 3).data(Qt.ItemDataRole.ForegroundRole) is None
    # The note stands with the file's name, above the table, not under the mode.
    note = preview.findChild(QLabel, "skipped_columns_label")
    below_file = preview.file_label.geometry().bottom()
    assert below_file <= note.geometry().top() < preview.rows_view.geometry().top()
    with qtbot.waitSignal(controller.finished):
        preview.reject()
