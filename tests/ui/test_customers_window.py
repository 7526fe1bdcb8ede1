"""The customers window: search by ID in a worker, pages, and one customer's fields,
journeys and timeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.journey import AUDIENCE_ALL
from journey_desktop.store.audience import AudienceStore
from journey_desktop.store.evaluator import tick
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.customers import CustomersWindow
from journey_desktop.ui.customers.models import TimelineTableModel
from tests.store.evaluator_support import DAY, journey_from, two_messages_a_day_apart

NOW = 1_700_000_000


@pytest.fixture
def customers(repo: JourneyRepository, tmp_path: Path) -> dict[str, int]:
    """30 customers imported for real into two journeys; one tick a day apart ran both."""
    path = tmp_path / "audience.csv"
    rows = "".join(f"{'C' if i % 2 else 'c'}-{i:02d},Name {i},City {i % 3}\n" for i in range(30))
    path.write_text("customerId,firstName,city\n" + rows, encoding="utf-8")
    ids = {}
    for name in ("Welcome", "Autumn"):
        journey_id = repo.create(journey_from(two_messages_a_day_apart(), name=name), now=NOW)
        result = AudienceStore(repo).import_csv(
            journey_id, ImportPlan.from_preview(preview_csv(path)), now=NOW)
        result.rejects.close()
        assert repo.activate(journey_id, now=NOW + (0 if name == "Welcome" else 3600)).ok
        ids[name] = journey_id
    tick(NOW + 3600)
    tick(NOW + DAY + 3600)
    return ids


def make_window(qtbot, **kwargs) -> CustomersWindow:  # type: ignore[no-untyped-def]
    window = CustomersWindow(**kwargs)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.page_shown, timeout=5000):
        pass
    return window


def column(model, col: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [model.index(r, col).data() for r in range(model.rowCount())]


def search(qtbot, window: CustomersWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.page_shown, timeout=5000):
        window.search_box.clear()
        qtbot.keyClicks(window.findChild(QLineEdit, "customer_search_box"), text)


def select(qtbot, window: CustomersWindow, row: int) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.customer_shown, timeout=5000):
        window.customer_table.selectRow(row)


@pytest.mark.both_databases
def test_typing_shows_matching_customers_whatever_the_case(  # type: ignore[no-untyped-def]
        qtbot, customers) -> None:
    window = make_window(qtbot)
    assert column(window.list_model, 0)[:3] == ["C-01", "C-03", "C-05"]  # ID order: C < c
    assert window.page_label.text() == "Customers 1–30 of 30 (page 1)"
    search(qtbot, window, "c-1")
    assert column(window.list_model, 0) == [f"C-1{i}" for i in (1, 3, 5, 7, 9)] + [
        f"c-1{i}" for i in (0, 2, 4, 6, 8)]
    assert window.page_label.text() == "Customers 1–10 whose ID starts with “c-1” (page 1)"
    search(qtbot, window, "x")
    assert window.list_model.rowCount() == 0
    assert window.page_label.text() == "No customer ID starts with “x”."


@pytest.mark.both_databases
def test_selecting_shows_fields_journeys_and_timeline_in_time_order(  # type: ignore[no-untyped-def]
        qtbot, customers) -> None:
    window = make_window(qtbot)
    search(qtbot, window, "C-04")
    assert column(window.list_model, 0) == ["c-04"]
    select(qtbot, window, 0)
    assert window.title_label.text() == "c-04"
    fields = window.fields_model
    assert [(fields.index(r, 0).data(), fields.index(r, 1).data())
            for r in range(fields.rowCount())] == [("firstName", "Name 4"), ("city", "City 1")]
    journeys = window.journeys_model
    assert [[journeys.index(r, c).data() for c in range(3)] for r in range(2)] == [
        ["Autumn", "Active", "1"], ["Welcome", "Active", "1"]]
    timeline = window.timeline_model
    t = TimelineTableModel
    assert [(timeline.index(r, t.COL_JOURNEY).data(), timeline.index(r, t.COL_EVENT).data())
            for r in range(timeline.rowCount())] == [
        ("Welcome", "Entered"), ("Welcome", "Push message"),
        ("Autumn", "Entered"), ("Autumn", "Push message"),
        ("Welcome", "Email message"), ("Autumn", "Email message"),
    ]
    times = column(timeline, t.COL_TIME)
    assert times == sorted(times)
    assert timeline.index(1, t.COL_DETAIL).data() == "hello: Hello Name 4"


def test_pages_with_next_and_previous(qtbot, customers) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, page_size=12)
    first = column(window.list_model, 0)
    assert len(first) == 12 and not window.previous_button.isEnabled()
    with qtbot.waitSignal(window.page_shown, timeout=5000):
        qtbot.mouseClick(window.next_button, Qt.MouseButton.LeftButton)
    second = column(window.list_model, 0)
    assert second[0] > first[-1] and len(second) == 12
    assert window.page_label.text() == "Customers 13–24 of 30 (page 2)"
    with qtbot.waitSignal(window.page_shown, timeout=5000):
        qtbot.mouseClick(window.next_button, Qt.MouseButton.LeftButton)
    assert len(column(window.list_model, 0)) == 6 and not window.next_button.isEnabled()
    with qtbot.waitSignal(window.page_shown, timeout=5000):
        qtbot.mouseClick(window.previous_button, Qt.MouseButton.LeftButton)
    assert column(window.list_model, 0) == second
    with qtbot.waitSignal(window.customer_shown, timeout=5000):
        pass  # the first row is selected on each page


def test_empty_base_says_how_to_add_customers(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot)
    assert window.page_label.text() == (
        "No customers yet: import customers (File → Import customers…) or an audience")
    assert not window.next_button.isEnabled() and not window.previous_button.isEnabled()


def test_models_pass_the_model_tester(  # type: ignore[no-untyped-def]
        qtbot, qtmodeltester, customers) -> None:
    window = make_window(qtbot)
    with qtbot.waitSignal(window.customer_shown, timeout=5000):
        pass
    for model in (window.list_model, window.fields_model, window.journeys_model,
                  window.timeline_model):
        qtmodeltester.check(model)


def test_file_menu_opens_one_customers_window_where_it_was_closed(  # type: ignore[no-untyped-def]
        qtbot, customers, main_window) -> None:
    def opened() -> list[CustomersWindow]:
        return [w for w in QApplication.topLevelWidgets()
                if w.objectName() == "customers_window" and w.isVisible()]

    assert main_window.action_customers in main_window.findChild(QMenu, "file_menu").actions()
    assert main_window.action_customers.shortcut().toString() == "Ctrl+Shift+C"
    main_window.action_customers.trigger()
    [window] = opened()
    qtbot.waitSignal(window.customer_shown, timeout=5000).wait()
    main_window.action_customers.trigger()
    assert opened() == [window]
    qtbot.waitUntil(lambda: not window.loading, timeout=5000)
    window.resize(window.width(), window.height() - 50)
    height = window.height()
    window.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert opened() == []
    main_window.action_customers.trigger()
    [again] = opened()
    assert again.height() == height
    qtbot.waitSignal(again.customer_shown, timeout=5000).wait()


def test_timeline_shows_the_customers_events_among_runs_and_messages(  # type: ignore[no-untyped-def]
        qtbot, customers, tmp_path) -> None:
    from journey_desktop.domain.events_file import EventPlan, preview_events
    from journey_desktop.store.events import EventStore

    path = tmp_path / "events.csv"
    path.write_text("customerId,event,timestamp,cartId\n"
                    f"c-04,purchase,{NOW + 2 * DAY},A\n"  # latest first: shown by time
                    f"c-04,cart_updated,{NOW - 600},A\n"
                    f"c-04,app_open,{NOW + DAY // 2},\n"
                    f"c-06,purchase,{NOW},B\n", encoding="utf-8")
    EventStore().import_file(EventPlan.from_preview(preview_events(path)))
    window = make_window(qtbot)
    search(qtbot, window, "c-04")
    select(qtbot, window, 0)
    timeline = window.timeline_model
    t = TimelineTableModel
    assert [(timeline.index(r, t.COL_JOURNEY).data(), timeline.index(r, t.COL_EVENT).data())
            for r in range(timeline.rowCount())] == [
        ("", "Event: cart_updated"),
        ("Welcome", "Entered"), ("Welcome", "Push message"),
        ("Autumn", "Entered"), ("Autumn", "Push message"),
        ("", "Event: app_open"),
        ("Welcome", "Email message"), ("Autumn", "Email message"),
        ("", "Event: purchase"),
    ]
    times = column(timeline, t.COL_TIME)
    assert times == sorted(times)
    assert timeline.index(0, t.COL_DETAIL).data() == "cartId: A"


def _opened_from(qtbot, main_window) -> CustomersWindow:  # type: ignore[no-untyped-def]
    main_window.action_customers.trigger()
    [window] = [w for w in QApplication.topLevelWidgets()
                if isinstance(w, CustomersWindow) and w.isVisible()]
    qtbot.waitUntil(lambda: not window.loading and window.list_model.rowCount() > 0,
                    timeout=5000)
    return window


@pytest.mark.both_databases
def test_a_customers_import_shows_in_the_open_window(  # type: ignore[no-untyped-def]
        qtbot, customers, main_window, tmp_path) -> None:
    from tests.ui.test_import_dialog import close_result, dialog_named

    window = _opened_from(qtbot, main_window)
    search(qtbot, window, "c-04")
    assert window.page_label.text() == "Customers 1–1 whose ID starts with “c-04” (page 1)"
    path = tmp_path / "more.csv"
    path.write_text("customerId,firstName\nc-04x,Zoë\nc-04,Nina\n", encoding="utf-8")
    controller = main_window.import_customers(str(path))
    with qtbot.waitSignal(controller.customers_imported, timeout=10_000):
        dialog_named("import_preview_dialog").accept()
    # Told by the main window: the page shown and the selected customer are read again.
    qtbot.waitUntil(lambda: column(window.list_model, 0) == ["c-04", "c-04x"], timeout=5000)
    qtbot.waitUntil(lambda: window.fields_model.index(0, 1).data() == "Nina", timeout=5000)
    assert window.title_label.text() == "c-04"
    assert window.page_label.text() == "Customers 1–2 whose ID starts with “c-04” (page 1)"
    close_result(qtbot, controller)


def test_view_refresh_and_f5_read_the_customers_again(  # type: ignore[no-untyped-def]
        qtbot, customers, repo, tmp_path) -> None:
    window = make_window(qtbot)
    assert window.page_label.text() == "Customers 1–30 of 30 (page 1)"
    [refresh] = window.findChild(QMenu, "customers_view_menu").actions()
    assert refresh.text() == "&Refresh" and refresh.shortcut().toString() == "F5"
    for customer in ("a-1", "a-2"):
        path = tmp_path / f"{customer}.csv"
        path.write_text(f"customerId\n{customer}\n", encoding="utf-8")
        AudienceStore(repo).import_profiles(
            ImportPlan.from_preview(preview_csv(path))).rejects.close()
        with qtbot.waitSignal(window.page_shown, timeout=5000):
            if customer == "a-1":
                refresh.trigger()
            else:
                qtbot.keyClick(window, Qt.Key.Key_F5)
        assert customer in column(window.list_model, 0)
    assert window.page_label.text() == "Customers 1–32 of 32 (page 1)"


@pytest.mark.both_databases
def test_a_draft_for_everyone_lists_every_customer(  # type: ignore[no-untyped-def]
        qtbot, customers, repo) -> None:
    everyone = journey_from(two_messages_a_day_apart(), name="Everyone")
    everyone.audience = AUDIENCE_ALL
    repo.create(everyone, now=NOW)
    window = make_window(qtbot)
    search(qtbot, window, "c-04")
    select(qtbot, window, 0)
    journeys = window.journeys_model
    assert [[journeys.index(r, c).data() for c in range(4)][:3] for r in range(3)] == [
        ["Autumn", "Active", "1"], ["Everyone", "Draft", "0"], ["Welcome", "Active", "1"]]
    assert journeys.index(1, journeys.COL_NEXT_CHECK).data() == "when activated"
    assert window.subtitle_label.text().startswith("In 3 journeys")
