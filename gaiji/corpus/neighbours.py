"""Cross-design evidence for families: a group's nearest *designs* in the corpus.

A family (:mod:`.family`) admits a group on its own representative's rank 1 alone. Many groups
the matcher is unsure of in isolation have other designs of the same glyph in the corpus that it
*was* sure of: the same character drawn by another vendor, or the same drawing rasterised at
another size. This module lets the corpus vote: the representatives' glyph features (the
matcher's own 512-d features, L2-normalised, from the ``gaiji`` table) are compared group with
group, and a group not admitted by the matcher alone joins the family of its rank-1 MJ glyph when

* its rank 1 is an MJ glyph, not 該当なし-suggested, with ``ucs_confidence`` ≥
  :data:`MIN_UCS_CONFIDENCE` — or, when sibling-contested (another variant on the shortlist),
  variant ``confidence`` ≥ :data:`MIN_SIBLING_CONFIDENCE`;
* its nearest *admitted* design (among its :data:`NEIGHBOURS` nearest groups by feature cosine)
  has cosine ≥ :data:`MIN_COSINE` and belongs to that same MJ glyph's family;
* and the first :data:`AGREE` (:data:`AGREE_SIBLING` when sibling-contested) admitted designs in
  order of closeness all do, before any admitted design of another glyph.

Only groups admitted by the matcher's own evidence vote (one round: a group joined here never
vouches for another). A design vote agrees with the matcher's rank 1 or nothing happens: it never
moves a group to another glyph.

How the numbers were chosen: on simulated corpora of seeds 77 and 4242 only (10k, 30k, 100k
gaiji), families re-formed from kept candidates and counted as ``benchmarks/corpus_scale.py``
counts (``benchmarks/family_rules.py``), as the fewest reviewer decisions at 100k with at most
0.1 % of families holding two MJ glyphs at every seed and size. Grid and what failed:
``benchmarks/CORPUS_FAMILIES.md``.

The search is exact (a flat inner-product index) up to :data:`EXACT_SEARCH_MAX` groups — the
simulated 100k corpora have about 25,000, and the rule was chosen with exact neighbours. Above,
an inverted-file index (4·√n lists, :data:`PROBES` probed) keeps the cost near-linear for a
national corpus; it may miss a near design, so its votes are not the measured ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gaiji.corpus.family import as_float

#: nearest groups looked at for each candidate group
NEIGHBOURS = 30
#: the nearest admitted design must be at least this close (feature cosine)
MIN_COSINE = 0.9
#: admitted designs, nearest first, that must share the glyph before any other glyph's
AGREE = 2
AGREE_SIBLING = 3
#: the candidate's own rank 1 must be at least this sure of its character (0.8 until stop 22's
#: matcher, whose look-alikes then joined at 0.81–0.90: 毫 ← 亳, 俱 ← 倶󠄂) …
MIN_UCS_CONFIDENCE = 0.92
#: … or, when sibling-contested, of its variant
MIN_SIBLING_CONFIDENCE = 0.95
#: groups searched exhaustively; above, an approximate (IVF) index
EXACT_SEARCH_MAX = 100_000
PROBES = 32


@dataclass(frozen=True)
class DesignVote:
    """The corpus's vote for one group: the MJ glyph of its nearest admitted designs."""

    mj: str
    cosine: float  # of the nearest admitted design
    agreeing: int  # admitted designs, nearest first, of that glyph before any other glyph's


def unit_rows(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero).

    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    x = np.asarray(features, np.float32)
    return np.ascontiguousarray(x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12))


