"""Gaiji image → canonical raster, with scan specks removed first.

:func:`gaiji.render.canonical_raster` crops to the ink's bounding box, so a single dust speck
near the border of a scan shrinks and shifts the whole glyph. Before normalising, isolated
specks — connected ink components far smaller than any stroke or dot — are erased. Only
images large enough to be scans or outline renderings (short side ≥ ``min_side``) are touched:
in a 12–24 px bitmap a one-pixel component may be the dot that tells 辻 from 辻󠄀.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from gaiji.render import (
    DARK_BORDER,
    canonical_raster,
    ink_bbox,
    ink_intensity,
    ink_of_grey,
    to_uint8,
)

MIN_SIDE = 40
SPECK_FRACTION = 0.0004  # components smaller than this share of the image area are specks


def remove_specks(ink: np.ndarray, *, min_side: int = MIN_SIDE, fraction: float = SPECK_FRACTION) -> np.ndarray:
    """Erase ink components smaller than ``fraction`` of the image (and ≤ 1 % of the ink).

    >>> a = np.zeros((64, 64), np.float32); a[10:50, 30:34] = 1; a[2, 2] = 1
    >>> b = remove_specks(a)
    >>> float(b[2, 2]), float(b[20, 31])
    (0.0, 1.0)
    """
    import cv2

    h, w = ink.shape
    if min(h, w) < min_side:
        return ink
    # Otsu's threshold via OpenCV on 8-bit ink (the same criterion as render.otsu_threshold)
    t, _ = cv2.threshold(np.round(ink * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = (ink > max(t / 255.0, 0.2)).astype(np.uint8)
    # 8-connected components (label 0 is the paper); gaiji's callers run OpenCV without its
    # thread pool (gaiji.blas_threads), which small images like these only wait for
    count, labels = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_32S)
    count -= 1
    if count <= 1:
        return ink
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    limit = min(max(2.0, fraction * h * w), 0.01 * float(areas.sum()))
    small = np.flatnonzero(areas <= limit) + 1
    if small.size == 0:
        return ink
    speck = np.isin(labels, small)
    # the grey halo around a speck goes too
    speck = cv2.dilate(speck.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & (mask == 0) | speck
    out = ink.copy()
    out[speck] = 0
    return out


#: an edge piece is at most this share of the ink's width (or height) beyond its gap
EDGE_PIECE_MAX = 0.4


def _runs(present: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of the runs of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, present.astype(np.int8), 0]))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def edge_pieces(ink: np.ndarray, *, min_side: int = MIN_SIDE) -> np.ndarray | None:
    """Where a piece of ink is cut off at the picture's edge — a neighbouring cell's glyph, when
    a scanned table is cut into cells off its grid — as a bool mask (the strip of columns or rows
    beyond the paper), or None when there is none.

    A piece is ink beyond a line of paper across the whole picture (a column or a row with at
    most 2 % ink: a scan's grain) that touches the picture's edge on that side, while the rest of
    the ink is the larger part (the piece is at most :data:`EDGE_PIECE_MAX` of the ink's width or
    height; the rest may touch the opposite edge: a grid off by a few pixels crops the glyph there).
    A glyph whose own part stands at the edge (忄 of a scan cropped tight, 竹) has one too: the
    matcher reads such a picture both ways and takes the reading without the piece only where
    the picture as drawn does not verify (:func:`gaiji.match.pieces.read_without_pieces`).
    Pictures under ``min_side`` are left alone (a 12–16 px bitmap is drawn edge to edge).

    >>> a = np.zeros((60, 60), np.float32); a[10:50, 10:40] = 1; a[20:40, 55:60] = 1
    >>> m = edge_pieces(a); int(m.sum()), bool(m[30, 57]), bool(m[30, 20])
    (300, True, False)
    >>> a[:, 55:] = 0; a[10:50, 50:53] = 1   # a part of the glyph apart from it, not at the edge
    >>> edge_pieces(a) is None
    True
    >>> edge_pieces(np.pad(a[:, 10:], ((0, 0), (0, 5)))) is None   # the glyph at the edge, no piece
    True
    """
    h, w = ink.shape
    if min(h, w) < min_side:
        return None
    edges = (ink[:, 0], ink[:, -1], ink[0], ink[-1])
    if not any(int(np.count_nonzero(e > 0.35)) > max(1, int(0.02 * e.size)) for e in edges):
        return None  # no ink runs into any edge (the common case: a glyph with paper round it)
    mask = ink > 0.35
    cut = np.zeros_like(mask)
    for axis in (1, 0):  # pieces beyond a column of paper (left / right), then beyond a row
        counts = mask.sum(axis=0) if axis == 1 else mask.sum(axis=1)
        lines = counts > max(1, int(0.02 * (h if axis == 1 else w)))  # a scan's grain is paper
        runs = _runs(lines)
        if len(runs) < 2:
            continue
        size = lines.size
        span = runs[-1][1] - runs[0][0]
        for piece, rest in ((runs[0], (runs[1][0], runs[-1][1])), (runs[-1], (runs[0][0], runs[-2][1]))):
            at_edge = piece[0] == 0 or piece[1] == size
            if not at_edge or piece[1] - piece[0] > EDGE_PIECE_MAX * span:
                continue
            if axis == 1:
                cut[:, piece[0] : piece[1]] = True
            else:
                cut[piece[0] : piece[1], :] = True
    return cut if cut.any() else None


def without_edge_pieces(ink: np.ndarray) -> np.ndarray | None:
    """``ink`` with its :func:`edge_pieces` erased, or None when it has none."""
    cut = edge_pieces(ink)
    if cut is None:
        return None
    out = ink.copy()
    out[cut] = 0
    return out


def query_raster(image: Image.Image | np.ndarray) -> np.ndarray:
    """A gaiji image (any mode, either polarity) → uint8 ``(64, 64)`` canonical raster."""
    return query_raster_and_side(image)[0]


def query_raster_and_side(image: Image.Image | np.ndarray) -> tuple[np.ndarray, int]:
    """The canonical raster and the longer side of the ink box in source pixels (0 if blank).

    The side tells the matcher how much resolution the source had: 12–16 px bitmaps are
    searched with the projection learned for small bitmaps.
    """
    ink = remove_specks(ink_intensity(image))
    box = ink_bbox(ink)
    side = 0 if box is None else max(box[2] - box[0], box[3] - box[1])
    return to_uint8(canonical_raster(ink)), side


# --- batches: the same normalisation, vectorised over many glyphs ---------------------------

FAST_DECODE_MAX_BYTES = 1 << 20  # small PNG/BMP files: decoded by OpenCV when 8-bit grey


def decode_ink(path: str) -> np.ndarray:
    """A glyph image file → float32 ink (1 = ink), exactly as :func:`gaiji.render.ink_intensity`
    of :func:`gaiji.render.load_image` gives it; 8-bit grey and 1-bit files take a fast path."""
    return decode_ink_and_marks(path)[0]


def decode_ink_and_marks(path: str) -> tuple[np.ndarray, bool]:
    """:func:`decode_ink`, and whether marks in colour were taken out (:func:`gaiji.render.ink_and_marks`)."""
    import os

    import cv2

    from gaiji.render import ink_and_marks, load_image

    if os.path.getsize(path) <= FAST_DECODE_MAX_BYTES:
        a = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if a is not None and a.ndim == 2 and a.dtype == np.uint8 and a.size > 0:
            return ink_of_grey(np.asarray(a, dtype=np.float32) / 255.0), False
    return ink_and_marks(load_image(path))


def _otsu_batch(ink: np.ndarray) -> np.ndarray:
    """Otsu thresholds of a batch ``(B, N)`` of values in [0, 1] (as :func:`otsu_threshold`)."""
    b = ink.shape[0]
    bins = (ink * 64).astype(np.intp)
    np.minimum(bins, 63, out=bins)
    hist = np.bincount((bins + 64 * np.arange(b)[:, None]).ravel(), minlength=64 * b).reshape(b, 64).astype(np.float64)
    total = hist.sum(axis=1, keepdims=True)
    centers = (np.arange(64) + 0.5) / 64
    w0 = np.cumsum(hist, axis=1)
    w1 = total - w0
    m0 = np.cumsum(hist * centers, axis=1)
    mt = m0[:, -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 / total - m0) ** 2 / (w0 * w1)
    between = np.nan_to_num(between)
    return np.where(total[:, 0] == 0, 0.5, centers[np.argmax(between, axis=1)])


def _percentile95_of_positive(ink: np.ndarray) -> np.ndarray:
    """Per row of ``(B, N)``, ``np.percentile(row[row > 0], 95)`` (linear), 1.0 when none."""
    s = np.sort(ink, axis=1)
    n = s.shape[1]
    k = (s > 0).sum(axis=1)
    idx = (np.maximum(k, 1) - 1) * 0.95
    lo = np.floor(idx).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(k, 1) - 1)
    base = n - np.maximum(k, 1)
    rows = np.arange(len(s))
    v_lo = s[rows, base + lo]
    v_hi = s[rows, base + hi]
    frac = idx - lo
    out = v_lo + (v_hi - v_lo) * frac
    # numpy's lerp: where frac >= 0.5 it computes from the upper end
    out = np.where(frac >= 0.5, v_hi - (v_hi - v_lo) * (1 - frac), out)
    return np.where(k > 0, out, 1.0)


def canonical_batch(inks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ink images (float32, 1 = ink) → ``(uint8 (N, 64, 64) canonical rasters, ink side (N,))``,
    equal to :func:`query_raster_and_side` after speck removal; same-shape images are
    normalised together."""
    import cv2

    from gaiji.render import CANONICAL_MARGIN, CANONICAL_SIZE

    n = len(inks)
    out = np.zeros((n, CANONICAL_SIZE, CANONICAL_SIZE), np.uint8)
    sides = np.zeros(n, np.int64)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, ink in enumerate(inks):
        by_shape.setdefault(ink.shape, []).append(i)
    inner = CANONICAL_SIZE - 2 * CANONICAL_MARGIN
    for (h, w), members in by_shape.items():
        batch = np.stack([inks[i] for i in members]).astype(np.float32)
        b = len(members)
        flat = batch.reshape(b, -1)
        # canonical_raster hands an array that does not look like ink to ink_intensity again
        border = np.concatenate([batch[:, 0, :], batch[:, -1, :], batch[:, :, 0], batch[:, :, -1]], axis=1)
        flip = ((border > 0.5).sum(axis=1) >= DARK_BORDER * border.shape[1]) & ((flat > 0.5).sum(axis=1) * 2 > flat.shape[1])
        if flip.any():
            flat[flip] = np.clip(1.0 - flat[flip], 0.0, 1.0)
        has = ((flat > 0.02).any(axis=1)) & (flat.max(axis=1) > 0)
        t = _otsu_batch(flat)
        stretch = has & (t > 0.05) & (t < 0.95)
        if stretch.any():
            floor = (t[stretch] * 0.5).astype(np.float64)
            part = flat[stretch].astype(np.float64)
            part = np.clip((part - floor[:, None]) / np.maximum(1e-6, 1.0 - floor)[:, None], 0.0, 1.0)
            peak = _percentile95_of_positive(part)
            ok = peak > 0
            part[ok] = np.clip(part[ok] / peak[ok, None], 0.0, 1.0)
            flat[stretch] = part.astype(np.float32)
        batch = flat.reshape(b, h, w)
        mask = batch > 0.35
        rows_any = mask.any(axis=2)
        cols_any = mask.any(axis=1)
        for j, i in enumerate(members):
            r = np.flatnonzero(rows_any[j])
            if r.size == 0:
                continue
            c = np.flatnonzero(cols_any[j])
            top, bottom, left, right = int(r[0]), int(r[-1]) + 1, int(c[0]), int(c[-1]) + 1
            crop = batch[j, top:bottom, left:right]
            ch, cw = crop.shape
            scale = inner / max(ch, cw)
            nh, nw = max(1, round(ch * scale)), max(1, round(cw * scale))
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            resized = cv2.resize(crop, (nw, nh), interpolation=interp)
            y0, x0 = (CANONICAL_SIZE - nh) // 2, (CANONICAL_SIZE - nw) // 2
            out[i, y0 : y0 + nh, x0 : x0 + nw] = np.round(np.clip(resized, 0, 1) * 255).astype(np.uint8)
    # the ink side is measured before normalising, as query_raster_and_side does
    for i, ink in enumerate(inks):
        m = ink > 0.35
        r = np.flatnonzero(m.any(axis=1))
        if r.size:
            c = np.flatnonzero(m.any(axis=0))
            sides[i] = max(int(r[-1]) + 1 - int(r[0]), int(c[-1]) + 1 - int(c[0]))
    return out, sides


def prepare_paths(paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Glyph image files → ``(canonical rasters (N, 64, 64) uint8, ink side (N,))`` in batches."""
    rasters, sides, *_ = prepare_paths_and_pieces(paths)
    return rasters, sides


def prepare_paths_and_pieces(
    paths: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`prepare_paths`, and for the images with a piece of ink cut off at an edge
    (:func:`edge_pieces`) a second reading without it: ``(rasters, sides, which (M,), their
    rasters (M, 64, 64), their sides (M,), marked (N,))`` — the matcher ranks both and takes the
    second only where the first is no glyph it can verify and the second is (and never
    auto-accepts it). ``marked``: marks in colour were taken out of the picture
    (:func:`gaiji.render.without_colour_marks`; never auto-accepted either).

    Every file is tried: when some cannot be read, :class:`gaiji.errors.UnreadableImages` names
    them all (and nothing is returned)."""
    from gaiji.errors import InputError, UnreadableImages

    inks: list[np.ndarray] = []
    which: list[int] = []
    without: list[np.ndarray] = []
    marked: list[bool] = []
    problems: list[tuple[str, str]] = []
    for path in paths:
        try:
            ink, was_marked = decode_ink_and_marks(path)
        except InputError as exc:
            problems.append((path, str(exc)))
            continue
        ink = remove_specks(ink)
        inks.append(ink)
        marked.append(was_marked)
        other = without_edge_pieces(ink)
        if other is not None:
            which.append(len(inks) - 1)
            without.append(other)
    if problems:
        raise UnreadableImages(problems)
    rasters, sides = canonical_batch(inks)
    other_rasters, other_sides = canonical_batch(without)
    return rasters, sides, np.asarray(which, np.int64), other_rasters, other_sides, np.asarray(marked, bool)
