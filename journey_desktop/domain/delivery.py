"""Delivery reports (SPEC §15): the statuses and how they imply each other, message ids,
rates, and one streaming pass over a report file (CSV or JSON Lines, told apart by content).

Statuses only move forward: clicked ⇒ opened ⇒ delivered ⇒ sent, so a click also counts
as an open, a delivery and a send; bounced, failed and unsubscribed stand apart. A
message's id is ``<database id>-<outbox id>``: the database id is random and kept by the
database, so an id is unique across databases and the same on every export of a row.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
from bisect import bisect_left
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, count, islice, repeat
from operator import floordiv, itemgetter
from typing import IO, Any

from journey_desktop.domain.audience_csv import open_text
from journey_desktop.domain.audience_preview import preview_csv
from journey_desktop.domain.csv_records import CsvFileError, OpenedFile, RejectLog
from journey_desktop.domain.event_values import LATEST_MS, common_times, parse_timestamp
from journey_desktop.domain.events_file import JSON_LINES, detect_format

SENT = "sent"
DELIVERED = "delivered"
OPENED = "opened"
CLICKED = "clicked"
BOUNCED = "bounced"
FAILED = "failed"
UNSUBSCRIBED = "unsubscribed"
LADDER = (SENT, DELIVERED, OPENED, CLICKED)  # each implies those before it
APART = (BOUNCED, FAILED, UNSUBSCRIBED)
STATUSES = LADDER + APART
_KNOWN = frozenset(STATUSES)
STATUS_LABELS = {status: status.capitalize() for status in STATUSES}
EVENT_PREFIX = "message_"  # a report status is also the customer event message_<status>

COLUMNS = ("message_id", "status", "timestamp", "detail")
MAX_DETAIL_CHARS = 1000
BAD_STATUS = "unknown status {!r} (use " + ", ".join(STATUSES) + ")"


def moved(status: str, prior: int = 0) -> tuple[str, ...]:
    """The statuses a report line giving ``status`` took its message to, from step
    ``prior`` on the ladder: those after it up to ``status`` (a click from step 2: delivered,
    opened, clicked; from nothing: all four); a status apart, itself."""
    if status in LADDER:
        return LADDER[prior : LADDER.index(status) + 1]
    return (status,) if status in APART else ()


def level(status: str) -> int:
    """A status's step on the ladder (sent 1 … clicked 4); 0 for those apart."""
    return LADDER.index(status) + 1 if status in LADDER else 0


def reached(top: int, apart: Mapping[str, bool]) -> list[str]:
    """The statuses a message reached: those up to its furthest step ``top`` on the ladder,
    then those apart it was given (``apart``: status → given)."""
    return [*LADDER[:top], *(status for status in APART if apart.get(status))]


def event_name(status: str) -> str:
    return EVENT_PREFIX + status


def ladder_event(name: str) -> tuple[list[str], int] | None:
    """For an event name a journey waits for, enters on or counts: when it is a status on
    the ladder (``message_opened``), the names of the events that stand for it (itself and
    those further on: a click is also an open) and its step. A report line stores one event,
    the status it gave, with the step the message stood at before it (``ladder_from``): it
    stands for every status above that step up to its own, once. None for any other name."""
    if not name.startswith(EVENT_PREFIX) or name[len(EVENT_PREFIX):] not in LADDER:
        return None
    step = level(name[len(EVENT_PREFIX):])
    return [event_name(status) for status in LADDER[step - 1:]], step


def message_id(database_id: str, outbox_id: int) -> str:
    return f"{database_id}-{int(outbox_id)}"


def parse_message_id(text: str, database_id: str) -> int | None:
    """The outbox id of a message of this database, None for any other id."""
    prefix, _, number = text.rpartition("-")
    if prefix != database_id or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


_ID_NUMBERS = re.compile(r"(?:[0-9]{1,18}\n)*")