def nearest_designs(x: np.ndarray, rows: Sequence[int], k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """For each of *rows*, its *k* nearest other rows of *x* (unit vectors) by inner product,
    nearest first: ``(cosines, indices)``; -1 pads when there are fewer rows (or, with the
    approximate index, fewer found)."""
    from gaiji.corpus.group import inner_product_index

    n = len(x)
    index = inner_product_index(x, exact_max=EXACT_SEARCH_MAX, probes=PROBES)
    q = np.asarray(list(rows), np.int64)
    if not len(q):
        return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
    sims, idx = index.search(x[q], min(k + 1, n))
    out_s = np.full((len(q), k), -1.0, np.float32)
    out_i = np.full((len(q), k), -1, np.int64)
    for r, own in enumerate(q):
        keep = [(s, i) for s, i in zip(sims[r], idx[r]) if i >= 0 and i != own][:k]
        for c, (s, i) in enumerate(keep):
            out_s[r, c], out_i[r, c] = s, i
    return out_s, out_i


def design_vote(cosines: Sequence[float], indices: Sequence[int], admitted: Sequence[str]) -> DesignVote | None:
    """The vote of one group's neighbours (*cosines*/*indices* nearest first; *admitted* gives
    each group's family glyph, '' when not admitted).

    >>> design_vote([0.97, 0.95, 0.94, 0.9], [4, 1, 2, 3], ["MJ1", "MJ1", "", "MJ2", "MJ1"])
    DesignVote(mj='MJ1', cosine=0.97, agreeing=2)
    >>> design_vote([0.9], [2], ["MJ1", "MJ1", ""]) is None
    True
    """
    mj = ""
    first = 0.0
    agreeing = 0
    for s, i in zip(cosines, indices):
        if i < 0:
            break
        m = admitted[int(i)]
        if not m:
            continue
        if not mj:
            mj, first = m, float(s)
        if m != mj:
            break
        agreeing += 1
    return DesignVote(mj, first, agreeing) if mj else None


def eligible(rank1: Mapping[str, Any] | None) -> bool:
    """Whether a group's rank-1 row may be confirmed by its designs (module doc).

    >>> row = {"mj": "MJ1", "ref_set": "MJ", "no_match": "0.01", "stratum": "mid/distinct",
    ...        "ucs_confidence": "0.93", "confidence": "0.93"}
    >>> eligible(row), eligible({**row, "ucs_confidence": "0.9"}), eligible({**row, "no_match": "0.5"})
    (True, False, False)
    >>> eligible({**row, "stratum": "mid/siblings", "confidence": "0.96"})
    True
    """
    from gaiji.match.trust import NO_MATCH_SUGGEST

    if not rank1 or not rank1.get("mj") or (rank1.get("ref_set") or "MJ") != "MJ":
        return False
    if not as_float(rank1.get("no_match")) < NO_MATCH_SUGGEST:
        return False
    if str(rank1.get("stratum", "")).endswith("siblings"):
        return as_float(rank1.get("confidence")) >= MIN_SIBLING_CONFIDENCE
    return as_float(rank1.get("ucs_confidence")) >= MIN_UCS_CONFIDENCE


def joins_by_design(features: np.ndarray, rank1: Sequence[Mapping[str, Any] | None],
                    admitted: Sequence[str]) -> dict[int, DesignVote]:
    """Groups (row numbers of *features*, one row per group) that join the family of their
    rank-1 glyph by the vote of their designs; *admitted* is each group's family glyph by the
    matcher's own evidence ('' when none)."""
    todo = [g for g, (r, a) in enumerate(zip(rank1, admitted)) if not a and eligible(r)]
    if not todo or not any(admitted):
        return {}
    x = unit_rows(features)
    sims, idx = nearest_designs(x, todo)
    out: dict[int, DesignVote] = {}
    for row, g in enumerate(todo):
        r = rank1[g]
        assert r is not None  # eligible
        vote = design_vote(sims[row], idx[row], admitted)
        need = AGREE_SIBLING if str(r.get("stratum", "")).endswith("siblings") else AGREE
        if vote and vote.mj == r["mj"] and vote.cosine >= MIN_COSINE and vote.agreeing >= need:
            out[g] = vote
    return out
