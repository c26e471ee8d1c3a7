"""``extract_gaiji_set``: read sources, write one gaiji set, report what happened.

Rules:

* Ids: fonts and bitmap fonts ``<file stem>-<code hex>`` (``EUDC-E000``, ``vendor16-7521``);
  images the file stem. Rows keep source order (as given, folders sorted) then code order, so
  re-running over the same inputs gives a byte-identical ``glyphs.csv`` and identical PNGs.
* Two glyphs with the same id (two fonts called ``EUDC.TTE``, ``a.png`` beside ``a.bmp``)
  are never disambiguated silently: the later one is reported as a problem naming both
  files, and left out; rename one of the files.
* One unreadable file never loses the others: it is reported (``summary.problems`` /
  failed sources) and the set holds everything else. ``strict=True`` writes nothing if
  anything failed.
* Identical bitmaps under different codes are kept and marked ``duplicate_of``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from gaiji import __version__
from gaiji.errors import InputError, OutputError
from gaiji.extract.bitmapfonts import read_bitmap_font
from gaiji.extract.collect import IMAGE_FOLDER, Source, collect_sources, safe_resolve
from gaiji.extract.fonts import PUA_RANGES, format_ranges, read_font
from gaiji.extract.frames import has_border
from gaiji.extract.gaijiset import GLYPHS_CSV, GLYPHS_DIR, PROVENANCE_JSON, rows_to_csv
from gaiji.extract.glyph import Glyph, Problem
from gaiji.extract.images import read_images
from gaiji.extract.join import join_ledgers
from gaiji.extract.ledger import Ledger, read_ledger
from gaiji.extract.summary import ExtractSummary, SourceReport
from gaiji.fsutil import atomic_directory, atomic_write, sha256_file
from gaiji.progress import Progress, no_progress
from gaiji.render import grey_on_white, has_transparency, is_blank

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractOptions:
    code_ranges: tuple[tuple[int, int], ...] = PUA_RANGES
    """Fonts: which code points are gaiji (default: the Private Use Areas)."""
    px: int | None = None
    """Fonts: pixels per em for outlines (default 64) or the bitmap strike to use."""
    encoding: str | None = None
    """Ledgers: force a text encoding instead of detecting UTF-8 / UTF-8-BOM / CP932."""
    strict: bool = False
    """Write nothing when any file or glyph could not be read."""
    max_image_pixels: int = 25_000_000
    replace_later_stages: bool = False
    """Replace an existing set even if later stages left files in it (review.sqlite,
    candidates.csv …); by default that is refused, so no review record is lost by accident."""



def _glyphs_of(
    src: Source, options: ExtractOptions, progress: Progress
) -> Iterator[Glyph | Problem]:
    if src.kind == "font":
        return read_font(
            src.path, code_ranges=options.code_ranges, px=options.px, progress=progress
        )
    if src.kind in ("bdf", "pcf"):
        return read_bitmap_font(src.path, src.kind, progress=progress)
    if src.kind == IMAGE_FOLDER:
        return read_images(src.files, max_pixels=options.max_image_pixels, progress=progress)
    raise InputError(f"{src.path}: cannot read sources of kind {src.kind!r}")


def _pixel_digest(glyph: Glyph) -> str:
    """What the glyph shows, for finding identical ones: grey levels — for an image with
    transparency, as drawn on white (a glyph drawn in its alpha channel alone has colour
    channels all black, and two such would look identical in grey)."""
    im = glyph.image
    if has_transparency(im):
        arr = np.round(grey_on_white(im) * 255).astype(np.uint8)
    else:
        arr = np.asarray(im.convert("L"), dtype=np.uint8)
    return hashlib.sha256(f"{arr.shape}".encode() + arr.tobytes()).hexdigest()


_OWN_FILES = {GLYPHS_CSV, GLYPHS_DIR, PROVENANCE_JSON}


def _check_output(output: Path, sources: Sequence[Path], replace_later_stages: bool) -> None:
    if output.exists():
        if not output.is_dir():
            raise InputError(f"{output}: exists and is not a folder; choose another -o")
        if any(output.iterdir()) and not (output / GLYPHS_CSV).is_file():
            raise InputError(
                f"{output}: exists and is not a gaiji set; refusing to replace it — choose an empty or new -o folder"
            )
        later = sorted(
            p.name
            for p in output.iterdir()
            if p.name not in _OWN_FILES and not p.name.startswith(".")
        )
        if later and not replace_later_stages:
            raise InputError(
                f"{output}: the set also holds {', '.join(later)} from later stages (review decisions, "
                f"candidates); re-extracting would discard them — write to a new -o folder, or pass "
                f"--replace to discard them"
            )
    out_resolved = safe_resolve(output)
    for s in sources:
        sr = safe_resolve(s)
        if sr == out_resolved or sr.is_relative_to(out_resolved):
            raise InputError(
                f"{s}: the source lies inside the output folder {output}; write the set elsewhere"
            )


def extract_gaiji_set(
    sources: Sequence[str | Path],
    output: str | Path,
    *,
    options: ExtractOptions = ExtractOptions(),
    progress: Progress = no_progress,
) -> ExtractSummary:
    """Read every SOURCE (fonts, bitmap fonts, images, image folders, ledger CSVs) into one
    gaiji set at *output*, written atomically. Returns the :class:`ExtractSummary`.

    Raises :class:`InputError` when nothing at all could be read, or — with
    ``options.strict`` — when anything could not be read; then nothing is written.
    """
    if not sources:
        raise InputError("no SOURCE given; name a font, bitmap font, image folder or ledger CSV")
    out = Path(output)
    paths = [Path(s) for s in sources]
    _check_output(out, paths, options.replace_later_stages)
    collected, warnings = collect_sources(paths, exclude=out)
    summary = ExtractSummary(output=str(out), warnings=list(warnings))
    provenance_sources: list[dict[str, object]] = []
    rows: list[dict[str, str]] = []
    ledgers: list[Ledger] = []
    ids: dict[str, str] = {}  # gaiji_id → the source path it came from
    digests: dict[str, list[str]] = {}

    with atomic_directory(out) as tmp:
        (tmp / GLYPHS_DIR).mkdir()
        for src in collected:
            report = SourceReport(path=str(src.path), kind=src.kind, error=src.error)
            summary.sources.append(report)
            if src.error:
                continue
            if src.kind == "ledger":
                try:
                    ledger = read_ledger(src.path, encoding=options.encoding)
                except Exception as exc:  # noqa: BLE001 - one input never stops the others
                    report.error = _failure_text(src.path, exc)
                    continue
                ledgers.append(ledger)
                report.ledger_rows, report.encoding = len(ledger.rows), ledger.encoding
                summary.warnings.extend(ledger.warnings)
                provenance_sources.append(
                    _file_provenance(src.path, "ledger", encoding=ledger.encoding)
                )
                continue
            written: list[Path] = []
            new_rows: list[dict[str, str]] = []
            new_digests: list[tuple[str, str]] = []
            try:
                for item in _glyphs_of(src, options, progress):
                    if isinstance(item, Problem):
                        summary.problems.append(str(item))
                        continue
                    clash = ids.get(item.gaiji_id)
                    if clash is not None:
                        summary.problems.append(
                            f"{src.path}: gaiji id {item.gaiji_id!r} is already used by {clash}; "
                            f"left out — rename one of the files (ids are <file stem>-<code> for fonts, the file stem for images)"
                        )
                        continue
                    if src.kind == IMAGE_FOLDER and has_border(item.image):
                        summary.framed.append(item.gaiji_id)  # reported, kept as it is
                    png = tmp / GLYPHS_DIR / f"{item.gaiji_id}.png"
                    try:
                        item.image.save(png, format="PNG", optimize=False)
                    except OSError as exc:
                        raise OutputError(f"cannot write {png}: {exc}; free disk space or choose another -o") from exc
                    written.append(png)
                    ids[item.gaiji_id] = str(src.path)
                    blank = is_blank(item.image)
                    if blank:
                        summary.blank.append(item.gaiji_id)
                        report.blank += 1
                    else:
                        new_digests.append((_pixel_digest(item), item.gaiji_id))
                    row = _row(item, blank)
                    if src.kind == IMAGE_FOLDER:
                        row["_image"] = "1"  # its code is the file stem until a ledger gives one
                    new_rows.append(row)
            except OutputError:
                raise
            except Exception as exc:  # noqa: BLE001 - one input never stops the others
                # a source that fails as a whole contributes nothing; its files are removed
                report.error = _failure_text(src.path, exc)
                for p in written:
                    p.unlink(missing_ok=True)
                for r in new_rows:
                    ids.pop(r["gaiji_id"], None)
                    if r["blank"]:
                        summary.blank.remove(r["gaiji_id"])
                report.blank = 0
                continue
            rows.extend(new_rows)
            for digest, gid in new_digests:
                digests.setdefault(digest, []).append(gid)
            report.glyphs = len(new_rows)
            provenance_sources.append(_source_provenance(src, len(new_rows)))

        if ledgers:
            summary.ledger_given = True
            joined = join_ledgers(rows, ledgers, summary)
            for report in summary.sources:
                report.ledger_joined = joined.get(report.path, report.ledger_joined)

        summary.duplicates = [g for g in digests.values() if len(g) > 1]
        first_of = {gid: g[0] for g in summary.duplicates for gid in g[1:]}
        for r in rows:
            r["duplicate_of"] = first_of.get(r["gaiji_id"], "")
        summary.glyph_count = len(rows)

        if not rows:
            raise InputError(
                "no glyphs could be read, so no gaiji set was written:\n" + summary.format_text()
            )
        if options.strict and not summary.ok:
            raise InputError(
                "--strict: some input could not be read, so no gaiji set was written:\n"
                + summary.format_text()
            )
        (tmp / GLYPHS_CSV).write_text(rows_to_csv(rows), encoding="utf-8", newline="")
        provenance = {
            "stage": "extract",
            "tool": {"name": "gaiji", "version": __version__},
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "options": {
                "codes": format_ranges(options.code_ranges),
                "px": options.px,
                "encoding": options.encoding,
                "strict": options.strict,
            },
            "sources": provenance_sources,
            "glyph_count": len(rows),
            "summary": summary.to_dict() | {"written": True},
        }
        with atomic_write(tmp / PROVENANCE_JSON) as fh:
            json.dump(provenance, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        summary.written = True
    return summary


def _failure_text(path: Path, exc: BaseException) -> str:
    """What to tell about a source that failed as a whole. A :class:`GaijiError` already says
    it; anything else is a decoder failing on damaged data."""
    from gaiji.errors import GaijiError

    if isinstance(exc, GaijiError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"{path}: reading it needs more memory than a gaiji source may use; the file is corrupt"
    if isinstance(exc, RecursionError):
        return f"{path}: the file nests too deeply to be read; it is corrupt"
    return (f"{path}: cannot be read ({type(exc).__name__}: {exc}); the file is damaged — "
            "copy it again from the source system")


def _row(g: Glyph, blank: bool) -> dict[str, str]:
    return {
        "gaiji_id": g.gaiji_id,
        "source": g.source,
        "code": g.code,
        "width": str(g.image.width),
        "height": str(g.image.height),
        "reading": "",
        "usage_count": "",
        "note": "",
        "image": f"{GLYPHS_DIR}/{g.gaiji_id}.png",
        "sjis_code": g.sjis_code,
        "charset": g.charset,
        "blank": "1" if blank else "",
        "duplicate_of": "",
        "radical": "",
        "strokes": "",
    }


def _file_provenance(path: Path, kind: str, **extra: object) -> dict[str, object]:
    return {
        "path": str(path.resolve()),
        "name": path.name,
        "kind": kind,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        **extra,
    }


def _source_provenance(src: Source, glyphs: int) -> dict[str, object]:
    if src.kind == IMAGE_FOLDER:
        return {
            "path": str(src.path.resolve()),
            "name": src.path.name,
            "kind": IMAGE_FOLDER,
            "glyphs": glyphs,
            "files": [
                {
                    "name": str(f.relative_to(src.path)) if f != src.path else f.name,
                    "sha256": sha256_file(f),
                }
                for f in src.files
            ],
        }
    return _file_provenance(src.path, src.kind, glyphs=glyphs)
