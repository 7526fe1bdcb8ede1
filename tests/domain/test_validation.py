"""One failing journey per rule of SPEC §2, each checked for the node and field it names."""

import pytest

from journey_desktop.domain.journey import (
    Branch,
    Condition,
    Duration,
    Filter,
    Journey,
    Node,
)
from journey_desktop.domain.validation import validate
from tests.conftest import load_example


def welcome() -> Journey:
    return load_example("welcome-series")


def node(journey: Journey, node_id: str) -> Node:
    found = journey.node(node_id)
    assert found is not None
    return found


def errors(journey: Journey, **kwargs) -> set[tuple[str | None, str]]:
    return {(p.node, p.field) for p in validate(journey, **kwargs).errors}


def messages(journey: Journey, **kwargs) -> list[str]:
    return [str(p) for p in validate(journey, **kwargs).problems]


def test_valid_example_has_no_problems():
    assert validate(welcome()).problems == []


def test_name_missing():
    j = welcome()
    j.name = "   "
    assert errors(j) == {(None, "name")}


def test_name_too_long():
    j = welcome()
    j.name = "x" * 121
    assert errors(j) == {(None, "name")}


def test_name_taken_case_insensitively():
    j = welcome()
    assert errors(j, taken_names=["WELCOME SERIES"]) == {(None, "name")}
    assert "another journey is already named" in messages(j, taken_names=["welcome series"])[0]


def test_no_entry():
    j = welcome()
    node(j, "start").type = "wait"
    node(j, "start").duration = Duration(1, "days")
    assert (None, "nodes") in errors(j)


def test_two_entries():
    j = welcome()
    j.nodes.append(Node(id="start2", type="entry", next="end"))
    assert ("start2", "type") in errors(j)


def test_missing_target():
    j = welcome()
    node(j, "welcome_email").next = "nowhere"
    found = errors(j)
    assert ("welcome_email", "next") in found
    assert "welcome_email.next: target 'nowhere' does not exist" in messages(j)


def test_missing_branch_target():
    j = welcome()
    node(j, "ab_test").branches[1].next = "gone"
    assert ("ab_test", "branches[1].next") in errors(j)


def test_condition_without_no_branch():
    j = welcome()
    node(j, "is_premium").no = None
    assert ("is_premium", "no") in errors(j)


def test_unreachable_node():
    j = welcome()
    j.nodes.append(Node(id="orphan", type="message", channel="sms", content={"body": "hi"},
                        next="end"))
    assert errors(j) == {("orphan", "id")}
    assert "orphan.id: cannot be reached from the entry" in messages(j)


def test_path_that_never_reaches_an_exit():
    j = welcome()
    j.nodes = [n for n in j.nodes if n.id != "end"]
    j.nodes.append(Node(id="end", type="wait", duration=Duration(1, "days")))
    found = errors(j)
    assert (None, "nodes") in found  # no exit at all
    assert ("end", "next") in found


def test_cycle():
    j = welcome()
    node(j, "basic_push").next = "wait_two_days"
    found = errors(j)
    # Each connection inside the loop is named: the condition's "no" branch, not a "next".
    for member, field in (("wait_two_days", "next"), ("is_premium", "no"), ("basic_push", "next")):
        assert (member, field) in found
    assert ("is_premium", "yes") not in found  # leads out of the loop
    assert "basic_push.next: is part of a cycle" in messages(j)


def test_self_loop():
    j = welcome()
    node(j, "welcome_email").next = "welcome_email"
    assert ("welcome_email", "next") in errors(j)


@pytest.mark.parametrize(
    "node_id, key, message",
    [
        ("welcome_email", "subject", "welcome_email.subject: email subject is empty"),
        ("welcome_email", "body", "welcome_email.body: email body is empty"),
        ("basic_push", "title", "basic_push.title: push title is empty"),
    ],
)
def test_empty_required_field(node_id, key, message):
    j = welcome()
    node(j, node_id).content[key] = "  "
    assert errors(j) == {(node_id, key)}
    assert message in messages(j)


