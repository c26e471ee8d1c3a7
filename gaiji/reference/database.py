"""The built reference, loaded for the other stages: memory-mapped rasters plus an SQLite
lookup of the MJ table. Loading takes milliseconds; nothing is re-rendered."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from gaiji.codes import format_mj, is_mj, is_variation_selector
from gaiji.errors import ReferenceMissing
from gaiji.readings import is_kana_query, normalize_reading
from gaiji.reference.build import reference_dir
from gaiji.reference.records import MJRecord

_RS_RE = re.compile(r"^\s*(\S+?)\s*\+\s*(\d{1,2})\s*$")
_COMPONENT_RE = re.compile(r"^\s*(?:component|部品|comp)\s*[:：]\s*(.+)$", re.IGNORECASE)


class Reference:
    """The MJ reference database (see :mod:`gaiji.reference.build` for its files)."""

    def __init__(self, directory: Path) -> None:
        self.home = directory
        try:
            self.version: dict = json.loads((directory / "provenance.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReferenceMissing(
                f"no usable reference database in {directory} ({exc}). "
                "Run `gaiji reference build` (or set GAIJI_HOME to where it was built)."
            ) from exc
        shape = tuple(self.version["shape"])
        self.rasters: np.ndarray = np.memmap(directory / "rasters.u8", dtype=np.uint8, mode="r", shape=shape)
        self._db_path = directory / "records.sqlite"
        self._local = threading.local()
        rows = self._db().execute("select mj, has_glyph from records order by idx").fetchall()
        self.mj_ids: list[str] = [r[0] for r in rows]
        self.has_glyph = np.array([bool(r[1]) for r in rows])
        self._index = {mj: i for i, mj in enumerate(self.mj_ids)}
        self._radical_names: dict[str, int] | None = None
        src = self.version["sources"]
        self.font_path = Path(src["ipamj_font"]["path"])
        self.version_label = (
            f"IPAmj明朝 {src['ipamj_font']['version']} + mojidata {src['mojidata']['version']} "
            f"(render {self.version['key']['render_version']})"
        )

    # -- basics ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.mj_ids)

    def _db(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def index_of(self, mj: str) -> int:
        try:
            return self._index[format_mj(mj)]
        except (KeyError, ValueError) as exc:
            raise KeyError(f"{mj!r} is not an MJ文字図形名 in this reference") from exc

    def record(self, mj_or_index: str | int) -> MJRecord:
        idx = mj_or_index if isinstance(mj_or_index, (int, np.integer)) else self.index_of(mj_or_index)
        return self._record_at(int(idx))

    def _record_at(self, idx: int) -> MJRecord:
        row = self._db().execute("select data from records where idx = ?", (idx,)).fetchone()
        if row is None:
            raise KeyError(idx)
        return MJRecord.from_dict(json.loads(row[0]))

    def _records(self, indices: list[int], limit: int) -> list[MJRecord]:
        seen: dict[int, None] = {}
        for i in indices:
            seen.setdefault(i, None)
            if len(seen) >= limit:
                break
        return [self._record_at(i) for i in seen]

    # -- lookups -------------------------------------------------------------------------
    def by_char(self, text: str, *, limit: int = 200, related: bool = False) -> list[MJRecord]:
        """MJ glyphs for a character: with a selector, that exact variant first; then every
        MJ glyph whose base, implemented or compatibility character is *text*'s base; with
        *related*, then the characters the MJ縮退マップ links it to in either direction
        (崎 finds 﨑 and 﨑 finds 崎) — never merged, listed after the character's own glyphs."""
        db = self._db()
        exact = [r[0] for r in db.execute("select idx from chars where form = ? order by idx", (text,))]
        base = text[0] if text else text
        if len(text) == 2 and is_variation_selector(text[1]):
            others = [r[0] for r in db.execute("select idx from records where base_char = ? order by idx", (base,))]
        else:
            others = [r[0] for r in db.execute(
                "select idx from records where base_char = ? or implemented_char = ? or compat = ? order by idx",
                (base, base, base))]
        found = exact + others
        if related and len(set(found)) < limit:
            found += self._related(base, found)
        return self._records(found, limit)

    def _related(self, base: str, own: list[int]) -> list[int]:
        """Rows linked to *base* by the 縮退マップ: those falling back to it, and the characters
        its own glyphs fall back to."""
        db = self._db()
        if db.execute("select 1 from sqlite_master where name = 'fallback_links'").fetchone() is None:
            return []  # a database built before the links existed
        linked = [r[0] for r in db.execute("select idx from fallback_links where target = ? order by idx", (base,))]
        targets = sorted({f.char for i in dict.fromkeys(own) for f in self._record_at(i).fallbacks} - {base})
        for target in targets:
            linked += [r[0] for r in db.execute("select idx from records where base_char = ? order by idx", (target,))]
        seen = set(own)
        return [i for i in linked if i not in seen]

    def by_reading(self, reading: str, *, limit: int = 200) -> list[MJRecord]:
        """Characters with this reading (any kana form): exact readings before longer ones,
        and within each, characters in JIS X 0213 (the everyday ones: 高 髙) before rare ones."""
        norm = normalize_reading(reading)
        db = self._db()
        common_first = "(coalesce(r.x0213, '') = '')"
        exact = [row[0] for row in db.execute(
            "select g.idx from readings g join records r on r.idx = g.idx where g.reading = ? "
            f"order by {common_first}, g.idx", (norm,))]
        prefix = [row[0] for row in db.execute(
            "select g.idx from readings g join records r on r.idx = g.idx where g.reading > ? and g.reading < ? "
            f"order by g.reading, {common_first}, g.idx", (norm, norm + "\uffff"))]
        return self._records(exact + prefix, limit)

    def by_radical_strokes(self, radical: str | int, inner: int, *, limit: int = 500) -> list[MJRecord]:
        number = self.radical_number(radical)
        rows = self._db().execute("select idx from rs where radical = ? and inner = ? order by idx", (number, inner))
        return self._records([r[0] for r in rows], limit)

    def by_components(self, components: list[str], *, limit: int = 200) -> list[MJRecord]:
        db = self._db()
        sets = [
            {r[0] for r in db.execute("select idx from components where component = ?", (c,))}
            for c in components
        ]
        hits = set.intersection(*sets) if sets else set()
        return self._records(sorted(hits), limit)

    def radical_names(self) -> dict[str, int]:
        """Every way the MJ table names a 康煕部首 (the radical, its variant forms such as 氵 and
        辶, the Kangxi Radicals block) → its number 1–214."""
        if self._radical_names is None:
            rows = self._db().execute("select name, number from radical_names").fetchall()
            self._radical_names = {str(name): int(number) for name, number in rows}
        return self._radical_names

    def radical_number(self, radical: str | int) -> int:
        if isinstance(radical, int) or str(radical).isdigit():
            number = int(radical)
            if not 1 <= number <= 214:
                raise ValueError(f"radical number {number} is outside 1–214")
            return number
        row = self._db().execute("select number from radical_names where name = ?", (radical,)).fetchone()
        if row is None:
            raise ValueError(f"{radical!r} is not a known radical (use a 康煕部首 number 1–214 or its character)")
        return int(row[0])

    def search(self, query: str, *, limit: int = 50) -> list[MJRecord]:
        """Look a character up by whatever the user typed.

        MJ number (``MJ030302``), character with or without selector (``辻``, ``辻󠄂``),
        ``U+8FBB`` (optionally ``U+8FBB U+E0102``), 住基ネット統一文字コード (``J+FA66``),
        戸籍統一文字番号 (6 digits), reading in any kana form (``つじ``, ``ツジ``, ``ﾂｼﾞ``),
        radical + inner strokes (``162+2``, ``辵+2``, ``辶+2``), IDS components
        (``component:辶``, or two or more characters: ``辶十``).
        """
        q = query.strip()
        if not q:
            return []
        if is_mj(q):
            idx = self._index.get(format_mj(q))
            return [self._record_at(idx)] if idx is not None else []
        codes = re.findall(r"[Uu]\+([0-9A-Fa-f]{4,6})", q)
        if codes and re.fullmatch(r"(\s*[Uu]\+[0-9A-Fa-f]{4,6}\s*)+", q):
            return self.by_char("".join(chr(int(c, 16)) for c in codes), limit=limit)
        if re.fullmatch(r"[Jj]\+[0-9A-Fa-f]{4}", q):
            rows = self._db().execute("select idx from records where juki = ?", ("J+" + q[2:].upper(),))
            return self._records([r[0] for r in rows], limit)
        if re.fullmatch(r"\d{6}|\d{8}", q):
            rows = self._db().execute(
                "select idx from records where koseki = ? or touki = ?", (q[-6:] if len(q) == 8 else q, q))
            return self._records([r[0] for r in rows], limit)
        m = _RS_RE.match(q)
        if m:
            try:
                return self.by_radical_strokes(m.group(1), int(m.group(2)), limit=limit)
            except ValueError:
                return []
        m = _COMPONENT_RE.match(q)
        if m:
            return self.by_components([c for c in m.group(1) if not c.isspace()], limit=limit)
        if is_kana_query(q):
            return self.by_reading(q, limit=limit)
        if len(q) == 1 or (len(q) == 2 and is_variation_selector(q[1])):
            return self.by_char(q, limit=limit, related=True)
        chars = [c for c in q if not c.isspace()]
        if len(chars) >= 2:
            return self.by_components(chars, limit=limit)
        return []

    # -- pictures ------------------------------------------------------------------------
    def glyph_image(self, mj: str, px: int = 256) -> Image.Image:
        """The IPAmj glyph of *mj* as a greyscale picture (black on white), *px* square."""
        rec = self.record(mj)
        if not rec.has_glyph:
            raise KeyError(f"{mj} has no glyph in IPAmj明朝")
        return _render_picture(str(self.font_path), rec.glyph_name or mj.lower(), px)


