"""What changed a journey's figures, in words: the main window tells the statistics and
forecast windows (through ``ChildWindows``), which refresh or say they are out of date."""

from __future__ import annotations

TICK_CHANGE = "the evaluator checked customers"
AUDIENCE_IMPORT_CHANGE = "an audience was imported"
CUSTOMERS_IMPORT_CHANGE = "customers were imported"
ACTIVATION_CHANGE = "the journey was activated"
DEACTIVATION_CHANGE = "the journey was deactivated"
DELIVERY_REPORT_CHANGE = "a delivery report was applied"
