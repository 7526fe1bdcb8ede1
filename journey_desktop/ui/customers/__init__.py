"""The customers window: the customer base, searched by ID, one customer at a time."""

from journey_desktop.ui.customers.window import CustomersWindow

__all__ = ["CustomersWindow"]
