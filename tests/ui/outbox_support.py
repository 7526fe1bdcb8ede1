"""Outbox rows made the way users make them: import an audience, activate, tick the engine."""

from __future__ import annotations

from pathlib import Path

from journey_desktop.domain.audience_csv import ImportPlan
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.store.audience import AudienceStore
from journey_desktop.store.evaluator import Evaluator
from journey_desktop.store.repository import JourneyRepository
from tests.conftest import load_example
from tests.store.evaluator_support import DAY, MADRID, local

START = local(2025, 5, 12, 9, 0)  # a Monday, 09:00 in Madrid
PROMOTION_CSV = (
    "customerId,firstName,offersOptIn\n"
    "ann,Ann,yes\n"
    "ben,Ben,yes\n"
    "=SUM(A1),Eve,yes\n"  # an ID a spreadsheet would run as a formula
    "olga,Olga,no\n"
)
WELCOME_CSV = (
    "customerId,firstName,plan,signupDate\n"
    "w1,Wanda,premium,2025-05-10\n"
    "w2,Walt,basic,2025-05-11\n"
    "w3,Wes,basic,2025-05-11\n"
    "old,Otto,basic,2020-01-01\n"  # signed up too long ago: never enters
)


def import_audience(repo: JourneyRepository, journey_id: int, text: str, path: Path,
                    now: int) -> None:
    """Load a CSV through the audience import, as the import dialog does."""
    path.write_text(text, encoding="utf-8")
    result = AudienceStore(repo).import_csv(
        journey_id, ImportPlan.from_preview(preview_csv(path)), now=now)
    result.rejects.close()
    assert result.committed and result.rejected == 0


def start_example(repo: JourneyRepository, example: str, audience: str, folder: Path,
                  now: int) -> int:
    """An example journey with an imported audience, activated at ``now``."""
    journey_id = repo.create(load_example(example), now=now)
    import_audience(repo, journey_id, audience, folder / f"{example}.csv", now)
    result = repo.activate(journey_id, now=now)
    assert result.ok, result.problems
    return journey_id


def three_days_of_messages(repo: JourneyRepository, folder: Path) -> tuple[int, int]:
    """The promotion and the welcome series ticked at 09:00 on three days (Madrid time).

    Promotion: ann, ben and =SUM(A1) get one push a day (9). Welcome: w1-w3 get the welcome
    email on day one and their follow-up two days later (6). 15 messages in all.
    """
    promotion = start_example(repo, "daily-promotion", PROMOTION_CSV, folder, START)
    welcome = start_example(repo, "welcome-series", WELCOME_CSV, folder, START)
    evaluator = Evaluator(tz=MADRID)
    for day in range(3):
        evaluator.tick(START + day * DAY)
    return promotion, welcome
