"""Which action each status refuses, worded once for the store, the window and the CLI."""

import pytest

from journey_desktop.domain.lifecycle import (
    ACTIVE,
    DEACTIVATED,
    DRAFT,
    Action,
    refusal,
    refusal_text,
)

ALLOWED = {
    DRAFT: {Action.EDIT, Action.ACTIVATE, Action.VALIDATE, Action.IMPORT_AUDIENCE},
    ACTIVE: {Action.DEACTIVATE, Action.IMPORT_AUDIENCE, Action.REPORT},
    DEACTIVATED: {Action.REPORT},
}


@pytest.mark.parametrize("status", [DRAFT, ACTIVE, DEACTIVATED])
@pytest.mark.parametrize("action", list(Action))
def test_each_status_allows_exactly_its_actions(status: str, action: Action) -> None:
    reason = refusal(status, action)
    assert (reason is None) == (action in ALLOWED[status])
    if reason is not None:
        assert reason.startswith("it ")


def test_a_deactivated_journey_takes_no_audience_and_says_how_to_go_on() -> None:
    text = refusal_text("Spring sale", DEACTIVATED, Action.IMPORT_AUDIENCE)
    assert text == ("journey 'Spring sale' cannot be given an audience: it is deactivated, "
                    "which is final; clone it to run it again with a new audience")


def test_an_unknown_status_is_refused_by_name() -> None:
    assert refusal("archived", Action.EDIT) == "it is archived"
