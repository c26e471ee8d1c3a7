"""Confidence that means what it says (match v2): calibrated probabilities and auto-accept
thresholds with a finite-sample guarantee, per input condition.

From the verifier's probabilities over a gaiji's shortlist, three numbers are calibrated on
queries rendered from the *calibration* fonts (never learned from, never benchmarked):

* ``ucs_confidence`` — the rank-1 *character* is right, whichever variant: (1 − ``no_match``) ×
  the probability that rank 1 is the character given MJ has it;
* ``confidence`` — the rank-1 MJ glyph is the right one: ``ucs_confidence`` × the probability
  of this variant given the character, which looks at the verifier only;
* ``no_match`` — no reference glyph is the same character. Calibration simulates such gaiji by
  hiding every MJ glyph of the query's character from the search; the probability is stated
  for a prior of :data:`NO_MATCH_PRIOR` gaiji without an MJ equivalent.

Each is a logistic map (Platt scaling) with non-negative weights on margins, so it never falls
when the evidence for rank 1 grows. ``no_match`` may also read the rank-1 glyph's *crowding*
(:mod:`gaiji.match.lookalikes`: how near MJ's closest glyph of another character is to it),
alone and gated by the verifier's sureness, with a non-negative weight. Until stop 21 the fit
gave it one, but calibration's hidden characters then crowded their own look-alikes (the
hidden character was most often the look-alike's nearest neighbour, which a character MJ truly
lacks never is); crowded as if MJ lacked them (:func:`gaiji.match.lookalikes.crowd_when_hidden`),
the fit gives crowding no weight. Readings enter only as
the difference between the rank-1 character and the best *other* character: variants of one
character share their readings, so a reading cannot raise confidence between siblings; and
the variant factor ignores them. Where another variant of the rank-1 character is on the
shortlist, the variant factor is tempered (:attr:`TrustModel.variant_temperature`): its map is
fitted on IPAmj's own variant glyphs, and drawn by other hands variants are told apart less
surely (:mod:`gaiji.match.variant_designs`).

Auto-accept thresholds are chosen per **stratum** — ink size of the source (≤ 16 px, 17–32 px,
larger) × whether another variant of the rank-1 character is on the shortlist — as the lowest confidence at
which a 95 % upper bound on the error rate among accepted gaiji stays at or below
:data:`MAX_ERROR`, built from Clopper–Pearson bounds (C. J. Clopper, E. S. Pearson,
Biometrika 26, 1934) on the calibration queries of that stratum: wrong glyphs accepted, and
simulated no-equivalent gaiji accepted at all, weighted by :data:`NO_MATCH_PRIOR`; and a 95 %
bound on the share of those accepted stays at or below :data:`MAX_NO_EQUIVALENT_ACCEPT` (for small
bitmaps :data:`SMALL_MAX_NO_EQUIVALENT_ACCEPT`, a fifth) — over the calibration's mix of drawings
and within each kind of drawing (outline, bitmap, scan …) large enough to show it
(:func:`min_absent_group`), since a set of clean outlines sees one kind only. A
gaiji whose ``no_match`` reaches :data:`NO_MATCH_SUGGEST` is never auto-accepted, nor one whose
rank-1 glyph has a look-alike of another character in MJ (:func:`has_lookalike`): those are four
times as often wrong as the rest, and too few for a bound of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

TRUST_VERSION = "4"  # 2: no_match reads the rank-1 glyph's crowding; 3: maps of their own for small bitmaps;
#: 4: the variant factor of "which variant?" gaiji tempered for designs other than IPAmj's (variant_temperature)
MAX_ERROR = 0.005  # 95 % upper bound on the error rate among auto-accepted calibration queries
NO_MATCH_PRIOR = 0.05  # share of gaiji assumed to have no MJ equivalent (for `no_match` and the error budget)
#: and, whatever that share: a 95 % upper bound on the share of gaiji *without* an MJ equivalent
#: that are auto-accepted (each one a resident's character replaced by a look-alike)
MAX_NO_EQUIVALENT_ACCEPT = 0.005
#: the same bound for small bitmaps (≤ 16 px), a fifth as high. Their calibration queries are
#: outline fonts drawn by FreeType at 12–15 px; a real bitmap font's hidden characters were
#: accepted 3.4 times as often (held out, jiskan16: 8 of 600 at the bound above, calibration 0.39 %),
#: so calibration must show under 0.5 % / 3.4 ≈ 0.15 % for such a font to stay within 0.5 %
SMALL_MAX_NO_EQUIVALENT_ACCEPT = 0.001
#: crowding (gaiji.match.lookalikes) from which the rank-1 glyph has a look-alike of another
#: character in MJ — a glyph drawn almost the same way. Such a gaiji is never auto-accepted: on the
#: calibration queries 375 of 47,932 present gaiji have one, and 17 % of those are wrong (4 % of
#: all); the thresholds accepted 31 of them, too few to bound their error (0 wrong, 95 % bound 9 %)
LOOKALIKE_LOGIT = 0.0
SIZE_CLASSES = ("small", "mid", "large")
LOGIT_FLOOR = -12.0
LOGIT_CEILING = float(np.log((1 - 1e-6) / 1e-6))  # the largest logit() returns
CROWD_GATE = 8.0  # verifier log-odds at which a look-alike neighbour counts in full for no_match
#: auto-accept where another variant of the rank-1 character is on the shortlist? Not yet: no calibration
#: font draws Moji_Joho variants in another design (they are calibrated on IPAmj's own glyphs,
#: degraded), and on the benchmark's Hanazono variants that calibration did not hold (precision
#: 0.97 < 0.99). Such gaiji go to the desk as a "which variant?" question instead.
AUTO_ACCEPT_SIBLINGS = False
#: at or above this ``no_match`` a gaiji is suggested as 該当なし and never auto-accepted. Not 0.5:
#: at the 5 % prior, "more likely than not" flags only a quarter of the calibration's gaiji
#: without an equivalent; at 0.2 about half, while flagging ~5 % of those that have one (the
#: rates of the shipped model are in trust.json, ``info.no_match_suggest``)
NO_MATCH_SUGGEST = 0.2
#: a kind of drawing (outline, bitmap, scan …) holds the no-equivalent bound on its own from this
#: many hidden-character queries of a stratum on (fewer cannot show 0.5 % with 95 % confidence)
MIN_ABSENT_GROUP = 600
NO_MATCH_BLOCK = NO_MATCH_SUGGEST


#: ink box of at most this many source pixels: a 12–16 px bitmap. Such gaiji are searched with the
#: small-bitmap projection (gaiji.match.ranking) and calibrated with maps and thresholds of their
#: own — one size, so that both agree
SMALL_SIDE = 16
MID_SIDE = 32


def is_small(sides: np.ndarray) -> np.ndarray:
    """Whether each ink side (source pixels; 0 = unknown) is a small bitmap's (1–:data:`SMALL_SIDE`)."""
    s = np.asarray(sides)
    return (s > 0) & (s <= SMALL_SIDE)


