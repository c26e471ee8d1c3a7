"""Trusted confidence: the finite-sample threshold, strata, and what readings may change."""

from __future__ import annotations

import numpy as np
import pytest

from gaiji.match.trust import (
    QuerySummary,
    clopper_pearson_lower,
    clopper_pearson_upper,
    fit_trust,
    guaranteed_threshold,
    strata,
    summarise,
)


def test_clopper_pearson_matches_the_rule_of_three_and_is_monotone():
    # zero errors in n: the 95 % one-sided bound is about 3/n
    assert clopper_pearson_upper(0, 3000) == pytest.approx(3 / 3000, rel=0.01)
    assert clopper_pearson_upper(1, 1000) > clopper_pearson_upper(0, 1000)
    assert clopper_pearson_lower(990, 1000) < 0.99 < 990 / 1000 + 1e-9


def test_threshold_needs_enough_evidence_not_just_a_clean_top():
    conf = np.linspace(1, 0, 100)
    ok = np.ones(100, bool)  # 100 right answers are not enough to promise ≤ 0.5 % error
    assert guaranteed_threshold(conf, ok) == float("inf")
    conf = np.linspace(1, 0, 5000)
    ok = np.ones(5000, bool)
    ok[4000:] = False
    t = guaranteed_threshold(conf, ok)
    accepted = conf >= t
    errors = int((accepted & ~ok).sum())
    assert clopper_pearson_upper(errors, int(accepted.sum())) <= 0.005


def test_strata_names():
    assert strata(np.array([12, 24, 80]), np.array([True, False, True])).tolist() == [
        "small/siblings", "mid/distinct", "large/siblings"]


def test_summary_separates_siblings_from_other_characters():
    p = np.array([[0.9, 0.6, 0.2]])
    groups = np.array([[7, 7, 3]])  # rank 2 is a variant of rank 1's character
    s = summarise(p, groups)
    assert bool(s.sibling_contested[0])
    assert s.sibling[0] == pytest.approx(np.log(0.6 / 0.4))
    assert s.other[0] == pytest.approx(np.log(0.2 / 0.8))
    # the character is right when either variant is
    assert s.ucs[0] == pytest.approx(np.log((1 - 0.1 * 0.4) / (0.1 * 0.4)))


def _synthetic(n: int, rng: np.random.Generator, *, shift: float) -> tuple[QuerySummary, np.ndarray, np.ndarray]:
    top = rng.normal(2 + shift, 2, n)
    right = rng.random(n) < 1 / (1 + np.exp(-top))
    z = np.zeros(n)
    s = QuerySummary(top=top, other=top - rng.gamma(2, 1, n), sibling=np.full(n, -12.0), ucs=top,
                     reading_delta=z, sibling_contested=np.zeros(n, bool))
    return s, right, rng.choice([12, 24, 64], n)


def test_fit_trust_never_accepts_a_simulated_missing_character_and_keeps_its_promise():
    rng = np.random.default_rng(0)
    present, right, sides = _synthetic(20000, rng, shift=2)
    absent, _, absent_sides = _synthetic(10000, rng, shift=-5)  # enough to show the small bound
    model = fit_trust(present, sides, right, right, absent, absent_sides)
    out = model.assess(present, sides)
    acc = out["auto_accept"]
    assert acc.any()
    assert clopper_pearson_upper(int((acc & ~right).sum()), int(acc.sum())) <= 0.01
    # simulated missing characters: rarely accepted (their share is part of the error budget)
    assert model.assess(absent, absent_sides)["auto_accept"].mean() < 0.02
    # no_match is higher for the missing characters than for the present ones
    assert np.median(model.assess(absent, absent_sides)["no_match"]) > np.median(out["no_match"])
    # round trip through JSON-able dict
    from gaiji.match.trust import TrustModel

    again = TrustModel.from_dict(model.to_dict()).assess(present, sides)
    assert np.array_equal(again["auto_accept"], acc)


def test_threshold_also_bounds_the_share_of_missing_characters_accepted():
    # present gaiji: all right; missing characters: as confident as the present ones at the top
    rng = np.random.default_rng(1)
    conf = np.sort(rng.random(20000))[::-1]
    ok = np.ones(20000, bool)
    # most missing characters look unsure, but 3 % of them look as sure as a right answer
    absent = np.where(rng.random(4000) < 0.03, 0.9 + 0.1 * rng.random(4000), 0.3 * rng.random(4000))
    loose = guaranteed_threshold(conf, ok, absent_confidence=absent)
    strict = guaranteed_threshold(conf, ok, absent_confidence=absent, max_absent_accept=0.005)
    assert strict > loose  # the guard is what decides here, not the error budget
    k = int((absent >= strict).sum())
    assert clopper_pearson_upper(k, len(absent)) <= 0.005
    k_loose = int((absent >= loose).sum())
    assert clopper_pearson_upper(k_loose, len(absent)) > 0.005


