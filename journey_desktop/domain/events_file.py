"""Reading customer events files (SPEC §11): CSV or Segment-``track``-shaped JSON Lines,
told apart by content, read in one streaming pass into events or rejected lines.

CSV goes through the audience import's machinery (``audience_csv``, ``csv_records``): the
same encoding and delimiter sniffing, records with their lines, column types and the JSON
encoder of fields, so an events file and a customers file are read the same way.

Timestamps and keys are read by ``event_values``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import floordiv, itemgetter
from pathlib import Path
from typing import IO, Any

from journey_desktop.domain.audience_csv import (
    CHUNK_ROWS,
    DATE,
    PREVIEW_ROWS,
    SAMPLE_BYTES,
    CsvFileError,
    clean_header,
    detect_encoding,
    find_column,
    named_column,
    open_text,
)
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.csv_records import (
    LongRecord,
    OpenedFile,
    PlainCells,
    Records,
    Reject,
    RejectLog,
    field_limit_text,
    line_breaks,
    open_csv_file,
)
from journey_desktop.domain.event_values import (
    MAX_PROPERTIES_BYTES,
    NO_TIMESTAMP,
    TOO_LARGE,
    canonical_properties,
    common_times,
    event_key,
    parse_timestamp,
    too_large,
)
from journey_desktop.domain.events_columns import (
    EVENT_COLUMN_NAMES,
    ID_COLUMN_NAMES,
    JSON_LINES_COLUMNS,
    MESSAGE_ID_COLUMN_NAMES,
    TIMESTAMP_COLUMN_NAMES,
    columns_problem,
)
from journey_desktop.domain.fields_json import FieldsEncoder, Misfit, MisfitLog
from journey_desktop.domain.values import NUMBER

CSV = "csv"
JSON_LINES = "jsonl"
FORMAT_LABELS = {CSV: "CSV", JSON_LINES: "JSON Lines"}

# A rejected JSON line is kept up to a spreadsheet cell's limit (and within the csv
# module's field limit, so the rejects file can be read back).
REJECTED_TEXT_CHARS = 32_767
PREVIEW_SCAN_ROWS = 100_000  # rows the preview reads to count names and the time range

NO_CUSTOMER_ID = "no customer ID"
NO_EVENT_NAME = "no event name"
NO_EVENTS = "The file holds no events."
NOT_EVENTS_ADVICE = ("Export the events as CSV (comma, semicolon, tab or pipe separated) or "
                     "as JSON Lines (one JSON object a line).")


def _bad_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- preview and plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class EventSample:
    """One event as it will be stored, for the preview's sample table."""

    line: int
    external_id: str
    name: str
    occurred_at: int  # UTC seconds
    properties: str  # JSON


@dataclass
class EventsPreview:
    """What the events preview shows; also the defaults of an import plan."""

    path: str
    size: int
    format: str  # CSV or JSON_LINES
    encoding: str
    delimiter: str = ","
    columns: list[str] = field(default_factory=list)
    id_column: str | None = None
    event_column: str | None = None
    timestamp_column: str | None = None
    message_id_column: str | None = None
    types: dict[str, str] = field(default_factory=dict)  # CSV property column -> type
    date_orders: dict[str, str] = field(default_factory=dict)
    # a rejects file's own ``line`` and ``reason`` columns: not imported (SPEC §4, §11)
    rejects_columns: tuple[str, ...] = ()
    names: Counter[str] = field(default_factory=Counter)  # event name -> events read
    first_at: int | None = None  # UTC seconds
    last_at: int | None = None
    samples: list[EventSample] = field(default_factory=list)
    read: int = 0  # lines read by the preview (all of them unless ``truncated``)
    truncated: bool = False
    rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)  # the first ones, line and reason
    problem: str | None = None  # why the file cannot be imported as it stands
    scanned: bool = False  # its lines were read (not when its columns cannot be)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS[self.format]

    @property
    def field_columns(self) -> list[str]:
        """The file's columns but a rejects file's own (``--type`` names one of these)."""
        return [name for name in self.columns if name not in self.rejects_columns]


