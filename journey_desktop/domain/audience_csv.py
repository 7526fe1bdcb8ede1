"""Reading audience CSV files (SPEC §4): encoding and delimiter sniffing, the ID column,
and one streaming pass that turns rows into customers or rejected rows.

Pure Python on the csv module (``newline=''``), so quoted newlines and CR-only files work.
The preview (``audience_preview``) detects and opens a file with the steps here, so the
preview and the import read it the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING

from journey_desktop.domain.csv_records import (
    CsvFileError,
    LongRecord,
    OpenedFile,
    PlainCells,
    Records,
    RejectLog,
    clean_header,
    field_limit_text,
    line_breaks,
)
from journey_desktop.domain.fields_json import FieldsEncoder, Misfit, MisfitLog
from journey_desktop.domain.values import (
    DATE,
    TEXT,
)

if TYPE_CHECKING:  # the preview reads files with the steps here
    from journey_desktop.domain.audience_preview import CsvPreview

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_LABELS = {",": "Comma ( , )", ";": "Semicolon ( ; )", "\t": "Tab", "|": "Pipe ( | )"}

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16 = "utf-16"
CP1252 = "cp1252"
LATIN1 = "latin-1"
ENCODINGS = (UTF8, UTF8_BOM, UTF16, CP1252, LATIN1)
ENCODING_LABELS = {
    UTF8: "UTF-8",
    UTF8_BOM: "UTF-8 with BOM",
    UTF16: "UTF-16",
    CP1252: "Windows-1252 (Latin-1)",
    LATIN1: "ISO-8859-1 (Latin-1)",
}

# Header names that make a column the customer ID, in order of preference (SPEC §4).
ID_COLUMN_NAMES = ("customerId", "externalId", "externalCode", "id")

SAMPLE_BYTES = 64 * 1024
MAX_SAMPLE_BYTES = 4 * 1024 * 1024
PREVIEW_ROWS = 20
INFER_ROWS = 1000
# Rows read and encoded per step of the import. Each step is a few C calls that keep the
# interpreter lock for about a millisecond, so the window's thread never waits long for it.
CHUNK_ROWS = 1000

_FALLBACK_ERRORS = "journey-desktop-cp1252"
# Windows-1252, with its five undefined bytes read as Latin-1, so decoding never fails.
_CP1252_TABLE = tuple(
    bytes([b]).decode(CP1252) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b)
    for b in range(256)
)

NOT_CSV_ADVICE = "Export the audience as CSV (comma, semicolon, tab or pipe separated)."
# Said by the preview and the result when the file is a rejects file imported again.
REJECTS_COLUMNS_NOTE = "the rejects file's line and reason columns are not imported"


# --- sniffing ------------------------------------------------------------------------------


def normalize_header_name(name: str) -> str:
    """How header names are compared: any case, spaces and underscores ignored."""
    return name.replace(" ", "").replace("_", "").casefold()


def find_id_column(header: Sequence[str]) -> str | None:
    """The column SPEC §4 takes as the customer ID, or None when no header qualifies."""
    return find_column(header, ID_COLUMN_NAMES)


def find_column(header: Sequence[str], names: Sequence[str]) -> str | None:
    """The header's column for the first of ``names`` it has (compared as header names)."""
    normalized = {normalize_header_name(name): name for name in reversed(header)}
    for candidate in names:
        match = normalized.get(normalize_header_name(candidate))
        if match is not None:
            return match
    return None


def resolve_column(header: Sequence[str], wanted: str) -> str | None:
    """A column named by the user: exact name first, then ignoring case/spaces/underscores."""
    if wanted in header:
        return wanted
    key = normalize_header_name(wanted)
    for name in header:
        if normalize_header_name(name) == key:
            return name
    return None


def named_column(header: Sequence[str], wanted: str) -> str:
    """The column the user named (``resolve_column``); CsvFileError when there is none."""
    resolved = resolve_column(header, wanted)
    if resolved is None:
        raise CsvFileError(f"no column named {wanted!r} (the columns are: {', '.join(header)})")
    return resolved


