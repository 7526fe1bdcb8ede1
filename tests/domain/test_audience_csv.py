"""CSV sniffing and streaming of SPEC §4, on small files written byte for byte."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import random
import threading
from pathlib import Path

import pytest

from journey_desktop.domain.audience_csv import (
    CP1252,
    UTF8,
    UTF8_BOM,
    UTF16,
    CsvFileError,
    CustomerReader,
    ImportPlan,
    find_id_column,
)
from journey_desktop.domain.audience_preview import infer_type, preview_csv
from journey_desktop.domain.csv_records import Records, RejectLog
from journey_desktop.domain.values import DATE_ORDERS, NO_SUCH_DAY, NOT_A_DATE

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def write(tmp_path: Path, data: bytes, name: str = "audience.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(
    path: Path, **plan_args: object
) -> tuple[list[tuple[str, dict[str, str]]], CustomerReader]:
    plan = ImportPlan.from_preview(preview_csv(path), **plan_args)  # type: ignore[arg-type]
    customers: list[tuple[str, dict[str, str]]] = []
    with CustomerReader(plan) as reader:
        for batch in reader.batches(size=2):
            customers.extend((eid, json.loads(fields)) for eid, fields in batch)
    return customers, reader


# --- encodings -----------------------------------------------------------------------------


def test_utf8_bom_does_not_hide_the_first_header(tmp_path: Path) -> None:
    path = write(tmp_path, codecs.BOM_UTF8 + "customerId,name\n1,Zoë\n".encode())
    preview = preview_csv(path)
    assert preview.encoding == UTF8_BOM
    assert preview.header == ["customerId", "name"]
    assert preview.id_column == "customerId"
    customers, _ = read_all(path)
    assert customers == [("1", {"name": "Zoë"})]


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "id,city\n7,Málaga\n".encode())
    assert preview_csv(path).encoding == UTF8
    assert read_all(path)[0] == [("7", {"city": "Málaga"})]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    path = write(tmp_path, bom + "externalId\tname\r\nA1\tJosé\r\n".encode(codec))
    preview = preview_csv(path)
    assert preview.encoding == UTF16
    assert preview.delimiter == "\t"
    assert read_all(path)[0] == [("A1", {"name": "José"})]


def test_latin1_falls_back_to_windows_1252(tmp_path: Path) -> None:
    path = write(tmp_path, "id;name;note\n1;Müller;€ 5\n".encode("cp1252"))
    preview = preview_csv(path)
    assert preview.encoding == CP1252
    assert read_all(path)[0] == [("1", {"name": "Müller", "note": "€ 5"})]


def test_latin1_bytes_after_the_sniffed_sample_still_decode(tmp_path: Path) -> None:
    rows = "".join(f"{i},plain\n" for i in range(9000))  # > 64 KiB of ASCII first
    path = write(tmp_path, ("id,name\n" + rows).encode() + "9001,Gödel\n".encode("latin-1"))
    preview = preview_csv(path)
    assert preview.encoding == UTF8 and preview.truncated
    customers, reader = read_all(path)
    assert customers[-1] == ("9001", {"name": "Gödel"})
    assert reader.read == 9001


# --- delimiters, quoting, line endings ----------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = delimiter.join(["customerId", "name", "city"]) + "\n"
    text += delimiter.join(["c1", "Ann", "Paris, France" if delimiter != "," else "Paris"]) + "\n"
    path = write(tmp_path, text.encode())
    preview = preview_csv(path)
    assert preview.delimiter == delimiter
    assert preview.header == ["customerId", "name", "city"]
    assert read_all(path)[0][0][0] == "c1"


def test_delimiter_can_be_overridden(tmp_path: Path) -> None:
    path = write(tmp_path, b"id;name\n1;a,b\n")
    preview = preview_csv(path, delimiter=",")
    assert preview.delimiter == ","
    assert preview.header == ["id;name"]


def test_quoted_fields_hold_delimiters_and_newlines(tmp_path: Path) -> None:
    data = b'id,address,name\r\n1,"Main St 1,\r\nFlat 2",Ann\r\n2,"say ""hi""",Bob\r\n'
    path = write(tmp_path, data)
    customers, reader = read_all(path)
    assert customers == [
        ("1", {"address": "Main St 1,\r\nFlat 2", "name": "Ann"}),
        ("2", {"address": 'say "hi"', "name": "Bob"}),
    ]
    assert reader.read == 2


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings(tmp_path: Path, eol: bytes) -> None:
    path = write(tmp_path, eol.join([b"id,name", b"1,Ann", b"2,Bob", b"3,Cy", b""]))
    customers, reader = read_all(path)
    assert [c[0] for c in customers] == ["1", "2", "3"]
    assert reader.read == 3