def parse_message_ids(texts: list[str], database_id: str) -> list[int | None]:
    """``parse_message_id`` of each text; in C-level calls when every one is an id of this
    database (the usual report), so a million lines cost no Python call each."""
    prefix = database_id + "-"
    if all(map(str.startswith, texts, repeat(prefix))):
        numbers = list(map(itemgetter(slice(len(prefix), None)), texts))
        joined = "\n".join(numbers) + "\n"
        if joined.count("\n") == len(numbers) and _ID_NUMBERS.fullmatch(joined):
            return list(map(int, numbers))
    return [parse_message_id(text, database_id) for text in texts]


def ids_as_written(texts: list[str], database_id: str) -> bool:
    """Whether each text is the message id ``message_id`` writes for its number (this
    database's, no leading zero), so that the number alone says it; in C-level calls."""
    pattern = re.compile(f"(?:{re.escape(database_id)}-[1-9][0-9]{{0,17}}\n)*")
    joined = "\n".join(texts) + "\n"
    return joined.count("\n") == len(texts) and pattern.fullmatch(joined) is not None


def database_of(text: str) -> str:
    """The database part of a message id ("" when the text is not shaped as one)."""
    prefix, _, number = text.rpartition("-")
    return prefix if number.isdigit() else ""


def rate(part: int, whole: int) -> float | None:
    """``part`` ÷ ``whole`` (open rate: opened ÷ delivered; CTR: clicked ÷ delivered);
    None when nothing was delivered, which a table shows as a dash, not 0 %."""
    return part / whole if whole else None


