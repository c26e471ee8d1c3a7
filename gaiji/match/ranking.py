"""Rank reference glyphs for a batch of canonical rasters: features → search → re-rank →
fusion with ledger hints → calibrated confidence. One vectorised pass per batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaiji.match.features import glyph_features
from gaiji.match.fuse import (
    RADICAL_STROKES_WEIGHT,
    READING_WEIGHT,
    radical_strokes_agreement,
    reading_agreement,
)
from gaiji.match.index import MatchIndex
from gaiji.match.search import (
    RAW_WEIGHT,
    SHORTLIST,
    Shortlist,
    rerank,
    shortlist_similarity,
    truncated,
)
from gaiji.match.trust import SMALL_SIDE, is_small  # noqa: F401 - SMALL_SIDE: the search's small size, read here too

SMALL_RAW_WEIGHT = 0.25  # tuned on the calibration fonts' 12 px renderings
TINY_SIDE = 12  # a 12 px bitmap has 9–12 px of ink; 13–16 px is a 14–16 px bitmap or a
# glyph hand-drawn on a small grid, for which the small projection alone is too narrow:
MID_GENERAL_WEIGHT = 0.375  # share of the general projection's similarity in their score
# (calibration fonts' hand-drawn 13–16 px queries: top-1 0.70 → 0.73, top-10 0.95 → 0.97;
# their 14–18 px bitmaps unchanged)


@dataclass(frozen=True)
class QueryHints:
    """What a ledger row says besides the picture (all optional)."""

    readings: tuple[str, ...] = ()  # normalised readings
    radical: int | None = None  # 康煕部首 number
    strokes: int | None = None  # total strokes

    @property
    def empty(self) -> bool:
        return not self.readings and self.radical is None and self.strokes is None


@dataclass
class RankedBatch:
    """Candidates for Q queries, ``K`` per query, best first (arrays ``(Q, K)``)."""

    rows: np.ndarray
    score: np.ndarray  # fused score the list is sorted by
    image_score: np.ndarray  # stage-1 projected cosine
    rerank_score: np.ndarray  # image score after re-rank (projected + unprojected)
    reading_score: np.ndarray
    radical_strokes_score: np.ndarray
    gap: np.ndarray  # score minus the best other candidate's score
    confidence: np.ndarray
    auto_accept: np.ndarray  # (Q,) bool, for rank 1
    reading_matched: list[list[str]] = field(default_factory=list)
    # match v2 (verified ranking); NaN / empty from the v1 matcher
    verify_score: np.ndarray | None = None  # (Q, K) verifier's probability: same glyph
    ucs_confidence: np.ndarray | None = None  # (Q,) the rank-1 character is right, any variant
    no_match: np.ndarray | None = None  # (Q,) no reference glyph is the same character
    stratum: list[str] = field(default_factory=list)  # (Q,) input condition the threshold came from
    evidence: list[str] = field(default_factory=list)  # (Q,) why, in words, for rank 1
    #: v2: what the trust model decides on — the summary of the search's candidates
    #: (gaiji.match.trust.QuerySummary) and their best row, per gaiji (calibration reads them)
    trust_summary: Any = None
    trust_rank1: np.ndarray | None = None
    #: these candidates already written out as output rows where they were ranked — ``(format,
    #: text, rows)`` per batch, in order; only on their way back from the ranking workers when
    #: :func:`gaiji.match.matcher.match_gaiji_set` is asked for them (``formatting``), which moves
    #: them to :attr:`gaiji.match.matcher.MatchResult.formatted`; else empty
    formatted: list[tuple[str, str, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.rows.shape[0])


def rank_rasters(
    index: MatchIndex,
    rasters: np.ndarray,
    hints: list[QueryHints] | None = None,
    *,
    top_k: int = 10,
    shortlist: int = SHORTLIST,
    features: np.ndarray | None = None,
    sides: np.ndarray | None = None,
) -> RankedBatch:
    """Rank MJ glyphs for each canonical raster (``(Q, 64, 64)`` uint8).

    ``features``: the rasters' :func:`glyph_features` when already computed (e.g. in worker
    processes). ``sides``: the longer side of each source image's ink box in pixels; queries
    of at most :data:`SMALL_SIDE` px are searched with the small-bitmap projection; above
    :data:`TINY_SIDE` px their score also mixes in the general projection's similarity.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    q = len(rasters)
    raw = glyph_features(rasters) if features is None else np.asarray(features, np.float32)
    short, small = search_shortlist(index, raw, sides, max(shortlist, top_k + 1))
    score = short.rerank_score.copy()
    reading, rs, matched = ledger_agreement(index, hints, short.rows)
    if hints is not None:
        score = score + READING_WEIGHT * reading + RADICAL_STROKES_WEIGHT * rs
    order = np.argsort(-score, axis=1, kind="stable")[:, :top_k]
    take = lambda a: np.take_along_axis(a, order, 1)
    full_sorted = np.sort(score, axis=1)[:, ::-1]
    top = take(score)
    # gap: rank 1 against rank 2; every other rank against rank 1
    best_other = np.where(np.arange(top.shape[1])[None, :] == 0, full_sorted[:, 1:2], full_sorted[:, 0:1])
    gap = top - best_other
    confidence = np.full(top.shape, np.nan)
    auto = np.zeros(q, bool)
    for mask, cal in ((~small, index.calibration), (small, index.small_calibration or index.calibration)):
        if cal is not None and mask.any():
            confidence[mask] = cal.confidence(top[mask], gap[mask])
            auto[mask] = cal.accept(confidence[mask, 0])
    return RankedBatch(
        rows=take(short.rows),
        score=top,
        image_score=take(short.image_score),
        rerank_score=take(short.rerank_score),
        reading_score=take(reading),
        radical_strokes_score=take(rs),
        gap=gap,
        confidence=confidence,
        auto_accept=auto,
        reading_matched=[[matched[i][int(j)] for j in order[i]] for i in range(q)],
    )


