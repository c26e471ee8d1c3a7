"""Fit the confidence calibration on labelled queries from the calibration fonts.

The calibration fonts (:data:`gaiji.match.projection.CALIBRATION_FONTS`) are neither
learned from by the projection nor tested on by the benchmark; their characters are drawn
from the one-glyph characters not used to train the projection.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gaiji.match.confidence import Calibration, fit_calibration
from gaiji.match.index import MatchIndex
from gaiji.match.projection import CALIBRATION_FONTS, installed, render_variations
from gaiji.progress import Progress, no_progress


def calibrate_index(
    index: MatchIndex, chars: list[str], *, seed: int, progress: Progress = no_progress
) -> tuple[Calibration | None, Calibration | None, dict[str, Any]]:
    """Render ``chars`` in the calibration fonts, rank them, fit :class:`Calibration` — one
    for ordinary queries and one for 12–16 px bitmaps (searched with their own projection,
    so their scores are on another scale).

    With no calibration font installed nothing is calibrated: confidence stays empty and
    nothing is auto-accepted (calibrating on the reference font itself was measured to set
    the threshold far too low — about 98 % accepted). The returned info says so.
    """
    from gaiji.match.ranking import rank_rasters
    from gaiji.match.trust import is_small

    fonts = installed(CALIBRATION_FONTS)
    note = ""
    if not fonts:
        return None, None, {
            "note": "no calibration font installed (apt-get install fonts-horai-umefont, then "
            "`gaiji match --rebuild-index`): confidence not calibrated, nothing auto-accepted"
        }
    rasters, labels, kinds, sides = render_variations(
        fonts, chars, per_font=3, seed=seed + 1, progress=progress, label="rendering calibration glyphs"
    )
    row_of = {row.base_char: i for i, row in enumerate(index.rows)}
    answer = np.array([row_of.get(chars[c], -1) for c in labels])
    keep = answer >= 0
    rasters, answer, sides = rasters[keep], answer[keep], sides[keep]
    kinds = [k for k, ok in zip(kinds, keep) if ok]
    ranked = rank_rasters(index, rasters, top_k=2, sides=sides)
    correct = ranked.rows[:, 0] == answer
    small = is_small(sides)
    calibration = fit_calibration(ranked.score[~small, 0], ranked.gap[~small, 0], correct[~small])
    small_calibration = None
    if small.sum() >= 200 and 0 < correct[small].sum() < small.sum():
        small_calibration = fit_calibration(ranked.score[small, 0], ranked.gap[small, 0], correct[small])
    info = {
        "fonts": [f.name for f in fonts],
        "queries": len(answer),
        "small_queries": int(small.sum()),
        "top1": round(float(correct.mean()), 4),
        "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
        "accept_rate": round(calibration.calibration_accept_rate, 4),
        "precision_accepted": round(calibration.calibration_precision, 4),
    }
    if small_calibration is not None:
        info["small_accept_rate"] = round(small_calibration.calibration_accept_rate, 4)
        info["small_precision_accepted"] = round(small_calibration.calibration_precision, 4)
    if note:
        info["note"] = note
    return calibration, small_calibration, info
