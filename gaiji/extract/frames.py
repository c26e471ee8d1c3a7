"""Cell borders around scanned gaiji: found and reported, never erased.

A 外字台帳 scanned and cut into cells keeps the cell's ruled lines along the picture's edges. The
matcher crops to the ink, so a border becomes part of the glyph — a box around it, a bar above
or below — and nothing in MJ is drawn so: every such gaiji comes back as a character inside
囗 or 匚, or 該当なし. A border is a straight line of ink across (nearly) the whole picture in its
outer band. So is the enclosure of 國, 回 or 門 cropped tight to the ink, and the long last
stroke of 三 or 亘: erased, those would leave 或, 口 or 二 — which the matcher then recognises
with full confidence (tried on six enclosures cropped tight: 圓 was auto-accepted as 員, and 國 came
first as 或, 固 as 古). So borders are reported, for
the user to crop the pictures inside them; whether a set's pictures are ledger cells is the
user's knowledge, not the picture's.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

BAND = 0.15  # a border lies within this share of the picture's side from its edge
COVER = 0.8  # … and its ink covers at least this share of the picture's width (or height)
INK = 0.5  # ink intensity counted as ink


def _lines(ink: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``ink`` (bool) in the outer bands that are part of a border: rows
    whose ink — with their neighbours', so a line skewed by a pixel or two still counts — spans
    :data:`COVER` of the width; with the neighbour rows of the line."""
    h = ink.shape[0]
    band = max(1, round(h * BAND))
    padded = np.pad(ink, ((1, 1), (0, 0)))
    near = padded[:-2] | padded[1:-1] | padded[2:]  # each row OR its neighbours
    covered = near.mean(axis=1) >= COVER
    edge = np.zeros(h, bool)
    edge[:band] = edge[h - band :] = True
    hit = np.flatnonzero(covered & edge)
    if hit.size == 0:
        return hit
    rows = np.unique(np.clip(np.concatenate([hit - 1, hit, hit + 1]), 0, h - 1))
    return rows[edge[rows]]


def _ink(image: Image.Image) -> np.ndarray:
    """Ink intensity (1 = ink), the paper being what most of the picture is: a cell cut on its
    ruled lines has ink all round its edge, where :func:`gaiji.render.ink_intensity` looks for
    the paper."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), np.float32) / 255.0
        paper = 1.0 - (1.0 - np.asarray(rgba.convert("L"), np.float32) / 255.0) * alpha  # on white
    else:
        paper = np.asarray(image.convert("L"), np.float32) / 255.0
    return paper if np.median(paper) < 0.5 else 1.0 - paper


def border_lines(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, columns)`` of ``image`` that a cell border runs along (both empty if none)."""
    ink = _ink(image) > INK
    if min(ink.shape) < 8:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return _lines(ink), _lines(ink.T)


def has_border(image: Image.Image) -> bool:
    """Whether a straight line of ink runs along an edge of ``image`` (a cell border — or the
    enclosure of a glyph such as 國 cropped tight)."""
    rows, cols = border_lines(image)
    return bool(rows.size or cols.size)
