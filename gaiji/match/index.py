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

INDEX_FORMAT = "3"  # 2: look-alikes (crowd) and the edited-glyph screen; 3: look-alikes read by the pair network too
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
    # match v2
    pooled: np.ndarray | None = None  # (N, 32, 32) uint8 rasters for the verifier
    groups: np.ndarray | None = None  # (N,) int: rows of one character share a group
    verifier: Any = None  # gaiji.match.verify.Verifier
    trust: Any = None  # gaiji.match.trust.TrustModel
    #: per row, the verifier's logit that its closest glyph of another character is the same, and
    #: that glyph's row (gaiji.match.lookalikes); None in an index built without a verifier
    crowd: np.ndarray | None = None
    crowd_row: np.ndarray | None = None
    pair_cnn: Any = None  # gaiji.match.pair_cnn.PairCNN: reads the best candidates' pictures; None: not shipped
    #: the reference's canonical (N, 64, 64) rasters (a memory map), for what ranks MJ glyphs as
    #: queries (gaiji.match.lookalikes); set by load_match_index, None when opened from a folder alone
    reference_rasters: Any = None
    _searcher: Any = field(default=None, repr=False)
    _small_searcher: Any = field(default=None, repr=False)
    _edited_screen: Any = field(default=None, repr=False)  # gaiji.match.edited's low-dimension screen
    _pooled_profiles: Any = field(default=None, repr=False)
    _reading_lookup: Any = field(default=None, repr=False)  # gaiji.match.reading_candidates.ReadingLookup

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
    def pooled_profiles(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Column and row ink sums of every pooled raster (:func:`gaiji.match.verify.ink_profiles`,
        15 MB for MJ, 0.1 s), worked out on first use; None without pooled rasters."""
        if self.pooled is None:
            return None
        if self._pooled_profiles is None:
            from gaiji.match.verify import ink_profiles

            self._pooled_profiles = ink_profiles(self.pooled)
        return self._pooled_profiles

    def pooled_profiles_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ink profiles of the pooled rasters ``rows`` (the same values either way): gathered
        from :attr:`pooled_profiles` once those exist or the request is large, else summed for
        these rows alone — a few gaiji (the review desk, the demo) need not pay for every glyph."""
        if self.pooled is None:
            raise ValueError("this match index has no pooled rasters")
        flat = np.asarray(rows).reshape(-1)
        if self._pooled_profiles is None and flat.size < len(self.pooled) // 4:
            from gaiji.match.verify import ink_profiles

            return ink_profiles(np.asarray(self.pooled[flat]))
        cx, cy = self.pooled_profiles  # type: ignore[misc]
        return cx[flat], cy[flat]

    @property
    def searcher(self):  # type: ignore[no-untyped-def]
        if self._searcher is None:
            from gaiji.match.search import FlatSearcher, search_vectors

            self._searcher = FlatSearcher(search_vectors(self.projected, self.searchable), self.searchable)
        return self._searcher

    @property
    def small_searcher(self):  # type: ignore[no-untyped-def]
        if self.small_projected is None:
            return self.searcher
        if self._small_searcher is None:
            from gaiji.match.search import FlatSearcher, search_vectors

            self._small_searcher = FlatSearcher(search_vectors(self.small_projected, self.searchable), self.searchable)
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
        "model": model_digest(),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:16]


def index_dir(reference: Any) -> Path:
    """``<reference.home>/match``, or the user cache when the reference folder is read-only."""
    home = Path(reference.home)
    if os.access(home, os.W_OK) or (home / "match-v2" / "meta.json").is_file():
        return home / "match-v2"
    from gaiji.paths import gaiji_cache

    return gaiji_cache() / "match-v2"


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
    if cached.reference_rasters is None:
        cached.reference_rasters = reference.rasters
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
        pooled = None
        if (folder / "pooled.u8").is_file():
            pooled = np.asarray(np.memmap(folder / "pooled.u8", np.uint8, "r", shape=(n, 32, 32)))
        crowd = crowd_row = None
        if (folder / "crowd.f32").is_file():
            crowd = np.asarray(np.memmap(folder / "crowd.f32", np.float32, "r", shape=(n,)))
            crowd_row = np.asarray(np.memmap(folder / "crowd_row.i32", np.int32, "r", shape=(n,)))
        verifier = trust = None
        if (folder / "verifier.npz").is_file():
            from gaiji.match.verify import Verifier

            verifier = Verifier.load(folder / "verifier.npz")
        from gaiji.match.pair_cnn import load_pair_cnn

        pair_cnn = load_pair_cnn(folder)
        if (folder / "trust.json").is_file():
            from gaiji.match.trust import TrustModel

            trust = TrustModel.from_dict(json.loads((folder / "trust.json").read_text(encoding="utf-8")))
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
    groups = character_groups(rows)
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
        pooled=pooled,
        groups=groups,
        verifier=verifier,
        trust=trust,
        crowd=crowd,
        crowd_row=crowd_row,
        pair_cnn=pair_cnn,
    )


def character_groups(rows: list[RowInfo]) -> np.ndarray:
    """``(N,)`` group number per row: the rows of one character (its variants) share one."""
    ids: dict[str, int] = {}
    out = np.zeros(len(rows), np.int64)
    for i, r in enumerate(rows):
        key = r.base_char or f"#{i}"
        out[i] = ids.setdefault(key, len(ids))
    return out


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


