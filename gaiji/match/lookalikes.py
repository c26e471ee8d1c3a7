"""Look-alikes inside MJ: for every reference glyph, the closest glyph of *another* character.

A gaiji that MJ lacks is usually a local variant of a character MJ has — and variants crowd
where MJ itself holds near-identical characters (緒 / 緖, 郎 / 郞, 艶 / 艷, 晩 / 晚). When the
rank-1 glyph has such a neighbour, a confident verifier says less: a gaiji drawn like it may
be the neighbour's character, or a third one MJ does not have. Calibration measured it: with
every glyph of the query's character hidden, most gaiji still auto-accepted were accepted as a
glyph with a near-identical neighbour of another character.

The crowding of a glyph is the verifier's log-odds that the glyph (its own reference raster as
the query, its character excluded from the search) *is* its closest other character. It is
computed once per match index (a few seconds per 10,000 glyphs) and read by
:mod:`gaiji.match.trust` as evidence for ``no_match``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gaiji.progress import Progress, no_progress

BLOCK = 4096


def nearest_other_character(
    index: Any, rasters: Any, *, progress: Progress = no_progress
) -> tuple[np.ndarray, np.ndarray]:
    """Per reference row: the verifier's logit that its closest *other* character's glyph is the
    same (``LOGIT_FLOOR`` for rows without a glyph) and that glyph's row (−1 when none).

    ``rasters``: the reference's canonical ``(N, 64, 64)`` rasters, row for row with ``index``.
    """
    from gaiji.match.trust import LOGIT_FLOOR, logit
    from gaiji.match.verified import rank_rasters_verified

    n = len(index.rows)
    crowd = np.full(n, LOGIT_FLOOR, np.float32)
    nearest = np.full(n, -1, np.int32)
    rows = np.asarray(index.searchable, np.int64)
    trust, index.trust = index.trust, None  # the verifier alone; no confidence needed here
    try:
        for i in range(0, len(rows), BLOCK):
            block = rows[i : i + BLOCK]
            ranked = rank_rasters_verified(
                index, np.asarray(rasters[block]), top_k=1, features=np.asarray(index.features[block]),
                exclude_groups=index.groups[block],
            )
            crowd[block] = logit(ranked.verify_score[:, 0])
            nearest[block] = ranked.rows[:, 0]
            progress(min(i + BLOCK, len(rows)), len(rows), "look-alikes inside MJ")
    finally:
        index.trust = trust
    return crowd, nearest