def test_cr_only_file_reports_physical_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, b'id,name\r1,Ann\r,nobody\r2,"two\rlines"\r3\r')
    _, reader = read_all(path)
    assert [(r.line, r.reason) for r in reader.rejects.kept] == [
        (3, "empty customer ID"),
        (6, "too few fields (1; the header has 2)"),
    ]


# --- the ID column --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["customerId", "CustomerID", "customer_id", "Customer Id", "externalId", "EXTERNAL_ID",
     "externalCode", "external code", "id", "ID", " Id "],
)
def test_id_column_found_under_each_name(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f"name,{header}\nAnn,42\n".encode())
    preview = preview_csv(path)
    assert preview.id_column == header.strip()
    assert read_all(path)[0] == [("42", {"name": "Ann"})]


def test_id_column_preference_order() -> None:
    assert find_id_column(["id", "externalCode", "externalId", "customerId"]) == "customerId"
    assert find_id_column(["id", "external_code"]) == "external_code"
    assert find_id_column(["email", "name"]) is None


def test_no_id_column_asks_for_one(tmp_path: Path) -> None:
    path = write(tmp_path, b"email,name\na@x.org,Ann\n")
    preview = preview_csv(path)
    assert preview.id_column is None
    assert "No customer ID column" in (preview.problem() or "")
    with pytest.raises(CsvFileError, match="No customer ID column"):
        ImportPlan.from_preview(preview)
    customers, _ = read_all(path, id_column="email")
    assert customers == [("a@x.org", {"name": "Ann"})]


def test_unknown_id_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, b"email,name\na@x.org,Ann\n")
    with pytest.raises(CsvFileError, match="no column named 'mail'"):
        ImportPlan.from_preview(preview_csv(path), id_column="mail")


# --- rows: trimming, empty IDs, field counts -----------------------------------------------


def test_values_are_trimmed_and_empty_ids_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,name\n  a1 ,  Ann  \n   ,Bob\n,\n\na2,\n")
    customers, reader = read_all(path)
    assert customers == [("a1", {"name": "Ann"}), ("a2", {"name": ""})]
    assert [(r.line, r.reason, r.row) for r in reader.rejects.kept] == [
        (3, "empty customer ID", "   ,Bob")
    ]
    assert reader.read == 3  # blank lines and all-empty rows are not rows
    assert reader.blank == 2  # ",", and the empty line


def test_rows_with_too_many_or_too_few_fields_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,name,city\n1,Ann,Paris\n2,Bob\n3,Cy,Rome,extra\n4,Di,Oslo\n")
    customers, reader = read_all(path)
    assert [c[0] for c in customers] == ["1", "4"]
    assert [(r.line, r.reason, r.row) for r in reader.rejects.kept] == [
        (3, "too few fields (2; the header has 3)", "2,Bob"),
        (4, "too many fields (4; the header has 3)", "3,Cy,Rome,extra"),
    ]
    assert reader.read == 4


def test_a_row_short_of_a_field_beside_one_with_a_field_too_many_in_a_long_file(
    tmp_path: Path,
) -> None:
    """Rows a field short and a field over, next to each other far into a file of plain
    lines: the chunk holding them has as many delimiters as a right one, and they are still
    told apart, on their lines; the rows around them are read whole."""
    rows = [f"c{n},name {n},city {n % 7}" for n in range(3000)]
    rows[1500], rows[1501] = "c1500,name 1500", "c1501,name 1501,city 3,extra"
    path = write(tmp_path, ("id,name,city\n" + "\n".join(rows) + "\n").encode())
    customers, reader = read_all(path)
    assert len(customers) == 2998
    assert customers[1499] == ("c1499", {"name": "name 1499", "city": "city 1"})
    assert customers[1500] == ("c1502", {"name": "name 1502", "city": "city 4"})
    assert customers[-1] == ("c2999", {"name": "name 2999", "city": "city 3"})
    assert [(r.line, r.reason) for r in reader.rejects.kept] == [
        (1502, "too few fields (2; the header has 3)"),
        (1503, "too many fields (4; the header has 3)"),
    ]
    assert reader.read == 3000


