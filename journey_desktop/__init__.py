"""Journey Desktop: plan, validate and run customer journeys offline."""

__version__ = "0.1.0"
APP_NAME = "Journey Desktop"
