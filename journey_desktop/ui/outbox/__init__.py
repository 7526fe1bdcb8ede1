"""The outbox window: the paged table model, the export job and the window, apart."""

from journey_desktop.ui.outbox.window import OutboxWindow

__all__ = ["OutboxWindow"]
