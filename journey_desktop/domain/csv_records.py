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
from collections.abc import Iterable, Iterator, Sequence
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


def line_breaks(row: Sequence[str]) -> int:
    """Physical line ends inside a row's quoted cells (CRLF, CR and LF each count once)."""
    return sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)


def field_limit_text() -> str:
    """The csv module's field limit in words (SPEC §4: 131,072 characters)."""
    return f"{csv.field_size_limit():,} characters"


class LongRecord(list[str]):
    """Stands for a record with a field over the csv module's limit: its cells are lost."""


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
        self._delimiter = delimiter
        self._source = chain(lines, self._end_line()) if whole_file else iter(lines)
        self._reader = csv.reader(self._source, delimiter=delimiter)
        self._offset = 0  # lines taken before the reader started, or beside it
        self._plain = True  # until a line ``plain_chunk`` leaves to the reader
        self.first = 1  # the line the last chunk starts on
        self.last = 0  # the line the last chunk ends on

    def _end_line(self) -> Iterator[str]:
        self._at_end = True
        yield _END_LINE

    @property
    def _line(self) -> int:
        """The last line taken from the file."""
        return self._reader.line_num + self._offset

    def plain_chunk(self, size: int, width: int) -> tuple[list[str], str] | None:
        """The next up to ``size`` records as one list of cells (``width`` to a record) and
        their lines joined with LF ends, when every line is plain: no quote, no NUL, LF or
        CRLF ends, ``width`` fields, none over the field limit. The csv reader reads such
        lines exactly as splitting them on the delimiter does, which is several times
        faster. ([], "") at the end of the file.

        None when a line is not plain: from there on the csv reader reads the file
        (``chunk``, which then starts with these lines), so a quoted field running past
        them, a blank or short line and a long field are read as they always were.
        """
        if not self._plain or width < 2:
            return None
        block = list(islice(self._source, size))
        end = bool(block) and block[-1] == _END_LINE
        if end:
            block.pop()
        if not block:
            self.first = self.last + 1
            return [], ""
        text = "".join(block)
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if not text.endswith("\n"):
            text += "\n"  # the file's last line, without a line end
        delimiter = self._delimiter
        if ('"' in text or "\r" in text or "\x00" in text
                or max(map(len, block)) >= csv.field_size_limit()
                or set(map(str.count, block, repeat(delimiter))) != {width - 1}):
            self._plain = False
            self._offset = self._line
            self._reader = csv.reader(chain(block, [_END_LINE] if end else (), self._source),
                                      delimiter=delimiter)
            return None
        self.first = self.last + 1
        self.last = self.first + len(block) - 1
        self._offset += len(block)
        cells = text.replace("\n", delimiter).split(delimiter)
        cells.pop()  # what follows the last line end
        return cells, text

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
            if _FIELD_LIMIT_ERROR not in str(exc):
                raise CsvFileError(
                    f"line {self._line}: the file cannot be read as CSV ({exc})"
                ) from None
            if self._line != start:
                where = (
                    "to the end of the file" if self._at_end else f"past line {self._line}"
                )
                raise CsvFileError(
                    f"line {start}: a quoted field starting on this row runs {where} and over "
                    f"{field_limit_text()}: is a quote never closed?"
                ) from None
            rows.append(LongRecord())
        last = self._line
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

    def read_all(self) -> list[list[str]]:
        """Every record (for a sample held in memory)."""
        records: list[list[str]] = []
        while chunk := self.chunk(10_000):
            records += chunk
        return records


# --- rejected rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reject:
    line: int  # the physical line where the record starts (the header is line 1)
    reason: str
    row: str  # the record as read, joined again with the file's delimiter (for display)
    cells: tuple[str, ...] = ()  # the record's cells as read


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
        self._spool: IO[str] | None = None
        self._writer: csv._writer | None = None  # type: ignore[name-defined]

    def add(self, line: int, reason: str, cells: Sequence[str]) -> None:
        self.count += 1
        if len(self.kept) < KEPT_REJECTS:
            self.kept.append(self._reject(line, reason, cells))
        if self._writer is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
            self._writer = csv.writer(self._spool)
        self._writer.writerow((line, reason, *cells))

    def _reject(self, line: int, reason: str, cells: Sequence[str]) -> Reject:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.delimiter, lineterminator="").writerow(cells)
        return Reject(line, reason, buffer.getvalue(), tuple(cells))

    def __iter__(self) -> Iterator[Reject]:
        """Every rejected row, in file order (read back from the spool)."""
        if self._spool is None:
            return
        self._spool.flush()
        self._spool.seek(0)
        for line, reason, *cells in csv.reader(self._spool):
            yield self._reject(int(line), reason, cells)
        self._spool.seek(0, io.SEEK_END)

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
            self._writer = None
