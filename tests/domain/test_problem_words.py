"""Problems in the window's words, from the same problem objects the CLI prints."""

from __future__ import annotations

from journey_desktop.domain.journey import Condition, Duration, Filter, Journey, Node
from journey_desktop.domain.validation import validate


def _journey() -> Journey:
    entry = Node(id="start", type="entry", next="wait", filter=Filter("all", [
        Condition("", "equals", "x"),
        Condition("birthday", "anniversary_in_days", ""),
    ]))
    wait = Node(id="wait", type="wait", duration=Duration(0, "days"), next="hello")
    message = Node(id="hello", type="message", channel="push",
                   content={"title": "", "body": "Hi"}, next="end")
    return Journey(name="Birthday", nodes=[entry, wait, message, Node(id="end", type="exit")])


def _by_path(journey: Journey) -> dict[str, tuple[str, str]]:
    return {
        f"{p.node}.{p.field}": (str(p), p.words)
        for p in validate(journey, audience_columns={"birthday": "date"}).problems
    }


def test_the_window_reads_plain_words_and_the_file_form_stays() -> None:
    problems = _by_path(_journey())
    assert problems["start.filter.conditions[0].field"] == (
        "start.filter.conditions[0].field: the field is empty",
        "Condition 1: choose a field",
    )
    file_form, words = problems["start.filter.conditions[1].value"]
    assert file_form.startswith(
        "start.filter.conditions[1].value: 'anniversary_in_days' needs a whole number")
    assert words == "Days before the anniversary: enter a whole number (0 or more)"
    assert problems["wait.duration.value"][1] == (
        "Wait for: enter a whole number of days (1 or more)")
    assert problems["hello.title"][1] == "Title: write the title"


def test_a_missing_connection_names_the_output_as_the_panel_labels_it() -> None:
    journey = _journey()
    journey.nodes[1].next = None
    assert _by_path(journey)["wait.next"][1] == "Then: connect the next step"


def test_goal_and_exit_rule_problems_name_them_as_the_goal_panel_does() -> None:
    from journey_desktop.domain.goals import ExitRule, Goal
    from journey_desktop.domain.journey import minimal_journey

    journey = minimal_journey("Goals")
    journey.goal = Goal("purchase", Duration(7, "days"),
                        filter=Filter("all", [Condition("", "gt", 20)]))
    journey.exit_when = [ExitRule(event=""), ExitRule(fields=Filter("all", [])),
                         ExitRule(event="refund", filter=Filter("all", [
                             Condition("total", "greater_than", 1)]))]
    words = {p.field: p.words for p in validate(journey).problems}
    assert words == {
        "goal.filter.conditions[0].field": "Goal condition 1: field is empty",
        "exit_when[0].event": "Exit rule 1: name the event that ends a run",
        "exit_when[1].fields": "Exit rule 2: an exit rule on fields needs at least one condition",
        "exit_when[2].filter.conditions[0].op": "Exit rule 3, condition 1: choose how to compare",
    }
