"""Fuse the image score with what the ledger says: reading, radical, stroke count.

Each piece of evidence becomes a score in [0, 1] per candidate and adds to the image score
with a small weight, so it reorders candidates that look alike (the same character drawn in
two ways, or look-alike characters with different readings) without overruling a clear
picture. Readings are compared kana-normalised (:mod:`gaiji.readings`) with rapidfuzz.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from gaiji.readings import split_readings

READING_WEIGHT = 0.06
RADICAL_STROKES_WEIGHT = 0.03
MIN_READING_SIMILARITY = 0.7


def reading_agreement(ledger: Sequence[str], candidate: Sequence[str]) -> tuple[float, str]:
    """Best agreement in [0, 1] between ledger readings and a candidate's MJ readings, and
    the MJ reading that gave it (both lists already normalised).

    Exact equality scores 1; a ledger reading that begins with an MJ reading of two kana or
    more, or is the start of one (a name reading たか for the MJ reading たかい), scores 0.9;
    otherwise the rapidfuzz ratio, counted only from :data:`MIN_READING_SIMILARITY` up.

    >>> reading_agreement(['つじ'], ['しん', 'つじ'])
    (1.0, 'つじ')
    >>> reading_agreement(["たか"], ["こう", "たかい"])
    (0.9, 'たかい')
    >>> reading_agreement(['やま'], ['つじ'])
    (0.0, '')
    """
    best, matched = 0.0, ""
    for mine in ledger:
        for theirs in candidate:
            if mine == theirs:
                return 1.0, theirs
            if len(theirs) >= 2 and (mine.startswith(theirs) or theirs.startswith(mine) and len(mine) >= 2):
                score = 0.9
            else:
                score = fuzz.ratio(mine, theirs) / 100.0
            if score > best:
                best, matched = score, theirs
    if best < MIN_READING_SIMILARITY:
        return 0.0, ""
    return best, matched


def ledger_readings(cell: str | None) -> list[str]:
    """A ledger reading cell → normalised readings (see :func:`gaiji.readings.split_readings`)."""
    return split_readings(cell)


def radical_strokes_agreement(
    radical: int | None,
    strokes: int | None,
    cand_radicals: Sequence[Sequence[int]],
    cand_strokes: int | None,
) -> float:
    """Agreement in [0, 1] of a given radical number and/or total stroke count.

    Radical: 1 when it is one of the candidate's radicals. Strokes: 1 when equal, 0.5 when
    off by one (stroke counts of name kanji are often counted differently). The mean of the
    parts that were given.

    >>> radical_strokes_agreement(162, 6, [(162, 2)], 6)
    1.0
    >>> radical_strokes_agreement(None, 7, [(162, 2)], 6)
    0.5
    """
    parts: list[float] = []
    if radical is not None:
        parts.append(1.0 if any(r[0] == radical for r in cand_radicals) else 0.0)
    if strokes is not None:
        if cand_strokes is None:
            parts.append(0.0)
        else:
            diff = abs(int(cand_strokes) - int(strokes))
            parts.append(1.0 if diff == 0 else 0.5 if diff == 1 else 0.0)
    return sum(parts) / len(parts) if parts else 0.0
