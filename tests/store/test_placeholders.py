"""Placeholders as the outbox shows them: built-ins and defaults rendered by a real tick,
and the SQL rendering equal to the Python reference for the same inputs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from journey_desktop.domain import engine
from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.journey import Node
from journey_desktop.store import sqlite_sql
from journey_desktop.store.audience import AudienceStore
from journey_desktop.store.db import database
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from tests.store.evaluator_support import DAY, MADRID, journey_from, local

pytestmark = pytest.mark.both_databases
HOUR = 3600

HELLO = {"title": "Hi {{firstName|there}} #{{ entryNumber }}",
         "body": "{{customerId}} in {{journeyName}}, from {{ city | somewhere }}",
         "url": "https://example.com/{{customerId}}?entry={{entryNumber}}"}
LATER = {"subject": "Still there, {{firstName|friend}}?", "body": "Entry {{entryNumber}}",
         "from_name": "{{journeyName}} team"}


def sale_journey() -> list[dict[str, Any]]:
    """A message on entry (written along the shared first steps) and one after a wait
    (written by the walk of due runs)."""
    return [
        {"id": "start", "type": "entry", "next": "hello"},
        {"id": "hello", "type": "message", "channel": "push", **HELLO, "next": "pause"},
        {"id": "pause", "type": "wait", "duration": {"value": 1, "unit": "hours"},
         "next": "later"},
        {"id": "later", "type": "message", "channel": "email", **LATER, "next": "end"},
        {"id": "end", "type": "exit"},
    ]


def outbox_rows() -> list[tuple[Any, ...]]:
    return list(database.execute_sql(
        "SELECT external_id, entry_number, node, title, body, url, extra FROM outbox "
        "ORDER BY entry_number, node, external_id"
    ))


def run_two_entries(repo: JourneyRepository, path: Path, audience_csv: str) -> int:
    """The sale journey, its audience imported from a file, activated with re-entry and
    ticked through two entries of every customer."""
    start = local(2025, 3, 3)
    journey_id = repo.create(journey_from(sale_journey(), reentry=True, name="Spring sale"),
                             now=start)
    path.write_text(audience_csv, encoding="utf-8")
    result = AudienceStore(repo).import_csv(
        journey_id, ImportPlan.from_preview(preview_csv(path)), now=start
    )
    result.rejects.close()
    assert repo.activate(journey_id, now=start).ok
    evaluator = Evaluator(tz=MADRID)
    for moment in (start, start + HOUR, start + DAY, start + DAY + HOUR):
        evaluator.tick(moment)
    return journey_id


def test_built_ins_and_defaults_through_real_ticks(repo: JourneyRepository,
                                                   tmp_path: Path) -> None:
    run_two_entries(repo, tmp_path / "audience.csv",
                    "customerId,firstName,city\nc1,Ann,Paris\nc2,,\n")
    assert outbox_rows() == [
        ("c1", 1, "hello", "Hi Ann #1", "c1 in Spring sale, from Paris",
         "https://example.com/c1?entry=1", "{}"),
        ("c2", 1, "hello", "Hi there #1", "c2 in Spring sale, from somewhere",
         "https://example.com/c2?entry=1", "{}"),
        ("c1", 1, "later", "Still there, Ann?", "Entry 1", "",
         '{"from_name":"Spring sale team"}'),
        ("c2", 1, "later", "Still there, friend?", "Entry 1", "",
         '{"from_name":"Spring sale team"}'),
        ("c1", 2, "hello", "Hi Ann #2", "c1 in Spring sale, from Paris",
         "https://example.com/c1?entry=2", "{}"),
        ("c2", 2, "hello", "Hi there #2", "c2 in Spring sale, from somewhere",
         "https://example.com/c2?entry=2", "{}"),
        ("c1", 2, "later", "Still there, Ann?", "Entry 2", "",
         '{"from_name":"Spring sale team"}'),
        ("c2", 2, "later", "Still there, friend?", "Entry 2", "",
         '{"from_name":"Spring sale team"}'),
    ]


def test_the_outbox_equals_the_python_reference(repo: JourneyRepository,
                                                tmp_path: Path) -> None:
    """Every stored message is what ``engine.render_message`` makes of the same inputs."""
    journey_id = run_two_entries(repo, tmp_path / "audience.csv",
                                 "customerId,firstName,city\nc1,Ann,Paris\nc2,,\nc3,Zoë,\n")
    journey = repo.get(journey_id).journey
    fields = {ext: json.loads(text) for ext, text in database.execute_sql(
        "SELECT m.external_id, p.fields FROM member m JOIN profile p"
        " ON p.external_id = m.external_id WHERE m.journey_id = ?", (journey_id,))}
    rows = outbox_rows()
    assert len(rows) == 12
    for ext, entry, node_id, title, body, url, extra in rows:
        node = journey.node(node_id)
        assert node is not None
        run = engine.RunContext(customer_id=ext, journey_name="Spring sale", entry_number=entry)
        expected = engine.render_message(node, fields[ext], run)
        assert (title, body, url, json.loads(extra)) == (
            expected.title, expected.body, expected.url, expected.extra
        )


FIELDS: list[dict[str, Any]] = [
    {},
    {"firstName": "Zoë", "city": "Köln", "with space": "s p", "dot.ted": "d"},
    {"firstName": "", "city": None, "with space": "", "dot.ted": None},
    {"firstName": 0, "city": False, "with space": True, "dot.ted": 12},
    {"customerId": "the file's", "journeyName": "", "entryNumber": "x"},
]

TEMPLATES = [
    "",
    "plain text with 'quotes' and || bars",
    "Hi {{firstName}}, {{ city }}{{missing}}!",
    "Hi {{firstName|there}} from {{ city | a city near you }}",
    "{{with space|none}} {{dot.ted|-}} {{firstName|}}",
    "{{customerId}}/{{journeyName}}/{{entryNumber}}/{{customerId|unused}}",
    "{{ unknown | a|b }} {{ {{firstName}} }}",
]


@pytest.mark.parametrize("fields", FIELDS)
def test_sql_rendering_equals_the_python_reference(fields: dict[str, Any]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE w (ext TEXT, entry_number INTEGER, fields TEXT)")
    conn.execute("INSERT INTO w VALUES (?, ?, ?)", ("c-7", 3, json.dumps(fields)))
    builtins = sqlite_sql.builtins_sql("w.ext", "w.entry_number", "O'Brien's sale")
    run = engine.RunContext(customer_id="c-7", journey_name="O'Brien's sale", entry_number=3)
    for template in TEMPLATES:
        sql, params = sqlite_sql.render_sql(template, "w.fields", builtins)
        (rendered,) = conn.execute(f"SELECT {sql} FROM w", params).fetchone()
        assert rendered == engine.render(template, fields, run), template
    node = Node(id="m", type="message", channel="email",
                content={"subject": TEMPLATES[3], "body": TEMPLATES[5],
                         "from_name": TEMPLATES[4]})
    mapped, extra = engine.message_templates(node)
    sql, params = sqlite_sql.extra_sql(extra, "w.fields", builtins)
    (rendered,) = conn.execute(f"SELECT {sql} FROM w", params).fetchone()
    assert json.loads(rendered) == engine.render_message(node, fields, run).extra
    conn.close()


def test_every_built_in_has_its_sql() -> None:
    builtins = sqlite_sql.builtins_sql("ext", "n", "name")
    assert set(builtins) == set(engine.BUILTIN_PLACEHOLDERS)
