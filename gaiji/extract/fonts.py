"""TrueType / OpenType fonts, Windows EUDC (``EUDC.TTE`` and per-font EUDC files).

The code points come from the font's Unicode cmap (read with fontTools); the glyphs are
rasterised with FreeType at ``px`` pixels per em into an em-square canvas (baseline placed
by the font's hhea ascent/descent), anti-aliased grey, ink black on white. Fonts that carry
embedded bitmap strikes (EBDT/EBLC) and no outlines are read at their own strike size, so the
designer's bitmaps come out unchanged; a strike matching ``px`` is used in any font.

Default ``px`` for outline fonts is 64, the grid of the Windows EUDC editor (外字エディタ).
Codes in U+E000–U+E757 are also reported as their Shift_JIS user-defined code (F040–F9FC).
"""

from __future__ import annotations

import ctypes
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from gaiji.codes import pua_to_sjis
from gaiji.errors import InputError
from gaiji.extract.glyph import Glyph, Problem, safe_id
from gaiji.progress import Progress, no_progress

log = logging.getLogger(__name__)

DEFAULT_PX = 64
PUA_RANGES: tuple[tuple[int, int], ...] = (
    (0xE000, 0xF8FF),
    (0xF0000, 0xFFFFD),
    (0x100000, 0x10FFFD),
)
ALL_RANGES: tuple[tuple[int, int], ...] = ((0x0, 0x10FFFF),)
_RANGE_RE = re.compile(
    r"^(?:U\+|0x)?([0-9A-Fa-f]{1,6})(?:\s*[-–]\s*(?:U\+|0x)?([0-9A-Fa-f]{1,6}))?$"
)


def parse_code_ranges(text: str | None) -> tuple[tuple[int, int], ...]:
    """``'E000-E757,F0000-FFFFD'`` → ranges. ``None``/``'pua'`` → all Private Use Areas;
    ``'all'`` → every code point.

    >>> parse_code_ranges('E000-E0FF, U+F040')
    ((57344, 57599), (61504, 61504))
    >>> parse_code_ranges('pua') == PUA_RANGES, parse_code_ranges('all') == ALL_RANGES
    (True, True)
    """
    if text is None or text.strip().lower() == "pua":
        return PUA_RANGES
    if text.strip().lower() == "all":
        return ALL_RANGES
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = _RANGE_RE.match(part)
        if not m:
            raise InputError(
                f"code range {part!r} is not understood; write e.g. E000-E757,F0000-FFFFD, 'pua' or 'all'"
            )
        lo = int(m.group(1), 16)
        hi = int(m.group(2), 16) if m.group(2) else lo
        if hi < lo or hi > 0x10FFFF:
            raise InputError(f"code range {part!r} is empty or beyond U+10FFFF")
        out.append((lo, hi))
    if not out:
        raise InputError("no code range given; write e.g. E000-E757")
    return tuple(out)


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def format_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"U+{lo:04X}–U+{hi:04X}" if lo != hi else f"U+{lo:04X}" for lo, hi in ranges)