@dataclass
class EventPlan:
    """What to read: the file, its format and, for CSV, how to split it and its columns."""

    path: str
    format: str
    encoding: str
    delimiter: str = ","
    id_column: str = ""
    event_column: str = ""
    timestamp_column: str = ""
    message_id_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # property column -> type
    date_orders: dict[str, str] = field(default_factory=dict)
    skipped_columns: tuple[str, ...] = ()  # a rejects file's ``line`` and ``reason``

    @classmethod
    def from_preview(
        cls, preview: EventsPreview, *, id_column: str | None = None,
        date_orders: dict[str, str] | None = None, types: dict[str, str] | None = None,
    ) -> EventPlan:
        """The preview's choices, with the user's ID column, date orders and column types;
        CsvFileError when the file cannot be imported."""
        plan = cls(preview.path, preview.format, preview.encoding, preview.delimiter)
        if preview.format == JSON_LINES:
            return plan
        chosen = named_column(preview.columns, id_column) if id_column else preview.id_column
        problem = columns_problem(chosen, preview.event_column, preview.timestamp_column)
        if problem:
            raise CsvFileError(problem)
        assert chosen and preview.event_column and preview.timestamp_column
        special = {chosen, preview.event_column, preview.timestamp_column,
                   preview.message_id_column, *preview.rejects_columns}
        plan.skipped_columns = preview.rejects_columns
        plan.id_column, plan.event_column = chosen, preview.event_column
        plan.timestamp_column, plan.message_id_column = (preview.timestamp_column,
                                                         preview.message_id_column)
        plan.columns = {name: kind for name, kind in {**preview.types, **(types or {})}.items()
                        if name not in special}
        orders = dict(preview.date_orders)
        orders.update(date_orders or {})
        for name, kind in plan.columns.items():
            if kind == DATE and name not in orders:
                raise CsvFileError(f"column {name!r}: dates could be day-first or month-first; "
                                   "choose the order")
        plan.date_orders = {name: orders[name] for name, kind in plan.columns.items()
                            if kind == DATE and orders.get(name)}
        return plan


def detect_format(path: str | Path) -> tuple[str, str]:
    """(format, encoding): JSON Lines when the first line that is not blank is a JSON
    object, else CSV (the file's name is not looked at)."""
    raw, size = open_csv_file(path)
    with raw:
        head = raw.read(SAMPLE_BYTES)
    encoding = detect_encoding(head, complete=len(head) >= size)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except ValueError:
                return CSV, encoding
            if isinstance(first, list):
                raise CsvFileError(f"{Path(path).name} is a JSON array, not JSON Lines: write "
                                   "one event object per line.")
            return (JSON_LINES if isinstance(first, dict) else CSV), encoding
    return CSV, encoding


def preview_events(path: str | Path, *, max_rows: int | None = PREVIEW_SCAN_ROWS,
                   tz: dt.tzinfo | None = None, id_column: str | None = None,
                   delimiter: str | None = None) -> EventsPreview:
    """Detect the format and the columns, then read up to ``max_rows`` lines (None: all)
    the way the import will: event names with counts, time range, samples and rejects.
    ``id_column`` is the user's customer ID column of a CSV file (None: found by name),
    ``delimiter`` its delimiter (None: found from the file). A rejects file's own ``line``
    and ``reason`` columns are left out."""
    fmt, encoding = detect_format(path)
    if fmt == JSON_LINES:
        preview = EventsPreview(str(path), 0, JSON_LINES, encoding,
                                columns=list(JSON_LINES_COLUMNS))
    else:
        csv_preview = preview_csv(path, delimiter=delimiter, advice=NOT_EVENTS_ADVICE)
        header, fields = csv_preview.header, csv_preview.field_columns
        preview = EventsPreview(
            str(path), csv_preview.size, CSV, csv_preview.encoding, csv_preview.delimiter,
            columns=header, id_column=(named_column(fields, id_column) if id_column
                                       else find_column(fields, ID_COLUMN_NAMES)),
            event_column=find_column(fields, EVENT_COLUMN_NAMES),
            timestamp_column=find_column(fields, TIMESTAMP_COLUMN_NAMES),
            message_id_column=find_column(fields, MESSAGE_ID_COLUMN_NAMES),
            types=dict(csv_preview.types), rejects_columns=csv_preview.rejects_columns,
        )
        preview.date_orders = {name: order for name in header
                               if (order := csv_preview.detected_date_order(name))}
        preview.problem = columns_problem(preview.id_column, preview.event_column,
                                           preview.timestamp_column)
    if preview.problem is not None or max_rows == 0:
        return preview
    try:
        plan = EventPlan.from_preview(preview)
    except CsvFileError as exc:
        preview.problem = str(exc)
        return preview
    _scan(preview, plan, max_rows, tz)
    return preview


