"""One canonical raster for both sides of a comparison.

Reference glyphs (IPAmj outlines rendered by FreeType) and gaiji (12 px bitmaps, editor
bitmaps, scans, other fonts) all pass through :func:`canonical_raster`, so that neither the
source's resolution nor its margins or polarity reach the matcher:

1. ink intensity in [0, 1] (dark-on-light or light-on-dark detected from the border),
2. background noise below an Otsu threshold removed,
3. cropped to the ink's bounding box,
4. scaled (aspect kept) so its longer side fills ``size - 2*margin``, centred.

This is the "linear normalisation" of Japanese character recognition (e.g. Liu et al.,
"Handwritten digit recognition: investigation of normalization and feature extraction
techniques", Pattern Recognition 37, 2004, and ETL-based OCR practice).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CANONICAL_SIZE = 64
CANONICAL_MARGIN = 4
RENDER_VERSION = "1"  # bump when canonical_raster changes; reference indexes record it


def has_transparency(image: Image.Image) -> bool:
    """Whether a picture has an alpha channel or a transparent palette entry."""
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def grey_on_white(image: Image.Image) -> np.ndarray:
    """A picture's grey levels in [0, 1] (float32) as drawn on white paper: transparent pixels
    are paper whatever their colour (a glyph drawn in its alpha channel alone keeps every colour
    channel black)."""
    if not has_transparency(image):
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    grey = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
    return 1.0 - (1.0 - grey) * alpha


GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")  # picture modes without colour
#: pen and seal marks in colour (a reviewer's red circle or tick, a vermilion seal) are taken out
#: of a picture that also has dark ink without colour: a pixel is a mark when its colour is strong
#: (max − min channel ≥ MARK_CHROMA of 255), it is not near black (its brightest channel ≥
#: MARK_MIN_BRIGHT: where a mark crosses a black stroke the stroke stays) and it is visibly darker
#: than the paper; the glyph's ink is neutral (max − min < NEUTRAL_CHROMA) and well darker than
#: the paper. A glyph drawn in colour alone keeps its ink: nothing neutral is drawn beside it.
MARK_CHROMA = 80
MARK_MIN_BRIGHT = 90
NEUTRAL_CHROMA = 48
MARKS_MIN_PIXELS = 8


def without_colour_marks(image: Image.Image, grey: np.ndarray) -> np.ndarray:
    """``grey`` (the picture's grey levels in [0, 1], as drawn on white) with marks in colour
    replaced by paper, where the picture also has neutral dark ink (see :data:`MARK_CHROMA`);
    otherwise ``grey`` itself. Pictures on dark paper are left as they are.

    >>> from PIL import ImageDraw
    >>> im = Image.new("RGB", (64, 64), "white"); d = ImageDraw.Draw(im)
    >>> d.rectangle((30, 8, 33, 56), fill="black"); d.ellipse((4, 4, 60, 60), outline=(210, 30, 40), width=3)
    >>> g = np.asarray(im.convert("L"), np.float32) / 255
    >>> clean = without_colour_marks(im, g)
    >>> float(g[32, 5]) < 0.5, float(clean[32, 5]), float(clean[32, 31])
    (True, 1.0, 0.0)
    >>> red = Image.new("RGB", (64, 64), "white"); ImageDraw.Draw(red).rectangle((30, 8, 33, 56), fill=(210, 30, 40))
    >>> bool((without_colour_marks(red, np.asarray(red.convert("L"), np.float32) / 255) < 0.5).any())
    True
    """
    if image.mode in GREY_MODES or grey.size < 16:
        return grey
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    level = np.round(grey * 255)
    paper = float(np.median(border_pixels(level)))
    if paper < 128:
        return grey
    top, bottom = rgb.max(axis=2), rgb.min(axis=2)
    chroma = top - bottom
    shown = np.ones(grey.shape, bool)
    if has_transparency(image):
        shown = np.asarray(image.convert("RGBA").getchannel("A")) >= 128
    marks = shown & (chroma >= MARK_CHROMA) & (top >= MARK_MIN_BRIGHT) & (level <= paper - 40)
    if int(marks.sum()) < MARKS_MIN_PIXELS:
        return grey
    neutral = shown & (chroma < NEUTRAL_CHROMA) & (level <= paper - 80)
    if int(neutral.sum()) < max(MARKS_MIN_PIXELS, 0.002 * grey.size):
        return grey  # the colour is the glyph's own ink
    # and the pale fringe of the marks' edges, where it is still tinted and not the glyph's ink
    # (the marks grown by a pixel inside the picture's outermost ring)
    import cv2

    grown = cv2.dilate(marks.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    grown[[0, -1], :] = grown[:, [0, -1]] = False
    marks |= grown & shown & (chroma >= 16) & ~neutral
    out = np.array(grey, dtype=np.float32, copy=True)
    out[marks] = paper / 255.0
    return out


def ink_intensity(image: Image.Image | np.ndarray) -> np.ndarray:
    """Any image → float32 array, 1.0 = ink, 0.0 = paper (see :func:`ink_and_marks`).

    >>> a = np.full((8, 8), 255, np.uint8); a[2:6, 3] = 0
    >>> float(ink_intensity(a)[3, 3]), float(ink_intensity(a)[0, 0])
    (1.0, 0.0)
    """
    return ink_and_marks(image)[0]


def ink_and_marks(image: Image.Image | np.ndarray) -> tuple[np.ndarray, bool]:
    """Any image → float32 array, 1.0 = ink, 0.0 = paper; and whether marks in colour were
    taken out of it (:func:`without_colour_marks`: the matcher never auto-accepts such a
    picture — the colour taken for a mark may have been the glyph).

    Accepts PIL images of any mode (1, L, P, RGB, RGBA, I;16…) or 2-D/3-D arrays.
    Polarity is decided from the border: whichever value dominates the outermost pixels
    is paper.

    >>> a = np.full((8, 8), 255, np.uint8); a[2:6, 3] = 0
    >>> ink, marked = ink_and_marks(a)
    >>> ink[3, 3], ink[0, 0], marked
    (np.float32(1.0), np.float32(0.0), False)
    >>> float(ink_intensity(255 - a)[3, 3])
    1.0
    """
    marked = False
    if isinstance(image, Image.Image):
        if has_transparency(image):
            arr = grey_on_white(image)
        elif image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            a = np.asarray(image, dtype=np.float32)
            rng = float(a.max() - a.min()) or 1.0
            arr = (a - a.min()) / rng
        else:
            arr = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
        grey = arr
        arr = without_colour_marks(image, grey)  # grey itself for pictures without colour
        marked = arr is not grey
    else:
        a = np.asarray(image)
        if a.ndim == 3:
            a = a[..., :3].mean(axis=2)
        if a.dtype == bool:
            return a.astype(np.float32), False
        a = a.astype(np.float32)
        arr = a / 255.0 if a.max() > 1.0 else a
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"expected a 2-D image, got shape {arr.shape}")
    return ink_of_grey(arr), marked


def ink_of_grey(arr: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] of a 2-D picture → ink: the right way round (:func:`paper_is_dark`),
    at full contrast (:func:`full_contrast`) and at the size it was drawn at
    (:func:`native_resolution`). Every way of reading a picture ends here."""
    if paper_is_dark(arr):
        arr = 1.0 - arr
    return native_resolution(full_contrast(np.clip(arr, 0.0, 1.0).astype(np.float32)))


def _run_factor(same: np.ndarray) -> tuple[int, int]:
    """``(factor, offset)`` of runs of equal rows: *same* [i] tells whether row i + 1 equals row
    i. The factor is the gcd of the inner runs' lengths (the first and last may hold margins)."""
    starts = np.concatenate([[0], np.flatnonzero(~same) + 1])
    lengths = np.diff(np.concatenate([starts, [same.size + 1]]))
    if lengths.size < 3:
        return 1, 0
    factor = int(np.gcd.reduce(lengths[1:-1]))
    return factor, int(lengths[0]) % factor


#: only pictures at least this large are looked at for a whole-pixel enlargement, and only
#: results at least ENLARGED_MIN_RESULT px are taken (a 12 px bitmap ×2 is the smallest case):
#: a bitmap at its own 12–16 px size is never reduced, even where its strokes and gaps happen
#: to be all two pixels wide
ENLARGED_MIN_SIDE = 24
ENLARGED_MIN_RESULT = 12


def native_resolution(ink: np.ndarray, *, min_side: int = ENLARGED_MIN_RESULT) -> np.ndarray:
    """A picture enlarged by a whole factor, pixel by pixel (a 16 px gaiji exported at 64 px,
    a bitmap editor's zoomed view), back at the resolution it was drawn at: every block of
    f × f pixels one value. Such a picture holds no more than its small original, and the
    matcher's strata and calibration go by the size the glyph was drawn at (a 16 px bitmap is
    held to the small strata's stricter bound). Anything else is returned unchanged (the same
    object); so is a result shorter than ``min_side``.

    >>> small = np.zeros((14, 14), np.float32); small[2:12, 5:7] = 1; small[3, 2:12] = 1
    >>> big = np.kron(small, np.ones((4, 4), np.float32))
    >>> np.array_equal(native_resolution(big), small), native_resolution(small) is small
    (True, True)
    """
    if ink.ndim != 2 or min(ink.shape) < max(ENLARGED_MIN_SIDE, 2 * min_side):
        return ink
    # enlarged by f ≥ 2, of any two neighbouring pairs of rows one pair is equal: most pictures end here
    m, n = ink.shape[0] // 2, ink.shape[1] // 2
    if not (np.array_equal(ink[m - 1], ink[m]) or np.array_equal(ink[m], ink[m + 1])):
        return ink
    if not (np.array_equal(ink[:, n - 1], ink[:, n]) or np.array_equal(ink[:, n], ink[:, n + 1])):
        return ink
    rows, row_offset = _run_factor((ink[1:] == ink[:-1]).all(axis=1))
    if rows < 2:
        return ink
    cols, col_offset = _run_factor((ink[:, 1:] == ink[:, :-1]).all(axis=0))
    factor = int(np.gcd(rows, cols))
    if factor < 2:
        return ink
    row_offset, col_offset = row_offset % factor, col_offset % factor
    h, w = ink.shape
    inner = ink[row_offset : row_offset + (h - row_offset) // factor * factor,
                col_offset : col_offset + (w - col_offset) // factor * factor]
    blocks = inner.reshape(inner.shape[0] // factor, factor, inner.shape[1] // factor, factor)
    if min(blocks.shape[0], blocks.shape[2]) < min_side or not (blocks == blocks[:, :1, :, :1]).all():
        return ink
    return np.ascontiguousarray(ink[row_offset::factor, col_offset::factor])


#: Pictures whose ink (at 0.1 % of their pixels at least) is this much darker than their paper,
#: paper at most ``PAPER_MAX`` ink, are taken as they are — as every rendering the matcher was
#: trained and calibrated on is (all 13,000 of the benchmark's pictures take this path: matched
#: again, their candidates were byte for byte the same).
FULL_CONTRAST = 0.6
PAPER_MAX = 0.2
#: Less apart than this is paper noise, not a faint glyph: left as it is (blank).
MIN_CONTRAST = 0.1


def full_contrast(ink: np.ndarray, paper: float | None = None) -> np.ndarray:
    """Ink (float32, 1 = ink, paper mostly 0) of a faint or low-contrast picture stretched so
    that its paper is 0 and its darkest ink 1 — a pencil drawing, a pale scan, black on grey
    paper — the way the matcher's training and calibration renderings are. A picture with
    full-strength ink on light paper is returned unchanged (the same object).

    Without this, a glyph drawn in light grey was "blank" (no pixel reached the ink threshold)
    and a pale scan was normalised unlike any rendering confidence was calibrated on. Paper is
    the border's median; the ink level is the 99.9th percentile (so a dust speck does not set
    it), on whichever side of the paper the picture's ink lies (black on dark-grey paper too).
    Where the paper's own shade varies across a picture of ≥ 40 px (light falling off in a
    photo), that shade is divided out first (:func:`_even_light`).

    >>> a = np.full((40, 40), 0.1, np.float32); a[5:35, 18:22] = 0.35
    >>> b = full_contrast(a)
    >>> float(b[0, 0]), float(b[20, 20])
    (0.0, 1.0)
    >>> c = np.zeros((40, 40), np.float32); c[5:35, 18:22] = 1.0
    >>> full_contrast(c) is c
    True

    ``paper``: the paper's level when the caller knows it better than the border does (a cell
    cut on its ruled lines has ink all round its edge).
    """
    if ink.ndim != 2 or ink.size == 0:
        return ink
    if paper is None:
        paper = border_median(border_pixels(ink))
        if paper > 0.5:  # a glyph that fills its cell: its border is mostly ink, the paper is inside
            paper = min(paper, float(np.percentile(ink, 25)))
    n = ink.size
    k = max(1, n // 1000)
    if paper <= PAPER_MAX and np.count_nonzero(ink >= paper + FULL_CONTRAST) >= k:
        return ink
    flat = ink.ravel()
    part = np.partition(flat, (k - 1, n - k))
    darkest, lightest = float(part[n - k]), float(part[k - 1])
    above, below = darkest - paper, paper - lightest
    if max(above, below) < MIN_CONTRAST:
        return ink
    if above >= below:
        flattened = _even_light(ink)
        if flattened is not None:  # the paper's own shade divided out where the light fell unevenly
            peak = float(np.partition(flattened.ravel(), n - k)[n - k])
            if peak < 2 * MIN_CONTRAST:  # nothing but the light (and paper grain) varies: blank paper
                return flattened
            return np.clip(flattened / peak, 0.0, 1.0).astype(np.float32)
        out = (ink - paper) / above
    else:  # the glyph lies on the paper's other side: black on paper darker than mid-grey
        out = (paper - ink) / below
    return np.clip(out, 0.0, 1.0).astype(np.float32)


#: the paper's shade varying by more than this over a picture is uneven light (a photo, a scan
#: lid left open), flattened before stretching; pictures smaller than EVEN_LIGHT_MIN_SIDE are not
UNEVEN_LIGHT = 0.2
EVEN_LIGHT_MIN_SIDE = 40


def _even_light(ink: np.ndarray) -> np.ndarray | None:
    """Ink with the paper's shade under it divided out, or None where the light is even.

    The paper's shade is the picture opened (a minimum, then a maximum, filter) with a window of
    a sixth of its shorter side — wider than any stroke, so the strokes go and the paper stays —
    then smoothed over the same window."""
    import cv2

    h, w = ink.shape
    if min(h, w) < EVEN_LIGHT_MIN_SIDE:
        return None
    size = max(3, (min(h, w) // 6) | 1)
    kernel = np.ones((size, size), np.uint8)
    shade = cv2.dilate(cv2.erode(ink, kernel, borderType=cv2.BORDER_REPLICATE), kernel, borderType=cv2.BORDER_REPLICATE)
    shade = cv2.blur(shade, (size, size), borderType=cv2.BORDER_REPLICATE)
    low, high = np.percentile(shade, (5, 95))
    if high - low <= UNEVEN_LIGHT:
        return None
    # light multiplies what the paper and the ink reflect: divide it out (ink = 1 − reflectance)
    reflected = (1.0 - ink) / np.maximum(1.0 - shade, 0.05)
    return np.clip(1.0 - reflected, 0.0, 1.0).astype(np.float32)


#: a picture is read as light ink on dark paper only when this share of its border is dark …
DARK_BORDER = 0.9


def border_pixels(arr: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of a 2-D array, as one 1-D array (corners twice)."""
    return np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])


def _one_side_all_round(arr: np.ndarray, *, below: bool) -> bool:
    """Whether at least :data:`DARK_BORDER` of the border and most of the picture lie on one
    side of 0.5 (below it when ``below``)."""
    border = border_pixels(arr)
    on_side = (border < 0.5) if below else (border > 0.5)
    whole = (arr < 0.5) if below else (arr > 0.5)
    return np.count_nonzero(on_side) >= DARK_BORDER * border.size and np.count_nonzero(whole) * 2 > arr.size


def paper_is_dark(arr: np.ndarray) -> bool:
    """Whether a 2-D picture (grey levels in [0, 1]) is dark ink on light paper — its values
    the wrong way round for ink, which is high. (The name is older than the rule.)

    Gaiji pictures are nearly always dark on light; a picture is read the other way round only
    when at least :data:`DARK_BORDER` of its border *and* most of the picture are dark. A
    glyph that fills its cell — a 12 px bitmap font draws 門 or 國 from edge to edge — has a
    border mostly of ink; the border's median alone read such glyphs inverted (13 of the
    benchmark's 13,000 pictures, 11 of them then wrong). :func:`looks_like_ink` is the same rule
    for values already the right way round."""
    return not _one_side_all_round(arr, below=True)


def looks_like_ink(arr: np.ndarray) -> bool:
    """Whether values in [0, 1] are already ink (high) on paper (low): ``paper_is_dark`` of the
    picture they would come from, so that ink made by :func:`ink_intensity` always looks like ink."""
    return not _one_side_all_round(arr, below=False)


def border_median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of a 1-D array, by a partial sort: the same value (the mean
    of the two middle values, in the array's type), in a quarter of the time — it is asked once
    per glyph image (15 µs of numpy's checks and dispatch each, ~1 % of matching)."""
    v = np.asarray(values)
    n = v.size
    if n == 0 or v.dtype.kind not in "fiu" or (v.dtype.kind == "f" and np.isnan(v).any()):
        return float(np.median(v))
    k = n // 2
    if n % 2:
        return float(np.partition(v, k)[k])
    part = np.partition(v, (k - 1, k))
    if v.dtype.kind != "f":
        return float(np.mean(part[k - 1 : k + 1]))
    return float((part[k - 1] + part[k]) / 2)


def otsu_threshold(values: np.ndarray) -> float:
    """Otsu's threshold (N. Otsu, IEEE Trans. SMC 9(1), 1979) of values in [0, 1].

    >>> otsu_threshold(np.array([0.0] * 50 + [1.0] * 50)) < 1.0
    True
    """
    # the histogram of np.histogram(values, bins=64, range=(0, 1)), by bincount (several
    # times faster): bin k holds [k/64, (k+1)/64), the last bin also 1.0; the edges are
    # powers of two apart, so v * 64 lands in the same bin exactly
    v = np.asarray(values).ravel()
    if v.size and not (v.min() >= 0.0 and v.max() <= 1.0):
        v = v[(v >= 0.0) & (v <= 1.0)]  # outside the range (or NaN): not counted
    bins = (v * 64).astype(np.intp)
    np.minimum(bins, 63, out=bins)
    hist = np.bincount(bins, minlength=64).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 0.5
    centers = (np.arange(64) + 0.5) / 64
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * centers)
    mt = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 / total - m0) ** 2 / (w0 * w1)
    between = np.nan_to_num(between)
    return float(centers[int(np.argmax(between))])


def ink_bbox(ink: np.ndarray, threshold: float = 0.35) -> tuple[int, int, int, int] | None:
    """Bounding box ``(top, left, bottom, right)`` (exclusive) of pixels above *threshold*,
    or ``None`` for a blank image."""
    mask = ink > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def is_blank(image: Image.Image | np.ndarray) -> bool:
    """True when the image holds no ink at all."""
    return ink_bbox(ink_intensity(image)) is None


def _is_ink(image: Image.Image | np.ndarray) -> bool:
    """True when ``image`` already is what :func:`ink_intensity` would return for it (a 2-D
    float32 array in [0, 1] that :func:`looks_like_ink`), so it need not be recomputed."""
    if not isinstance(image, np.ndarray) or image.dtype != np.float32 or image.ndim != 2 or image.size == 0:
        return False
    if not (image.min() >= 0.0 and image.max() <= 1.0):
        return False
    return looks_like_ink(image)


def canonical_raster(
    image: Image.Image | np.ndarray,
    *,
    size: int = CANONICAL_SIZE,
    margin: int = CANONICAL_MARGIN,
    denoise: bool = True,
) -> np.ndarray:
    """Normalise a glyph image to a ``size × size`` float32 raster, ink = 1.

    A blank image gives an all-zero raster.

    >>> a = np.full((12, 12), 255, np.uint8); a[2:10, 5:7] = 0
    >>> r = canonical_raster(a)
    >>> r.shape, r.dtype, float(r.max())
    ((64, 64), dtype('float32'), 1.0)
    >>> int(r[:, 30:34].sum() > r[:, :20].sum())
    1
    """
    import cv2  # local import: keeps `import gaiji` light

    if size <= 2 * margin:
        raise ValueError(f"size={size} must exceed 2*margin={2 * margin}")
    ink = image if _is_ink(image) else ink_intensity(image)
    if denoise and ink.size > 0:
        nonzero = ink[ink > 0.02]
        if nonzero.size and float(ink.max()) > 0:
            t = otsu_threshold(ink)
            # scans: lift paper noise to zero, stretch ink to full strength
            if 0.05 < t < 0.95:
                floor = t * 0.5
                ink = np.clip((ink - floor) / max(1e-6, 1.0 - floor), 0.0, 1.0)
                peak = float(np.percentile(ink[ink > 0], 95)) if (ink > 0).any() else 1.0
                if peak > 0:
                    ink = np.clip(ink / peak, 0.0, 1.0)
    box = ink_bbox(ink)
    out = np.zeros((size, size), np.float32)
    if box is None:
        return out
    top, left, bottom, right = box
    crop = ink[top:bottom, left:right]
    h, w = crop.shape
    inner = size - 2 * margin
    scale = inner / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(crop, (nw, nh), interpolation=interp)
    y0, x0 = (size - nh) // 2, (size - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = resized
    return np.clip(out, 0.0, 1.0)


def to_uint8(raster: np.ndarray) -> np.ndarray:
    """Canonical float raster → uint8 (for storage)."""
    return np.round(np.clip(raster, 0, 1) * 255).astype(np.uint8)


def _full_pages(im: Image.Image) -> int:
    """Pages (TIFF), frames (GIF, APNG) of an opened image; a TIFF page marked as a
    reduced-resolution copy of another (a scanner's thumbnail, NewSubfileType bit 0) not counted."""
    frames = int(getattr(im, "n_frames", 1) or 1)
    if frames <= 1:
        return 1
    if im.format != "TIFF":
        return frames
    full = 0
    for i in range(frames):
        im.seek(i)
        full += not (int(im.tag_v2.get(254, 0)) & 1)  # type: ignore[attr-defined]
    im.seek(0)
    return full


def load_image(path: str | Path, *, max_pixels: int = 25_000_000) -> Image.Image:
    """Open an image file safely: refuses decompression bombs and files of several pages or
    frames (one glyph per image) with a clear message."""
    from gaiji.errors import InputError

    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(path) as im:
            if im.width * im.height > max_pixels:
                raise InputError(
                    f"{path}: {im.width}×{im.height} pixels is too large for one glyph "
                    f"(limit {max_pixels:,}); crop or scale it down first"
                )
            pages = _full_pages(im)
            if pages > 1:  # reading the first alone would lose the others without a word
                raise InputError(
                    f"{path}: the file holds {pages} pages or frames, and a glyph image holds one; "
                    "save each glyph as a file of its own (e.g. one PNG per page)"
                )
            im.load()
            return im.copy()
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path}: image too large for one glyph ({exc}); crop or scale it") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: not a readable image ({exc}); re-export it as PNG") from exc
