"""``journey-desktop audience import``: output lines and exit codes of SPEC §7."""

from __future__ import annotations

import codecs
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import example_path

pytestmark = pytest.mark.both_databases

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def journey(cli) -> str:  # type: ignore[no-untyped-def]
    result = cli("create", str(example_path("birthday")))
    assert result.code == 0, result.err
    return result.out.strip()


def write(tmp_path: Path, text: str | bytes, name: str = "audience.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def files_in(folder: Path) -> list[str]:
    """The files a test wrote or the command left there (not the data folder)."""
    return sorted(p.name for p in folder.iterdir() if p.name != "data")


def test_import_prints_counts_and_list_shows_the_audience(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path
) -> None:
    path = write(tmp_path,
                 "customerId;firstName;birthday\r\n1;Ann;1990-01-02\r\n2;Bob;\r\n1;Anna;\r\n")
    result = cli("audience", "import", journey, path)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "read: 3", "added: 2", "updated: 0", "duplicates: 1", "rejected: 0"
    ]
    assert result.err == ""
    listing = cli("list", "--json").json()
    assert listing[0]["audience"] == 2


def test_rejected_rows_exit_1_and_are_saved(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, 'id,name\n1,Ann\n,Nobody\n2,"Bob",extra\n3,Cy\n')
    rejects = tmp_path / "rejects.csv"
    result = cli("audience", "import", journey, path, "--rejects", str(rejects))
    assert result.code == 1
    assert result.out.splitlines() == [
        "read: 4", "added: 2", "updated: 0", "duplicates: 0", "rejected: 2"
    ]
    assert result.err.splitlines() == [
        "line 3: empty customer ID",
        "line 4: too many fields (3; the header has 2)",
    ]
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["line", "reason", "id", "name"],
            ["3", "empty customer ID", "", "Nobody"],
            ["4", "too many fields (3; the header has 2)", "2", "Bob", "extra"],
        ]
    assert files_in(tmp_path) == ["audience.csv", "rejects.csv"]


