"""Match v2: search → verify the shortlist → readings between characters → trusted confidence.

1. :func:`gaiji.match.ranking.search_shortlist` finds the best reference rows (exact search
   plus re-rank, as in v1).
2. The first :data:`VERIFY` of them are checked pair by pair by the learned verifier
   (:mod:`gaiji.match.verify`): the probability that the gaiji shows that very glyph. Its best
   candidates are also read as pictures by a small convolutional network
   (:mod:`gaiji.match.pair_cnn`), whose log-odds are added to the verifier's. Where the
   ledger's reading is not the search's best candidate's, glyphs of other characters read so
   are verified after them (:mod:`gaiji.match.reading_candidates`).
3. Ledger readings (and radical / strokes) reorder only *between characters*: every variant
   of one character gets the best agreement of any of them, so siblings keep the verifier's
   order and a reading never raises confidence between them.
4. :class:`gaiji.match.trust.TrustModel` turns the probabilities of the search's candidates
   into ``confidence``, ``ucs_confidence`` and ``no_match``, and decides ``auto_accept`` per
   input condition (never for a gaiji whose rank 1 is a reading candidate).

``score`` is in [0, 1]: the verifier's probability with the ledger's evidence between
characters added on the log-odds scale.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gaiji.match.edited import CHECK_BELOW, best_flipped, edited_no_match
from gaiji.match.features import glyph_features
from gaiji.match.pair_cnn import combined_logits
from gaiji.match.ranking import (
    SHORTLIST,
    QueryHints,
    RankedBatch,
    ledger_agreement,
    search_shortlist,
)
from gaiji.match.reading_candidates import READING_EXTRAS, reading_candidates
from gaiji.match.search import Shortlist
from gaiji.match.trust import LOOKALIKE_LOGIT, NO_MATCH_SUGGEST, is_small, logit, summarise
from gaiji.match.verify import explain_difference, ink_profiles, pair_features, pooled32

VERIFY = 10  # shortlist rows the verifier checks per gaiji
#: a full reading agreement multiplies the odds by e⁴ ≈ 55 (between characters only). Chosen on the
#: calibration fonts with simulated ledgers (gaiji.match.training.simulated_ledger, 5 % wrong
#: readings): rank-1 right 0.935 without readings, 0.946 / 0.952 / 0.955 / 0.960 / 0.963 at
#: weights 1 / 2 / 3 / 4 / 6 — 4 is where the gain flattens; more would trust ledgers' mistakes
READING_LOGIT = 4.0
#: for bitmaps of ≤ 16 px ink, whose picture tells look-alike characters apart less well, a full
#: agreement counts e⁶ ≈ 400. Chosen on 4,000 small calibration queries with simulated ledgers
#: (stop 24): rank-1 right 0.9153 / 0.9200 / 0.9233 / 0.9267 / 0.9240 / 0.9160 at weights
#: 4 / 5 / 6 / 8 / 10 / 12 — 6 where the gain flattens, short of the best, for ledgers with more
#: mistakes than the simulated 5 %. Small gaiji are never auto-accepted; their trust inputs read
#: the agreement, not its weight
SMALL_READING_LOGIT = 6.0
RADICAL_STROKES_LOGIT = 1.0


#: queries whose pairs are described at once: arrays of ~5 MB, reused by the allocator. At 512
#: (~20 MB each, ~170 MB in all) a ranking worker's first two batches spent ~1.3 s of system
#: time giving it fresh memory (huge pages cleared and, on a VM, backed); at 128 ~0.2 s, with
#: the same features (timed per batch inside the workers of `gaiji match` on 13,000 gaiji)
PAIR_BLOCK = 128


def verify_pairs(index, short, small, raw: np.ndarray, rasters: np.ndarray, sides: np.ndarray, n: int,  # type: ignore[no-untyped-def]
                 *, vectors: bool | None = None):
    """Pair features ``(Q, n, D)`` of each query with its first ``n`` shortlist rows (the vector
    blocks only when ``vectors`` or, by default, when the index's verifier reads them).

    Without the vector blocks, :data:`PAIR_BLOCK` queries are described at a time (the same
    values: every feature of a pair is computed from that pair alone)."""
    if vectors is None:
        vectors = index.verifier is None or index.verifier.needs_vectors
    q = len(raw)
    if not vectors and q > PAIR_BLOCK:
        blocks = []
        for i in range(0, q, PAIR_BLOCK):
            part = slice(i, i + PAIR_BLOCK)
            sub = Shortlist(rows=short.rows[part], image_score=short.image_score[part],
                            raw_score=short.raw_score[part], rerank_score=short.rerank_score[part])
            blocks.append(verify_pairs(index, sub, small[part], raw[part], rasters[part], np.asarray(sides)[part], n,
                                       vectors=False))
        return np.concatenate(blocks)
    n = min(n, short.rows.shape[1])
    rows = short.rows[:, :n]
    flat = rows.reshape(-1)
    query32 = pooled32(rasters)
    q32 = np.repeat(query32, n, axis=0)
    c32 = np.asarray(index.pooled[flat])  # uint8, shifted before scaling
    qx, qy = ink_profiles(query32)
    qraw = np.repeat(raw, n, axis=0)
    craw = np.asarray(index.features[flat], np.float32)
    rr = short.rerank_score
    best_other = np.where(np.arange(n)[None, :] == 0, rr[:, 1:2] if rr.shape[1] > 1 else rr[:, :1], rr[:, :1])
    feats = pair_features(
        q32, c32, qraw, craw,
        projected_cosine=short.image_score[:, :n].reshape(-1),
        rerank_score=rr[:, :n].reshape(-1),
        below_best=(rr[:, :1] - rr[:, :n]).reshape(-1),
        above_next=(rr[:, :n] - best_other).reshape(-1),
        side=np.repeat(np.asarray(sides, np.float32), n),
        query_projected=np.repeat(index.projection.project(raw), n, axis=0) if vectors else None,
        cand_projected=np.asarray(index.projected[flat], np.float32) if vectors else None,
        vectors=vectors,
        query_profiles=(np.repeat(qx, n, axis=0), np.repeat(qy, n, axis=0)),
        cand_profiles=index.pooled_profiles_of(flat),
    )
    return feats.reshape(q, n, -1)


class Verified(NamedTuple):
    """What :func:`verified_shortlist` found: arrays ``(Q, V)`` in the shortlist's order."""

    short: Shortlist
    feats: np.ndarray  # pair features (Q, V, D)
    p_mlp: np.ndarray  # the perceptron's probabilities
    p: np.ndarray  # with the pair network's log-odds added
    padding: np.ndarray  # bool: an empty reading-candidate slot (probability 0)
    shortlist_rows: int  # the first rows, from the search; reading candidates follow


def verified_shortlist(index, rasters: np.ndarray, raw: np.ndarray, sides: np.ndarray, n: int, *,  # type: ignore[no-untyped-def]
                       exclude_groups: np.ndarray | None = None, hints: list[QueryHints] | None = None) -> Verified:
    """Search, then the verifier (and the pair network) on the shortlist's first ``n`` rows
    (``V = min(n, shortlist length)``, in the shortlist's order).

    With ledger ``hints``, where a gaiji's reading is not the search's best candidate's, the
    glyphs of the best :data:`READING_EXTRAS` other characters that carry it follow them
    (:mod:`gaiji.match.reading_candidates`): ``V`` is then that much more for the whole batch,
    and the slots a gaiji has no reading candidate for are *padding* — probability 0, ranked
    below every candidate, read by nothing after."""
    q = len(rasters)
    short, small = search_shortlist(index, raw, sides, max(SHORTLIST, n + 1), exclude_groups=exclude_groups)
    v = shortlist_rows = min(n, short.rows.shape[1])
    feats = verify_pairs(index, short, small, raw, rasters, sides, v)
    p_mlp = index.verifier.probability(feats.reshape(q * v, -1)).reshape(q, v)
    padding = np.zeros((q, v), bool)
    if hints is not None and READING_EXTRAS and v >= 2:
        extra = reading_candidates(index, hints, raw, small, short.rows[:, :v], exclude_groups, READING_EXTRAS)
        if (extra >= 0).any():
            short, feats, p_mlp, padding = _with_reading_candidates(index, short, feats, p_mlp, extra, raw, rasters,
                                                                     sides, small)
            v = short.rows.shape[1]
    p = p_mlp
    if getattr(index, "pair_cnn", None) is not None:  # the pair network reads every gaiji's best candidates
        query32 = pooled32(rasters)
        p = _with_pair_network(index, query32, short.rows[:, :shortlist_rows], p_mlp[:, :shortlist_rows])
        if v > shortlist_rows:  # and the reading candidates, apart: the search's rows are read as calibrated
            have = np.flatnonzero(~padding[:, shortlist_rows:].all(axis=1))
            more = np.zeros((q, v - shortlist_rows))
            more[have] = _with_pair_network(index, query32[have], short.rows[have, shortlist_rows:],
                                            p_mlp[have, shortlist_rows:])
            p = np.concatenate([p, more], axis=1)
            p[padding] = 0.0
    return Verified(short, feats, p_mlp, p, padding, shortlist_rows)


def _with_pair_network(index, query32: np.ndarray, rows: np.ndarray, p_mlp: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Probabilities with the pair network's log-odds added (:func:`combined_logits`)."""
    return 1.0 / (1.0 + np.exp(-combined_logits(index.pair_cnn, query32, rows, index.pooled, logit(p_mlp),
                                                 profiles_of=index.pooled_profiles_of)))


def _with_reading_candidates(index, short: Shortlist, feats: np.ndarray, p_mlp: np.ndarray, extra: np.ndarray,  # type: ignore[no-untyped-def]
                             raw: np.ndarray, rasters: np.ndarray, sides: np.ndarray,
                             small: np.ndarray) -> tuple[Shortlist, np.ndarray, np.ndarray, np.ndarray]:
    """The verified rows with the reading candidates ``extra`` ``(Q, E)`` (-1: none) after them:
    scored as the search scores its rows, described and verified against the same best two
    (only for the gaiji that have any); ``(shortlist, feats, p_mlp, padding)``, each ``(Q, V + E)``."""
    from gaiji.match.ranking import RAW_WEIGHT, SMALL_RAW_WEIGHT, projected_similarity
    from gaiji.match.search import shortlist_similarity

    q, v = p_mlp.shape
    e = extra.shape[1]
    padding = extra < 0
    have = np.flatnonzero(~padding.all(axis=1))
    rows = np.where(padding, short.rows[:, :1], extra)  # padding: any real row, never read
    sub_rows, sub_small, sub_raw = rows[have], small[have], raw[have]
    image = projected_similarity(index, sub_raw, sides[have], sub_small, sub_rows)
    raw_sim = shortlist_similarity(sub_raw, sub_rows, index.features)
    weight = np.where(sub_small, SMALL_RAW_WEIGHT, RAW_WEIGHT)[:, None]
    # the pair features read the shortlist's best two (margins): verified behind them
    both = lambda a, b: np.concatenate([a[have, :2], b], axis=1)
    sub = Shortlist(rows=both(short.rows, sub_rows), image_score=both(short.image_score, image),
                    raw_score=both(short.raw_score, raw_sim),
                    rerank_score=both(short.rerank_score, (1 - weight) * image + weight * raw_sim))
    sub_feats = verify_pairs(index, sub, sub_small, sub_raw, rasters[have], sides[have], 2 + e)[:, 2:]
    d = feats.shape[2]
    more_feats = np.zeros((q, e, d), feats.dtype)
    more_feats[have] = sub_feats
    more_p = np.zeros((q, e), p_mlp.dtype)
    more_p[have] = index.verifier.probability(sub_feats.reshape(-1, d)).reshape(len(have), e)
    more_p[padding] = 0.0
    scores = {name: np.zeros((q, e), np.float32) for name in ("image_score", "raw_score", "rerank_score")}
    for name, values in scores.items():
        values[have] = getattr(sub, name)[:, 2:]
    extended = Shortlist(rows=np.concatenate([short.rows[:, :v], rows], axis=1),
                         **{name: np.concatenate([getattr(short, name)[:, :v], scores[name]], axis=1) for name in scores})
    return (extended, np.concatenate([feats, more_feats], axis=1), np.concatenate([p_mlp, more_p], axis=1),
            np.concatenate([np.zeros((q, v), bool), padding], axis=1))


def rank_rasters_verified(
    index,  # type: ignore[no-untyped-def]
    rasters: np.ndarray,
    hints: list[QueryHints] | None = None,
    *,
    top_k: int = 10,
    features: np.ndarray | None = None,
    sides: np.ndarray | None = None,
    exclude_groups: np.ndarray | None = None,
) -> RankedBatch:
    """Rank MJ glyphs for canonical rasters ``(Q, 64, 64)`` with the verifier and trust model."""
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    if index.verifier is None:
        from gaiji.errors import ReferenceMissing

        raise ReferenceMissing("this match index has no verifier; rebuild it with `gaiji match --rebuild-index`")
    q = len(rasters)
    raw = glyph_features(rasters) if features is None else np.asarray(features, np.float32)
    sides = np.zeros(q, np.int64) if sides is None else np.asarray(sides)
    verified = verified_shortlist(index, rasters, raw, sides, max(VERIFY, top_k), exclude_groups=exclude_groups,
                                  hints=hints)
    short, feats, p_mlp, p, padding = verified.short, verified.feats, verified.p_mlp, verified.p, verified.padding
    v = p.shape[1]
    rows = short.rows[:, :v]
    groups = np.where(padding, -1, index.groups[rows])  # padding: no character
    reading, rs, matched = ledger_agreement(index, hints, rows, skip=padding if padding.any() else None)
    if hints is not None:
        reading = _shared_by_character(reading, groups)
        rs = _shared_by_character(rs, groups)
        reading[padding] = 0.0  # padding shares the group -1
        rs[padding] = 0.0
    weight = np.where(is_small(sides), SMALL_READING_LOGIT, READING_LOGIT)[:, None]
    key = logit(p) + weight * reading + RADICAL_STROKES_LOGIT * rs
    order = np.argsort(-key, axis=1, kind="stable")
    take = lambda a: np.take_along_axis(a, order, 1)
    key_sorted = take(key)
    score = 1.0 / (1.0 + np.exp(-key_sorted))
    p_sorted = take(p)
    groups_sorted = take(groups)
    # what the trust model reads: the reading's agreement alone — radical and strokes reorder
    # candidates between characters, but calibration's ledgers never gave them, so they do not move
    # confidence (a 0.25 share of them did; no calibration query had any)
    agreement = reading
    rows_sorted = take(rows)
    n0 = verified.shortlist_rows
    # the trust model decides on the shortlist's rows, as calibration saw them; where a reading
    # candidate ranks first, it reads that candidate among them (and nothing is auto-accepted)
    first_brought = order[:, 0] >= n0
    with_trust = index.trust is not None
    summary, rank1 = _summary(index, key[:, :n0], p[:, :n0], groups[:, :n0], agreement[:, :n0], rows[:, :n0],
                              exclude_groups if with_trust else None)
    trust = None
    if with_trust:
        trust = index.trust.assess(summary, sides)
        if first_brought.any():
            sub = np.flatnonzero(first_brought)
            again = index.trust.assess(_summary(
                index, key[sub], p[sub], groups[sub], agreement[sub], rows[sub],
                None if exclude_groups is None else np.asarray(exclude_groups)[sub], n0)[0], sides[sub])
            for name in ("confidence", "ucs_confidence", "no_match", "stratum"):
                trust[name] = np.array(trust[name], copy=True)
                trust[name][sub] = again[name]
            trust["auto_accept"] = np.asarray(trust["auto_accept"], bool) & ~first_brought
    k = min(top_k, n0)
    best_other = np.where(np.arange(k)[None, :] == 0, score[:, 1:2] if v > 1 else 0.0, score[:, 0:1])
    confidence = np.full((q, k), np.nan)
    auto = np.zeros(q, bool)
    ucs_conf = np.full(q, np.nan)
    no_match = np.full(q, np.nan)
    stratum: list[str] = [""] * q
    edited_note = [""] * q
    if trust is not None:
        confidence[:, 0] = trust["confidence"]
        ucs_conf = trust["ucs_confidence"]
        no_match = trust["no_match"]
        auto = trust["auto_accept"]
        stratum = [str(s) for s in trust["stratum"]]
        # a gaiji the verifier doubts upright may be an MJ glyph mirrored or turned (an editing slip);
        # the check's thresholds were chosen on the perceptron's probabilities
        best = p_mlp[:, :n0].argmax(axis=1)
        p_best = p_mlp[np.arange(q), best]
        flipped = best_flipped(index, rasters, sides, p_best < CHECK_BELOW, exclude_groups=exclude_groups,
                               features=raw)
        edited = edited_no_match(p_best, groups[np.arange(q), best], flipped, index.groups)
        for i in np.flatnonzero(edited > 0):
            r = index.rows[int(flipped.row[i])]
            edited_note[i] = EDITED_NOTE.format(char=r.char, mj=r.mj, how=flipped.how[i], p=flipped.probability[i])
        raised = np.maximum(no_match, edited)
        # confidence = (1 − no_match) × …: the character factor follows the raised no_match
        keep = (1 - raised) / np.maximum(1 - no_match, 1e-12)
        ucs_conf = ucs_conf * keep
        confidence[:, 0] = confidence[:, 0] * keep
        no_match = raised
        auto = auto & (edited == 0)
    brought = (~padding[:, n0:]).any(axis=1)
    feats_sorted = np.take_along_axis(feats, order[:, :, None], 1)
    evidence = [edited_note[i] + _evidence(feats_sorted[i], groups_sorted[i], no_match[i], auto[i])
                + _lookalike(index, int(rows_sorted[i, 0]))
                + (READING_FIRST_NOTE if first_brought[i] else READING_NOTE if brought[i] else "") for i in range(q)]
    matched_sorted = [[matched[i][int(j)] for j in order[i, :k]] for i in range(q)]
    return RankedBatch(
        rows=rows_sorted[:, :k],
        score=score[:, :k],
        image_score=take(short.image_score[:, :v])[:, :k],
        rerank_score=take(short.rerank_score[:, :v])[:, :k],
        reading_score=take(reading)[:, :k],
        radical_strokes_score=take(rs)[:, :k],
        gap=(score[:, :k] - best_other),
        confidence=confidence,
        auto_accept=auto,
        reading_matched=matched_sorted,
        verify_score=p_sorted[:, :k],
        ucs_confidence=np.asarray(ucs_conf, np.float64),
        no_match=np.asarray(no_match, np.float64),
        stratum=stratum,
        evidence=evidence,
        trust_summary=summary,
        trust_rank1=rank1,
    )


def _summary(index, key: np.ndarray, p: np.ndarray, groups: np.ndarray, agreement: np.ndarray,  # type: ignore[no-untyped-def]
             rows: np.ndarray, exclude_groups: np.ndarray | None, n: int | None = None) -> tuple[Any, np.ndarray]:
    """What the trust model reads of candidates ``(Q, V)`` (unsorted; ``agreement``: the
    ledger reading's): sorted by ``key``, the first ``n``
    (default all) summarised with the rank-1 glyph's crowding — worked out again as if MJ
    lacked the characters ``exclude_groups`` hides. ``(summary, rank-1 rows)``."""
    order = np.argsort(-key, axis=1, kind="stable")
    take = lambda a: np.take_along_axis(a, order, 1)
    first = take(rows)[:, 0]
    crowd = None if index.crowd is None else np.asarray(index.crowd)[first]
    if crowd is not None and exclude_groups is not None:
        # a character hidden: crowded as if MJ lacked it
        from gaiji.match.lookalikes import crowd_when_hidden

        crowd = crowd_when_hidden(index, first, np.asarray(exclude_groups))
    n = key.shape[1] if n is None else n
    return summarise(take(p)[:, :n], take(groups)[:, :n], take(agreement)[:, :n], crowd), first


def _shared_by_character(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each candidate gets the best value among the candidates of its character (group)."""
    same = groups[:, :, None] == groups[:, None, :]
    return np.where(same, values[:, None, :], -np.inf).max(axis=2)


#: evidence texts (read back by :func:`evidence_notes` for the review desk)
EDITED_NOTE = "looks like {char} ({mj}) {how} (p={p:.2f}): an editing slip? No character is drawn so; "
READING_NOTE = ("; the ledger's reading is not the closest look-alike's: the closest glyphs of other characters "
                "read so were verified too")
READING_FIRST_NOTE = ("; rank 1 came with the ledger's reading (the picture alone ranked it below the ten): "
                      "a reviewer confirms it, never auto-accepted")
LOOKALIKE_NOTE = "; look-alike in MJ: {char} ({mj}) is another character drawn almost the same way"
FRAMED_NOTE = ("the picture has straight lines of ink along its edges (a scanned cell's border?), which the "
               "candidates may read as part of the glyph — a box makes 木 look like 困: never auto-accepted; ")


MARKS_NOTE = ("marks in colour (a pen's circle or tick, a seal) were taken out of the picture, which has dark ink "
              "besides; the colour may have been the glyph: never auto-accepted; ")
CUT_NOTE = ("a piece of ink cut off at the picture's edge (a neighbouring cell's glyph?) was left out; the rest "
            "may not be the whole glyph: never auto-accepted; ")


def _lookalike(index, row: int) -> str:  # type: ignore[no-untyped-def]
    """Evidence naming the rank-1 glyph's near-identical glyph of another character, if MJ has one
    (crowding ≥ :data:`gaiji.match.trust.LOOKALIKE_LOGIT`, where auto-accept is withheld too)."""
    if index.crowd is None or index.crowd_row is None or index.crowd[row] < LOOKALIKE_LOGIT:
        return ""
    other = int(index.crowd_row[row])
    if other < 0:
        return ""
    r = index.rows[other]
    return LOOKALIKE_NOTE.format(char=r.char, mj=r.mj)


def evidence_notes(evidence: str) -> dict[str, Any]:
    """The structured parts of a v2 ``evidence`` text, for the review desk: the MJ glyph an
    edited gaiji looks like turned back (``edited``: char, mj, how) and rank 1's look-alike of
    another character (``lookalike``: char, mj), None where the text has none; and whether rank
    1 came with the ledger's reading (``reading_first``: bool), whether the picture has lines
    along its edges (``framed``: bool, :data:`FRAMED_NOTE`) and whether a piece of ink cut off at
    its edge was left out (``cut_off``: bool, :data:`CUT_NOTE`), and whether marks in colour were
    taken out of it (``colour_marks``: bool, :data:`MARKS_NOTE`)."""
    import re

    edited = re.match(r"looks like (?P<char>\S+) \((?P<mj>MJ\d+)\) (?P<how>mirrored|turned upside down|"
                      r"flipped upside down) \(p=", evidence or "")
    lookalike = re.search(r"look-alike in MJ: (?P<char>\S+) \((?P<mj>MJ\d+)\)", evidence or "")
    return {"edited": edited.groupdict() if edited else None,
            "lookalike": lookalike.groupdict() if lookalike else None,
            "reading_first": "rank 1 came with the ledger's reading" in (evidence or ""),
            "framed": (evidence or "").startswith(FRAMED_NOTE[:40]),
            "cut_off": CUT_NOTE[:40] in (evidence or ""),
            "colour_marks": MARKS_NOTE[:40] in (evidence or "")}


def _evidence(feats: np.ndarray, groups: np.ndarray, no_match: float, accepted: bool) -> str:
    parts = []
    if np.isfinite(no_match) and no_match >= NO_MATCH_SUGGEST:
        parts.append(f"該当なし suggested: no MJ glyph verified as the same character (p={no_match:.2f}); "
                     f"nearest: {explain_difference(feats[0])}")
    elif len(groups) > 1 and (groups[1:] == groups[0]).any():
        j = 1 + int(np.flatnonzero(groups[1:] == groups[0])[0])
        parts.append(f"variant question: rank {j + 1} is another variant of the same character; vs rank {j + 1}: "
                     f"{explain_difference(feats[j])}")
    if not parts:
        parts.append("verified against the shortlist: " + explain_difference(feats[0]))
    return "; ".join(parts)