def _scan(preview: EventsPreview, plan: EventPlan, max_rows: int | None,
          tz: dt.tzinfo | None) -> None:
    preview.scanned = True
    rejects = RejectLog(plan.delimiter, plan.encoding)
    try:
        with EventReader(plan, rejects, tz=tz) as reader:
            preview.size = reader.size
            for batch in reader.batches(min(CHUNK_ROWS, max_rows or CHUNK_ROWS)):
                preview.names.update(batch.names)
                if batch.times:
                    low, high = min(batch.times), max(batch.times)
                    preview.first_at = low if preview.first_at is None else min(
                        preview.first_at, low)
                    preview.last_at = high if preview.last_at is None else max(
                        preview.last_at, high)
                for index in range(min(len(batch), PREVIEW_ROWS - len(preview.samples))):
                    preview.samples.append(EventSample(
                        batch.lines[index], batch.ids[index], batch.names[index],
                        batch.times[index], batch.properties[index]))
                if max_rows is not None and reader.rows_so_far >= max_rows:
                    preview.truncated = reader.bytes_read < reader.size
                    break
            preview.read = reader.rows_so_far
    finally:
        preview.rejected = rejects.count
        preview.rejects = list(rejects.kept)
        rejects.close()
    if preview.read == 0 and not preview.truncated:
        preview.problem = NO_EVENTS


# --- reading -------------------------------------------------------------------------------


