"""Added reference sets: a user-supplied character set — 行政事務標準文字 (MJ+) fonts and list
received from the national government, a vendor's 外字 library, … — installed beside the MJ
reference as ``<home>/reference_sets/NAME/``:

* ``rasters.u8`` — uint8 ``(N, 64, 64)``: each glyph through the same canonical
  normalisation as IPAmj (:func:`gaiji.reference.build.face_glyph_raster`), row *i* ↔ ``idx``;
* ``records.sqlite`` — one :class:`~gaiji.reference.records.SetRecord` per list row (JSON) and
  lookup tables (characters, readings);
* ``report.csv`` — what the join found, row by row: rows without a glyph, glyphs without a
  row, duplicate identifiers / codes, two rows on one glyph, unreadable values;
* ``provenance.json`` — every font and the list by path, size and SHA-256 (the files are
  never fetched nor copied), the column mapping used, counts, build time, render version.

The folder is written under a temporary name and renamed into place; adding a set with
unchanged files is a no-op. The MJ reference and its match index are not touched.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from gaiji import __version__
from gaiji.codes import is_pua
from gaiji.errors import GaijiError, InputError, ReferenceMissing, SourceError
from gaiji.fsutil import atomic_directory, atomic_write, sha256_file
from gaiji.paths import gaiji_home
from gaiji.progress import Progress, no_progress
from gaiji.readings import normalize_reading
from gaiji.reference.build import RENDER_PX, face_glyph_raster
from gaiji.reference.records import SetRecord
from gaiji.reference.settable import SetTable, TableRow, read_set_table
from gaiji.render import CANONICAL_SIZE, RENDER_VERSION

SETS_FOLDER = "reference_sets"
SET_FORMAT = "1"
MJ_SET = "MJ"  # the name the MJ reference goes by wherever a set is named
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
REPORT_COLUMNS = ("kind", "line", "id", "code", "font", "glyph", "detail")


def sets_dir(home: Path | None = None) -> Path:
    return (home or gaiji_home()) / SETS_FOLDER


def check_set_name(name: str) -> str:
    """A set name is a short ASCII word (it becomes a folder name and the ``ref_set`` column).

    >>> check_set_name("MJplus-2024")
    'MJplus-2024'
    """
    if not _NAME_RE.match(name or ""):
        raise InputError(
            f"set name {name!r}: use 1–64 letters, digits, '.', '_', '+' or '-', starting with a letter "
            "or digit (e.g. MJplus-2024)"
        )
    if name.upper() == MJ_SET:
        raise InputError(f"set name {name!r} is reserved for the MJ reference; choose another (e.g. MJplus)")
    return name


# ---- fonts ---------------------------------------------------------------------------------


@dataclass
class SetFont:
    """One ``--font`` file as the join sees it."""

    path: Path
    family: str
    sha256: str
    cmap: dict[int, str]
    uvs: dict[tuple[int, int], str]  # (base, selector) → glyph name (default glyphs resolved)
    glyph_ids: dict[str, int]

    def names(self) -> set[str]:
        return {self.path.name, self.path.stem, self.family}


def open_set_font(path: Path) -> SetFont:
    from fontTools.ttLib import TTFont, TTLibError

    if not path.is_file():
        raise InputError(f"{path}: no such font file; give the set's TrueType/OpenType fonts with --font")
    try:
        font = TTFont(path, lazy=True, fontNumber=0)
        cmap = dict(font.getBestCmap() or {})
        order = font.getGlyphOrder()
        uvs: dict[tuple[int, int], str] = {}
        for table in font["cmap"].tables:
            if table.format == 14:
                for selector, pairs in table.uvsDict.items():
                    for base, glyph in pairs:
                        name = glyph if glyph is not None else cmap.get(base)
                        if name:
                            uvs[(base, selector)] = name
        family = ""
        if "name" in font:
            family = str(font["name"].getDebugName(4) or font["name"].getDebugName(1) or "")
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise SourceError(f"{path} is not a readable TrueType/OpenType font ({exc}); check the file you were given") from exc
    return SetFont(path=path, family=family or path.stem, sha256=sha256_file(path), cmap=cmap, uvs=uvs,
                   glyph_ids={n: i for i, n in enumerate(order)})


# ---- the join ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportItem:
    kind: str  # row_without_glyph, glyph_without_row, duplicate_id, duplicate_code, same_glyph, bad_value, blank_glyph
    line: int | None
    id: str
    code: str
    font: str
    glyph: str
    detail: str

    def as_row(self) -> dict[str, Any]:
        return {k: ("" if getattr(self, k) is None else getattr(self, k)) for k in REPORT_COLUMNS}


def _code_text(base: int | None, selector: int | None) -> str:
    if base is None:
        return ""
    return f"U+{base:04X}" + (f" U+{selector:04X}" if selector is not None else "")


def _find_glyph(row: TableRow, fonts: list[SetFont]) -> tuple[SetFont | None, str, str]:
    """(font, glyph name, why not) for one row."""
    pool = fonts
    if row.font:
        pool = [f for f in fonts if row.font in f.names()]
        if not pool:
            return None, "", f"font {row.font!r} is not one of the --font files ({', '.join(f.path.name for f in fonts)})"
    for font in pool:
        if row.glyph:
            if row.glyph.startswith("#") and row.glyph[1:].isdigit():
                gid = int(row.glyph[1:])
                names = list(font.glyph_ids)
                if gid < len(names):
                    return font, names[gid], ""
            elif row.glyph in font.glyph_ids:
                return font, row.glyph, ""
            continue
        if row.base is None:
            continue
        name = font.uvs.get((row.base, row.selector)) if row.selector is not None else font.cmap.get(row.base)
        if name:
            return font, name, ""
    what = f"glyph {row.glyph!r}" if row.glyph else _code_text(row.base, row.selector) or "no code"
    if row.selector is not None and any(row.base in f.cmap for f in pool):
        return None, "", f"{what}: the font draws the base character but not this variation sequence (cmap 14)"
    return None, "", f"{what}: not in {', '.join(f.path.name for f in pool)}"


@dataclass
class JoinedSet:
    records: list[SetRecord]
    glyphs: list[tuple[int, int] | None]  # per record: (font number, glyph index)
    report: list[ReportItem]


def join_set(name: str, table: SetTable, fonts: list[SetFont]) -> JoinedSet:
    """Join the list's rows to the fonts' glyphs; everything that does not fit is reported."""
    report: list[ReportItem] = []
    records: list[SetRecord] = []
    glyphs: list[tuple[int, int] | None] = []
    seen_ids: dict[str, int] = {}
    seen_codes: dict[tuple[int, int | None], str] = {}
    seen_glyphs: dict[tuple[int, str], str] = {}
    used: set[tuple[int, str]] = set()
    font_no = {id(f): i for i, f in enumerate(fonts)}
    for row in table.rows:
        code = _code_text(row.base, row.selector)
        for problem in row.problems:
            report.append(ReportItem("bad_value", row.line, row.id, code, row.font, row.glyph, problem))
        if not row.id:
            report.append(ReportItem("bad_value", row.line, "", code, row.font, row.glyph,
                                     "no identifier: row left out (fill the id column)"))
            continue
        if row.id in seen_ids:
            report.append(ReportItem("duplicate_id", row.line, row.id, code, row.font, row.glyph,
                                     f"identifier already on row {seen_ids[row.id]}: this row left out"))
            continue
        seen_ids[row.id] = row.line
        if row.base is not None:
            key = (row.base, row.selector)
            if key in seen_codes:
                report.append(ReportItem("duplicate_code", row.line, row.id, code, row.font, row.glyph,
                                         f"same code as {seen_codes[key]}: both kept"))
            else:
                seen_codes[key] = row.id
        font, glyph, why = _find_glyph(row, fonts)
        if font is None:
            report.append(ReportItem("row_without_glyph", row.line, row.id, code, row.font, row.glyph, why))
            glyphs.append(None)
        else:
            gkey = (font_no[id(font)], glyph)
            if gkey in seen_glyphs:
                report.append(ReportItem("same_glyph", row.line, row.id, code, font.path.name, glyph,
                                         f"drawn by the same glyph as {seen_glyphs[gkey]}: both kept"))
            else:
                seen_glyphs[gkey] = row.id
            used.add(gkey)
            glyphs.append((font_no[id(font)], font.glyph_ids[glyph]))
        char = ""
        if row.base is not None:
            char = chr(row.base) + (chr(row.selector) if row.selector is not None else "")
        records.append(
            SetRecord(
                set_name=name, id=row.id, char=char,
                ucs=f"U+{row.base:04X}" if row.base is not None else "",
                ivs=f"U+{row.selector:04X}" if row.selector is not None else "",
                private_use=row.base is not None and is_pua(row.base),
                readings=list(row.readings), radical=row.radical, inner_strokes=row.inner_strokes,
                total_strokes=row.strokes, related_mj=row.related_mj, related_ucs=row.related_ucs,
                koseki=row.koseki, juki=row.juki, note=row.note,
                font=font.path.name if font else "", font_name=font.family if font else "",
                glyph_name=glyph, has_glyph=font is not None, line=row.line,
            )
        )
    for number, font in enumerate(fonts):
        reachable: dict[str, str] = {}
        for cp, glyph in sorted(font.cmap.items()):
            reachable.setdefault(glyph, f"U+{cp:04X}")
        for (base, sel), glyph in sorted(font.uvs.items()):
            reachable.setdefault(glyph, f"U+{base:04X} U+{sel:04X}")
        for glyph, code in reachable.items():
            if glyph != ".notdef" and (number, glyph) not in used:
                report.append(ReportItem("glyph_without_row", None, "", code, font.path.name, glyph,
                                         "the font maps this code but no list row names it"))
    return JoinedSet(records=records, glyphs=glyphs, report=report)


# ---- rendering (worker processes) -----------------------------------------------------------

_FACES: list[Any] = []


def _init_faces(paths: list[str]) -> None:
    import freetype

    _FACES.clear()
    for p in paths:
        face = freetype.Face(p)
        face.set_pixel_sizes(0, RENDER_PX)
        _FACES.append(face)


def _render_set_chunk(args: tuple[int, list[tuple[int, int] | None]]) -> tuple[int, np.ndarray, list[int]]:
    start, items = args
    out = np.zeros((len(items), CANONICAL_SIZE, CANONICAL_SIZE), np.uint8)
    blank: list[int] = []
    for i, item in enumerate(items):
        if item is None:
            continue
        raster = face_glyph_raster(_FACES[item[0]], item[1])
        if raster is None:
            blank.append(start + i)
        else:
            out[i] = raster
    return start, out, blank


def render_set(font_paths: list[Path], glyphs: list[tuple[int, int] | None], out: np.ndarray, *,
               workers: int | None = None, progress: Progress = no_progress) -> list[int]:
    """Render every (font, glyph index) into *out*; returns the rows whose glyph has no ink."""
    chunk = 512
    jobs = [(s, glyphs[s : s + chunk]) for s in range(0, len(glyphs), chunk)]
    workers = workers or min(os.cpu_count() or 1, 4)
    paths = [str(p) for p in font_paths]
    blank: list[int] = []
    done = 0
    progress(0, len(glyphs), "rendering set glyphs")
    if workers <= 1 or len(jobs) <= 1:
        _init_faces(paths)
        results: Any = map(_render_set_chunk, jobs)
        pool = None
    else:
        pool = ProcessPoolExecutor(workers, initializer=_init_faces, initargs=(paths,))
        results = pool.map(_render_set_chunk, jobs)
    try:
        for start, block, b in results:
            out[start : start + len(block)] = block
            blank += b
            done += len(block)
            progress(done, len(glyphs), "rendering set glyphs")
    finally:
        if pool is not None:
            pool.shutdown()
    return blank


# ---- add / list / remove -------------------------------------------------------------------


@dataclass(frozen=True)
class AddSetSummary:
    name: str
    path: Path
    skipped: bool
    rows: int
    rows_with_glyph: int
    counts: dict[str, int]  # report kind → how many
    report: list[ReportItem]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "skipped": self.skipped, "rows": self.rows,
                "rows_with_glyph": self.rows_with_glyph, "counts": self.counts, "seconds": round(self.seconds, 2)}


def _build_key(fonts: list[SetFont], table_sha: str, columns: dict[str, str], sheet: str | None) -> dict[str, Any]:
    return {"format": SET_FORMAT, "render_version": RENDER_VERSION, "render_px": RENDER_PX,
            "canonical_size": CANONICAL_SIZE, "fonts": [f.sha256 for f in fonts], "table": table_sha,
            "columns": columns, "sheet": sheet}


def add_set(
    name: str,
    fonts: list[str | os.PathLike[str]],
    table: str | os.PathLike[str],
    *,
    home: Path | None = None,
    columns: dict[str, str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    force: bool = False,
    workers: int | None = None,
    progress: Progress = no_progress,
) -> AddSetSummary:
    """Install (or replace, or confirm up to date) the added set *name* under *home*."""
    started = time.monotonic()
    check_set_name(name)
    if not fonts:
        raise InputError("no --font given: an added set needs the fonts that draw its characters")
    target = sets_dir(home) / name
    progress(0, None, "reading the set's fonts")
    set_fonts = [open_set_font(Path(f)) for f in fonts]
    dup = {f.sha256 for f in set_fonts}
    if len(dup) != len(set_fonts):
        raise InputError("the same font file was given twice with --font; give each font once")
    table_path = Path(table)
    parsed = read_set_table(table_path, columns=columns, sheet=sheet, encoding=encoding)
    table_sha = sha256_file(table_path)
    key = _build_key(set_fonts, table_sha, parsed.columns, sheet)
    existing = target / "provenance.json"
    if not force and existing.is_file():
        try:
            old = json.loads(existing.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("key") == key and (target / "rasters.u8").is_file():
            report = read_report(target)
            return AddSetSummary(name=name, path=target, skipped=True, rows=old["counts"]["rows"],
                                 rows_with_glyph=old["counts"]["rows_with_glyph"], counts=old["counts"]["report"],
                                 report=report, seconds=time.monotonic() - started)
    joined = join_set(name, parsed, set_fonts)
    n = len(joined.records)
    try:
        with atomic_directory(target) as tmp:
            out = np.memmap(tmp / "rasters.u8", dtype=np.uint8, mode="w+", shape=(max(n, 1), CANONICAL_SIZE, CANONICAL_SIZE))
            blank = render_set([f.path for f in set_fonts], joined.glyphs, out, workers=workers, progress=progress)
            out.flush()
            del out
            records = joined.records
            for i in blank:
                r = records[i]
                joined.report.append(ReportItem("blank_glyph", r.line, r.id, r.ucs, r.font, r.glyph_name,
                                                "the glyph has no ink: kept, but it cannot be matched"))
            progress(0, None, "writing the set's records")
            _write_set_records(tmp / "records.sqlite", records)
            _write_report(tmp / "report.csv", joined.report)
            counts = _count(joined.report)
            provenance = {
                "key": key,
                "name": name,
                "tool": f"gaiji {__version__}",
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "sources": {
                    "fonts": [{"path": str(f.path.resolve()), "file": f.path.name, "family": f.family,
                               "sha256": f.sha256, "size": f.path.stat().st_size} for f in set_fonts],
                    "table": {"path": str(table_path.resolve()), "file": table_path.name, "sha256": table_sha,
                              "size": table_path.stat().st_size, "encoding": parsed.encoding, "sheet": sheet},
                },
                "columns": parsed.columns,
                "counts": {"rows": n, "rows_with_glyph": sum(r.has_glyph for r in records), "report": counts},
                "shape": [n, CANONICAL_SIZE, CANONICAL_SIZE],
            }
            with atomic_write(tmp / "provenance.json") as fh:
                json.dump(provenance, fh, ensure_ascii=False, indent=2)
    except OSError as exc:
        raise GaijiError(
            f"could not write the set under {target} ({exc.strerror or exc}); free disk space or set GAIJI_HOME "
            "to a folder you can write to (nothing half-written was left behind)"
        ) from exc
    return AddSetSummary(name=name, path=target, skipped=False, rows=n,
                         rows_with_glyph=sum(r.has_glyph for r in joined.records), counts=counts,
                         report=joined.report, seconds=time.monotonic() - started)


def _count(report: list[ReportItem]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in report:
        out[item.kind] = out.get(item.kind, 0) + 1
    return out


def _write_report(path: Path, report: list[ReportItem]) -> None:
    with atomic_write(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(REPORT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for item in report:
            writer.writerow(item.as_row())


def read_report(folder: Path) -> list[ReportItem]:
    path = folder / "report.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [ReportItem(r["kind"], int(r["line"]) if r["line"] else None, r["id"], r["code"], r["font"],
                           r["glyph"], r["detail"]) for r in csv.DictReader(fh)]


SET_SCHEMA = """
create table entries (idx integer primary key, id text unique not null, char text, ucs text, ivs text,
  koseki text, juki text, related_mj text, related_ucs text, font text, glyph text, has_glyph integer,
  data text not null);
