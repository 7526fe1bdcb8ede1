"""The main window, driven through its widgets: what the table shows and what is stored."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
)

from journey_desktop.domain.journey import Journey, minimal_journey
from journey_desktop.store.records import JourneyRecord, MemberRecord, OutboxRecord, RunRecord
from journey_desktop.ui import prompts
from journey_desktop.ui.editor import EditorWindow
from journey_desktop.ui.journey_table import COL_AUDIENCE, COL_NAME, COL_STATUS, COL_VALIDITY
from tests.conftest import add_members, example_path

# --- helpers ---------------------------------------------------------------------------

def names(window) -> list[str]:  # type: ignore[no-untyped-def]
    """The names in the table, top to bottom, as the user sees them."""
    proxy = window.table.model()
    return [proxy.index(r, COL_NAME).data() for r in range(proxy.rowCount())]


def cell(window, name: str, column: int) -> str:  # type: ignore[no-untyped-def]
    proxy = window.table.model()
    row = names(window).index(name)
    return proxy.index(row, column).data()


def click_row(qtbot, window, name: str) -> None:  # type: ignore[no-untyped-def]
    proxy = window.table.model()
    index = proxy.index(names(window).index(name), COL_NAME)
    window.table.scrollTo(index)
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.selected_journey().name == name


def double_click_row(qtbot, window, name: str) -> None:  # type: ignore[no-untyped-def]
    proxy = window.table.model()
    rect = window.table.visualRect(proxy.index(names(window).index(name), COL_NAME))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_editors() -> list[EditorWindow]:
    """The editor windows the user can see."""
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, EditorWindow) and w.isVisible()]


def stored_names() -> list[str]:
    return sorted(r.name for r in JourneyRecord.select())


def stored_status(name: str) -> str:
    return JourneyRecord.get(JourneyRecord.name == name).status


def activate_window(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def add_activity(journey_id: int, customers: int, runs: int, in_progress: int,
                 messages: int) -> None:
    """Audience, runs and outbox rows as the import and the evaluator would leave them."""
    now = int(time.time())
    add_members(journey_id, {f"c{i}": {} for i in range(customers)}, now, due=False)
    for i in range(runs):
        RunRecord.create(journey=journey_id, external_id=f"c{i}", entry_number=1,
                         state="in_progress" if i < in_progress else "completed",
                         node="message", started_at=now)
    for i in range(messages):
        OutboxRecord.create(journey=journey_id, external_id=f"c{i}", entry_number=1,
                            node="message", channel="push", due_at=now, created_at=now)


class Prompts:
    """Records what the window asked and told, answering confirmations from a list."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: list[bool] | None = None):
        self.answers = list(answers or [])
        self.confirmations: list[str] = []
        self.errors: list[str] = []
        self.options: list[str] = []
        self.option_answer = (True, False)
        monkeypatch.setattr(prompts, "confirm", self._confirm)
        monkeypatch.setattr(prompts, "show_error", self._show_error)
        monkeypatch.setattr(prompts, "confirm_with_option", self._confirm_with_option)

    def _confirm(self, parent, title, text, *, action="OK", destructive=False):  # type: ignore[no-untyped-def]
        self.confirmations.append(text)
        return self.answers.pop(0)

    def _show_error(self, parent, title, text):  # type: ignore[no-untyped-def]
        self.errors.append(text)

    def _confirm_with_option(self, parent, title, text, option, *, action="OK", checked=False):  # type: ignore[no-untyped-def]
        self.options.append(f"{text}\n{option}")
        return self.option_answer


@pytest.fixture
def three(repo):  # type: ignore[no-untyped-def]
    """Three journeys: a draft, an active one and a deactivated one."""
    draft = repo.create(Journey.from_json(example_path("birthday").read_text(encoding="utf-8")))
    active = repo.create(minimal_journey("Spring sale"))
    repo.activate(active)
    ended = repo.create(minimal_journey("Winter sale"))
    repo.activate(ended)
    repo.deactivate(ended)
    return {"draft": draft, "active": active, "ended": ended}


# --- empty state, New, examples ----------------------------------------------------------

def test_empty_state_explains_and_creates_a_first_journey(qtbot, main_window):
    window = main_window
    assert window.stack.currentWidget() is window.empty_state
    assert window.empty_state.isVisible()
    texts = " ".join(label.text() for label in window.empty_state.findChildren(QLabel))
    assert "No journeys yet" in texts
    qtbot.mouseClick(window.empty_new_button, Qt.MouseButton.LeftButton)
    assert window.table.isVisible()
    assert names(window) == ["New journey"]
    assert stored_names() == ["New journey"]
    assert window.selected_journey().name == "New journey"
    assert cell(window, "New journey", COL_STATUS) == "Draft"
    assert cell(window, "New journey", COL_VALIDITY) == "✓ Ready"


