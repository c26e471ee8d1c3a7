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

from gaiji.render import canonical_raster, ink_bbox, ink_intensity, to_uint8

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
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 2:
        return ink
    areas = stats[1:, cv2.CC_STAT_AREA]
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
