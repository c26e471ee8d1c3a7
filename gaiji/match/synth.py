"""Glyph renderings and synthetic degradations.

Used to learn the projection and the confidence calibration from fonts installed on the
machine (never a downloaded model), and by the benchmark to make labelled queries from
fonts the matcher never learned from.

Every random choice takes a ``numpy.random.Generator`` so results are reproducible.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaiji.render import canonical_raster, to_uint8


@dataclass(frozen=True)
class FontSpec:
    """One installed font face: a file, the face inside a collection, a short name, a style."""

    name: str
    path: Path
    style: str  # "mincho" | "gothic" | "hand"
    index: int = 0


@dataclass
class FontRenderer:
    """Renders characters (optionally with a variation selector) of one font face with FreeType."""

    spec: FontSpec
    _face: object = field(default=None, repr=False)
    _uvs: dict[tuple[int, int], int] | None = field(default=None, repr=False)

    @property
    def face(self):  # type: ignore[no-untyped-def]
        if self._face is None:
            import freetype

            self._face = freetype.Face(str(self.spec.path), self.spec.index)
        return self._face

    def glyph_index(self, char: str) -> int:
        """Glyph index for a character (base + optional selector); 0 when the font lacks it."""
        if not char:
            return 0
        base = ord(char[0])
        if len(char) > 1:
            return self.variation_map().get((base, ord(char[1])), 0)
        return int(self.face.get_char_index(base))

    def variation_map(self) -> dict[tuple[int, int], int]:
        """(base, selector) → glyph index, from the font's cmap format 14 (non-default UVS)."""
        if self._uvs is None:
            self._uvs = _variation_map(str(self.spec.path), self.spec.index)
        return self._uvs

    def has(self, char: str) -> bool:
        return self.glyph_index(char) != 0

    def render(self, char: str, px: int, *, antialias: bool = True) -> np.ndarray | None:
        """The glyph as a uint8 ink image (255 = ink) at ``px`` pixels per em, or ``None``."""
        import freetype

        gid = self.glyph_index(char)
        if gid == 0:
            return None
        face = self.face
        face.set_pixel_sizes(0, px)
        flags = freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING
        if not antialias:
            flags |= freetype.FT_LOAD_TARGET_MONO
        face.load_glyph(gid, flags)
        bmp = face.glyph.bitmap
        if bmp.width == 0 or bmp.rows == 0:
            return None
        # decode by the bitmap's own pixel mode: a font's embedded bitmaps (e.g. Konatu) come
        # as greyscale even when a 1-bit rendering was asked for, and the other way round
        if bmp.pixel_mode != freetype.FT_PIXEL_MODES["FT_PIXEL_MODE_MONO"]:
            buf = np.array(bmp.buffer, np.uint8).reshape(bmp.rows, bmp.pitch)[:, : bmp.width]
        else:
            packed = np.array(bmp.buffer, np.uint8).reshape(bmp.rows, bmp.pitch)
            buf = (np.unpackbits(packed, axis=1)[:, : bmp.width] * 255).astype(np.uint8)
        # place on an em-sized canvas so the bitmap keeps the font's own position and margins
        canvas = np.zeros((max(px, bmp.rows) + 4, max(px, bmp.width) + 4), np.uint8)
        canvas[2 : 2 + bmp.rows, 2 : 2 + bmp.width] = buf
        return canvas


@functools.lru_cache(maxsize=16)
def variation_sequences(path: str | Path, index: int = 0) -> dict[tuple[int, int], str | None]:
    """The font's variation sequences (cmap format 14): (base, selector) → glyph name, None where
    the sequence shows the base character's own glyph (a default UVS)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=index, lazy=True)
    out: dict[tuple[int, int], str | None] = {}
    for table in font["cmap"].tables:
        if table.format == 14:
            for selector, pairs in table.uvsDict.items():
                for base, glyph_name in pairs:
                    out[(base, selector)] = glyph_name
    return out


@functools.lru_cache(maxsize=16)
def _variation_map(path: str, index: int) -> dict[tuple[int, int], int]:
    from fontTools.ttLib import TTFont

    order = {name: i for i, name in enumerate(TTFont(path, fontNumber=index, lazy=True).getGlyphOrder())}
    return {seq: order[name] for seq, name in variation_sequences(path, index).items()
            if name is not None and name in order}


# --- degradations (all on uint8 ink images, 255 = ink) -------------------------------------


def blur(img: np.ndarray, rng: np.random.Generator, *, max_sigma: float = 1.5) -> np.ndarray:
    import cv2

    sigma = rng.uniform(0.5, max_sigma) * max(img.shape) / 64
    return cv2.GaussianBlur(img, (0, 0), sigma)


def noise(img: np.ndarray, rng: np.random.Generator, *, level: float = 0.15) -> np.ndarray:
    """Additive Gaussian paper noise plus a sprinkle of salt-and-pepper specks."""
    f = img.astype(np.float32) + rng.normal(0, 255 * level * rng.uniform(0.3, 1.0), img.shape)
    specks = rng.random(img.shape) < 0.004
    f[specks] = 255 - f[specks]
    return np.clip(f, 0, 255).astype(np.uint8)


def affine(
    img: np.ndarray, rng: np.random.Generator, *, max_degrees: float = 4.0, max_shift: float = 0.04
) -> np.ndarray:
    """Small rotation, shear, anisotropic scale and shift (a skewed scan)."""
    import cv2

    h, w = img.shape
    angle = rng.uniform(-max_degrees, max_degrees)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 0] *= rng.uniform(0.93, 1.07)
    m[0, 1] += rng.uniform(-0.05, 0.05)
    m[:, 2] += rng.uniform(-max_shift, max_shift, 2) * np.array([w, h])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


def thickness(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thicken or thin strokes by a morphological step of about 1–2 % of the glyph size.

    Thinning is skipped when it would erase more than half of the ink (fine hairlines).
    """
    import cv2

    k = max(1, round(max(img.shape) / 64 * rng.uniform(0.6, 1.6)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    if rng.random() < 0.5:
        return cv2.dilate(img, kernel)
    thinned = cv2.erode(img, kernel)
    return thinned if thinned.sum() > 0.5 * img.sum() else img


def elastic(img: np.ndarray, rng: np.random.Generator, *, alpha: float = 0.035, sigma: float = 0.12) -> np.ndarray:
    """Smooth random displacement field (P. Simard et al., ICDAR 2003): wobbly, hand-drawn look.

    ``alpha`` is the displacement amplitude and ``sigma`` the smoothness, both as fractions of
    the image size.
    """
    import cv2

    h, w = img.shape
    size = max(h, w)
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma * size)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma * size)
    scale = alpha * size / max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(img, xs + dx * scale, ys + dy * scale, cv2.INTER_LINEAR, borderValue=0)


