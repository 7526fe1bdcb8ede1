"""The fields of the customer base (SPEC §2, §4): every field a profile was given, with its
type, which validation checks placeholders and conditions against and the editor offers.

Profiles change through imports only, and an import never removes a field, so every import
(an audience's or the customers' alone) records its columns here, one ``setting`` row per
field (``customer_field:<name>`` → its type), in the import's transaction: reading the
fields is one key range, never a scan of the profiles. A field's type is the one its last
import gave it.

Databases written before the fields were recorded have them in the journeys' audience
columns; those are read too (under the recorded ones), and so are the fields of a sample of
profiles (those imported alone before are in no journey's columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from peewee import Database

from journey_desktop.domain.values import json_object, parse_iso_date, parse_number

KEY_PREFIX = "customer_field:"
SAMPLE_PROFILES = 200


def record_fields(db: Database, columns: Mapping[str, str]) -> None:
    """Note an import's columns and types (inside the caller's transaction)."""
    for name in sorted(columns):  # one order: two writers never wait for each other's rows
        db.execute_sql(
            "INSERT INTO setting (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (KEY_PREFIX + name, columns[name]),
        )


def recorded_fields(db: Database) -> dict[str, str]:
    """The fields imports recorded, by name (the settings are few: no key range, whose
    meaning would hang on the column's collation)."""
    rows = db.execute_sql(
        "SELECT key, value FROM setting WHERE substr(key, 1, ?) = ? ORDER BY key",
        (len(KEY_PREFIX), KEY_PREFIX),
    ).fetchall()
    return {str(key)[len(KEY_PREFIX):]: str(kind) for key, kind in rows}


def known_fields(db: Database, audience_columns: list[str] | None = None) -> dict[str, str]:
    """The customer base's fields with their types: the recorded ones (by name), then every
    journey's audience columns not recorded (``audience_columns``: their JSON texts, when
    the caller read them already), then those of a sample of profiles not named yet. Empty
    when the base has none."""
    if audience_columns is None:
        audience_columns = [text for (text,) in db.execute_sql(
            "SELECT audience_columns FROM journey ORDER BY id")]
    known = recorded_fields(db)
    for text in audience_columns:
        for name, kind in json_object(text).items():
            known.setdefault(name, kind)
    # Fields of profiles imported alone before imports recorded them are in no journey's
    # columns: a sample of profiles brings those a whole file gave every customer.
    for name, kind in sampled_fields(db).items():
        known.setdefault(name, kind)
    return known


def sampled_fields(db: Database, sample: int = SAMPLE_PROFILES) -> dict[str, str]:
    """The fields of the first ``sample`` profiles, typed by their values."""
    values: dict[str, list[Any]] = {}
    for (text,) in db.execute_sql("SELECT fields FROM profile LIMIT ?", (sample,)):
        for key, value in json_object(text).items():
            values.setdefault(key, []).append(value)
    return {key: value_type(found) for key, found in values.items()}


def value_type(values: list[Any]) -> str:
    """The field type sampled values share: number, date, else text."""
    present = [v for v in values if v not in (None, "")]
    if present and all(parse_number(v) is not None for v in present):
        return "number"
    if present and all(isinstance(v, str) and parse_iso_date(v) for v in present):
        return "date"
    return "text"
