"""Calibrated confidence of a rank-1 candidate, and the auto-accept threshold.

A logistic model (D. R. Cox, 1958; here as Platt scaling, J. Platt 1999) maps the rank-1
score and the gap to the best *other* MJ glyph to the probability that rank 1 is the right MJ
glyph. It is fitted on labelled queries rendered from calibration fonts that the projection
never learned from and the benchmark never tests on. Coefficients are kept non-negative, so
confidence never falls when the score or the gap rises.

The auto-accept threshold is the lowest confidence above which the calibration queries were
right at least ``target_precision`` of the time (with a safety margin), so auto-accepted rows
need no reviewer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

CALIBRATION_VERSION = "3"  # 3: 13–16 px queries mix in the general projection
TARGET_PRECISION = 0.995
#: calibration fonts are not the user's fonts: ask them for more than the target
SAFETY_MARGIN = 0.004


@dataclass(frozen=True)
class Calibration:
    """``confidence = sigmoid(bias + w_score·score + w_gap·gap)``; accept at ≥ ``threshold``."""

    bias: float
    w_score: float
    w_gap: float
    threshold: float
    fitted_on: int = 0  # number of calibration queries
    calibration_precision: float = float("nan")  # precision among accepted calibration queries
    calibration_accept_rate: float = float("nan")

    def confidence(self, score: np.ndarray, gap: np.ndarray) -> np.ndarray:
        z = self.bias + self.w_score * np.asarray(score, np.float64) + self.w_gap * np.asarray(gap, np.float64)
        return 1.0 / (1.0 + np.exp(-z))

    def accept(self, confidence: np.ndarray) -> np.ndarray:
        return np.asarray(confidence) >= self.threshold

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> Calibration:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})  # type: ignore[arg-type]


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, iters: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method; returns ``[bias, w1, w2, …]``.

    Weights (not the bias) are constrained to be ≥ 0 by refitting without any that come out
    negative.

    >>> x = np.array([[0.1], [0.2], [0.8], [0.9]]); y = np.array([0, 0, 1, 1])
    >>> bool(fit_logistic(x, y)[1] > 0)
    True
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    active = np.ones(x.shape[1], bool)
    while True:
        design = np.column_stack([np.ones(len(x)), x[:, active]])
        w = np.zeros(design.shape[1])
        for _ in range(iters):
            p = 1.0 / (1.0 + np.exp(-(design @ w)))
            grad = design.T @ (p - y) + l2 * np.r_[0.0, w[1:]]
            hess = (design * (p * (1 - p))[:, None]).T @ design + l2 * np.eye(len(w))
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        full = np.zeros(x.shape[1] + 1)
        full[0] = w[0]
        full[1:][active] = w[1:]
        negative = active & (full[1:] < 0)
        if not negative.any():
            return full
        active &= ~negative


def accept_threshold(
    confidence: np.ndarray, correct: np.ndarray, *, target: float = TARGET_PRECISION, margin: float = SAFETY_MARGIN
) -> float:
    """Lowest confidence c such that every cut at or above c keeps precision ≥ target + margin.

    Returns ``inf`` (never accept) when no cut reaches it.

    >>> accept_threshold(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 1, 0, 1]), target=0.99, margin=0)
    0.8
    """
    conf = np.asarray(confidence, np.float64)
    ok = np.asarray(correct, bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    need = target + margin
    best = float("inf")
    # walk down the sorted list; a cut is allowed only at the end of a run of equal values
    for i in range(len(conf)):
        if precision[i] < need:
            break
        if i + 1 == len(conf) or conf[i + 1] < conf[i]:
            best = float(conf[i])
    return best


def fit_calibration(
    score: np.ndarray, gap: np.ndarray, correct: np.ndarray, *, target: float = TARGET_PRECISION
) -> Calibration:
    """Fit the logistic map and the auto-accept threshold on labelled rank-1 results."""
    score = np.asarray(score, np.float64)
    gap = np.asarray(gap, np.float64)
    correct = np.asarray(correct, bool)
    if len(score) < 20 or correct.all() or not correct.any():
        raise ValueError("calibration needs at least 20 queries with both right and wrong rank-1 answers")
    w = fit_logistic(np.column_stack([score, gap]), correct.astype(np.float64))
    cal = Calibration(bias=float(w[0]), w_score=float(w[1]), w_gap=float(w[2]), threshold=float("inf"))
    conf = cal.confidence(score, gap)
    threshold = accept_threshold(conf, correct, target=target)
    accepted = conf >= threshold
    return Calibration(
        bias=cal.bias,
        w_score=cal.w_score,
        w_gap=cal.w_gap,
        threshold=threshold,
        fitted_on=len(score),
        calibration_precision=float(correct[accepted].mean()) if accepted.any() else float("nan"),
        calibration_accept_rate=float(accepted.mean()),
    )