def size_class(sides: np.ndarray) -> np.ndarray:
    """Ink side in source pixels → ``small`` (1–16), ``mid`` (17–32) or ``large`` (else).

    >>> size_class(np.array([12, 20, 64, 0])).tolist()
    ['small', 'mid', 'large', 'large']
    """
    s = np.asarray(sides)
    return np.where(is_small(s), "small", np.where((s > SMALL_SIDE) & (s <= MID_SIDE), "mid", "large"))


def strata(sides: np.ndarray, sibling_contested: np.ndarray) -> np.ndarray:
    """Stratum names such as ``mid/siblings`` or ``large/distinct``."""
    sib = np.where(np.asarray(sibling_contested, bool), "siblings", "distinct")
    return np.char.add(np.char.add(size_class(sides).astype(str), "/"), sib.astype(str))


def clopper_pearson_upper(errors: int, n: int, *, alpha: float = 0.05) -> float:
    """One-sided upper (1 − alpha) bound on a binomial rate after ``errors`` in ``n``.

    >>> round(clopper_pearson_upper(0, 598), 4)
    0.005
    >>> clopper_pearson_upper(0, 0)
    1.0
    """
    from scipy.stats import beta

    if n <= 0:
        return 1.0
    if errors >= n:
        return 1.0
    return float(beta.ppf(1 - alpha, errors + 1, n - errors))


def clopper_pearson_lower(successes: int, n: int, *, alpha: float = 0.05) -> float:
    """Two-sided (1 − alpha) lower bound on a binomial rate (for reporting precision).

    >>> round(clopper_pearson_lower(100, 100), 4)
    0.9638
    """
    from scipy.stats import beta

    if n <= 0 or successes <= 0:
        return 0.0
    return float(beta.ppf(alpha / 2, successes, n - successes + 1))