def ledger_agreement(
    index: MatchIndex, hints: list[QueryHints] | None, rows: np.ndarray, skip: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
    """Per candidate ``rows`` ``(Q, K)``: reading agreement, radical/strokes agreement (both in
    [0, 1]) and the MJ reading that matched — what the ledger says, before any weighting.
    ``skip`` ``(Q, K)``: candidates left at 0 (padding)."""
    q, k = rows.shape
    reading = np.zeros((q, k))
    rs = np.zeros((q, k))
    matched = [[""] * k for _ in range(q)]
    if hints is None:
        return reading, rs, matched
    if len(hints) != q:
        raise ValueError(f"{len(hints)} hints for {q} rasters")
    for i, h in enumerate(hints):
        if h.empty:
            continue
        for j in range(k):
            if skip is not None and skip[i, j]:
                continue
            row = index.rows[int(rows[i, j])]
            if h.readings:
                reading[i, j], matched[i][j] = reading_agreement(h.readings, row.readings)
            if h.radical is not None or h.strokes is not None:
                rs[i, j] = radical_strokes_agreement(h.radical, h.strokes, row.radicals, row.total_strokes)
    return reading, rs, matched


def search_shortlist(
    index: MatchIndex,
    raw: np.ndarray,
    sides: np.ndarray | None,
    k1: int,
    *,
    exclude_groups: np.ndarray | None = None,
) -> tuple[Shortlist, np.ndarray]:
    """Stage 1 + re-rank: the ``k1`` best reference rows per query and whether each query is a
    small bitmap (searched with the small projection).

    ``exclude_groups``: per query, a character group (:attr:`MatchIndex.groups`) to leave out,
    or -1 — how calibration simulates a gaiji whose character has no MJ glyph; ``(Q, G)``: up to
    ``G`` groups per query (-1 fills).
    """
    q = len(raw)
    excluded = None if exclude_groups is None else np.asarray(exclude_groups).reshape(q, -1)
    extra = 24 * excluded.shape[1] if excluded is not None else 0
    available = len(index.searchable)
    k1 = min(k1, available)
    k_search = min(k1 + extra, available)
    small = np.zeros(q, bool) if sides is None else is_small(sides)
    rows1 = np.zeros((q, k_search), np.int64)
    weights = np.where(small, SMALL_RAW_WEIGHT, RAW_WEIGHT)[:, None]
    spaces = projection_spaces(index, small)
    projected = [proj.project(raw[mask]) if mask.any() else None for mask, proj, _ in spaces]
    for (mask, _, _), searcher, queries in zip(spaces, (index.searcher, index.small_searcher), projected):
        if queries is not None:
            _, rows1[mask] = searcher.search(truncated(queries), k_search)
    if excluded is not None:
        drop = (index.groups[rows1][:, :, None] == excluded[:, None, :]).any(axis=2)
        order = np.argsort(drop, axis=1, kind="stable")[:, :k1]
        rows1 = np.take_along_axis(rows1, order, 1)
    s1 = projected_similarity(index, raw, sides, small, rows1, projected=projected)
    return rerank(raw, s1, rows1, index.features, raw_weight=weights), small


def projection_spaces(index: MatchIndex, small: np.ndarray) -> tuple[tuple[np.ndarray, Any, np.ndarray], ...]:
    """``(queries, projection, projected reference)`` for the general and the small-bitmap
    space: ``small`` queries are projected and compared in the small one (the general one where
    the index has none)."""
    small = np.asarray(small, bool)
    return ((~small, index.projection, index.projected),
            (small, index.small_projection or index.projection,
             index.small_projected if index.small_projection is not None else index.projected))


def projected_similarity(index: MatchIndex, raw: np.ndarray, sides: np.ndarray | None, small: np.ndarray,
                         rows: np.ndarray, *, projected: list[np.ndarray | None] | None = None) -> np.ndarray:
    """``(Q, K)`` stage-1 similarity (``image_score``) of each query with reference ``rows``:
    the projected cosine, in the small-bitmap space for ``small`` queries (mixed with the
    general space above :data:`TINY_SIDE` px). ``projected``: the queries already projected
    (general, small), as :func:`search_shortlist` has them."""
    q = len(raw)
    spaces = projection_spaces(index, small)
    if projected is None:
        projected = [proj.project(raw[mask]) if mask.any() else None for mask, proj, _ in spaces]
    s1 = np.zeros(rows.shape, np.float32)
    for (mask, _, projected_refs), queries in zip(spaces, projected):
        if queries is not None:
            s1[mask] = shortlist_similarity(queries, rows[mask], projected_refs)
    mid = small & (np.asarray(sides if sides is not None else np.zeros(q)) > TINY_SIDE)
    if index.small_projection is not None and mid.any():
        general = shortlist_similarity(index.projection.project(raw[mid]), rows[mid], index.projected)
        share = MID_GENERAL_WEIGHT / (1 - SMALL_RAW_WEIGHT)  # of the projected part
        s1[mid] = (1 - share) * s1[mid] + share * general
    return s1
