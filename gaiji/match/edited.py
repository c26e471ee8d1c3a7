"""Edited glyphs: a gaiji that is an MJ glyph mirrored or turned upside down.

A slip in a gaiji editor (a flip button, a rotated paste) leaves a glyph that no character
has: MJ holds no equivalent, and the nearest upright glyphs are look-alikes the verifier
doubts. Such a gaiji is recognisable the way a reviewer recognises it — turned back, it *is*
a glyph MJ has. For every gaiji the verifier is not sure of upright (best probability below
:data:`CHECK_BELOW`), the gaiji is mirrored, turned and flipped, searched and verified again; when a
flipped version is verified as an MJ glyph of another character with probability at least
:data:`FLIPPED_MIN`, the gaiji is flagged:

* ``no_match`` becomes at least ``p(flipped is that glyph) × (1 − p(upright rank 1))`` — the
  gaiji is that glyph flipped, and not its upright look-alike; 該当なし is suggested from
  :data:`gaiji.match.trust.NO_MATCH_SUGGEST` on, as for any gaiji;
* it is never auto-accepted, and the evidence says what it looks like ("looks like 辻
  (MJ…) mirrored").

The thresholds were chosen on the calibration fonts (never on the benchmark or the sample):
``benchmarks/edited_glyphs.py`` prints how many flipped glyphs are found and how many upright
gaiji are flagged by mistake, per threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: gaiji whose best upright verifier probability is at least this are not checked (they match)
CHECK_BELOW = 0.9
#: a flipped version verified at least this sure flags the gaiji as edited. Chosen on the
#: calibration fonts (benchmarks/edited_glyphs.py, 300 characters × 7 designs): the most edited
#: glyphs found (72 %) while flagging at most 0.5 % of ordinary gaiji (0.4 %) — a tenth of the
#: share `no_match` already suggests as 該当なし by mistake (~5 %); 0.8 found 66 % (0.2 %)
FLIPPED_MIN = 0.7
#: the slips a glyph editor's buttons make: flip horizontal, rotate 180°, flip vertical
FLIPS = ("mirrored", "turned upside down", "flipped upside down")


def flip(rasters: np.ndarray, how: str) -> np.ndarray:
    """``(Q, H, W)`` rasters mirrored left–right, turned by 180° or mirrored top–bottom."""
    r = np.asarray(rasters)
    if how == "mirrored":
        return np.ascontiguousarray(r[:, :, ::-1])
    if how == "turned upside down":
        return np.ascontiguousarray(r[:, ::-1, ::-1])
    if how == "flipped upside down":
        return np.ascontiguousarray(r[:, ::-1, :])
    raise ValueError(f"unknown flip {how!r}")


def recentre(rasters: np.ndarray) -> np.ndarray:
    """Place each raster's ink box where :func:`gaiji.render.canonical_raster` puts it.

    Canonical rasters centre an odd leftover with the extra pixel after the ink, so a flipped
    canonical raster sits one pixel off the canonical raster of the flipped image — and the
    search features are not shift-invariant (one pixel cost the verifier half its certainty)."""
    r = np.asarray(rasters)
    out = np.zeros_like(r)
    size_y, size_x = r.shape[1:]
    rows_any = r.any(axis=2)
    cols_any = r.any(axis=1)
    for i in range(len(r)):
        ys, xs = np.flatnonzero(rows_any[i]), np.flatnonzero(cols_any[i])
        if not len(ys):
            continue
        h, w = ys[-1] + 1 - ys[0], xs[-1] + 1 - xs[0]
        y0, x0 = (size_y - h) // 2, (size_x - w) // 2
        out[i, y0 : y0 + h, x0 : x0 + w] = r[i, ys[0] : ys[0] + h, xs[0] : xs[0] + w]
    return out


@dataclass(frozen=True)
class Flipped:
    """Per query: the best flipped match (``row`` −1 and ``probability`` 0 where not checked)."""

    probability: np.ndarray  # (Q,) verifier probability of the best flipped match
    row: np.ndarray  # (Q,) its reference row
    how: list[str]  # (Q,) "mirrored" / "turned upside down" / ""


def best_flipped(index: Any, rasters: np.ndarray, sides: np.ndarray, check: np.ndarray,
                 *, exclude_groups: np.ndarray | None = None) -> Flipped:
    """Search and verify the flipped versions of the ``check``-ed queries."""
    from gaiji.match.features import glyph_features
    from gaiji.match.ranking import SHORTLIST, search_shortlist
    from gaiji.match.verified import VERIFY, verify_pairs

    q = len(rasters)
    prob = np.zeros(q)
    row = np.full(q, -1, np.int64)
    how = [""] * q
    which = np.flatnonzero(np.asarray(check, bool))
    if len(which) == 0:
        return Flipped(prob, row, how)
    sub_sides = np.asarray(sides)[which]
    exclude = None if exclude_groups is None else np.asarray(exclude_groups)[which]
    for name in FLIPS:
        r = recentre(flip(np.asarray(rasters)[which], name))
        raw = glyph_features(r)
        short, small = search_shortlist(index, raw, sub_sides, SHORTLIST, exclude_groups=exclude)
        v = min(VERIFY, short.rows.shape[1])
        feats = verify_pairs(index, short, small, raw, r, sub_sides, v)
        p = index.verifier.probability(feats.reshape(len(which) * v, -1)).reshape(len(which), v)
        best = p.argmax(axis=1)
        pb = p[np.arange(len(which)), best]
        better = pb > prob[which]
        prob[which[better]] = pb[better]
        row[which[better]] = short.rows[np.arange(len(which)), best][better]
        for j in which[better]:
            how[j] = name
    return Flipped(prob, row, how)


def edited_no_match(upright_top: np.ndarray, upright_group: np.ndarray, flipped: Flipped,
                    groups: np.ndarray) -> np.ndarray:
    """Per query, the ``no_match`` an edited glyph implies (0 where none is found): the flipped
    match must be sure and of another character than the upright rank 1 (a symmetric
    character turned is itself)."""
    found = (flipped.probability >= FLIPPED_MIN) & (flipped.row >= 0)
    other = np.where(flipped.row >= 0, groups[np.maximum(flipped.row, 0)], -1) != np.asarray(upright_group)
    p = flipped.probability * (1 - np.asarray(upright_top, np.float64))
    return np.where(found & other, p, 0.0)
