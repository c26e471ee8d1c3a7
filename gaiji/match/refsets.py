"""Matching over MJ ∪ added reference sets (see :mod:`gaiji.reference.refsets`).

Each added set gets its own feature cache in ``<set>/match/`` — the same
:func:`~gaiji.match.features.glyph_features` of its canonical rasters, projected with the
MJ index's learned projections — keyed by the set's build and the MJ index's key. Adding or
removing a set never rebuilds the MJ index; a set is re-featured only when it or the MJ
index changed.

A set's glyphs are ranked by :func:`gaiji.match.ranking.rank_rasters` itself (a
:class:`MatchIndex` view over the set that shares the MJ index's projections and
calibration), so a set candidate's score means what an MJ candidate's score means. The set's
candidates are then merged into the MJ ranking by score (MJ first on an exact tie); gap and
confidence are recomputed over the merged list; ``auto_accept`` can only stay on an MJ rank-1
whose recomputed confidence still passes — an added-set candidate is never auto-accepted (the
calibration was fitted on MJ glyphs only), and a gaiji whose best candidate is in an added
set is never auto-accepted to an MJ look-alike.

Rows of added sets are numbered after the MJ rows (``len(index.rows) + offset``), so a merged
:class:`RankedBatch` stays a plain batch and :attr:`MatchResult.extra_rows` names them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.fsutil import atomic_directory
from gaiji.match.features import FEATURE_DIM, FEATURE_VERSION, glyph_features
from gaiji.match.index import MatchIndex, RowInfo
from gaiji.match.ranking import QueryHints, RankedBatch, rank_rasters
from gaiji.match.trust import is_small
from gaiji.progress import Progress, no_progress
from gaiji.readings import normalize_reading

log = logging.getLogger(__name__)

SET_INDEX_FORMAT = "1"
MJ_SET = "MJ"


@dataclass(frozen=True)
class SetRowInfo(RowInfo):
    """A row of an added set, as the matcher and the candidates writer see it (``mj`` is
    empty: the character is identified as (``set_name``, ``set_id``))."""

    set_name: str = ""
    set_id: str = ""
    font_name: str = ""


def set_rows(ref_set: Any) -> list[SetRowInfo]:
    out = []
    for r in ref_set.records:
        readings = tuple(dict.fromkeys(n for n in (normalize_reading(x) for x in r.readings) if n))
        radicals = ((r.radical, r.inner_strokes or 0),) if r.radical is not None else ()
        out.append(SetRowInfo(mj="", char=r.char, ucs=r.ucs, ivs=r.ivs, base_char=r.char[:1], readings=readings,
                              radicals=radicals, total_strokes=r.total_strokes, set_name=ref_set.name,
                              set_id=r.id, font_name=r.font_name))
    return out


def set_index_key(ref_set: Any, mj_index: MatchIndex) -> str:
    parts = {"set": ref_set.provenance.get("key"), "mj_index": mj_index.meta.get("key"),
             "feature": FEATURE_VERSION, "format": SET_INDEX_FORMAT}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def set_index_dir(ref_set: Any) -> Path:
    """``<set>/match``, or the user cache when the set's folder is read-only (a shared home)."""
    import os

    home = Path(ref_set.home)
    if os.access(home, os.W_OK) or (home / "match" / "meta.json").is_file():
        return home / "match"
    from gaiji.paths import gaiji_cache

    return gaiji_cache() / "reference_sets" / ref_set.name / "match"


def load_set_index(ref_set: Any, mj_index: MatchIndex, *, progress: Progress = no_progress) -> MatchIndex:
    """The set's features as a :class:`MatchIndex` sharing *mj_index*'s projections and
    calibration; computed and cached in ``<set>/match/`` when missing or stale."""
    folder = set_index_dir(ref_set)
    key = set_index_key(ref_set, mj_index)
    n = len(ref_set)
    meta_path = folder / "meta.json"
    try:
        fresh = json.loads(meta_path.read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError):
        fresh = False
    if not fresh:
        build_set_index(ref_set, mj_index, folder, key=key, progress=progress)
    proj_dim = mj_index.projection.matrix.shape[1]
    small = mj_index.small_projection
    rows = max(n, 1)
    features = np.asarray(np.memmap(folder / "features.f32", np.float32, "r", shape=(rows, FEATURE_DIM)))[:n]
    projected = np.asarray(np.memmap(folder / "projected.f32", np.float32, "r", shape=(rows, proj_dim)))[:n]
    small_projected = None
    if small is not None:
        small_projected = np.asarray(np.memmap(folder / "projected_small.f32", np.float32, "r",
                                               shape=(rows, small.matrix.shape[1])))[:n]
    searchable = np.flatnonzero(np.asarray(ref_set.has_glyph, bool))
    if len(searchable) == 1:
        searchable = np.repeat(searchable, 2)  # the searcher needs two rows; duplicates are merged away
    from gaiji.match.index import character_groups
    from gaiji.match.verify import pooled32

    set_row_list = list(set_rows(ref_set))
    rasters = np.asarray(ref_set.rasters[:n]) if n else np.zeros((1, 64, 64), np.uint8)
    return MatchIndex(
        path=folder, meta={"key": key, "reference_version": ref_set.version_label, "rows": n},
        features=features, projected=projected, projection=mj_index.projection, rows=set_row_list,
        searchable=searchable, small_projection=small, small_projected=small_projected,
        calibration=mj_index.calibration, small_calibration=mj_index.small_calibration,
        # match v2: the MJ verifier checks set glyphs too; no trust model (never auto-accepted)
        pooled=np.round(pooled32(rasters) * 255).astype(np.uint8), groups=character_groups(set_row_list),
        verifier=mj_index.verifier, trust=None,
    )


