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

#: gaiji whose best upright verifier probability is at least this are not checked (they match).
#: On the calibration fonts checking below 0.9 finds 81 % of edited glyphs, below 0.5 80 %; with
#: the screen the check costs little, so the higher bound is kept
CHECK_BELOW = 0.9
#: the flipped versions are searched for this many candidates, and the first FLIP_VERIFY verified
FLIP_SHORTLIST = 16
FLIP_VERIFY = 3
#: a flipped version verified at least this sure flags the gaiji as edited. Chosen on the
#: calibration fonts (benchmarks/edited_glyphs.py, 300 characters × 7 designs) as the value, of
#: 0.5–0.9, that finds the most edited glyphs (80 %) while flagging at most 0.5 % of ordinary
#: gaiji (0 of 1,505) — a tenth of the share `no_match` already suggests as 該当なし by mistake (~5 %)
FLIPPED_MIN = 0.5
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
    how: list[str]  # (Q,) one of FLIPS, or "" where not checked


#: the screen: leading discriminant directions searched for each flipped version, in an
#: inverted-file index (faiss IVF: SCREEN_LISTS k-means cells, SCREEN_PROBE of them visited) —
#: a screen needs the rough best similarity, not the exact best glyph
SCREEN_DIM = 32
SCREEN_LISTS = 256
SCREEN_PROBE = 8
SCREEN_FILE = "edited_screen.faiss"
#: how much more like some MJ glyph the flip must look than the upright gaiji. On the calibration
#: fonts 0.03 finds 80.5 % of edited glyphs (0: 80.7 %) and sends half as many ordinary gaiji
#: (2 % of an unseen-design set instead of 5 %) through the full check
SCREEN_MARGIN = 0.03


def build_screen(projected: np.ndarray, searchable: np.ndarray, path: Any) -> None:
    """Train and write the screen's IVF index (at match-index build: every process then
    reads the very same cells)."""
    from gaiji.faiss_loader import load_faiss
    from gaiji.match.search import truncated

    faiss = load_faiss()

    vecs = truncated(np.asarray(projected)[np.asarray(searchable)], SCREEN_DIM)
    lists = min(SCREEN_LISTS, max(1, len(vecs) // 40))
    quantizer = faiss.IndexFlatIP(SCREEN_DIM)
    ivf = faiss.IndexIVFFlat(quantizer, SCREEN_DIM, lists, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = 1234
    ivf.train(vecs)
    ivf.add(vecs)
    faiss.write_index(ivf, str(path))


def permuted_features(features: np.ndarray, how: str) -> np.ndarray:
    """The gradient-direction features (:func:`gaiji.match.features.glyph_features`) of the
    flipped raster, from the upright ones: the 8×8 cells flipped and the 8 stroke directions
    reflected (mirroring turns direction k·45° into (4−k)·45°, flipping top–bottom into −k·45°,
    turning by 180° into (k+4)·45°). Exact up to the one-pixel re-centring of odd-sized ink
    boxes (:func:`recentre`), so it serves as a cheap screen only."""
    from gaiji.match.features import CELLS, DIRECTIONS

    f = np.asarray(features, np.float32).reshape(-1, DIRECTIONS, CELLS, CELLS)
    k = np.arange(DIRECTIONS)
    if how == "mirrored":
        src, f = (4 - k) % DIRECTIONS, f[:, :, :, ::-1]
    elif how == "turned upside down":
        src, f = (k + 4) % DIRECTIONS, f[:, :, ::-1, ::-1]
    elif how == "flipped upside down":
        src, f = (-k) % DIRECTIONS, f[:, :, ::-1, :]
    else:
        raise ValueError(f"unknown flip {how!r}")
    # direction k of the flipped glyph is direction src[k] of the upright one (the maps are involutions)
    return np.ascontiguousarray(f[:, src].reshape(len(f), -1))


class _Screen:
    def __init__(self, ivf: Any) -> None:
        self.ivf = ivf
        ivf.nprobe = SCREEN_PROBE

    def best(self, features: np.ndarray, projection: Any) -> np.ndarray:
        """Best screen similarity per query (−1 where the visited cells hold nothing)."""
        from gaiji.match.search import truncated

        scores, _ = self.ivf.search(truncated(projection.project(features), SCREEN_DIM), 1)
        return np.where(np.isfinite(scores[:, 0]), scores[:, 0], -1.0)


def _screen(index: Any) -> _Screen:
    """The index's screen, read once (built here for an index folder that lacks it)."""
    if index._edited_screen is None:
        import tempfile
        from pathlib import Path

        from gaiji.faiss_loader import load_faiss

        faiss = load_faiss()

        path = index.path / SCREEN_FILE
        with tempfile.TemporaryDirectory() as tmp:
            if not path.is_file():
                path = Path(tmp) / SCREEN_FILE
                build_screen(index.projected, index.searchable, path)
            index._edited_screen = _Screen(faiss.read_index(str(path)))
    return index._edited_screen


def best_flipped(index: Any, rasters: np.ndarray, sides: np.ndarray, check: np.ndarray,
                 *, exclude_groups: np.ndarray | None = None, features: np.ndarray | None = None) -> Flipped:
    """Search and verify the flipped versions of the ``check``-ed queries.

    A screen first: the flipped features (:func:`permuted_features`, from ``features`` — the
    upright ones — or computed) are searched over the :data:`SCREEN_DIM` leading discriminant
    directions; only the flip most like some MJ glyph, and only when it is more like one than
    the upright gaiji is, is rendered, searched and verified in full."""
    from gaiji.match.features import glyph_features
    from gaiji.match.ranking import search_shortlist
    from gaiji.match.verified import verify_pairs

    q = len(rasters)
    prob = np.zeros(q)
    row = np.full(q, -1, np.int64)
    how = [""] * q
    which = np.flatnonzero(np.asarray(check, bool))
    if len(which) == 0:
        return Flipped(prob, row, how)
    upright = glyph_features(np.asarray(rasters)[which]) if features is None else np.asarray(features)[which]
    screen = _screen(index)
    own = screen.best(upright, index.projection)
    flipped = np.stack([screen.best(permuted_features(upright, name), index.projection) for name in FLIPS], axis=1)
    first = flipped.argmax(axis=1)  # the one flip that looks most like some MJ glyph
    passed = flipped[np.arange(len(which)), first] > own + SCREEN_MARGIN
    for f, name in enumerate(FLIPS):
        go = which[passed & (first == f)]
        if len(go) == 0:
            continue
        sub_sides = np.asarray(sides)[go]
        exclude = None if exclude_groups is None else np.asarray(exclude_groups)[go]
        r = recentre(flip(np.asarray(rasters)[go], name))
        raw = glyph_features(r)
        short, small = search_shortlist(index, raw, sub_sides, FLIP_SHORTLIST, exclude_groups=exclude)
        v = min(FLIP_VERIFY, short.rows.shape[1])
        feats = verify_pairs(index, short, small, raw, r, sub_sides, v)
        p = index.verifier.probability(feats.reshape(len(go) * v, -1)).reshape(len(go), v)
        best = p.argmax(axis=1)  # each query is checked under one flip only
        prob[go] = p[np.arange(len(go)), best]
        row[go] = short.rows[np.arange(len(go)), best]
        for j in go:
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
