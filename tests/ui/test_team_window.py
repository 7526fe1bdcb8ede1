"""The window on a team database (SPEC §14): a read-only role's greyed-out actions, the
Connect dialog, the start-up dialog for a database that cannot be opened, and reconnecting
after the connection was lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_desktop.services.settings import DatabaseChoice
from journey_desktop.store import close_store, open_store
from journey_desktop.store.postgres import NOT_ACCEPTING, describe_url
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui import startup
from journey_desktop.ui.common.read_only import READ_ONLY_TIP
from journey_desktop.ui.connect_dialog import ConnectDialog
from journey_desktop.ui.main import MainWindow
from journey_desktop.ui.main.session import WindowSession
from tests.conftest import load_example
from tests.store.test_team_reconnect import end_connections
from tests.team_database import database_url
from tests.team_roles import EDITOR, VIEWER, as_role, grant_roles
from tests.ui.test_startup import answer_message_box

WRITING = ("action_new", "action_open_file", "action_clone", "action_remove",
           "action_import_audience", "action_deactivate", "action_activate", "action_run_now",
           "action_preferences", "action_import_customers", "action_import_delivery_report",
           "action_import_events")


@pytest.fixture
def granted_url(team_url: str, data_dir: Path) -> str:
    """A team database with the README's roles and one draft written by its owner."""
    grant_roles(team_url)
    open_store(data_dir, url=team_url)
    try:
        JourneyRepository().create(load_example("birthday"))
    finally:
        close_store()
    return team_url


@pytest.fixture
def choice(tmp_path: Path) -> DatabaseChoice:
    from PySide6.QtCore import QSettings

    return DatabaseChoice(QSettings(str(tmp_path / "choice.ini"), QSettings.Format.IniFormat))


