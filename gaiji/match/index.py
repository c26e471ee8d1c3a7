"""The match index: reference features, the learned projection and the confidence calibration,
cached under ``<reference.home>/match/`` and memory-mapped.

The cache folder is keyed by the reference version and the feature / projection /
calibration versions; a stale or missing index is rebuilt (atomically: a half-built index is
never seen) the first time it is needed, or on demand with ``rebuild=True``.

Files: ``meta.json`` (key, versions, build times, training fonts, calibration),
``features.f32`` (N×512 unprojected), ``projected.f32`` (N×256), ``projection.npz``,
``projected_small.f32`` / ``projection_small.npz`` (the projection for 12–16 px bitmaps),
``rows.json`` (per row: MJ, char, UCS, IVS, readings, radicals, strokes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.errors import ReferenceMissing
from gaiji.fsutil import atomic_directory
from gaiji.match.confidence import CALIBRATION_VERSION, Calibration
from gaiji.match.features import FEATURE_DIM, FEATURE_VERSION, glyph_features
from gaiji.match.projection import PROJECTION_VERSION, Projection
from gaiji.progress import Progress, no_progress
from gaiji.readings import normalize_reading

log = logging.getLogger(__name__)

INDEX_FORMAT = "1"
TRAINING_CLASSES = 2500
CALIBRATION_CHARS = 2000
SEED = 20240501


@dataclass(frozen=True)
class RowInfo:
    """What the matcher needs to know about one reference row."""

    mj: str
    char: str
    ucs: str
    ivs: str
    base_char: str
    readings: tuple[str, ...]  # normalised (hiragana)
    radicals: tuple[tuple[int, int], ...]
    total_strokes: int | None


@dataclass
class MatchIndex:
    """A loaded match index (arrays memory-mapped from the cache folder)."""

    path: Path
    meta: dict[str, Any]
    features: np.ndarray  # (N, 512) float32
    projected: np.ndarray  # (N, 256) float32
    projection: Projection
    rows: list[RowInfo]
    searchable: np.ndarray  # row numbers that have a glyph
    small_projection: Projection | None = None  # for queries of at most SMALL_SIDE px
    small_projected: np.ndarray | None = None
    calibration: Calibration | None = None
    small_calibration: Calibration | None = None
    _searcher: Any = field(default=None, repr=False)
    _small_searcher: Any = field(default=None, repr=False)

    @property
    def reference_version(self) -> str:
        return str(self.meta.get("reference_version", ""))

    def learned_chars(self) -> set[str]:
        """Characters the projection and calibration were fitted on (keep them out of tests)."""
        path = self.path / "training_chars.txt"
        if not path.is_file():
            return set()
        lines = path.read_text(encoding="utf-8").splitlines()
        return {c for line in lines if not line.startswith("#") for c in line}

    @property
    def searcher(self):  # type: ignore[no-untyped-def]
        if self._searcher is None:
            from gaiji.match.search import FlatSearcher, truncated

            self._searcher = FlatSearcher(truncated(self.projected[self.searchable]), self.searchable)
        return self._searcher

    @property
    def small_searcher(self):  # type: ignore[no-untyped-def]
        if self.small_projected is None:
            return self.searcher
        if self._small_searcher is None:
            from gaiji.match.search import FlatSearcher, truncated

            self._small_searcher = FlatSearcher(truncated(self.small_projected[self.searchable]), self.searchable)
        return self._small_searcher


def index_key(reference: Any) -> str:
    """Cache key: reference provenance + every version that changes the index's content."""
    parts = {
        "reference": reference.version_label,
        "reference_key": reference.version.get("key"),
        "rows": len(reference),
        "format": INDEX_FORMAT,
        "feature": FEATURE_VERSION,
        "projection": PROJECTION_VERSION,
        "calibration": CALIBRATION_VERSION,
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:16]


def index_dir(reference: Any) -> Path:
    """``<reference.home>/match``, or the user cache when the reference folder is read-only."""
    home = Path(reference.home)
    if os.access(home, os.W_OK) or (home / "match" / "meta.json").is_file():
        return home / "match"
    from gaiji.paths import gaiji_cache

    return gaiji_cache() / "match"


