"""Cell borders around scanned gaiji: found and reported, never erased.

A 外字台帳 scanned and cut into cells keeps the cell's ruled lines along the picture's edges. The
matcher crops to the ink, so a border becomes part of the glyph — a box around it, a bar above
or below — and nothing in MJ is drawn so: every such gaiji comes back as a character inside
囗 or 匚, or 該当なし. A border is a straight line of ink across nearly the whole picture in its
outer band, parted from the glyph by paper. The enclosure of 國, 回 or 門 cropped tight to the
ink, or the long last stroke of 三, can look the same: erased, those would leave 或, 口 or 二 —
which the matcher then recognises with full confidence (tried on six enclosures cropped tight:
圓 was auto-accepted as 員, and 國 came first as 或, 固 as 古). So borders are reported, for the
user to crop the pictures inside them; whether a set's pictures are ledger cells is the user's
knowledge, not the picture's.

Measured (``benchmarks/framed_cells.py`` and the benchmark's pictures): Hanazono glyphs in boxed
cells, cells cut on their ruled lines, under a top-and-left rule or over a ruled line: 168 of 168
found; clean cells and six enclosures cropped tight: 0 of 48; the 13,000 pictures of ``gaiji bench
match``: 2 (圝, and a scan).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from gaiji.render import full_contrast, grey_on_white

BAND = 0.08  # a border lies within this share of the picture's side from its edge
COVER = 0.9  # … its ink covers at least this share of the picture's width (or height)
RUN = 0.75  # … this share in one unbroken stretch (a line, not specks or noise)
GAP = 0.06  # … and within this share of the side inside it, a row of paper parts it from the glyph
INK = 0.5  # ink intensity counted as ink
#: pictures with a shorter side are not looked at: an editor's 12–32 px bitmap is no scanned cell,
#: and its strokes run edge to edge (the size below which scan specks are left alone, too)
MIN_SIDE = 40


def _longest_run(row: np.ndarray) -> int:
    """The longest stretch of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], row, [False]]).astype(np.int8)))
    return int((edges[1::2] - edges[::2]).max()) if edges.size else 0


def _parted(ink: np.ndarray, rows: np.ndarray, inward: int) -> bool:
    """Whether, going ``inward`` (+1 down from a top line, -1 up from a bottom one) from the line
    ``rows``, a row with no ink between the outer bands of the width comes within :data:`GAP`
    of the side: a cell's border stands apart from the glyph; a glyph's own top stroke (宀, 冖)
    has strokes hanging from it."""
    h, w = ink.shape
    side = max(1, round(w * BAND))
    inner = ink[:, side : w - side].any(axis=1)
    start = (rows.max() + 1) if inward > 0 else (rows.min() - 1)
    look = max(2, round(h * GAP))
    for r in range(start, start + inward * look, inward):
        if 0 <= r < h and not inner[r]:
            return True
    return False


def _lines(ink: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``ink`` (bool) that are part of a border: in the outer bands, pairs
    of neighbouring rows whose ink together spans :data:`COVER` of the width, :data:`RUN` of it
    unbroken (so a line skewed by a pixel across the picture still counts), parted from the
    glyph by paper (:func:`_parted`); with the rows next to them (a line's grey edges)."""
    h, w = ink.shape
    band = max(1, round(h * BAND))
    both = ink[:-1] | ink[1:]  # rows r and r + 1 together
    edge = np.zeros(h, bool)
    edge[:band] = edge[h - band :] = True
    top = np.flatnonzero((both.mean(axis=1) >= COVER) & edge[:-1] & edge[1:])
    top = np.array([r for r in top if _longest_run(both[r]) >= RUN * w], np.intp)
    if top.size == 0:
        return top
    found = []
    for near_top, group in ((True, top[top < h // 2]), (False, top[top >= h // 2])):
        if group.size:
            lines = np.unique(np.concatenate([group, group + 1]))
            if _parted(ink, lines, 1 if near_top else -1):
                found.append(lines)
    if not found:
        return np.zeros(0, np.intp)
    hit = np.concatenate(found)
    rows = np.unique(np.clip(np.concatenate([hit - 1, hit, hit + 1]), 0, h - 1))
    return rows[edge[rows]]


def _ink(image: Image.Image) -> np.ndarray:
    """Ink intensity (1 = ink), the paper being what most of the picture is: a cell cut on its
    ruled lines has ink all round its edge, where :func:`gaiji.render.ink_intensity` looks for
    the paper."""
    paper = grey_on_white(image)
    ink = paper if np.median(paper) < 0.5 else 1.0 - paper
    # a pale scan's lines are as much a border as black ones (the matcher reads it at full contrast)
    return full_contrast(ink.astype(np.float32), paper=float(np.median(ink)))


def border_lines(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, columns)`` of ``image`` that a cell border runs along (both empty if none)."""
    if min(image.size) < MIN_SIDE:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    ink = _ink(image) > INK
    return _lines(ink), _lines(ink.T)


def has_border(image: Image.Image) -> bool:
    """Whether a straight line of ink runs along an edge of ``image`` (a cell border — or the
    enclosure of a glyph such as 國 cropped tight)."""
    rows, cols = border_lines(image)
    return bool(rows.size or cols.size)
