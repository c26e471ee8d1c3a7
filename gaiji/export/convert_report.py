"""The unmapped report of ``gaiji convert``: rows formatted as CSV text, counted by code.

:class:`ReportText` writes each row exactly as ``csv.writer`` (minimal quoting, CRLF) would,
with the parts that repeat — the file name, and ``code,unicode,reason`` — formatted once per
value, so a report of hundreds of thousands of rows costs little more than the numbers in it.
A worker process converting a piece of a large file formats that piece's rows with a
:meth:`ReportText.fresh` copy and hands back the text, its counts and its first rows; the main
process adds the pieces in file order (:meth:`ReportText.add_piece`), so the report is the
same, byte for byte, as when one process formats every row.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from gaiji.csvsafe import neutralise

REPORT_COLUMNS = ("file", "line", "column", "code", "unicode", "reason")


@dataclass(frozen=True)
class Occurrence:
    """One gaiji in the data that could not be converted."""

    file: str
    line: int
    column: int
    code: str  # 'F040' (CP932 data), 'U+E000' (UTF-8 data), 'byte A0' (not CP932)
    unicode: str  # the private-use code point it was read as, 'U+E000'
    reason: str


def csv_line(fields: Sequence[Any]) -> str:
    """One CSV line as the report's csv.writer writes it (minimal quoting, CRLF)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()


class _CsvTails(dict):  # type: ignore[type-arg]
    """The end of a report line, from its last fields, formatted on first use."""

    def __missing__(self, key: tuple[Any, ...]) -> str:
        text = self[key] = csv_line(("", *key))
        return text


CountKey = str | tuple[str, ...]
"""A row's code (rows given as tuples), or a gaiji's (code, unicode, reason) (given as columns)."""
PieceReport = tuple[str, dict[CountKey, int], list[Occurrence]]
"""What a piece's report comes to: (its text, its counts, its first rows)."""


class ReportText:
    """Report rows as text handed to *write*, counted by code, the first *keep_first* kept.

    :meth:`rows` takes rows as tuples ``(file, line, column, code, unicode, reason)`` (bad
    bytes, rare bytes); :meth:`gaiji` takes unmapped gaiji as columns (most rows of a large
    report), without a tuple per row."""

    def __init__(self, write: Callable[[str], object], keep_first: int = 20) -> None:
        self.write = write
        self.keep_first = keep_first
        self.first: list[Occurrence] = []
        # rows by code (rows()) and gaiji by (code, unicode, reason) (gaiji(): hashing the tuple
        # costs less than taking its code out first), in one counter: in order of first appearance
        self.counts: Counter[CountKey] = Counter()
        self._heads: dict[str, str] = {}  # file name → its CSV cell and ","
        self._tails = _CsvTails()  # (code, unicode, reason) → "," + their CSV + CRLF

    def fresh(self, write: Callable[[str], object]) -> ReportText:
        """An empty report writing to *write* that formats as this one does (for a worker's piece)."""
        other = ReportText(write, self.keep_first)
        other._heads = dict(self._heads)
        other._tails.update(self._tails)
        return other

    def _head(self, name: str) -> str:
        head = self._heads.get(name)
        if head is None:
            head = self._heads[name] = csv_line((neutralise(str(name)), ""))[:-2]
        return head

    def rows(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        head, tails = self._head(rows[0][0]), self._tails
        self.write("".join([f"{head}{r[1]},{r[2]}{tails[r[3:]]}" for r in rows]))
        self.counts.update(map(itemgetter(3), rows))
        if len(self.first) < self.keep_first:
            self.first.extend(Occurrence(*r) for r in rows[: self.keep_first - len(self.first)])

    def gaiji(self, name: str, lines: list[int], columns: list[int], infos: list[tuple[str, ...]]) -> None:
        if not infos:
            return
        head, tails = self._head(name), self._tails
        self.write("".join([f"{head}{line},{column}{tails[info]}" for line, column, info in zip(lines, columns, infos)]))
        self.counts.update(infos)  # counted by code at the end (few distinct values)
        if len(self.first) < self.keep_first:
            self.first.extend(Occurrence(name, line, column, *info) for line, column, info in
                              zip(lines[: self.keep_first - len(self.first)], columns, infos))

    def take_counts(self) -> tuple[dict[CountKey, int], list[Occurrence]]:
        """The counts and first rows so far, which start afresh (a worker, after each piece)."""
        taken = dict(self.counts), self.first
        self.counts, self.first = Counter(), []
        return taken

    def add_piece(self, piece: PieceReport) -> None:
        """Add the report of a piece formatted elsewhere, as if its rows had been given here."""
        text, counts, first = piece
        if text:
            self.write(text)
        self.counts.update(counts)
        if len(self.first) < self.keep_first:
            self.first.extend(first[: self.keep_first - len(self.first)])

    def by_code(self) -> Counter[str]:
        """Rows by code, in order of first appearance in the report (ties in ``most_common``
        keep that order, whichever way the rows came)."""
        by_code: Counter[str] = Counter()
        for key, n in self.counts.items():
            by_code[key if isinstance(key, str) else key[0]] += n
        return by_code
