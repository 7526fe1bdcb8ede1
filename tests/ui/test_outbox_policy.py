"""The outbox and statistics windows with a messaging policy (SPEC §13): send at, status
and its filter; held and suppressed messages in the figures."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QFrame

from journey_desktop.domain.policy import Cap, Policy, QuietHours
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.policy import save_policy
from journey_desktop.ui.outbox import OutboxWindow
from journey_desktop.ui.outbox.model import COL_CUSTOMER, COL_DUE, COL_SEND, COL_STATUS
from journey_desktop.ui.stats import StatsWindow
from tests.store.evaluator_support import MADRID, activate
from tests.store.test_evaluator_policy import at, journey


def test_send_at_status_and_the_status_filter(qtbot, repo):
    save_policy(Policy(timezone_field="tz", quiet=(QuietHours.parse("21:00-09:00"),),
                       caps=(Cap.parse("any:1/day"),)))
    late = at(2027, 1, 5, 23, tz=MADRID)
    first = activate(repo, journey("First"), {"held": {"tz": "Europe/Madrid"}}, late)
    activate(repo, journey("Second"), {}, late)
    database.execute_sql("INSERT INTO member (journey_id, external_id, entries, next_check_at,"
                         " imported_at) SELECT id, 'held', 0, ?, ? FROM journey WHERE id <> ?",
                         (late, late, first))
    Evaluator(tz=MADRID).tick(late)
    window = OutboxWindow(repo, None, tz=MADRID, clock=lambda: late)
    qtbot.addWidget(window)
    window.show()
    model = window.table.model()
    rows = {model.index(r, COL_STATUS).data(): (model.index(r, COL_DUE).data(),
                                                model.index(r, COL_SEND).data())
            for r in range(model.rowCount())}
    assert rows == {"held": ("2027-01-05 23:00", "2027-01-06 09:00"),
                    "suppressed (cap any:1/day)": ("2027-01-05 23:00", "2027-01-06 09:00")}
    assert window.count_label.text() == "2 messages · 0 not exported yet"
    combo = window.status_filter
    combo.setCurrentIndex(combo.findData("held"))
    assert model.rowCount() == 1
    assert model.index(0, COL_CUSTOMER).data() == "held"
    assert not window.export_new_button.isEnabled()


def test_statistics_say_how_many_messages_are_held_and_suppressed(qtbot, repo):
    save_policy(Policy(timezone_field="tz", quiet=(QuietHours.parse("21:00-09:00"),),
                       caps=(Cap.parse("any:1/day"),)))
    late = at(2027, 1, 5, 23, tz=MADRID)
    first = activate(repo, journey("First"), {"a": {"tz": "Europe/Madrid"},
                                              "b": {"tz": "Europe/Madrid"}}, late)
    Evaluator(tz=MADRID).tick(late)
    database.execute_sql("UPDATE outbox SET status = 'suppressed', reason = 'cap any:1/day'"
                         " WHERE external_id = 'b'")
    window = StatsWindow(repo, first, tz=MADRID, clock=lambda: late)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.stats_loaded, timeout=10000):
        pass
    assert window.findChild(QFrame, "stats_messages_box").toolTip() == (
        "Messages written to the outbox; 1 held now (quiet hours, rate limit);"
        " 1 suppressed (cap any:1/day)")


PUSH_THEN_EMAIL = [
    {"id": "hello", "type": "message", "channel": "push", "title": "Hi", "body": "News",
     "next": "pause"},
    {"id": "pause", "type": "wait", "duration": {"value": 1, "unit": "days"}, "next": "mail"},
    {"id": "mail", "type": "message", "channel": "email", "subject": "Hi", "body": "More",
     "next": "end"},
]


def test_statistics_chart_held_and_suppressed_messages_per_day(qtbot, repo):
    """Quiet hours hold pushes and skip emails: the pushes of 5 January are held, the
    emails of 6 January suppressed, and the third chart says so day by day."""
    save_policy(Policy(timezone_field="tz", quiet=(
        QuietHours.parse("21:00-09:00", "push", "hold"),
        QuietHours.parse("21:00-09:00", "email", "skip"))))
    late = at(2027, 1, 5, 23, tz=MADRID)
    customers = {name: {"tz": "Europe/Madrid"} for name in ("a", "b")}
    held_journey = activate(repo, journey("Evening", nodes=PUSH_THEN_EMAIL), customers, late)
    Evaluator(tz=MADRID).tick(late)
    Evaluator(tz=MADRID).tick(at(2027, 1, 6, 9, tz=MADRID))  # the pushes are released
    Evaluator(tz=MADRID).tick(at(2027, 1, 6, 23, tz=MADRID))  # the emails fall in quiet hours
    assert sorted(database.execute_sql(
        "SELECT node, status, reason FROM outbox WHERE journey_id = ?", (held_journey,))) == [
        ("hello", "ready", None), ("hello", "ready", None),
        ("mail", "suppressed", "quiet_hours"), ("mail", "suppressed", "quiet_hours")]

    window = StatsWindow(repo, held_journey, tz=MADRID, days=7,
                         clock=lambda: at(2027, 1, 7, 10, tz=MADRID))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.stats_loaded, timeout=10000):
        pass
    chart = window.policy_chart
    assert chart.isVisible()
    assert chart.chart.title() == "Held and suppressed per day"
    assert chart.days[0] == dt.date(2027, 1, 1) and chart.days[-1] == dt.date(2027, 1, 7)
    assert chart.labels() == ["Held", "Suppressed"]
    assert chart.values("Held") == [0, 0, 0, 0, 2, 0, 0]
    assert chart.values("Suppressed") == [0, 0, 0, 0, 0, 2, 0]
    assert window.messages_chart.values("Push") == [0, 0, 0, 0, 2, 0, 0]  # held, then sent
    assert window.messages_chart.labels() == ["Push"]  # suppressed emails were not written

    plain = activate(repo, journey("Noon"), {"c": {"tz": "Europe/Madrid"}},
                     at(2027, 1, 7, 12, tz=MADRID))
    Evaluator(tz=MADRID).tick(at(2027, 1, 7, 12, tz=MADRID))
    other = StatsWindow(repo, plain, tz=MADRID, days=7,
                        clock=lambda: at(2027, 1, 7, 13, tz=MADRID))
    qtbot.addWidget(other)
    other.show()
    with qtbot.waitSignal(other.stats_loaded, timeout=10000):
        pass
    assert other.messages_chart.values("Push") == [0, 0, 0, 0, 0, 0, 1]
    assert not other.policy_chart.isVisible()  # nothing held or suppressed: no third chart
