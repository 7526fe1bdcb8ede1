"""``journey-desktop audience import``: output lines and exit codes of SPEC §7."""

from __future__ import annotations

import csv
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


def test_import_prints_counts_and_list_shows_the_audience(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "customerId;firstName;birthday\r\n1;Ann;1990-01-02\r\n2;Bob;\r\n1;Anna;\r\n")
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


def test_a_quote_never_closed_refuses_the_file_and_replace_removes_no_one(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [f"C{i},Name{i}" for i in range(1_000)]
    assert cli("audience", "import", journey, write(tmp_path, "id,name\n" + "\n".join(rows), "all.csv")).code == 0
    rows[0] = 'C0,"Ann'
    result = cli("audience", "import", journey, write(tmp_path, "id,name\n" + "\n".join(rows)), "--replace")
    assert result.code == 2 and result.out == ""
    assert result.err.splitlines() == [
        "journey-desktop: audience.csv, line 2: a quote opened "
        "on this line is never closed (the field runs to the end of the file)"
    ]
    assert cli("list", "--json").json()[0]["audience"] == 1_000


@pytest.mark.parametrize("where", ["folder", "missing folder", "under a file", "the source"])
def test_a_rejects_path_that_cannot_be_written_is_refused_before_importing(cli, journey: str, tmp_path: Path, where: str) -> None:  # type: ignore[no-untyped-def]
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
def test_files_that_are_not_csv_get_one_clear_line(cli, journey: str, tmp_path: Path, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
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


def test_values_that_do_not_fit_are_listed_after_the_counts(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"c{i},{i % 28 + 1:02d}/01/1990\n" for i in range(10))
    path = write(tmp_path, "customerId,birthday\n" + rows + "c10,31/02/1990\n")
    result = cli("audience", "import", journey, path)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "read: 11", "added: 11", "updated: 0", "duplicates: 0", "rejected: 0", "not_fitting: 1"
    ]
    assert result.err.splitlines() == ["line 12, column birthday: '31/02/1990' (no such day), not set"]


def test_ambiguous_dates_need_date_order(cli, journey: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "customerId,birthday\nc1,03/04/1990\n")
    refused = cli("audience", "import", journey, path)
    assert refused.code == 2
    assert "could be day-first or month-first" in refused.err and "--date-order" in refused.err
    assert cli("audience", "import", journey, path, "--date-order", "month-first").code == 0
