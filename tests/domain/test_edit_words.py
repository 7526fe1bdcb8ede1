"""Who changed a journey and when, in words (SPEC §14: several editors)."""

import datetime as dt

from journey_desktop.domain.edit_words import changed_by_text, conflict_text

UTC = dt.UTC
NOW = int(dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC).timestamp())
AT_1405 = int(dt.datetime(2026, 12, 2, 14, 5, tzinfo=UTC).timestamp())


def test_the_conflict_names_who_and_when():
    assert conflict_text("Anna", "Welcome", AT_1405, NOW, UTC) == (
        "Anna changed “Welcome” at 14:05; reload it or save your version as a copy")
    assert conflict_text("anna", "Welcome", AT_1405 - 86_400, NOW, UTC).startswith(
        "anna changed “Welcome” yesterday at 14:05;")


def test_a_writer_not_known_is_someone_else():
    assert conflict_text("", "Welcome", AT_1405, NOW, UTC).startswith(
        "Someone else changed “Welcome” at 14:05")
    assert changed_by_text(None, AT_1405 - 9 * 86_400, NOW, UTC) == (
        "changed by someone else on 23 Nov at 14:05")