def test_open_an_example_from_the_empty_state(qtbot, main_window):
    window = main_window
    titles = [a.text() for a in window.empty_example_button.menu().actions()]
    assert "Birthday greetings" in titles
    action = next(a for a in window.example_menu.actions() if a.text() == "Welcome series")
    action.trigger()
    assert names(window) == ["Welcome series"]
    assert stored_names() == ["Welcome series"]
    assert stored_status("Welcome series") == "draft"
    assert window.stack.currentWidget() is window.table


def test_new_picks_a_free_name_and_selects_it(qtbot, main_window):
    window = main_window
    activate_window(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    window.action_new.trigger()
    assert stored_names() == ["New journey", "New journey (2)", "New journey (3)"]
    assert window.selected_journey().name == "New journey (3)"
    assert sorted(e.name_edit.text() for e in open_editors()) == [
        "New journey", "New journey (2)", "New journey (3)"]


# --- actions follow the selection ---------------------------------------------------------

def test_actions_are_enabled_where_they_apply(qtbot, repo, three, main_window):
    window = main_window
    assert not window.action_clone.isEnabled()  # nothing selected
    assert not window.validate_button.isEnabled()

    click_row(qtbot, window, "Birthday greetings")
    assert window.action_clone.isEnabled() and window.action_remove.isEnabled()
    assert window.validate_button.isEnabled()
    assert not window.action_deactivate.isEnabled()
    assert window.activate_button.isEnabled()
    assert window.action_import_audience.isEnabled()
    assert window.action_edit.isEnabled()
    assert window.action_edit.text().replace("&", "") == "Edit"

    click_row(qtbot, window, "Spring sale")
    assert window.action_deactivate.isEnabled()
    assert not window.validate_button.isEnabled()
    assert window.action_edit.text().replace("&", "") == "View"

    click_row(qtbot, window, "Winter sale")
    assert not window.action_deactivate.isEnabled()
    assert window.action_clone.isEnabled() and window.action_remove.isEnabled()


def test_actions_follow_the_lifecycle(qtbot, repo, three, main_window):
    window = main_window
    click_row(qtbot, window, "Birthday greetings")
    assert window.activate_button.isEnabled() and window.action_import_audience.isEnabled()
    assert window.action_edit.isEnabled()
    assert window.action_edit.text().replace("&", "") == "Edit"
    click_row(qtbot, window, "Spring sale")
    assert not window.activate_button.isEnabled()
    assert window.action_import_audience.isEnabled()
    assert window.action_edit.isEnabled()  # opens read-only
    click_row(qtbot, window, "Winter sale")
    assert not window.action_import_audience.isEnabled()


def test_context_menu_carries_the_journey_actions(qtbot, three, main_window):
    window = main_window
    menu = window.context_menu()
    actions = set(menu.actions())
    for name in ("action_edit", "action_clone", "action_remove", "action_import_audience",
                 "action_deactivate", "action_validate", "action_activate", "action_stats"):
        assert getattr(window, name) in actions
    menu.deleteLater()


# --- clone, remove, deactivate -------------------------------------------------------------

def test_clone_makes_a_selected_draft_named_per_spec(qtbot, repo, three, main_window):
    window = main_window
    activate_window(qtbot, window)
    click_row(qtbot, window, "Spring sale")
    qtbot.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.selected_journey().name == "Copy of Spring sale"
    assert cell(window, "Copy of Spring sale", COL_STATUS) == "Draft"
    click_row(qtbot, window, "Spring sale")
    window.action_clone.trigger()
    assert window.selected_journey().name == "Copy of Spring sale (2)"
    assert stored_status("Copy of Spring sale (2)") == "draft"


def test_clone_offers_to_copy_the_audience(qtbot, repo, three, main_window, monkeypatch):
    window = main_window
    add_activity(three["active"], customers=3, runs=0, in_progress=0, messages=0)
    window.refresh()
    asked = Prompts(monkeypatch)
    asked.option_answer = (True, True)
    click_row(qtbot, window, "Spring sale")
    with qtbot.waitSignal(window.journeys_counted, timeout=10000):
        window.action_clone.trigger()
        # The copy is listed and selected at once; its counts follow from a worker.
        assert window.selected_journey().name == "Copy of Spring sale"
    assert "3 customers" in asked.options[0]
    assert cell(window, "Copy of Spring sale", 2) == "3"
    copy_id = window.selected_journey_id()
    assert MemberRecord.select().where(MemberRecord.journey == copy_id).count() == 3


def test_remove_names_what_is_lost_and_deletes_it(qtbot, repo, three, main_window, monkeypatch):
    window = main_window
    add_activity(three["draft"], customers=12, runs=5, in_progress=2, messages=4)
    window.refresh()
    asked = Prompts(monkeypatch, answers=[False, True])
    click_row(qtbot, window, "Birthday greetings")
    window.action_remove.trigger()  # declined
    assert "Birthday greetings" in stored_names()
    text = asked.confirmations[0]
    assert "12 customers" in text and "5 entries (2 customers in this journey now)" in text
    assert "4 messages" in text
    window.action_remove.trigger()  # accepted
    assert "Birthday greetings" not in stored_names()
    assert "Birthday greetings" not in names(window)
    assert MemberRecord.select().count() == 0 and OutboxRecord.select().count() == 0
    assert window.selected_journey() is not None  # the neighbour is selected


def test_remove_of_an_active_journey_asks_twice(qtbot, repo, three, main_window, monkeypatch):
    window = main_window
    activate_window(qtbot, window)
    asked = Prompts(monkeypatch, answers=[True, False, True, True])
    click_row(qtbot, window, "Spring sale")
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert len(asked.confirmations) == 2 and "active" in asked.confirmations[1]
    assert "Spring sale" in stored_names()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert "Spring sale" not in stored_names()
    assert names(window) == [n for n in names(window) if n != "Spring sale"]
    assert len(asked.confirmations) == 4


def test_delete_in_the_search_box_does_not_remove(qtbot, three, main_window, monkeypatch):
    window = main_window
    activate_window(qtbot, window)
    asked = Prompts(monkeypatch)
    click_row(qtbot, window, "Spring sale")
    window.search_box.setFocus()
    qtbot.keyClicks(window.search_box, "sp")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Home)
    qtbot.keyClick(window.search_box, Qt.Key.Key_Delete)
    assert window.search_box.text() == "p"
    assert asked.confirmations == []