def load_match_index(
    reference: Any, *, rebuild: bool = False, progress: Progress = no_progress
) -> MatchIndex:
    """The match index for ``reference``, building (and caching) it when missing or stale."""
    folder = index_dir(reference)
    key = index_key(reference)
    meta_path = folder / "meta.json"
    stale = True
    if meta_path.is_file() and not rebuild:
        try:
            stale = json.loads(meta_path.read_text(encoding="utf-8")).get("key") != key
        except ValueError:
            stale = True
    if stale:
        build_match_index(reference, folder, key=key, progress=progress)
        _LOADED.pop(folder, None)
    cached = _LOADED.get(folder)
    if cached is None or cached.meta.get("key") != key:
        cached = _LOADED[folder] = open_match_index(folder)
    return cached


_LOADED: dict[Path, MatchIndex] = {}


def open_match_index(folder: Path) -> MatchIndex:
    """Open a built index folder (no staleness check)."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        n = int(meta["rows"])
        # plain ndarray views of the memory maps: fancy indexing on np.memmap is slow
        features = np.asarray(np.memmap(folder / "features.f32", np.float32, "r", shape=(n, FEATURE_DIM)))
        projection = Projection.load(folder / "projection.npz")
        dim = projection.matrix.shape[1]
        projected = np.asarray(np.memmap(folder / "projected.f32", np.float32, "r", shape=(n, dim)))
        small_projection = Projection.load(folder / "projection_small.npz")
        small_projected = np.asarray(
            np.memmap(folder / "projected_small.f32", np.float32, "r", shape=(n, small_projection.matrix.shape[1]))
        )
        rows_raw = json.loads((folder / "rows.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise ReferenceMissing(
            f"the match index in {folder} is unreadable ({exc}); rebuild it with `gaiji match --rebuild-index`"
        ) from exc
    rows = [
        RowInfo(
            mj=r[0], char=r[1], ucs=r[2], ivs=r[3], base_char=r[4], readings=tuple(r[5]),
            radicals=tuple((int(a), int(b)) for a, b in r[6]), total_strokes=r[7],
        )
        for r in rows_raw
    ]
    cal = meta.get("calibration")
    return MatchIndex(
        path=folder,
        meta=meta,
        features=features,
        projected=projected,
        projection=projection,
        rows=rows,
        searchable=np.asarray(meta["searchable"], np.int64) if "searchable" in meta else np.arange(n),
        small_projection=small_projection,
        small_projected=small_projected,
        calibration=Calibration.from_dict(cal) if cal else None,
        small_calibration=Calibration.from_dict(meta["calibration_small"]) if meta.get("calibration_small") else None,
    )


def reference_rows(reference: Any) -> list[RowInfo]:
    """Per-row metadata of the reference, read in one pass."""
    out: list[RowInfo] = []
    for i in range(len(reference)):
        rec = reference.record(i)
        readings = tuple(dict.fromkeys(n for n in (normalize_reading(r) for r in rec.readings) if n))
        out.append(
            RowInfo(
                mj=rec.mj, char=rec.char, ucs=rec.ucs, ivs=rec.ivs, base_char=rec.base_char,
                readings=readings, radicals=tuple(tuple(r) for r in rec.radicals),  # type: ignore[misc]
                total_strokes=rec.total_strokes,
            )
        )
    return out


def unique_glyph_chars(rows: list[RowInfo], has_glyph: np.ndarray) -> list[str]:
    """Ideographs drawn by exactly one MJ glyph (no variants): safe class labels."""
    counts: dict[str, int] = {}
    for row, has in zip(rows, has_glyph):
        if has and row.base_char:
            counts[row.base_char] = counts.get(row.base_char, 0) + 1
    return sorted(
        c for c, n in counts.items() if n == 1 and len(c) == 1 and _is_ideograph(c)
    )


def _is_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF


def build_match_index(
    reference: Any, folder: Path, *, key: str | None = None, progress: Progress = no_progress
) -> dict[str, Any]:
    """Compute everything the matcher needs and write it atomically to ``folder``."""
    from gaiji.match.projection import SMALL_KIND_WEIGHTS, build_projection

    started = time.monotonic()
    key = key or index_key(reference)
    n = len(reference)
    has_glyph = np.asarray(reference.has_glyph, bool)
    progress(0, n, "reading reference rows")
    rows = reference_rows(reference)
    t0 = time.monotonic()
    features = np.zeros((n, FEATURE_DIM), np.float32)
    step = 4096
    for i in range(0, n, step):
        features[i : i + step] = glyph_features(np.asarray(reference.rasters[i : i + step]))
        progress(min(i + step, n), n, "reference features")
    features[~has_glyph] = 0
    feature_seconds = time.monotonic() - t0

    rng = np.random.default_rng(SEED)
    pool = unique_glyph_chars(rows, has_glyph)
    from gaiji.match.projection import TRAINING_FONTS, installed
    from gaiji.match.synth import FontRenderer

    common = [f for f in installed(TRAINING_FONTS)]
    if common:
        first = FontRenderer(common[0])
        pool_common = [c for c in pool if first.has(c)]
    else:
        pool_common = pool
    shuffled = list(rng.permutation(pool_common))
    train_chars = shuffled[:TRAINING_CLASSES]
    calib_chars = shuffled[TRAINING_CLASSES : TRAINING_CLASSES + CALIBRATION_CHARS]
    projection, projection_info = build_projection(
        train_chars, reference_font=getattr(reference, "font_path", None), seed=SEED, progress=progress
    )
    projected = projection.project(features)
    projected[~has_glyph] = 0
    small_projection, small_info = build_projection(
        train_chars, reference_font=getattr(reference, "font_path", None), seed=SEED + 2,
        weights=SMALL_KIND_WEIGHTS, progress=progress,
    )
    small_projected = small_projection.project(features)
    small_projected[~has_glyph] = 0
    searchable = np.flatnonzero(has_glyph)

    with atomic_directory(folder) as tmp:
        mm = np.memmap(tmp / "features.f32", np.float32, "w+", shape=features.shape)
        mm[:] = features
        mm.flush()
        mp = np.memmap(tmp / "projected.f32", np.float32, "w+", shape=projected.shape)
        mp[:] = projected
        mp.flush()
        ms = np.memmap(tmp / "projected_small.f32", np.float32, "w+", shape=small_projected.shape)
        ms[:] = small_projected
        ms.flush()
        del mm, mp, ms
        projection.save(tmp / "projection.npz")
        small_projection.save(tmp / "projection_small.npz")
        (tmp / "training_chars.txt").write_text(
            "# characters the projection learned from, then those the calibration was fitted on\n"
            + "".join(train_chars) + "\n" + "".join(calib_chars) + "\n",
            encoding="utf-8",
        )
        (tmp / "rows.json").write_text(
            json.dumps(
                [[r.mj, r.char, r.ucs, r.ivs, r.base_char, list(r.readings),
                  [list(x) for x in r.radicals], r.total_strokes] for r in rows],
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        meta: dict[str, Any] = {
            "key": key,
            "format": INDEX_FORMAT,
            "reference_version": reference.version_label,
            "reference_font": str(getattr(reference, "font_path", "") or ""),
            "feature_version": FEATURE_VERSION,
            "projection_version": PROJECTION_VERSION,
            "calibration_version": CALIBRATION_VERSION,
            "rows": n,
            "searchable": searchable.tolist(),
            "projection": projection_info,
            "projection_small": small_info,
            "feature_seconds": round(feature_seconds, 1),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        # calibrate against the index as it will be used
        partial = open_match_index(tmp)
        from gaiji.match.calibrate import calibrate_index

        calibration, small_cal, cal_info = calibrate_index(partial, calib_chars, seed=SEED, progress=progress)
        meta["calibration"] = calibration.to_dict() if calibration else None
        meta["calibration_small"] = small_cal.to_dict() if small_cal else None
        meta["calibration_info"] = cal_info
        meta["build_seconds"] = round(time.monotonic() - started, 1)
        meta["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        meta["pid"] = os.getpid()
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    log.info("match index built in %.1f s at %s", meta["build_seconds"], folder)
    return meta
