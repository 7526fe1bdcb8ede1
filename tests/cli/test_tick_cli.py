"""``tick`` end to end from the command line: a journey that fails, a customer removed and
added again, columns with odd names — through ``create``, ``audience import`` and ``activate``
as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from tests.store.evaluator_support import journey_from, two_messages_a_day_apart

pytestmark = pytest.mark.both_databases
T0 = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)  # after activation, which uses the clock


def at(days: int) -> str:
    return (T0 + dt.timedelta(days=days)).isoformat()


def create(cli: Callable[..., Any], tmp_path: Path, nodes: list[dict[str, Any]], name: str,
           **activation: Any) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(journey_from(nodes, name=name, **activation).to_json(), encoding="utf-8")
    result = cli("create", str(path))
    assert result.code == 0, result.err
    return result.out.strip()


def import_audience(cli: Callable[..., Any], tmp_path: Path, journey: str, text: str,
                    *options: str) -> None:
    path = tmp_path / "audience.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("audience", "import", journey, str(path), *options)
    assert result.code == 0, result.err


def query(data_dir: Path, url: str | None, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """What the store holds, read (or changed) outside the commands."""
    open_store(data_dir, url=url)
    try:
        with database.atomic():
            cursor = database.execute_sql(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
    finally:
        close_store()


def test_a_failing_journey_is_named_the_others_run_and_tick_says_no(cli, data_dir, store_url,
                                                                    tmp_path):
    broken = create(cli, tmp_path, two_messages_a_day_apart(), "Broken")
    healthy = create(cli, tmp_path, two_messages_a_day_apart(), "Healthy")
    for journey in (broken, healthy):
        import_audience(cli, tmp_path, journey, "customerId,firstName\nc1,Ann\n")
        assert cli("activate", journey).code == 0
    (definition,) = query(data_dir, store_url, "SELECT definition FROM journey WHERE id = ?",
                          broken)[0]
    data = json.loads(definition)
    next(n for n in data["nodes"] if n["id"] == "pause")["duration"]["value"] = 1e300
    query(data_dir, store_url, "UPDATE journey SET definition = ? WHERE id = ?",
          json.dumps(data), broken)

    result = cli("tick", "--now", at(0))

    assert result.code == 1
    lines = dict(line.split(": ", 1) for line in result.out.strip().splitlines())
    assert (lines["entered"], lines["messages"], lines["failed journeys"]) == ("1", "1", "1")
    assert result.err.splitlines() == [
        f"journey-desktop: journey 'Broken' (id {broken}) failed and was skipped: a duration "
        "or number in it is out of range (Python int too large to convert to SQLite INTEGER)"]
    assert query(data_dir, store_url, "SELECT journey_id, node FROM outbox") == [
        (int(healthy), "hello")]


def test_a_customer_removed_by_replace_and_added_again_is_not_stuck(cli, data_dir, store_url,
                                                                    tmp_path):
    journey = create(cli, tmp_path, two_messages_a_day_apart(), "Again", reentry=True)
    import_audience(cli, tmp_path, journey, "customerId,firstName\nann,Ann\nbob,Bob\n")
    assert cli("activate", journey).code == 0
    assert cli("tick", "--now", at(0)).code == 0
    assert cli("tick", "--now", at(1)).code == 0  # first runs end; next checks on day 2
    import_audience(cli, tmp_path, journey, "customerId,firstName\nbob,Bob\n", "--replace")
    assert cli("tick", "--now", at(2)).code == 0
    import_audience(cli, tmp_path, journey, "customerId,firstName\nann,Ann\n")
    for day in (3, 4):
        assert cli("tick", "--now", at(day)).code == 0

    ann = query(data_dir, store_url, "SELECT entry_number, node FROM outbox"
                " WHERE external_id = 'ann' ORDER BY entry_number, due_at")
    assert ann == [(1, "hello"), (1, "again"), (2, "hello"), (2, "again")]
    assert query(data_dir, store_url, "SELECT entries, next_check_at IS NOT NULL FROM member "
                           "WHERE external_id = 'ann'") == [(2, 1)]


def test_columns_with_any_name_filter_and_fill_placeholders(cli, data_dir, store_url, tmp_path):
    names = ['a"b', "a\\b", "a.b", "a b", "ñ", "$", "[0]"]
    journey = create(cli, tmp_path, [
        {"id": "start", "type": "entry", "filter": {"match": "all", "conditions": [
            {"field": name, "op": "equals", "value": f"v{i}"} for i, name in enumerate(names)]},
         "next": "text"},
        {"id": "text", "type": "message", "channel": "sms",
         "body": "|".join(f"{{{{{name}}}}}" for name in names), "next": "end"},
        {"id": "end", "type": "exit"},
    ], "Odd names")
    header = ",".join(["customerId", *('"a""b"' if n == 'a"b' else n for n in names)])
    values = [f"v{i}" for i in range(len(names))]
    other = [*values[:4], "not v4", *values[5:]]
    import_audience(cli, tmp_path, journey, "\n".join([
        header, ",".join(["yes", *values]), ",".join(["no", *other])]) + "\n")
    assert cli("activate", journey).code == 0

    assert cli("tick", "--now", at(0)).code == 0

    assert query(data_dir, store_url, "SELECT external_id, body FROM outbox") == [
        ("yes", "v0|v1|v2|v3|v4|v5|v6")]