def test_duplicate_and_empty_header_names_get_unique_names(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,name,,name\n1,a,b,c\n")
    preview = preview_csv(path)
    assert preview.header == ["id", "name", "column 3", "name (2)"]
    assert read_all(path)[0] == [("1", {"name": "a", "column 3": "b", "name (2)": "c"})]


def test_fields_json_escapes_quotes_backslashes_and_control_characters(tmp_path: Path) -> None:
    path = write(tmp_path, b'id,"we""ird %s",b\n1,"a\\b ""q""",\t\x01x\n')
    customers, _ = read_all(path)
    assert customers == [("1", {'we"ird %s': 'a\\b "q"', "b": "\x01x"})]


# --- files that are not CSV ----------------------------------------------------------------


def test_binary_file_is_refused_in_words(tmp_path: Path) -> None:
    path = write(tmp_path, PNG, "photo.csv")
    with pytest.raises(CsvFileError, match="not a CSV file"):
        preview_csv(path)


@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n", codecs.BOM_UTF8])
def test_empty_file_is_refused_in_words(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(CsvFileError, match="is empty"):
        preview_csv(write(tmp_path, data))


def test_header_only(tmp_path: Path) -> None:
    preview = preview_csv(write(tmp_path, b"customerId,name\r\n"))
    assert preview.header == ["customerId", "name"]
    assert preview.problem() == "The file has a header line but no customer rows."
    with pytest.raises(CsvFileError, match="no customer rows"):
        ImportPlan.from_preview(preview)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CsvFileError, match="no such file"):
        preview_csv(tmp_path / "nope.csv")


def test_changed_file_between_preview_and_import(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,name\n1,a\n")
    plan = ImportPlan.from_preview(preview_csv(path))
    path.write_bytes(b"code,name\n1,a\n")
    with pytest.raises(CsvFileError, match="no column 'id'"), CustomerReader(plan) as reader:
        list(reader.batches())


# --- types and the preview -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2.5", "-3", "", "4,5"], "number"),
        (["1987-01-17", "2001-12-31", ""], "date"),
        (["2024-02-30"], "text"),
        (["007", "12"], "text"),  # leading zeros: codes, not numbers
        (["+34600111222"], "text"),
        (["nan", "inf"], "text"),
        (["", " "], "text"),
        (["yes", "1"], "text"),
        # More than half of the values decide; the others are listed as not fitting.
        ([f"2{i}/12/1980" for i in range(8)] + ["unknown"], "date"),
        (["1990-01-02", "1990-02-03", "n/a"], "date"),
        (["1", "2", "n/a"], "number"),
        (["1", "n/a", "none"], "text"),
        (["1990-01-02", "n/a"], "text"),  # half is not a majority
        (["12", "7", "007"], "text"),  # a code among the numbers
    ],
)
def test_type_inference(values: list[str], expected: str) -> None:
    assert infer_type(values) == expected


def test_preview_shows_first_rows_and_types(tmp_path: Path) -> None:
    rows = "".join(f"c{i},{i * 10},2000-01-{i % 28 + 1:02d},x{i}\n" for i in range(50))
    path = write(tmp_path, ("customerId,points,birthday,name\n" + rows).encode())
    preview = preview_csv(path)
    assert len(preview.rows) == 20 and preview.rows[0] == ["c0", "0", "2000-01-01", "x0"]
    assert preview.types == {
        "customerId": "text", "points": "number", "birthday": "date", "name": "text"
    }
    plan = ImportPlan.from_preview(preview, types={"points": "text"})
    assert plan.columns == {"points": "text", "birthday": "date", "name": "text"}