def rate_text(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def card_line(reached: Mapping[str, int]) -> str:
    """A message node's figures in one short line for its card on the canvas ("1,204 sent
    · 31.0 % open · 4.2 % CTR"); "" when no report named any of its messages."""
    if not any(reached.get(status, 0) for status in STATUSES):
        return ""
    delivered = reached.get(DELIVERED, 0)
    return (f"{reached.get(SENT, 0):,} sent"
            f" · {rate_text(rate(reached.get(OPENED, 0), delivered))} open"
            f" · {rate_text(rate(reached.get(CLICKED, 0), delivered))} CTR")


def card_details(written: int, reached: Mapping[str, int]) -> list[str]:
    """Every figure of a message node, a line each, for the card's tooltip."""
    delivered = reached.get(DELIVERED, 0)
    return ["Delivery reports:", f"Written {written:,}",
            *(f"{STATUS_LABELS[status]} {reached.get(status, 0):,}" for status in STATUSES),
            f"Open rate {rate_text(rate(reached.get(OPENED, 0), delivered))}"
            " (opened ÷ delivered)",
            f"CTR {rate_text(rate(reached.get(CLICKED, 0), delivered))} (clicked ÷ delivered)"]


_SECONDS_COLUMN = re.compile(r"(?:\d{1,11}\n)*")  # as event_values.common_times reads it
_LATEST_SECONDS = LATEST_MS // 1000


def common_seconds(values: list[str]) -> list[int] | None:
    """UTC seconds of a column of timestamps of one common form, in C-level calls (see
    ``event_values.common_times``); None when one of them is not of it. Whole epoch seconds
    are read as they are; any other form once per distinct text (a report's lines share
    their timestamps a lot)."""
    joined = "\n".join(values) + "\n"
    if joined.count("\n") == len(values) and _SECONDS_COLUMN.fullmatch(joined):
        seconds = list(map(int, values))
        return seconds if seconds and max(seconds) < _LATEST_SECONDS else None
    texts = list(map(str.strip, values))
    distinct = list(dict.fromkeys(texts))
    if len(distinct) * 2 > len(texts):
        ms = common_times(texts)
    else:
        read = common_times(distinct)
        ms = None if read is None else list(map(dict(zip(distinct, read, strict=True))
                                                .__getitem__, texts))
    return None if ms is None else list(map(floordiv, ms, repeat(1000)))


# --- reading a report ----------------------------------------------------------------------


@dataclass
class ReportBatch:
    """Report lines read, as columns: what the store stages."""

    lines: list[int] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    outbox_ids: list[int | None] = field(default_factory=list)  # None: not this database's
    statuses: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # UTC seconds
    details: list[str] = field(default_factory=list)
    # Every message id is the one ``message_id`` writes for its outbox id (so the outbox
    # id alone says it); False when unsaid.
    ids_written: bool = False
    # Each line as read, for the rejects file: its cells, or the line's text when it holds
    # no quote (split by ``delimiter`` when asked for: most lines never are).
    rows: list[Any] = field(default_factory=list)
    delimiter: str = ","

    def __len__(self) -> int:
        return len(self.lines)

    def cells(self, line: int) -> list[str]:
        """The cells of the batch's line numbered ``line`` in the file, as read."""
        row = self.rows[bisect_left(self.lines, line)]
        return row.split(self.delimiter) if isinstance(row, str) else list(row)


class ReportReader(OpenedFile):
    """One streaming pass over a delivery report: batches of lines, rejects in a RejectLog.

    Memory stays at one batch whatever the file's size. Use as a context manager.
    """

    def __init__(self, path: str, database_id: str, *, tz: dt.tzinfo | None = None) -> None:
        super().__init__(path)
        self.path = path
        self.database_id = database_id
        self.tz = tz
        self.format, self.encoding = detect_format(path)
        self.delimiter = ","
        if self.format != JSON_LINES:
            self.delimiter = preview_csv(path, encoding=self.encoding).delimiter
        self.rejects = RejectLog(self.delimiter, self.encoding)
        self.read = 0

    def batches(self, size: int = 20_000) -> Generator[ReportBatch, None, None]:
        assert self._raw is not None, "use ReportReader as a context manager"
        text = open_text(self._raw, self.encoding)
        try:
            if self.format == JSON_LINES:
                rows = self._json_rows(text)
                while chunk := list(islice(rows, size)):
                    yield self._batch(chunk)
            else:
                yield from self._csv_batches(text, size)
        finally:
            text.detach()

    def _csv_batches(self, text: IO[str], size: int) -> Iterator[ReportBatch]:
        """Batches of ``size`` lines. Lines with no quote in them are one record each, read
        as columns when none is to reject (``_plain_batch``: the usual report), else
        line by line; from the first quote on (a quoted cell may hold line breaks), records
        are read by the csv module, each with the line it ends on."""
        header_reader = csv.reader(text, delimiter=self.delimiter)
        header = next((row for row in header_reader if any(cell.strip() for cell in row)),
                      None)
        if header is None:
            raise CsvFileError("the file is empty: there is nothing to import.")
        names = [cell.lstrip("\ufeff").strip().lower() for cell in header]
        missing = [name for name in COLUMNS[:3] if name not in names]
        if missing:
            raise CsvFileError("a delivery report needs the columns message_id, status "
                               f"and timestamp; this one has no {', '.join(missing)}")
        self.rejects.header = list(header)
        at = [names.index(name) for name in COLUMNS if name in names]
        before = header_reader.line_num  # the lines read so far
        while chunk := list(islice(text, size)):
            joined = "".join(chunk)
            if '"' in joined:
                yield from self._record_batches(chain(chunk, text), before, at, len(names),
                                                size)
                return
            batch = self._plain_batch(joined, len(chunk), before, at, len(names))
            if batch is None:  # one record a line: no quotes
                numbered = zip(csv.reader(chunk, delimiter=self.delimiter),
                               count(before + 1))
                batch = self._batch(list(self._csv_rows(numbered, at, len(names))))
            before += len(chunk)
            yield batch

    def _record_batches(self, lines: Iterator[str], before: int, at: list[int], width: int,
                        size: int) -> Iterator[ReportBatch]:
        """Records read by the csv module, ``size`` at a time, each with the line it ends
        on; a chunk with nothing to reject is read as columns, any other line by line."""
        reader = csv.reader(lines, delimiter=self.delimiter)
        numbered: Iterator[tuple[list[str], int]] = zip(
            reader, iter(lambda: before + reader.line_num, None), strict=False)
        while chunk := list(islice(numbered, size)):
            rows = list(map(itemgetter(0), chunk))
            batch = None
            if set(map(len, rows)) == {width}:
                batch = self._columns_batch(list(zip(*map(itemgetter(*at), rows),
                                                     strict=True)),
                                            list(map(itemgetter(1), chunk)), rows)
            yield batch if batch is not None else self._batch(
                list(self._csv_rows(chunk, at, width)))

    def _plain_batch(self, text: str, lines: int, before: int, at: list[int],
                     width: int) -> ReportBatch | None:
        """``lines`` lines holding no quote, as one text, read as columns by splitting them
        in C-level calls when each has ``width`` fields and none is to reject; None
        otherwise. The same answers as the csv module's records and ``_batch``."""
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                return None
        rows = text.split("\n")
        if text.endswith("\n"):
            rows.pop()
        delimiter = self.delimiter
        if len(rows) != lines or set(map(str.count, rows, repeat(delimiter))) != {width - 1}:
            return None
        cells = delimiter.join(rows).split(delimiter)
        return self._columns_batch([cells[index::width] for index in at],
                                   list(range(before + 1, before + 1 + lines)), rows)

    def _columns_batch(self, columns: list[Any], lines: list[int],
                       rows: list[Any]) -> ReportBatch | None:
        """Lines given as columns (message id, status, timestamp[, detail]) checked in
        C-level calls, ``rows`` the lines as read; None when one of them is to reject
        (``_batch`` then says why)."""
        message_ids = list(map(str.strip, columns[0]))
        if "" in message_ids:
            return None
        statuses = list(columns[1])
        if not _KNOWN.issuperset(statuses):
            statuses = list(map(str.lower, map(str.strip, statuses)))
            if not _KNOWN.issuperset(statuses):
                return None
        seconds = common_seconds(columns[2])
        if seconds is None:
            return None
        details = list(map(str.strip, columns[3])) if len(columns) > 3 else [""] * len(lines)
        if details and max(map(len, details)) > MAX_DETAIL_CHARS:
            details = [detail[:MAX_DETAIL_CHARS] for detail in details]
        self.read += len(lines)
        written = ids_as_written(message_ids, self.database_id)
        outbox_ids: list[int | None] = (
            list(map(int, map(itemgetter(slice(len(self.database_id) + 1, None)),
                              message_ids)))
            if written else parse_message_ids(message_ids, self.database_id))
        return ReportBatch(lines=lines, message_ids=message_ids, outbox_ids=outbox_ids,
                           statuses=statuses, times=seconds, details=details,
                           ids_written=written, rows=rows, delimiter=self.delimiter)

    def _csv_rows(self, chunk: Iterable[tuple[list[str], int]], at: list[int],
                  width: int) -> Iterator[tuple[int, list[str], str, str, str, str]]:
        """Records one by one: blank ones skipped, a wrong number of fields rejected."""
        for row, line in chunk:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != width:
                self.read += 1
                self.rejects.add(line, f"{len(row)} fields; the header has {width}", row)
                continue
            yield (line, row, row[at[0]], row[at[1]], row[at[2]],
                   row[at[3]] if len(at) > 3 else "")

    def _json_rows(self, text: IO[str]) -> Iterator[tuple[int, list[str], str, str, str, str]]:
        self.rejects.header = ["text"]
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line.lstrip("\ufeff"))
            except ValueError as exc:
                self.read += 1
                self.rejects.add(number, f"not JSON ({exc})", [line.rstrip("\r\n")[:1000]])
                continue
            if not isinstance(data, dict):
                self.read += 1
                self.rejects.add(number, "not a JSON object", [line.rstrip("\r\n")[:1000]])
                continue
            values = ["" if data.get(name) is None else str(data.get(name))
                      for name in COLUMNS]
            yield number, [line.rstrip("\r\n")[:1000]], *values  # type: ignore[misc]

    def _batch(self, chunk: list[tuple[int, list[str], str, str, str, str]]) -> ReportBatch:
        """Lines checked together: timestamps of one common form are read in C calls."""
        batch = ReportBatch(delimiter=self.delimiter)
        fast = common_times([row[4].strip() for row in chunk])
        for index, (line, cells, mid, status, stamp, detail) in enumerate(chunk):
            self.read += 1
            mid, status = mid.strip(), status.strip().lower()
            why = None
            if not mid:
                why = "no message_id"
            elif status not in STATUSES:
                why = BAD_STATUS.format(status) if status else "no status"
            if fast is not None:
                seconds: int | None = fast[index] // 1000
            else:
                ms, problem = parse_timestamp(stamp, self.tz)
                seconds = None if ms is None else ms // 1000
                why = why or problem
            if why is not None:
                self.rejects.add(line, why, cells)
                continue
            assert seconds is not None
            batch.lines.append(line)
            batch.message_ids.append(mid)
            batch.outbox_ids.append(parse_message_id(mid, self.database_id))
            batch.statuses.append(status)
            batch.times.append(seconds)
            batch.details.append(detail.strip()[:MAX_DETAIL_CHARS])
            batch.rows.append(cells)
        return batch