create table chars (form text not null, idx integer not null);
create table readings (reading text not null, idx integer not null);
create index chars_form on chars(form);
create index readings_reading on readings(reading);
"""


def _write_set_records(path: Path, records: list[SetRecord]) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(SET_SCHEMA)
        con.executemany(
            "insert into entries values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ((i, r.id, r.char, r.ucs, r.ivs, r.koseki, r.juki, r.related_mj, r.related_ucs, r.font, r.glyph_name,
              int(r.has_glyph), json.dumps(r.to_dict(), ensure_ascii=False)) for i, r in enumerate(records)),
        )
        con.executemany("insert into chars values (?,?)",
                        ((form, i) for i, r in enumerate(records) for form in {r.char, r.char[:1]} - {""}))
        con.executemany("insert into readings values (?,?)",
                        ((x, i) for i, r in enumerate(records)
                         for x in {normalize_reading(y) for y in r.readings} - {""}))
        con.commit()
    finally:
        con.close()


@dataclass(frozen=True)
class SetInfo:
    name: str
    path: Path
    rows: int
    rows_with_glyph: int
    fonts: list[str]
    table: str
    built_at: str
    size_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "rows": self.rows, "rows_with_glyph": self.rows_with_glyph,
                "fonts": self.fonts, "table": self.table, "built_at": self.built_at, "size_bytes": self.size_bytes}


def list_sets(home: Path | None = None) -> list[SetInfo]:
    """The added sets installed under *home* (by name)."""
    folder = sets_dir(home)
    out: list[SetInfo] = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        prov = path / "provenance.json"
        if path.name.startswith(".") or not prov.is_file():
            continue
        try:
            data = json.loads(prov.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append(SetInfo(
            name=path.name, path=path, rows=data["counts"]["rows"], rows_with_glyph=data["counts"]["rows_with_glyph"],
            fonts=[f["file"] for f in data["sources"]["fonts"]], table=data["sources"]["table"]["file"],
            built_at=data.get("built_at", ""),
            size_bytes=sum(p.stat().st_size for p in path.rglob("*") if p.is_file()),
        ))
    return out


def remove_set(name: str, home: Path | None = None) -> Path:
    """Take the added set *name* out (its folder, with its cached match features)."""
    check_set_name(name)
    target = sets_dir(home) / name
    if not (target / "provenance.json").is_file():
        installed = ", ".join(s.name for s in list_sets(home)) or "none"
        raise InputError(f"no added set {name!r} under {sets_dir(home)} (installed: {installed}); "
                         "see `gaiji reference sets`")
    trash = target.with_name(f".{name}.removing")
    if trash.exists():
        shutil.rmtree(trash)
    os.replace(target, trash)  # gone from view at once; the delete may then take its time
    shutil.rmtree(trash, ignore_errors=True)
    _LOADED.pop(target, None)
    return target


# ---- loading -------------------------------------------------------------------------------


class ReferenceSet:
    """An installed added set, loaded: rasters memory-mapped, records in memory."""

    def __init__(self, directory: Path) -> None:
        self.home = directory
        self.name = directory.name
        try:
            self.provenance: dict[str, Any] = json.loads((directory / "provenance.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReferenceMissing(f"no usable added set in {directory} ({exc}); add it again with "
                                   "`gaiji reference add-set`") from exc
        n = int(self.provenance["shape"][0])
        self.rasters: np.ndarray = np.memmap(directory / "rasters.u8", dtype=np.uint8, mode="r",
                                             shape=(max(n, 1), CANONICAL_SIZE, CANONICAL_SIZE))[:n]
        con = sqlite3.connect(f"file:{directory / 'records.sqlite'}?mode=ro", uri=True)
        try:
            self.records = [SetRecord.from_dict(json.loads(r[0]))
                            for r in con.execute("select data from entries order by idx")]
        finally:
            con.close()
        self._index = {r.id: i for i, r in enumerate(self.records)}
        self.has_glyph = np.array([r.has_glyph for r in self.records], bool)
        key = self.provenance["key"]
        self.version_label = (f"{self.name} (list {key['table'][:12]}, fonts "
                              + ",".join(s[:12] for s in key["fonts"]) + f"; render {key['render_version']})")

    def __len__(self) -> int:
        return len(self.records)

    def index_of(self, set_id: str) -> int:
        try:
            return self._index[set_id]
        except KeyError:
            raise KeyError(f"{set_id!r} is not an identifier of the added set {self.name}") from None

    def record(self, set_id_or_index: str | int) -> SetRecord:
        i = set_id_or_index if isinstance(set_id_or_index, (int, np.integer)) else self.index_of(set_id_or_index)
        return self.records[int(i)]

    def glyph_image(self, set_id: str, px: int = 128) -> Any:
        """The entry's glyph as a greyscale picture (black on white), *px* square, from its
        canonical raster (the set's fonts are not opened again: they may have moved since the
        set was added). KeyError when the entry has no glyph."""
        from PIL import Image

        i = self.index_of(set_id)
        if not self.records[i].has_glyph:
            raise KeyError(f"{self.name} {set_id} has no glyph in the set's fonts")
        ink = np.asarray(self.rasters[i], np.uint8)
        margin = max(2, ink.shape[0] // 10)  # the raster is cropped to the ink: give it paper
        paper = np.zeros((ink.shape[0] + 2 * margin, ink.shape[1] + 2 * margin), np.uint8)
        paper[margin:-margin, margin:-margin] = ink
        return Image.fromarray(255 - paper, "L").resize((px, px), Image.Resampling.BICUBIC)

    def search(self, query: str, *, limit: int = 50) -> list[SetRecord]:
        """By identifier, character (± selector), ``U+XXXX``, reading, or the MJ number the
        list relates a row to."""
        from gaiji.readings import is_kana_query
        from gaiji.reference.settable import parse_code

        q = query.strip()
        if not q:
            return []
        if q in self._index:
            return [self.records[self._index[q]]]
        from gaiji.codes import format_mj, is_mj

        if is_mj(q):  # the rows the list relates to this MJ entry
            return [r for r in self.records if r.related_mj == format_mj(q)][:limit]
        if is_kana_query(q):
            norm = normalize_reading(q)
            return [r for r in self.records if norm in {normalize_reading(x) for x in r.readings}][:limit]
        try:
            base, sel = parse_code(q)
        except ValueError:
            return []
        if base is None:
            return []
        char = chr(base) + (chr(sel) if sel is not None else "")
        exact = [r for r in self.records if r.char == char]
        rest = [r for r in self.records if sel is None and r.char[:1] == char and r.char != char]
        return (exact + rest)[:limit]


_LOADED: dict[Path, ReferenceSet] = {}


def load_set(name: str, home: Path | None = None) -> ReferenceSet:
    target = sets_dir(home) / check_set_name(name)
    if not (target / "provenance.json").is_file():
        installed = ", ".join(s.name for s in list_sets(home)) or "none"
        raise ReferenceMissing(f"no added set {name!r} under {sets_dir(home)} (installed: {installed}); "
                               "add it with `gaiji reference add-set`")
    cached = _LOADED.get(target)
    mtime = (target / "provenance.json").stat().st_mtime_ns
    if cached is None or getattr(cached, "_mtime", None) != mtime:
        cached = ReferenceSet(target)
        cached._mtime = mtime  # type: ignore[attr-defined]
        _LOADED[target] = cached
    return cached


def load_sets(home: Path | None = None) -> list[ReferenceSet]:
    """Every installed added set, by name."""
    return [load_set(s.name, home) for s in list_sets(home)]