def test_empty_whatsapp_template_and_inapp_title():
    j = welcome()
    node(j, "basic_push").channel = "whatsapp"
    node(j, "basic_push").content = {"template": ""}
    node(j, "premium_push").channel = "inapp"
    node(j, "premium_push").content = {"title": "", "body": "x"}
    assert errors(j) == {("basic_push", "template"), ("premium_push", "title")}


def test_condition_without_conditions():
    j = welcome()
    node(j, "is_premium").filter = Filter("all", [])
    assert errors(j) == {("is_premium", "filter.conditions")}


@pytest.mark.parametrize("value", [0, -2])
def test_duration_not_positive(value):
    j = welcome()
    node(j, "wait_two_days").duration = Duration(value, "days")
    assert errors(j) == {("wait_two_days", "duration.value")}


def test_duration_unit_unknown():
    j = welcome()
    node(j, "wait_two_days").duration = Duration(2, "weeks")
    assert errors(j) == {("wait_two_days", "duration.unit")}


@pytest.mark.parametrize("at_time", ["9:00", "24:00", "09:60", "nine"])
def test_at_time_not_hh_mm(at_time):
    j = welcome()
    node(j, "wait_two_days").at_time = at_time
    assert errors(j) == {("wait_two_days", "at_time")}


def test_split_percents_not_summing_to_100():
    j = welcome()
    node(j, "ab_test").branches[0].percent = 60
    assert errors(j) == {("ab_test", "branches")}
    assert "ab_test.branches: split percents add up to 110, not 100" in messages(j)


def test_split_needs_two_to_ten_branches():
    j = welcome()
    node(j, "ab_test").branches = [Branch(100, "premium_email")]
    assert ("ab_test", "branches") in errors(j)


def test_split_percent_not_whole():
    j = welcome()
    node(j, "ab_test").branches = [Branch(50.5, "premium_email"), Branch(49.5, "premium_push")]
    assert ("ab_test", "branches[0].percent") in errors(j)


def test_operator_that_does_not_fit_the_value():
    j = welcome()
    node(j, "start").filter = Filter("all", [Condition("signupDate", "within_last_days", "a week")])
    assert errors(j) == {("start", "filter.conditions[0].value")}


def test_unknown_operator():
    j = welcome()
    node(j, "is_premium").filter = Filter("all", [Condition("plan", "resembles", "premium")])
    assert errors(j) == {("is_premium", "filter.conditions[0].op")}


def test_empty_filter_field():
    j = welcome()
    node(j, "is_premium").filter = Filter("all", [Condition("", "equals", "premium")])
    assert errors(j) == {("is_premium", "filter.conditions[0].field")}


@pytest.mark.parametrize("url", ["example.com/gift", "https://", "https://exa mple.com", "http:/x"])
def test_invalid_url(url):
    j = welcome()
    node(j, "basic_push").content["url"] = url
    assert errors(j) == {("basic_push", "url")}


@pytest.mark.parametrize("url", ["https://example.com/{{id}}", "myapp://offers/42", ""])
def test_valid_urls(url):
    j = welcome()
    node(j, "basic_push").content["url"] = url
    assert errors(j) == set()


def test_sms_over_its_limit():
    j = welcome()
    sms = node(j, "basic_push")
    sms.channel = "sms"
    sms.content = {"body": "x" * 1600}
    assert errors(j) == set()
    sms.content = {"body": "x" * 1601}
    assert errors(j) == {("basic_push", "body")}


def test_activation_options():
    j = welcome()
    j.activation.max_entries = 0
    j.activation.timeout = Duration(0, "days")
    assert errors(j) == {(None, "activation.max_entries"), (None, "activation.timeout.value")}


def test_every_problem_reported_at_once():
    j = welcome()
    j.name = ""
    node(j, "welcome_email").content["subject"] = ""
    node(j, "wait_two_days").duration = Duration(0, "days")
    node(j, "ab_test").branches[0].percent = 10
    assert len(validate(j).errors) == 4