@lru_cache(maxsize=4096)
def _render_picture(font_path: str, glyph_name: str, px: int) -> Image.Image:
    import freetype

    canvas = Image.new("L", (px, px), 255)
    face = _face(font_path, px)
    with _FACE_LOCK:  # a FreeType face is not thread-safe: load and copy under the lock
        face.load_glyph(face.get_name_index(glyph_name.encode("ascii")), freetype.FT_LOAD_RENDER)
        bm = face.glyph.bitmap
        rows, width = bm.rows, bm.width
        # read FreeType's buffer through ctypes: bm.buffer builds a Python list, ~100× slower
        ink = (np.ctypeslib.as_array(bm._FT_Bitmap.buffer, shape=(rows * bm.pitch,))
               .reshape(rows, bm.pitch)[:, :width].copy()
               if rows and width else None)
        left, top = face.glyph.bitmap_left, face.glyph.bitmap_top
        ascender = face.size.ascender >> 6
    if ink is not None:
        x = max(0, min(px - width, left))
        y = max(0, min(px - rows, ascender - top))
        canvas.paste(Image.fromarray(255 - ink), (x, y))
    return canvas


_FACES: dict[tuple[str, int], object] = {}
_FACE_LOCK = threading.Lock()


def _face(font_path: str, px: int):  # type: ignore[no-untyped-def]
    import freetype

    with _FACE_LOCK:
        key = (font_path, px)
        if key not in _FACES:
            face = freetype.Face(font_path)
            face.set_pixel_sizes(0, px)
            _FACES[key] = face
        return _FACES[key]


_LOADED: dict[Path, Reference] = {}


def load_reference(home: Path | None = None) -> Reference:
    """Open the built reference (cached per process)."""
    directory = reference_dir(home)
    if not (directory / "provenance.json").is_file():
        raise ReferenceMissing(
            f"the MJ reference is not built yet (looked in {directory}). "
            "Run `gaiji reference build` (needs the IPAmj明朝 font and npm; see README → Setup), "
            "or set GAIJI_HOME to the folder where it was built."
        )
    if directory not in _LOADED:
        _LOADED[directory] = Reference(directory)
    return _LOADED[directory]