def test_reject_log_keeps_every_rejected_row_with_its_cells() -> None:
    log = RejectLog(";")
    for line in range(2, 1502):
        log.add(line, "empty customer ID", ["", "a;b", 'q"\nr'])
    assert log.count == 1500 and len(log.kept) == 1000
    every = list(log)
    assert len(every) == 1500 and every[-1].line == 1501
    assert every[0].cells == ("", "a;b", 'q"\nr')
    assert every[0].row == ';"a;b";"q""\nr"'
    log.close()


# --- whole batches and row by row agree ---------------------------------------------------


Customers = list[tuple[str, dict[str, str]]]


def _row_by_row(path: Path, width: int, id_index: int) -> tuple[Customers, list[tuple[int, str]]]:
    """The plain reading of SPEC §4, one row at a time with the csv module's line count."""

    customers: Customers = []
    rejects: list[tuple[int, str]] = []
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) == width and row[id_index].strip():
                fields = {name: row[i].strip() for i, name in enumerate(header) if i != id_index}
                customers.append((row[id_index].strip(), fields))
            else:
                text = io.StringIO()
                csv.writer(text, lineterminator="").writerow(row)
                rejects.append((start, text.getvalue()))
    return customers, rejects


@pytest.mark.parametrize("seed", range(6))
def test_batches_give_the_same_customers_and_reject_lines_as_row_by_row_reading(
    tmp_path: Path, seed: int
) -> None:
    rnd = random.Random(seed)
    id_index = seed % 3
    header = ["a", "b", "c"]
    header[id_index] = "customerId"
    cells = ["x", " padded ", "", 'say "hi"', "back\\slash", "tab\there", "two\nlines",
             "cr\ronly", "crlf\r\nend", "50% off", "Zoë", "\x01ctl"]

    def cell() -> str:
        text = rnd.choice(cells)
        return '"' + text.replace('"', '""') + '"' if set(text) & set('",\r\n') else text

    lines = [",".join(header)]
    for n in range(300):
        kind = rnd.random()
        if kind < 0.04:
            lines.append("")  # a blank line
        elif kind < 0.08:
            lines.append(",".join(cell() for _ in range(rnd.choice([1, 2, 4]))))  # wrong width
        else:
            row = [cell() for _ in range(3)]
            row[id_index] = "" if kind < 0.12 else f"id{n % 250}"
            lines.append(",".join(row))
    path = write(tmp_path, ("\r\n" if seed % 2 else "\n").join(lines).encode() + b"\n")
    expected_customers, expected_rejects = _row_by_row(path, 3, id_index)
    # The file has what makes batches take the row-by-row way: rejects and multi-line rows.
    assert expected_rejects
    assert any("\n" in value for _, fields in expected_customers for value in fields.values())

    for size in (1, 7, 64, 10_000):
        plan = ImportPlan.from_preview(preview_csv(path), id_column="customerId")
        customers: list[tuple[str, dict[str, str]]] = []
        with CustomerReader(plan) as reader:
            for batch in reader.batches(size):
                customers.extend((eid, json.loads(fields)) for eid, fields in batch)
        assert customers == expected_customers, size
        assert [(r.line, r.row) for r in reader.rejects.kept] == expected_rejects, size
        assert reader.read == len(expected_customers) + len(expected_rejects)


def test_a_first_row_longer_than_the_sample_is_still_previewed(tmp_path: Path) -> None:
    long_note = "n" * 100_000  # longer than the 64 KB first read
    path = write(tmp_path, f"id,note\n1,{long_note}\n2,short\n".encode())
    preview = preview_csv(path)
    assert preview.problem() is None
    assert preview.rows[0] == ["1", long_note]
    customers, _ = read_all(path)
    assert customers == [("1", {"note": long_note}), ("2", {"note": "short"})]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_row_with_a_field_over_the_csv_limit_is_rejected_and_the_others_read(
    tmp_path: Path, quoted: bool
) -> None:
    long = '"' + "y" * 131_073 + '"' if quoted else "y" * 131_073
    rows = "".join(f"{i},n{i}\n" for i in range(20_000))  # past the preview's sample
    path = write(tmp_path, f"id,note\n{rows}x,{long}\nz,ok\n0,{'y' * 131_072}".encode())
    assert preview_csv(path).problem() is None  # its first rows look fine
    customers, reader = read_all(path)
    assert len(customers) == 20_002 and customers[-2] == ("z", {"note": "ok"})
    assert customers[-1] == ("0", {"note": "y" * 131_072})  # at the limit, not over it
    assert [(r.line, r.reason) for r in reader.rejects] == [
        (20_002, "a field is longer than 131,072 characters")
    ]
    assert reader.read == 20_003
    # The preview counts such a row (the import rejects it) but cannot show it.
    short = write(tmp_path, f"id,note\n1,{long}\n2,ok\n".encode(), "short.csv")
    preview = preview_csv(short)
    assert preview.rows == [["2", "ok"]] and preview.sample_rows == 2