def test_deactivate_warns_it_is_irreversible(qtbot, repo, three, main_window, monkeypatch):
    window = main_window
    add_activity(three["active"], customers=2, runs=2, in_progress=2, messages=0)
    window.refresh()
    asked = Prompts(monkeypatch, answers=[False, True])
    click_row(qtbot, window, "Spring sale")
    window.action_deactivate.trigger()
    assert "irreversible" in asked.confirmations[0]
    assert "The 2 customers in this journey stop where they are" in asked.confirmations[0]
    assert stored_status("Spring sale") == "active"
    window.action_deactivate.trigger()
    assert stored_status("Spring sale") == "deactivated"
    assert cell(window, "Spring sale", COL_STATUS) == "Deactivated"
    assert window.selected_journey().name == "Spring sale"
    assert not window.action_deactivate.isEnabled()
    assert RunRecord.select().where(RunRecord.state == "in_progress").count() == 0


# --- reloading ----------------------------------------------------------------------------


@pytest.fixture
def large_database(monkeypatch):  # type: ignore[no-untyped-def]
    """The window treats the database as one too large to count on the GUI thread."""
    monkeypatch.setattr("journey_desktop.ui.main.base.INLINE_COUNT_ROWS", -1)


class HeldCounts:
    """Holds the list's counts, once read on their worker thread, until released."""

    def __init__(self, repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        self.release = threading.Event()
        self.read = threading.Event()
        real = repo.summaries

        def summaries(*, counts: bool = True):  # type: ignore[no-untyped-def]
            read = real(counts=counts)
            if counts:
                self.read.set()
                assert self.release.wait(10)
            return read

        monkeypatch.setattr(repo, "summaries", summaries)


def test_on_a_large_database_the_list_shows_journeys_at_once_and_counts_them_after(
    qtbot, repo, three, large_database, main_window, monkeypatch
):
    window = main_window
    qtbot.waitUntil(lambda: cell(window, "Spring sale", COL_AUDIENCE) == "0", timeout=10000)
    held = HeldCounts(repo, monkeypatch)
    add_activity(three["active"], customers=5, runs=0, in_progress=0, messages=0)
    new_id = repo.create(minimal_journey("Autumn sale"))
    window.refresh(select_id=new_id)
    # Listed and selected without waiting for the counts: the new one's are blank, the
    # others keep the ones they had.
    assert window.selected_journey().name == "Autumn sale"
    assert cell(window, "Autumn sale", COL_AUDIENCE) == ""
    assert cell(window, "Spring sale", COL_AUDIENCE) == "0"
    with qtbot.waitSignal(window.journeys_counted, timeout=10000):
        held.release.set()
    assert cell(window, "Autumn sale", COL_AUDIENCE) == "0"
    assert cell(window, "Spring sale", COL_AUDIENCE) == "5"
    assert window.selected_journey().name == "Autumn sale"


def test_a_count_read_before_a_removal_does_not_bring_the_journey_back(
    qtbot, repo, three, large_database, main_window, monkeypatch
):
    window = main_window
    qtbot.waitUntil(lambda: cell(window, "Spring sale", COL_AUDIENCE) == "0", timeout=10000)
    held = HeldCounts(repo, monkeypatch)
    shown: list[list[str]] = []
    window.journeys_reloaded.connect(lambda: shown.append(names(window)))
    window.refresh()  # its counts are read, then held
    assert held.read.wait(10)
    repo.remove(three["draft"])
    window.refresh()  # the removal is listed at once
    assert "Birthday greetings" not in names(window)
    with qtbot.waitSignal(window.journeys_counted, timeout=10000):
        held.release.set()
    assert all("Birthday greetings" not in listed for listed in shown[1:])
    assert "Birthday greetings" not in names(window)


def busy_dialogs(window) -> list:  # type: ignore[no-untyped-def,type-arg]
    return [d for d in window.findChildren(QDialog, "busy_dialog") if d.isVisible()]


def test_on_a_large_database_clone_deactivate_and_remove_write_in_a_worker(
    qtbot, repo, three, large_database, main_window, monkeypatch
):
    window = main_window
    add_activity(three["active"], customers=6, runs=3, in_progress=3, messages=2)
    asked = Prompts(monkeypatch, answers=[True, True, True])
    asked.option_answer = (True, True)
    held = threading.Event()
    writers: list[str] = []
    for name in ("clone", "deactivate", "remove"):
        real = getattr(repo, name)

        def write(*args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            writers.append(threading.current_thread().name)
            assert held.wait(10)
            return _real(*args, **kwargs)

        monkeypatch.setattr(repo, name, write)

    def finish(trigger) -> None:  # type: ignore[no-untyped-def]
        held.clear()
        trigger()
        # The write is held in its worker: the click returned, a busy dialog shows.
        qtbot.waitUntil(lambda: bool(busy_dialogs(window)), timeout=5000)
        qtbot.keyClick(busy_dialogs(window)[0], Qt.Key.Key_Escape)  # it cannot be dismissed
        assert busy_dialogs(window)
        held.set()
        qtbot.waitUntil(lambda: not busy_dialogs(window), timeout=10_000)

    click_row(qtbot, window, "Spring sale")
    finish(window.action_clone.trigger)
    assert window.selected_journey().name == "Copy of Spring sale"
    assert MemberRecord.select().where(
        MemberRecord.journey == window.selected_journey_id()).count() == 6
    click_row(qtbot, window, "Spring sale")
    finish(window.action_deactivate.trigger)
    assert stored_status("Spring sale") == "deactivated"
    assert cell(window, "Spring sale", COL_STATUS) == "Deactivated"
    click_row(qtbot, window, "Spring sale")
    finish(window.action_remove.trigger)
    assert "Spring sale" not in stored_names() and "Spring sale" not in names(window)
    assert len(writers) == 3
    assert threading.main_thread().name not in writers


def test_a_small_database_is_counted_at_once(qtbot, repo, three, main_window):
    window = main_window
    add_activity(three["active"], customers=4, runs=0, in_progress=0, messages=0)
    window.refresh()
    assert cell(window, "Spring sale", COL_AUDIENCE) == "4"


# --- validate -------------------------------------------------------------------------------

def open_validate_dialog(qtbot, window) -> QDialog:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.validate_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(QDialog, "validate_dialog")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_validate_lists_every_problem_with_node_and_field(qtbot, repo, main_window):
    window = main_window
    journey = minimal_journey("Broken")
    journey.nodes[1].content["title"] = ""
    journey.nodes[1].content["body"] = "Hi {{nickname}}"
    journey_id = repo.create(journey)
    repo.set_audience_columns(journey_id, {"firstName": "text"})
    window.refresh()
    assert cell(window, "Broken", COL_VALIDITY).startswith("✗")
    click_row(qtbot, window, "Broken")
    dialog = open_validate_dialog(qtbot, window)
    table = dialog.findChild(QTableView, "problem_table")
    model = table.model()
    rows = [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]
    assert ["Error", "message", "Title: write the title"] == rows[0]
    assert any(r[0] == "Warning" and "nickname" in r[2] for r in rows)
    summary = dialog.findChild(QLabel, "validate_summary_label").text()
    assert "Not ready" in summary and "1 error" in summary
    dialog.close()


def test_validate_says_ready_to_activate(qtbot, repo, main_window):
    window = main_window
    repo.create(minimal_journey("Fine"))
    window.refresh()
    click_row(qtbot, window, "Fine")
    dialog = open_validate_dialog(qtbot, window)
    assert "Ready to activate" in dialog.findChild(QLabel, "validate_summary_label").text()
    assert not dialog.findChild(QTableView, "problem_table").isVisible()
    dialog.close()


def test_clicking_a_problem_opens_the_editor_there(qtbot, repo, main_window, monkeypatch):
    window = main_window
    opened: list[tuple[int, str | None]] = []
    monkeypatch.setattr(window, "open_editor", lambda jid, node=None: opened.append((jid, node)))
    journey = minimal_journey("Broken")
    journey.nodes[1].content["body"] = ""
    journey_id = repo.create(journey)
    window.refresh()
    click_row(qtbot, window, "Broken")
    dialog = open_validate_dialog(qtbot, window)
    table = dialog.findChild(QTableView, "problem_table")
    rect = table.visualRect(table.model().index(0, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [(journey_id, "message")]
    dialog.close()


# --- opening journeys ------------------------------------------------------------------------

def test_double_click_and_enter_open_the_editor(qtbot, three, main_window, monkeypatch):
    window = main_window
    opened: list[int] = []
    monkeypatch.setattr(window, "open_editor", lambda jid, node=None: opened.append(jid))
    double_click_row(qtbot, window, "Spring sale")
    assert opened == [three["active"]]
    window.refresh()
    activate_window(qtbot, window)
    click_row(qtbot, window, "Birthday greetings")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert opened == [three["active"], three["draft"]]


def test_double_click_opens_a_read_only_editor_for_an_active_journey(qtbot, three,
                                                                      main_window):
    window = main_window
    double_click_row(qtbot, window, "Spring sale")
    [editor] = open_editors()
    assert editor.read_only
    assert editor.name_edit.text() == "Spring sale"
    double_click_row(qtbot, window, "Spring sale")
    assert open_editors() == [editor]  # the same window comes forward


def test_saving_in_the_editor_updates_the_list(qtbot, three, main_window):
    window = main_window
    double_click_row(qtbot, window, "Birthday greetings")
    [editor] = open_editors()
    editor.name_edit.selectAll()
    qtbot.keyClicks(editor.name_edit, "Birthday wishes")
    editor.save_action.trigger()
    assert "Birthday wishes" in names(window)
    assert stored_status("Birthday wishes") == "draft"


def test_clone_to_edit_from_a_read_only_editor_opens_the_new_draft(qtbot, three, main_window):
    window = main_window
    double_click_row(qtbot, window, "Spring sale")
    [editor] = open_editors()
    qtbot.mouseClick(editor.findChild(QPushButton, "clone_to_edit_button"),
                     Qt.MouseButton.LeftButton)
    assert "Copy of Spring sale" in names(window)
    assert window.selected_journey().name == "Copy of Spring sale"
    drafts = [e for e in open_editors() if not e.read_only]
    assert [e.name_edit.text() for e in drafts] == ["Copy of Spring sale"]


def test_activate_button_opens_the_dialog_and_activates(qtbot, three, main_window):
    window = main_window
    click_row(qtbot, window, "Birthday greetings")
    window.activate_button.click()
    dialog = window.findChild(QDialog, "activate_dialog")
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert dialog.findChild(QCheckBox, "reentry_checkbox") is not None
    dialog.findChild(QPushButton, "activate_dialog_button").click()
    qtbot.waitUntil(lambda: cell(window, "Birthday greetings", COL_STATUS) == "Active")
    assert stored_status("Birthday greetings") == "active"
    assert not window.activate_button.isEnabled()


def test_import_action_runs_the_import_flow(qtbot, three, main_window, monkeypatch, tmp_path):
    window = main_window
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("customerId,firstName\nc1,Ann\nc2,Bob\n", encoding="utf-8")
    monkeypatch.setattr(prompts, "ask_open_file", lambda *args, **kwargs: str(csv_file))
    click_row(qtbot, window, "Birthday greetings")
    window.action_import_audience.trigger()
    preview = window.findChild(QDialog, "import_preview_dialog")
    qtbot.waitUntil(lambda: preview is not None and preview.isVisible())
    preview.accept()
    qtbot.waitUntil(lambda: cell(window, "Birthday greetings", COL_AUDIENCE) == "2",
                    timeout=10000)
    assert MemberRecord.select().count() == 2


# --- search, filter, refresh ----------------------------------------------------------------

def test_search_filters_as_you_type(qtbot, three, main_window):
    window = main_window
    qtbot.keyClicks(window.search_box, "SALE")
    assert sorted(names(window)) == ["Spring sale", "Winter sale"]
    assert window.count_label.text() == "2 of 3 journeys"
    qtbot.keyClicks(window.search_box, " w")
    assert names(window) == []
    window.search_box.clear()
    assert len(names(window)) == 3
    window.status_filter.setCurrentIndex(window.status_filter.findData("active"))
    assert names(window) == ["Spring sale"]


def test_new_journey_clears_a_filter_that_would_hide_it(qtbot, three, main_window):
    window = main_window
    qtbot.keyClicks(window.search_box, "winter")
    window.action_new.trigger()
    assert window.search_box.text() == ""
    assert window.selected_journey().name == "New journey"


def test_f5_reloads_and_keeps_the_selection(qtbot, repo, three, main_window):
    window = main_window
    activate_window(qtbot, window)
    click_row(qtbot, window, "Spring sale")
    repo.create(minimal_journey("Made elsewhere"))  # e.g. by the command line
    assert "Made elsewhere" not in names(window)
    qtbot.keyClick(window.table, Qt.Key.Key_F5)
    assert "Made elsewhere" in names(window)
    assert window.selected_journey().name == "Spring sale"


# --- files, drops, about, settings -----------------------------------------------------------

def test_open_journey_file_creates_a_draft_or_says_why_not(qtbot, tmp_path, main_window,
                                                         monkeypatch):
    window = main_window
    asked = Prompts(monkeypatch)
    chosen = [str(example_path("birthday"))]
    monkeypatch.setattr(prompts, "ask_open_file", lambda *a, **k: chosen.pop(0))
    window.action_open_file.trigger()
    assert names(window) == ["Birthday greetings"]
    assert window.selected_journey().name == "Birthday greetings"

    chosen.append(str(example_path("birthday")))  # the name is now taken
    window.action_open_file.trigger()
    assert "already named" in asked.errors[-1]
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "journey-desktop/1", "nodes": 3}', encoding="utf-8")
    chosen.append(str(bad))
    window.action_open_file.trigger()
    assert "bad.json" in asked.errors[-1] and "nodes" in asked.errors[-1]
    assert stored_names() == ["Birthday greetings"]


def test_export_journey_file_writes_the_definition(qtbot, tmp_path, three, main_window,
                                                   monkeypatch):
    window = main_window
    target = tmp_path / "out" / "birthday"
    target.parent.mkdir()
    monkeypatch.setattr(prompts, "ask_save_file", lambda *a, **k: str(target))
    click_row(qtbot, window, "Birthday greetings")
    window.action_export_file.trigger()
    written = Journey.from_json(target.with_suffix(".json").read_text(encoding="utf-8"))
    assert written.name == "Birthday greetings"
    assert [n.id for n in written.nodes] == ["start", "greet", "end"]


def test_export_journey_file_never_overwrites_the_database(qtbot, store, three, main_window,
                                                          monkeypatch):
    database_file = store / "journeys.db"
    said = Prompts(monkeypatch)
    monkeypatch.setattr(prompts, "ask_save_file", lambda *a, **k: str(database_file))
    click_row(qtbot, main_window, "Birthday greetings")
    main_window.action_export_file.trigger()
    assert said.errors == [f"Nothing was written: {database_file}: this is the open database "
                           f"({database_file}); choose another file."]
    assert database_file.read_bytes().startswith(b"SQLite format 3\x00")
    assert len(main_window.repository.summaries()) == 3


def test_a_csv_dropped_on_a_row_is_offered_to_the_import(qtbot, tmp_path, three, main_window):
    window = main_window
    csv = tmp_path / "customers.csv"
    csv.write_text("customerId\n1\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csv))])
    proxy = window.table.model()
    row = names(window).index("Spring sale")
    pos = QPointF(window.table.visualRect(proxy.index(row, COL_NAME)).center())
    viewport = window.table.viewport()
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.audience_file_dropped) as blocker:
        QApplication.sendEvent(viewport, drop)
    assert blocker.args == [three["active"], str(csv)]


def test_about_shows_version_and_data_folder(qtbot, main_window, monkeypatch):
    from journey_desktop import __version__

    shown: list[str] = []
    monkeypatch.setattr(prompts, "about", lambda parent, title, text: shown.append(text))
    main_window.action_about.trigger()
    assert __version__ in shown[0]
    assert str(main_window.data_dir) in shown[0]


def test_title_shows_a_data_folder_other_than_the_default(main_window):
    assert str(main_window.data_dir) in main_window.windowTitle()


def test_geometry_columns_and_filter_are_remembered(qtbot, three, make_main_window):
    first = make_main_window()
    first.resize(780, 520)  # within the offscreen screen (800 x 600)
    first.table.horizontalHeader().resizeSection(COL_STATUS, 173)
    first.status_filter.setCurrentIndex(first.status_filter.findData("active"))
    qtbot.keyClicks(first.search_box, "spr")
    first.close()

    second = make_main_window()
    assert (second.width(), second.height()) == (780, 520)
    assert second.table.horizontalHeader().sectionSize(COL_STATUS) == 173
    assert second.search_box.text() == "spr"
    assert second.status_filter.currentData() == "active"
    assert names(second) == ["Spring sale"]


def test_quit_closes_the_window(qtbot, main_window):
    main_window.action_quit.trigger()
    assert not main_window.isVisible()


def test_title_is_plain_on_the_default_data_folder(store, make_main_window, monkeypatch):
    from journey_desktop.ui.main import window as main_window_module

    monkeypatch.setattr(main_window_module, "default_data_dir", lambda: Path(store))
    assert make_main_window().windowTitle() == "Journey Desktop"


# --- statistics, outbox and forecast windows ------------------------------------------------

def open_windows(object_name: str) -> list:  # type: ignore[type-arg]
    return [w for w in QApplication.topLevelWidgets()
            if w.objectName() == object_name and w.isVisible()]


def test_stats_opens_once_per_journey_and_shows_counts_on_the_canvas(qtbot, three, main_window):
    window = main_window
    click_row(qtbot, window, "Spring sale")
    window.action_stats.trigger()
    window.action_stats.trigger()
    [stats] = open_windows("stats_window")
    qtbot.waitUntil(lambda: not stats.loading, timeout=5000)
    stats.findChild(QPushButton, "stats_show_on_canvas_button").click()
    [editor] = open_editors()
    assert editor.name_edit.text() == "Spring sale"
    assert editor.read_only


def test_outbox_follows_the_selected_journey(qtbot, three, main_window):
    window = main_window
    click_row(qtbot, window, "Spring sale")
    window.action_outbox.trigger()
    [outbox] = open_windows("outbox_window")
    assert outbox.current_filter().journey_id == three["active"]
    click_row(qtbot, window, "Birthday greetings")
    window.action_outbox.trigger()
    assert open_windows("outbox_window") == [outbox]
    assert outbox.current_filter().journey_id == three["draft"]


def test_forecast_opens_for_the_selected_journey(qtbot, three, main_window):
    window = main_window
    assert not window.action_forecast.isEnabled()  # nothing selected yet
    click_row(qtbot, window, "Birthday greetings")
    window.action_forecast.trigger()
    [forecast] = open_windows("forecast_window")
    assert "Birthday greetings" in forecast.windowTitle()
    window.close()
    assert open_windows("forecast_window") == []


def test_statistics_and_outbox_windows_open_where_they_were_closed(qtbot, three, main_window):
    window = main_window
    click_row(qtbot, window, "Spring sale")
    window.action_stats.trigger()
    window.action_outbox.trigger()
    [stats] = open_windows("stats_window")
    [outbox] = open_windows("outbox_window")
    # Heights only: both are wider than the 800-pixel test screen, which restoring clamps.
    stats.resize(stats.width(), stats.height() - 30)
    outbox.resize(outbox.width(), outbox.height() + 40)
    sizes = {"stats": stats.height(), "outbox": outbox.height()}
    stats.close()
    outbox.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # closed for good
    assert not open_windows("stats_window") and not open_windows("outbox_window")
    window.action_stats.trigger()
    window.action_outbox.trigger()
    [stats] = open_windows("stats_window")
    [outbox] = open_windows("outbox_window")
    assert {"stats": stats.height(), "outbox": outbox.height()} == sizes


def test_a_disabled_action_says_the_repositorys_own_refusal(qtbot, repo, three, main_window):
    """The tooltip of a refused action and the error the store raises are one wording."""
    from journey_desktop.store.audience import AudienceStore
    from journey_desktop.store.repository import LifecycleError

    window = main_window
    click_row(qtbot, window, "Winter sale")
    with pytest.raises(LifecycleError) as refused:
        AudienceStore(repo).check_importable(three["ended"])
    reason = str(refused.value).split(": ", 1)[1]
    assert reason in window.action_import_audience.toolTip()
    assert window.action_import_audience.toolTip().startswith("Cannot be given an audience")
    click_row(qtbot, window, "Spring sale")
    with pytest.raises(LifecycleError) as refused:
        repo.activate(three["active"])
    assert str(refused.value).split(": ", 1)[1] in window.action_activate.toolTip()


@pytest.mark.parametrize("large", [False, True], ids=["on-the-spot", "in-a-job"])
def test_a_write_the_busy_database_refuses_is_said_in_words(qtbot, repo, three, main_window,
                                                            monkeypatch, large):
    from journey_desktop.store.errors import BusyError

    if large:
        monkeypatch.setattr("journey_desktop.ui.main.base.INLINE_COUNT_ROWS", -1)

    def busy(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise BusyError()

    monkeypatch.setattr(repo, "deactivate", busy)
    asked = Prompts(monkeypatch, answers=[True])
    window = main_window
    click_row(qtbot, window, "Spring sale")
    window.action_deactivate.trigger()
    qtbot.waitUntil(lambda: bool(asked.errors), timeout=10_000)
    assert asked.errors == [str(BusyError())[0].upper() + str(BusyError())[1:] + "."]
    assert stored_status("Spring sale") == "active"


def test_the_validity_mark_agrees_with_validate_once_an_audience_is_known(
        qtbot, repo, three, main_window):
    """The list checks a draft against its audience's columns, as Validate does."""
    window = main_window
    qtbot.waitUntil(lambda: cell(window, "Birthday greetings", COL_VALIDITY) == "✓ Ready")
    repo.set_audience_columns(three["draft"], {"customerId": "text"})  # an import did this
    window.refresh()
    result = repo.validate(three["draft"])
    assert result.ok and len(result.warnings) >= 1
    expected = f"✓ Ready, {len(result.warnings)} warning" + (
        "s" if len(result.warnings) > 1 else "")
    qtbot.waitUntil(lambda: cell(window, "Birthday greetings", COL_VALIDITY) == expected)


# --- statistics and forecast windows follow what the main window does ---------------------

def visible_window(kind: type) -> object:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(found) == 1, found
    return found[0]


def test_statistics_refresh_and_a_forecast_says_out_of_date_after_deactivation(
        qtbot, repo, three, main_window, monkeypatch):
    from journey_desktop.ui.forecast import ForecastWindow
    from journey_desktop.ui.stats import StatsWindow

    window = main_window
    add_activity(three["active"], customers=2, runs=2, in_progress=2, messages=0)
    window.refresh()
    click_row(qtbot, window, "Spring sale")
    window.action_stats.trigger()
    stats = visible_window(StatsWindow)
    qtbot.waitUntil(lambda: not stats.loading and stats.status_label.text() == "Active")
    assert stats.findChild(QLabel, "stats_in_progress_value").text() == "2"
    window.action_forecast.trigger()
    forecast = visible_window(ForecastWindow)
    with qtbot.waitSignal(forecast.forecast_finished, timeout=20_000):
        forecast.run_button.click()
    assert not forecast.status_label.text().startswith("Out of date")

    Prompts(monkeypatch, answers=[True])
    with qtbot.waitSignal(stats.stats_loaded, timeout=10_000):
        window.action_deactivate.trigger()
    assert stats.status_label.text() == "Deactivated"
    assert stats.findChild(QLabel, "stats_in_progress_value").text() == "0"
    assert forecast.status_label.text().startswith(
        "Out of date: the journey was deactivated since this forecast.")


def test_statistics_refresh_after_an_audience_import(qtbot, repo, three, main_window, tmp_path,
                                                      monkeypatch):
    from journey_desktop.ui.stats import StatsWindow

    window = main_window
    click_row(qtbot, window, "Birthday greetings")
    window.action_stats.trigger()
    stats = visible_window(StatsWindow)
    qtbot.waitUntil(lambda: not stats.loading and stats.status_label.text() == "Draft")
    assert stats.findChild(QLabel, "stats_audience_value").text() == "0"
    path = tmp_path / "people.csv"
    path.write_text("id,birthday\na,1990-01-02\nb,1991-03-04\n", encoding="utf-8")
    controller = window.import_audience(three["draft"], str(path))
    preview = controller.preview_dialog
    with qtbot.waitSignal(stats.stats_loaded, timeout=10_000):
        qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    assert stats.findChild(QLabel, "stats_audience_value").text() == "2"
    controller.result_dialog.reject()


def test_f1_opens_the_user_guide_from_the_help_menu(qtbot, main_window):
    from journey_desktop.ui.guide import SECTION_WINDOW, GuideWindow

    window = main_window
    activate_window(qtbot, window)
    assert window.action_guide.shortcut().toString() == "F1"
    assert window.action_guide in window.findChild(QMenu, "help_menu").actions()
    qtbot.keyClick(window.table, Qt.Key.Key_F1)
    guide = window.findChild(GuideWindow, "guide_window")
    assert guide is not None and guide.isVisible()
    assert guide.section == SECTION_WINDOW
    text = guide.browser.toPlainText()
    assert "Activating a journey and loading its audience" in text
    assert "The command line" not in text  # the developer sections stay in the README
    guide.close()
