"""The journey table model and its filter proxy, without the window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.repository import JourneySummary
from journey_desktop.ui.journey_table import (
    COL_AUDIENCE,
    COL_NAME,
    COL_STATUS,
    COL_UPDATED,
    COL_VALIDITY,
    JOURNEY_ID_ROLE,
    SORT_ROLE,
    JourneyFilterProxy,
    JourneyTableModel,
    rows_for,
)

VALID = minimal_journey("x").to_json()


def invalid_definition() -> str:
    journey = minimal_journey("x")
    journey.nodes[1].content["title"] = ""
    journey.nodes[1].next = "nowhere"
    return journey.to_json()


def summary(jid: int, name: str, status: str = "draft", audience: int = 0,
            definition: str = VALID, updated_at: int = 1_700_000_000) -> JourneySummary:
    return JourneySummary(id=jid, name=name, status=status, audience=audience, entered=0,
                          in_progress=0, messages=0, updated_at=updated_at + jid,
                          definition=definition)


@pytest.fixture
def summaries() -> list[JourneySummary]:
    return [
        summary(1, "Birthday greetings", "active", audience=9),
        summary(2, "welcome series", "draft", audience=10),
        summary(3, "Spring promo", "deactivated", audience=100),
        summary(4, "Broken draft", "draft", definition=invalid_definition()),
    ]


@pytest.fixture
def proxy(qtbot, summaries) -> JourneyFilterProxy:  # type: ignore[no-untyped-def]
    model = JourneyTableModel()
    model.set_summaries(summaries)
    proxy = JourneyFilterProxy()
    proxy.setSourceModel(model)
    proxy.model_ref = model  # type: ignore[attr-defined]  # keep the source alive
    return proxy


def test_table_model_and_proxy_pass_the_model_tester(qtmodeltester, summaries):
    model = JourneyTableModel()
    model.set_summaries(summaries)
    qtmodeltester.check(model, force_py=True)
    proxy = JourneyFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search_text("e")
    proxy.sort(COL_AUDIENCE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy, force_py=True)


def test_sort_uses_native_values_not_display_text(proxy):
    proxy.sort(COL_AUDIENCE, Qt.SortOrder.AscendingOrder)
    assert rows_for(proxy, COL_AUDIENCE) == ["0", "9", "10", "100"]
    assert proxy.index(0, COL_AUDIENCE).data(SORT_ROLE) == 0
    proxy.sort(COL_NAME, Qt.SortOrder.AscendingOrder)  # case-insensitive
    assert rows_for(proxy) == ["Birthday greetings", "Broken draft", "Spring promo",
                               "welcome series"]
    proxy.sort(COL_UPDATED, Qt.SortOrder.DescendingOrder)
    assert [proxy.journey_id(r) for r in range(4)] == [4, 3, 2, 1]


def test_search_is_case_insensitive_and_combines_with_status(proxy):
    proxy.set_search_text("  SPRING ")
    assert rows_for(proxy) == ["Spring promo"]
    proxy.set_search_text("b")
    proxy.set_status_filter("draft")
    assert sorted(rows_for(proxy)) == ["Broken draft"]
    proxy.set_search_text("")
    assert sorted(rows_for(proxy)) == ["Broken draft", "welcome series"]
    proxy.set_status_filter("")
    assert proxy.rowCount() == 4


def test_status_badge_text_and_validity_mark_on_drafts_only(proxy):
    by_name = {proxy.index(r, COL_NAME).data(): r for r in range(proxy.rowCount())}

    def cell(name: str, column: int, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        return proxy.index(by_name[name], column).data(role)

    assert cell("Birthday greetings", COL_STATUS) == "Active"
    assert cell("Spring promo", COL_STATUS) == "Deactivated"
    assert cell("welcome series", COL_VALIDITY) == "✓ Ready"
    assert cell("Broken draft", COL_VALIDITY).startswith("✗ ")
    assert "errors" in cell("Broken draft", COL_VALIDITY)
    assert "message.title" in cell("Broken draft", COL_VALIDITY, Qt.ItemDataRole.ToolTipRole)
    assert cell("Birthday greetings", COL_VALIDITY) == ""
    assert cell("Spring promo", COL_NAME, JOURNEY_ID_ROLE) == 3


def test_validity_is_recomputed_only_for_changed_drafts(proxy, summaries, monkeypatch):
    import journey_desktop.ui.journey_table as table

    calls: list[int] = []
    real = table.draft_validity
    monkeypatch.setattr(table, "draft_validity", lambda s: calls.append(s.id) or real(s))
    model = proxy.sourceModel()
    changed = summary(2, "welcome series", "draft", audience=10, updated_at=1_800_000_000)
    model.set_summaries([summaries[0], changed, summaries[2], summaries[3]])
    assert calls == [2]


def test_many_new_drafts_are_validated_after_showing(qtbot, summaries, monkeypatch):
    monkeypatch.setattr(JourneyTableModel, "INLINE_VALIDATIONS", 1)
    monkeypatch.setattr(JourneyTableModel, "SLICE_VALIDATIONS", 1)
    model = JourneyTableModel()
    with qtbot.waitSignal(model.validity_completed, timeout=5000):
        model.set_summaries(summaries)
        assert model.validating
        pending = [model.index(r, COL_VALIDITY).data() for r in range(model.rowCount())]
        assert pending.count("…") == 2  # the two drafts, shown as being checked
    marks = sorted(model.index(r, COL_VALIDITY).data() for r in range(model.rowCount()))
    assert marks[2] == "✓ Ready" and marks[3].startswith("✗")
    assert not model.validating
