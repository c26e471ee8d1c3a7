"""``gaiji reference build``: render every MJ glyph of IPAmj明朝 and join the MJ table.

Output (in ``<home>/reference/``, built under a temporary name and renamed into place):

* ``rasters.u8`` — uint8 ``(N, 64, 64)``, :func:`gaiji.render.canonical_raster` of each glyph,
  row *i* ↔ ``records.idx = i``; memory-mapped by :class:`gaiji.reference.Reference`;
* ``records.sqlite`` — one row per MJ文字図形名 (JSON of :class:`MJRecord`) plus lookup
  indexes (characters, codes, normalised readings, radical/strokes, IDS components);
* ``provenance.json`` — sources (version, SHA-256), counts, build time, tool/render version.

Re-running with unchanged sources and code is a no-op.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from gaiji import __version__
from gaiji.errors import GaijiError, SourceError
from gaiji.fsutil import atomic_directory, atomic_write
from gaiji.paths import gaiji_home
from gaiji.progress import Progress, no_progress
from gaiji.readings import normalize_reading
from gaiji.reference.fetch import VerifiedSource, find_font, find_moji_db
from gaiji.reference.mjtable import ids_components_of, radical_names, read_mj_table
from gaiji.reference.records import MJRecord
from gaiji.render import CANONICAL_SIZE, RENDER_VERSION, canonical_raster, to_uint8

RENDER_PX = 128  # FreeType pixel size of the em before canonical normalisation
DB_FORMAT = "4"


@dataclass(frozen=True)
class BuildSummary:
    """What a build did; printed by the CLI. No silent drops: every count is here."""

    home: Path
    skipped: bool
    glyphs_in_font: int
    table_rows: int
    hentaigana_rows: int
    rows_joined: int
    rows_without_glyph: int
    glyphs_without_row: int
    rows_without_ucs: int
    blank_glyphs: int
    total_rows: int
    seconds: float
    size_bytes: int


def reference_dir(home: Path | None = None) -> Path:
    return (home or gaiji_home()) / "reference"


def _source_key(font: VerifiedSource, db: VerifiedSource) -> dict:
    return {
        "db_format": DB_FORMAT,
        "render_version": RENDER_VERSION,
        "render_px": RENDER_PX,
        "canonical_size": CANONICAL_SIZE,
        "font_sha256": font.sha256,
        "moji_db_sha256": db.sha256,
    }


def build_reference(
    home: Path | None = None,
    *,
    font: str | os.PathLike[str] | None = None,
    allow_unpinned: bool = False,
    force: bool = False,
    workers: int | None = None,
    progress: Progress = no_progress,
) -> BuildSummary:
    """Build (or confirm up to date) the reference database under *home*."""
    started = time.monotonic()
    target = reference_dir(home)
    font_src = find_font(font, allow_unpinned=allow_unpinned)
    db_src = find_moji_db(allow_unpinned=allow_unpinned, progress_note=lambda m: progress(0, None, m))
    key = _source_key(font_src, db_src)

    existing = target / "provenance.json"
    if not force and existing.is_file():
        try:
            old = json.loads(existing.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("key") == key and (target / "rasters.u8").is_file() and (target / "records.sqlite").is_file():
            c = old["counts"]
            return BuildSummary(home=target, skipped=True, seconds=time.monotonic() - started,
                                size_bytes=_dir_size(target), **c)

    progress(0, None, "reading MJ table")
    records = read_mj_table(db_src.path)
    glyph_names = _mj_glyph_names(font_src.path)
    by_mj = {r.mj: r for r in records}
    glyph_mjs = {name.upper(): name for name in glyph_names}
    all_mjs = sorted(set(by_mj) | set(glyph_mjs))
    rows: list[MJRecord] = []
    for mj in all_mjs:
        rec = by_mj.get(mj) or _glyph_only_record(mj)
        rows.append(replace(rec, has_glyph=mj in glyph_mjs, glyph_name=glyph_mjs.get(mj, "")))

    counts = {
        "glyphs_in_font": len(glyph_mjs),
        "table_rows": sum(1 for r in records if r.in_table),
        "hentaigana_rows": sum(1 for r in records if not r.in_table),
        "rows_joined": sum(1 for r in records if r.mj in glyph_mjs),
        "rows_without_glyph": sum(1 for r in records if r.mj not in glyph_mjs),
        "glyphs_without_row": sum(1 for mj in glyph_mjs if mj not in by_mj),
        "rows_without_ucs": sum(1 for r in rows if not r.char),
        "blank_glyphs": 0,
        "total_rows": len(rows),
    }

    try:
        with atomic_directory(target) as tmp:
            out = np.memmap(tmp / "rasters.u8", dtype=np.uint8, mode="w+",
                            shape=(len(rows), CANONICAL_SIZE, CANONICAL_SIZE))
            names = [r.glyph_name for r in rows]
            blank = _render_all(font_src.path, names, out, workers=workers, progress=progress)
            out.flush()
            del out
            counts["blank_glyphs"] = blank
            progress(0, None, "writing lookup tables")
            _write_records(tmp / "records.sqlite", rows, radical_names(db_src.path))
            provenance = {
                "key": key,
                "tool": f"gaiji {__version__}",
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "sources": {
                    "ipamj_font": {"path": str(font_src.path), "version": font_src.version,
                                   "sha256": font_src.sha256, "pinned": font_src.pinned},
                    "mojidata": {"path": str(db_src.path), "version": db_src.version,
                                 "sha256": db_src.sha256, "pinned": db_src.pinned},
                },
                "counts": counts,
                "shape": [len(rows), CANONICAL_SIZE, CANONICAL_SIZE],
            }
            with atomic_write(tmp / "provenance.json") as fh:
                json.dump(provenance, fh, ensure_ascii=False, indent=2)
    except OSError as exc:
        raise GaijiError(
            f"could not write the reference database under {target} ({exc.strerror or exc}). "
            "Free some disk space (it needs about 300 MB) or set GAIJI_HOME to another folder; "
            "nothing half-written was left behind."
        ) from exc
    return BuildSummary(home=target, skipped=False, seconds=time.monotonic() - started,
                        size_bytes=_dir_size(target), **counts)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _glyph_only_record(mj: str) -> MJRecord:
    return MJRecord(mj=mj, ucs="", ivs="", char="", base_char="", corresponding_ucs="",
                    implemented_char="", implemented_ucs=False, readings=[], radicals=[],
                    total_strokes=None, koseki="", juki="", nyukan="", touki="", x0213="",
                    compat="", in_table=False, note="glyph in IPAmj without an MJ table row")


def _mj_glyph_names(font_path: Path) -> list[str]:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(font_path, lazy=True)
        order = font.getGlyphOrder()
    except (TTLibError, OSError, AssertionError) as exc:
        raise SourceError(f"{font_path} is not a readable TrueType font ({exc}); reinstall fonts-ipamj-mincho") from exc
    names = [n for n in order if n.startswith("mj") and n[2:].isdigit()]
    if not names:
        raise SourceError(f"{font_path} has no glyphs named mj000001…: is it really IPAmj明朝?")
    return names


# ---- rendering (worker processes) -------------------------------------------------------

_FACE = None


def _init_worker(font_path: str) -> None:
    global _FACE
    import freetype

    _FACE = freetype.Face(font_path)
    _FACE.set_pixel_sizes(0, RENDER_PX)


def _render_chunk(args: tuple[int, list[str]]) -> tuple[int, np.ndarray, int]:
    start, names = args
    face = _FACE
    assert face is not None
    out = np.zeros((len(names), CANONICAL_SIZE, CANONICAL_SIZE), np.uint8)
    blank = 0
    for i, name in enumerate(names):
        if not name:
            continue
        raster = face_glyph_raster(face, face.get_name_index(name.encode("ascii")))
        if raster is None:
            blank += 1
            continue
        out[i] = raster
    return start, out, blank


def face_glyph_raster(face, index: int) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    """Canonical uint8 raster of glyph *index* of a FreeType face already sized to
    :data:`RENDER_PX` (None for a glyph with no ink). The one path every reference glyph —
    IPAmj or an added set's — takes."""
    import freetype

    face.load_glyph(index, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
    bitmap = face.glyph.bitmap
    if bitmap.rows == 0 or bitmap.width == 0:
        return None
    ink = np.array(bitmap.buffer, dtype=np.uint8).reshape(bitmap.rows, bitmap.pitch)[:, : bitmap.width]
    padded = np.zeros((ink.shape[0] + 2, ink.shape[1] + 2), np.float32)
    padded[1:-1, 1:-1] = ink / 255.0  # ink=1 on a zero border: polarity is unambiguous
    return to_uint8(canonical_raster(padded, denoise=False))


def render_glyph(font_path: Path, glyph_name: str) -> np.ndarray:
    """Canonical raster of one IPAmj glyph (the same path the build takes)."""
    _init_worker(str(font_path))
    return _render_chunk((0, [glyph_name]))[1][0]


def _render_all(font_path: Path, names: list[str], out: np.ndarray, *, workers: int | None,
                progress: Progress) -> int:
    chunk = 512
    jobs = [(s, names[s : s + chunk]) for s in range(0, len(names), chunk)]
    workers = workers or min(os.cpu_count() or 1, 4)
    done = blank = 0
    progress(0, len(names), "rendering IPAmj glyphs")
    if workers <= 1:
        _init_worker(str(font_path))
        results = map(_render_chunk, jobs)
        for start, block, b in results:
            out[start : start + len(block)] = block
            done += len(block)
            blank += b
            progress(done, len(names), "rendering IPAmj glyphs")
        return blank
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(str(font_path),)) as pool:
        for start, block, b in pool.map(_render_chunk, jobs):
            out[start : start + len(block)] = block
            done += len(block)
            blank += b
            progress(done, len(names), "rendering IPAmj glyphs")
    return blank


