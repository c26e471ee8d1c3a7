"""The CSV's score cells are printed straight from the float, as ``round`` then ``repr`` print them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaiji.match import writer
from gaiji.match.writer import decimal_text, rounded_column


def test_decimal_text_prints_what_round_then_repr_print():
    rng = np.random.default_rng(11)
    values = np.concatenate([
        rng.uniform(-1.5, 1.5, 200_000),
        rng.uniform(0, 1, 50_000).round(4) + rng.choice([-1, 1], 50_000) * 5e-5,  # halfway cases
        np.arange(-20_000, 20_001) / 10_000,  # every 4-decimal value in [-2, 2]
        [0.0, -0.0, 1e-9, -1e-9, 5e-5, -5e-5, 0.99995, 123456.78915, 3e15, -7e16],
    ]).tolist()
    for digits in (3, 4):
        for v in values:
            assert decimal_text(v, digits) == repr(round(v, digits)), (v, digits)
    assert decimal_text(float("nan"), 4) == ""


def _awkward_values(digits: int) -> np.ndarray:
    """Values where a vectorised rounding could go wrong: random ones, exact and float-nearest
    halves (0.12345, 0.00005, -0.00005) and their neighbours a few ulps either side, every
    multiple of 10**-digits in [-2, 2] (each entry of the lookup table), signed zeros, tiny
    negatives (which print '-0.0'), NaN, infinities, float32 values and large values."""
    rng = np.random.default_rng(7)
    scale = 10 ** digits
    steps = np.arange(-2 * scale - 3, 2 * scale + 3)
    if len(steps) > 100_000:  # many digits: a sample (each value is checked in Python)
        steps = np.concatenate([steps[:100], rng.choice(steps, 50_000), steps[-100:]])
    halves = (steps + 0.5) / scale  # k/10**d + 0.5/10**d
    near = [halves]
    ulps_up, ulps_down = halves, halves
    for _ in range(4):
        ulps_up, ulps_down = np.nextafter(ulps_up, np.inf), np.nextafter(ulps_down, -np.inf)
        near += [ulps_up, ulps_down]
    return np.concatenate([
        rng.uniform(-2, 2, 200_000),
        rng.uniform(-2, 2, 20_000).astype(np.float32).astype(np.float64),
        steps / scale,
        *near,
        [0.12345, 0.00005, -0.00005, 0.0005, -0.0005, 0.99995, 1.99995, -1.99995, 2.00005, -2.00005],
        [0.0, -0.0, 1e-9, -1e-9, -1e-5, -0.00001, 1e-300, -1e-300, 1.0, -1.0, 2.0, -2.0],
        [np.nan, np.inf, -np.inf, 1e6, -1e6, 123456.78915, 1e15, 3e15, 1e16, -7e16, 1e300],
    ])


@pytest.mark.parametrize("digits", [1, 3, 4, 5])
def test_rounded_column_gives_decimal_text_and_round_value_for_value(digits: int) -> None:
    values = _awkward_values(digits)
    texts = rounded_column(values, digits, as_text=True).tolist()
    numbers = rounded_column(values, digits, as_text=False).tolist()
    for v, text, number in zip(values.tolist(), texts, numbers):
        assert text == decimal_text(v, digits), (v, digits)
        expected = "" if math.isnan(v) else round(v, digits)
        assert repr(number) == repr(expected), (v, digits)  # repr: -0.0 is not 0.0 here


def test_rounded_column_keeps_the_shape_and_formats_few_values_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.random.default_rng(3).uniform(-1, 1, (10_000, 10))
    values[::7, 3] = np.nan
    calls: list[float] = []

    def counted(value: float, digits: int) -> str:
        calls.append(value)
        return decimal_text(value, digits)

    monkeypatch.setattr(writer, "decimal_text", counted)
    texts = rounded_column(values, 4, as_text=True)
    assert texts.shape == values.shape
    assert texts[0, 3] == "" and texts[1, 3] != ""
    assert len(calls) < 100  # the table answers (nearly) every value; ties are one in millions
    assert rounded_column(np.empty((0, 10)), 4, as_text=True).shape == (0, 10)
    calls.clear()  # digits without a table: every value one by one
    assert rounded_column(values[:3], 8, as_text=True).tolist() == [[decimal_text(v, 8) for v in line] for line in values[:3].tolist()]
    assert len(calls) == np.count_nonzero(~np.isnan(values[:3]))  # NaN is '' without a call


def _ranked(auto: list[bool], no_match: list[float] | None, stratum: list[str],  # type: ignore[no-untyped-def]
            evidence: list[str] | None = None):
    from gaiji.match.ranking import RankedBatch

    z = np.zeros((len(auto), 1))
    return RankedBatch(rows=z.astype(np.int64), score=z, image_score=z, rerank_score=z, reading_score=z,
                       radical_strokes_score=z, gap=z, confidence=z, auto_accept=np.array(auto, bool),
                       no_match=None if no_match is None else np.array(no_match), stratum=stratum,
                       evidence=evidence if evidence is not None else [""] * len(stratum))


def test_each_open_gaiji_is_given_one_reason_for_review() -> None:
    from gaiji.match.verified import (
        CUT_NOTE,
        FRAMED_NOTE,
        LOOKALIKE_NOTE,
        READING_FIRST_NOTE,
        READING_NOTE,
    )
    from gaiji.match.writer import review_reasons

    twin = "verified against the shortlist" + LOOKALIKE_NOTE.format(char="緖", mj="MJ019283")
    by_reading = "verified against the shortlist" + READING_FIRST_NOTE
    framed = FRAMED_NOTE + "verified against the shortlist"
    ranked = _ranked(
        auto=[True, False, False, False, False, False, False, False, False, False, False, False, False],
        no_match=[0.0, 0.9, 0.0, 0.5, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
        stratum=["large/distinct", "small/siblings", "large/siblings", "mid/distinct", "small/distinct",
                 "small/siblings", "mid/distinct", "large/distinct", "small/distinct", "large/distinct",
                 "mid/distinct", "large/distinct", "large/distinct"],
        evidence=[""] * 7 + [twin, twin, by_reading, CUT_NOTE + "verified against the shortlist" + READING_NOTE,
                             framed, framed],
    )
    reasons = review_reasons(ranked)
    # 該当なし before "which variant?" before small bitmaps before a look-alike before a rank 1 the
    # reading brought before a framed picture before one read past a piece at its edge before the
    # threshold (reading candidates below rank 1 are no reason)
    assert reasons == {"total": 12, "no_match_suggested": 3, "which_variant": 2, "small_bitmap": 2,
                       "lookalike": 1, "reading_first": 1, "framed": 1, "cut_off": 1, "colour_marks": 0,
                       "below_threshold": 1}
    assert reasons["total"] == sum(v for k, v in reasons.items() if k != "total")


def test_a_small_bitmap_is_never_auto_accepted_only_where_its_stratum_has_no_threshold() -> None:
    from gaiji.match.writer import review_reasons

    ranked = _ranked(auto=[False, False, False, True], no_match=[0.0, 0.0, 0.0, 0.0],
                     stratum=["small/distinct", "small/siblings", "small/distinct", "small/distinct"])
    closed = {"small/distinct": None, "small/siblings": None}
    opened = {"small/distinct": 0.997, "small/siblings": None}
    assert review_reasons(ranked, closed)["small_bitmap"] == 2
    reasons = review_reasons(ranked, opened)
    assert reasons["small_bitmap"] == 0 and reasons["below_threshold"] == 2 and reasons["which_variant"] == 1


def test_the_old_matcher_gives_no_reasons() -> None:
    from gaiji.match.writer import review_reasons

    assert review_reasons(_ranked(auto=[False, True], no_match=None, stratum=[])) == {}