def build_set_index(ref_set: Any, mj_index: MatchIndex, folder: Path, *, key: str,
                    progress: Progress = no_progress) -> None:
    n = len(ref_set)
    rows = max(n, 1)
    has = np.asarray(ref_set.has_glyph, bool)
    features = np.zeros((rows, FEATURE_DIM), np.float32)
    step = 4096
    for i in range(0, n, step):
        features[i : i + step] = glyph_features(np.asarray(ref_set.rasters[i : i + step]))
        progress(min(i + step, n), n, f"features of set {ref_set.name}")
    features[:n][~has] = 0
    projected = mj_index.projection.project(features)
    projected[:n][~has] = 0
    with atomic_directory(folder) as tmp:
        for name, arr in (("features.f32", features), ("projected.f32", projected)):
            np.ascontiguousarray(arr, np.float32).tofile(tmp / name)
        if mj_index.small_projection is not None:
            small = mj_index.small_projection.project(features)
            small[:n][~has] = 0
            np.ascontiguousarray(small, np.float32).tofile(tmp / "projected_small.f32")
        (tmp / "meta.json").write_text(json.dumps({"key": key, "rows": n, "mj_index": mj_index.meta.get("key"),
                                                   "set_version": ref_set.version_label}), encoding="utf-8")
    log.info("features of added set %s cached in %s", ref_set.name, folder)


# ---- ranking and merging ---------------------------------------------------------------------


@dataclass
class SetIndexes:
    """The added sets' indexes, with where their rows start in the merged numbering."""

    indexes: list[MatchIndex]
    offsets: list[int]
    rows: list[SetRowInfo]  # every set's rows, in merged order (row r ↔ rows[r - mj_rows])

    @property
    def empty(self) -> bool:
        return not self.indexes


def open_set_indexes(ref_sets: list[Any], mj_index: MatchIndex, *, progress: Progress = no_progress) -> SetIndexes:
    offset = len(mj_index.rows)
    indexes: list[MatchIndex] = []
    offsets: list[int] = []
    rows: list[SetRowInfo] = []
    for ref_set in ref_sets:
        if not np.asarray(ref_set.has_glyph, bool).any():
            log.warning("added set %s has no glyph to match against; left out", ref_set.name)
            continue
        idx = load_set_index(ref_set, mj_index, progress=progress)
        indexes.append(idx)
        offsets.append(offset)
        rows.extend(r for r in idx.rows if isinstance(r, SetRowInfo))
        offset += len(idx.rows)
    return SetIndexes(indexes, offsets, rows)


def rank_with_sets(
    mj_index: MatchIndex,
    sets: SetIndexes,
    mj_ranked: RankedBatch,
    rasters: np.ndarray,
    hints: list[QueryHints] | None,
    *,
    top_k: int,
    features: np.ndarray | None = None,
    sides: np.ndarray | None = None,
) -> RankedBatch:
    """Rank every added set for the same queries and merge into *mj_ranked* by score."""
    if sets.empty or len(mj_ranked) == 0:
        return mj_ranked
    v2 = mj_ranked.verify_score is not None
    merged = mj_ranked
    for idx, offset in zip(sets.indexes, sets.offsets):
        n = len(idx.searchable)
        k = max(1, min(top_k, n - 1))
        if v2:
            from gaiji.match.verified import rank_rasters_verified

            ranked = rank_rasters_verified(idx, rasters, hints, top_k=k, features=features, sides=sides)
            # a set glyph goes above the MJ rank 1 only when the search, too, finds it closer
            # (higher re-rank similarity) than MJ's rank 1: the verifier alone does not move an
            # MJ-only gaiji to a set glyph, so MJ results do not change with every set added
            below = np.nextafter(mj_ranked.score[:, :1], -np.inf)
            may = ranked.rerank_score > mj_ranked.rerank_score[:, :1]
            capped = np.where(may, np.minimum(np.maximum(ranked.score, mj_ranked.score[:, :1] + 1e-9), 1.0),
                              np.minimum(ranked.score, below))
            ranked = dataclasses.replace(ranked, score=capped)
        else:
            ranked = rank_rasters(idx, rasters, hints, top_k=k, shortlist=max(k + 1, min(48, n)),
                                  features=features, sides=sides)
        ranked = dataclasses.replace(ranked, rows=ranked.rows + offset)
        merged = merge_batches(merged, ranked, top_k=top_k)
    if v2:
        return _settle_v2(merged, mj_ranked, mj_rows=len(mj_index.rows))
    return recompute_confidence(mj_index, merged, mj_ranked, sides=sides, mj_rows=len(mj_index.rows))