# ---- lookup tables ----------------------------------------------------------------------

SCHEMA = """
create table records (idx integer primary key, mj text unique not null, char text, base_char text,
  ucs text, ivs text, implemented_char text, compat text, juki text, koseki text, nyukan text,
  touki text, x0213 text, total_strokes integer, has_glyph integer, data text not null);
create table chars (form text not null, idx integer not null);
create table readings (reading text not null, idx integer not null);
create table rs (radical integer not null, inner integer not null, idx integer not null);
create table components (component text not null, idx integer not null);
create table fallback_links (target text not null, idx integer not null);
create table radical_names (name text primary key, number integer not null);
"""
INDEXES = """
create index chars_form on chars(form);
create index readings_reading on readings(reading);
create index rs_key on rs(radical, inner);
create index components_key on components(component);
create index fallback_links_target on fallback_links(target);
create index records_ucs on records(ucs);
create index records_juki on records(juki);
create index records_koseki on records(koseki);
create index records_touki on records(touki);
create index records_base on records(base_char);
create index records_impl on records(implemented_char);
create index records_compat on records(compat);
"""


def _write_records(path: Path, rows: list[MJRecord], radicals: dict[str, int]) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.executemany(
            "insert into records values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (i, r.mj, r.char, r.base_char, r.ucs, r.ivs, r.implemented_char, r.compat, r.juki,
                 r.koseki, r.nyukan, r.touki, r.x0213, r.total_strokes, int(r.has_glyph),
                 json.dumps(r.to_dict(), ensure_ascii=False))
                for i, r in enumerate(rows)
            ),
        )
        forms = []
        readings = []
        rs = []
        comps = []
        links = []
        for i, r in enumerate(rows):
            for form in {r.char, r.base_char, r.implemented_char, r.compat} - {""}:
                forms.append((form, i))
            for reading in {normalize_reading(x) for x in r.readings} - {""}:
                readings.append((reading, i))
            rs.extend((rad, inner, i) for rad, inner in set(r.radicals))
            comps.extend((c, i) for c in ids_components_of(r))
            links.extend((t, i) for t in {f.char for f in r.fallbacks} - {r.base_char, ""})
        con.executemany("insert into chars values (?,?)", forms)
        con.executemany("insert into readings values (?,?)", readings)
        con.executemany("insert into rs values (?,?,?)", rs)
        con.executemany("insert into components values (?,?)", comps)
        con.executemany("insert into fallback_links values (?,?)", links)
        con.executemany("insert into radical_names values (?,?)", radicals.items())
        con.executescript(INDEXES)
        con.commit()
    finally:
        con.close()
