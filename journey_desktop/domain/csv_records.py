"""CSV records as the audience import reads them (SPEC §4): the file opened safely, each
record's line, over-long fields, a quote left open at the end, and the rejected rows.

What the csv module does not say by itself: where a record starts, whether a row with a
field over its limit can be skipped, and whether the last field was ever closed (it hands a
quote left open back as a field holding the rest of the file).
"""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from pathlib import Path
from typing import IO, Self

KEPT_REJECTS = 1000

# A line read after the file's last one. Its NUL characters are in no importable file (a NUL
# makes a file binary and refused), so it cannot be taken for data. Where it lands tells how
# the file ended: a record of its own after a closed record, or the end of a quoted field
# that was never closed.
_END_LINE = "\x00end of file\x00"
_FIELD_LIMIT_ERROR = "field larger than field limit"
BLOCK_CHARS = 64 * 1024  # the first block of plain lines read; then about a chunk's lines
_LINES_SEARCHED_BACK = 16  # more lines than wanted in a block: split it to find the end


class CsvFileError(ValueError):
    """A file that cannot be imported at all; the message is for the user."""


def open_csv_file(path: str | Path) -> tuple[IO[bytes], int]:
    """The file open for reading, and its size.

    Only a regular file: a pipe would block the reader until something writes to it (for
    ever), a device never ends. Opened without blocking, then checked, so the check is of
    the file actually read.
    """
    file = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(file, flags)
    except FileNotFoundError:
        raise CsvFileError(f"{file.name}: no such file") from None
    except IsADirectoryError:
        raise CsvFileError(f"{file.name}: is a folder, not a file") from None
    except OSError as exc:
        if file.is_dir():  # Windows refuses to open a folder with "permission denied"
            raise CsvFileError(f"{file.name}: is a folder, not a file") from None
        raise CsvFileError(f"{file.name}: cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise CsvFileError(f"{file.name}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise CsvFileError(
                f"{file.name}: is not a regular file (a pipe or a device), so it cannot be "
                "read as a CSV file; save the data to a file first"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return raw, info.st_size


class OpenedFile:
    """What every streaming reader of a file shares: the file opened on entering and
    closed on leaving (only a regular file: ``open_csv_file``), its size, and how far the
    reading has got, for progress."""

    def __init__(self, path: str | Path) -> None:
        self._file_path = path
        self._raw: IO[bytes] | None = None
        self.size = 0

    def __enter__(self) -> Self:
        self._raw, self.size = open_csv_file(self._file_path)  # closed in __exit__
        return self

    def __exit__(self, *exc: object) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    @property
    def bytes_read(self) -> int:
        """How far into the file the reader is (the row count is not known in advance)."""
        return self._raw.tell() if self._raw is not None and not self._raw.closed else self.size


def _line_count(text: str) -> int:
    """How many lines the csv module reads in ``text`` (CRLF, CR and LF end one each)."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (not text.endswith(("\n", "\r")) and bool(text))


def line_breaks(row: Sequence[str]) -> int:
    """Physical line ends inside a row's quoted cells (CRLF, CR and LF each count once)."""
    return sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)


def field_limit_text() -> str:
    """The csv module's field limit in words (SPEC §4: 131,072 characters)."""
    return f"{csv.field_size_limit():,} characters"


class LongRecord(list[str]):
    """Stands for a record with a field over the csv module's limit: its cells are lost."""


class PlainCells(list[str]):
    """The cells of a chunk of plain lines (``Records.plain_chunk``), one row after another;
    ``text`` is them joined by the file's delimiter."""

    def __init__(self, cells: list[str], text: str) -> None:
        super().__init__(cells)
        self.text = text


def _separators_of(delimiter: str) -> bytes:
    """The bytes ``bytes.translate`` deletes to keep only ``delimiter`` and LF."""
    kept = {ord(delimiter), ord("\n")}
    return bytes(c for c in range(256) if c not in kept)


_SEPARATORS: dict[str, bytes] = {}


def _one_record_a_line(
    text: str, lines: list[str] | None, count: int, delimiter: str, width: int
) -> bool:
    """Whether each of the ``count`` lines of ``text`` (which ends in an LF unless it is the
    file's last line) holds exactly ``width - 1`` delimiters; ``lines``, the lines, are
    needed unless the text is ASCII with LF line ends.

    ASCII text with LF line ends is checked in two C-level calls: its delimiters and LFs
    alone, in order, compared with those of ``len(lines)`` lines of the width (counting
    each line's delimiters took a method call per line, a sixth of the reading's time)."""
    if lines is not None and (not (text.isascii() and delimiter.isascii()) or "\r" in text):
        return set(map(str.count, lines, repeat(delimiter, len(lines)))) == {width - 1}
    deleted = _SEPARATORS.get(delimiter)
    if deleted is None:
        deleted = _SEPARATORS[delimiter] = _separators_of(delimiter)
    expected = (delimiter * (width - 1) + "\n") * count
    if not text.endswith("\n"):
        expected = expected[:-1]
    return text.encode("ascii").translate(None, deleted) == expected.encode("ascii")


class Records:
    """The csv reader over lines, in chunks of records, knowing the line each chunk starts on.

    A record with a field over the limit is handed out as an empty LongRecord when it stands
    on one line (the reader goes on at the next line, exactly where the next record starts);
    when it spans lines, a quote was opened on it and where the reader would go on is
    unknown, so the file is refused. With ``whole_file``, a quote left open at the end of
    the file is an error naming the line where that field starts.
    """

    def __init__(self, lines: Iterable[str], delimiter: str, *, whole_file: bool = True) -> None:
        self._at_end = False
        self._lines = iter(chain(lines, self._end_line()) if whole_file else lines)
        self._delimiter = delimiter
        self._reader = csv.reader(self._lines, delimiter=delimiter)
        self._base = 0  # lines read before the csv reader's first (its line_num counts on)
        self._pending = 0  # lines the csv reader was handed back, to read before the file
        # Plain chunks are read from a file a block at a time: the part of a line after a
        # block's last line end waits for the next block. None once lines are read one by
        # one (at the end of the file, or after a block without a line feed).
        self._read: Callable[[int], str] | None = getattr(lines, "read", None)
        self._readline: Callable[[], str] = getattr(lines, "readline", lambda: "")
        self._carry = ""
        self._block_chars = BLOCK_CHARS
        self.first = 1  # the line the last chunk starts on
        self.last = 0  # the line the last chunk ends on

    def _end_line(self) -> Iterator[str]:
        self._at_end = True
        yield _END_LINE

    def chunk(self, size: int) -> list[list[str]]:
        """Up to ``size`` records, [] at the end; they span lines ``first`` to ``last``."""
        reader = self._reader
        first = self.last + 1
        rows: list[list[str]] = []
        try:
            # On an error, extend() keeps the records read before it.
            rows.extend(islice(reader, size))
        except csv.Error as exc:
            start = first + sum(1 + line_breaks(row) for row in rows)
            line_num = self._base + reader.line_num
            if _FIELD_LIMIT_ERROR not in str(exc):
                raise CsvFileError(
                    f"line {line_num}: the file cannot be read as CSV ({exc})"
                ) from None
            if line_num != start:
                where = (
                    "to the end of the file" if self._at_end else f"past line {line_num}"
                )
                raise CsvFileError(
                    f"line {start}: a quoted field starting on this row runs {where} and over "
                    f"{field_limit_text()}: is a quote never closed?"
                ) from None
            rows.append(LongRecord())
        last = self._base + reader.line_num
        if self._at_end and rows:
            final = rows[-1]
            if final == [_END_LINE]:
                rows.pop()
                last -= 1
            elif final and final[-1].endswith(_END_LINE):
                start = first + sum(1 + line_breaks(row) for row in rows[:-1])
                opened = start + line_breaks(final[:-1])
                raise CsvFileError(
                    f"line {opened}: a quote opened on this line is never closed (the field "
                    "runs to the end of the file)"
                )
        self.first, self.last = first, last
        return rows

    def plain_chunk(self, size: int, width: int) -> PlainCells | list[list[str]]:
        """Up to ``size`` records, as ``chunk`` reads them, spanning lines ``first`` to
        ``last``; [] at the end.

        When the next ``size`` lines are plain (each one record of ``width`` fields: no
        quote, no NUL, no byte order mark, none longer than the field limit), their cells
        come flat (``PlainCells``), as the csv module reads them, split by one
        ``str.split``: the rows are ``len(cells) // width``, one line each. Else the rows,
        from the csv module (a chunk of lines tried as plain is handed back to it).
        """
        if self._reader.line_num < self._pending:  # lines handed back are not all read
            return self.chunk(size)
        first = self.last + 1
        block = self._block(size) if self._read is not None else None
        if block is None:
            lines: list[str] | None = list(islice(self._lines, size))
            if not lines:
                return []
            text = "".join(lines)
            count = len(lines)
        else:
            (text, count), lines = block, None
        cells = self._plain_cells(text, lines, count, width)
        if cells is None:
            # The csv module reads these lines again, then goes on in the file.
            again: Iterable[str] = lines or ()
            if block is not None:
                text += self._carry + self._readline()  # with the line the block cut, whole
                self._carry = ""
                again = io.StringIO(text, newline="")
            self._base, self._pending = self.last, _line_count(text)
            self._reader = csv.reader(chain(again, self._lines), delimiter=self._delimiter)
            return self.chunk(size)
        self._base += count
        self.first, self.last = first, first + count - 1
        return cells

    def _block(self, size: int) -> tuple[str, int] | None:
        """The next lines (up to ``size``) read as one block: their text, which ends in a line
        end, and how many they are. None when blocks end: at the end of the file, or
        for a block without an LF (a line longer than a block, a file of CR line ends),
        which goes back, completed to a whole line, before the lines read one by one."""
        assert self._read is not None
        wanted = self._block_chars - len(self._carry)
        data = self._carry + (self._read(wanted) if wanted > 0 else "")
        cut = data.rfind("\n") + 1
        if not cut:
            if data:
                self._lines = chain(io.StringIO(data + self._readline(), newline=""),
                                    self._lines)
            self._read, self._carry = None, ""
            return None
        # The lines are counted, not split: a block is about size + 1 lines, so the end of
        # the size-th is a few searches back from the last (splitting made a string a line).
        count = data.count("\n", 0, cut)
        if count - size > _LINES_SEARCHED_BACK:
            cut -= len(data[:cut].split("\n", size)[-1])
            count = size
        while count > size:
            cut = data.rfind("\n", 0, cut - 1) + 1
            count -= 1
        text, self._carry = data[:cut], data[cut:]
        self._block_chars = (len(text) // count + 1) * (size + 1)
        return text, count

    def _plain_cells(
        self, text: str, lines: list[str] | None, count: int, width: int
    ) -> PlainCells | None:
        """The cells of ``count`` lines (their ``text``; ``lines``, the lines themselves, or
        None when the text is split at LFs only) when they are plain, else None."""
        delimiter = self._delimiter
        if width < 2 or delimiter in "\r\n\"":
            return None
        if lines is None and (not (text.isascii() and delimiter.isascii()) or "\r" in text
                              or len(text) > csv.field_size_limit()):
            lines = text.split("\n")
            lines.pop()  # after the last line end
        if not _one_record_a_line(text, lines, count, delimiter, width):
            return None
        if (len(text) > csv.field_size_limit() and lines is not None
                and max(map(len, lines)) > csv.field_size_limit()):
            return None
        if '"' in text or "\x00" in text or "\ufeff" in text:
            return None
        if "\r" in text:  # a line ends in CR LF or CR (the lines are split there)
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.endswith("\n"):
            text = text[:-1]
        text = text.replace("\n", delimiter)
        cells = text.split(delimiter)
        if len(cells) != count * width:  # a line of nothing but its end
            return None
        return PlainCells(cells, text)

    def read_all(self) -> list[list[str]]:
        """Every record (for a sample held in memory)."""
        records: list[list[str]] = []
        while chunk := self.chunk(10_000):
            records += chunk
        return records


def clean_header(cells: Sequence[str]) -> list[str]:
    """Trimmed, non-empty, unique column names (``column 3``, ``city (2)``)."""
    names: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        name = cell.replace("\ufeff", "").strip() or f"column {index + 1}"
        candidate, number = name, 2
        while candidate in seen:
            candidate = f"{name} ({number})"
            number += 1
        seen.add(candidate)
        names.append(candidate)
    return names


# --- rejected rows -------------------------------------------------------------------------

# The columns a rejects file adds before the source's (SPEC §4): where a row was, and why.
REJECTS_COLUMNS = ("line", "reason")


def rejects_file_header(header: Sequence[str]) -> list[str]:
    """A rejects file's header: its ``line`` and ``reason`` columns (``line (2)`` when the
    source has a ``line`` already), then the source's columns."""
    names = clean_header([*header, *REJECTS_COLUMNS])
    return [*names[-2:], *names[:-2]]


def rejects_file_columns(header: Sequence[str]) -> tuple[str, ...]:
    """The ``line`` and ``reason`` columns of a header that is a rejects file's as written
    by ``rejects_file_header`` (first, or last as SPEC §4 words it), else ()."""
    if len(header) < 3:
        return ()
    if list(header[:2]) == rejects_file_header(header[2:])[:2]:
        return tuple(header[:2])
    if tuple(header[-2:]) == REJECTS_COLUMNS:
        return REJECTS_COLUMNS
    return ()


@dataclass(frozen=True)
class Reject:
    line: int  # the physical line where the record starts (the header is line 1)
    reason: str
    row: str  # the record as read, joined again with the file's delimiter (for display)
    cells: tuple[str, ...] = ()  # the record's cells as read


class SpooledRows:
    """Rows of text cells written to a temporary file and read back in the order written:
    what an import lists beyond the few it keeps in memory (rejects, values not fitting)."""

    def __init__(self) -> None:
        self._file: IO[str] | None = None
        self._writer: csv._writer | None = None  # type: ignore[name-defined]

    def write(self, row: Sequence[object]) -> None:
        if self._writer is None:
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file)
        self._writer.writerow(row)

    def __iter__(self) -> Iterator[list[str]]:
        """Every row written so far; rows written later go after them."""
        spool = self._file
        if spool is None:
            return
        spool.flush()
        spool.seek(0)
        try:
            yield from csv.reader(spool)
        finally:
            if not spool.closed:
                spool.seek(0, io.SEEK_END)  # where the next row is written

    def close(self) -> None:
        """Forget the rows (the temporary file is deleted)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


class RejectLog:
    """Rejected rows: the first KEPT_REJECTS kept for display, all spooled to a temp file.

    It also keeps what the rejects file needs to be imported again once fixed: the source's
    delimiter, encoding and columns.
    """

    def __init__(self, delimiter: str = ",", encoding: str = "utf-8") -> None:
        self.count = 0
        self.kept: list[Reject] = []
        self.delimiter = delimiter
        self.encoding = encoding
        self.header: list[str] = []  # the source's columns, once its header was read
        self.as_text = False  # a record is one line of text (JSON Lines), shown as written
        self._spool = SpooledRows()

    def add(self, line: int, reason: str, cells: Sequence[str]) -> None:
        self.count += 1
        if len(self.kept) < KEPT_REJECTS:
            self.kept.append(self._reject(line, reason, cells))
        self._spool.write((line, reason, *cells))

    def _reject(self, line: int, reason: str, cells: Sequence[str]) -> Reject:
        if self.as_text:
            return Reject(line, reason, "".join(cells), tuple(cells))
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.delimiter, lineterminator="").writerow(cells)
        return Reject(line, reason, buffer.getvalue(), tuple(cells))

    def __iter__(self) -> Iterator[Reject]:
        """Every rejected row, in file order (read back from the spool)."""
        for line, reason, *cells in self._spool:
            yield self._reject(int(line), reason, cells)

    def close(self) -> None:
        self._spool.close()
