"""CSV event properties typed as customer fields (SPEC §11, §4): a column of numbers is
stored as numbers, so a CSV event and a JSON Lines event of the same cart match through
``same``; keys still hash the properties as text, so files imported before are found
again."""

from __future__ import annotations

from pathlib import Path

import pytest

from journey_desktop.domain.event_values import event_key
from journey_desktop.domain.events_file import EventPlan, preview_events
from journey_desktop.store.db import database
from journey_desktop.store.events import EventStore
from tests.store.evaluator_support import activate, outbox
from tests.store.test_evaluator_events import CART, T0, ev, import_events, journey, tick

pytestmark = pytest.mark.both_databases


def import_csv(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    result = EventStore().import_file(EventPlan.from_preview(preview_events(path, max_rows=0)),
                                      now=T0)
    result.rejects.close()
    return result


def test_a_csv_event_and_a_json_lines_event_of_the_same_cart_match(repo, tmp_path):
    jid = activate(repo, journey({"name": "cart", "who": "anyone"}, nodes=CART), {}, T0)
    # u1's cart comes from a CSV file, its purchase from JSON Lines; u2's the other way.
    import_csv(tmp_path, "carts.csv", f"userId,event,timestamp,cartId\nu1,cart,{T0 + 60},5\n")
    import_events(tmp_path, [ev("u2", "cart", T0 + 60, cartId=7)])
    tick(T0 + 120)
    import_events(tmp_path, [ev("u1", "purchase", T0 + 600, cartId=6, total=1),
                             ev("u1", "purchase", T0 + 900, cartId=5, total=42)], "p.jsonl")
    import_csv(tmp_path, "p.csv", "userId,event,timestamp,cartId,total\n"
               f"u2,purchase,{T0 + 700},7,\"9,5\"\n")
    tick(T0 + 1200)
    assert [(r[0], r[2], r[5]) for r in outbox(jid)] == [
        ("u1", "thanks", "You paid 42 for 5"), ("u2", "thanks", "You paid 9.5 for 7")]


def test_a_numeric_csv_property_is_stored_and_filtered_as_a_number(repo, tmp_path):
    over_9 = {"field": "total", "op": "gt", "value": 9}  # 10 and 80 are; as text, neither
    jid = activate(repo, journey({"name": "cart", "who": "anyone",
                                  "filter": {"match": "all", "conditions": [over_9]}}), {}, T0)
    import_csv(tmp_path, "e.csv", "userId;event;timestamp;total\n"
               f"u1;cart;{T0 + 60};10\nu2;cart;{T0 + 60};8,5\nu3;cart;{T0 + 60};80\n")
    assert [e.properties for u in ("u1", "u2", "u3") for e in EventStore().events_for(u)] == [
        {"total": 10}, {"total": 8.5}, {"total": 80}]
    tick(T0 + 120)
    assert [r[0] for r in outbox(jid)] == ["u1", "u3"]


def test_the_same_csv_imported_again_is_all_duplicates_keyed_as_before(store, tmp_path):
    text = f"userId,event,timestamp,cartId,total\nu1,cart,{T0},5,12.50\nu2,cart,{T0},6,3\n"
    first = import_csv(tmp_path, "e.csv", text)
    again = import_csv(tmp_path, "e.csv", text)
    assert (first.added, again.added, again.duplicates) == (2, 0, 2)
    keys = [key for (key,) in database.execute_sql("SELECT event_key FROM event ORDER BY seq")]
    # The key of the text properties, as an import before they were typed stored them.
    assert keys == [
        event_key("", "u1", "cart", T0 * 1000, '{"cartId":"5","total":"12.50"}'),
        event_key("", "u2", "cart", T0 * 1000, '{"cartId":"6","total":"3"}')]


def test_a_cart_given_as_text_in_one_file_and_a_number_in_another_matches(repo, tmp_path):
    """``same`` compares the values as written: a JSON Lines "5" (text, or a CSV read
    before numbers were typed) is the cart a CSV 5 names, and 5 is not 50 or "05"."""
    jid = activate(repo, journey({"name": "cart", "who": "anyone"}, nodes=CART), {}, T0)
    import_events(tmp_path, [ev("u1", "cart", T0 + 60, cartId="5"),
                             ev("u2", "cart", T0 + 60, cartId="05")])
    tick(T0 + 120)
    import_csv(tmp_path, "p.csv", "userId,event,timestamp,cartId,total\n"
               f"u1,purchase,{T0 + 600},50,1\nu1,purchase,{T0 + 900},5,42\n"
               f"u2,purchase,{T0 + 900},5,7\n")
    tick(T0 + 1200)
    assert [(r[0], r[2], r[5]) for r in outbox(jid)] == [("u1", "thanks", "You paid 42 for 5")]
