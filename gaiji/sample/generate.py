"""Build the bundled sample municipality, deterministically.

    python -m gaiji.sample.generate [--moji-db PATH] [--hanazono DIR] [--out DIR]

Inputs (never IPAmj, so matching the sample against the IPAmj reference is a fair test):

* Hanazono Mincho A/B (Debian ``fonts-hanazono`` 20170904, GlyphWiki Project; Hanazono Font
  License or SIL OFL 1.1) — the glyph outlines, including its IVS variants (cmap format 14);
* the MJ文字情報一覧表 in mojidata's ``moji.db`` (IPA, CC BY-SA 2.1 JP) — which MJ glyph each
  sample character truly is, and the readings written into the ledger;
* BabelStone Han (Debian ``fonts-babelstone-han``; Arphic Public License) and the bundled
  added reference set's list (``refset/refset.csv``) — the gaiji whose character only that
  set has (CJK Ext C–F characters IPAmj lacks), drawn in BabelStone's design so they are never
  the set font's own glyphs.

Outputs (in ``gaiji/sample/``):

* ``municipality/EUDC.TTE`` — TrueType, glyphs on PUA U+E000… (Shift_JIS F040…), like a
  Windows EUDC font: plain name kanji, IVS variant glyphs, CJK Ext B characters, a few
  edited (mirrored / turned) glyphs with no MJ equivalent, two characters registered twice, and
  (last, on the codes after all the others) a few characters only the bundled added reference
  set ``HanaExt`` has;
* ``municipality/gaiji_ledger.csv`` — CP932 ledger: 外字コード (Shift_JIS), よみ (hiragana,
  katakana or half-width kana, several separated by ・ , / or spaces), 使用件数, 備考; a few
  glyphs have no row and two rows have no glyph, as in real ledgers;
* ``municipality/vendor16.bdf`` — 16 px bitmaps of 30 characters on a vendor code
  (JIS X 0208 row 85, ``0x7521``…, the area vendors used for gaiji);
* ``answers.csv`` — gaiji_id → true MJ文字図形名 (empty: no MJ equivalent) and that MJ glyph's
  identity (ucs, ivs, char: base + selector when the MJ table gives an IVS, as the reference
  reports it), kind, drawn_as (the sequence drawn), source_glyph, and (additive) ref_set /
  ref_id: ``MJ`` and the MJ number, or ``HanaExt`` and the set identifier for the gaiji only
  that set has (kind ``refset``; their mj is empty — MJ has no equivalent);
* ``record.json`` — what was built: counts ``gaiji extract`` must report, SHA-256 of
  inputs and outputs.

How the true answers are decided:

* a plain character *c* (no selector) → the MJ row whose 実装したUCS is *c*; used only when
  that is unambiguous: the row has no IVS and is the only MJ glyph of *c*, or Hanazono maps
  the row's IVS to the very glyph it shows for plain *c*;
* *c* + selector → the MJ row whose 実装したMoji_JohoコレクションIVS is that sequence; used
  only when Hanazono's cmap 14 has the sequence on a glyph of its own whose outline differs
  from the plain glyph;
* an edited glyph (mirrored or turned upside down, as a slip in a gaiji editor leaves it)
  → no MJ equivalent (empty answer);
* a character of the added set's list (IPAmj's cmap lacks it, so MJ has no glyph of it) →
  that set's identifier (``ref_set`` HanaExt, ``ref_id`` HXnnnn), no MJ equivalent.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaiji.fsutil import sha256_file

HERE = Path(__file__).resolve().parent
HANAZONO_DIR = Path("/usr/share/fonts/truetype/hanazono")
UPEM, ASCENT, DESCENT = 1024, 880, -144
FIXED_TIMESTAMP = 3_786_825_600  # 2024-01-01T00:00:00Z in seconds since 1904 (font 'head' epoch)
SEED = 20240101

# Characters typical of Japanese names (kept in this order; the generator skips any whose
# true MJ answer would be ambiguous, see the module docstring).
NAME_CHARS = (
    "辻髙﨑吉葛邉邊齋齊斎斉渡澤濱櫻廣德國惠劉蘆曾槇檜栁瀨淵嶋嶌凜桒塚晴琢祐禎穗巖巌嵜峯榮彌眞"
    "鄕晉曉黑龍瀧藏靜濵會條壽冨寳舘髮鷗鶴鷹龜圓實寬彥兒勳塙莊萬薗藤蘭蠣衞讃邨醍鈴鑓閒隆靑頴顯"
    "飯館驒魯鯵鰐鵜麿黛高崎藤桜広徳国恵沢浜辺島峰栄弥真郷晋暁黒竜滝蔵静会条寿富宝館髪鴎亀円実"
    "寛彦児勲荘万園衛讚郎朗祥禮禰祐福神都﨟﨔﨤﨩﨣琦瑤璋瓊甕畠畑硲碕磯礒礼社祢禄秦稔穣竹笹筑"
    "篠簗籾粂糀紘絢綾縣繁纐翔耀聡肇脩舛芦苅茨荻菅萩葉蒔蓮蔦蕗薫蘇虎蝶袈裡諏豊貞賀赳越迫逸遙"
    "遠邑郁酉釘銑錦鍋鎌鐵閑阪陶隈雫霞靖鞆韮頼颯馨駒髭鬼魁鮎鯉鯛鰯鱒鳩鴫鵠鶏麒麟麻黄鼎"
)
# Compatibility ideographs common in names (never NFKC-folded: they are their own MJ rows).
COMPAT_CHARS = "\ufa11\ufa19\ufa1b\ufa26\ufa10\ufa12\ufa15\ufa17\ufa1c\ufa1d"
# CJK Ext B characters known from names; more are drawn from the MJ table after these.
NAME_EXT_B = "\U00020bb7\U0002123d\U0002550e\U00028e09\U00029e3d\U0002000b\U00020b9f\U000233cc"

N_PLAIN, N_IVS, N_EXT_B, N_BDF, N_EDITED = 110, 45, 35, 30, 5
N_REFSET = 5  # gaiji whose character only the bundled added set (refset/) has
REFSET_SEED = 20261201
BABELSTONE = Path("/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf")
REFSET_NAME = "HanaExt"  # gaiji.sample.refset.generate.SET_NAME
# Edited glyphs (no MJ equivalent): the first N_EDITED whose source character is in the set.
EDITS = (
    ("辻", "mirror"),
    ("﨑", "mirror"),
    ("髙", "turn"),
    ("齋", "turn"),
    ("藤", "mirror"),
    ("鷗", "mirror"),
    ("邊", "turn"),
    ("渡", "mirror"),
    ("濱", "mirror"),
)
IVS_PER_CHAR = 3
NO_LEDGER_ROW = 3  # glyphs deliberately left out of the ledger
LEDGER_ONLY_CODES = ("F9FB", "F9FC")  # ledger rows for gaiji that were deleted from the font
DUPLICATE_OF = ("辻", "髙")  # registered a second time under another code
NOTES = ("戸籍", "住民票", "印鑑登録", "", "旧字体", "人名", "", "届出時の字形", "", "地名")


@dataclass
class Item:
    gaiji_id: str
    code: int  # PUA code point (font) or vendor code (BDF)
    kind: str  # plain | ivs | extb | compat | edited | duplicate | refset
    char: str  # the character with its selector ('' for edited glyphs has its base char)
    mj: str  # true MJ文字図形名, '' when none
    font: str  # 'A' or 'B'
    glyph: str  # Hanazono glyph name the outline came from
    readings: list[str] = field(default_factory=list)
    transform: str = ""
    ref_id: str = ""  # the added set's identifier (kind refset)


# ------------------------------------------------------------------ inputs


def default_moji_db() -> Path:
    """``$GAIJI_MOJI_DB``, else the copy `gaiji reference fetch` keeps in the cache (never
    downloads), else where `npm pack @mandel59/mojidata` unpacks in /tmp."""
    env = os.environ.get("GAIJI_MOJI_DB")
    if env:
        return Path(env)
    try:
        from gaiji.paths import gaiji_cache
        from gaiji.reference.fetch import load_pins

        cached = gaiji_cache() / f"mojidata-{load_pins()['mojidata']['version']}" / "moji.db"
        if cached.is_file():
            return cached
    except (ImportError, OSError, KeyError, ValueError):
        pass
    return Path("/tmp/npmpack/package/dist/moji.db")


class Hanazono:
    def __init__(self, folder: Path) -> None:
        from fontTools.ttLib import TTFont

        self.paths = {k: folder / f"HanaMin{k}.ttf" for k in "AB"}
        self.fonts = {k: TTFont(str(p), lazy=True) for k, p in self.paths.items()}
        self.cmaps = {k: f.getBestCmap() for k, f in self.fonts.items()}
        self.uvs: dict[str, dict[tuple[int, int], str | None]] = {}
        for k, f in self.fonts.items():
            table: dict[tuple[int, int], str | None] = {}
            for sub in f["cmap"].tables:
                if sub.format == 14:
                    for sel, pairs in sub.uvsDict.items():
                        for cp, name in pairs:
                            table[(cp, sel)] = name
            self.uvs[k] = table
        self.glyphsets = {k: f.getGlyphSet() for k, f in self.fonts.items()}

    def base(self, c: str) -> tuple[str, str] | None:
        for k in "AB":
            name = self.cmaps[k].get(ord(c))
            if name:
                return k, name
        return None

    def variant(self, seq: str) -> tuple[str, str] | None:
        """(font, glyph) Hanazono shows for c+selector, or None if it lacks the sequence."""
        cp, sel = ord(seq[0]), ord(seq[1])
        for k in "AB":
            if (cp, sel) in self.uvs[k]:
                name = self.uvs[k][(cp, sel)]
                return k, name if name is not None else self.cmaps[k][cp]
        return None

    def outline(self, font: str, glyph: str) -> list[tuple[str, tuple]]:
        from fontTools.pens.recordingPen import DecomposingRecordingPen

        pen = DecomposingRecordingPen(self.glyphsets[font])
        self.glyphsets[font][glyph].draw(pen)
        return pen.value


class MJTable:
    """The columns of the MJ table the sample needs, loaded once."""

    def __init__(self, path: Path) -> None:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.by_base: dict[str, list[tuple[str, str | None, str | None]]] = {}
        self.ext_b: list[str] = []
        self.identity: dict[str, str] = {}
        """MJ文字図形名 → its identity: the Moji_Joho IVS when the table gives one, else the UCS."""
        for name, impl, ivs in db.execute(
            "select MJ文字図形名, 実装したUCS, 実装したMoji_JohoコレクションIVS from mji order by MJ文字図形名"
        ):
            for base in {impl, ivs[0] if ivs else None} - {None}:
                self.by_base.setdefault(base, []).append((name, impl, ivs))
            if ivs or impl:
                self.identity[name] = ivs or impl
            if impl and 0x20000 <= ord(impl) <= 0x2A6DF:
                self.ext_b.append(impl)
        self._readings: dict[str, list[str]] = {}
        for name, reading in db.execute(
            "select MJ文字図形名, 読み from mji_reading order by rowid"
        ):
            self._readings.setdefault(name, []).append(reading)
        db.close()

    def rows_of(self, c: str) -> list[tuple[str, str | None, str | None]]:
        """Every MJ row whose 実装したUCS is c or whose IVS has base c."""
        return self.by_base.get(c, [])

    def readings(self, mj: str) -> list[str]:
        return self._readings.get(mj, [])

    def ext_b_chars(self) -> list[str]:
        return list(self.ext_b)


# ------------------------------------------------------------------ choosing characters


def plain_answer(c: str, hz: Hanazono, mj: MJTable) -> str | None:
    """True MJ for Hanazono's plain glyph of c, or None when it is not certain."""
    if hz.base(c) is None:
        return None
    rows = mj.rows_of(c)
    implemented = [r for r in rows if r[1] == c]
    if len(implemented) != 1:
        return None
    name, _ucs, ivs = implemented[0]
    if not ivs:
        return name if len(rows) == 1 else None
    shown = hz.variant(ivs)
    return name if shown is not None and shown == hz.base(c) else None


