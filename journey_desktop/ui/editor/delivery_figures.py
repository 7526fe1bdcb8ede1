"""What the delivery reports said, on the message cards of a read-only journey (SPEC §15):
read off the GUI thread from the statistics window's own store function, so the card and
the Delivery tab can never count differently."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from journey_desktop.domain.delivery import card_details, card_line
from journey_desktop.services.workers import JobControl
from journey_desktop.store.delivery import node_delivery, node_totals
from journey_desktop.ui.common.jobs import run_job
from journey_desktop.ui.editor.canvas import JourneyCanvas

log = logging.getLogger(__name__)

Figures = dict[str, tuple[str, list[str]]]  # message node -> the card's line, the tooltip's


def figures_job(control: JobControl, journey_id: int) -> Figures:
    """Each message node some report named: its line and its tooltip's lines."""
    figures: Figures = {}
    for node, total in node_totals(node_delivery(journey_id)).items():
        line = card_line(total.reached)
        if line:
            figures[node] = (line, card_details(total.written, total.reached))
    return figures


class DeliveryFigures(QObject):
    """Puts a journey's delivery figures on its canvas's message cards, read as a job."""

    delivery_loaded = Signal()  # the cards show what the database holds now

    def __init__(self, canvas: JourneyCanvas, journey_id: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.journey_id = journey_id

    def refresh(self) -> None:
        """Read the figures again (after a report, a tick) and show them when read."""
        run_job(figures_job, self._on_job_done, self._on_job_failed, self.journey_id)

    @Slot(object)
    def _on_job_done(self, figures: Figures) -> None:
        self.canvas.set_delivery_figures(figures)
        self.delivery_loaded.emit()

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        # The figures are an extra on the cards: a busy database leaves them as they were.
        log.info("delivery figures not read: %s", message)
        self.delivery_loaded.emit()
