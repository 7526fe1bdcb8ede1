"""The fields of imported rows as JSON text (SPEC §4): ``FieldsEncoder`` turns a batch
of trimmed cells into each row's typed ``fields`` text in C-level calls, and the values that
do not fit their column's type are kept as ``Misfit``s. Shared by the audience, customers
and events imports (``audience_csv``, ``events_file``)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring

from journey_desktop.domain.csv_records import KEPT_REJECTS, SpooledRows
from journey_desktop.domain.values import NUMBER, TEXT, json_number_column, stored_column


@dataclass(frozen=True)
class Misfit:
    """A value that does not fit its column's type: the row imports, the field is not set."""

    line: int
    column: str
    value: str
    reason: str


class MisfitLog:
    """Values that did not fit their column's type: counted, the first KEPT_REJECTS kept for
    display, the others spooled to a temporary file, so that every one can be listed
    (``__iter__``) without millions of them in memory."""

    def __init__(self) -> None:
        self.count = 0
        self.kept: list[Misfit] = []
        self.by_column: dict[str, int] = {}
        self._spool = SpooledRows()

    def add(self, misfit: Misfit) -> None:
        self.count += 1
        self.by_column[misfit.column] = self.by_column.get(misfit.column, 0) + 1
        if len(self.kept) < KEPT_REJECTS:
            self.kept.append(misfit)
            return
        self._spool.write((misfit.line, misfit.column, misfit.value, misfit.reason))

    def __iter__(self) -> Iterator[Misfit]:
        """Every misfit, in file order: those kept, then those spooled."""
        yield from self.kept
        for line, column, value, reason in self._spool:
            yield Misfit(int(line), column, value, reason)

    def close(self) -> None:
        """Forget the spooled misfits (the temporary file is deleted)."""
        self._spool.close()


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
# Ends each row's JSON in a batch's text; it never occurs in a cell written to that text
# (control characters are either absent or escaped by JSON).
_ROW_END = "\x00"


class FieldsEncoder:
    """Turns the trimmed cells of a batch of rows into each row's JSON ``fields`` text.

    A batch is encoded with C-level calls only (``map``, ``str.join``, ``%``, slices and
    ``str.split``) on texts made once per header, so no Python code runs per row: this
    halves the time of an import's parsing. Values needing no escaping are joined between
    the texts around them (``_parts``), others formatted by a template; both are built from
    the header with every name escaped, and the ID column's cell is written nowhere.

    Number and date columns are first put in their stored form (``values.stored_column``:
    one regular expression per column when they already are); a row with a value that does
    not fit is encoded again without that field, and the value is left in ``misfits`` as
    (row of the batch, column, value, why) for the caller to log with its line. With
    ``json_numbers`` (events' properties) number columns are written as JSON numbers
    (``values.json_number``), as customer fields they are text.
    """

    def __init__(
        self, header: Sequence[str], id_index: int, types: dict[str, str] | None = None,
        date_orders: dict[str, str] | None = None, skipped: Collection[int] = (), *,
        json_numbers: bool = False,
    ) -> None:
        # The ID column, and columns not imported (``skipped``), are written nowhere.
        left_out = frozenset((id_index, *skipped))
        self._header = list(header)
        self._left_out = left_out
        self._typed = [
            (index, name, kind, (date_orders or {}).get(name))
            for index, name in enumerate(header)
            if index not in left_out and (kind := (types or {}).get(name, TEXT)) != TEXT
        ]
        # Number columns written as JSON numbers (events' properties), not as text.
        self._bare = frozenset(index for index, _, kind, _ in self._typed
                               if json_numbers and kind == NUMBER)
        self._plain_parts, self._slots = self._parts(header, left_out, self._bare)
        self._escaped = self._template(header, left_out, "%s")
        self.misfits: list[tuple[int, str, str, str]] = []

    @staticmethod
    def _template(header: Sequence[str], left_out: frozenset[int], slot: str) -> str:
        parts = []
        keys = 0
        for index, name in enumerate(header):
            if index in left_out:
                parts.append("%.0s")
                continue
            key = encode_basestring(name).replace("%", "%%")
            parts.append(("," if keys else "") + f"{key}:{slot}")
            keys += 1
        return "{" + "".join(parts) + "}" + _ROW_END

    @staticmethod
    def _parts(header: Sequence[str], left_out: frozenset[int], bare: frozenset[int]
               ) -> tuple[list[str], list[tuple[int, int]]]:
        """A row's JSON as the texts between its values (quoted, needing no escaping; the
        ``bare`` columns' JSON numbers unquoted), and where each column's value goes among
        them: (index in the parts, column index)."""
        parts: list[str] = []
        slots: list[tuple[int, int]] = []
        text = "{"
        for index, name in enumerate(header):
            if index in left_out:
                continue
            quote = "" if index in bare else '"'
            parts.append(text + ("," if slots else "") + encode_basestring(name) + ":" + quote)
            slots.append((len(parts), index))
            parts.append("")
            text = quote
        parts.append(text + "}" + _ROW_END)
        return parts, slots

    def encode(self, cells: list[str], rows: int, joined: str | None = None, *,
               escape: bool | None = None) -> list[str]:
        """``cells`` holds ``rows`` rows of the header's width, one after the other; typed
        columns are replaced in it by their stored form. ``joined``, when given, is
        ``"".join(cells)`` as read: stored forms (ISO dates, plain numbers) never need
        escaping, so it still tells whether any cell does. ``escape``, when given, says
        whether any cell as read needs escaping (then ``joined`` is not needed)."""
        if not rows:
            return []
        width = len(self._header)
        bad: dict[int, set[int]] = {}  # row -> indexes of its cells that do not fit
        for index, name, kind, order in self._typed:
            values = cells[index::width]
            stored, problems = stored_column(values, kind, order)
            if index in self._bare:
                stored = json_number_column(stored)
            if stored is not values:
                cells[index::width] = stored
            for row, why in problems.items():
                self.misfits.append((row, name, values[row], why))
                bad.setdefault(row, set()).add(index)
        if escape is None:
            escape = _NEEDS_ESCAPE.search("".join(cells) if joined is None else joined) is not None
        if not escape:
            # The values between the texts of the rows' parts, joined: no formatting to
            # parse per value (a third quicker than ``%`` on a template).
            parts = self._plain_parts * rows
            step = len(self._plain_parts)
            for slot, index in self._slots:
                parts[slot::step] = cells[index::width]
            text = "".join(parts)
        else:
            escaped = list(map(encode_basestring, cells))
            for index in self._bare:
                escaped[index::width] = cells[index::width]
            text = (self._escaped * rows) % tuple(escaped)
        encoded = text.split(_ROW_END)
        encoded.pop()  # after the last row's end
        for row, skipped in bad.items():
            start = row * width
            encoded[row] = json.dumps(
                {
                    self._header[i]: (json.loads(cells[start + i]) if i in self._bare
                                      else cells[start + i])
                    for i in range(width)
                    if i not in self._left_out and i not in skipped
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
        return encoded

    def take_misfits(self) -> list[tuple[int, str, str, str]]:
        """The misfits of the batches encoded since the last call, and forget them."""
        misfits, self.misfits = self.misfits, []
        return misfits