def choose(hz: Hanazono, mj: MJTable) -> tuple[list[Item], list[Item], list[Item], list[Item]]:
    used_glyphs: set[tuple[str, str]] = set()
    plain: list[Item] = []
    compat: list[Item] = []
    for c in dict.fromkeys(NAME_CHARS + COMPAT_CHARS):
        answer = plain_answer(c, hz, mj)
        if answer is None:
            continue
        font, glyph = hz.base(c)  # type: ignore[misc]
        if (font, glyph) in used_glyphs:
            continue
        is_compat = 0xF900 <= ord(c) <= 0xFAFF
        target = compat if is_compat else plain
        if not is_compat and len(plain) >= N_PLAIN:
            continue
        used_glyphs.add((font, glyph))
        target.append(
            Item(
                "",
                0,
                "compat" if is_compat else "plain",
                c,
                answer,
                font,
                glyph,
                mj.readings(answer),
            )
        )

    ivs: list[Item] = []
    for c in dict.fromkeys(NAME_CHARS):
        if len(ivs) >= N_IVS:
            break
        base = hz.base(c)
        if base is None:
            continue
        base_outline = hz.outline(*base)
        taken = 0
        for name, _ucs, seq in mj.rows_of(c):
            if not seq or taken >= IVS_PER_CHAR or len(ivs) >= N_IVS:
                continue
            shown = hz.variant(seq)
            if shown is None or shown == base or shown in used_glyphs:
                continue
            if hz.outline(*shown) == base_outline:
                continue
            used_glyphs.add(shown)
            ivs.append(Item("", 0, "ivs", seq, name, shown[0], shown[1], mj.readings(name)))
            taken += 1

    ext_b: list[Item] = []
    pool = list(NAME_EXT_B) + mj.ext_b_chars()
    candidates = []
    for c in dict.fromkeys(pool):
        answer = plain_answer(c, hz, mj)
        if answer is None or not mj.readings(answer):
            continue
        candidates.append((c, answer))
    named = [x for x in candidates if x[0] in NAME_EXT_B]
    rest = [x for x in candidates if x[0] not in NAME_EXT_B]
    stride = max(1, len(rest) // max(1, N_EXT_B - len(named)))
    for c, answer in named + rest[::stride]:
        if len(ext_b) >= N_EXT_B:
            break
        font, glyph = hz.base(c)  # type: ignore[misc]
        if (font, glyph) in used_glyphs:
            continue
        used_glyphs.add((font, glyph))
        ext_b.append(Item("", 0, "extb", c, answer, font, glyph, mj.readings(answer)))

    edited: list[Item] = []
    by_char = {it.char: it for it in plain}
    for c, transform in EDITS:
        src = by_char.get(c) or next((it for it in compat if it.char == c), None)
        if src is None or len(edited) >= N_EDITED:
            continue
        edited.append(Item("", 0, "edited", c, "", src.font, src.glyph, src.readings, transform))
    return plain + compat, ivs, ext_b, edited


# ------------------------------------------------------------------ the EUDC font


def _draw(hz: Hanazono, item: Item):  # type: ignore[no-untyped-def]
    from fontTools.pens.transformPen import TransformPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    rec = hz.outline(item.font, item.glyph)
    advance = hz.fonts[item.font]["hmtx"][item.glyph][0] or UPEM
    if item.transform == "mirror":
        target = TransformPen(pen, (-1, 0, 0, 1, advance, 0))
    elif item.transform == "turn":
        target = TransformPen(pen, (-1, 0, 0, -1, advance, ASCENT + DESCENT))
    else:
        target = pen
    from fontTools.pens.recordingPen import RecordingPen

    replay = RecordingPen()
    replay.value = rec
    replay.replay(target)
    return pen.glyph()


def build_eudc(items: list[Item], hz: Hanazono, path: Path, babelstone: Path = BABELSTONE) -> None:
    from fontTools.fontBuilder import FontBuilder

    names = [".notdef"] + [f"uni{it.code:04X}" for it in items]
    fb = FontBuilder(UPEM, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({it.code: f"uni{it.code:04X}" for it in items})
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    glyphs = {".notdef": TTGlyphPen(None).glyph()}
    for it in items:
        glyphs[f"uni{it.code:04X}"] = _draw_bitmap_traced(babelstone, it.char) if it.kind == "refset" else _draw(hz, it)
    fb.setupGlyf(glyphs)
    glyf = fb.font["glyf"]
    metrics = {}
    for n in names:
        g = glyf[n]
        g.recalcBounds(glyf)
        metrics[n] = (UPEM, getattr(g, "xMin", 0))
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT)
    fb.setupNameTable(
        {
            "familyName": "EUDC",
            "styleName": "Regular",
            "copyright": "Glyphs from Hanazono Mincho (GlyphWiki Project), Hanazono Font License; "
            "the last few traced from 64 px renderings of BabelStone Han",
            "version": "Version 1.0 (gaiji sample municipality)",
        }
    )
    fb.setupOS2(
        sTypoAscender=ASCENT,
        sTypoDescender=DESCENT,
        usWinAscent=ASCENT,
        usWinDescent=-DESCENT,
        fsType=0,
        achVendID="GAIJ",
    )
    fb.setupPost()
    head = fb.font["head"]
    head.created = head.modified = FIXED_TIMESTAMP
    fb.font.recalcTimestamp = False
    fb.save(str(path))


# ------------------------------------------------------------------ the ledger


def _reading_cell(readings: list[str], i: int) -> str:
    import unicodedata

    def kata(s: str) -> str:
        return "".join(chr(ord(ch) + 0x60) if 0x3041 <= ord(ch) <= 0x3096 else ch for ch in s)

    def hira(s: str) -> str:
        return "".join(chr(ord(ch) - 0x60) if 0x30A1 <= ord(ch) <= 0x30F6 else ch for ch in s)

    def half(s: str) -> str:
        # full-width katakana → half-width, via the CP932 half-width block
        table = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
        out = []
        for ch in kata(s):
            if ch in table:
                out.append(table[ch])
                continue
            decomposed = unicodedata.normalize("NFD", ch)
            if len(decomposed) == 2 and decomposed[0] in table:
                mark = "\uff9e" if decomposed[1] == "\u3099" else "\uff9f"
                out.append(table[decomposed[0]] + mark)
            else:
                out.append(ch)
        return "".join(out)

    style = i % 4
    conv = (hira, kata, half, lambda s: s)[style]
    seps = ("・", ",", "/", " ", "、")
    parts = [conv(r) for r in readings[:3]]
    parts = [p for p in parts if _cp932_ok(p)]
    return seps[i % len(seps)].join(parts)


def _cp932_ok(text: str) -> bool:
    try:
        text.encode("cp932")
        return True
    except UnicodeEncodeError:
        return False


def build_ledger(items: list[Item], path: Path, rng: random.Random,
                 extra: list[Item] = ()) -> tuple[int, list[str]]:  # type: ignore[assignment]
    """*extra* rows (the added-set gaiji) follow *items* with their own random numbers, so the
    rows of *items* stay what they were before the extras existed."""
    from gaiji.codes import pua_to_sjis

    skip = {items[k].gaiji_id for k in rng.sample(range(len(items)), NO_LEDGER_ROW)}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["外字コード", "よみ", "使用件数", "備考"])
    rows = 0
    for i, it in enumerate(items):
        if it.gaiji_id in skip:
            continue
        usage = int(rng.paretovariate(1.2)) if rng.random() < 0.9 else 0
        w.writerow(
            [
                f"{pua_to_sjis(it.code):04X}",
                _reading_cell(it.readings, i),
                f"{usage:,}",
                NOTES[i % len(NOTES)],
            ]
        )
        rows += 1
    extra_rng = random.Random(REFSET_SEED)
    for it in extra:
        w.writerow([f"{pua_to_sjis(it.code):04X}", "", f"{int(extra_rng.paretovariate(1.2)):,}", "人名"])
        rows += 1
    for code in LEDGER_ONLY_CODES:
        w.writerow([code, "", "0", "削除済み"])
        rows += 1
    path.write_bytes(buf.getvalue().encode("cp932"))
    return rows, sorted(skip)


