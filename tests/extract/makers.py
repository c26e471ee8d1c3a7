"""Build test inputs in the test: TrueType fonts with fontTools FontBuilder, BDF as text,
PCF bytes (written here from the PCF layout, independent of the parser under test)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in font units


def _rect(pen: TTGlyphPen, r: Rect, clockwise: bool = True) -> None:
    x0, y0, x1, y1 = r
    pts = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
    if not clockwise:
        pts = pts[::-1]
    pen.moveTo(pts[0])
    for p in pts[1:]:
        pen.lineTo(p)
    pen.closePath()


def glyph_from_rects(outer: list[Rect], holes: list[Rect] = ()):  # type: ignore[assignment]
    pen = TTGlyphPen(None)
    for r in outer:
        _rect(pen, r, clockwise=True)
    for r in holes:
        _rect(pen, r, clockwise=False)
    return pen.glyph()


def build_font(
    path: Path,
    glyphs: dict[int, tuple[list[Rect], list[Rect]]],
    *,
    upem: int = 1000,
    ascent: int = 800,
    descent: int = -200,
    family: str = "TestEUDC",
) -> Path:
    """A TrueType font mapping each code point to a glyph made of rectangles (with holes)."""
    names = [".notdef"] + [f"g{cp:05X}" for cp in sorted(glyphs)]
    fb = FontBuilder(upem, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({cp: f"g{cp:05X}" for cp in glyphs})
    glyf = {".notdef": glyph_from_rects([])}
    for cp, (outer, holes) in glyphs.items():
        glyf[f"g{cp:05X}"] = glyph_from_rects(outer, holes)
    fb.setupGlyf(glyf)
    # lsb must equal the glyph's xMin, or FreeType shifts the outline
    lsb = {n: 0 for n in names}
    for cp, (outer, _holes) in glyphs.items():
        lsb[f"g{cp:05X}"] = min((r[0] for r in outer), default=0)
    fb.setupHorizontalMetrics({n: (upem, lsb[n]) for n in names})
    fb.setupHorizontalHeader(ascent=ascent, descent=descent)
    fb.setupNameTable({"familyName": family, "styleName": "Regular"})
    fb.setupOS2(
        sTypoAscender=ascent, sTypoDescender=descent, usWinAscent=ascent, usWinDescent=-descent
    )
    fb.setupPost()
    fb.save(str(path))
    return path


def expected_font_bitmap(
    outer: list[Rect],
    holes: list[Rect],
    *,
    px: int,
    upem: int = 1000,
    ascent: int = 800,
    descent: int = -200,
) -> np.ndarray:
    """Ink mask (True = ink) a pixel-aligned rectangle glyph must render to."""
    unit = upem // px
    baseline = round(px * ascent / (ascent - descent))
    ink = np.zeros((px, px), bool)
    for rects, value in ((outer, True), (holes, False)):
        for x0, y0, x1, y1 in rects:
            ink[baseline - y1 // unit : baseline - y0 // unit, x0 // unit : x1 // unit] = value
    return ink


# ------------------------------------------------------------------ BDF


def bdf_text(
    chars: list[tuple[str, int, np.ndarray, tuple[int, int]]],
    *,
    registry: str = "ISO10646",
    encoding: str = "1",
    ascent: int = 14,
    descent: int = 2,
    size: int = 16,
) -> str:
    """chars: (name, ENCODING, ink mask (h, w), (xoff, yoff))."""
    lines = [
        "STARTFONT 2.1",
        f"FONT -test-gaiji-medium-r-normal--{size}-160-75-75-c-160-{registry}-{encoding}",
        f"SIZE {size} 75 75",
        f"FONTBOUNDINGBOX {size} {size} 0 {-descent}",
        "STARTPROPERTIES 4",
        f'CHARSET_REGISTRY "{registry}"',
        f'CHARSET_ENCODING "{encoding}"',
        f"FONT_ASCENT {ascent}",
        f"FONT_DESCENT {descent}",
        "ENDPROPERTIES",
        f"CHARS {len(chars)}",
    ]
    for name, enc, ink, (xo, yo) in chars:
        h, w = ink.shape
        lines += [
            f"STARTCHAR {name}",
            f"ENCODING {enc}",
            "SWIDTH 1000 0",
            f"DWIDTH {size} 0",
            f"BBX {w} {h} {xo} {yo}",
            "BITMAP",
        ]
        packed = np.packbits(ink.astype(np.uint8), axis=1) if w else np.zeros((h, 0), np.uint8)
        lines += [row.tobytes().hex().upper() for row in packed]
        lines.append("ENDCHAR")
    lines.append("ENDFONT")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ PCF


def pcf_bytes(
    chars: list[tuple[str, int, np.ndarray, tuple[int, int]]],
    *,
    registry: str = "ISO10646",
    encoding: str = "1",
    ascent: int = 14,
    descent: int = 2,
    size: int = 16,
    msb_bytes: bool = True,
    msb_bits: bool = True,
    pad: int = 4,
    scan_unit: int = 1,
    compressed: bool = True,
) -> bytes:
    """A PCF font (properties, metrics, bitmaps, encodings) written from the layout in
    the X.Org PCF documentation, in any byte order, bit order, padding and scan unit."""
    e = ">" if msb_bytes else "<"
    pad_index = {1: 0, 2: 1, 4: 2, 8: 3}[pad]
    su_index = {1: 0, 2: 1, 4: 2}[scan_unit]
    fmt_base = (4 if msb_bytes else 0) | (8 if msb_bits else 0)

    # properties
    props = [
        ("CHARSET_REGISTRY", registry),
        ("CHARSET_ENCODING", encoding),
        ("FONT_ASCENT", ascent),
        ("FONT_DESCENT", descent),
        ("PIXEL_SIZE", size),
    ]
    strings = b""
    offs: dict[str, int] = {}

    def add(s: str) -> int:
        nonlocal strings
        if s not in offs:
            offs[s] = len(strings)
            strings += s.encode("latin-1") + b"\0"
        return offs[s]

    entries = b""
    for k, v in props:
        if isinstance(v, str):
            entries += struct.pack(e + "ibi", add(k), 1, add(v))
        else:
            entries += struct.pack(e + "ibi", add(k), 0, v)
    p = struct.pack("<i", fmt_base) + struct.pack(e + "i", len(props)) + entries
    if len(props) & 3:
        p += b"\0" * (4 - (len(props) & 3))
    p += struct.pack(e + "i", len(strings)) + strings

    # metrics
    if compressed:
        m = struct.pack("<i", fmt_base | 0x100) + struct.pack(e + "h", len(chars))
        for _n, _enc, ink, (xo, yo) in chars:
            h, w = ink.shape
            m += bytes(v + 0x80 for v in (xo, xo + w, size, yo + h, -yo))
    else:
        m = struct.pack("<i", fmt_base) + struct.pack(e + "i", len(chars))
        for _n, _enc, ink, (xo, yo) in chars:
            h, w = ink.shape
            m += struct.pack(e + "hhhhhH", xo, xo + w, size, yo + h, -yo, 0)

    # bitmaps (built MSB-first, then converted to the requested order)
    data = b""
    offsets = []
    for _n, _enc, ink, _o in chars:
        h, w = ink.shape
        stride = (((w + 7) // 8) + pad - 1) // pad * pad
        offsets.append(len(data))
        rows = np.zeros((h, stride), np.uint8)
        if w:
            packed = np.packbits(ink.astype(np.uint8), axis=1)
            rows[:, : packed.shape[1]] = packed
        data += rows.tobytes()
    arr = np.frombuffer(data, np.uint8)
    if not msb_bits:
        arr = np.packbits(np.unpackbits(arr).reshape(-1, 8)[:, ::-1], axis=1).ravel()
    if msb_bytes != msb_bits and scan_unit > 1:
        arr = arr.reshape(-1, scan_unit)[:, ::-1].ravel()
    data = arr.tobytes()
    sizes = [len(data)] * 4
    b = struct.pack("<i", fmt_base | pad_index | (su_index << 4)) + struct.pack(e + "i", len(chars))
    b += struct.pack(f"{e}{len(chars)}i", *offsets) + struct.pack(e + "4i", *sizes) + data

    # encodings
    codes = {enc: g for g, (_n, enc, _i, _o) in enumerate(chars) if enc >= 0}
    lo1, hi1 = min(c >> 8 for c in codes), max(c >> 8 for c in codes)
    lo2, hi2 = min(c & 0xFF for c in codes), max(c & 0xFF for c in codes)
    idx = []
    for b1 in range(lo1, hi1 + 1):
        for b2 in range(lo2, hi2 + 1):
            idx.append(codes.get((b1 << 8) | b2, 0xFFFF))
    en = struct.pack("<i", fmt_base) + struct.pack(e + "hhhhh", lo2, hi2, lo1, hi1, 0)
    en += struct.pack(f"{e}{len(idx)}H", *idx)

    tables = [(1 << 0, p), (1 << 2, m), (1 << 3, b), (1 << 5, en)]
    header_size = 8 + 16 * len(tables)
    out = b"\x01fcp" + struct.pack("<i", len(tables))
    body = b""
    offset = header_size
    toc = b""
    for typ, blob in tables:
        blob += b"\0" * (-len(blob) % 4)
        fmt = struct.unpack("<i", blob[:4])[0]
        toc += struct.pack("<iiii", typ, fmt, len(blob), offset)
        body += blob
        offset += len(blob)
    return out + toc + body


# ------------------------------------------------------------------ EBLC/EBDT bitmap strikes


def _line_metrics(direction: str, ascent: int, descent: int, width: int) -> str:
    return (
        f'<sbitLineMetrics direction="{direction}"><ascender value="{ascent}"/>'
        f'<descender value="{descent}"/><widthMax value="{width}"/><caretSlopeNumerator value="0"/>'
        '<caretSlopeDenominator value="0"/><caretOffset value="0"/><minOriginSB value="0"/>'
        f'<minAdvanceSB value="0"/><maxBeforeBL value="{ascent}"/><minAfterBL value="{descent}"/>'
        '<pad1 value="0"/><pad2 value="0"/></sbitLineMetrics>'
    )


def add_bitmap_strikes(
    font_path: Path,
    out_path: Path,
    strikes: dict[int, dict[str, np.ndarray]],
    *,
    descent: int = 1,
    drop_outlines: bool = True,
) -> Path:
    """Add EBLC/EBDT strikes (ppem → glyph name → ppem×ppem ink mask) to a font built by
    :func:`build_font`; optionally drop glyf/loca to make a bitmap-only font."""
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path))
    order = font.getGlyphOrder()
    ebdt, eblc = [], []
    for k, (ppem, bitmaps) in enumerate(sorted(strikes.items())):
        names = sorted(bitmaps, key=order.index)
        ascent = ppem - descent
        glyph_xml = "".join(
            f'<ebdt_bitmap_format_1 name="{n}"><SmallGlyphMetrics><height value="{ppem}"/>'
            f'<width value="{ppem}"/><BearingX value="0"/><BearingY value="{ascent}"/>'
            f'<Advance value="{ppem}"/></SmallGlyphMetrics><rawimagedata>'
            f"{np.packbits(bitmaps[n].astype(np.uint8), axis=1).tobytes().hex()}</rawimagedata>"
            "</ebdt_bitmap_format_1>"
            for n in names
        )
        ebdt.append(f'<strikedata index="{k}">{glyph_xml}</strikedata>')
        first, last = order.index(names[0]), order.index(names[-1])
        assert last - first + 1 == len(names), "strike glyphs must be consecutive"
        eblc.append(
            f'<strike index="{k}"><bitmapSizeTable>'
            f"{_line_metrics('hori', ascent, -descent, ppem)}{_line_metrics('vert', ascent, -descent, ppem)}"
            f'<colorRef value="0"/><startGlyphIndex value="{first}"/><endGlyphIndex value="{last}"/>'
            f'<ppemX value="{ppem}"/><ppemY value="{ppem}"/><bitDepth value="1"/><flags value="1"/>'
            f'</bitmapSizeTable><eblc_index_sub_table_1 imageFormat="1" firstGlyphIndex="{first}" '
            f'lastGlyphIndex="{last}">'
            + "".join(f'<glyphLoc name="{n}"/>' for n in names)
            + "</eblc_index_sub_table_1></strike>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><ttFont sfntVersion="\\x00\\x01\\x00\\x00" ttLibVersion="4.0">'
        f'<EBDT><header version="2.0"/>{"".join(ebdt)}</EBDT>'
        f'<EBLC><header version="2.0"/>{"".join(eblc)}</EBLC></ttFont>'
    )
    font.importXML(io.StringIO(xml))
    if drop_outlines:
        del font["glyf"]
        del font["loca"]
    font.save(str(out_path))
    return out_path


def build_otf(
    path: Path,
    glyphs: dict[int, list[Rect]],
    *,
    upem: int = 1000,
    ascent: int = 800,
    descent: int = -200,
) -> Path:
    """An OpenType (CFF outlines) font of rectangle glyphs."""
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    names = [".notdef"] + [f"g{cp:05X}" for cp in sorted(glyphs)]
    fb = FontBuilder(upem, isTTF=False)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({cp: f"g{cp:05X}" for cp in glyphs})
    charstrings = {}
    for name in names:
        pen = T2CharStringPen(upem, None)
        cp = int(name[1:], 16) if name != ".notdef" else None
        for x0, y0, x1, y1 in glyphs.get(cp, []) if cp is not None else []:
            pen.moveTo((x0, y0))
            pen.lineTo((x0, y1))
            pen.lineTo((x1, y1))
            pen.lineTo((x1, y0))
            pen.closePath()
        charstrings[name] = pen.getCharString()
    fb.setupCFF("TestOTF", {"FullName": "TestOTF"}, charstrings, {})
    lsb = {n: 0 for n in names}
    for cp, rects in glyphs.items():
        lsb[f"g{cp:05X}"] = min((r[0] for r in rects), default=0)
    fb.setupHorizontalMetrics({n: (upem, lsb[n]) for n in names})
    fb.setupHorizontalHeader(ascent=ascent, descent=descent)
    fb.setupNameTable({"familyName": "TestOTF", "styleName": "Regular"})
    fb.setupOS2(
        sTypoAscender=ascent, sTypoDescender=descent, usWinAscent=ascent, usWinDescent=-descent
    )
    fb.setupPost()
    fb.save(str(path))
    return path