def test_warnings_for_columns_missing_from_the_audience():
    j = welcome()
    result = validate(j, audience_columns={"signupDate": "date", "plan": "text"})
    assert result.ok
    warned = {(p.node, p.field) for p in result.warnings}
    assert ("welcome_email", "subject") in warned  # {{firstName}} is not a column
    result = validate(j, audience_columns={"firstName": "text", "plan": "text"})
    assert ("start", "filter.conditions[0].field") in {(p.node, p.field) for p in result.warnings}


def placeholder_warnings(subject: str, columns: dict[str, str]) -> list[str]:
    j = welcome()
    node(j, "welcome_email").content["subject"] = subject
    result = validate(j, audience_columns={"signupDate": "date", "plan": "text", **columns})
    assert result.ok
    return [str(p) for p in result.warnings if p.node == "welcome_email"]


def test_built_in_placeholders_are_never_unknown_columns():
    subject = "{{customerId}}, {{ journeyName }} #{{entryNumber|1}}"
    assert placeholder_warnings(subject, {}) == []


def test_a_column_named_like_a_built_in_is_shadowed_and_said_so():
    assert placeholder_warnings("Hi {{customerId}}", {"customerId": "text"}) == [
        "welcome_email.subject: placeholder {{customerId}} is built in and wins over the "
        "customer field 'customerId'"
    ]


def test_an_unknown_column_with_a_default_still_warns_and_names_the_default():
    assert placeholder_warnings("Hi {{ firstName | there }}", {}) == [
        "welcome_email.subject: placeholder {{firstName}} is not a known customer field, "
        "so its default 'there' will show"
    ]
    assert placeholder_warnings("Hi {{firstName|there}}", {"firstName": "text"}) == []


def test_an_empty_placeholder_name_is_an_error_even_with_a_default():
    j = welcome()
    node(j, "welcome_email").content["subject"] = "Hi {{ |there}}"
    assert messages(j) == ["welcome_email.subject: empty placeholder {{}}"]


def test_warning_for_operator_not_fitting_the_column_type():
    j = welcome()
    cols = {"signupDate": "text", "plan": "text", "firstName": "text"}
    result = validate(j, audience_columns=cols)
    assert result.ok
    assert [str(p) for p in result.warnings] == [
        "start.filter.conditions[0].op: 'within_last_days' is a date operator but "
        "'signupDate' is a text column"
    ]


def test_duplicate_send_risk_warning():
    j = load_example("birthday")
    j.activation.allow_reentry = True
    j.activation.max_entries = None
    j.activation.timeout = Duration(10, "minutes")
    result = validate(j)
    assert result.ok
    assert [(p.node, p.field) for p in result.warnings] == [(None, "activation.timeout")]
    j.activation.timeout = Duration(1, "days")
    assert validate(j).warnings == []
    j.activation.timeout = Duration(10, "minutes")
    j.activation.max_entries = 3
    assert validate(j).warnings == []


def test_duplicate_node_ids():
    j = welcome()
    j.nodes.append(Node(id="end", type="exit"))
    assert ("end", "id") in errors(j)


@pytest.mark.parametrize(
    "value, unit",
    [
        (float("nan"), "days"),
        (float("inf"), "minutes"),
        (1e300, "days"),
        (366, "days"),
        (8_761, "hours"),
        (525_601, "minutes"),
        (0.001, "minutes"),  # would wait 0 seconds
        (1.5, "hours"),  # the editor takes whole numbers only
        ("2", "days"),
    ],
)
def test_wait_must_be_a_whole_number_up_to_a_year(value, unit):
    j = welcome()
    node(j, "wait_two_days").duration = Duration(value, unit)
    assert errors(j) == {("wait_two_days", "duration.value")}


@pytest.mark.parametrize("value, unit", [(365, "days"), (8_760, "hours"), (525_600, "minutes"),
                                         (1, "minutes"), (2.0, "days")])
def test_waits_up_to_a_year_are_valid(value, unit):
    j = welcome()
    node(j, "wait_two_days").duration = Duration(value, unit)
    assert errors(j) == set()


def test_wait_limit_is_named_in_words():
    j = welcome()
    node(j, "wait_two_days").duration = Duration(400, "days")
    assert "wait_two_days.duration.value: the duration must be at most 365 days (one year)" in (
        messages(j)
    )


