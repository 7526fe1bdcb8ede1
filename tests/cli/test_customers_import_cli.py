"""``journey-desktop customers import``: the customer base alone, with the output lines and
exit codes of ``audience import`` (SPEC §4, §7)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.db import database
from tests.conftest import example_path

pytestmark = pytest.mark.both_databases

EVERYONE = {
    "format": "journey-desktop/1",
    "name": "Hello everyone",
    "audience": "all",
    "nodes": [
        {"id": "start", "type": "entry", "next": "hello"},
        {"id": "hello", "type": "message", "channel": "push", "title": "Hello {{firstName}}",
         "body": "Welcome", "next": "end"},
        {"id": "end", "type": "exit"},
    ],
}


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return str(path)


def create(cli, tmp_path: Path, journey: dict | None = None) -> str:  # type: ignore[no-untyped-def,type-arg]
    if journey is None:
        path = str(example_path("birthday"))
    else:
        path = str(tmp_path / "journey.json")
        Path(path).write_text(json.dumps(journey), encoding="utf-8")
    result = cli("create", path)
    assert result.code == 0, result.err
    return result.out.strip()


def profiles(data_dir: Path, url: str | None) -> dict[str, dict[str, str]]:
    open_store(data_dir, url=url)
    try:
        return {ext: json.loads(fields) for ext, fields in
                database.execute_sql("SELECT external_id, fields FROM profile")}
    finally:
        close_store()


def members(data_dir: Path, url: str | None) -> list[tuple[int, str]]:
    open_store(data_dir, url=url)
    try:
        return list(database.execute_sql(
            "SELECT journey_id, external_id FROM member ORDER BY journey_id, external_id"))
    finally:
        close_store()


def test_import_prints_the_counts_and_stores_the_profiles(  # type: ignore[no-untyped-def]
    cli, data_dir: Path, tmp_path: Path, store_url
) -> None:
    path = write(tmp_path,
                 "customerId;firstName;birthday\r\n1;Ann;1990-01-02\r\n2;Bob;\r\n1;Anna;\r\n")
    result = cli("customers", "import", path)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "read: 3", "added: 2", "updated: 0", "duplicates: 1", "rejected: 0"
    ]
    assert result.err == ""
    assert profiles(data_dir, store_url) == {
        "1": {"firstName": "Anna", "birthday": ""},
        "2": {"firstName": "Bob", "birthday": ""},
    }


def test_profiles_are_updated_in_place_and_keep_fields_not_in_the_file(
    cli, data_dir: Path, tmp_path: Path, store_url
) -> None:  # type: ignore[no-untyped-def]
    assert cli("customers", "import",
               write(tmp_path, "id,firstName,plan\na,Ann,gold\nb,Bob,free\n", "a.csv")).code == 0
    result = cli("customers", "import",
                 write(tmp_path, "id,plan,city\nb,premium,Oslo\nc,free,Rome\n"))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "read: 2", "added: 1", "updated: 1", "duplicates: 0", "rejected: 0"
    ]
    assert profiles(data_dir, store_url) == {
        "a": {"firstName": "Ann", "plan": "gold"},
        "b": {"firstName": "Bob", "plan": "premium", "city": "Oslo"},
        "c": {"plan": "free", "city": "Rome"},
    }


def test_rejected_rows_exit_1_and_are_saved(cli, data_dir: Path, tmp_path: Path, store_url) -> None:  # type: ignore[no-untyped-def]
    rejects = tmp_path / "rejects.csv"
    path = write(tmp_path, "id;name\n1;Ann\n;Nobody\n2;Bob;extra\n")
    result = cli("customers", "import", path, "--rejects", str(rejects))
    assert result.code == 1
    assert result.out.splitlines() == [
        "read: 3", "added: 1", "updated: 0", "duplicates: 0", "rejected: 2"
    ]
    assert result.err.splitlines() == [
        "line 3: empty customer ID",
        "line 4: too many fields (3; the header has 2)",
    ]
    text = rejects.read_text(encoding="utf-8-sig")
    saved = csv.DictReader(io.StringIO(text, newline=""), dialect=csv.Sniffer().sniff(text))
    assert [(row["line"], row["reason"]) for row in saved] == [
        ("3", "empty customer ID"), ("4", "too many fields (3; the header has 2)")
    ]
    assert profiles(data_dir, store_url) == {"1": {"name": "Ann"}}


def test_nothing_importable_exits_2_and_changes_nothing(  # type: ignore[no-untyped-def]
    cli, data_dir: Path, tmp_path: Path, store_url
) -> None:
    assert cli("customers", "import", write(tmp_path, "id,x\na,1\n", "a.csv")).code == 0
    result = cli("customers", "import", write(tmp_path, "id,x\n,2\n,3\n"))
    assert result.code == 2
    assert result.out.splitlines() == [
        "read: 2", "added: 0", "updated: 0", "duplicates: 0", "rejected: 2"
    ]
    assert ("nothing was imported: all 2 rows were rejected; the customer base is unchanged"
            in result.err)
    assert profiles(data_dir, store_url) == {"a": {"x": "1"}}


def test_id_column_option(cli, data_dir: Path, tmp_path: Path, store_url) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "email,name\na@x.org,Ann\n")
    result = cli("customers", "import", path)
    assert result.code == 2
    assert "No customer ID column was found" in result.err and "--id-column" in result.err
    assert cli("customers", "import", path, "--id-column", "email").code == 0
    assert profiles(data_dir, store_url) == {"a@x.org": {"name": "Ann"}}


@pytest.mark.parametrize("command", ["customers", "audience"])
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("gone.csv", None, "gone.csv: no such file"),
     ("empty.csv", "", "empty.csv is empty"),
     ("header.csv", "customerId,name\n", "header.csv: The file has a header line")],
    ids=["missing", "empty", "header-only"],
)
def test_a_file_that_cannot_be_imported_is_named_once_on_one_line(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, command: str, name: str, content: str | None, message: str
) -> None:
    path = str(tmp_path / name) if content is None else write(tmp_path, content, name)
    args = ["import", path] if command == "customers" else ["import", create(cli, tmp_path), path]
    result = cli(command, *args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert message in result.err
    assert result.err.count(name) == 1
    assert result.out == ""


def test_no_journey_gains_members_except_active_ones_for_everyone(  # type: ignore[no-untyped-def]
    cli, data_dir: Path, tmp_path: Path, store_url
) -> None:
    draft_csv = create(cli, tmp_path)
    active_csv = create(cli, tmp_path, {**EVERYONE, "name": "Active, imported", "audience": "csv"})
    draft_all = create(cli, tmp_path, {**EVERYONE, "name": "Draft, everyone"})
    active_all = create(cli, tmp_path, EVERYONE)
    assert cli("activate", active_csv).code == 0
    assert cli("activate", active_all).code == 0

    assert cli("customers", "import", write(tmp_path, "id,firstName\na,Ann\nb,Bob\n")).code == 0
    assert members(data_dir, store_url) == [(int(active_all), "a"), (int(active_all), "b")]
    audiences = {j["id"]: j["audience"] for j in cli("list", "--json").json()}
    # A draft for everyone counts the customer base; it gains its members on activation.
    assert audiences == {int(draft_csv): 0, int(active_csv): 0, int(draft_all): 2,
                         int(active_all): 2}


def test_a_customer_imported_after_activation_enters_an_everyone_journey(
    cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    journey = create(cli, tmp_path, EVERYONE)
    assert cli("activate", journey).code == 0
    assert cli("customers", "import", write(tmp_path, "customerId,firstName\nc1,Ann\n")).code == 0
    tick = cli("tick")
    assert tick.code == 0, tick.err
    exported = cli("outbox", "export")
    assert exported.code == 0, exported.err
    rows = list(csv.DictReader(io.StringIO(exported.out.lstrip("\ufeff"))))
    assert [(r["customerId"], r["journey"], r["node"], r["title"]) for r in rows] == [
        ("c1", "Hello everyone", "hello", "Hello Ann")
    ]


def test_delimiter_type_and_misfits_options(  # type: ignore[no-untyped-def]
    cli, data_dir: Path, tmp_path: Path, store_url
) -> None:
    path = write(tmp_path, "id|birthday|note\na|1990-01-02|x;y\nb|soon|z;w\nc|1991-03-04|v\n")
    misfits = tmp_path / "misfits.csv"
    result = cli("customers", "import", path, "--delimiter", "|", "--type", "note=text",
                 "--misfits", str(misfits))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "not_fitting: 1"
    assert profiles(data_dir, store_url) == {
        "a": {"birthday": "1990-01-02", "note": "x;y"}, "b": {"note": "z;w"},
        "c": {"birthday": "1991-03-04", "note": "v"}}
    with misfits.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["line", "column", "value", "reason"],
            ["3", "birthday", "soon", "not a date (YYYY-MM-DD, or day and month with / - .)"]]
