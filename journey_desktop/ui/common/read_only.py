"""A database role that may only read (SPEC §14): how every window greys out what would
write, and says why."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from journey_desktop.store import store_is_read_only
from journey_desktop.store.postgres import READ_ONLY_ROLE
from journey_desktop.ui.common.formatting import sentence

READ_ONLY_TIP = sentence(READ_ONLY_ROLE)


def refuse_writes(*widgets: QWidget) -> bool:
    """Grey out ``widgets`` (buttons that write) with the reason as their tooltip when the
    open database may only be read; returns whether it may only be read."""
    if not store_is_read_only():
        return False
    for widget in widgets:
        widget.setEnabled(False)
        widget.setToolTip(READ_ONLY_TIP)
    return True