def test_a_quote_never_closed_is_an_error_naming_its_line(tmp_path: Path) -> None:
    rows = [f"C{i},Name{i}" for i in range(1, 1000)]
    small = write(tmp_path, ("id,name\nC0,\"Ann\n" + "\n".join(rows) + "\n").encode(), "small.csv")
    with pytest.raises(CsvFileError,
                       match=r"^small.csv, line 2: a quote opened on this line is never closed"):
        preview_csv(small)
    # Past the preview's sample: the preview looks fine, the import refuses the file.
    many = "".join(f"C{i},\"two\nlines\"\n" for i in range(20_000))
    late = write(tmp_path, f"id,note\n{many}X,a,\"opens\nand never\ncloses\n".encode(), "late.csv")
    assert preview_csv(late).problem() is None
    with pytest.raises(CsvFileError,
                       match=r"^line 40002: a quote opened on this line is never closed"):
        read_all(late)
    # Running on over the field limit: named at the row where it starts.
    big = write(tmp_path, ("id,name\nC0,\"Ann\n" + "\n".join(rows * 20)).encode(), "big.csv")
    with pytest.raises(CsvFileError, match=r"^big.csv, line 2: a quoted field starting on this "
                       r"row runs past line [\d,]+ and over 131,072 characters"):
        preview_csv(big)


def test_a_last_row_with_a_quoted_newline_is_read_with_or_without_a_final_line_end(
    tmp_path: Path,
) -> None:
    for end in ("", "\n", "\r\n"):
        path = write(tmp_path, f'id,note\n1,"a\nb"\n2,"c\r\nd"{end}'.encode())
        customers, reader = read_all(path)
        assert customers == [("1", {"note": "a\nb"}), ("2", {"note": "c\r\nd"})]
        assert reader.read == 2 and reader.rejects.count == 0


def test_a_nul_past_the_first_sample_refuses_the_file_as_at_its_start(tmp_path: Path) -> None:
    rows = "".join(f"C{i},Name{i}\n" for i in range(20_000))
    path = write(tmp_path, f"id,name\n{rows}X,ab\x00c\nY,ok\n".encode())
    plan = ImportPlan.from_preview(preview_csv(path))
    with pytest.raises(CsvFileError, match=r"^line 20002: the file holds binary data \(a NUL"):
        with CustomerReader(plan) as reader:
            for _ in reader.batches():
                pass
    early = write(tmp_path, b"id,name\nX,ab\x00c\n", "early.csv")
    with pytest.raises(CsvFileError, match="holds binary data"):
        preview_csv(early)


def test_a_byte_order_mark_inside_the_file_is_not_part_of_a_value(tmp_path: Path) -> None:
    # Two exports pasted together: the second one's BOM starts a row.
    path = write(tmp_path, "id,name\nC1,Ann\n\ufeffC2,Bob\nC3,\ufeffCy\ufeff\n".encode())
    customers, reader = read_all(path)
    assert customers == [("C1", {"name": "Ann"}), ("C2", {"name": "Bob"}), ("C3", {"name": "Cy"})]