def shown_status(statuses: list[str] | tuple[str, ...]) -> str:
    """A message's delivery status in a word or two: the furthest it went along the ladder,
    then any of bounced, failed, unsubscribed ("" before any report)."""
    top = [status for status in reversed(LADDER) if status in statuses][:1]
    return ", ".join(top + [status for status in APART if status in statuses])


# --- the preview before an import ----------------------------------------------------------

PREVIEW_LINES = 20
OTHER_DATABASE = "not a message of this database"
NO_LONGER_HERE = "no longer in this database (removed with its journey)"


@dataclass(frozen=True)
class PreviewLine:
    """One report line as the import will read it: ``note`` says why it will be left out
    (a rejection, or another database's message), "" when it will be applied."""

    line: int
    message_id: str  # for a rejected line: the line as read
    status: str
    time: int | None  # UTC seconds; None for a rejected line
    detail: str
    note: str
    outbox_id: int | None = None  # the message the id names, when it is this database's


@dataclass
class ReportPreview:
    """The first lines of a report, read exactly as the import reads them."""

    path: str
    format: str
    encoding: str
    delimiter: str
    size: int
    lines: list[PreviewLine]
    more: bool  # the file has lines after these


def preview_report(path: str, database_id: str, *, tz: dt.tzinfo | None = None,
                   lines: int = PREVIEW_LINES) -> ReportPreview:
    """The first ``lines`` lines of a report, each with what the import will make of it;
    raises CsvFileError for a file that cannot be read as a report."""
    reader = ReportReader(path, database_id, tz=tz)
    shown: list[PreviewLine] = []
    try:
        with reader:
            batches = reader.batches(size=lines)
            batch = next(batches, ReportBatch())
            more = next(batches, None) is not None
            batches.close()
            size = reader.size
    finally:
        reader.rejects.close()
    for index, number in enumerate(batch.lines):
        note = "" if batch.outbox_ids[index] is not None else OTHER_DATABASE
        shown.append(PreviewLine(number, batch.message_ids[index], batch.statuses[index],
                                 batch.times[index], batch.details[index], note,
                                 batch.outbox_ids[index]))
    shown += [PreviewLine(reject.line, reject.row, "", None, "", reject.reason)
              for reject in reader.rejects.kept]
    shown.sort(key=lambda line: line.line)
    return ReportPreview(path, reader.format, reader.encoding, reader.delimiter, size,
                         shown[:lines], more or len(shown) > lines)


def sampled_outbox_ids(preview: ReportPreview) -> list[int]:
    """The outbox ids the previewed lines name (this database's ids only)."""
    return sorted({line.outbox_id for line in preview.lines if line.outbox_id is not None})


def mark_missing(preview: ReportPreview, present: set[int]) -> ReportPreview:
    """The preview with the lines whose message id is this database's but names no
    message in ``present`` (the outbox rows there are) noted as no longer here: the import
    counts them unknown."""
    preview.lines = [
        dataclasses.replace(line, note=NO_LONGER_HERE)
        if line.outbox_id is not None and not line.note and line.outbox_id not in present
        else line
        for line in preview.lines]
    return preview