@dataclass
class EventBatch:
    """Events read from the file, in file order, as columns (what the store inserts)."""

    keys: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # UTC seconds
    properties: list[str] = field(default_factory=list)  # JSON texts
    lines: list[int] = field(default_factory=list)  # where each starts in the file

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, line: int, key: str, external_id: str, name: str, ms: int,
            properties: str) -> None:
        self.lines.append(line)
        self.keys.append(key)
        self.ids.append(external_id)
        self.names.append(name)
        self.times.append(ms // 1000)
        self.properties.append(properties)


class EventReader(OpenedFile):
    """One streaming pass over an events file: events in batches, rejects in a RejectLog.

    Use as a context manager, like ``audience_csv.CustomerReader``: memory stays at one
    batch whatever the file size. Times without an offset are read in ``tz`` (None: the
    computer's zone).
    """

    def __init__(self, plan: EventPlan, rejects: RejectLog | None = None, *,
                 tz: dt.tzinfo | None = None) -> None:
        super().__init__(plan.path)
        self.plan = plan
        self.rejects = rejects if rejects is not None else RejectLog(plan.delimiter,
                                                                     plan.encoding)
        self.tz = tz
        self.read = 0  # lines holding an event or a rejected one (blank lines excluded)
        self.accepted = 0
        self.blank = 0
        self.misfits = MisfitLog()  # values that do not fit their column's type: not set

    @property
    def rows_so_far(self) -> int:
        return self.accepted + self.rejects.count

    def batches(self, size: int = 10_000) -> Iterator[EventBatch]:
        """Batches of up to ``size`` events (fewer when lines are rejected)."""
        assert self._raw is not None, "use EventReader as a context manager"
        text = open_text(self._raw, self.plan.encoding)
        try:
            chunks = (self._json_lines(text, size) if self.plan.format == JSON_LINES
                      else self._csv(text, size))
            batch = EventBatch()
            for chunk in chunks:
                if not batch and len(chunk) >= size:
                    self.accepted += len(chunk)
                    yield chunk
                    continue
                for name in ("lines", "keys", "ids", "names", "times", "properties"):
                    getattr(batch, name).extend(getattr(chunk, name))
                if len(batch) >= size:
                    self.accepted += len(batch)
                    yield batch
                    batch = EventBatch()
            if batch:
                self.accepted += len(batch)
                yield batch
        finally:
            text.detach()
        self.read = self.accepted + self.rejects.count

    # --- JSON Lines ----------------------------------------------------------------------

    def _json_lines(self, text: IO[str], size: int) -> Iterator[EventBatch]:
        self.rejects.header = ["text"]
        self.rejects.as_text = True  # a rejected line is shown as written
        batch = EventBatch()
        for number, line in enumerate(text, start=1):
            line = line.lstrip("\ufeff") if number == 1 else line
            if not line.strip():
                self.blank += 1
                continue
            why = self._json_event(batch, number, line)
            if why is not None:
                self.rejects.add(number, why, (line.rstrip("\r\n")[:REJECTED_TEXT_CHARS],))
            if len(batch) >= size:
                yield batch
                batch = EventBatch()
        yield batch

    def _json_event(self, batch: EventBatch, line: int, text: str) -> str | None:
        """Add the line's event to ``batch``, or say why it is rejected."""
        if "\x00" in text:
            return "not JSON (a NUL character)"
        try:
            data = json.loads(text, parse_constant=_bad_constant)
        except ValueError as exc:
            return f"not JSON ({exc})"
        if not isinstance(data, dict):
            return f"not a JSON object (a {type(data).__name__})"
        kind = data.get("type")
        if kind not in (None, "track"):
            return f"not a track call (type {kind!r})"
        external_id = data.get("userId")
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if not isinstance(external_id, str) or not external_id.strip():
            return NO_CUSTOMER_ID if external_id is None or isinstance(external_id, str) else (
                f"userId is not text ({external_id!r})")
        name = data.get("event")
        if not isinstance(name, str) or not name.strip():
            return NO_EVENT_NAME if name is None or isinstance(name, str) else (
                f"event is not text ({name!r})")
        ms, why = parse_timestamp(data.get("timestamp"), self.tz)
        if ms is None:
            return why
        properties = data.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            return f"properties is not an object (a {type(properties).__name__})"
        stored = canonical_properties(properties)
        if too_large(stored):
            return TOO_LARGE
        message_id = data.get("messageId")
        message_id = "" if message_id is None else str(message_id).strip()
        external_id, name = external_id.strip(), name.strip()
        batch.add(line, event_key(message_id, external_id, name, ms, stored), external_id,
                  name, ms, stored)
        return None

    # --- CSV -----------------------------------------------------------------------------

    def _csv(self, text: IO[str], size: int) -> Iterator[EventBatch]:
        plan = self.plan
        records = Records(text, plan.delimiter)
        header = self._header(records)
        self.rejects.header = header
        width = len(header)
        at = header.index
        id_index, name_index, time_index = (at(plan.id_column), at(plan.event_column),
                                            at(plan.timestamp_column))
        message_index = at(plan.message_id_column) if plan.message_id_column else None
        skipped = {i for i in (id_index, name_index, time_index, message_index) if i is not None}
        skipped.update(map(at, plan.skipped_columns))
        kept = [index for index in range(width) if index not in skipped]
        # The encoder leaves out one column, its "ID": a blank one added after the kept ones.
        # Properties are stored typed (numbers as JSON numbers, SPEC §11); an event without
        # a messageId is keyed on them as text, as before they were typed, so a file
        # imported then is found again (``hashed``).
        names = [*(header[i] for i in kept), ""]
        encoder = FieldsEncoder(names, len(kept), plan.columns, plan.date_orders,
                                json_numbers=True)
        hashed = (FieldsEncoder(names, len(kept), plan.columns, plan.date_orders)
                  if NUMBER in plan.columns.values() else None)
        take = itemgetter(*kept) if kept else (lambda row: ())
        while chunk := records.plain_chunk(max(1, min(size, CHUNK_ROWS)), width):
            first, last = records.first, records.last
            rows: list[list[str]] | None = None
            cells: list[str]
            if isinstance(chunk, PlainCells):
                cells, joined = chunk, chunk.text
            else:
                rows = chunk
                whole_rows = len(rows) == last - first + 1 and set(map(len, rows)) == {width}
                cells = list(chain.from_iterable(rows)) if whole_rows else []
                joined = "".join(cells)
            whole = (self._whole_chunk(cells, joined, first, last, width, kept, encoder)
                     if cells else None)
            if whole is not None:
                yield whole
                continue
            if rows is None:
                rows = [cells[i : i + width] for i in range(0, len(cells), width)]
            starts = (range(first, last + 1) if last - first + 1 == len(rows)
                      else _starts(rows, first))
            batch = EventBatch()
            good: list[tuple[int, list[str], list[str]]] = []  # line, cells trimmed, as read
            rejected: list[tuple[int, str, list[str]]] = []  # logged in file order at the end
            for start, row in zip(starts, rows, strict=True):
                why = _row_problem(row, width, (id_index, name_index, time_index))
                if why is None:
                    good.append((start, [cell.replace("\ufeff", "").strip() for cell in row],
                                 row))
                elif why:
                    rejected.append((start, why, row))
                else:
                    self.blank += 1
            property_cells: list[str] = []
            for _, row, _ in good:
                property_cells += _as_tuple(take(row))
                property_cells.append("")
            texts = hashed.encode(property_cells[:], len(good)) if hashed else None
            if hashed:
                hashed.take_misfits()  # the same as the typed encoder's
            properties = encoder.encode(property_cells, len(good))
            for index, column, value, why in encoder.take_misfits():
                self.misfits.add(Misfit(good[index][0], column, value, why))
            for (start, row, as_read), stored, as_text in zip(good, properties,
                                                               texts or properties, strict=True):
                ms, why = parse_timestamp(row[time_index], self.tz)
                if ms is None:
                    rejected.append((start, why or NO_TIMESTAMP, as_read))
                    continue
                if too_large(stored):
                    rejected.append((start, TOO_LARGE, as_read))
                    continue
                message_id = row[message_index] if message_index is not None else ""
                canonical = stored if message_id else canonical_properties(json.loads(as_text))
                batch.add(start, event_key(message_id, row[id_index], row[name_index], ms,
                                           canonical),
                          row[id_index], row[name_index], ms, stored)
            for start, why, row in sorted(rejected, key=lambda reject: reject[0]):
                self.rejects.add(start, why, row)
            yield batch

    def _whole_chunk(self, cells: list[str], joined: str, first: int, last: int, width: int,
                     kept: list[int], encoder: FieldsEncoder) -> EventBatch | None:
        """A chunk of whole rows (``cells``, ``width`` to a row, one row a line, ``joined``
        their text) with an ID, a name, a messageId and a timestamp all in one of the
        common forms, in C-level calls only, as the audience import does; None when some
        row must be looked at alone."""
        plan, header = self.plan, self.rejects.header
        if plan.message_id_column is None:
            return None
        if "\x00" in joined or "\ufeff" in joined:
            return None
        if not joined.isascii() or any(space in joined for space in _ASCII_SPACES):
            cells = list(map(str.strip, cells))
        rows = last - first + 1
        column = header.index
        ids = cells[column(plan.id_column)::width]
        names = cells[column(plan.event_column)::width]
        message_ids = cells[column(plan.message_id_column)::width]
        if "" in ids or "" in names or "" in message_ids:
            return None
        ms = common_times(cells[column(plan.timestamp_column)::width])
        if ms is None:
            return None
        stride = len(kept) + 1  # the kept columns, then the encoder's blank "ID"
        property_cells = [""] * (rows * stride)
        for place, index in enumerate(kept):
            property_cells[place::stride] = cells[index::width]
        properties = encoder.encode(property_cells, rows)
        misfits = encoder.take_misfits()
        if max(map(len, properties)) * 4 > MAX_PROPERTIES_BYTES:
            return None  # looked at row by row, where the size is measured in bytes
        for index, name, value, why in misfits:
            self.misfits.add(Misfit(first + index, name, value, why))
        return EventBatch(list(map("m:".__add__, message_ids)), ids, names,
                          list(map(floordiv, ms, repeat(1000))), properties,
                          list(range(first, last + 1)))

    def _header(self, records: Records) -> list[str]:
        while rows := records.chunk(1):
            cells = rows[0]
            if isinstance(cells, LongRecord):
                raise CsvFileError(f"line {records.first}: the header has a field over "
                                   f"{field_limit_text()} (was the file changed?)")
            if any(cell.strip() for cell in cells):
                header = clean_header(cells)
                wanted = [self.plan.id_column, self.plan.event_column,
                          self.plan.timestamp_column, *self.plan.columns]
                missing = [name for name in wanted if name not in header]
                if missing:
                    raise CsvFileError(
                        f"the file has no column {missing[0]!r} any more (was it changed?)")
                return header
        raise CsvFileError("the file is empty: there is nothing to import.")


# What str.strip takes away in ASCII but the line end (a whole chunk's cells hold none): a
# chunk with none of these has no cell to trim.
_ASCII_SPACES = " \t\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _as_tuple(taken: str | tuple[str, ...]) -> tuple[str, ...]:
    """itemgetter of one index gives the cell itself, of several a tuple."""
    return (taken,) if isinstance(taken, str) else taken


def _starts(rows: list[list[str]], first: int) -> list[int]:
    """The line each row starts on when some rows span lines (quoted line breaks)."""
    starts: list[int] = []
    for row in rows:
        starts.append(first)
        first += 1 + line_breaks(row)
    return starts


def _row_problem(row: list[str], width: int, required: tuple[int, int, int]) -> str | None:
    """Why a CSV row is rejected; "" for a blank line (skipped), None when it is whole."""
    if isinstance(row, LongRecord):
        return f"a field is longer than {field_limit_text()}"
    if any("\x00" in cell for cell in row):
        raise CsvFileError("the file holds binary data (a NUL character), so it is not a CSV "
                           "file.")
    if not any(cell.strip() for cell in row):
        return ""
    if len(row) != width:
        many = "many" if len(row) > width else "few"
        return f"too {many} fields ({len(row)}; the header has {width})"
    id_index, name_index, time_index = required
    for index, why in ((id_index, NO_CUSTOMER_ID), (name_index, NO_EVENT_NAME),
                       (time_index, NO_TIMESTAMP)):
        if not row[index].replace("\ufeff", "").strip():
            return why
    return None

