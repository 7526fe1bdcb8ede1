"""The preview of an audience CSV file (SPEC §4): what the import dialog shows before
anything is written. The file is detected and read with ``audience_csv``'s own steps
(encoding, delimiter, header, ID column), so the preview and the import read it alike;
here each column's type and date order are inferred and the first rows, the rejected rows
and the values that do not fit are gathered for the dialog.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from journey_desktop.domain.audience_csv import (
    DELIMITERS,
    ENCODINGS,
    ID_COLUMN_NAMES,
    INFER_ROWS,
    MAX_SAMPLE_BYTES,
    NOT_CSV_ADVICE,
    PREVIEW_ROWS,
    SAMPLE_BYTES,
    detect_encoding,
    find_id_column,
    incremental_decoder,
    sniff_delimiter,
)
from journey_desktop.domain.csv_records import (
    CsvFileError,
    LongRecord,
    Records,
    clean_header,
    field_limit_text,
    line_breaks,
    open_csv_file,
    rejects_file_columns,
)
from journey_desktop.domain.values import (
    DATE,
    DATE_ORDERS,
    NUMBER,
    TEXT,
    ColumnCheck,
    check_column,
    date_problem,
    detect_date_order,
    needs_date_order,
    number_problem,
    parse_date,
)

_LEADING_ZERO = re.compile(r"-?0\d")  # an ID-like number: kept as text


def infer_type(values: Sequence[str]) -> str:
    """number, date or text from sample values; blanks are ignored, all blank is text.

    A column is a number (or a date) column when more than half of its non-blank values
    are numbers (dates, in the order the values decide, or in either order when they do
    not): a birthday column with a few unreadable values stays a date column, and those
    values are listed as not fitting (SPEC §4) instead of the whole column turning into
    text that no date filter matches. Half or fewer, the column is mixed: text. A number
    written with a leading zero (007, 0612…) makes the column text: codes and phone
    numbers are written so.
    """
    present = [v.strip() for v in values if v.strip()]
    if not present:
        return TEXT
    numbers = [v for v in present if number_problem(v) is None]
    if _majority(len(numbers), len(present)) and not any(map(_LEADING_ZERO.match, numbers)):
        return NUMBER
    detected = detect_date_order(present)
    orders = (detected,) if detected else DATE_ORDERS
    dates = sum(1 for v in present if any(parse_date(v, order) for order in orders))
    return DATE if _majority(dates, len(present)) else TEXT


def _majority(count: int, total: int) -> bool:
    """The share of a column's values that types it: more than half."""
    return count * 2 > total


