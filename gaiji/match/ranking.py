"""Rank reference glyphs for a batch of canonical rasters: features → search → re-rank →
fusion with ledger hints → calibrated confidence. One vectorised pass per batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaiji.match.features import glyph_features
from gaiji.match.fuse import (
    RADICAL_STROKES_WEIGHT,
    READING_WEIGHT,
    radical_strokes_agreement,
    reading_agreement,
)
from gaiji.match.index import MatchIndex
from gaiji.match.search import SHORTLIST, rerank


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
) -> RankedBatch:
    """Rank MJ glyphs for each canonical raster (``(Q, 64, 64)`` uint8).

    ``features``: the rasters' :func:`glyph_features` when already computed (e.g. in worker
    processes).
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    q = len(rasters)
    raw = glyph_features(rasters) if features is None else np.asarray(features, np.float32)
    projected = index.projection.project(raw)
    s1, rows1 = index.searcher.search(projected, max(shortlist, top_k + 1))
    short = rerank(raw, s1, rows1, index.features)
    score = short.rerank_score.copy()
    k_all = score.shape[1]
    reading = np.zeros_like(score)
    rs = np.zeros_like(score)
    matched = [[""] * k_all for _ in range(q)]
    if hints is not None:
        if len(hints) != q:
            raise ValueError(f"{len(hints)} hints for {q} rasters")
        for i, h in enumerate(hints):
            if h.empty:
                continue
            for j in range(k_all):
                row = index.rows[int(short.rows[i, j])]
                if h.readings:
                    reading[i, j], matched[i][j] = reading_agreement(h.readings, row.readings)
                if h.radical is not None or h.strokes is not None:
                    rs[i, j] = radical_strokes_agreement(h.radical, h.strokes, row.radicals, row.total_strokes)
        score = score + READING_WEIGHT * reading + RADICAL_STROKES_WEIGHT * rs
    order = np.argsort(-score, axis=1, kind="stable")[:, :top_k]
    take = lambda a: np.take_along_axis(a, order, 1)  # noqa: E731
    full_sorted = np.sort(score, axis=1)[:, ::-1]
    top = take(score)
    # gap: rank 1 against rank 2; every other rank against rank 1
    best_other = np.where(np.arange(top.shape[1])[None, :] == 0, full_sorted[:, 1:2], full_sorted[:, 0:1])
    gap = top - best_other
    cal = index.calibration
    if cal is not None:
        confidence = cal.confidence(top, gap)
        auto = cal.accept(confidence[:, 0])
    else:
        confidence = np.full(top.shape, np.nan)
        auto = np.zeros(q, bool)
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
