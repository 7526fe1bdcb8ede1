"""Journey statuses, run states and end reasons, and which action each status refuses.

One answer for the repository (raises it), the window (disables the action and shows it as
the tooltip) and the command line (prints it), so "a deactivated journey takes no
audience" is worded once. The SQL uses these constants too.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

# --- journey statuses (SPEC §1) -------------------------------------------------------------
DRAFT: Final = "draft"
ACTIVE: Final = "active"
DEACTIVATED: Final = "deactivated"

# --- run states and end reasons (the ``run`` table) ---------------------------------------
IN_PROGRESS: Final = "in_progress"
COMPLETED: Final = "completed"
STOPPED: Final = "stopped"
END_EXIT: Final = "exit"
END_LEFT_AUDIENCE: Final = "left_audience"
END_INVALID: Final = "invalid_node"
END_DEACTIVATED: Final = "deactivated"
END_EXIT_RULE: Final = "exit_rule"  # an exit rule of the journey met (SPEC §12)
END_GOAL: Final = "goal"  # the goal reached, with exit_on_goal
END_HOLDOUT: Final = "holdout"  # a split's control group: no message, the run ends


class Action(Enum):
    """What can be done to a journey that depends on its status; the value is its verb."""

    EDIT = "edited"
    ACTIVATE = "activated"
    DEACTIVATE = "deactivated"
    VALIDATE = "validated"
    IMPORT_AUDIENCE = "given an audience"
    REPORT = "reported on"


_CLONE_TO_CHANGE = "clone it to make changes"
_REFUSALS: dict[tuple[str, Action], str] = {
    (ACTIVE, Action.EDIT): f"it is active; {_CLONE_TO_CHANGE}",
    (DEACTIVATED, Action.EDIT): f"it is deactivated; {_CLONE_TO_CHANGE}",
    (ACTIVE, Action.ACTIVATE): "it is active already",
    (DEACTIVATED, Action.ACTIVATE): "it is deactivated, which is final; clone it to run it again",
    (DRAFT, Action.DEACTIVATE): "it is a draft; only an active journey can be deactivated",
    (DEACTIVATED, Action.DEACTIVATE): "it is deactivated already",
    (ACTIVE, Action.VALIDATE): "it was validated when it was activated",
    (DEACTIVATED, Action.VALIDATE): "it was validated when it was activated",
    (DEACTIVATED, Action.IMPORT_AUDIENCE): (
        "it is deactivated, which is final; clone it to run it again with a new audience"
    ),
    (DRAFT, Action.REPORT): "it is a draft; no customer has entered it yet",
}


def refusal(status: str, action: Action) -> str | None:
    """Why a journey in ``status`` cannot have ``action`` done to it, or None when it can."""
    if status not in (DRAFT, ACTIVE, DEACTIVATED):
        return f"it is {status}"
    return _REFUSALS.get((status, action))


def refusal_text(name: str, status: str, action: Action) -> str | None:
    """The whole refusal as one line naming the journey, or None when it is allowed."""
    reason = refusal(status, action)
    if reason is None:
        return None
    return f"journey {name!r} cannot be {action.value}: {reason}"
