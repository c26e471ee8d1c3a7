"""Image files, one glyph per file (PNG, BMP, GIF, TIFF, JPEG; 1-bit, grey or colour).

The id is the file name without its extension. The image is kept at its own resolution
and in its own mode where PNG can hold it (``1``, ``L``, ``LA``, ``RGB``, ``RGBA``, ``P``);
16-bit and float images become 8-bit grey. Image bombs and files of several pages or frames
(a multi-page TIFF, an animated GIF — their later glyphs would be lost) are refused by
:func:`gaiji.render.load_image`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from gaiji.errors import InputError
from gaiji.extract.glyph import Glyph, Problem, safe_id
from gaiji.progress import Progress, no_progress
from gaiji.render import load_image

PNG_MODES = {"1", "L", "LA", "RGB", "RGBA", "P"}


def to_png_mode(image: Image.Image) -> Image.Image:
    """Convert modes PNG cannot store; keep the others untouched."""
    if image.mode in PNG_MODES:
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(image, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        scaled = (a - lo) / (hi - lo or 1.0) * 255.0
        return Image.fromarray(np.round(scaled).astype(np.uint8), mode="L")
    if image.mode == "CMYK" or image.mode == "YCbCr" or image.mode == "LAB" or image.mode == "HSV":
        return image.convert("RGB")
    return image.convert("RGBA" if "A" in image.mode else "RGB")


def read_image(path: str | Path, *, max_pixels: int = 25_000_000) -> Glyph:
    """One image file → :class:`Glyph` with id and code = the file stem (a ledger that joins
    may give it its real code later, see :mod:`gaiji.extract.join`).

    Any failure of the image decoders (Pillow raises IndexError, TypeError … on some damaged
    files) becomes an :class:`InputError` naming the file."""
    p = Path(path)
    try:
        with warnings.catch_warnings():  # load_image refuses the bomb with a clear message of its own
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = load_image(p, max_pixels=max_pixels)
        if image.width == 0 or image.height == 0:
            raise InputError(f"{p}: the image is empty (0 pixels)")
        glyph_image = to_png_mode(image)
    except InputError:
        raise
    except MemoryError as exc:
        raise InputError(f"{p}: the image needs more memory than one glyph may use; crop or scale it down") from exc
    except Exception as exc:  # a decoder bug on damaged data must not stop the other files
        raise InputError(
            f"{p}: not a readable image ({type(exc).__name__}: {exc}); it is damaged — re-export it as PNG"
        ) from exc
    gid = safe_id(p.stem)
    return Glyph(gid, p.name, gid, glyph_image)


def read_images(
    paths: list[Path], *, max_pixels: int = 25_000_000, progress: Progress = no_progress
) -> Iterator[Glyph | Problem]:
    """Read several image files; an unreadable one becomes a :class:`Problem` naming it."""
    total = len(paths)
    for n, p in enumerate(paths, 1):
        try:
            yield read_image(p, max_pixels=max_pixels)
        except InputError as exc:
            yield Problem(str(p), str(exc).removeprefix(f"{p}: "))
        if n % 256 == 0 or n == total:
            progress(n, total, p.parent.name or str(p.parent))