def _settle_v2(merged: RankedBatch, mj_ranked: RankedBatch, *, mj_rows: int) -> RankedBatch:
    """Match v2 after the merge: scores are verifier probabilities on both sides, so the order
    holds; MJ confidence stays only where the MJ rank 1 is still rank 1; ``no_match`` becomes
    the chance that neither MJ nor an added set has the character."""
    top = merged.score
    q = len(merged)
    second = top[:, 1:2] if top.shape[1] > 1 else np.zeros((q, 1))
    gap = top - np.where(np.arange(top.shape[1])[None, :] == 0, second, top[:, 0:1])
    same_top = merged.rows[:, 0] == mj_ranked.rows[:, 0]
    confidence = np.array(merged.confidence, dtype=float, copy=True)
    confidence[~same_top, 0] = np.nan
    is_set = merged.rows >= mj_rows
    p = np.asarray(merged.verify_score, float)
    best_set = np.where(is_set, p, 0.0).max(axis=1)
    no_match = np.asarray(mj_ranked.no_match, float) * (1 - best_set)
    ucs = np.where(same_top, np.asarray(mj_ranked.ucs_confidence, float), np.nan)
    auto = np.asarray(mj_ranked.auto_accept, bool) & same_top
    return dataclasses.replace(merged, gap=gap, confidence=confidence, auto_accept=auto, no_match=no_match,
                               ucs_confidence=ucs)


def merge_batches(first: RankedBatch, second: RankedBatch, *, top_k: int) -> RankedBatch:
    """Candidates of both, best score first (``first`` wins an exact tie), at most *top_k*,
    each row once. Every ``(Q, K)`` field of the batch is carried along; 1-D fields are kept
    from *first* (the caller recomputes what depends on the merge)."""
    q = len(first)
    rows = np.concatenate([first.rows, second.rows], axis=1)
    score = np.concatenate([first.score, second.score], axis=1)
    order = np.argsort(-score, axis=1, kind="stable")
    keep = np.zeros((q, top_k), np.int64)
    for i in range(q):
        seen: set[int] = set()
        picked = []
        for j in order[i]:
            r = int(rows[i, j])
            if r in seen:
                continue
            seen.add(r)
            picked.append(j)
            if len(picked) == top_k:
                break
        while len(picked) < top_k:  # only with fewer distinct candidates than top_k
            picked.append(picked[-1])
        keep[i] = picked
    values: dict[str, Any] = {}
    for f in dataclasses.fields(first):
        a, b = getattr(first, f.name), getattr(second, f.name)
        if isinstance(a, np.ndarray) and a.ndim == 2 and isinstance(b, np.ndarray) and b.ndim == 2:
            values[f.name] = np.take_along_axis(np.concatenate([a, b], axis=1), keep, 1)
        elif f.name == "reading_matched" and a and b:
            values[f.name] = [[(a[i] + b[i])[int(j)] for j in keep[i]] for i in range(q)]
        elif f.name == "reading_matched":
            values[f.name] = [[""] * top_k for _ in range(q)]
        else:
            values[f.name] = a
    return RankedBatch(**values)


def recompute_confidence(mj_index: MatchIndex, merged: RankedBatch, mj_ranked: RankedBatch, *,
                         sides: np.ndarray | None, mj_rows: int) -> RankedBatch:
    """Gap, confidence and auto-accept over the merged list (auto-accept only ever removed)."""
    top = merged.score
    q = len(merged)
    second = top[:, 1:2] if top.shape[1] > 1 else np.zeros((q, 1))
    best_other = np.where(np.arange(top.shape[1])[None, :] == 0, second, top[:, 0:1])
    gap = top - best_other
    confidence = np.array(merged.confidence, dtype=float, copy=True)
    auto = np.array(mj_ranked.auto_accept, dtype=bool, copy=True)
    small = np.zeros(q, bool) if sides is None else is_small(sides)
    for mask, cal in ((~small, mj_index.calibration), (small, mj_index.small_calibration or mj_index.calibration)):
        if cal is not None and mask.any():
            confidence[mask] = cal.confidence(top[mask], gap[mask])
            auto[mask] &= cal.accept(confidence[mask, 0])
    auto &= merged.rows[:, 0] < mj_rows  # an added-set candidate is never auto-accepted
    auto &= merged.rows[:, 0] == mj_ranked.rows[:, 0]
    return dataclasses.replace(merged, gap=gap, confidence=confidence, auto_accept=auto)


def row_info(mj_rows: list[RowInfo], extra_rows: list[SetRowInfo], row: int) -> RowInfo:
    """The row behind a candidate number of a merged ranking."""
    return mj_rows[row] if row < len(mj_rows) else extra_rows[row - len(mj_rows)]


def ref_set_of(info: RowInfo) -> str:
    return info.set_name if isinstance(info, SetRowInfo) else MJ_SET


def ref_id_of(info: RowInfo) -> str:
    return info.set_id if isinstance(info, SetRowInfo) else info.mj