# ------------------------------------------------------------------ the BDF font


def build_bdf(items: list[Item], hz: Hanazono, path: Path, size: int = 16) -> list[Item]:
    import freetype

    ascent, descent = 14, 2
    faces = {}
    chars = []
    seen: set[bytes] = set()
    out_items: list[Item] = []
    code = 0x7521
    for it in items:
        if len(out_items) >= N_BDF:
            break
        if it.font not in faces:
            face = freetype.Face(str(hz.paths[it.font]))
            face.set_pixel_sizes(0, size)
            faces[it.font] = face
        face = faces[it.font]
        gid = hz.fonts[it.font].getGlyphID(it.glyph)
        face.load_glyph(
            gid,
            freetype.FT_LOAD_RENDER | freetype.FT_LOAD_TARGET_MONO | freetype.FT_LOAD_MONOCHROME,
        )
        bm = face.glyph.bitmap
        if bm.rows == 0:
            continue
        raw = np.frombuffer(bytes(bm.buffer), np.uint8).reshape(bm.rows, bm.pitch)
        ink = np.unpackbits(raw, axis=1)[:, : bm.width].astype(bool)
        key = ink.tobytes() + bytes(ink.shape)
        if key in seen:
            continue
        seen.add(key)
        xo, yo = face.glyph.bitmap_left, face.glyph.bitmap_top - bm.rows
        chars.append((f"gaiji{code:04X}", code, ink, xo, yo))
        out_items.append(
            Item(
                f"vendor16-{code:04X}",
                code,
                it.kind,
                it.char,
                it.mj,
                it.font,
                it.glyph,
                it.readings,
            )
        )
        code += 1
    lines = [
        "STARTFONT 2.1",
        "COMMENT gaiji sample municipality: vendor gaiji on JIS X 0208 row 85, 16 px",
        "COMMENT glyphs rendered from Hanazono Mincho (GlyphWiki Project), Hanazono Font License",
        f"FONT -gaiji-sample-medium-r-normal--{size}-160-75-75-c-160-jisx0208.1983-0",
        f"SIZE {size} 75 75",
        f"FONTBOUNDINGBOX {size} {size} 0 {-descent}",
        "STARTPROPERTIES 6",
        'FOUNDRY "gaiji"',
        'FAMILY_NAME "sample"',
        f"FONT_ASCENT {ascent}",
        f"FONT_DESCENT {descent}",
        'CHARSET_REGISTRY "JISX0208.1983"',
        'CHARSET_ENCODING "0"',
        "ENDPROPERTIES",
        f"CHARS {len(chars)}",
    ]
    for name, enc, ink, xo, yo in chars:
        h, w = ink.shape
        lines += [
            f"STARTCHAR {name}",
            f"ENCODING {enc}",
            "SWIDTH 1000 0",
            f"DWIDTH {size} 0",
            f"BBX {w} {h} {xo} {yo}",
            "BITMAP",
        ]
        packed = np.packbits(ink.astype(np.uint8), axis=1)
        lines += [row.tobytes().hex().upper() for row in packed]
        lines.append("ENDCHAR")
    lines.append("ENDFONT")
    path.write_text("\n".join(lines) + "\n", encoding="ascii", newline="\n")
    return out_items


