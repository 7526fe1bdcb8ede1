"""The event names and property paths the editor offers, read from the latest events."""

from __future__ import annotations

import pytest

from journey_desktop.store.events import EventStore
from tests.store.test_events import import_file, write


@pytest.mark.both_databases
def test_seen_names_and_nested_property_paths_come_from_the_latest_events(store, tmp_path):
    path = write(tmp_path, "e.jsonl", "\n".join([
        '{"userId": "c1", "event": "cart_updated", "timestamp": 1740819600, '
        '"properties": {"cartId": "A", "cart": {"total": 20, "items": [1, 2]}}}',
        '{"userId": "c1", "event": "purchase", "timestamp": 1740819700, '
        '"properties": {"cartId": "A", "coupon": "X", "gift wrap": null, "meta": {},'
        ' "lines": [{"sku": "s1"}], "ship": {"to": {"zip": "1000"}}}}',
        '{"userId": "c2", "event": "old_name", "timestamp": 1740819800, '
        '"properties": {"legacy": 1}}',
    ]) + "\n")
    import_file(path)
    events = EventStore()
    assert events.seen_names() == ["cart_updated", "old_name", "purchase"]
    assert events.seen_properties() == ["cart.total", "cartId", "coupon", "gift wrap", "legacy",
                                        "ship.to.zip"]
    assert events.seen_names(sample=2) == ["old_name", "purchase"]
    assert events.seen_properties(sample=1) == ["legacy"]
