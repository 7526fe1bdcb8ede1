"""The columns of an events file (SPEC §11): which header is the customer ID, the event
name, the timestamp and the message ID, what is missing, and what to say when a file meant
for another import is given (an events file as customers, customers as events)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from journey_desktop.domain.audience_csv import find_column

# SPEC §11: §4's ID headers plus userId (before the generic ``id``, which event exports
# often use for the event itself).
ID_COLUMN_NAMES = ("customerId", "externalId", "externalCode", "userId", "id")
EVENT_COLUMN_NAMES = ("event", "name")
TIMESTAMP_COLUMN_NAMES = ("timestamp",)
MESSAGE_ID_COLUMN_NAMES = ("messageId",)
JSON_LINES_COLUMNS = ["userId", "event", "timestamp", "messageId", "properties"]


def events_hint(header: Sequence[str], first_line: str = "") -> str | None:
    """What to say when an events file is given where customers were expected: its
    columns include an event name and a timestamp, or its first line (as written, before
    the CSV reader takes its quotes away) is a JSON object with an event."""
    if _is_json_event(first_line):
        return ("This looks like an events file (JSON Lines with userId, event, timestamp), "
                "not a list of customers: import it with Import events… "
                "(journey-desktop events import).")
    event = find_column(header, ("event",))  # not "name": customers have names
    timestamp = find_column(header, TIMESTAMP_COLUMN_NAMES)
    if event is None or timestamp is None:
        return None
    return (f"This looks like an events file (columns {event}, {timestamp}), not a list of "
            "customers: import it with Import events… (journey-desktop events import).")


def _is_json_event(line: str) -> bool:
    line = line.strip()
    if not line.startswith("{"):
        return False
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and "event" in data


def customers_hint(id_column: str | None, event: str | None, timestamp: str | None) -> str | None:
    """What to say when a customers file is given where events were expected: it has a
    customer ID column but neither an event name nor a timestamp (the twin of
    ``events_hint``)."""
    if id_column is None or event is not None or timestamp is not None:
        return None
    return (f"This looks like a list of customers (column {id_column}, no event or timestamp), "
            "not events: import it with Import customers… or Import audience… "
            "(journey-desktop customers import, audience import).")


def columns_problem(id_column: str | None, event: str | None, timestamp: str | None
                    ) -> str | None:
    """Why a CSV file with these columns (None: not found) cannot be read as events."""
    hint = customers_hint(id_column, event, timestamp)
    if hint is not None:
        return hint
    id_needed = f"a customer ID ({', '.join(ID_COLUMN_NAMES)})"
    missing = [what for what, column in (
        (id_needed, id_column),
        ("an event name (event or name)", event), ("a timestamp (timestamp)", timestamp),
    ) if column is None]
    if not missing:
        return None
    if missing == [id_needed]:  # the one column the user can choose (preview, --id-column)
        return (f"An events file needs a column for {id_needed}; this one has none by those "
                "names: choose the customer ID column.")
    return f"An events file needs columns for {', '.join(missing)}; this one has none for " + (
        "them." if len(missing) > 1 else "it.")
