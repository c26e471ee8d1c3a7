"""Look-alikes inside MJ: for every reference glyph, the closest glyph of *another* character.

A gaiji that MJ lacks is usually a local variant of a character MJ has — and variants crowd
where MJ itself holds near-identical characters (緒 / 緖, 郎 / 郞, 艶 / 艷, 晩 / 晚). When the
rank-1 glyph has such a neighbour, a confident verifier says less: a gaiji drawn like it may
be the neighbour's character, or a third one MJ does not have. Calibration measured it: with
every glyph of the query's character hidden, most gaiji still auto-accepted were accepted as a
glyph with a near-identical neighbour of another character.

The crowding of a glyph is the verifier's log-odds that the glyph (its own reference raster as
the query, its character excluded from the search) *is* its closest other character. It is
computed once per match index (a few seconds per 10,000 glyphs), named in a candidate's
evidence, and offered to :mod:`gaiji.match.trust` as evidence for ``no_match`` — whose fit, since
calibration crowds a hidden character's look-alike as if MJ lacked the character
(:func:`crowd_when_hidden`), gives it no weight: that evidence had come from the simulation
itself, the hidden character crowding its own look-alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gaiji.progress import Progress, no_progress


def nearest_other_character(
    index: Any, rasters: Any, *, progress: Progress = no_progress
) -> tuple[np.ndarray, np.ndarray]:
    """Per reference row: the verifier's logit that its closest *other* character's glyph is the
    same (``LOGIT_FLOOR`` for rows without a glyph) and that glyph's row (−1 when none).

    ``rasters``: the reference's canonical ``(N, 64, 64)`` rasters, row for row with ``index``.
    """
    from gaiji.match.matcher import _cores, _rank_workers, match_rasters
    from gaiji.match.trust import LOGIT_FLOOR, logit

    n = len(index.rows)
    crowd = np.full(n, LOGIT_FLOOR, np.float32)
    nearest = np.full(n, -1, np.int32)
    rows = np.asarray(index.searchable, np.int64)
    everything = len(rows) == n and bool((rows == np.arange(n)).all())
    queries = rasters if everything else np.asarray(rasters[rows])  # a memmap is read batch by batch
    features = index.features if everything else np.asarray(index.features[rows])
    trust, index.trust = index.trust, None  # the verifier alone; no confidence needed here
    try:
        # every glyph as a gaiji, its own character left out; batches on every core (forked workers)
        ranked = match_rasters(index, queries, None, top_k=1, features=features, matcher="v2",
                               workers=_rank_workers(_cores()), exclude_groups=index.groups[rows],
                               progress=lambda done, total, _: progress(done, total, "look-alikes inside MJ"))
    finally:
        index.trust = trust
    crowd[rows] = logit(ranked.verify_score[:, 0])
    nearest[rows] = ranked.rows[:, 0]
    return crowd, nearest


#: glyphs ranked at once when crowding is worked out again with a hidden character left out
HIDDEN_BATCH = 2048


def crowd_when_hidden(index: Any, rank1: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """The crowding of each rank-1 glyph as it would be if the query's character (``hidden``, a
    character group per query; -1: none) were not in MJ at all.

    Calibration and the held-out checks simulate a gaiji MJ lacks by hiding its character from
    the search. The stored crowding of the look-alike that then comes first was measured with
    that character present — and for a look-alike it is most often the closest other character
    (43 % of calibration's hidden queries, 87 % of those at confidence ≥ 0.99). A gaiji MJ truly
    lacks gets no such warning, so the simulation must not either: where the stored nearest
    other character is the hidden one, the glyph is ranked again (its own reference raster as
    the query, its own and the hidden character left out), as :func:`nearest_other_character`
    ranks it. Elsewhere the stored value stands. Needs ``index.reference_rasters``.
    """
    from gaiji.match.trust import logit
    from gaiji.match.verified import VERIFY, verified_shortlist

    rank1 = np.asarray(rank1, np.int64)
    hidden = np.asarray(hidden, np.int64)
    crowd = np.asarray(index.crowd, np.float64)[rank1]
    nearest = np.asarray(index.crowd_row)[rank1]
    leak = (hidden >= 0) & (nearest >= 0) & (index.groups[np.maximum(nearest, 0)] == hidden)
    if not leak.any():
        return crowd
    if index.reference_rasters is None:
        raise ValueError("crowding with a character hidden needs the reference rasters "
                         "(open the index with load_match_index)")
    pairs, back = np.unique(np.stack([rank1[leak], hidden[leak]], axis=1), axis=0, return_inverse=True)
    again = np.empty(len(pairs), np.float64)
    for i in range(0, len(pairs), HIDDEN_BATCH):
        part = pairs[i : i + HIDDEN_BATCH]
        rows = part[:, 0]
        rasters = np.asarray(index.reference_rasters[rows])
        exclude = np.stack([index.groups[rows], part[:, 1]], axis=1)
        p = verified_shortlist(index, rasters, np.asarray(index.features[rows], np.float32),
                               np.zeros(len(rows), np.int64), VERIFY, exclude_groups=exclude).p
        again[i : i + HIDDEN_BATCH] = logit(p.max(axis=1))
    crowd[leak] = again[back.reshape(-1)]
    return crowd
