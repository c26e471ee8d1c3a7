"""Edited glyphs (an MJ glyph mirrored, turned or flipped by a slip in a gaiji editor): how many
the matcher flags as 該当なし, and how many ordinary gaiji it flags by mistake, per threshold.

Measured on the *calibration* fonts and characters (the ones ``gaiji.match.trust`` is
calibrated on; never the benchmark's fonts nor the sample municipality), which is where
:data:`gaiji.match.edited.FLIPPED_MIN` and :data:`~gaiji.match.edited.CHECK_BELOW` were chosen.
Edited queries are the same renderings flipped one of the three ways; glyphs that a flip leaves
nearly unchanged (a symmetric character: ink overlap > 0.45, as in ``gaiji bench match``) are
left out, since flipped they are still their own character.

    python benchmarks/edited_glyphs.py            # 300 characters × the calibration fonts
    python benchmarks/edited_glyphs.py --chars 100
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gaiji.match import edited as E
from gaiji.match.index import load_match_index
from gaiji.match.projection import TRUST_FONTS, installed, render_variations
from gaiji.match.trust import NO_MATCH_SUGGEST
from gaiji.match.verified import rank_rasters_verified
from gaiji.reference import load_reference


def detector_inputs(index, rasters, sides):  # type: ignore[no-untyped-def]
    """Upright best verifier probability and group, and the best flipped match (all checked)."""
    trust, index.trust = index.trust, None  # the verifier's view only
    try:
        ranked = rank_rasters_verified(index, rasters, top_k=10, sides=sides)
    finally:
        index.trust = trust
    p = ranked.verify_score
    best = p.argmax(axis=1)
    p_best = p[np.arange(len(p)), best]
    group = index.groups[ranked.rows[np.arange(len(p)), best]]
    flipped = E.best_flipped(index, rasters, sides, np.ones(len(p), bool))
    return p_best, group, flipped


def flagged(index, p_best, group, flipped, *, check_below: float, flipped_min: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    old = E.FLIPPED_MIN
    E.FLIPPED_MIN = flipped_min
    try:
        nm = E.edited_no_match(p_best, group, flipped, index.groups)
    finally:
        E.FLIPPED_MIN = old
    return (p_best < check_below) & (nm >= NO_MATCH_SUGGEST)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=300, help="calibration characters to render (default 300)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    started = time.monotonic()
    reference = load_reference()
    index = load_match_index(reference)
    lines = (index.path / "training_chars.txt").read_text(encoding="utf-8").splitlines()
    calib = list(lines[2]) if len(lines) > 2 else []
    fonts = installed(TRUST_FONTS)
    if not calib or not fonts:
        print("needs the shipped model's calibration characters and the calibration fonts "
              "(bash scripts/setup.sh --test)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    chars = [str(c) for c in rng.permutation(calib)[: args.chars]]
    rasters, _labels, _kinds, sides = render_variations(fonts, chars, per_font=1, seed=args.seed, weights=None)
    print(f"{len(rasters):,} calibration renderings ({len(chars)} characters × {', '.join(f.name for f in fonts)})",
          file=sys.stderr)
    how = rng.integers(0, len(E.FLIPS), len(rasters))
    # as canonical_raster would place the flipped image: recentred
    edited = E.recentre(np.stack([E.flip(rasters[i : i + 1], E.FLIPS[h])[0] for i, h in enumerate(how)]))
    a = rasters > 90
    b = edited > 90
    asymmetric = (a & b).sum(axis=(1, 2)) / np.maximum((a | b).sum(axis=(1, 2)), 1) <= 0.45
    up = detector_inputs(index, rasters, sides)
    ed = detector_inputs(index, edited[asymmetric], sides[asymmetric])
    print(f"upright gaiji: {len(rasters):,}; edited (asymmetric after the flip): {int(asymmetric.sum()):,}\n")
    print("check_below flipped_min | edited found | upright flagged by mistake")
    for check_below in (0.5, 0.7, 0.9):
        for flipped_min in (0.5, 0.6, 0.7, 0.8, 0.9):
            f_up = flagged(index, *up, check_below=check_below, flipped_min=flipped_min)
            f_ed = flagged(index, *ed, check_below=check_below, flipped_min=flipped_min)
            mark = "  <- shipped" if (check_below, flipped_min) == (E.CHECK_BELOW, E.FLIPPED_MIN) else ""
            print(f"{check_below:>11.1f} {flipped_min:>11.1f} | {f_ed.mean():>12.3f} | {f_up.mean():>10.4f} "
                  f"({int(f_up.sum())} of {len(f_up):,}){mark}")
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