def _blocks_until_refused(call: object) -> BaseException | None:
    """What ``call`` raised, run aside so that a pipe that blocks it fails the test."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()  # type: ignore[operator]
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    return outcome[0] if outcome else TimeoutError("blocked on the pipe")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_device_is_refused_without_blocking(tmp_path: Path) -> None:
    good = write(tmp_path, b"id\n1\n")
    plan = ImportPlan.from_preview(preview_csv(good))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    error = _blocks_until_refused(lambda: preview_csv(fifo))
    assert isinstance(error, CsvFileError), error
    assert str(error).startswith("pipe.csv: is not a regular file (a pipe or a device)")
    plan.path = str(fifo)
    error = _blocks_until_refused(lambda: CustomerReader(plan).__enter__())
    assert isinstance(error, CsvFileError) and "not a regular file" in str(error)
    with pytest.raises(CsvFileError, match="null: is not a regular file"):
        preview_csv(os.devnull)
    with pytest.raises(CsvFileError, match="is a folder, not a file"):
        preview_csv(tmp_path)


# --- values that fit their column's type -----------------------------------------------------


def test_day_first_dates_and_decimal_commas_import_as_iso_dates_and_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, b"id;birthday;spent\n1;31/12/1990;12,50\n2;01.02.1985;3\n3;;7,25\n")
    preview = preview_csv(path)
    assert (preview.types["birthday"], preview.types["spent"]) == ("date", "number")
    customers, reader = read_all(path)
    assert customers == [
        ("1", {"birthday": "1990-12-31", "spent": "12.50"}),
        ("2", {"birthday": "1985-02-01", "spent": "3"}),
        ("3", {"birthday": "", "spent": "7.25"}),
    ]
    assert reader.misfits.count == 0


def test_month_first_dates(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,birthday\n1,12/31/1990\n2,02/01/1985\n")
    customers, _ = read_all(path)
    assert customers == [("1", {"birthday": "1990-12-31"}), ("2", {"birthday": "1985-02-01"})]


def test_ambiguous_dates_need_the_chosen_order(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,birthday\n1,03/04/1990\n2,02/01/1985\n")
    with pytest.raises(CsvFileError,
                       match="'birthday': dates such as 03/04/1990 could be day-first"):
        ImportPlan.from_preview(preview_csv(path))
    customers, _ = read_all(path, date_orders={"birthday": "month-first"})
    assert customers == [("1", {"birthday": "1990-03-04"}), ("2", {"birthday": "1985-02-01"})]
    customers, _ = read_all(path, date_orders={"birthday": "day-first"})
    assert customers == [("1", {"birthday": "1990-04-03"}), ("2", {"birthday": "1985-01-02"})]


def test_values_that_do_not_fit_are_not_set_and_listed_with_their_line(tmp_path: Path) -> None:
    rows = "".join(f"c{i},1990-01-{i % 28 + 1:02d},{i}\n" for i in range(20))
    data = ("id,birthday,points\n" + rows + 'c20,31/02/1990,5\n"c\n21",1990-01-01,"1,234"\n'
            "c22,n/a,+5\n")
    path = write(tmp_path, data.encode())
    preview = preview_csv(path)
    assert preview.types["birthday"] == "date"  # 22 dates in 23 values
    assert preview.types["points"] == "number"  # 21 numbers in 23 values; 2 listed
    customers, reader = read_all(path, types={"points": "number"},
                                 date_orders={"birthday": "day-first"})
    by_id = dict(customers)
    assert by_id["c20"] == {"points": "5"}  # no birthday: the value is listed, not dropped silently
    assert by_id["c\n21"] == {"birthday": "1990-01-01"}
    assert by_id["c22"] == {}
    assert by_id["c0"] == {"birthday": "1990-01-01", "points": "0"}
    assert [(m.line, m.column, m.value, m.reason) for m in reader.misfits.kept] == [
        (22, "birthday", "31/02/1990", "no such day"),
        (23, "points", "1,234", "a thousands separator or a decimal comma? write 1234 or 1.234"),
        (25, "birthday", "n/a", "not a date (YYYY-MM-DD, or day and month with / - .)"),
        (25, "points", "+5", "not a number"),
    ]
    assert reader.misfits.by_column == {"birthday": 2, "points": 2}
    check = preview.check("points", "number")
    assert (check.count, [value for value, _ in check.examples]) == (2, ["1,234", "+5"])


def _read_every_way(path: Path, **plan_args: object) -> tuple[object, ...]:
    plan = ImportPlan.from_preview(preview_csv(path), **plan_args)  # type: ignore[arg-type]
    with CustomerReader(plan) as reader:
        batches = [(list(batch.ids), list(batch.fields)) for batch in reader.batches(7)]
    customers = [pair for ids, fields in batches for pair in zip(ids, fields, strict=True)]
    rejects = [(r.line, r.reason, r.row) for r in reader.rejects.kept]
    misfits = [(m.line, m.column, m.value, m.reason) for m in reader.misfits.kept]
    reader.rejects.close()
    return customers, rejects, misfits, reader.blank, reader.read


@pytest.mark.parametrize("seed", range(8))
def test_plain_lines_split_without_the_csv_module_read_as_the_csv_module_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Chunks of lines without quotes are split by str.split, read a block at a time or
    line by line: the customers, their fields texts, rejects, misfits and lines are those
    of the csv module's reading."""
    rnd = random.Random(seed)
    delimiter = ",;\t|"[seed % 4]
    eol = ("\n", "\r\n", "\r")[seed % 3]
    id_index = seed % 3
    header = ["name", "born", "city"]
    header.insert(id_index, "customerId")
    plain = ["x", "Ann", " padded ", "lead", "trail ", "", "two words", "Zoë", "back\\slash",
             "a\x01b", "\u00a0nbsp\u00a0", "1990-01-02", "1990-02-30", "3/4/1990", "n/a",
             "\ufeffbom", "50% off", "tab\tin"]
    lines = [delimiter.join(header)]
    for n in range(400):
        kind = rnd.random()
        row = [rnd.choice(plain[:9] if kind < 0.7 else plain) for _ in range(4)]
        row[id_index] = f"id{n % 300}" + (" " if kind < 0.1 else "")
        if 0.95 < kind < 0.96:
            row[id_index] = " "  # an empty ID
        if 0.96 < kind < 0.97:
            row = ['"quoted' + eol + 'line"', "q", "r", "s"]  # a record over two lines
        elif 0.97 < kind < 0.98:
            row = []  # a blank line
        elif 0.98 < kind:
            row = row[:3]  # too few fields
        lines.append(delimiter.join(cell.replace(delimiter, " ") for cell in row))
    if seed % 2:
        lines[-1] += eol  # with or without a line end after the last row
    path = write(tmp_path, eol.join(lines).encode())
    plan_args = {"id_column": "customerId", "types": {"born": "date"},
                 "date_orders": {"born": "month-first"}}

    for chunk_rows in (1, 3, 50, 1000):
        monkeypatch.setattr("journey_desktop.domain.audience_csv.CHUNK_ROWS", chunk_rows)
        split = _read_every_way(path, **plan_args)
        with monkeypatch.context() as small_blocks:  # lines and CR LF cut between blocks
            small_blocks.setattr("journey_desktop.domain.csv_records.BLOCK_CHARS", 50)
            assert _read_every_way(path, **plan_args) == split, chunk_rows
        with monkeypatch.context() as line_by_line:
            line_by_line.setattr(Records, "_block", lambda self, size: None)
            assert _read_every_way(path, **plan_args) == split, chunk_rows
        with monkeypatch.context() as csv_only:
            csv_only.setattr(Records, "_plain_cells", lambda self, *args: None)
            assert _read_every_way(path, **plan_args) == split, chunk_rows
    customers, rejects, misfits, blank, read = split
    assert len(customers) > 300 and rejects and misfits and blank
    assert read == len(customers) + len(rejects)