# ------------------------------------------------------------------ added-set gaiji


def refset_items(babelstone: Path, refset_table: Path) -> list[Item]:
    """N_REFSET characters of the added set's list that BabelStone Han draws."""
    from fontTools.ttLib import TTFont

    if not babelstone.is_file():
        raise SystemExit(f"{babelstone}: BabelStone Han is needed to draw the added-set gaiji "
                         "(apt-get install fonts-babelstone-han), or give --babelstone")
    cmap = TTFont(str(babelstone), lazy=True).getBestCmap()
    with refset_table.open(encoding="utf-8-sig", newline="") as fh:
        rows = [(r["文字ID"], int(r["UCS"].removeprefix("U+"), 16)) for r in csv.DictReader(fh)]
    rows = [(i, cp) for i, cp in rows if cp in cmap]
    picked = sorted(random.Random(REFSET_SEED).sample(rows, N_REFSET))
    return [Item("", 0, "refset", chr(cp), "", "S", cmap[cp], [], ref_id=set_id) for set_id, cp in picked]


BITMAP_PX = 64  # the added-set gaiji are traced from a 64 px bitmap, as a gaiji editor stores them


def _draw_bitmap_traced(babelstone: Path, c: str):  # type: ignore[no-untyped-def]
    """A glyph made of the pixel squares of *c* rendered from BabelStone Han at BITMAP_PX
    (one rectangle per run of ink in a row): a picture of the character, no outline copied."""
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(babelstone), BITMAP_PX)
    canvas = Image.new("L", (BITMAP_PX, BITMAP_PX), 0)
    ImageDraw.Draw(canvas).text((0, 0), c, font=face, fill=255, anchor="lt")
    ink = np.asarray(canvas) >= 128
    unit = UPEM // BITMAP_PX
    pen = TTGlyphPen(None)
    for y in range(BITMAP_PX):
        row = ink[y]
        x = 0
        while x < BITMAP_PX:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < BITMAP_PX and row[x]:
                x += 1
            top, bottom = ASCENT - y * unit, ASCENT - (y + 1) * unit
            pen.moveTo((start * unit, bottom))
            pen.lineTo((start * unit, top))
            pen.lineTo((x * unit, top))
            pen.lineTo((x * unit, bottom))
            pen.closePath()
    return pen.glyph()


