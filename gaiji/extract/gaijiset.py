"""The gaiji set on disk (**contract**, see DESIGN.md): ``glyphs.csv``, ``glyphs/<id>.png``,
``provenance.json``.

``glyphs.csv`` is UTF-8 (no BOM), ``\\n`` line ends, one row per gaiji. Its first nine
columns are fixed: ``gaiji_id, source, code, width, height, reading, usage_count, note,
image``; then, added by this version: ``sjis_code`` (F040–F9FC for PUA U+E000–U+E757),
``charset`` (bitmap fonts: CHARSET_REGISTRY-CHARSET_ENCODING), ``blank`` (1 when the glyph has
no ink), ``duplicate_of`` (the first gaiji_id with an identical bitmap; duplicates are kept,
never merged). Readers must ignore columns they do not know.

Other stages read a set with :func:`read_gaiji_set`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from gaiji.errors import ContractError

log = logging.getLogger(__name__)

GLYPHS_CSV = "glyphs.csv"
GLYPHS_DIR = "glyphs"
PROVENANCE_JSON = "provenance.json"
CONTRACT_COLUMNS = (
    "gaiji_id",
    "source",
    "code",
    "width",
    "height",
    "reading",
    "usage_count",
    "note",
    "image",
)
EXTRA_COLUMNS = ("sjis_code", "charset", "blank", "duplicate_of")
COLUMNS = CONTRACT_COLUMNS + EXTRA_COLUMNS
#: written after those only when a ledger gave any (read back into ``GaijiRecord.extra``): the
#: radical and stroke count as the ledger wrote them, which the matcher reads as hints
LEDGER_HINT_COLUMNS = ("radical", "strokes")


@dataclass(frozen=True)
class GaijiRecord:
    """One row of ``glyphs.csv``."""

    gaiji_id: str
    source: str
    code: str
    width: int
    height: int
    reading: str
    usage_count: int | None
    note: str
    image: str
    set_dir: Path
    sjis_code: str = ""
    charset: str = ""
    blank: bool = False
    duplicate_of: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def image_path(self) -> Path:
        return self.set_dir / self.image

    def load_image(self) -> Image.Image:
        """The glyph bitmap as extracted (its own size and mode)."""
        from gaiji.errors import InputError
        from gaiji.render import load_image

        if not self.image_path.is_file():
            raise ContractError(
                f"{self.image_path}: image of {self.gaiji_id} is missing; re-run gaiji extract"
            )
        try:
            return load_image(self.image_path)
        except InputError as exc:
            raise ContractError(f"{exc}; re-run gaiji extract") from exc


@dataclass
class GaijiSet:
    path: Path
    records: list[GaijiRecord]
    provenance: dict[str, object]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[GaijiRecord]:
        return iter(self.records)

    def __getitem__(self, gaiji_id: str) -> GaijiRecord:
        for r in self.records:
            if r.gaiji_id == gaiji_id:
                return r
        raise KeyError(gaiji_id)

    @property
    def ids(self) -> list[str]:
        return [r.gaiji_id for r in self.records]

    @property
    def extract_problems(self) -> list[str]:
        """What extract could not read into this set (damaged files and glyphs, unreadable
        files): a set with problems is **partial** — gaiji may be missing from it."""
        return partial_set_problems(self.provenance)


def partial_set_problems(provenance: dict[str, object]) -> list[str]:
    """The problems extract recorded in a set's provenance (empty for a complete set)."""
    summary = provenance.get("summary")
    if not isinstance(summary, dict):
        return []
    out = [str(p) for p in summary.get("problems") or []]
    for src in summary.get("sources") or []:
        if isinstance(src, dict) and src.get("error"):
            out.append(str(src["error"]))
    return out


def partial_set_warning(path: Path, problems: list[str]) -> str:
    """One line saying a set is partial, for every stage after extract to show."""
    first = problems[0] if problems else ""
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return (f"{path} is a partial gaiji set: extract could not read {len(problems)} file(s)/glyph(s), "
            f"so gaiji may be missing — first: {first}{more}. Fix the sources and re-run "
            f"`gaiji extract`, or go on knowing the set is incomplete (its provenance.json lists them)")


def framed_pictures(provenance: dict[str, object]) -> list[str]:
    """The gaiji whose pictures extract found straight lines of ink along the edges of
    (:mod:`gaiji.extract.frames`: cell borders of a scanned ledger, or a tight enclosure)."""
    summary = provenance.get("summary")
    return [str(g) for g in summary.get("framed") or []] if isinstance(summary, dict) else []


def framed_warning(path: Path, framed: list[str]) -> str:
    """One line for every stage after extract: those pictures' candidates may read a border."""
    more = f" (+{len(framed) - 1} more)" if len(framed) > 1 else ""
    return (f"{path}: {len(framed)} picture(s) have straight lines of ink along their edges — first: "
            f"{framed[0]}{more}. If they are the cell borders of a scanned ledger, the matcher reads them "
            f"as part of the glyph and their candidates are wrong: crop the pictures inside the borders "
            f"and re-run `gaiji extract` (a glyph's own enclosure cropped tight, 國 or 門, is fine)")


FREE_TEXT_COLUMNS = ("source", "reading", "note", "charset", "code")
"""Columns whose text comes from outside (file names, ledgers): neutralised when written
(:mod:`gaiji.csvsafe`) and given back by :func:`read_gaiji_set`. Ids are inert by
construction (:func:`gaiji.extract.glyph.safe_id`)."""