def test_a_quote_never_closed_refuses_the_file_and_replace_removes_no_one(
    cli, journey: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rows = [f"C{i},Name{i}" for i in range(1_000)]
    assert cli("audience", "import", journey,
               write(tmp_path, "id,name\n" + "\n".join(rows), "all.csv")).code == 0
    rows[0] = 'C0,"Ann'
    result = cli("audience", "import", journey, write(tmp_path, "id,name\n" + "\n".join(rows)),
                 "--replace")
    assert result.code == 2 and result.out == ""
    assert result.err.splitlines() == [
        "journey-desktop: audience.csv, line 2: a quote opened "
        "on this line is never closed (the field runs to the end of the file)"
    ]
    assert cli("list", "--json").json()[0]["audience"] == 1_000


@pytest.mark.parametrize("where", ["folder", "missing folder", "under a file", "the source"])
def test_a_rejects_path_that_cannot_be_written_is_refused_before_importing(
    cli, journey: str, tmp_path: Path, where: str
) -> None:  # type: ignore[no-untyped-def]
    path = Path(write(tmp_path, "id,name\n1,Ann\n,Nobody\n"))
    out = {
        "folder": tmp_path,
        "missing folder": tmp_path / "missing" / "rejects.csv",
        "under a file": tmp_path / "audience.csv" / "rejects.csv",
        "the source": path,
    }[where]
    result = cli("audience", "import", journey, str(path), "--rejects", str(out))
    assert result.code == 2 and result.out == ""
    assert len(result.err.splitlines()) == 1 and result.err.startswith(f"journey-desktop: {out}: ")
    assert cli("list", "--json").json()[0]["audience"] == 0  # nothing imported
    assert files_in(tmp_path) == ["audience.csv"]
    assert path.read_text() == "id,name\n1,Ann\n,Nobody\n"


def test_a_refused_file_leaves_no_rejects_file_behind(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("audience", "import", journey, write(tmp_path, "id\n1\n\"2\n"), "--rejects",
                 str(tmp_path / "rejects.csv"))
    assert result.code == 2 and "never closed" in result.err
    assert files_in(tmp_path) == ["audience.csv"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_is_refused_rather_than_waited_on(
    journey: str, data_dir: Path, tmp_path: Path, store_url: str | None
) -> None:
    fifo = tmp_path / "audience.csv"
    os.mkfifo(fifo)
    where = ["--database", store_url] if store_url else []
    result = subprocess.run(
        [sys.executable, "-m", "journey_desktop", "--data-dir", str(data_dir), *where,
         "audience", "import", journey, str(fifo)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"journey-desktop: {fifo}: is not a regular file (a pipe or a device), "
        "so it cannot be read as a CSV file; save the data to a file first"
    ]


def test_nothing_importable_exits_2_and_changes_nothing(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("audience", "import", journey, write(tmp_path, "id\na\nb\n", "a.csv")).code == 0
    result = cli("audience", "import", journey, write(tmp_path, "id,x\n,1\n,2\n"), "--replace")
    assert result.code == 2
    assert result.out.splitlines() == [
        "read: 2", "added: 0", "updated: 0", "duplicates: 0", "rejected: 2", "removed: 0"
    ]
    assert "nothing was imported: all 2 rows were rejected" in result.err
    assert cli("list", "--json").json()[0]["audience"] == 2


def test_replace_prints_removed(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("audience", "import", journey, write(tmp_path, "id\na\nb\nc\n", "a.csv"))
    result = cli("audience", "import", journey, write(tmp_path, "id\nc\nd\n"), "--replace")
    assert result.code == 0
    assert result.out.splitlines() == [
        "read: 2", "added: 1", "updated: 1", "duplicates: 0", "rejected: 0", "removed: 2"
    ]
    assert cli("list", "--json").json()[0]["audience"] == 2


def test_id_column_option(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "email,name\na@x.org,Ann\n")
    result = cli("audience", "import", journey, path)
    assert result.code == 2
    assert "No customer ID column was found" in result.err and "--id-column" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert cli("audience", "import", journey, path, "--id-column", "Email").code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (PNG, "not a CSV file"),
        (b"customerId,name\n", "no customer rows"),
    ],
    ids=["empty", "binary", "header-only"],
)
def test_files_that_are_not_csv_get_one_clear_line(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path, content: bytes, message: str
) -> None:
    result = cli("audience", "import", journey, write(tmp_path, content))
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert result.out == ""


def test_missing_file_and_unknown_journey(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("audience", "import", journey, str(tmp_path / "nope.csv"))
    assert result.code == 2 and "no such file" in result.err
    result = cli("audience", "import", "No such journey", write(tmp_path, "id\n1\n"))
    assert result.code == 2 and "no journey" in result.err


def test_deactivated_journey_is_refused(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("activate", journey).code == 0
    assert cli("deactivate", journey, "--yes").code == 0
    result = cli("audience", "import", journey, write(tmp_path, "id\n1\n"))
    assert result.code == 2
    assert "deactivated" in result.err and "clone" in result.err


def test_values_that_do_not_fit_are_listed_after_the_counts(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path
) -> None:
    rows = "".join(f"c{i},{i % 28 + 1:02d}/01/1990\n" for i in range(10))
    path = write(tmp_path, "customerId,birthday\n" + rows + "c10,31/02/1990\n")
    result = cli("audience", "import", journey, path)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "read: 11", "added: 11", "updated: 0", "duplicates: 0", "rejected: 0", "not_fitting: 1"
    ]
    assert result.err.splitlines() == [
        "line 12, column birthday: '31/02/1990' (no such day), not set"
    ]


def test_ambiguous_dates_need_date_order(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "customerId,birthday\nc1,03/04/1990\n")
    refused = cli("audience", "import", journey, path)
    assert refused.code == 2
    assert "could be day-first or month-first" in refused.err and "--date-order" in refused.err
    assert cli("audience", "import", journey, path, "--date-order", "month-first").code == 0


def audience_columns(data_dir: Path, url: str | None, journey: str) -> dict[str, str]:
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.repository import JourneyRepository

    open_store(data_dir, url=url)
    try:
        return dict(JourneyRepository().get(int(journey)).audience_columns)
    finally:
        close_store()


def member_fields(data_dir: Path, url: str | None, external_id: str) -> dict[str, str]:
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.db import database

    open_store(data_dir, url=url)
    try:
        fields = dict(database.execute_sql("SELECT external_id, fields FROM profile"))
        return dict(json.loads(fields[external_id]))
    finally:
        close_store()


NINE_BIRTHDAYS = "".join(f"k{i};2{i}/12/1980\n" for i in range(8)) + "k9;unknown\n"


def test_a_date_column_with_an_unreadable_value_is_a_date_column(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path, data_dir: Path, store_url
) -> None:
    path = write(tmp_path, "id;birthday\n" + NINE_BIRTHDAYS)
    result = cli("audience", "import", journey, path)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "not_fitting: 1"
    assert result.err.splitlines() == [
        "line 10, column birthday: 'unknown' (not a date (YYYY-MM-DD, or day and month with "
        "/ - .)), not set"]
    assert audience_columns(data_dir, store_url, journey) == {"birthday": "date"}
    assert member_fields(data_dir, store_url, "k0") == {"birthday": "1980-12-20"}
    assert member_fields(data_dir, store_url, "k9") == {}


def test_type_option_sets_a_columns_type(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path, data_dir: Path, store_url
) -> None:
    path = write(tmp_path, "id;birthday;code\n" + "".join(
        f"k{i};2{i}/12/1980;{i}\n" for i in range(3)) + "k9;unknown;x\n")
    as_text = cli("audience", "import", journey, path, "--type", "birthday=text")
    assert as_text.code == 0
    assert as_text.err == "line 5, column code: 'x' (not a number), not set\n"
    assert audience_columns(data_dir, store_url, journey) == {
        "birthday": "text", "code": "number"}
    assert member_fields(data_dir, store_url, "k9") == {"birthday": "unknown"}
    as_date = cli("audience", "import", journey, path, "--replace", "--type", "Code=date",
                  "--type", "birthday=date")
    assert as_date.code == 0, as_date.err
    assert as_date.out.splitlines()[-1] == "not_fitting: 5"
    assert audience_columns(data_dir, store_url, journey) == {"birthday": "date", "code": "date"}
    assert member_fields(data_dir, store_url, "k0")["birthday"] == "1980-12-20"
    for wrong, words in (("birthday=when", "the type is one of text, number, date"),
                         ("birthday", "write COLUMN=TYPE"),
                         ("city=text", "no column named 'city'")):
        refused = cli("audience", "import", journey, path, "--type", wrong)
        assert refused.code == 2 and words in refused.err, refused.err


@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
def test_an_over_long_field_rejects_its_row_only(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path, delimiter: str
) -> None:
    long = "x" * (csv.field_size_limit() + 1)
    rows = [["customerId", "name"], ["1", long], ["2", "Bob"], ["3", "Cy"]]
    path = write(tmp_path, "".join(delimiter.join(row) + "\r\n" for row in rows))
    result = cli("audience", "import", journey, path)
    assert result.code == 1, result.err
    assert result.out.splitlines() == [
        "read: 3", "added: 2", "updated: 0", "duplicates: 0", "rejected: 1"]
    assert result.err.splitlines() == [
        f"line 2: a field is longer than {csv.field_size_limit():,} characters"]


@pytest.mark.parametrize("option", ["tab", "\\t", "\t"])
def test_delimiter_option_overrides_the_sniffed_one(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path, option: str
) -> None:
    path = write(tmp_path, "id\tnote\n1\ta,b\n2\tc,d\n")
    result = cli("audience", "import", journey, path, "--delimiter", option)
    assert result.code == 0, result.err
    assert cli("audience", "import", journey, path, "--delimiter", ",").code == 2
    refused = cli("audience", "import", journey, path, "--delimiter", ":")
    assert refused.code == 2 and "is not a delimiter" in refused.err


def test_a_fixed_rejects_file_imports_again_as_it_was_written(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path, data_dir: Path, store_url
) -> None:
    path = write(tmp_path, "customerId;score;phone;note\nc1;3;+34600111222;fine\n"
                 ";-5;+34600333444;@ops\n")
    rejects = tmp_path / "rejects.csv"
    first = cli("audience", "import", journey, path, "--rejects", str(rejects))
    assert first.code == 1, first.err
    text = rejects.read_bytes().decode("utf-8-sig")
    assert text == ("line;reason;customerId;score;phone;note\r\n"
                    "3;empty customer ID;;-5;+34600333444;@ops\r\n")
    rejects.write_text(text.replace(";;-5", ";c2;-5"), encoding="utf-8-sig")
    again = cli("audience", "import", journey, str(rejects))
    assert again.code == 0, again.err
    assert again.out.splitlines()[:2] == ["read: 1", "added: 1"]
    assert again.err == "the rejects file's line and reason columns are not imported\n"
    assert member_fields(data_dir, store_url, "c2") == {
        "score": "-5", "phone": "+34600333444", "note": "@ops"}
    assert audience_columns(data_dir, store_url, journey) == {
        "score": "number", "phone": "text", "note": "text"}


def assert_every_third_b_said_and_saved(result, out: Path) -> None:  # type: ignore[no-untyped-def]
    """A 60-row import whose column ``b`` holds ``x`` on every third row from the second,
    with ``--misfits OUT``: counted, the first ten said, and every one saved in ``out``."""
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "not_fitting: 20"
    err = result.err.splitlines()
    assert len(err) == 11 and err[0] == "line 3, column b: 'x' (not a number), not set"
    assert err[-1] == (f"... and 10 more values that do not fit their column's type; all of "
                       f"them are in {out}")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["line", "column", "value", "reason"]
    assert table[1:] == [[str(i + 2), "b", "x", "not a number"] for i in range(1, 60, 3)]


def test_misfits_option_writes_every_value_that_does_not_fit(  # type: ignore[no-untyped-def]
    cli, journey: str, tmp_path: Path
) -> None:
    rows = "".join(f"c{i},{i},{'x' if i % 3 == 1 else i}\n" for i in range(60))
    path = write(tmp_path, "customerId,a,b\n" + rows)
    out = tmp_path / "misfits.csv"
    result = cli("audience", "import", journey, path, "--misfits", str(out))
    assert out.read_bytes().startswith(codecs.BOM_UTF8 + b"line,column,value,reason\r\n")
    assert_every_third_b_said_and_saved(result, out)
    assert files_in(tmp_path) == ["audience.csv", "misfits.csv"]
    without = cli("audience", "import", journey, path)
    assert without.err.splitlines()[-1].endswith(
        "their column's type (--misfits OUT.csv saves them all)")