@dataclass
class CsvPreview:
    """What the preview dialog shows; also the defaults of an import plan."""

    path: str
    size: int
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[list[str]]  # the first rows, for display (at most PREVIEW_ROWS)
    id_column: str | None
    types: dict[str, str]  # every column -> inferred type
    sample_rows: int  # how many rows the sample held (the whole file when not truncated)
    truncated: bool  # the sample is only the start of the file
    # every column -> its trimmed values in the first INFER_ROWS rows
    samples: dict[str, list[str]] = field(default_factory=dict)
    first_line: str = ""  # the first line that is not blank, as written (quotes kept)
    # a rejects file's own ``line`` and ``reason`` columns: not imported (SPEC §4)
    rejects_columns: tuple[str, ...] = ()
    # the line of the file each of ``rows`` starts on (the header's is 1, or later after
    # blank lines), as the import's rejects and misfits name them
    row_lines: list[int] = field(default_factory=list)

    @property
    def field_columns(self) -> list[str]:
        """The columns that can become customer fields (all but a rejects file's own)."""
        return [name for name in self.header if name not in self.rejects_columns]

    @property
    def checked_rows(self) -> int:
        """How many rows ``check`` and the date order look at."""
        return min(self.sample_rows, INFER_ROWS)

    def detected_date_order(self, column: str) -> str | None:
        """The day/month order the column's sample values decide, if they do."""
        return detect_date_order(self.samples.get(column, ()))

    def date_order_problem(self, column: str, order: str | None) -> str | None:
        """Why a date column cannot be read without a chosen order (None when it can)."""
        if order or self.detected_date_order(column):
            return None
        values = self.samples.get(column, ())
        if not needs_date_order(values):
            return None
        example = next(v for v in values if needs_date_order((v,)))
        return (f"column {column!r}: dates such as {example} could be day-first or "
                "month-first; choose the order")

    def check(self, column: str, kind: str, order: str | None = None) -> ColumnCheck:
        """The column's sample values that do not fit ``kind``, read in ``order`` (or the
        detected one). While a date column's order is still to be chosen, a value that is
        a date in either order fits: it needs the order (``date_order_problem`` asks for
        it), and only the values that are dates in neither order are counted."""
        order = order or self.detected_date_order(column)
        values = self.samples.get(column, ())
        if kind != DATE or order is not None:
            return check_column(values, kind, order)
        check = ColumnCheck()
        for value in values:
            whys = [date_problem(value, choice) for choice in DATE_ORDERS] if value else [None]
            if None not in whys:
                check.add(value, str(whys[0]))
        return check

    def problem(self, id_column: str | None = None) -> str | None:
        """Why this file cannot be imported as it stands (None when it can)."""
        if not self.sample_rows and self.truncated:
            return (f"The first {MAX_SAMPLE_BYTES // (1024 * 1024)} MB of the file hold no "
                    "whole customer row: is a quote never closed?")
        # An events file given as customers is told so (an import-cycle-free late import).
        from journey_desktop.domain.events_columns import events_hint

        hint = events_hint(self.header, self.first_line)
        if hint is not None:
            return hint
        if not self.sample_rows:
            return "The file has a header line but no customer rows."
        if (id_column or self.id_column) is None:
            names = ", ".join(ID_COLUMN_NAMES)
            return f"No customer ID column was found (expected one of {names}); choose one."
        return None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f\v")
    return controls > max(4, len(text) // 100)


def preview_csv(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None,
    advice: str = NOT_CSV_ADVICE,
) -> CsvPreview:
    """Sniff the start of a file (SAMPLE_BYTES): encoding, delimiter, header, first rows.

    When that start holds no whole customer row (a row longer than the sample), a larger
    start is read, up to MAX_SAMPLE_BYTES. Raises CsvFileError for files that are not CSV
    (missing, empty, binary), with ``advice`` on what to export instead.
    """
    sample = SAMPLE_BYTES
    while True:
        preview = _preview(Path(path), sample, encoding, delimiter, advice)
        if preview.sample_rows or not preview.truncated or sample >= MAX_SAMPLE_BYTES:
            return preview
        sample = min(sample * 4, MAX_SAMPLE_BYTES)


def _preview(
    file: Path, sample_bytes: int, encoding: str | None, delimiter: str | None, advice: str
) -> CsvPreview:
    raw, size = open_csv_file(file)
    try:
        with raw:
            head = raw.read(sample_bytes)
    except OSError as exc:
        raise CsvFileError(f"{file.name}: cannot be read ({exc.strerror or exc})") from None
    complete = len(head) >= size
    encoding = encoding or detect_encoding(head, complete=complete)
    if encoding not in ENCODINGS:
        raise CsvFileError(f"unknown encoding {encoding!r}")
    decoder = incremental_decoder(encoding)
    text = decoder.decode(head, final=complete)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CsvFileError(f"{file.name} is empty: there is nothing to import.")
    if _looks_binary(text):
        raise CsvFileError(
            f"{file.name} is not a CSV file (it holds binary data). {advice}"
        )
    if not complete:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[: cut + 1]
    delimiter = delimiter or sniff_delimiter(text)
    if delimiter not in DELIMITERS:
        raise CsvFileError(f"unsupported delimiter {delimiter!r}")
    try:
        records = Records(io.StringIO(text, newline=""), delimiter, whole_file=complete).read_all()
    except CsvFileError as exc:
        raise CsvFileError(f"{file.name}, {exc}") from None
    if not complete and len(records) > 1:
        records.pop()  # may be cut inside a quoted newline
    # The line each record starts on, as the import and its rejects and misfits count them.
    starts: list[int] = []
    line = 1
    for record in records:
        starts.append(line)
        line += 1 + line_breaks(record)
    # A record with a field too long to read is a row (rejected when imported), not shown.
    kept = [index for index, r in enumerate(records)
            if isinstance(r, LongRecord) or any(c.strip() for c in r)]
    records = [records[i] for i in kept]
    starts = [starts[i] for i in kept]
    if not records:
        raise CsvFileError(f"{file.name} is empty: there is nothing to import.")
    if isinstance(records[0], LongRecord):
        raise CsvFileError(f"{file.name}: its first line has a field over {field_limit_text()}, "
                           f"so it is not a header line. {advice}")
    header = clean_header(records[0])
    skipped = rejects_file_columns(header)
    shown = [i for i in range(1, len(records)) if not isinstance(records[i], LongRecord)]
    rows = [records[i] for i in shown]
    sample = rows[:INFER_ROWS]
    samples = {
        name: [row[i].strip() for row in sample if i < len(row)] for i, name in enumerate(header)
    }
    types = {name: infer_type(values) for name, values in samples.items()}
    return CsvPreview(
        path=str(file),
        size=size,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        rows=rows[:PREVIEW_ROWS],
        row_lines=[starts[i] for i in shown[:PREVIEW_ROWS]],
        id_column=find_id_column([name for name in header if name not in skipped]),
        types=types,
        sample_rows=len(records) - 1,
        truncated=not complete,
        samples=samples,
        rejects_columns=skipped,
        first_line=text.lstrip().partition("\n")[0].partition("\r")[0],
    )