# ------------------------------------------------------------------ main


def generate(out: Path, moji_db: Path, hanazono: Path, babelstone: Path = BABELSTONE) -> dict[str, object]:
    from gaiji.codes import ivs_notation, split_ivs

    hz = Hanazono(hanazono)
    only_in_set = refset_items(babelstone, HERE / "refset" / "refset.csv")
    mj = MJTable(moji_db)
    plain, ivs, ext_b, edited = choose(hz, mj)
    rng = random.Random(SEED)
    # interleave the kinds, as a municipality registers gaiji over the years
    font_items = plain + ivs + ext_b + edited
    rng.shuffle(font_items)
    by_char = {it.char: it for it in plain}
    dups = [
        Item(
            "",
            0,
            "duplicate",
            c,
            by_char[c].mj,
            by_char[c].font,
            by_char[c].glyph,
            by_char[c].readings,
        )
        for c in DUPLICATE_OF
        if c in by_char
    ]
    for d in dups:
        font_items.insert(rng.randrange(len(font_items) // 2, len(font_items)), d)
    for k, it in enumerate(font_items):
        it.code = 0xE000 + k
        it.gaiji_id = f"EUDC-{it.code:04X}"
    # registered last (on the codes after all the others, so theirs do not move)
    for k, it in enumerate(only_in_set, start=len(font_items)):
        it.code = 0xE000 + k
        it.gaiji_id = f"EUDC-{it.code:04X}"
    ledger_items = font_items
    font_items = font_items + only_in_set

    src_dir = out / "municipality"
    src_dir.mkdir(parents=True, exist_ok=True)
    eudc, ledger, bdf = src_dir / "EUDC.TTE", src_dir / "gaiji_ledger.csv", src_dir / "vendor16.bdf"
    build_eudc(font_items, hz, eudc, babelstone)
    ledger_rows, no_row = build_ledger(ledger_items, ledger, rng, only_in_set)
    bdf_items = build_bdf(
        [it for it in plain + ext_b if it.kind in ("plain", "extb")][::3] + plain[1::3], hz, bdf
    )

    with open(out / "answers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["gaiji_id", "mj", "ucs", "ivs", "char", "kind", "drawn_as", "source_glyph", "ref_set", "ref_id"])
        for it in font_items + bdf_items:
            identity = mj.identity[it.mj] if it.mj else ""
            base, sel = split_ivs(identity) if identity else ("", "")
            w.writerow(
                [
                    it.gaiji_id,
                    it.mj,
                    f"U+{ord(base):04X}" if base else "",
                    f"U+{ord(sel):04X}" if sel else "",
                    identity,
                    it.kind + (f":{it.transform}" if it.transform else ""),
                    ivs_notation(it.char),
                    f"BabelStoneHan@{BITMAP_PX}px:{it.glyph}" if it.font == "S" else f"HanaMin{it.font}:{it.glyph}",
                    REFSET_NAME if it.ref_id else "MJ" if it.mj else "",
                    it.ref_id or it.mj,
                ]
            )

    kinds: dict[str, int] = {}
    for it in font_items:
        kinds[it.kind] = kinds.get(it.kind, 0) + 1
    dup_pairs = len(dups)
    record: dict[str, object] = {
        "generator": "python -m gaiji.sample.generate",
        "inputs": {
            "HanaMinA.ttf": sha256_file(hz.paths["A"]),
            "HanaMinB.ttf": sha256_file(hz.paths["B"]),
            "hanazono_version": "20170904 (Debian fonts-hanazono)",
            "moji.db": sha256_file(moji_db),
            "BabelStoneHan.ttf": sha256_file(babelstone),
            "refset.csv": sha256_file(HERE / "refset" / "refset.csv"),
        },
        "outputs": {p.name: sha256_file(p) for p in (eudc, ledger, bdf, out / "answers.csv")},
        "font_kinds": kinds,
        "expected_extract": {
            "glyphs": len(font_items) + len(bdf_items),
            "per_source": {eudc.name: len(font_items), bdf.name: len(bdf_items)},
            "ledger_rows": ledger_rows,
            "ledger_rows_without_glyph": len(LEDGER_ONLY_CODES),
            "glyphs_without_ledger": len(no_row) + len(bdf_items),
            "glyphs_without_ledger_in_font": no_row,
            "blank": 0,
            "duplicates": dup_pairs,
            "no_mj_equivalent": sum(1 for it in font_items + bdf_items if not it.mj),
            "only_in_added_set": {it.gaiji_id: it.ref_id for it in only_in_set},
        },
    }
    (out / "record.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--moji-db",
        type=Path,
        default=None,
        help="mojidata moji.db (default: $GAIJI_MOJI_DB or the cache)",
    )
    ap.add_argument(
        "--hanazono",
        type=Path,
        default=HANAZONO_DIR,
        help="folder with HanaMinA.ttf and HanaMinB.ttf",
    )
    ap.add_argument("--babelstone", type=Path, default=BABELSTONE,
                    help="BabelStone Han, which draws the gaiji only the added set has")
    ap.add_argument(
        "--out", type=Path, default=HERE, help="where to write (default: this package folder)"
    )
    args = ap.parse_args()
    record = generate(args.out, args.moji_db or default_moji_db(), args.hanazono, args.babelstone)
    print(json.dumps(record["expected_extract"], ensure_ascii=False, indent=2))
    print(json.dumps(record["font_kinds"], ensure_ascii=False))


if __name__ == "__main__":
    main()