MODEL_DIR = Path(__file__).resolve().parent / "model"
#: files of the shipped model (trained offline by scripts/train_matcher.py)
MODEL_FILES = ("projection.npz", "projection_small.npz", "verifier.npz", "trust.json", "model.json",
               "training_chars.txt", "pair_cnn.onnx")


def model_digest(model_dir: Path | None = None) -> str:
    """SHA-256 (16 hex) over the shipped model files, '' when there is none."""
    folder = MODEL_DIR if model_dir is None else Path(model_dir)
    h = hashlib.sha256()
    found = False
    for name in MODEL_FILES:
        path = folder / name
        if path.is_file():
            found = True
            h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16] if found else ""


def build_match_index(
    reference: Any, folder: Path, *, key: str | None = None, progress: Progress = no_progress,
    model_dir: Path | None = None,
) -> dict[str, Any]:
    """Compute the reference side of the matcher and write it atomically to ``folder``.

    The learned parts — the two projections, the verifier and the calibrations — are
    shipped in ``gaiji/match/model/`` (``scripts/train_matcher.py`` rebuilds them); here only
    the reference's features are computed and projected (a few seconds per 10,000 glyphs).
    """
    from gaiji.match.verify import pooled32

    started = time.monotonic()
    model_dir = MODEL_DIR if model_dir is None else Path(model_dir)
    key = key or index_key(reference)
    if not (model_dir / "projection.npz").is_file() or not (model_dir / "projection_small.npz").is_file():
        raise ReferenceMissing(
            f"the matcher's learned model is missing from {model_dir}; reinstall gaiji or rebuild it with "
            "`python scripts/train_matcher.py`"
        )
    n = len(reference)
    has_glyph = np.asarray(reference.has_glyph, bool)
    progress(0, n, "reading reference rows")
    rows = reference_rows(reference)
    t0 = time.monotonic()
    features = np.zeros((n, FEATURE_DIM), np.float32)
    pooled = np.zeros((n, 32, 32), np.uint8)
    step = 4096
    for i in range(0, n, step):
        block = np.asarray(reference.rasters[i : i + step])
        features[i : i + step] = glyph_features(block)
        pooled[i : i + step] = np.round(pooled32(block) * 255).astype(np.uint8)
        progress(min(i + step, n), n, "reference features")
    features[~has_glyph] = 0
    feature_seconds = time.monotonic() - t0
    projection = Projection.load(model_dir / "projection.npz")
    small_projection = Projection.load(model_dir / "projection_small.npz")
    projected = projection.project(features)
    projected[~has_glyph] = 0
    small_projected = small_projection.project(features)
    small_projected[~has_glyph] = 0
    searchable = np.flatnonzero(has_glyph)
    model_meta: dict[str, Any] = {}
    if (model_dir / "model.json").is_file():
        model_meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))

    arrays = [("features.f32", features, np.float32), ("projected.f32", projected, np.float32),
              ("projected_small.f32", small_projected, np.float32), ("pooled.u8", pooled, np.uint8)]
    if (model_dir / "verifier.npz").is_file():
        from gaiji.match.lookalikes import nearest_other_character
        from gaiji.match.pair_cnn import load_pair_cnn
        from gaiji.match.verify import Verifier

        t1 = time.monotonic()
        # the verifier as `gaiji match` runs it — the pair network included — since the trust
        # model was calibrated on look-alikes computed so (scripts/train_matcher.py)
        draft = MatchIndex(path=folder, meta={}, features=features, projected=projected, projection=projection,
                           rows=rows, searchable=searchable, small_projection=small_projection,
                           small_projected=small_projected, pooled=pooled, groups=character_groups(rows),
                           verifier=Verifier.load(model_dir / "verifier.npz"), pair_cnn=load_pair_cnn(model_dir))
        crowd, crowd_row = nearest_other_character(draft, reference.rasters, progress=progress)
        arrays += [("crowd.f32", crowd, np.float32), ("crowd_row.i32", crowd_row, np.int32)]
        lookalike_seconds = round(time.monotonic() - t1, 1)
    else:
        lookalike_seconds = None

    with atomic_directory(folder) as tmp:
        for name, arr, dtype in arrays:
            mm = np.memmap(tmp / name, dtype, "w+", shape=arr.shape)
            mm[:] = arr
            mm.flush()
            del mm
        projection.save(tmp / "projection.npz")
        small_projection.save(tmp / "projection_small.npz")
        from gaiji.match.edited import SCREEN_FILE, build_screen

        build_screen(projected, searchable, tmp / SCREEN_FILE)
        for name in ("verifier.npz", "trust.json", "training_chars.txt", "pair_cnn.onnx"):
            if (model_dir / name).is_file():
                (tmp / name).write_bytes((model_dir / name).read_bytes())
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
            "model": model_digest(model_dir),
            "rows": n,
            "searchable": searchable.tolist(),
            "projection": model_meta.get("projection"),
            "projection_small": model_meta.get("projection_small"),
            "calibration": model_meta.get("calibration_v1"),
            "calibration_small": model_meta.get("calibration_v1_small"),
            "calibration_info": model_meta.get("calibration_v1_info"),
            "font_split": model_meta.get("font_split"),
            "feature_seconds": round(feature_seconds, 1),
            "lookalike_seconds": lookalike_seconds,
        }
        meta["build_seconds"] = round(time.monotonic() - started, 1)
        meta["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        meta["pid"] = os.getpid()
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    log.info("match index built in %.1f s at %s", meta["build_seconds"], folder)
    return meta