@pytest.mark.reference
def test_simulated_ledger_gives_own_readings_mostly_and_is_seeded(match_index):
    from gaiji.match.fuse import ledger_readings
    from gaiji.match.training import LEDGER_NO_READING, LEDGER_WRONG_READING, simulated_ledger

    rows = match_index.rows
    answers = np.array([i for i, r in enumerate(rows) if r.readings][:3000:3])
    hints = simulated_ledger(match_index, answers, seed=3)
    assert [h.readings for h in hints] == [h.readings for h in simulated_ledger(match_index, answers, seed=3)]
    own = [bool(h.readings) and set(h.readings) <= set(ledger_readings(" ".join(rows[a].readings)))
           for h, a in zip(hints, answers)]
    empty = [not h.readings for h in hints]
    assert abs(np.mean(empty) - LEDGER_NO_READING) < 0.05
    assert 1 - LEDGER_NO_READING - LEDGER_WRONG_READING - 0.05 < np.mean(own) <= 1 - LEDGER_NO_READING + 0.05


def test_small_bitmaps_get_maps_of_their_own_when_their_scores_are_on_another_scale():
    """The pair network reads all but small bitmaps, so their verifier logits are on another
    scale. Here small queries are right only from logit 6 on, the others from 0: one shared map
    misjudges both; maps of their own follow each, and survive the JSON round trip."""
    from gaiji.match.trust import TrustModel

    rng = np.random.default_rng(3)
    n = 30000
    sides = rng.choice([12, 24, 64], n)
    small = sides == 12
    top = rng.normal(3, 4, n)
    right = rng.random(n) < 1 / (1 + np.exp(-(top - np.where(small, 6.0, 0.0))))
    s = QuerySummary(top=top, other=top - rng.gamma(2, 1, n), sibling=np.full(n, -12.0), ucs=top,
                     reading_delta=np.zeros(n), sibling_contested=np.zeros(n, bool))
    absent, _, absent_sides = _synthetic(3000, rng, shift=-5)

    def calibration_gap(model: TrustModel, mask: np.ndarray) -> float:
        ucs = model.assess(s, sides)["ucs_confidence"][mask]
        return abs(float(ucs.mean()) - float(right[mask].mean()))

    shared = fit_trust(s, sides, right, right, absent, absent_sides)
    own = fit_trust(s, sides, right, right, absent, absent_sides, separate_small=True)
    assert own.small_maps is not None and shared.small_maps is None
    for mask in (small, ~small):
        assert calibration_gap(own, mask) < 0.02 < calibration_gap(shared, mask)
    again = TrustModel.from_dict(own.to_dict())
    assert np.array_equal(again.assess(s, sides)["ucs_confidence"], own.assess(s, sides)["ucs_confidence"])


def test_the_variant_temperature_tempers_only_which_variant_questions():
    """A temperature below 1 lowers the variant factor of gaiji with another variant of their
    character on the shortlist and leaves the others, their auto-accepts and thresholds alone;
    it survives the JSON round trip, and a trust.json without it reads as 1."""
    import dataclasses

    from gaiji.match.trust import TrustModel

    rng = np.random.default_rng(5)
    s, right, sides = _synthetic(6000, rng, shift=0)
    absent, _, absent_sides = _synthetic(3000, rng, shift=-5)
    contested = rng.random(len(right)) < 0.3
    sib = np.where(contested, s.top - rng.gamma(2, 2, len(right)), -12.0)
    s = dataclasses.replace(s, sibling=sib, sibling_contested=contested)
    model = fit_trust(s, sides, right, right, absent, absent_sides)
    cold = dataclasses.replace(model, variant_temperature=0.3)
    a, b = model.assess(s, sides), cold.assess(s, sides)
    assert np.array_equal(a["confidence"][~contested], b["confidence"][~contested])
    sure = contested & (a["confidence"] > 0.6)
    assert sure.any() and (b["confidence"][sure] < a["confidence"][sure]).all()
    assert np.array_equal(a["ucs_confidence"], b["ucs_confidence"])
    assert np.array_equal(a["auto_accept"][~contested], b["auto_accept"][~contested])
    again = TrustModel.from_dict(cold.to_dict())
    assert again.variant_temperature == 0.3
    assert np.array_equal(again.assess(s, sides)["confidence"], b["confidence"])
    old = cold.to_dict()
    del old["variant_temperature"]
    assert TrustModel.from_dict(old).variant_temperature == 1.0