def rows_to_csv(rows: list[dict[str, str]]) -> str:
    """Serialise rows (dicts keyed by :data:`COLUMNS`) to the glyphs.csv text; cells a
    spreadsheet would run as formulas and control characters are neutralised."""
    from gaiji.csvsafe import neutralise

    buf = io.StringIO()
    columns = [*COLUMNS, *(c for c in LEDGER_HINT_COLUMNS if any(row.get(c) for row in rows))]
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for row in rows:
        w.writerow({c: neutralise(row.get(c, "")) if c in FREE_TEXT_COLUMNS or c in LEDGER_HINT_COLUMNS
                    else row.get(c, "") for c in columns})
    return buf.getvalue()


def _int(value: str, what: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ContractError(f"{where}: {what} {value!r} is not a whole number") from None


def require_gaiji_set(path: str | Path) -> Path:
    """*path* if it holds a gaiji set's ``glyphs.csv``; else a :class:`ContractError` saying how to make one."""
    root = Path(path)
    if not (root / GLYPHS_CSV).is_file():
        raise ContractError(
            f"{root}: not a gaiji set (no {GLYPHS_CSV}); make one with `gaiji extract SOURCE… -o {root}`"
        )
    return root


def _inside(path: str, resolved_root: str) -> bool:
    return path == resolved_root or path.startswith(resolved_root.rstrip(os.sep) + os.sep)


def _resolves_inside(path: str, resolved_root: str, folders: dict[str, tuple[bool, frozenset[str]]]) -> bool:
    """Whether ``path`` resolves (symbolic links followed) to somewhere inside ``resolved_root``
    (itself resolved), as ``os.path.realpath(path)`` would say — with each folder resolved and
    listed once for all its files: a file inside a folder that resolves inside the root is
    inside unless it is a symbolic link itself (then it is resolved alone). A set of 13,000
    glyphs spent 0.4 s here with ``pathlib`` and one ``lstat`` per file."""
    parent, name = os.path.split(path)
    if name in ("", ".", ".."):
        return _inside(os.path.realpath(path), resolved_root)
    folder = folders.get(parent)
    if folder is None:
        try:
            with os.scandir(parent or ".") as entries:
                links = frozenset(e.name for e in entries if e.is_symlink())
        except OSError:  # missing or not a folder: nothing in it is a link
            links = frozenset()
        folder = folders[parent] = (_inside(os.path.realpath(parent or "."), resolved_root), links)
    inside, links = folder
    if name in links:
        return _inside(os.path.realpath(path), resolved_root)
    return inside


def read_gaiji_set(path: str | Path) -> GaijiSet:
    """Read a gaiji set folder written by ``gaiji extract`` (or by hand, following the
    contract). Raises :class:`ContractError` saying what is wrong."""
    root = require_gaiji_set(path)
    csv_path = root / GLYPHS_CSV
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"{csv_path}: not UTF-8 (byte {exc.start}); re-save it as UTF-8"
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in CONTRACT_COLUMNS if c not in header]
    if missing:
        raise ContractError(
            f"{csv_path}: missing columns {', '.join(missing)}; the contract needs {', '.join(CONTRACT_COLUMNS)}"
        )
    from gaiji.csvsafe import unneutralise

    records: list[GaijiRecord] = []
    seen: set[str] = set()
    root_text = str(root)
    resolved_root = os.path.realpath(root_text)
    folders: dict[str, tuple[bool, frozenset[str]]] = {}
    for lineno, row in enumerate(reader, 2):
        where = f"{csv_path} line {lineno}"
        for c in FREE_TEXT_COLUMNS:
            if row.get(c):
                row[c] = unneutralise(row[c])
        gid = (row.get("gaiji_id") or "").strip()
        if not gid:
            raise ContractError(f"{where}: empty gaiji_id")
        if gid in seen:
            raise ContractError(
                f"{where}: gaiji_id {gid!r} appears twice; ids must be unique in a set"
            )
        seen.add(gid)
        image = (row.get("image") or "").strip() or f"{GLYPHS_DIR}/{gid}.png"
        if not _resolves_inside(os.path.join(root_text, image), resolved_root, folders):
            raise ContractError(f"{where}: image path {image!r} points outside the set folder")
        usage = (row.get("usage_count") or "").strip()
        extra = {
            k: v for k, v in row.items() if k not in COLUMNS and k is not None and v is not None
        }
        records.append(
            GaijiRecord(
                gaiji_id=gid,
                source=row.get("source") or "",
                code=row.get("code") or "",
                width=_int(row.get("width") or "0", "width", where),
                height=_int(row.get("height") or "0", "height", where),
                reading=row.get("reading") or "",
                usage_count=_int(usage, "usage_count", where) if usage else None,
                note=row.get("note") or "",
                image=image,
                set_dir=root,
                sjis_code=row.get("sjis_code") or "",
                charset=row.get("charset") or "",
                blank=(row.get("blank") or "").strip() in ("1", "true", "True"),
                duplicate_of=row.get("duplicate_of") or "",
                extra=extra,
            )
        )
    provenance: dict[str, object] = {}
    prov_path = root / PROVENANCE_JSON
    if prov_path.is_file():
        try:
            provenance = json.loads(prov_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ContractError(f"{prov_path}: not valid JSON ({exc})") from exc
    gset = GaijiSet(root, records, provenance)
    problems = gset.extract_problems
    if problems:
        log.warning("%s", partial_set_warning(root, problems))
    framed = framed_pictures(provenance)
    if framed:
        log.warning("%s", framed_warning(root, framed))
    return gset