def _read_cmap(path: Path) -> tuple[dict[int, int], bool, int, int, int]:
    """(code point → glyph index, has outlines, ascent, descent, unitsPerEm) via fontTools."""
    from fontTools.ttLib import TTFont

    try:
        # open the file here: TTFont leaks its handle when its constructor fails
        with open(path, "rb") as fh, TTFont(fh, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap()
            if cmap is None and "cmap" in font:
                cmap = {}
                for table in font["cmap"].tables:
                    if table.format != 14 and table.cmap:
                        for cp, name in table.cmap.items():
                            cmap.setdefault(cp, name)
            if not cmap:
                raise InputError(f"{path}: the font has no character map (cmap); it cannot be read")
            order = {name: i for i, name in enumerate(font.getGlyphOrder())}
            by_code = {cp: order[name] for cp, name in cmap.items() if name in order}
            outlines = any(t in font for t in ("glyf", "CFF ", "CFF2"))
            upem = int(font["head"].unitsPerEm) or 1000
            asc = desc = 0
            if "hhea" in font:
                asc, desc = int(font["hhea"].ascent), int(font["hhea"].descent)
            if asc - desc <= 0 and "OS/2" in font:
                asc, desc = int(font["OS/2"].sTypoAscender), int(font["OS/2"].sTypoDescender)
            if asc - desc <= 0:
                asc, desc = round(upem * 0.88), -round(upem * 0.12)
            return by_code, outlines, asc, desc, upem
    except InputError:
        raise
    except Exception as exc:  # any parser failure on a bad font becomes a clear error
        raise InputError(
            f"{path}: not a readable TrueType/OpenType font ({type(exc).__name__}: {exc}); "
            f"it may be truncated or corrupt — copy it again from the source system"
        ) from exc


def _open_face(path: Path, px: int | None, outlines: bool) -> tuple[object, int]:
    import freetype

    try:
        face = freetype.Face(str(path))
    except freetype.FT_Exception as exc:
        raise InputError(
            f"{path}: FreeType cannot open the font ({exc}); it may be corrupt"
        ) from exc
    sizes = [s.y_ppem // 64 or s.height for s in face.available_sizes]
    try:
        if not outlines:
            if not sizes:
                raise InputError(f"{path}: the font has neither outlines nor bitmap strikes")
            want = px if px is not None else max(sizes)
            index = min(range(len(sizes)), key=lambda i: (abs(sizes[i] - want), -sizes[i]))
            if px is not None and sizes[index] != px:
                log.warning("%s: no %d px strike; using the %d px strike", path, px, sizes[index])
            face.select_size(index)
            return face, sizes[index]
        size = px if px is not None else DEFAULT_PX
        face.set_pixel_sizes(0, size)
        return face, size
    except freetype.FT_Exception as exc:
        raise InputError(
            f"{path}: FreeType cannot size the font ({exc}); it may be corrupt"
        ) from exc


MAX_GLYPH_EMS = 4
"""A glyph (and its canvas) may reach this many ems in each direction; beyond it the font's
metrics are corrupt (a unitsPerEm of 16, a flipped byte in a coordinate) and rendering it
would take gigabytes and minutes, so the glyph is reported instead."""


class GlyphTooLarge(ValueError):
    """The glyph's metrics put it far outside the em square."""


def _check_extent(what: str, width: int, height: int, px: int) -> None:
    limit = MAX_GLYPH_EMS * px
    if width > limit or height > limit:
        raise GlyphTooLarge(
            f"{what} would be {width}×{height} px at {px} px per em (limit {limit}×{limit}); "
            f"the font's metrics are corrupt (unitsPerEm, coordinates) — re-export the font"
        )


def _render(face: object, gid: int, px: int, cell_h: int, baseline: int) -> Image.Image:
    import freetype

    face.load_glyph(gid, freetype.FT_LOAD_NO_HINTING)  # type: ignore[attr-defined]
    slot = face.glyph  # type: ignore[attr-defined]
    if slot.format == freetype.FT_GLYPH_FORMAT_OUTLINE:
        # measure before rasterising: FreeType would allocate whatever the outline spans
        box = slot.outline.get_bbox()
        _check_extent("the glyph", (box.xMax - box.xMin) >> 6, (box.yMax - box.yMin) >> 6, px)
        slot.render(freetype.FT_RENDER_MODE_NORMAL)
    bm = slot.bitmap
    rows, width, pitch = bm.rows, bm.width, bm.pitch
    canvas_h, canvas_w = cell_h, px
    if rows == 0 or width == 0:
        return Image.new("L", (canvas_w, canvas_h), 255)
    # read FreeType's buffer in one copy (freetype-py's .buffer builds a Python list)
    buf = np.frombuffer(ctypes.string_at(bm._FT_Bitmap.buffer, rows * abs(pitch)), dtype=np.uint8)
    if bm.pixel_mode == freetype.FT_PIXEL_MODE_MONO:
        bits = np.unpackbits(buf.reshape(rows, abs(pitch)), axis=1)[:, :width]
        ink = bits.astype(np.uint8) * 255
    else:
        ink = buf.reshape(rows, abs(pitch))[:, :width]
    if pitch < 0:
        ink = ink[::-1]
    top = baseline - slot.bitmap_top
    left = slot.bitmap_left
    # never clip ink: grow the canvas if the glyph reaches outside the em square
    pad_top, pad_left = max(0, -top), max(0, -left)
    canvas_h = max(canvas_h, top + rows) + pad_top
    canvas_w = max(canvas_w, left + width) + pad_left
    _check_extent("the glyph's canvas", canvas_w, canvas_h, px)
    out = np.zeros((canvas_h, canvas_w), np.uint8)
    y, x = top + pad_top, left + pad_left
    out[y : y + rows, x : x + width] = np.maximum(out[y : y + rows, x : x + width], ink)
    return Image.fromarray(255 - out, mode="L")


def source_stem(path: Path) -> str:
    """File name without its extensions (``EUDC.TTE`` → ``EUDC``, ``a.pcf.gz`` → ``a``)."""
    name = path.name
    for suffix in (".gz",):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return Path(name).stem or name


def read_font(
    path: str | Path,
    *,
    code_ranges: tuple[tuple[int, int], ...] = PUA_RANGES,
    px: int | None = None,
    progress: Progress = no_progress,
) -> Iterator[Glyph | Problem]:
    """Yield one :class:`Glyph` per code point of the font inside *code_ranges*.

    Ids are ``<file stem>-<code hex>`` (``EUDC-E000``). A glyph FreeType cannot render is
    yielded as a :class:`Problem`; an unreadable font raises :class:`InputError`.
    """
    p = Path(path)
    if px is not None and not (4 <= px <= 1024):
        raise InputError(f"--px {px} is out of range; use 4–1024 pixels per em")
    by_code, outlines, asc, desc, _upem = _read_cmap(p)
    codes = sorted(cp for cp in by_code if _in_ranges(cp, code_ranges))
    if not codes:
        raise InputError(
            f"{p}: the font has no characters in {format_ranges(code_ranges)} "
            f"({len(by_code)} characters elsewhere); choose a range with --codes (e.g. --codes all)"
        )
    face, size = _open_face(p, px, outlines)
    baseline, cell_h = round(size * asc / (asc - desc)), size
    if not outlines:
        # a bitmap strike brings its own line metrics (EBLC sbitLineMetrics)
        metrics = face.size  # type: ignore[attr-defined]
        strike_asc, strike_desc = metrics.ascender >> 6, metrics.descender >> 6
        if strike_asc - strike_desc > 0:
            baseline, cell_h = strike_asc, strike_asc - strike_desc
    stem = safe_id(source_stem(p))
    import freetype

    total = len(codes)
    for n, cp in enumerate(codes, 1):
        code = f"U+{cp:04X}"
        try:
            image = _render(face, by_code[cp], size, cell_h, baseline)
        except (freetype.FT_Exception, ValueError, MemoryError) as exc:
            yield Problem(str(p), f"{code}: the glyph cannot be rendered ({exc})")
            continue
        sjis = f"{pua_to_sjis(cp):04X}" if 0xE000 <= cp <= 0xE757 else ""
        yield Glyph(f"{stem}-{cp:04X}", p.name, code, image, sjis_code=sjis)
        if n % 256 == 0 or n == total:
            progress(n, total, f"{p.name}")