def test_the_variant_temperature_fit_finds_an_overconfident_factor_and_never_sharpens():
    from gaiji.match.trust import fit_variant_temperature

    rng = np.random.default_rng(8)
    z = rng.normal(5, 3, 3000)
    over = rng.random(3000) < 1 / (1 + np.exp(-0.4 * z))  # right far less often than the factor says
    assert fit_variant_temperature(1 / (1 + np.exp(-z)), over) == pytest.approx(0.4, abs=0.08)
    under = rng.random(3000) < 1 / (1 + np.exp(-2.0 * z))  # surer than the factor: kept at 1, not sharpened
    assert fit_variant_temperature(1 / (1 + np.exp(-z)), under) == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError):
        fit_variant_temperature(np.zeros(0), np.zeros(0, bool))


def test_the_no_equivalent_bound_holds_for_each_kind_of_drawing_not_only_their_mix():
    """Hidden characters drawn as clean outlines are accepted more often than scans of them:
    over the mix the bound holds at a lower threshold than within the outlines. With the kinds
    given, the threshold rises until the outlines alone keep the bound; a kind with too few
    queries to show 0.5 % is left to the mix."""
    from gaiji.match.trust import MIN_ABSENT_GROUP

    rng = np.random.default_rng(11)
    conf = np.sort(rng.uniform(0.99, 1.0, 20000))[::-1]
    ok = np.ones(len(conf), bool)
    outline = rng.uniform(0.95, 0.999, 3000)  # sure of hidden characters drawn cleanly
    scan = rng.uniform(0.0, 0.95, 9000)
    absent = np.r_[outline, scan]
    kinds = np.r_[np.full(len(outline), "outline"), np.full(len(scan), "scan")]
    mix = guaranteed_threshold(conf, ok, absent_confidence=absent, max_absent_accept=0.005)
    each = guaranteed_threshold(conf, ok, absent_confidence=absent, max_absent_accept=0.005, absent_groups=kinds)
    assert np.isfinite(mix) and each > mix
    assert clopper_pearson_upper(int((outline >= mix).sum()), len(outline)) > 0.005
    assert clopper_pearson_upper(int((outline >= each).sum()), len(outline)) <= 0.005
    few = np.r_[np.full(MIN_ABSENT_GROUP - 1, "outline"), np.full(len(absent) - MIN_ABSENT_GROUP + 1, "scan")]
    order = np.argsort(-absent)  # the surest hidden queries form a kind too small to judge alone
    labels = np.empty(len(absent), dtype=few.dtype)
    labels[order] = few
    assert guaranteed_threshold(conf, ok, absent_confidence=absent, max_absent_accept=0.005,
                                absent_groups=labels) == pytest.approx(mix)


def test_a_rank_1_glyph_with_a_look_alike_of_another_character_is_never_auto_accepted():
    """MJ holds pairs of characters drawn almost alike (緒 / 緖); with rank 1 one of them the picture
    cannot vouch for the character, however sure the verifier is."""
    from dataclasses import replace

    from gaiji.match.trust import LOOKALIKE_LOGIT, has_lookalike

    rng = np.random.default_rng(0)
    present, right, sides = _synthetic(20000, rng, shift=2)
    absent, _, absent_sides = _synthetic(10000, rng, shift=-5)  # enough to show the small bound
    crowded = rng.random(20000) < 0.05  # these rank-1 glyphs have a near twin in MJ
    present = replace(present, crowd=np.where(crowded, LOOKALIKE_LOGIT + 3.0, -12.0))
    absent = replace(absent, crowd=np.full(10000, -12.0))
    model = fit_trust(present, sides, right, right, absent, absent_sides)
    out = model.assess(present, sides)
    assert out["auto_accept"].any()
    assert not out["auto_accept"][crowded].any()
    # as sure as accepted ones: only the look-alike keeps them out
    sure = crowded & (out["confidence"] >= np.min(out["confidence"][out["auto_accept"]]))
    assert sure.sum() > 10
    info = model.info["with_lookalike_never_accepted"]
    assert info["present"] == int(crowded.sum()) == int(has_lookalike(present).sum())
    # without crowding known (an older index), nothing is held back
    assert not has_lookalike(replace(present, crowd=None)).any()


