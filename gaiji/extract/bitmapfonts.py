"""X11 / legacy bitmap fonts: BDF (text, Adobe BDF 2.1) and PCF (binary, often ``.pcf.gz``).

The code is kept exactly as the font has it (``ENCODING``, interpreted through
``CHARSET_REGISTRY``-``CHARSET_ENCODING``): ``U+XXXX`` for ISO10646 fonts, otherwise
``0xXXXX`` (for a JIS X 0208 font, the JIS row/cell bytes, e.g. ``0x3021``) with the charset
recorded beside it.

Every glyph is drawn into the same cell: from the leftmost ink or the origin to the widest
advance, from ``FONT_ASCENT`` (or the tallest glyph) above the baseline to ``FONT_DESCENT``
(or the deepest glyph) below it. The cell depends only on glyph metrics and those two
properties, so a font gives the same bitmaps as BDF and as the PCF ``bdftopcf`` makes of it.
Images are 1-bit, ink black.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from gaiji.codes import pua_to_sjis
from gaiji.errors import InputError
from gaiji.extract.detect import read_maybe_gzipped
from gaiji.extract.fonts import source_stem
from gaiji.extract.glyph import Glyph, Problem, safe_id
from gaiji.progress import Progress, no_progress


@dataclass
class BitmapChar:
    name: str
    encoding: int  # -1 when the font leaves the glyph unencoded
    width: int  # advance (DWIDTH)
    bbx: tuple[int, int, int, int]  # w, h, xoff, yoff (BDF convention; yoff = -descent)
    ink: np.ndarray | None  # bool (h, w); None when the bitmap was unreadable
    problem: str = ""


@dataclass
class BitmapFont:
    properties: dict[str, str | int] = field(default_factory=dict)
    chars: list[BitmapChar] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Font-level damage (truncation, glyph count mismatch); the glyphs read are kept."""

    @property
    def charset(self) -> str:
        reg = str(self.properties.get("CHARSET_REGISTRY", "")).strip()
        enc = str(self.properties.get("CHARSET_ENCODING", "")).strip()
        return f"{reg}-{enc}" if reg and enc else reg

    @property
    def is_unicode(self) -> bool:
        return str(self.properties.get("CHARSET_REGISTRY", "")).upper().startswith("ISO10646")


# ---------------------------------------------------------------- BDF

MAX_EXTENT = 4096
"""Largest glyph size, advance or offset (px) taken as real; larger values are corrupt
metrics, and that glyph (not the font) is reported."""