def test_plain_lines_are_trimmed_and_escaped_as_the_csv_module_reads_them(tmp_path: Path) -> None:
    path = write(tmp_path, "customerId;note\r\n 1 ; a b \r\n2;x\\y\r\n3 ;Zoë \r\n".encode())
    customers, reader = read_all(path)
    assert customers == [("1", {"note": "a b"}), ("2", {"note": "x\\y"}), ("3", {"note": "Zoë"})]
    assert reader.read == 3


# --- a few unreadable values, over-long fields, rejects files imported again ----------------


def test_a_date_column_with_an_unreadable_value_stays_a_date_column(tmp_path: Path) -> None:
    rows = "".join(f"k{i};2{i}/12/1980\n" for i in range(8))
    path = write(tmp_path, ("id;birthday\n" + rows + "k9;unknown\n").encode())
    preview = preview_csv(path)
    assert preview.types["birthday"] == "date"
    check = preview.check("birthday", "date")
    assert (check.count, [value for value, _ in check.examples]) == (1, ["unknown"])
    customers, reader = read_all(path)
    assert customers[0] == ("k0", {"birthday": "1980-12-20"})
    assert customers[-1] == ("k9", {})  # not set, and listed
    assert [(m.line, m.column, m.value) for m in reader.misfits.kept] == [
        (10, "birthday", "unknown")]