def detect_encoding(head: bytes, *, complete: bool) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    ``head`` is the start of the file; ``complete`` says whether it is the whole file, so a
    multi-byte character cut at the end of the sample is not taken as an error.
    """
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    try:
        codecs.getincrementaldecoder(UTF8)().decode(head, final=complete)
    except UnicodeDecodeError:
        return CP1252
    return UTF8


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the header into most fields, consistently across rows.

    Only the lines that fit the csv module's field limit are looked at, and the rows read
    before any error: a row with an over-long field is rejected at import (SPEC §4), it
    does not make the file's delimiter a comma.
    """
    limit = csv.field_size_limit()
    lines = [line for line in _LINE.findall(text) if len(line) <= limit]
    best = DELIMITERS[0]
    best_score: tuple[float, int] = (0.0, 1)
    for delimiter in DELIMITERS:
        rows: list[list[str]] = []
        try:
            for row in csv.reader(lines, delimiter=delimiter):
                if row:
                    rows.append(row)
        except csv.Error:
            pass
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(1 for row in rows if len(row) == width) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _register_fallback() -> None:
    def fallback(exc: UnicodeError) -> tuple[str | bytes, int]:
        if isinstance(exc, UnicodeDecodeError):
            bad = exc.object[exc.start : exc.end]
            return "".join(_CP1252_TABLE[b] for b in bad), exc.end
        if isinstance(exc, UnicodeEncodeError):
            # Back to the bytes they were read from (Windows-1252's undefined five).
            text = exc.object[exc.start : exc.end]
            return bytes(ord(c) if ord(c) < 256 else ord("?") for c in text), exc.end
        raise exc

    codecs.register_error(_FALLBACK_ERRORS, fallback)


def incremental_decoder(encoding: str) -> codecs.IncrementalDecoder:
    """A decoder of ``encoding`` that reads what it cannot decode as ``open_text`` does."""
    _register_fallback()
    return codecs.getincrementaldecoder(encoding)(errors=_FALLBACK_ERRORS)


def open_text(raw: IO[bytes], encoding: str) -> io.TextIOWrapper:
    """Text over the binary file; bytes that are not valid in ``encoding`` read as Windows-1252."""
    _register_fallback()
    return io.TextIOWrapper(raw, encoding=encoding, errors=_FALLBACK_ERRORS, newline="")  # type: ignore[arg-type]


def create_text(path: str | Path, encoding: str) -> IO[str]:
    """A new text file in a source's encoding (for CSV written back in it): UTF-8 with a
    BOM, so spreadsheets read it as UTF-8; Windows-1252's undefined bytes as they were read."""
    _register_fallback()
    encoding = UTF8_BOM if encoding == UTF8 else encoding
    return open(path, "w", encoding=encoding, errors=_FALLBACK_ERRORS, newline="")


# --- importing -----------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What to read: the file, how to decode and split it, the ID column and field types."""

    path: str
    encoding: str
    delimiter: str
    id_column: str
    columns: dict[str, str] = field(default_factory=dict)  # non-ID column -> type, file order
    date_orders: dict[str, str] = field(default_factory=dict)  # date column -> its order
    skipped: tuple[str, ...] = ()  # columns not imported: a rejects file's line and reason

    @classmethod
    def from_preview(
        cls,
        preview: CsvPreview,
        *,
        id_column: str | None = None,
        types: dict[str, str] | None = None,
        date_orders: dict[str, str] | None = None,
    ) -> ImportPlan:
        """The preview's choices, with the user's ID column, type and date order overrides
        applied; a date column whose order neither the values nor the user decide is an
        error, never a guess."""
        chosen = id_column or preview.id_column
        if chosen is not None:
            chosen = named_column(preview.header, chosen)
        problem = preview.problem(chosen)
        if problem:
            raise CsvFileError(problem)
        assert chosen is not None
        merged = dict(preview.types)
        merged.update(types or {})
        columns = {name: merged.get(name, TEXT) for name in preview.field_columns
                   if name != chosen}
        orders: dict[str, str] = {}
        for name, kind in columns.items():
            if kind != DATE:
                continue
            order = (date_orders or {}).get(name) or preview.detected_date_order(name)
            problem = preview.date_order_problem(name, order)
            if problem:
                raise CsvFileError(problem)
            if order:
                orders[name] = order
        return cls(
            path=preview.path,
            encoding=preview.encoding,
            delimiter=preview.delimiter,
            id_column=chosen,
            columns=columns,
            date_orders=orders,
            skipped=tuple(name for name in preview.rejects_columns if name != chosen),
        )


# ASCII characters a JSON string escapes (control characters, quote, backslash), but the
# delimiter: a chunk of plain lines' text without them needs no escaping and no strip
# beyond spaces.
_UNCLEAN_ASCII = {
    delimiter: bytes(c for c in range(32) if chr(c) != delimiter) + b'"\\'
    for delimiter in DELIMITERS
}


