"""The outbox and statistics windows with a messaging policy (SPEC §13): send at, status
and its filter; held and suppressed messages in the figures."""

from __future__ import annotations

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
