"""Pictures for the review desk: the gaiji as extracted, candidate glyphs rendered from the
reference, and the overlay that makes one-dot differences visible.

The overlay puts both glyphs through :func:`gaiji.render.canonical_raster` (the same
normalisation the matcher uses) and colours each pixel by who has ink there:

* both → black, only the gaiji → :data:`GAIJI_ONLY` (vermilion), only the candidate →
  :data:`CANDIDATE_ONLY` (blue). The pair is distinguishable with the common colour-vision
  deficiencies (Okabe & Ito, "Color Universal Design", 2008).
"""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from gaiji.render import canonical_raster, load_image

GAIJI_ONLY = (213, 94, 0)
CANDIDATE_ONLY = (0, 114, 178)
BOTH = (0, 0, 0)
PAPER = (255, 255, 255)
OVERLAY_SIZE = 128
INK_THRESHOLD = 0.5
MJ_PATTERN = re.compile(r"^MJ\d{6}$")


def glyph_file(set_dir: Path, image: str) -> Path | None:
    """The file of a gaiji image, only if it lies inside ``SET/glyphs/`` (no traversal,
    no symlink out, no absolute paths); None otherwise.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "glyphs").mkdir(); _ = (d / "glyphs" / "a.png").write_bytes(b"x")
    >>> glyph_file(d, "glyphs/a.png").name, glyph_file(d, "../glyphs/a.png"), glyph_file(d, "/etc/passwd")
    ('a.png', None, None)
    """
    root = (set_dir / "glyphs").resolve()
    if not image or Path(image).is_absolute() or ".." in Path(image).parts:
        return None
    candidate = (set_dir / image).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def overlay_image(gaiji: Image.Image, candidate: Image.Image, *, size: int = OVERLAY_SIZE) -> Image.Image:
    """RGB overlay of two glyph pictures after canonical normalisation (see module doc).

    >>> a = np.full((16, 16), 255, np.uint8); a[2:14, 7:9] = 0
    >>> b = a.copy(); b[7:9, 2:14] = 0
    >>> o = np.asarray(overlay_image(Image.fromarray(a), Image.fromarray(b), size=32))
    >>> sorted({tuple(map(int, p)) for p in o.reshape(-1, 3)}) == sorted({BOTH, PAPER, CANDIDATE_ONLY})
    True
    """
    margin = max(2, size // 16)
    g = canonical_raster(gaiji, size=size, margin=margin) >= INK_THRESHOLD
    c = canonical_raster(candidate, size=size, margin=margin) >= INK_THRESHOLD
    out = np.empty((size, size, 3), np.uint8)
    out[...] = PAPER
    out[g & c] = BOTH
    out[g & ~c] = GAIJI_ONLY
    out[~g & c] = CANDIDATE_ONLY
    return Image.fromarray(out, "RGB")


def overlay_counts(gaiji: Image.Image, candidate: Image.Image, *, size: int = OVERLAY_SIZE) -> dict[str, int]:
    """Pixel counts behind the overlay: shared, only in the gaiji, only in the candidate."""
    arr = np.asarray(overlay_image(gaiji, candidate, size=size)).reshape(-1, 3)
    return {
        name: int((arr == np.array(colour)).all(axis=1).sum())
        for name, colour in (("both", BOTH), ("gaiji_only", GAIJI_ONLY), ("candidate_only", CANDIDATE_ONLY))
    }


class PictureCache:
    """A bounded, thread-safe LRU of rendered PNG bytes."""

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Any, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        data = make()
        with self._lock:
            self._items[key] = data
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return data


class Pictures:
    """Renders and caches the desk's pictures for one set and one reference."""

    def __init__(self, set_dir: Path, reference: Any) -> None:
        self.set_dir = set_dir
        self.reference = reference
        self.cache = PictureCache()
        # the reference shares one FreeType face per size; render one glyph at a time
        self._render_lock = threading.Lock()

    def candidate_picture(self, mj: str, px: int) -> Image.Image:
        with self._render_lock:
            return self.reference.glyph_image(mj, px).copy()

    def candidate_png(self, mj: str, px: int) -> bytes:
        """PNG of an MJ glyph (KeyError when the reference has no such glyph)."""
        if not MJ_PATTERN.match(mj):
            raise KeyError(mj)
        return self.cache.get(("mj", mj, px), lambda: png_bytes(self.candidate_picture(mj, px)))

    def gaiji_picture(self, image: str) -> Image.Image:
        path = glyph_file(self.set_dir, image)
        if path is None:
            raise KeyError(image)
        return load_image(path)

    def overlay_png(self, image: str, mj: str) -> bytes:
        if not MJ_PATTERN.match(mj):
            raise KeyError(mj)

        def make() -> bytes:
            return png_bytes(overlay_image(self.gaiji_picture(image), self.candidate_picture(mj, 256)))

        return self.cache.get(("overlay", image, mj), make)
