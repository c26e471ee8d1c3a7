"""Calibration: monotone, calibrated on synthetic data, threshold on hand-made cases."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gaiji.match.confidence import Calibration, accept_threshold, fit_calibration, fit_logistic


def test_threshold_hand_made():
    conf = np.array([0.99, 0.98, 0.97, 0.96, 0.5])
    right = np.array([1, 1, 1, 0, 1])
    assert accept_threshold(conf, right, target=0.99, margin=0) == 0.97
    assert accept_threshold(conf, np.zeros(5), target=0.99, margin=0) == float("inf")
    # ties: a cut may not split equal confidences
    assert accept_threshold(np.array([0.9, 0.9, 0.8]), np.array([1, 0, 1]), target=0.99, margin=0) == float("inf")


def test_logistic_recovers_a_known_model():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4000, 2))
    p = 1 / (1 + np.exp(-(-4 + 3 * x[:, 0] + 5 * x[:, 1])))
    y = rng.random(4000) < p
    w = fit_logistic(x, y)
    assert np.allclose(w, [-4, 3, 5], atol=0.6)


def test_negative_weights_are_dropped():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (2000, 2))
    y = rng.random(2000) < 1 / (1 + np.exp(-(6 * x[:, 0] - 3 * x[:, 1])))
    w = fit_logistic(x, y)
    assert w[1] > 0 and w[2] == 0


def test_fitted_calibration_is_calibrated_and_precise():
    rng = np.random.default_rng(2)
    score = rng.uniform(0.5, 1.0, 20000)
    gap = rng.uniform(0, 0.1, 20000)
    p = 1 / (1 + np.exp(-(-12 + 10 * score + 60 * gap)))
    right = rng.random(20000) < p
    cal = fit_calibration(score, gap, right)
    conf = cal.confidence(score, gap)
    for lo, hi in [(0.2, 0.4), (0.6, 0.8)]:
        band = (conf >= lo) & (conf < hi)
        assert lo - 0.05 < right[band].mean() < hi + 0.05
    accepted = cal.accept(conf)
    assert accepted.any() and right[accepted].mean() >= 0.995


@given(
    s=st.floats(0, 1), g=st.floats(0, 0.3), ds=st.floats(0, 0.5), dg=st.floats(0, 0.2),
)
def test_confidence_is_monotone(s, g, ds, dg):
    cal = Calibration(bias=-6, w_score=8, w_gap=70, threshold=0.98)
    assert cal.confidence(s + ds, g + dg) >= cal.confidence(s, g)


def test_index_calibration_is_monotone(match_index):
    cal = match_index.calibration
    assert cal is not None and cal.w_score >= 0 and cal.w_gap >= 0
    grid = np.linspace(0.3, 1.0, 30)
    assert np.all(np.diff(cal.confidence(grid, np.full(30, 0.02))) >= 0)
    assert np.all(np.diff(cal.confidence(np.full(30, 0.8), np.linspace(0, 0.2, 30))) >= 0)
    assert 0.5 < cal.threshold < 1.0
