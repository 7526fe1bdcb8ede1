import json
import re

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


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_file_with_nan_or_infinity_is_refused(constant):
    text = example_path("welcome-series").read_text(encoding="utf-8")
    text = text.replace('"value": 2,', f'"value": {constant},', 1)
    assert constant in text
    with pytest.raises(JourneyFileError, match=f"not valid JSON: {constant} is not a number"):
        Journey.from_file(text)


def test_a_stored_definition_with_nan_stays_readable_and_is_reported():
    text = example_path("welcome-series").read_text(encoding="utf-8")
    journey = Journey.from_json(text.replace('"value": 2,', '"value": NaN,', 1))
    assert [(p.node, p.field) for p in validate(journey).errors] == [
        ("wait_two_days", "duration.value")
    ]


def test_a_file_nested_a_hundred_thousand_deep_is_refused_in_words():
    with pytest.raises(JourneyFileError, match="nested too deeply"):
        Journey.from_file("[" * 100_000 + "]" * 100_000)


def test_a_number_of_thousands_of_digits_is_refused_in_words():
    document = base_document()
    document["nodes"][1]["position"] = {"x": 0, "y": 0}
    text = json.dumps(document).replace('"x": 0', '"x": ' + "9" * 5000)
    with pytest.raises(JourneyFileError, match="a number has more than"):
        Journey.from_file(text)


@pytest.mark.parametrize(
    "mutate, place",
    [
        (lambda d: d.update(name="Sale \ud800"), "name"),
        (lambda d: d["nodes"][1].update(body="\udfff"), "nodes[1].body"),
        (lambda d: d["nodes"][0]["filter"]["conditions"][0].update(op="in", value=["a", "\ud800"]),
         "nodes[0].filter.conditions[0].value"),
    ],
)
def test_text_the_database_cannot_hold_is_refused_with_its_place(mutate, place):
    document = base_document()
    mutate(document)
    with pytest.raises(JourneyFileError, match=rf"^{re.escape(place)}: not valid Unicode text"):
        Journey.from_file(json.dumps(document))


# --- reading and writing files: one wording for the window and the command line -------------

def test_a_journey_file_reads_back_what_was_written(tmp_path):
    from journey_desktop.domain.journey_file import read_journey_file, write_journey_file

    path = tmp_path / "copy.json"
    write_journey_file(path, minimal_journey("Round trip"))
    assert read_journey_file(path).name == "Round trip"


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.mkdir(), p)[1], "is a folder, not a file"),
        (lambda p: (p.write_bytes(b"\x89PNG\xff\xfe"), p)[1], "not a text file"),
        (lambda p: (p.write_text("{}", encoding="utf-8"), p)[1], "not a valid journey file"),
    ],
    ids=["missing", "folder", "binary", "not-a-journey"],
)
def test_a_file_that_is_no_journey_file_is_named_with_its_problem(tmp_path, make, fragment):
    from journey_desktop.domain.journey_file import read_journey_file

    path = make(tmp_path / "j.json")
    with pytest.raises(JourneyFileError) as refused:
        read_journey_file(path)
    assert str(refused.value).startswith(f"{path}: {fragment}")


def test_a_file_that_cannot_be_written_says_so(tmp_path):
    from journey_desktop.domain.journey_file import write_journey_file

    target = tmp_path / "no-such-folder" / "j.json"
    with pytest.raises(JourneyFileError, match="cannot be written"):
        write_journey_file(target, minimal_journey("x"))


def test_goal_exit_rules_and_holdout_round_trip() -> None:
    data = minimal_journey("Goals").to_dict()
    data["goal"] = {"event": "purchase", "filter": {"match": "all", "conditions": [
        {"field": "total", "op": "greater_than", "value": 10}]},
        "within": {"value": 7, "unit": "days"}, "exit_on_goal": True}
    data["exit_when"] = [{"event": "unsubscribed"},
                         {"fields": {"match": "all", "conditions": [
                             {"field": "vip", "op": "equals", "value": "yes"}]}}]
    data["nodes"][0]["next"] = "ab"
    data["nodes"].insert(1, {"id": "ab", "type": "split", "branches": [
        {"percent": 90, "next": "message", "label": "Offer"},
        {"percent": 10, "next": None, "label": "Control", "holdout": True}]})
    journey = Journey.from_dict(data)
    assert journey.goal is not None and journey.goal.within.seconds == 7 * 86400
    assert journey.exit_when[1].on_fields
    assert journey.node("ab").branches[1].holdout
    assert Journey.from_json(journey.to_json()).to_dict() == data


def test_goal_with_a_bad_key_names_its_place() -> None:
    data = minimal_journey("Goals").to_dict()
    data["goal"] = {"event": "purchase", "within": {"value": 7, "unit": "days"}, "when": 1}
    with pytest.raises(JourneyFileError, match=r"^goal\.when: unknown key"):
        Journey.from_dict(data)
    data["goal"] = {"event": "purchase", "exit_on_goal": "yes"}
    with pytest.raises(JourneyFileError, match=r"^goal\.exit_on_goal: expected true or false"):
        Journey.from_dict(data)
