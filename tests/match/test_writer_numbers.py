"""The CSV's score cells are printed straight from the float, as ``round`` then ``repr`` print them."""

from __future__ import annotations

import numpy as np

from gaiji.match.writer import decimal_text


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
