"""Actions that open a window: the editor, statistics, forecast, outbox and customers
(each through the one ``ChildWindows`` manager)."""

from __future__ import annotations

from PySide6.QtCore import Slot

from journey_desktop.ui.main.base import MainWindowBase


class ViewActionsMixin(MainWindowBase):
    """Open the editor and the statistics, forecast, outbox and customers windows."""

    @Slot(int)
    def open_editor(self, journey_id: int, node_id: str | None = None) -> None:
        """Open the editor on a journey (read-only unless a draft), at a node if given."""
        with self.refusals("Open journey"):
            editor = self.child_windows.open_editor(journey_id)
            if node_id:
                editor.select_node(node_id)

    @Slot(int)
    def _on_editor_journey_saved(self, journey_id: int) -> None:
        self.refresh(select_id=journey_id)

    @Slot(int)
    def _on_editor_clone_opened(self, journey_id: int) -> None:
        self.refresh(select_id=journey_id)
        self.open_editor(journey_id)

    @Slot()
    def _on_stats_triggered(self) -> None:
        """Show the selected journey's statistics."""
        journey_id = self.selected_journey_id()
        if journey_id is None:
            return
        from journey_desktop.ui.stats import StatsWindow

        with self.refusals("Statistics"):
            window, created = self.child_windows.show_view(
                "stats", journey_id, lambda: StatsWindow(self.repository, journey_id))
            if created and isinstance(window, StatsWindow):
                window.node_counts_requested.connect(self._on_stats_node_counts_requested)

    @Slot(int, dict)
    def _on_stats_node_counts_requested(self, journey_id: int, counts: dict[str, int]) -> None:
        self.open_editor(journey_id)
        editor = self.child_windows.editor(journey_id)
        if editor is not None:
            editor.set_node_counts(counts)

    @Slot()
    def _on_outbox_triggered(self) -> None:
        """Show the outbox, filtered on the selected journey if any."""
        from journey_desktop.ui.outbox import OutboxWindow

        journey_id = self.selected_journey_id()
        window, _created = self.child_windows.show_view("outbox", None,
                                                   lambda: OutboxWindow(self.repository))
        if isinstance(window, OutboxWindow):
            window.set_journey(journey_id)

    @Slot()
    def _on_customers_triggered(self) -> None:
        """Show the customer base (one window for the whole database)."""
        from journey_desktop.ui.customers import CustomersWindow

        self.child_windows.show_view("customers", None, CustomersWindow)

    @Slot()
    def _on_forecast_triggered(self) -> None:
        """Open the forecast of the selected journey."""
        journey_id = self.selected_journey_id()
        if journey_id is None:
            return
        from journey_desktop.ui.forecast import ForecastWindow

        with self.refusals("Forecast"):
            self.child_windows.show_view("forecast", journey_id,
                                    lambda: ForecastWindow(self.repository, journey_id))