def test_small_bitmaps_are_held_to_a_stricter_no_equivalent_bound():
    """The same evidence at 12 px and at 24 px: the small stratum's cut keeps a 95 % bound of
    0.1 % on hidden characters accepted (a real bitmap font's were accepted more often than
    calibration's rasterised outlines), the mid-size one 0.5 %; so it accepts less."""
    from gaiji.match.trust import MAX_NO_EQUIVALENT_ACCEPT, SMALL_MAX_NO_EQUIVALENT_ACCEPT

    rng = np.random.default_rng(5)
    present, right, _ = _synthetic(40000, rng, shift=5)
    absent, _, _ = _synthetic(40000, rng, shift=-1)
    sides = np.where(np.arange(40000) % 2 == 0, 12, 24)
    model = fit_trust(present, sides, right, right, absent, sides)
    small, mid = model.thresholds["small/distinct"], model.thresholds["mid/distinct"]
    assert np.isfinite(small) and np.isfinite(mid) and small > mid
    info = model.info["strata"]
    for name, bound in (("small/distinct", SMALL_MAX_NO_EQUIVALENT_ACCEPT), ("mid/distinct", MAX_NO_EQUIVALENT_ACCEPT)):
        assert info[name]["no_equivalent_accept_upper_95"] <= bound
    # at the mid-size cut, the small stratum's hidden characters would break its bound
    hidden = model.assess(absent, sides)["confidence"][sides == 12]
    assert clopper_pearson_upper(int((hidden >= mid).sum()), len(hidden)) > SMALL_MAX_NO_EQUIVALENT_ACCEPT


def test_a_kind_of_drawing_is_held_alone_only_to_a_bound_its_queries_can_show():
    """At the confidence the threshold checks each kind with (a third of 5 %), the smallest kind
    held alone can show its bound with none accepted, and one query fewer could not."""
    from gaiji.match.trust import MIN_ABSENT_GROUP, min_absent_group

    for bound in (0.005, 0.001):
        n = min_absent_group(bound)
        assert n >= MIN_ABSENT_GROUP
        assert clopper_pearson_upper(0, n, alpha=0.05 / 3) <= bound < clopper_pearson_upper(0, n - 1, alpha=0.05 / 3)
    # a kind too small to show the bound is left to the mix instead of blocking every cut
    conf = np.linspace(1.0, 0.9, 20000)
    ok = np.ones(len(conf), bool)
    absent = np.r_[np.zeros(9000), np.zeros(min_absent_group(0.001) - 1)]
    kinds = np.r_[np.full(9000, "bitmap"), np.full(len(absent) - 9000, "hand")]
    assert np.isfinite(guaranteed_threshold(conf, ok, absent_confidence=absent, max_absent_accept=0.001,
                                            absent_groups=kinds))


def test_the_shipped_thresholds_keep_the_promises_their_calibration_states():
    """Every stratum of the shipped trust model that auto-accepts does so within the bounds it
    was fitted to: the error among accepted calibration queries, and the share of hidden
    characters accepted (a fifth of it for small bitmaps); "which variant?" never accepts."""
    import json

    from gaiji.match.index import MODEL_DIR
    from gaiji.match.trust import (
        MAX_ERROR,
        MAX_NO_EQUIVALENT_ACCEPT,
        SMALL_MAX_NO_EQUIVALENT_ACCEPT,
    )

    shipped = json.loads((MODEL_DIR / "trust.json").read_text(encoding="utf-8"))
    for name, threshold in shipped["thresholds"].items():
        info = shipped["info"]["strata"][name]
        if name.endswith("/siblings"):
            assert threshold is None and info["accepted"] == 0
        if threshold is None:
            continue
        bound = SMALL_MAX_NO_EQUIVALENT_ACCEPT if name.startswith("small/") else MAX_NO_EQUIVALENT_ACCEPT
        assert info["accepted"] > 0 and info["error_upper_95"] <= MAX_ERROR
        assert info["no_equivalent_accept_upper_95"] <= bound
    assert shipped["info"]["max_no_equivalent_accept_small"] == SMALL_MAX_NO_EQUIVALENT_ACCEPT
