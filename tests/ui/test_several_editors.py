"""Several people editing one journey (SPEC §14): the second save over a newer version is
refused naming who and when, with Reload and Save as copy; others' changes show in the
list and in an open editor within the watch's poll."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.db import database
from journey_desktop.ui import prompts
from tests.ui.editor_helpers import open_editor


def _in_other_thread(call: Callable[[], Any]) -> Any:
    """Run ``call`` on a thread of its own: its own connection, as another person's."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc
        finally:
            database.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


class Answers:
    """The conflict questions asked (title, text), each answered with ``reply``."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.reply = prompts.CONFLICT_CANCEL

    def __call__(self, _parent: Any, title: str, text: str) -> str:
        self.asked.append((title, text))
        return self.reply


@pytest.fixture
def answers(monkeypatch) -> Answers:
    answers = Answers()
    monkeypatch.setattr(prompts, "ask_conflict", answers)
    return answers


@pytest.fixture
def discard_at_close(monkeypatch) -> None:
    """The main window closes its editors at the end: unsaved changes are discarded."""
    monkeypatch.setattr(prompts, "ask_save_changes", lambda *_args: "discard")


def _two_editors(qtbot, repo):  # type: ignore[no-untyped-def]
    journey_id = repo.create(minimal_journey("Welcome"))
    anna = open_editor(qtbot, repo, journey_id)
    mine = open_editor(qtbot, repo, journey_id)
    anna.document.set_meta("description", "Anna's")
    assert anna.save()
    mine.document.set_meta("description", "Mine")
    return journey_id, anna, mine


def test_the_second_save_is_refused_naming_who_and_when(qtbot, repo, answers):
    journey_id, _anna, mine = _two_editors(qtbot, repo)
    stored = repo.get(journey_id)
    assert not mine.save()
    [(title, text)] = answers.asked
    assert title == "Someone saved this journey first"
    assert text.startswith(f"{stored.updated_by} changed “Welcome” at ")
    assert text.endswith("; reload it or save your version as a copy")
    # Cancel: nothing written, my changes still here and unsaved.
    assert repo.get(journey_id).journey.description == "Anna's"
    assert mine.document.journey.description == "Mine"
    assert mine.isWindowModified()


def test_reload_shows_theirs_and_then_saves_over_it(qtbot, repo, answers):
    journey_id, _anna, mine = _two_editors(qtbot, repo)
    answers.reply = prompts.CONFLICT_RELOAD
    assert not mine.save()
    assert mine.description_edit.text() == "Anna's"
    assert mine.document.undo_stack.isClean() and not mine.isWindowModified()
    mine.document.set_meta("description", "Mine, after reading Anna's")
    assert mine.save()
    stored = repo.get(journey_id)
    assert (stored.journey.description, stored.version) == ("Mine, after reading Anna's", 3)


def test_save_as_copy_keeps_mine_as_a_new_draft_and_shows_theirs(
        qtbot, repo, answers, make_main_window, discard_at_close):
    window = make_main_window()
    journey_id = repo.create(minimal_journey("Welcome"))
    window.refresh()
    anna = open_editor(qtbot, repo, journey_id)
    mine = window.child_windows.open_editor(journey_id)
    anna.document.set_meta("description", "Anna's")
    assert anna.save()
    mine.document.set_meta("description", "Mine")
    answers.reply = prompts.CONFLICT_COPY
    assert not mine.save()
    copy = repo.find("Welcome (copy)")
    assert (copy.journey.description, copy.status) == ("Mine", "draft")
    assert repo.get(journey_id).journey.description == "Anna's"
    assert mine.description_edit.text() == "Anna's" and not mine.isWindowModified()
    copy_editor = window.child_windows.editor(copy.id)
    assert copy_editor is not None and copy_editor.name_edit.text() == "Welcome (copy)"
    assert "Welcome (copy)" in {window.model.summaries()[i].name
                                for i in range(window.model.rowCount())}


@pytest.fixture
def watched_window(make_main_window) -> Iterator[Any]:
    from journey_desktop.services.journey_watch import JourneyWatcher

    window = make_main_window()
    watcher = JourneyWatcher(window)
    window.attach_watcher(watcher)
    watcher.start()
    yield window
    watcher.stop()


def _names(window) -> set[str]:  # type: ignore[no-untyped-def]
    return {summary.name for summary in window.model.summaries()}


def _rename(repo, journey_id: int, name: str) -> None:  # type: ignore[no-untyped-def]
    journey = repo.get(journey_id).journey
    journey.name = name
    repo.save(journey_id, journey, version=repo.get(journey_id).version)


@pytest.mark.both_databases
def test_a_change_through_another_connection_shows_in_the_list(qtbot, repo, watched_window):
    """Polled on SQLite, heard by LISTEN on a team database."""
    window = watched_window
    journey_id = repo.create(minimal_journey("Welcome"))
    window.refresh()
    _in_other_thread(lambda: _rename(repo, journey_id, "Welcome series"))
    qtbot.waitUntil(lambda: "Welcome series" in _names(window), timeout=10_000)
    new_id = _in_other_thread(lambda: repo.create(minimal_journey("Spring")))
    qtbot.waitUntil(lambda: "Spring" in _names(window), timeout=10_000)
    _in_other_thread(lambda: repo.remove(new_id))
    qtbot.waitUntil(lambda: "Spring" not in _names(window), timeout=10_000)


def test_an_open_editor_reloads_or_says_who_changed_its_journey(qtbot, repo, watched_window,
                                                                discard_at_close):
    window = watched_window
    journey_id = repo.create(minimal_journey("Welcome"))
    other_id = repo.create(minimal_journey("Winter sale"))
    window.refresh()
    editor = window.child_windows.open_editor(journey_id)  # nothing unsaved: reloads
    busy = window.child_windows.open_editor(other_id)  # unsaved changes: says so
    busy.document.set_meta("description", "Mine")

    _in_other_thread(lambda: _rename(repo, journey_id, "Welcome series"))
    qtbot.waitUntil(lambda: editor.name_edit.text() == "Welcome series", timeout=10_000)
    assert editor.version == 2 and not editor.isWindowModified()

    _in_other_thread(lambda: _rename(repo, other_id, "Winter sale 2026"))
    qtbot.waitUntil(lambda: busy.changed_banner.isVisible(), timeout=10_000)
    writer = repo.get(other_id).updated_by
    assert f"was changed by {writer} at " in busy.changed_label.text()
    assert busy.document.journey.description == "Mine"  # not overwritten
    assert busy.name_edit.text() == "Winter sale" and busy.isWindowModified()

