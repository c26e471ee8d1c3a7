"""A piece of a neighbouring cell's glyph at a picture's edge, read past.

A scanned table cut into cells off its grid leaves a piece of the next cell's glyph at a
picture's edge. :func:`gaiji.match.prepare.edge_pieces` finds such ink; the images that have some
are prepared a second time without it (:class:`Pieces`), and :func:`read_without_pieces` ranks
that reading beside the picture as drawn and takes it only where the picture as drawn is no glyph
the verifier believes and the second reading is. A glyph whose own part stands at the edge keeps
its reading as drawn, which verifies. Gaiji read so are never auto-accepted (the matcher withholds
them, with :data:`gaiji.match.verified.CUT_NOTE` in their evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gaiji.match.features import FEATURE_DIM
from gaiji.match.ranking import RankedBatch
from gaiji.match.verified import rank_rasters_verified


@dataclass(frozen=True)
class Pieces:
    """The gaiji (positions ``which``) whose pictures have a piece of ink cut off at an edge
    (:func:`gaiji.match.prepare.edge_pieces`), read a second time without it."""

    which: np.ndarray  # (M,) int
    rasters: np.ndarray  # (M, 64, 64) uint8
    features: np.ndarray  # (M, 512)
    sides: np.ndarray  # (M,) int

    @staticmethod
    def none() -> Pieces:
        return Pieces(np.zeros(0, np.int64), np.zeros((0, 64, 64), np.uint8), np.zeros((0, FEATURE_DIM), np.float32),
                      np.zeros(0, np.int64))

    def moved(self, by: int) -> Pieces:
        return Pieces(self.which + by, self.rasters, self.features, self.sides)

    @staticmethod
    def joined(parts: list[Pieces]) -> Pieces:
        if not parts:
            return Pieces.none()
        return Pieces(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("which", "rasters", "features", "sides")))

    def kept(self, keep: np.ndarray) -> Pieces:
        """Renumbered for the gaiji ``keep`` (bool per position) keeps; the others dropped."""
        new = np.cumsum(keep) - 1
        stays = keep[self.which]
        return Pieces(new[self.which[stays]], self.rasters[stays], self.features[stays], self.sides[stays])


#: the verifier's probability that rank 1 is the very glyph, which the picture as drawn does not
#: reach and its reading without an edge piece does, for that reading to be taken: more likely
#: the glyph than not, against less likely (a rule of thumb, not fitted: such gaiji are never
#: auto-accepted and their evidence says why)
PIECE_BELIEF = 0.5
_PER_GAIJI = ("rows", "score", "image_score", "rerank_score", "reading_score", "radical_strokes_score", "gap",
              "confidence", "auto_accept", "verify_score", "ucs_confidence", "no_match")
_PER_GAIJI_LISTS = ("reading_matched", "stratum", "evidence")


def _put_gaiji(ranked: RankedBatch, positions: np.ndarray, other: RankedBatch, take: np.ndarray) -> RankedBatch:
    """``ranked`` with the gaiji at ``positions`` given the candidates of ``other``'s gaiji ``take``."""
    changes: dict[str, Any] = {"trust_summary": None, "trust_rank1": None}
    for name in _PER_GAIJI:
        mine, theirs = getattr(ranked, name), getattr(other, name)
        if mine is None or theirs is None:
            continue
        mine = np.array(mine, copy=True)
        mine[positions] = np.asarray(theirs)[take]
        changes[name] = mine
    for name in _PER_GAIJI_LISTS:
        mine, theirs = list(getattr(ranked, name)), getattr(other, name)
        if len(mine) == len(ranked) and len(theirs) == len(other):
            for p, t in zip(positions.tolist(), np.flatnonzero(take).tolist()):
                mine[p] = theirs[t]
            changes[name] = mine
    return replace(ranked, **changes)


def read_without_pieces(index: Any, ranked: RankedBatch, batch: dict[str, Any], pieces: Pieces,
                         matcher: str, top_k: int) -> tuple[RankedBatch, dict[str, Any], np.ndarray]:
    """For the batch's gaiji whose pictures have a piece of ink cut off at an edge (a neighbouring
    cell's glyph, when a scanned table is cut off its grid): rank them again without it, and take
    that reading where the picture as drawn is no glyph the verifier believes (rank 1 below
    :data:`PIECE_BELIEF`) and the reading without the piece is. Returns the ranking, the batch
    with those gaiji's rasters, features and sides replaced, and their positions in the batch.
    A glyph whose own part stands at the edge keeps its reading as drawn, which verifies."""
    start, n = batch["start"], len(ranked)
    mine = (pieces.which >= start) & (pieces.which < start + n)
    none = np.zeros(0, np.int64)
    if matcher != "v2" or not mine.any() or ranked.verify_score is None:
        return ranked, batch, none
    pos = pieces.which[mine] - start
    hints = None if batch["hints"] is None else [batch["hints"][i] for i in pos]
    other = rank_rasters_verified(index, pieces.rasters[mine], hints, top_k=top_k, features=pieces.features[mine],
                                  sides=pieces.sides[mine])
    take = (np.asarray(other.verify_score)[:, 0] >= PIECE_BELIEF) & (np.asarray(ranked.verify_score)[pos, 0] < PIECE_BELIEF)
    if not take.any():
        return ranked, batch, none
    positions = pos[take]
    batch = dict(batch)
    for key, values in (("rasters", pieces.rasters), ("features", pieces.features), ("sides", pieces.sides)):
        if batch.get(key) is not None:
            batch[key] = np.array(batch[key], copy=True)
            batch[key][positions] = values[mine][take]
    return _put_gaiji(ranked, positions, other, take), batch, positions