def _int(text: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{where}: expected a whole number, found {text!r}") from None


def parse_bdf(data: bytes, name: str = "<bdf>") -> BitmapFont:
    """Parse BDF text.

    Raises :class:`InputError` only when no glyph can be read at all. A damaged glyph (bad
    ENCODING/BBX, wrong number of bitmap rows, no ENDCHAR) is kept with ``problem`` set, and
    a font cut short keeps the glyphs read before the cut (``problems`` says so) — nothing
    is dropped silently.
    """
    text = data.decode("latin-1")
    lines = text.splitlines()
    font = BitmapFont()
    first, n = 0, len(lines)
    while first < n and not lines[first].strip():
        first += 1
    if first >= n or not lines[first].lstrip("\ufeff\xef\xbb\xbf").startswith("STARTFONT"):
        raise InputError(f"{name}: not a BDF font (no STARTFONT line)")
    in_props = False
    declared: int | None = None
    ended = False
    cur: dict[str, object] | None = None
    bitmap_rows: list[str] | None = None

    def close(where: str, problem: str = "") -> None:
        nonlocal cur, bitmap_rows
        if cur is not None:
            if problem and not cur.get("problem"):
                cur["problem"] = problem
            font.chars.append(_bdf_char(cur, bitmap_rows or [], where))
        cur, bitmap_rows = None, None

    for i in range(first + 1, n):
        line = lines[i].strip()
        where = f"line {i + 1}"
        if not line:
            continue
        key, _, rest = line.partition(" ")
        rest = rest.strip()
        if bitmap_rows is not None:
            if key == "ENDCHAR":
                close(where)
                continue
            if key not in ("STARTCHAR", "ENDFONT"):
                bitmap_rows.append(line)
                continue
        if in_props:
            if key == "ENDPROPERTIES":
                in_props = False
            elif rest.startswith('"'):
                font.properties[key] = (
                    rest[1:-1].replace('""', '"') if rest.endswith('"') else rest[1:]
                )
            else:
                try:
                    font.properties[key] = int(rest)
                except ValueError:
                    font.properties[key] = rest
            continue
        if key == "STARTPROPERTIES":
            in_props = True
        elif key == "CHARS":
            try:
                declared = int(rest.split()[0])
            except (ValueError, IndexError):
                font.problems.append(f"{name} {where}: CHARS {rest!r} is not a number")
        elif key == "STARTCHAR":
            close(where, f"glyph has no ENDCHAR (next glyph starts at {where})")
            cur = {"name": rest, "encoding": -1, "dwidth": None, "bbx": None, "problem": ""}
        elif cur is not None and key in ("ENCODING", "DWIDTH", "BBX"):
            _bdf_field(cur, key, rest, where)
        elif cur is not None and key == "BITMAP":
            bitmap_rows = []
        elif cur is not None and key == "ENDCHAR":
            close(where, "glyph has no BITMAP")
        elif key == "ENDFONT":
            close(where, f"glyph has no ENDCHAR (ENDFONT at {where})")
            ended = True
            break
    if cur is not None:
        close("end of file", "the file ends inside this glyph (truncated)")
    if in_props and not font.chars:
        raise InputError(
            f"{name}: the BDF font is truncated inside its properties; no glyph can be read"
        )
    if not ended:
        font.problems.append(
            f"{name}: the BDF font is truncated (no ENDFONT); {len(font.chars)} glyphs read before the cut"
        )
    if declared is not None and declared != len(font.chars):
        font.problems.append(
            f"{name}: CHARS says {declared} glyphs but {len(font.chars)} were found"
        )
    return font


def _bdf_field(cur: dict[str, object], key: str, rest: str, where: str) -> None:
    """Store ENCODING / DWIDTH / BBX of the current glyph, or note why it is damaged."""
    parts = rest.split()
    try:
        if key == "ENCODING":
            cur["encoding"] = int(parts[0])
        elif key == "DWIDTH":
            dwidth = int(parts[0]) if parts else 0
            if abs(dwidth) > MAX_EXTENT:
                raise ValueError(f"an advance of {dwidth} px is not a plausible glyph (limit {MAX_EXTENT})")
            cur["dwidth"] = dwidth
        else:
            if len(parts) != 4:
                raise ValueError("BBX needs four numbers (width height xoff yoff)")
            w, h, xo, yo = (int(x) for x in parts)
            if not (0 <= w <= MAX_EXTENT and 0 <= h <= MAX_EXTENT):
                raise ValueError(f"BBX size {w}×{h} is not a plausible glyph (limit {MAX_EXTENT})")
            if abs(xo) > MAX_EXTENT or abs(yo) > MAX_EXTENT:
                raise ValueError(f"BBX offset {xo},{yo} is not a plausible glyph (limit ±{MAX_EXTENT})")
            cur["bbx"] = (w, h, xo, yo)
    except (ValueError, IndexError) as exc:
        cur["problem"] = cur.get("problem") or f"{where}: bad {key} line {rest!r} ({exc})"


def _bdf_char(cur: dict[str, object], rows: list[str], where: str) -> BitmapChar:
    name = str(cur.get("name", ""))
    enc = int(cur.get("encoding", -1))  # type: ignore[call-overload]
    label = f"glyph {name!r} (ENCODING {enc})"
    if cur.get("problem"):
        return BitmapChar(name, enc, 0, (0, 0, 0, 0), None, f"{label}: {cur['problem']}")
    bbx = cur.get("bbx")
    if bbx is None:
        return BitmapChar(name, enc, 0, (0, 0, 0, 0), None, f"{label} has no BBX line")
    w, h, xo, yo = bbx  # type: ignore[misc]
    dwidth = cur.get("dwidth")
    width = int(dwidth) if dwidth is not None else w + max(0, xo)  # type: ignore[call-overload]
    row_bytes = (w + 7) // 8
    problem = ""
    ink: np.ndarray | None = None
    if len(rows) != h:
        problem = f"{label} has {len(rows)} bitmap rows, BBX says {h}"
    else:
        try:
            raw = b"".join(bytes.fromhex(r)[:row_bytes].ljust(row_bytes, b"\0") for r in rows)
            bits = np.unpackbits(np.frombuffer(raw, np.uint8).reshape(h, row_bytes), axis=1)
            ink = bits[:, :w].astype(bool)
        except ValueError:
            problem = f"{label} has a bitmap row that is not hexadecimal"
    return BitmapChar(name, enc, width, (w, h, xo, yo), ink, problem)


# ---------------------------------------------------------------- PCF

_PCF_PROPERTIES, _PCF_METRICS, _PCF_BITMAPS = 1 << 0, 1 << 2, 1 << 3
_PCF_BDF_ENCODINGS, _PCF_GLYPH_NAMES = 1 << 5, 1 << 7
_PCF_COMPRESSED_METRICS = 0x100


class _Reader:
    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name = data, name

    def need(self, offset: int, size: int, what: str) -> None:
        if offset < 0 or size < 0 or offset + size > len(self.data):
            raise InputError(f"{self.name}: the PCF font is truncated (while reading {what})")

    def unpack(self, fmt: str, offset: int, what: str) -> tuple[int, ...]:
        self.need(offset, struct.calcsize(fmt), what)
        return struct.unpack_from(fmt, self.data, offset)


def parse_pcf(data: bytes, name: str = "<pcf>") -> BitmapFont:
    """Parse a PCF font (the X server's binary format), any byte/bit order and padding."""
    r = _Reader(data, name)
    if data[:4] != b"\x01fcp":
        raise InputError(f"{name}: not a PCF font (bad magic)")
    (count,) = r.unpack("<i", 4, "table count")
    if not 0 < count < 64:
        raise InputError(f"{name}: the PCF table of contents is corrupt ({count} tables)")
    tables: dict[int, tuple[int, int, int]] = {}
    for k in range(count):
        typ, fmt, size, off = r.unpack("<iiii", 8 + 16 * k, "table of contents")
        tables[typ] = (fmt, size, off)
    for need in (_PCF_METRICS, _PCF_BITMAPS, _PCF_BDF_ENCODINGS):
        if need not in tables:
            raise InputError(f"{name}: the PCF font lacks a required table (type {need})")

    def header(typ: int) -> tuple[int, str, int]:
        _fmt, size, off = tables[typ]
        r.need(off, max(size, 4), f"table {typ}")
        (fmt,) = struct.unpack_from("<i", data, off)
        return fmt, (">" if fmt & 4 else "<"), off + 4

    font = BitmapFont(properties=_pcf_properties(r, header) if _PCF_PROPERTIES in tables else {})

    fmt, e, pos = header(_PCF_METRICS)
    metrics: list[tuple[int, int, int, int, int]] = []
    if fmt & _PCF_COMPRESSED_METRICS:
        (m,) = r.unpack(e + "h", pos, "metrics")
        r.need(pos + 2, 5 * m, "metrics")
        raw = np.frombuffer(data, np.uint8, 5 * m, pos + 2).reshape(m, 5).astype(int) - 0x80
        metrics = [tuple(row) for row in raw.tolist()]  # type: ignore[misc]
    else:
        (m,) = r.unpack(e + "i", pos, "metrics")
        r.need(pos + 4, 12 * max(m, 0), "metrics")
        for k in range(max(m, 0)):
            metrics.append(struct.unpack_from(e + "hhhhh", data, pos + 4 + 12 * k))

    fmt, e, pos = header(_PCF_BITMAPS)
    (nglyphs,) = r.unpack(e + "i", pos, "bitmaps")
    if nglyphs != len(metrics):
        raise InputError(f"{name}: PCF bitmaps ({nglyphs}) and metrics ({len(metrics)}) disagree")
    r.need(pos + 4, 4 * nglyphs + 16, "bitmap offsets")
    offsets = struct.unpack_from(f"{e}{nglyphs}i", data, pos + 4)
    sizes = struct.unpack_from(e + "4i", data, pos + 4 + 4 * nglyphs)
    pad_index = fmt & 3
    bitmap_size = sizes[pad_index]
    start = pos + 4 + 4 * nglyphs + 16
    r.need(start, bitmap_size, "bitmap data")
    bitmap = np.frombuffer(data, np.uint8, bitmap_size, start)
    if not fmt & 8:  # LSB bit order → MSB
        bitmap = np.unpackbits(bitmap, bitorder="little").reshape(-1, 8)
        bitmap = np.packbits(bitmap, axis=1, bitorder="big").ravel()
    scan_unit = 1 << ((fmt >> 4) & 3)
    if bool(fmt & 4) != bool(fmt & 8) and scan_unit > 1 and bitmap.size % scan_unit == 0:
        bitmap = bitmap.reshape(-1, scan_unit)[:, ::-1].ravel()
    pad = 1 << pad_index

    fmt, e, pos = header(_PCF_BDF_ENCODINGS)
    min2, max2, min1, max1, _default = r.unpack(e + "hhhhh", pos, "encodings")
    if not (0 <= min2 <= max2 <= 255 and 0 <= min1 <= max1 <= 255):
        raise InputError(f"{name}: the PCF encoding table is corrupt")
    ncols = max2 - min2 + 1
    nidx = ncols * (max1 - min1 + 1)
    r.need(pos + 10, 2 * nidx, "encoding index")
    index = struct.unpack_from(f"{e}{nidx}H", data, pos + 10)
    encoding_of: dict[int, int] = {}
    for k, g in enumerate(index):
        if g != 0xFFFF and g not in encoding_of:
            b1, b2 = divmod(k, ncols)
            encoding_of[g] = ((b1 + min1) << 8) | (b2 + min2)

    names = _pcf_glyph_names(r, header, nglyphs) if _PCF_GLYPH_NAMES in tables else []
    for g, (lsb, rsb, adv, asc, desc) in enumerate(metrics):
        w, h = rsb - lsb, asc + desc
        name_g = names[g] if g < len(names) else f"glyph{g}"
        enc = encoding_of.get(g, -1)
        if (w < 0 or h < 0 or w > MAX_EXTENT or h > MAX_EXTENT
                or max(abs(lsb), abs(adv), abs(desc)) > MAX_EXTENT):
            font.chars.append(
                BitmapChar(name_g, enc, adv, (0, 0, 0, 0), None, f"glyph {g} has corrupt metrics")
            )
            continue
        stride = ((w + 7) // 8 + pad - 1) // pad * pad
        off = offsets[g]
        if off < 0 or off + stride * h > bitmap.size:
            font.chars.append(
                BitmapChar(
                    name_g,
                    enc,
                    adv,
                    (w, h, lsb, -desc),
                    None,
                    f"glyph {g} points outside the bitmap data",
                )
            )
            continue
        rows = (
            bitmap[off : off + stride * h].reshape(h, stride)
            if h
            else np.zeros((0, stride), np.uint8)
        )
        ink = np.unpackbits(rows, axis=1)[:, :w].astype(bool) if h else np.zeros((0, w), bool)
        font.chars.append(BitmapChar(name_g, enc, adv, (w, h, lsb, -desc), ink))
    return font


def _pcf_properties(r: _Reader, header) -> dict[str, str | int]:  # type: ignore[no-untyped-def]
    _fmt, e, pos = header(_PCF_PROPERTIES)
    (nprops,) = r.unpack(e + "i", pos, "properties")
    if not 0 <= nprops < 10000:
        raise InputError(f"{r.name}: the PCF property table is corrupt")
    entries = [r.unpack(e + "ibi", pos + 4 + 9 * k, "properties") for k in range(nprops)]
    spos = pos + 4 + 9 * nprops
    if nprops & 3:
        spos += 4 - (nprops & 3)
    (ssize,) = r.unpack(e + "i", spos, "property strings")
    r.need(spos + 4, ssize, "property strings")
    strings = r.data[spos + 4 : spos + 4 + ssize]

    def string_at(off: int) -> str:
        if not 0 <= off < len(strings):
            raise InputError(f"{r.name}: a PCF property points outside its string table")
        end = strings.find(b"\0", off)
        return strings[off : end if end >= 0 else len(strings)].decode("latin-1")

    props: dict[str, str | int] = {}
    for name_off, is_string, value in entries:
        props[string_at(name_off)] = string_at(value) if is_string else value
    return props


def _pcf_glyph_names(r: _Reader, header, nglyphs: int) -> list[str]:  # type: ignore[no-untyped-def]
    _fmt, e, pos = header(_PCF_GLYPH_NAMES)
    (count,) = r.unpack(e + "i", pos, "glyph names")
    if count != nglyphs:
        return []
    offs = r.unpack(f"{e}{count}i", pos + 4, "glyph names")
    (ssize,) = r.unpack(e + "i", pos + 4 + 4 * count, "glyph names")
    r.need(pos + 8 + 4 * count, ssize, "glyph names")
    blob = r.data[pos + 8 + 4 * count : pos + 8 + 4 * count + ssize]
    out = []
    for off in offs:
        end = blob.find(b"\0", off) if 0 <= off < len(blob) else -1
        out.append(blob[off:end].decode("latin-1") if end >= 0 else "")
    return out


# ---------------------------------------------------------------- glyph images


def _cell(font: BitmapFont) -> tuple[int, int, int, int]:
    """(left, right, ascent, descent) of the common cell, in pixels from the origin."""
    good = [c for c in font.chars if c.ink is not None]
    left = min([0] + [c.bbx[2] for c in good])
    right = max([1] + [max(c.width, c.bbx[2] + c.bbx[0]) for c in good])
    fa, fd = font.properties.get("FONT_ASCENT"), font.properties.get("FONT_DESCENT")

    def plausible(v: object) -> int:  # a corrupt FONT_ASCENT/DESCENT is ignored, glyphs decide
        return v if isinstance(v, int) and abs(v) <= MAX_EXTENT else 0

    asc = max([plausible(fa)] + [c.bbx[3] + c.bbx[1] for c in good])
    desc = max([plausible(fd)] + [-c.bbx[3] for c in good])
    return left, right, max(asc, 0), max(desc, 0)


def char_image(char: BitmapChar, cell: tuple[int, int, int, int]) -> Image.Image:
    """The glyph drawn into the font's cell: mode ``1``, ink black."""
    left, right, asc, desc = cell
    w, h, xo, yo = char.bbx
    canvas = np.zeros((asc + desc, right - left), bool)
    if char.ink is not None and w and h:
        y, x = asc - (yo + h), xo - left
        canvas[y : y + h, x : x + w] = char.ink
    return Image.fromarray(~canvas)


def format_code(encoding: int, unicode: bool) -> str:
    """``U+XXXX`` for ISO10646 fonts, else ``0xXXXX`` (at least four hex digits)."""
    return f"U+{encoding:04X}" if unicode else f"0x{encoding:04X}"


def read_bitmap_font(
    path: str | Path, kind: str, *, progress: Progress = no_progress
) -> Iterator[Glyph | Problem]:
    """Yield one :class:`Glyph` per encoded glyph of a BDF or PCF font (gzip allowed).

    Ids are ``<file stem>-<code hex>`` (``vendor16-7521``); unencoded glyphs (``ENCODING -1``)
    are ``<file stem>-<glyph name>``.
    """
    p = Path(path)
    try:
        data = read_maybe_gzipped(p)
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror})") from exc
    font = parse_bdf(data, str(p)) if kind == "bdf" else parse_pcf(data, str(p))
    if not any(c.ink is not None for c in font.chars):
        detail = "; ".join(font.problems + [c.problem for c in font.chars][:3])
        raise InputError(
            f"{p}: no glyph of the font can be read" + (f" ({detail})" if detail else "")
        )
    for problem in font.problems:
        yield Problem(str(p), problem.removeprefix(f"{p}: "))
    for prop in ("FONT_ASCENT", "FONT_DESCENT"):
        value = font.properties.get(prop)
        if isinstance(value, int) and abs(value) > MAX_EXTENT:
            yield Problem(str(p), f"{prop} {value} is not plausible (limit {MAX_EXTENT}); ignored — the "
                                  "glyphs' cell comes from their own metrics")
    cell = _cell(font)
    if (cell[1] - cell[0]) * (cell[2] + cell[3]) > 4096 * 4096:
        raise InputError(
            f"{p}: glyph metrics describe an implausibly large cell; the font is corrupt"
        )
    stem = safe_id(source_stem(p))
    charset = font.charset
    total = len(font.chars)
    for n, ch in enumerate(font.chars, 1):
        if ch.encoding >= 0:
            code = format_code(ch.encoding, font.is_unicode)
            gid = f"{stem}-{ch.encoding:04X}"
        else:
            code, gid = "", f"{stem}-{safe_id(ch.name)}"
        if ch.ink is None:
            yield Problem(str(p), ch.problem or f"glyph {ch.name!r} is unreadable")
            continue
        sjis = ""
        if font.is_unicode and 0xE000 <= ch.encoding <= 0xE757:
            sjis = f"{pua_to_sjis(ch.encoding):04X}"
        yield Glyph(gid, p.name, code, char_image(ch, cell), sjis_code=sjis, charset=charset)
        if n % 256 == 0 or n == total:
            progress(n, total, p.name)
