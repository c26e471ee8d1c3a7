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