def hand_drawn(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A glyph as redrawn by hand in a gaiji editor: skeleton strokes of an even pen width,
    wobbled by an elastic field, then binarised at a coarse grid (mouse or pen input)."""
    import cv2
    from skimage.morphology import skeletonize

    base = elastic(img, rng, alpha=rng.uniform(0.02, 0.045))
    skel = skeletonize(base > 100).astype(np.uint8) * 255
    grid = int(rng.choice([16, 20, 24, 32, 40]))
    cell = max(img.shape) / grid  # one editor pixel, in image pixels
    pen = max(1, round(cell / 2 * rng.uniform(0.5, 1.0)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pen + 1, 2 * pen + 1))
    drawn = cv2.dilate(skel, kernel)
    small = cv2.resize(drawn, (grid, grid), interpolation=cv2.INTER_AREA)
    return ((small > 120) * 255).astype(np.uint8)


def scan(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A printed glyph scanned from paper: skew/shift, maybe weight change, blur, noise."""
    out = affine(img, rng)
    if rng.random() < 0.5:
        out = thickness(out, rng)
    out = blur(out, rng)
    return noise(out, rng, level=rng.uniform(0.05, 0.2))


def degrade(img: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Apply one named degradation: clean, blur, noise, affine, thickness, elastic, hand, scan."""
    if kind == "clean":
        return img
    funcs = {
        "blur": blur,
        "noise": noise,
        "affine": affine,
        "thickness": thickness,
        "elastic": elastic,
        "hand": hand_drawn,
        "scan": scan,
    }
    if kind not in funcs:
        raise ValueError(f"unknown degradation {kind!r}; one of clean, {', '.join(funcs)}")
    return funcs[kind](img, rng)


def canonical_uint8(img: np.ndarray) -> np.ndarray:
    """Ink image → uint8 canonical 64×64 raster (the matcher's one normalisation)."""
    return to_uint8(canonical_raster(img))


QUERY_KINDS = ("outline", "bitmap", "small_bitmap", "scan", "hand", "elastic")


def render_query(
    renderer: FontRenderer, char: str, kind: str, rng: np.random.Generator
) -> np.ndarray | None:
    """One query-like rendering of ``char``: the kinds of image a gaiji set holds.

    ``outline`` an antialiased outline at 48–128 px (sometimes bolder or lighter);
    ``bitmap`` a 16–48 px editor bitmap (1-bit or greyscale); ``small_bitmap`` 12–15 px 1-bit;
    ``scan`` a printed-and-scanned glyph; ``hand`` redrawn by hand in an editor;
    ``elastic`` a wobbly outline.
    """
    if kind == "outline":
        img = renderer.render(char, int(rng.integers(48, 129)))
        if img is not None and rng.random() < 0.3:
            img = thickness(img, rng)
        return img
    if kind == "bitmap":
        return renderer.render(char, int(rng.integers(16, 49)), antialias=bool(rng.random() < 0.3))
    if kind == "small_bitmap":
        return renderer.render(char, int(rng.integers(12, 16)), antialias=False)
    if kind == "scan":
        img = renderer.render(char, int(rng.integers(64, 129)))
        return None if img is None else scan(img, rng)
    if kind == "hand":
        img = renderer.render(char, 96)
        return None if img is None else hand_drawn(img, rng)
    if kind == "elastic":
        img = renderer.render(char, 64)
        return None if img is None else elastic(img, rng)
    raise ValueError(f"unknown query kind {kind!r}; one of {', '.join(QUERY_KINDS)}")
