"""Candidates the ledger's reading brings to the verifier.

The search ranks MJ glyphs by the picture alone, and the verifier reads its best
:data:`gaiji.match.verified.VERIFY`. Where the picture is weak — a 12 px bitmap, a shaky
hand-drawn glyph — the right character can rank below them, and then the ledger's reading
cannot help: readings only reorder what was verified. So, when a gaiji's ledger reading is not
the search's best candidate's, the glyphs of the best :data:`READING_EXTRAS` other characters
that carry it (by the picture's similarity, among every MJ glyph read so; one glyph per
character, none of a character already verified) are verified after them. Chosen on
calibration queries (12,000 of the seven calibration designs, simulated ledgers): the answer
among the ten candidates 0.9914 → 0.9972 (≤ 16 px: 0.9680 → 0.9876), rank 1 right 0.9656 →
0.9670; adding them only where no verified candidate has the reading gave 0.9962, five
characters instead of three the same, eight 0.9968.

A reading agrees as :func:`gaiji.match.fuse.reading_agreement` scores it 0.9 or 1: the same
reading, a reading of two kana or more that begins the ledger's (a name reading), or one the
ledger's begins.

Confidence and auto-accept stay as calibrated: they are decided on the picture's candidates
(:func:`gaiji.match.verified.rank_rasters_verified`), and a gaiji whose rank 1 is a reading
candidate is never auto-accepted. ``python benchmarks/reading_candidates.py --cache DIR``
measures what they add on calibration queries.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any

import numpy as np

from gaiji.match.ranking import projection_spaces

READING_EXTRAS = 3  # other characters with the ledger's reading verified per gaiji


class ReadingLookup:
    """MJ rows (with a glyph) by normalised reading, exact and by prefix."""

    def __init__(self, rows: list[Any], searchable: np.ndarray) -> None:
        by_reading: dict[str, list[int]] = defaultdict(list)
        for i in np.asarray(searchable).tolist():
            for reading in rows[i].readings:
                by_reading[reading].append(i)
        self._sorted = sorted(by_reading)
        self._id = {reading: n for n, reading in enumerate(self._sorted)}
        self._rows = [np.asarray(by_reading[reading], np.int64) for reading in self._sorted]
        #: per reference row, the ids of its readings (empty for rows without a glyph)
        self.row_readings: list[frozenset[int]] = [frozenset()] * len(rows)
        for i in np.asarray(searchable).tolist():
            self.row_readings[i] = frozenset(self._id[r] for r in rows[i].readings)

    def agreeing(self, readings: tuple[str, ...] | list[str]) -> set[int]:
        """Ids of the MJ readings that agree with any of ``readings``: equal, of two kana or more
        and beginning it, or (for a ledger reading of two kana or more) begun by it."""
        found: set[int] = set()
        for mine in readings:
            for length in range(2, len(mine) + 1):  # equal, or an MJ reading that begins it
                n = self._id.get(mine[:length])
                if n is not None:
                    found.add(n)
            if len(mine) == 1 and mine in self._id:
                found.add(self._id[mine])
            if len(mine) >= 2:  # MJ readings it begins
                lo = bisect.bisect_right(self._sorted, mine)
                hi = bisect.bisect_left(self._sorted, mine + "\uffff")
                found.update(range(lo, hi))
        return found

    def rows_for(self, readings: tuple[str, ...] | list[str]) -> np.ndarray:
        """Rows whose MJ readings agree with any of ``readings`` (see :meth:`agreeing`; a row
        may appear more than once)."""
        return self.rows_of(self.agreeing(readings))

    def rows_of(self, ids: set[int]) -> np.ndarray:
        """Rows that have any of the readings ``ids`` (a row may appear more than once)."""
        if not ids:
            return np.zeros(0, np.int64)
        return np.concatenate([self._rows[n] for n in ids])


def reading_lookup(index: Any) -> ReadingLookup:
    """The index's :class:`ReadingLookup`, made on first use (~0.25 s for MJ)."""
    if index._reading_lookup is None:
        index._reading_lookup = ReadingLookup(index.rows, index.searchable)
    return index._reading_lookup


def reading_candidates(index: Any, hints: list[Any], queries: np.ndarray, small: np.ndarray,
                       taken: np.ndarray, exclude_groups: np.ndarray | None = None,
                       extras: int = READING_EXTRAS) -> np.ndarray:
    """``(Q, extras)`` reference rows, -1 where there are none: for each gaiji whose ledger
    reading the first of the rows ``taken`` ``(Q, V)`` (the search's best) lacks, the glyphs of
    the best ``extras`` characters that carry it, by projected similarity (the small-bitmap
    projection for ``small`` gaiji), one glyph per character, leaving out the characters of
    ``taken`` and the groups ``exclude_groups`` (``(Q,)`` or ``(Q, G)``, -1 fills).
    ``queries``: the gaiji's raw features ``(Q, 512)``."""
    q = len(hints)
    out = np.full((q, extras), -1, np.int64)
    if extras < 1:
        return out
    lookup = reading_lookup(index)
    need = []  # gaiji with a reading that MJ has and the search's best candidate lacks
    agreeing: dict[tuple[str, ...], set[int]] = {}  # ledgers repeat readings
    row_readings = lookup.row_readings
    for i, (h, best) in enumerate(zip(hints, taken[:, 0].tolist())):
        if h.readings:
            ids = agreeing.get(h.readings)
            if ids is None:
                ids = agreeing[h.readings] = lookup.agreeing(h.readings)
            if ids and not ids & row_readings[best]:
                need.append(i)
    if not need:
        return out
    excluded = None if exclude_groups is None else np.asarray(exclude_groups).reshape(q, -1)
    groups = index.groups
    need_arr = np.asarray(need)
    for mask, projection, refs in projection_spaces(index, np.asarray(small, bool)[need_arr]):
        if not mask.any():
            continue
        for i, vec in zip(need_arr[mask].tolist(), projection.project(queries[need_arr[mask]])):
            cand = lookup.rows_of(agreeing[hints[i].readings])
            cand_groups = groups[cand]
            drop = np.isin(cand_groups, groups[taken[i]])
            if excluded is not None:
                drop |= np.isin(cand_groups, excluded[i][excluded[i] >= 0])
            cand, cand_groups = cand[~drop], cand_groups[~drop]
            if len(cand) == 0:
                continue
            sim = np.asarray(refs[cand], np.float32) @ vec
            order = np.argsort(-sim, kind="stable")
            _, first = np.unique(cand_groups[order], return_index=True)  # each character's best glyph
            best = order[np.sort(first)][:extras]
            out[i, : len(best)] = cand[best]
    return out