def min_absent_group(bound: float, alpha: float = 0.05 / 3) -> int:
    """Hidden-character queries a kind of drawing needs before it is held to the no-equivalent
    ``bound`` on its own: as many as can show that bound when none is accepted, at the
    confidence :func:`guaranteed_threshold` checks it with (``alpha``: a third of 5 %), and at
    least :data:`MIN_ABSENT_GROUP`. A smaller kind could never show it and would block every cut.

    >>> min_absent_group(0.005), min_absent_group(0.001)
    (817, 4093)
    """
    if not 0 < bound < 1:
        return MIN_ABSENT_GROUP
    return max(MIN_ABSENT_GROUP, int(np.ceil(np.log(alpha) / np.log1p(-bound))))


def guaranteed_threshold(
    confidence: np.ndarray,
    correct: np.ndarray,
    *,
    max_error: float = MAX_ERROR,
    absent_confidence: np.ndarray | None = None,
    prior: float = NO_MATCH_PRIOR,
    alpha: float = 0.05,
    max_absent_accept: float = 1.0,
    absent_groups: np.ndarray | None = None,
) -> float:
    """Lowest confidence c at which the error rate among gaiji accepted at ``≥ c`` is at most
    ``max_error`` with probability ≥ 1 − ``alpha``; ``inf`` when no cut is.

    The error rate counts both kinds of wrong acceptance: a present character accepted as the
    wrong glyph, and — at the stated ``prior`` share of gaiji without any equivalent — one of
    those accepted at all (``absent_confidence``: calibration queries whose character was hidden).
    Each rate is bounded by Clopper–Pearson (``alpha`` split between the bounds):
    ``((1−π)·U(wrong&accepted | present) + π·U(accepted | absent)) / ((1−π)·L(accepted | present))``.

    ``absent_groups``: a label per absent query (how it was drawn: outline, bitmap, scan …); the
    ``max_absent_accept`` bound must then also hold within every group large enough to show it
    (:data:`MIN_ABSENT_GROUP` queries) — not only over their mix, which a set of one kind of
    image (clean outlines, where the verifier is surest) would not see.

    >>> c = np.linspace(1, 0, 1000); ok = np.ones(1000, bool); ok[900:] = False
    >>> 0.1 < guaranteed_threshold(c, ok) < 0.5
    True
    """
    conf = np.asarray(confidence, np.float64)
    ok = np.asarray(correct, bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = len(conf)
    if n == 0:
        return float("inf")
    absent = np.sort(np.asarray(absent_confidence if absent_confidence is not None else [], np.float64))
    n_abs = len(absent)
    pi = prior if n_abs else 0.0
    a = alpha / 3 if n_abs else alpha / 2
    errors = np.cumsum(~ok)
    by_group: list[np.ndarray] = []
    if absent_groups is not None and n_abs:
        raw_absent = np.asarray(absent_confidence, np.float64)
        labels = np.asarray(absent_groups)
        by_group = [np.sort(raw_absent[labels == g]) for g in np.unique(labels)]
        by_group = [g for g in by_group if len(g) >= min_absent_group(max_absent_accept, a)]
    best = float("inf")
    for i in range(n):
        if i + 1 < n and conf[i + 1] == conf[i]:
            continue  # cut only between distinct values
        accepted = i + 1
        wrong_rate = clopper_pearson_upper(int(errors[i]), n, alpha=a)
        accept_rate = clopper_pearson_lower(accepted, n, alpha=2 * a)
        bound = (1 - pi) * wrong_rate
        absent_rate = 0.0
        if n_abs:
            k_abs = n_abs - int(np.searchsorted(absent, conf[i], side="left"))
            absent_rate = clopper_pearson_upper(k_abs, n_abs, alpha=a)
            bound += pi * absent_rate
        bound /= max((1 - pi) * accept_rate, 1e-12)
        for group in by_group:  # and within each kind of drawing
            if absent_rate > max_absent_accept:
                break
            k_group = len(group) - int(np.searchsorted(group, conf[i], side="left"))
            absent_rate = max(absent_rate, clopper_pearson_upper(k_group, len(group), alpha=a))
        if bound <= max_error and absent_rate <= max_absent_accept:
            best = float(conf[i])
    return best


@dataclass(frozen=True)
class Platt:
    """``sigmoid(bias + weights · x)``."""

    bias: float
    weights: tuple[float, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        # a map fitted on fewer inputs (an older trust.json) reads the first ones
        z = self.bias + np.asarray(x, np.float64)[:, : len(self.weights)] @ np.asarray(self.weights, np.float64)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> Platt:
        from gaiji.match.confidence import fit_logistic

        w = fit_logistic(np.asarray(x, np.float64), np.asarray(y, np.float64), l2=1e-2)
        return cls(bias=float(w[0]), weights=tuple(float(v) for v in w[1:]))


@dataclass(frozen=True)
class QuerySummary:
    """What the calibration looks at for each gaiji (arrays of length Q)."""

    top: np.ndarray  # logit of the rank-1 verifier probability
    other: np.ndarray  # best logit of another character
    sibling: np.ndarray  # best logit of another variant of the rank-1 character
    ucs: np.ndarray  # logit that the rank-1 character (any variant) is right
    reading_delta: np.ndarray  # reading agreement of rank 1's character minus the best other's
    sibling_contested: np.ndarray  # another variant of the rank-1 character is on the shortlist
    crowd: np.ndarray | None = None  # rank-1 glyph's crowding logit (gaiji.match.lookalikes); None: unknown

    def subset(self, keep: np.ndarray) -> QuerySummary:
        """The summaries of the queries selected by ``keep`` (a mask or indices)."""
        return QuerySummary(**{k: (None if getattr(self, k) is None else np.asarray(getattr(self, k))[keep])
                               for k in self.__dataclass_fields__})

    def variant_inputs(self) -> np.ndarray:
        """Which variant, given the character: the verifier alone (no ledger evidence)."""
        return np.column_stack([self.top - self.sibling, self.top])

    def ucs_inputs(self) -> np.ndarray:
        return np.column_stack([self.ucs, self.ucs - self.other, self.reading_delta])

    def no_match_inputs(self) -> np.ndarray:
        """Weak evidence for rank 1, and its crowding — alone and gated by the verifier's
        sureness (a look-alike neighbour matters when the verifier is sure, at low
        probability the gaiji is suspect anyway). With non-negative weights ``no_match`` never
        falls as crowding grows; it falls with ``top`` while the first weight outweighs the
        gate's (checked when fitted: :func:`fit_trust`)."""
        crowd = (np.full(len(self.top), LOGIT_FLOOR) if self.crowd is None else np.asarray(self.crowd, np.float64))
        near = crowd - LOGIT_FLOOR  # ≥ 0
        return np.column_stack([-self.ucs, -self.top, near, near * np.clip(self.top, 0, CROWD_GATE) / CROWD_GATE])


def has_lookalike(summary: QuerySummary) -> np.ndarray:
    """Per query, whether MJ has another character drawn almost as the rank-1 glyph
    (:data:`LOOKALIKE_LOGIT`); all False when the crowding is unknown."""
    if summary.crowd is None:
        return np.zeros(len(summary.top), bool)
    return np.asarray(summary.crowd, np.float64) >= LOOKALIKE_LOGIT


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.maximum(np.log(p / (1 - p)), LOGIT_FLOOR)


def summarise(probability: np.ndarray, groups: np.ndarray, reading: np.ndarray | None = None,
              crowd: np.ndarray | None = None) -> QuerySummary:
    """Per query, from verifier probabilities ``(Q, V)`` (best first) and the character group of
    each candidate ``(Q, V)``, the inputs of the calibrated maps; ``crowd``: the rank-1 glyph's
    crowding logit per query (:mod:`gaiji.match.lookalikes`)."""
    p = np.asarray(probability, np.float64)
    g = np.asarray(groups)
    lg = logit(p)
    same = g == g[:, :1]
    floor = np.full_like(lg, LOGIT_FLOOR)
    other = np.where(~same, lg, floor).max(axis=1)
    sib = np.where(same, lg, floor)
    sib[:, 0] = LOGIT_FLOOR
    sibling = sib.max(axis=1)
    # the character is right if any of its variants is: combine its candidates' probabilities
    p_ucs = 1 - np.prod(np.where(same, 1 - p, 1.0), axis=1)
    if reading is None:
        delta = np.zeros(len(p))
    else:
        r = np.asarray(reading, np.float64)
        delta = r[:, 0] - np.where(~same, r, 0.0).max(axis=1)
    # "which variant?" is open when any other variant of the rank-1 character is on the shortlist
    contested = same[:, 1:].any(axis=1) if p.shape[1] > 1 else np.zeros(len(p), bool)
    return QuerySummary(top=lg[:, 0], other=other, sibling=sibling, ucs=logit(p_ucs),
                        reading_delta=delta, sibling_contested=contested,
                        crowd=None if crowd is None else np.asarray(crowd, np.float64))


@dataclass
class TrustModel:
    """The calibrated maps and the per-stratum auto-accept thresholds."""

    variant_map: Platt
    ucs_map: Platt
    no_match_map: Platt
    thresholds: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)
    #: (variant, ucs, no_match) maps of their own for small bitmaps (≤ 16 px): the verifier and
    #: the pair network (gaiji.match.pair_cnn) are sure of them on another scale than of larger gaiji
    small_maps: tuple[Platt, Platt, Platt] | None = None
    #: where another variant of the rank-1 character is on the shortlist, the variant factor's
    #: log-odds are multiplied by this (≤ 1). The variant map is fitted on IPAmj's own variant
    #: glyphs, degraded; drawn in another design the distinguishing detail is drawn the design's
    #: way and the verifier is surer than it is right (:func:`fit_variant_temperature`,
    #: fitted on variants another font draws: gaiji.match.variant_designs). 1: as fitted
    variant_temperature: float = 1.0

    def assess(self, summary: QuerySummary, sides: np.ndarray) -> dict[str, np.ndarray]:
        x_nm, x_ucs, x_var = summary.no_match_inputs(), summary.ucs_inputs(), summary.variant_inputs()
        raw_nm, p_ucs, p_var = self.no_match_map(x_nm), self.ucs_map(x_ucs), self.variant_map(x_var)
        if self.small_maps is not None:
            small = size_class(sides) == "small"
            if small.any():
                variant_map, ucs_map, nm_map = self.small_maps
                raw_nm[small], p_ucs[small], p_var[small] = nm_map(x_nm[small]), ucs_map(x_ucs[small]), variant_map(x_var[small])
        if self.variant_temperature != 1.0:  # "which variant?": as sure as variants in other designs allow
            contested = np.asarray(summary.sibling_contested, bool)
            p_var = np.where(contested, temper(p_var, self.variant_temperature), p_var)
        no_match = _prior_shift(raw_nm, self.info.get("no_match_fit_prior", 0.5), NO_MATCH_PRIOR)
        # P(character right) = P(MJ has it) × P(rank 1 is it | MJ has it);
        # P(MJ glyph right) = P(character right) × P(this variant | character right): readings
        # and radicals enter only the character factor, so they never decide between siblings
        ucs = (1 - no_match) * p_ucs
        conf = ucs * p_var
        names = strata(sides, summary.sibling_contested)
        thr = np.array([self.thresholds.get(str(n), float("inf")) for n in names])
        accept = (conf >= thr) & (no_match < NO_MATCH_BLOCK) & ~has_lookalike(summary)
        return {"confidence": conf, "ucs_confidence": ucs, "no_match": no_match, "stratum": names,
                "auto_accept": accept}

    def to_dict(self) -> dict[str, Any]:
        flat = lambda m: [m.bias, *m.weights]
        out = {
            "version": TRUST_VERSION,
            "variant": flat(self.variant_map),
            "ucs": flat(self.ucs_map),
            "no_match": flat(self.no_match_map),
            "thresholds": {k: (None if not np.isfinite(v) else v) for k, v in self.thresholds.items()},
            "variant_temperature": self.variant_temperature,
            "info": self.info,
        }
        if self.small_maps is not None:
            out["small"] = dict(zip(("variant", "ucs", "no_match"), (flat(m) for m in self.small_maps)))
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrustModel:
        mk = lambda v: Platt(bias=float(v[0]), weights=tuple(float(x) for x in v[1:]))
        return cls(
            variant_map=mk(d["variant"]), ucs_map=mk(d["ucs"]), no_match_map=mk(d["no_match"]),
            thresholds={k: (float("inf") if v is None else float(v)) for k, v in d["thresholds"].items()},
            info=d.get("info", {}),
            small_maps=None if "small" not in d else (mk(d["small"]["variant"]), mk(d["small"]["ucs"]),
                                                      mk(d["small"]["no_match"])),
            variant_temperature=float(d.get("variant_temperature", 1.0)),
        )


def temper(p: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities with their log-odds multiplied by ``temperature`` (< 1: less sure)."""
    p = np.clip(np.asarray(p, np.float64), 1e-12, 1 - 1e-12)
    return 1.0 / (1.0 + np.exp(-temperature * np.log(p / (1 - p))))


def fit_variant_temperature(p_variant: np.ndarray, correct: np.ndarray, *, lowest: float = 0.05) -> float:
    """The temperature in [``lowest``, 1] that makes variant factors ``p_variant`` (of gaiji whose
    character is right) best predict ``correct`` (the variant is right too): maximum likelihood,
    never sharper than the fitted map (temperature scaling: C. Guo, G. Pleiss, Y. Sun,
    K. Q. Weinberger, "On calibration of modern neural networks", ICML 2017).

    >>> rng = np.random.default_rng(0); z = rng.normal(4, 3, 4000)
    >>> right = rng.random(4000) < 1 / (1 + np.exp(-0.3 * z))
    >>> round(fit_variant_temperature(1 / (1 + np.exp(-z)), right), 1)
    0.3
    """
    from scipy.optimize import minimize_scalar

    p = np.clip(np.asarray(p_variant, np.float64), 1e-12, 1 - 1e-12)
    y = np.asarray(correct, bool)
    if len(p) == 0:
        raise ValueError("no variant decisions to fit a temperature on")
    z = np.log(p / (1 - p))

    def loss(t: float) -> float:
        zt = t * z
        return float(np.sum(np.where(y, np.logaddexp(0, -zt), np.logaddexp(0, zt))))

    return float(minimize_scalar(loss, bounds=(lowest, 1.0), method="bounded").x)


def _prior_shift(p: np.ndarray, fitted_prior: float, prior: float) -> np.ndarray:
    """Re-state probabilities fitted at one class prior for another (Bayes' rule on the odds)."""
    p = np.clip(np.asarray(p, np.float64), 1e-9, 1 - 1e-9)
    odds = p / (1 - p) * (prior / (1 - prior)) / (fitted_prior / (1 - fitted_prior))
    return odds / (1 + odds)


def fit_trust(
    present: QuerySummary,
    present_sides: np.ndarray,
    correct: np.ndarray,
    ucs_correct: np.ndarray,
    absent: QuerySummary,
    absent_sides: np.ndarray,
    *,
    max_error: float = MAX_ERROR,
    max_absent_accept: float = MAX_NO_EQUIVALENT_ACCEPT,
    separate_small: bool = False,
    absent_kinds: np.ndarray | None = None,
) -> TrustModel:
    """Fit the three maps and the thresholds.

    ``present``: calibration queries whose answer is searchable (``correct``: rank 1 is the
    answer; ``ucs_correct``: rank 1 is its character); ``absent``: the same kind of queries
    with every glyph of their character hidden (always wrong). ``separate_small``: small bitmaps
    (≤ 16 px) get maps of their own (when the pair network reads only the others).
    ``absent_kinds``: how each absent query was drawn; the no-equivalent bound then holds for
    each kind of drawing in a stratum, not only for their mix (:func:`guaranteed_threshold`).
    """
    correct = np.asarray(correct, bool)
    ucs_correct = np.asarray(ucs_correct, bool)
    small_maps = None
    if separate_small:
        p_small = size_class(present_sides) == "small"
        a_small = size_class(absent_sides) == "small"
        small_maps = _fit_maps(present.subset(p_small), correct[p_small], ucs_correct[p_small], absent.subset(a_small))
        variant_map, ucs_map, nm_map = _fit_maps(present.subset(~p_small), correct[~p_small], ucs_correct[~p_small],
                                                 absent.subset(~a_small))
    else:
        variant_map, ucs_map, nm_map = _fit_maps(present, correct, ucs_correct, absent)
    model = TrustModel(variant_map, ucs_map, nm_map, {}, {"no_match_fit_prior": 0.5}, small_maps)
    # a gaiji whose rank 1 has a look-alike of another character is never accepted: no cut takes it
    present_lookalike, absent_lookalike = has_lookalike(present), has_lookalike(absent)
    conf = np.where(present_lookalike, -np.inf, model.assess(present, present_sides)["confidence"])
    absent_conf = np.where(absent_lookalike, -np.inf, model.assess(absent, absent_sides)["confidence"])
    names = strata(present_sides, present.sibling_contested)
    small_absent_bound = min(max_absent_accept, SMALL_MAX_NO_EQUIVALENT_ACCEPT)  # a fifth, for ≤ 16 px
    absent_names = strata(absent_sides, absent.sibling_contested)
    thresholds: dict[str, float] = {}
    per: dict[str, dict[str, float]] = {}
    for size in SIZE_CLASSES:
        for sib in ("distinct", "siblings"):
            name = f"{size}/{sib}"
            m = names == name
            am = absent_names == name
            kinds = None if absent_kinds is None else np.asarray(absent_kinds)[am]
            absent_bound = small_absent_bound if size == "small" else max_absent_accept
            t = (guaranteed_threshold(conf[m], correct[m], max_error=max_error, absent_confidence=absent_conf[am],
                                      max_absent_accept=absent_bound, absent_groups=kinds)
                 if m.any() else float("inf"))
            if sib == "siblings" and not AUTO_ACCEPT_SIBLINGS:
                t = float("inf")
            thresholds[name] = t
            acc = m & (conf >= t)
            per[name] = {
                "queries": int(m.sum()), "accepted": int(acc.sum()), "wrong": int((acc & ~correct).sum()),
                "no_equivalent_queries": int(am.sum()),
                "no_equivalent_accepted": int((am & (absent_conf >= t)).sum()),
                "no_equivalent_accept_upper_95": round(clopper_pearson_upper(
                    int((am & (absent_conf >= t)).sum()), int(am.sum())), 5),
                "error_upper_95": round(clopper_pearson_upper(int((acc & ~correct).sum()), int(acc.sum())), 5),
                "threshold": None if not np.isfinite(t) else round(t, 6),
            }
            if kinds is not None:  # hidden characters accepted / queries, per kind of drawing
                per[name]["no_equivalent_accepted_by_kind"] = {
                    str(k): [int((absent_conf[am][kinds == k] >= t).sum()), int((kinds == k).sum())]
                    for k in np.unique(kinds)}
    present_nm = model.assess(present, present_sides)["no_match"]
    absent_nm = model.assess(absent, absent_sides)["no_match"]
    suggest = {"threshold": NO_MATCH_SUGGEST,
               "flagged_with_equivalent": round(float(np.mean(present_nm >= NO_MATCH_SUGGEST)), 4),
               "flagged_right_rank1": round(float(np.mean(present_nm[correct] >= NO_MATCH_SUGGEST)), 4),
               "flagged_without_equivalent": round(float(np.mean(absent_nm >= NO_MATCH_SUGGEST)), 4)}
    info = {"strata": per, "no_match_fit_prior": 0.5, "max_error": max_error, "no_match_suggest": suggest,
            "max_no_equivalent_accept": max_absent_accept,
            "max_no_equivalent_accept_small": small_absent_bound,
            "present_queries": len(correct), "absent_queries": len(absent.top),
            "with_lookalike_never_accepted": {
                "present": int(present_lookalike.sum()),
                "present_wrong": int((present_lookalike & ~correct).sum()),
                "absent": int(absent_lookalike.sum())}}
    return TrustModel(variant_map, ucs_map, nm_map, thresholds, info, small_maps)


def _fit_maps(present: QuerySummary, correct: np.ndarray, ucs_correct: np.ndarray,
              absent: QuerySummary) -> tuple[Platt, Platt, Platt]:
    """The (variant, ucs, no_match) maps fitted on these calibration queries."""
    ucs_map = Platt.fit(present.ucs_inputs(), ucs_correct)
    variant_map = Platt.fit(present.variant_inputs()[ucs_correct], correct[ucs_correct])
    n = min(len(absent.top), len(present.top))
    x = np.vstack([present.no_match_inputs()[:n], absent.no_match_inputs()[:n]])
    y = np.r_[np.zeros(n), np.ones(n)]
    nm_map = Platt.fit(x, y)
    if len(nm_map.weights) > 3 and nm_map.weights[1] * CROWD_GATE < nm_map.weights[3] * (LOGIT_CEILING - LOGIT_FLOOR):
        # the gate would let no_match rise with the verifier's sureness: drop it
        x[:, 3] = 0.0
        nm_map = Platt.fit(x, y)
    return variant_map, ucs_map, nm_map
