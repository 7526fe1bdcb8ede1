"""The message preview: what the evaluator writes to the outbox for the same customer."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QToolButton

from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from tests.conftest import add_members
from tests.store.evaluator_support import MADRID, journey_from, local
from tests.store.test_placeholders import HELLO, sale_journey
from tests.ui.editor_helpers import open_editor, panel_widget


def _shown(label: QLabel) -> list[str]:
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText().split("\n")


def _preview_for(qtbot, window, customer_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    window.select_node("hello")
    preview = window.panel.findChild(QLabel, "message_preview")
    edit = panel_widget(window, QLineEdit, "preview_customer_edit")
    edit.setText(customer_id)
    edit.returnPressed.emit()
    qtbot.waitUntil(preview.isVisible, timeout=5000)
    return _shown(preview)


def test_the_preview_is_what_a_real_tick_writes_to_the_outbox(qtbot, repo):
    start = local(2025, 3, 3)
    journey_id = repo.create(journey_from(sale_journey(), name="Spring sale"), now=start)
    add_members(journey_id, {"c1": {"firstName": "Ann", "city": "Paris"},
                             "c2": {"firstName": ""}}, start)
    window = open_editor(qtbot, repo, journey_id)
    previews = {c: _preview_for(qtbot, window, c) for c in ("c1", "c2")}
    assert previews["c2"][0] == "Hi there #1"  # the default, and the built-in
    window.close()
    assert repo.activate(journey_id, now=start).ok
    Evaluator(tz=MADRID).tick(start)
    written = {
        row[0]: [row[1], row[2], row[3]]
        for row in database.execute_sql(
            "SELECT external_id, title, body, url FROM outbox WHERE node = 'hello'")
    }
    assert written == previews


def test_random_member_and_edits_show_at_once(qtbot, repo):
    start = local(2025, 3, 3)
    journey_id = repo.create(journey_from(sale_journey(), name="Spring sale"), now=start)
    add_members(journey_id, {"c1": {"firstName": "Ann"}}, start)
    window = open_editor(qtbot, repo, journey_id)
    window.select_node("hello")
    panel_widget(window, QPushButton, "preview_random_button").click()
    preview = window.panel.findChild(QLabel, "message_preview")
    qtbot.waitUntil(preview.isVisible, timeout=5000)
    assert panel_widget(window, QLineEdit, "preview_customer_edit").text() == "c1"
    title = panel_widget(window, QLineEdit, "field_title")
    title.setText("Hello {{firstName}}")
    title.textEdited.emit(title.text())
    assert _shown(preview)[0] == "Hello Ann"
    assert HELLO["title"] != title.text()
    window.document.undo_stack.setClean()


def test_unknown_placeholders_are_flagged_before_any_audience(qtbot, repo):
    other = repo.create(journey_from(sale_journey(), name="Other"))
    repo.set_audience_columns(other, {"firstName": "text", "city": "text"})
    draft = repo.create(journey_from(sale_journey(), name="Draft"))
    window = open_editor(qtbot, repo, draft)
    window.select_node("hello")
    title = panel_widget(window, QLineEdit, "field_title")
    title.setText("Hi {{nickname}}")
    title.textEdited.emit(title.text())
    words = [p.words for p in window.document.validation.warnings]
    assert "Title: placeholder {{nickname}} is not a known customer field" in words
    menu = panel_widget(window, QToolButton, "placeholder_button").menu()
    offered = [a.data() for a in menu.actions() if a.data()]
    assert offered[:2] == ["firstName", "city"] and "customerId" in offered
    window.document.undo_stack.setClean()


def test_the_picker_offers_the_fields_of_customers_imported_alone(qtbot, repo, tmp_path):
    from journey_desktop.store.audience import AudienceStore
    from tests.store.test_customer_base import closed, plan_of

    store = AudienceStore(repo)
    closed(store.import_profiles(plan_of(tmp_path, "customerId,firstName\nc1,Ann\n")))
    journey_id = repo.create(journey_from(sale_journey(), name="Spring sale"))
    closed(store.import_csv(journey_id, plan_of(tmp_path, "customerId,score\nc1,5\n", "a2.csv")))
    window = open_editor(qtbot, repo, journey_id)
    window.select_node("hello")
    menu = panel_widget(window, QToolButton, "placeholder_button").menu()
    offered = [a.data() for a in menu.actions() if a.data()]
    assert offered[:2] == ["firstName", "score"]
    assert not [p for p in window.document.validation.warnings if "firstName" in p.message]
