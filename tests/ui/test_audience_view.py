"""The audience viewer: pages of customers with their fields, searchable by ID."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.journey import minimal_journey
from journey_desktop.store.audience import AudienceStore
from journey_desktop.store.repository import JourneyRepository
from journey_desktop.ui.audience_view import AudienceDialog, AudienceTableModel, AudienceView


@pytest.fixture
def journey_id(repo: JourneyRepository, tmp_path: Path) -> int:
    journey_id = repo.create(minimal_journey("Welcome"))
    rows = "".join(f"c{i:03d},Name {i},{i % 7}\n" for i in range(250))
    path = tmp_path / "audience.csv"
    path.write_text("customerId,firstName,score\n" + rows, encoding="utf-8")
    AudienceStore(repo).import_csv(
        journey_id, ImportPlan.from_preview(preview_csv(path))).rejects.close()
    return journey_id


def make_view(qtbot, repo: JourneyRepository, journey_id: int) -> AudienceView:  # type: ignore[no-untyped-def]
    view = AudienceView(repo, journey_id, page_size=100)
    qtbot.addWidget(view)
    view.show()
    return view


def column(view: AudienceView, col: int) -> list[object]:
    model = view.table.model()
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_pages_through_the_audience(qtbot, repo: JourneyRepository, journey_id: int) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, repo, journey_id)
    model = view.table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Customer ID", "firstName", "score", "Entries"]
    assert model.rowCount() == 100
    assert [model.index(0, c).data() for c in range(4)] == ["c000", "Name 0", "0", 0]
    assert view.page_label.text() == "1–100 of 250 customers (page 1 of 3)"
    assert not view.previous_button.isEnabled() and view.next_button.isEnabled()

    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert column(view, 0)[0] == "c100"
    assert view.page_label.text() == "101–200 of 250 customers (page 2 of 3)"
    qtbot.mouseClick(view.last_button, Qt.MouseButton.LeftButton)
    assert column(view, 0)[0] == "c200" and len(column(view, 0)) == 50
    assert view.page_label.text() == "201–250 of 250 customers (page 3 of 3)"
    assert not view.next_button.isEnabled()
    qtbot.mouseClick(view.previous_button, Qt.MouseButton.LeftButton)
    assert column(view, 0)[0] == "c100"
    qtbot.mouseClick(view.first_button, Qt.MouseButton.LeftButton)
    assert column(view, 0)[0] == "c000"


def test_search_by_id(qtbot, repo: JourneyRepository, journey_id: int) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, repo, journey_id)
    with qtbot.waitSignal(view.page_shown, timeout=5000):
        qtbot.keyClicks(view.search_box, "c12")
    assert column(view, 0) == [f"c{i}" for i in range(120, 130)]
    assert view.page_label.text() == "1–10 of 10 customers whose ID starts with “c12” (page 1 of 1)"
    view.search_box.setText("zz")
    view.refresh()
    assert column(view, 0) == []
    assert view.page_label.text() == "No customer ID starts with “zz”."


def test_empty_audience(qtbot, repo: JourneyRepository) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, repo, repo.create(minimal_journey("Empty")))
    assert view.page_label.text() == "No customers yet: import an audience from a CSV file."
    assert not view.next_button.isEnabled() and not view.last_button.isEnabled()


def test_dialog_title_and_model(  # type: ignore[no-untyped-def]
    qtbot, qtmodeltester, repo: JourneyRepository, journey_id: int
) -> None:
    dialog = AudienceDialog(repo, journey_id)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Audience of “Welcome”"
    assert isinstance(dialog.view.table.model(), AudienceTableModel)
    qtmodeltester.check(dialog.view.table.model())