@dataclass
class CustomerBatch:
    """Customers read from the file, in file order: their IDs and JSON ``fields`` texts."""

    ids: list[str]
    fields: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return zip(self.ids, self.fields, strict=True)


def _cell(text: str) -> str:
    """A cell as stored: trimmed, without byte order marks (a file pasted after another
    leaves one inside a row, invisible but part of an ID otherwise)."""
    return text.replace("\ufeff", "").strip()


def _row_starts(rows: list[list[str]], first: int, last: int) -> list[int]:
    """The line each row of a chunk starts on, the chunk spanning lines first to last."""
    if last - first + 1 == len(rows):
        return list(range(first, last + 1))
    starts: list[int] = []
    for row in rows:
        starts.append(first)
        first += 1 + line_breaks(row)
    return starts


class CustomerReader(OpenedFile):
    """One streaming pass over a CSV file: customers in batches, rejects in a RejectLog.

    Use as a context manager; ``batches()`` yields ``CustomerBatch`` objects. Memory stays
    at one batch whatever the file size.
    """

    def __init__(self, plan: ImportPlan, rejects: RejectLog | None = None) -> None:
        super().__init__(plan.path)
        self.plan = plan
        self.rejects = rejects if rejects is not None else RejectLog(plan.delimiter, plan.encoding)
        self.misfits = MisfitLog()
        self.read = 0  # data rows (blank lines excluded)
        self.accepted = 0
        self.blank = 0
        self._skipped: list[int] = []  # indexes of the columns not imported

    @property
    def rows_so_far(self) -> int:
        """Rows read up to the last batch handed out (progress granularity is a batch)."""
        return self.accepted + self.rejects.count

    def batches(self, size: int = 10_000) -> Iterator[CustomerBatch]:
        """Batches of up to ``size`` rows' customers (fewer when some rows are rejected).

        The file is read in chunks of CHUNK_ROWS rows. A chunk of plain lines (no quote:
        ``Records.plain_chunk``) is split by ``str.split``, others by the csv module. A
        chunk whose rows all have the header's width and an ID, and no NUL or byte order
        mark, is handled as a whole, in C-level calls; any other chunk row by row, to tell
        each rejected row's line and reason.
        """
        assert self._raw is not None, "use CustomerReader as a context manager"
        text = open_text(self._raw, self.plan.encoding)
        records = Records(text, self.plan.delimiter)
        header = self._header(records)
        try:
            id_index = header.index(self.plan.id_column)
        except ValueError:
            raise CsvFileError(
                f"the file has no column {self.plan.id_column!r} any more (was it changed?)"
            ) from None
        skipped = [header.index(name) for name in self.plan.skipped if name in header]
        self._skipped = skipped
        self.rejects.header = self._source_cells(header)
        encoder = FieldsEncoder(header, id_index, self.plan.columns, self.plan.date_orders,
                                skipped)
        width = len(header)
        chunk_rows = max(1, min(size, CHUNK_ROWS))
        batch = CustomerBatch([], [])
        try:
            while chunk := records.plain_chunk(chunk_rows, width):
                first, last = records.first, records.last
                if isinstance(chunk, PlainCells):
                    self._plain(batch, chunk, first, last, width, id_index, encoder)
                else:
                    self._whole(batch, chunk, first, last, width, id_index, encoder)
                if len(batch) >= size:
                    self.accepted += len(batch)
                    yield batch
                    batch = CustomerBatch([], [])
        finally:
            text.detach()
        if batch:
            self.accepted += len(batch)
            yield batch
        self.read = self.accepted + self.rejects.count

    def _whole(
        self, batch: CustomerBatch, rows: list[list[str]], first: int, last: int, width: int,
        id_index: int, encoder: FieldsEncoder,
    ) -> None:
        """A chunk of rows from the csv module: as a whole when they all have the header's
        width and an ID, and no NUL or byte order mark; else row by row."""
        cells = list(map(str.strip, chain.from_iterable(rows)))
        ids = cells[id_index::width]
        joined = "".join(cells)
        if (set(map(len, rows)) == {width} and "" not in ids
                and "\x00" not in joined and "\ufeff" not in joined):
            batch.ids += ids
            batch.fields += encoder.encode(cells, len(rows), joined)
            self._log_misfits(encoder, partial(_row_starts, rows, first, last))
        else:
            self._sort_out(batch, rows, first, last, width, id_index, encoder)

    def _plain(
        self, batch: CustomerBatch, cells: PlainCells, first: int, last: int, width: int,
        id_index: int, encoder: FieldsEncoder,
    ) -> None:
        """A chunk of plain lines (one row each, of the header's width) into ``batch``.

        ASCII text without a control character, quote or backslash needs no escaping, and
        its cells need trimming only when a space stands next to a delimiter or at an end:
        two searches of the chunk's text instead of a ``strip`` per cell."""
        text = cells.text
        delimiter = self.plan.delimiter
        clean = text.isascii() and len(
            text.encode("ascii").translate(None, _UNCLEAN_ASCII[delimiter])) == len(text)
        trimmed: list[str] = cells
        if not clean or (f" {delimiter}" in text or f"{delimiter} " in text
                         or text[:1] == " " or text[-1:] == " "):
            trimmed = list(map(str.strip, cells))
        ids = trimmed[id_index::width]
        if "" in ids:
            rows = [cells[i : i + width] for i in range(0, len(cells), width)]
            self._sort_out(batch, rows, first, last, width, id_index, encoder)
            return
        batch.ids += ids
        batch.fields += encoder.encode(trimmed, len(ids), escape=False if clean else None)
        self._log_misfits(encoder, lambda: list(range(first, last + 1)))

    def _sort_out(
        self, batch: CustomerBatch, rows: list[list[str]], first: int, last: int, width: int,
        id_index: int, encoder: FieldsEncoder,
    ) -> None:
        """Row by row: the chunk's customers into ``batch``, its rejects logged with the line
        they start on. A NUL refuses the file, as at its start (it is binary, not text)."""
        cells: list[str] = []
        accepted = 0
        starts: list[int] = []
        one_line_each = last - first + 1 == len(rows)
        start = first
        for row in rows:
            if any("\x00" in cell for cell in row):
                raise CsvFileError(
                    f"line {start}: the file holds binary data (a NUL character), so it is not "
                    f"a CSV file. {NOT_CSV_ADVICE}"
                )
            if isinstance(row, LongRecord):
                self.rejects.add(start, f"a field is longer than {field_limit_text()}", row)
            elif len(row) == width:
                trimmed = list(map(_cell, row))
                if trimmed[id_index]:
                    batch.ids.append(trimmed[id_index])
                    cells.extend(trimmed)
                    accepted += 1
                    starts.append(start)
                else:
                    self._reject(start, row, width)
            else:
                self._reject(start, row, width)
            start += 1 if one_line_each else 1 + line_breaks(row)
        batch.fields += encoder.encode(cells, accepted)
        self._log_misfits(encoder, lambda: starts)

    def _log_misfits(self, encoder: FieldsEncoder, starts: Callable[[], list[int]]) -> None:
        """Log the values of the last encoded rows that did not fit, each with its line
        (``starts``: the line each of those rows starts on, asked for only when needed)."""
        misfits = encoder.take_misfits()
        if misfits:
            lines = starts()
            misfits.sort(key=lambda misfit: misfit[0])  # file order; columns stay in order
            for row, column, value, why in misfits:
                self.misfits.add(Misfit(lines[row], column, value, why))

    def _header(self, records: Records) -> list[str]:
        while rows := records.chunk(1):
            cells = rows[0]
            if isinstance(cells, LongRecord):
                raise CsvFileError(f"line {records.first}: the header has a field over "
                                   f"{field_limit_text()} (was the file changed?)")
            if any(cell.strip() for cell in cells):
                header = clean_header(cells)
                expected = list(self.plan.columns) + [self.plan.id_column]
                missing = [name for name in expected if name not in header]
                if missing:
                    raise CsvFileError(
                        f"the file has no column {missing[0]!r} any more (was it changed?)"
                    )
                return header
        raise CsvFileError("the file is empty: there is nothing to import.")

    def _reject(self, line: int, row: list[str], width: int) -> None:
        if not any(cell.strip() for cell in row):
            self.blank += 1
            return
        if len(row) > width:
            reason = f"too many fields ({len(row)}; the header has {width})"
        elif len(row) < width:
            reason = f"too few fields ({len(row)}; the header has {width})"
            if any("\n" in cell or "\r" in cell for cell in row):
                reason += "; a quote may be missing"
        else:
            reason = "empty customer ID"
        self.rejects.add(line, reason, self._source_cells(row))

    def _source_cells(self, row: list[str]) -> list[str]:
        """A row without the cells of the columns not imported (a rejects file's line and
        reason), so that the rejects of a rejects file are the source's cells again."""
        if not self._skipped:
            return row
        return [cell for index, cell in enumerate(row) if index not in self._skipped]