def database_name(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[1]


def open_session(qtbot, data_dir: Path, url: str, choice: DatabaseChoice) -> WindowSession:  # type: ignore[no-untyped-def]
    open_store(data_dir, url=url)
    session = WindowSession(data_dir, url, choice)
    assert session.window is not None
    qtbot.addWidget(session.window)
    return session


def test_a_viewer_gets_a_read_only_window(qtbot, granted_url: str, data_dir: Path,  # type: ignore[no-untyped-def]
                                          choice: DatabaseChoice) -> None:
    viewer = as_role(granted_url, VIEWER)
    session = open_session(qtbot, data_dir, viewer, choice)
    window = session.window
    try:
        assert session.scheduler is None  # the evaluator does not run for a viewer
        window.table.selectRow(0)
        for name in WRITING:
            action = getattr(window, name)
            assert not action.isEnabled(), name
            assert action.toolTip() == READ_ONLY_TIP == (
                "Your database role may only read the team database.")
        assert not window.activate_button.isEnabled()
        assert window.activate_button.toolTip() == READ_ONLY_TIP
        assert window.action_edit.isEnabled() and window.action_edit.text() == "&View"
        assert window.action_stats.isEnabled() and window.action_outbox.isEnabled()
        assert window.data_dir_label.text() == (
            f"Data: team database {describe_url(viewer)} (read-only)")
        assert window.tick_status_label.text() == "Evaluator: not running (read-only)"
        assert describe_url(viewer) in window.windowTitle()
        assert "change me" not in window.windowTitle() + window.data_dir_label.text()
    finally:
        window.close()
        session.stop()
        close_store()


def test_an_editor_gets_a_window_that_writes(qtbot, granted_url: str, data_dir: Path,  # type: ignore[no-untyped-def]
                                             choice: DatabaseChoice, monkeypatch) -> None:
    session = open_session(qtbot, data_dir, as_role(granted_url, EDITOR), choice)
    window = session.window
    try:
        window.table.selectRow(0)
        for name in WRITING:
            assert getattr(window, name).toolTip() != READ_ONLY_TIP, name
        assert window.action_new.isEnabled() and window.action_clone.isEnabled()
        assert "(read-only)" not in window.data_dir_label.text()
        window.action_clone.trigger()
        assert len(JourneyRepository().summaries()) == 2
    finally:
        window.close()
        session.stop()
        close_store()


def test_the_connect_dialog_builds_the_url_tests_it_and_chooses(  # type: ignore[no-untyped-def]
        qtbot, granted_url: str, monkeypatch) -> None:
    dialog = ConnectDialog(None)
    qtbot.addWidget(dialog)
    assert not dialog.connect_button.isEnabled()
    qtbot.keyClicks(dialog.host_edit, "db.example.com")
    qtbot.keyClicks(dialog.database_edit, "journeys")
    qtbot.keyClicks(dialog.user_edit, "anna")
    assert dialog.url_edit.text() == "postgresql://anna@db.example.com:5432/journeys"
    assert dialog.connect_button.isEnabled()

    def tried() -> bool:
        return dialog.test_button.isEnabled()  # greyed while the try runs

    dialog.url_edit.setText(database_url(granted_url, "missing"))
    dialog.test_button.click()
    qtbot.waitUntil(tried)
    assert dialog.result_label.text().endswith("that database does not exist on the server.")
    dialog.connect_button.click()  # refused: the dialog stays open
    qtbot.waitUntil(tried)
    assert dialog.result() == 0 and dialog.chosen_url() is None

    dialog.url_edit.setText(as_role(granted_url, VIEWER))
    assert (dialog.user_edit.text(), dialog.database_edit.text()) == (
        VIEWER, database_name(granted_url))
    dialog.test_button.click()
    qtbot.waitUntil(tried)
    assert "read-only for your role" in dialog.result_label.text()
    with qtbot.waitSignal(dialog.accepted):
        dialog.connect_button.click()
    assert dialog.chosen_url() == as_role(granted_url, VIEWER)


def test_the_connect_dialog_takes_libpq_key_value_form_and_refuses_other_text(  # type: ignore[no-untyped-def]
        qtbot, granted_url: str, monkeypatch) -> None:
    import psycopg.conninfo

    monkeypatch.delenv("PGPASSWORD", raising=False)  # the password typed goes there
    dialog = ConnectDialog(None)
    qtbot.addWidget(dialog)
    for text in ("mysql://x@y/z", "/tmp/journeys.db", "not a url"):
        dialog.url_edit.setText(text)
        assert not dialog.connect_button.isEnabled()
        assert dialog.connect_button.toolTip() == (
            "Enter a PostgreSQL URL (postgresql://user@host:5432/journeys) or libpq's"
            " key=value form (host=db.example.com dbname=journeys user=anna).")
    params = psycopg.conninfo.conninfo_to_dict(as_role(granted_url, VIEWER))
    dialog.url_edit.setText(f"host={params['host']} dbname={params['dbname']} user={VIEWER}")
    assert dialog.connect_button.isEnabled() and dialog.connect_button.toolTip() == ""
    assert (dialog.user_edit.text(), dialog.database_edit.text()) == (
        VIEWER, params["dbname"])
    dialog.password_edit.setText(params["password"])
    with qtbot.waitSignal(dialog.accepted):
        dialog.connect_button.click()
    chosen = dialog.chosen_url()
    assert chosen is not None and chosen.startswith("postgresql://")
    assert psycopg.conninfo.conninfo_to_dict(chosen) == {
        "host": params["host"], "dbname": params["dbname"], "user": VIEWER}


def test_the_dialog_answers_while_a_server_keeps_silent(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A server that takes the connection and never answers: the try runs until libpq's
    connect timeout, and meanwhile the dialog is not frozen."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        dialog = ConnectDialog(None)
        qtbot.addWidget(dialog)
        dialog.url_edit.setText(f"postgresql://anna@127.0.0.1:{port}/journeys?connect_timeout=2")
        dialog.test_button.click()
        assert dialog.result_label.text() == "Trying the database…"
        assert not dialog.connect_button.isEnabled()
        with qtbot.waitSignal(dialog.accepted):  # the user gives up: the local file
            dialog.local_button.click()
        assert dialog.chosen_url() is None
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20_000)
        assert "did not answer in time" in dialog.result_label.text()


def test_use_the_local_file_in_the_connect_dialog(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ConnectDialog("postgresql://anna:secret@db.example.com/journeys")
    qtbot.addWidget(dialog)
    assert dialog.url_edit.text() == "postgresql://anna@db.example.com/journeys"
    with qtbot.waitSignal(dialog.accepted):
        dialog.local_button.click()
    assert dialog.chosen_url() is None


def test_connecting_switches_the_window_and_is_remembered_without_password(  # type: ignore[no-untyped-def]
        qtbot, granted_url: str, data_dir: Path, choice: DatabaseChoice) -> None:
    open_store(data_dir)
    session = WindowSession(data_dir, None, choice)
    first = session.window
    try:
        assert first.data_dir_label.text() == f"Data: {data_dir}"
        viewer = as_role(granted_url, VIEWER)
        first.database_chosen.emit(viewer)
        window = session.window
        assert window is not None and window is not first
        qtbot.addWidget(window)
        assert window.read_only and session.scheduler is None
        assert [s.name for s in window.repository.summaries()] == ["Birthday greetings"]
        assert choice.team_url() == viewer.replace(":change%20me@", "@")
        window.database_chosen.emit(None)  # back to the local file
        assert session.window is not None and not session.window.read_only
        qtbot.addWidget(session.window)
        assert choice.team_url() is None
    finally:
        if session.window is not None:
            session.window.close()
        session.stop()
        close_store()


@pytest.mark.parametrize("answer, opened, local", [
    ("Use the local file", True, True), ("Quit", False, False)])
def test_a_team_database_that_cannot_be_opened_is_said_in_one_line(  # type: ignore[no-untyped-def]
        qtbot, postgres_server: str, data_dir: Path, answer: str, opened: bool,
        local: bool) -> None:
    missing = database_url(postgres_server, "no_such_database")
    seen: list[str] = []
    answer_message_box(qtbot, "team_database_error_box", answer, seen)
    try:
        assert startup.open_chosen_database(data_dir, missing) == (opened, None)
        assert (data_dir / "journeys.db").exists() is local
    finally:
        close_store()
    assert "The team database cannot be opened." in seen[0]
    assert "that database does not exist on the server." in seen[0]
    assert "Traceback" not in seen[0]


def test_retry_opens_the_team_database_once_it_answers(  # type: ignore[no-untyped-def]
        qtbot, postgres_server: str, team_url: str, data_dir: Path, monkeypatch) -> None:
    missing = database_url(postgres_server, "late_database")
    reasons: list[str] = []

    def create_then_retry(parent, url, reason):  # type: ignore[no-untyped-def]
        reasons.append(reason)
        import psycopg

        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute('CREATE DATABASE "late_database"')
        return startup.RETRY

    monkeypatch.setattr(startup, "ask_team_failure", create_then_retry)
    try:
        assert startup.open_chosen_database(data_dir, missing) == (True, missing)
    finally:
        close_store()
    assert len(reasons) == 1 and "does not exist" in reasons[0]


def test_the_window_keeps_working_after_the_connection_is_lost(  # type: ignore[no-untyped-def]
        qtbot, postgres_server: str, granted_url: str, data_dir: Path, monkeypatch,
        window_settings) -> None:
    errors: list[str] = []
    monkeypatch.setattr("journey_desktop.ui.prompts.show_error",
                        lambda parent, title, text: errors.append(text))
    open_store(data_dir, url=granted_url)
    window = MainWindow(data_dir, settings=window_settings, database_url=granted_url)
    qtbot.addWidget(window)
    try:
        window.table.selectRow(0)
        end_connections(postgres_server, granted_url)
        window.action_clone.trigger()
        assert len(errors) == 1 and "the connection was lost" in errors[0]
        window.table.selectRow(0)
        window.action_clone.trigger()  # the next action connects again
        assert len(errors) == 1
        assert len(JourneyRepository().summaries()) == 2
        end_connections(postgres_server, granted_url)
        window.action_refresh.trigger()
        assert window.statusBar().currentMessage() == (
            "The list could not be reloaded: Team database "
            f"{describe_url(granted_url)}: the connection was lost; nothing of the "
            "unfinished change was written.")
        window.action_refresh.trigger()
        assert window.statusBar().currentMessage() == "List reloaded."
    finally:
        window.close()
        close_store()


def test_a_lost_connection_is_told_once_and_the_evaluator_reconnects(  # type: ignore[no-untyped-def]
        qtbot, postgres_server: str, granted_url: str, data_dir: Path,
        window_settings) -> None:
    """The server refuses the database for a while: the first tick that meets it shows one
    non-modal message, the ticks tried again soon after it add none, and the first tick
    that reaches the database again closes it."""
    import datetime as dt

    import psycopg
    from PySide6.QtWidgets import QMessageBox

    from journey_desktop.services.scheduler import EvaluatorScheduler
    from journey_desktop.ui.main.connection_notice import LOST_TEXT, RESTORED_TEXT

    name = database_name(granted_url)

    def allow(yes: bool) -> None:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(yes).lower()}')

    def boxes() -> list[QMessageBox]:
        return window.findChildren(QMessageBox, "connection_lost_box")

    now = 1_800_000_000
    open_store(data_dir, url=granted_url)
    window = MainWindow(data_dir, settings=window_settings, database_url=granted_url)
    qtbot.addWidget(window)
    # A second of the retry lasts a millisecond here: the tries follow each other at once.
    scheduler = EvaluatorScheduler(window, clock=lambda: now, tz=dt.UTC,
                                   interval_seconds=600, retry_second_ms=1)
    window.attach_scheduler(scheduler)
    failed: list[str] = []
    scheduler.tick_failed.connect(failed.append)
    try:
        end_connections(postgres_server, granted_url)
        allow(False)
        with qtbot.waitSignal(scheduler.connection_lost, timeout=10_000):
            assert scheduler.run_now()
        qtbot.waitUntil(lambda: len(failed) >= 3, timeout=10_000)  # tried again, twice
        assert len(boxes()) == 1
        box = boxes()[0]
        assert box.isVisible() and not box.isModal()
        assert box.text() == LOST_TEXT
        assert box.informativeText().startswith(
            f"Team database {describe_url(granted_url)}: {NOT_ACCEPTING}.\n")
        assert "FATAL" not in box.informativeText()
        assert "; trying again at " in window.tick_status_label.text()
        allow(True)
        with qtbot.waitSignal(scheduler.connection_restored, timeout=10_000):
            pass
        qtbot.waitUntil(lambda: not boxes(), timeout=5_000)
        assert window.statusBar().currentMessage() == RESTORED_TEXT
        assert "trying again" not in window.tick_status_label.text()
    finally:
        allow(True)
        scheduler.stop()
        window.close()
        close_store()


def test_the_lost_connection_notice_says_why_in_one_sentence(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The reason reads as the command line words it: no libpq prefix or severity, and no
    full stop after a bracket that ends in a question mark."""
    import psycopg
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QWidget

    from journey_desktop.store.postgres import map_postgres_error
    from journey_desktop.ui.main.connection_notice import ConnectionNotice

    class Scheduler(QObject):
        connection_lost = Signal(str)
        connection_restored = Signal()

    where = "journeys on db.example.com:5432 as anna"
    failed = 'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
    window = QWidget()
    qtbot.addWidget(window)
    scheduler = Scheduler()
    notice = ConnectionNotice(window, scheduler, lambda _text: None)
    told = []
    for raw in (failed + "Connection refused",
                failed + 'FATAL:  database "journeys" is not currently accepting connections'):
        scheduler.connection_lost.emit(str(map_postgres_error(psycopg.OperationalError(raw),
                                                              where)))
        assert notice.box is not None
        told.append(notice.box.informativeText().split("\n\n")[0])
        scheduler.connection_restored.emit()
        qtbot.waitUntil(lambda: notice.box is None)
    assert told == [
        f"Team database {where}: the server cannot be reached (is it running, and is the "
        "address right?)",
        f"Team database {where}: {NOT_ACCEPTING}.",
    ]
    assert not any("?)." in text or "FATAL" in text for text in told)


def test_the_startup_dialog_never_shows_the_password(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    answer_message_box(qtbot, "team_database_error_box", "Retry", seen)
    assert startup.ask_team_failure(None, "postgresql://anna:secret@db/j",
                                    "The server cannot be reached.") == startup.RETRY
    assert "secret" not in seen[0] and "j on db as anna" in seen[0]


def test_retry_with_a_password_hands_it_to_libpq_for_this_session(  # type: ignore[no-untyped-def]
        qtbot, monkeypatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setattr("journey_desktop.ui.prompts.ask_password",
                        lambda parent, title, label: "s3cret")
    seen: list[str] = []
    answer_message_box(qtbot, "team_database_error_box", "Retry with a password…", seen)
    assert startup.ask_team_failure(
        None, "postgresql://anna@db/j",
        "Team database j on db as anna: the user name or password was refused.",
    ) == startup.RETRY
    import os

    assert os.environ["PGPASSWORD"] == "s3cret"


def test_a_read_only_role_opens_the_editor_for_viewing(  # type: ignore[no-untyped-def]
        qtbot, repo, monkeypatch) -> None:
    """The editor asks the store, as the main window does, and its banner says why nothing
    can be saved (shown on the file, with the store answering "read-only")."""
    journey_id = repo.create(load_example("birthday"))
    monkeypatch.setattr("journey_desktop.ui.editor.window.store_is_read_only", lambda: True)
    monkeypatch.setattr("journey_desktop.ui.common.read_only.store_is_read_only", lambda: True)
    monkeypatch.setattr("journey_desktop.ui.editor.launch.store_is_read_only", lambda: True)
    from PySide6.QtWidgets import QLabel

    from journey_desktop.ui.editor import EditorWindow

    editor = EditorWindow(repo, journey_id)
    qtbot.addWidget(editor)
    assert editor.read_only and not editor.save_action.isEnabled()
    banner = editor.findChild(QLabel, "readonly_banner_text")
    assert banner.text() == ("You are viewing this draft journey: your database role may only"
                             " read the team database, so nothing here can be saved.")
    for button in (editor.activate_button, editor.clone_button):
        assert not button.isEnabled() and button.toolTip() == READ_ONLY_TIP


@pytest.mark.parametrize("kind, words", [
    ("unreachable", "the server cannot be reached"),
    ("newer", "it was made by a newer Journey Desktop"),
    ("password", "the user name or password was refused"),
])
def test_each_start_up_failure_is_one_line(  # type: ignore[no-untyped-def]
        team_url: str, data_dir: Path, monkeypatch, request, kind: str, words: str) -> None:
    if kind == "password":
        monkeypatch.setenv("PGPASSWORD", "wrong horse")
        url = request.getfixturevalue("password_server")
    elif kind == "newer":
        import psycopg

        with psycopg.connect(team_url, autocommit=True) as conn:
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)")
        url = team_url
    else:
        url = "postgresql://anna@127.0.0.1:1/journeys?connect_timeout=2"
    reasons: list[str] = []
    monkeypatch.setattr(startup, "ask_team_failure",
                        lambda parent, url, reason: reasons.append(reason) or startup.QUIT)
    assert startup.open_chosen_database(data_dir, url) == (False, None)
    assert len(reasons) == 1 and words in reasons[0] and "\n" not in reasons[0]
    assert not (data_dir / "journeys.db").exists()


def test_a_read_only_role_cannot_export_the_outbox_or_activate_from_the_forecast(  # type: ignore[no-untyped-def]
        qtbot, repo, tmp_path: Path, monkeypatch) -> None:
    """Exporting marks messages exported; the forecast's button activates. Shown on the
    file with the store answering "read-only" (the outbox's SQL is the same on both)."""
    from tests.ui import test_forecast_view, test_outbox_view

    test_outbox_view.three_days_of_messages(repo, tmp_path)
    monkeypatch.setattr("journey_desktop.ui.common.read_only.store_is_read_only", lambda: True)
    outbox = test_outbox_view.make_window(qtbot, repo)
    assert outbox.model.total > 0
    for button in (outbox.export_button, outbox.export_new_button):
        assert not button.isEnabled() and button.toolTip() == READ_ONLY_TIP
    draft = repo.create(load_example("birthday"))
    forecast = test_forecast_view.make_window(qtbot, repo, draft)
    assert not forecast.activate_button.isEnabled()
    assert forecast.activate_button.toolTip() == READ_ONLY_TIP
