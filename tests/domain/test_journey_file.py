import json

import pytest

from journey_desktop.domain.journey import Journey, JourneyFileError, minimal_journey
from journey_desktop.domain.validation import validate
from tests.conftest import EXAMPLES, example_path

EXAMPLE_NAMES = ["birthday", "daily-promotion", "welcome-series"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_load_validate_and_write_back_identically(name):
    text = example_path(name).read_text(encoding="utf-8")
    journey = Journey.from_json(text)
    assert validate(journey).problems == []
    assert journey.to_json() == text


def test_all_examples_are_covered():
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == sorted(EXAMPLE_NAMES)


def test_minimal_template_is_valid():
    assert validate(minimal_journey("New journey")).problems == []


def test_positions_round_trip():
    journey = minimal_journey("x")
    journey.nodes[0].position = (10.0, 20.5)
    again = Journey.from_json(journey.to_json())
    assert again.nodes[0].position == (10.0, 20.5)
    assert again.to_dict() == journey.to_dict()


def base_document():
    return json.loads(example_path("birthday").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format="journey-desktop/9"), "format: unsupported journey file format"),
        (lambda d: d.pop("format"), "format: missing"),
        (lambda d: d.update(nodes={}), "nodes: expected a list"),
        (lambda d: d["nodes"].__setitem__(1, "greet"), "nodes[1]: expected an object"),
        (lambda d: d["nodes"][1].update(type="teleport"), "nodes[1].type: unknown node type"),
        (lambda d: d["nodes"][1].update(channel="fax"), "nodes[1].channel: unknown channel"),
        (lambda d: d["nodes"][1].update(title=5), "nodes[1].title: expected text"),
        (lambda d: d["nodes"][1].update(colour="red"), "nodes[1].colour: unknown key"),
        (lambda d: d["nodes"][0].pop("id"), "nodes[0].id: required"),
        (
            lambda d: d["nodes"][0]["filter"]["conditions"].__setitem__(0, []),
            "nodes[0].filter.conditions[0]: expected an object",
        ),
        (lambda d: d["activation"].update(allow_reentry="yes"), "activation.allow_reentry"),
        (lambda d: d["activation"].update(max_entries=2.5), "activation.max_entries"),
        (
            lambda d: d["activation"]["timeout"].update(value="1"),
            "activation.timeout.value: expected a number",
        ),
    ],
)
def test_bad_files_name_the_place(mutate, message):
    data = base_document()
    mutate(data)
    with pytest.raises(JourneyFileError) as info:
        Journey.from_dict(data)
    assert str(info.value).startswith(message)


def test_malformed_json_names_line_and_column():
    with pytest.raises(JourneyFileError, match=r"not valid JSON: .* line 2, column"):
        Journey.from_json('{"format": "journey-desktop/1",\n "name": }')


def test_top_level_must_be_object():
    with pytest.raises(JourneyFileError, match="journey file: expected an object"):
        Journey.from_json("[1, 2]")