@pytest.mark.parametrize("value, unit", [(366, "days"), (float("nan"), "hours"), (1e300, "days"),
                                         (525_601, "minutes")])
def test_timeout_is_at_most_a_year(value, unit):
    j = welcome()
    j.activation.timeout = Duration(value, unit)
    assert errors(j) == {(None, "activation.timeout.value")}
    j.activation.timeout = Duration(365, "days")
    assert errors(j) == set()


@pytest.mark.parametrize("value", [10**300, -1, 1_000_000_000, 2.0, True])
def test_max_entries_is_a_whole_number_within_the_limit(value):
    j = welcome()
    j.activation.max_entries = value
    assert errors(j) == {(None, "activation.max_entries")}
    j.activation.max_entries = 999_999_999
    assert errors(j) == set()


@pytest.mark.parametrize(
    "op, value, ok",
    [
        ("anniversary_in_days", 366, True),
        ("anniversary_in_days", 367, False),
        ("anniversary_in_days", 1_000_000_000, False),
        ("within_last_days", 3650, True),
        ("within_last_days", 3651, False),
        ("within_next_days", 1_000_000_000, False),
        ("within_next_days", 1e9, False),
    ],
)
def test_day_offsets_are_bounded(op, value, ok):
    j = welcome()
    node(j, "start").filter = Filter("all", [Condition("signupDate", op, value)])
    assert errors(j) == (set() if ok else {("start", "filter.conditions[0].value")})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "50"])
def test_split_percent_that_is_not_a_number_is_named_once(bad):
    j = welcome()
    node(j, "ab_test").branches[0].percent = bad
    assert errors(j) == {("ab_test", "branches[0].percent")}
    assert "ab_test.branches[0].percent: percent must be a whole number" in messages(j)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "javascript://%0aalert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "{{link}}",
        "{{scheme}}://example.com",
    ],
)
def test_push_links_that_run_code_or_read_files_are_refused(url):
    j = welcome()
    node(j, "basic_push").content["url"] = url
    assert errors(j) == {("basic_push", "url")}


@pytest.mark.parametrize(
    "name",
    ["\x00", "\u200b", "\u200b\u200d\u2060", "Sale\x00", "Spring\nsale", "\x1b[31mRed", "\u3000"],
)
def test_names_need_a_visible_character_and_no_control_characters(name):
    j = welcome()
    j.name = name
    assert errors(j) == {(None, "name")}


@pytest.mark.parametrize("name", ["Cumpleaños 🎂", "👨\u200d👩\u200d👧 families", "東京"])
def test_names_in_any_script_are_valid(name):
    j = welcome()
    j.name = name
    assert errors(j) == set()


def test_node_id_with_a_control_character():
    j = welcome()
    node(j, "end").id = "end\x00"
    assert ("nodes[8]", "id") in errors(j)


def test_goal_window_and_holdouts_are_validated_in_plain_words() -> None:
    from journey_desktop.domain.journey import Journey, minimal_journey

    data = minimal_journey("Goals").to_dict()
    data["goal"] = {"event": "", "within": {"value": 400, "unit": "days"}}
    data["nodes"][0]["next"] = "ab"
    data["nodes"].insert(1, {"id": "ab", "type": "split", "branches": [
        {"percent": 50, "next": None, "holdout": True},
        {"percent": 50, "next": None, "holdout": True}]})
    problems = {str(p): p.words for p in validate(Journey.from_dict(data)).problems}
    assert problems["goal.within.value: the goal window must be at most 365 days (one year)"] \
        == "Goal window: a conversion counts at most 365 days after entry (one year)"
    assert "goal.event: is empty: name the goal's event" in problems
    assert "ab.branches[1].holdout: a split has at most one holdout branch" in problems
    assert "ab.branches: every branch is a holdout: one must send messages" in problems
    # A holdout branch may lead nowhere; the message is then unreachable, and said so.
    assert not any(k.startswith("ab.branches[0].next") for k in problems)