def test_the_preview_tells_the_line_each_shown_row_starts_on(tmp_path: Path) -> None:
    path = write(tmp_path, b'\r\nid,name\r\n1,Ann\r\n\r\n2,"B\r\nob"\r\n , \r\n3,Cy\r\n')
    preview = preview_csv(path)
    assert [row[0] for row in preview.rows] == ["1", "2", "3"]
    assert preview.row_lines == [3, 5, 8]
    customers, reader = read_all(path)
    assert [c[0] for c in customers] == ["1", "2", "3"]


def test_dates_that_only_need_the_order_are_not_counted_as_not_fitting(tmp_path: Path) -> None:
    rows = "".join(f"k{i},0{i + 1}/12/1980\n" for i in range(8))
    path = write(tmp_path, ("id,birthday\n" + rows + "k8,unknown\nk9,31/31/1980\n").encode())
    preview = preview_csv(path)
    assert preview.detected_date_order("birthday") is None
    assert "choose the order" in (preview.date_order_problem("birthday", None) or "")
    check = preview.check("birthday", "date")
    assert (check.count, check.examples) == (
        2, [("unknown", NOT_A_DATE), ("31/31/1980", NO_SUCH_DAY)])
    for order in DATE_ORDERS:
        check = preview.check("birthday", "date", order)
        assert [value for value, _ in check.examples] == ["unknown", "31/31/1980"]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_an_over_long_field_in_the_first_rows_is_rejected_with_its_line(
    tmp_path: Path, delimiter: str
) -> None:
    long = "x" * (csv.field_size_limit() + 10)
    lines = [["id", "name", "city"], ["1", long, "Paris"], ["2", "Bob", "Rome"],
             ["3", "Cy", "Oslo"]]
    path = write(tmp_path, "".join(delimiter.join(row) + "\n" for row in lines).encode())
    preview = preview_csv(path)
    assert (preview.delimiter, preview.id_column) == (delimiter, "id")
    customers, reader = read_all(path)
    assert customers == [("2", {"name": "Bob", "city": "Rome"}),
                         ("3", {"name": "Cy", "city": "Oslo"})]
    assert [(r.line, r.reason) for r in reader.rejects.kept] == [
        (2, f"a field is longer than {csv.field_size_limit():,} characters")]


def test_a_rejects_file_imports_without_its_line_and_reason_columns(tmp_path: Path) -> None:
    path = write(tmp_path, b"line;reason;id;score\n3;empty customer ID;c1;-5\n4;too few;;7\n")
    preview = preview_csv(path)
    assert preview.rejects_columns == ("line", "reason")
    plan = ImportPlan.from_preview(preview)
    assert (plan.id_column, plan.columns, plan.skipped) == ("id", {"score": "number"},
                                                            ("line", "reason"))
    rejects = RejectLog(";")
    with CustomerReader(plan, rejects) as reader:
        customers = [(eid, json.loads(f)) for batch in reader.batches() for eid, f in batch]
    assert customers == [("c1", {"score": "-5"})]
    # Rejected again: the source's columns and cells, without the rejects file's own.
    assert rejects.header == ["id", "score"]
    assert [(r.line, r.reason, r.cells) for r in rejects] == [
        (3, "empty customer ID", ("", "7"))]
    # A source's own column named line is a field.
    customers, _ = read_all(write(tmp_path, b"line;id;score\nA;c1;5\n", "own.csv"))
    assert customers == [("c1", {"line": "A", "score": "5"})]


def test_every_misfit_is_kept_past_those_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("journey_desktop.domain.fields_json.KEPT_REJECTS", 3)
    rows = "".join(f"c{i},{i},{'x' if i % 2 else i}\n" for i in range(20))
    path = write(tmp_path, ("id,a,b\n" + rows).encode())
    _, reader = read_all(path, types={"b": "number"})
    assert len(reader.misfits.kept) == 3 and reader.misfits.count == 10
    assert [(m.line, m.value) for m in reader.misfits] == [(i + 2, "x") for i in range(1, 20, 2)]
    reader.misfits.close()
