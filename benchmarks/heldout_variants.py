#!/usr/bin/env python3
"""Match v2 on IVS variants drawn in designs other than IPAmj's — "which variant?" off IPAmj.

    python benchmarks/heldout_variants.py [--json]

An IVS sequence is registered once in the Ideographic Variation Database, so a font's glyph for a
sequence IPAmj also has draws that very MJ glyph in the font's design (see
``gaiji/match/variant_designs.py``). The matcher's variant queries for training and calibration are
IPAmj's own variant glyphs, degraded, and the benchmark's ``ivs`` subset is Hanazono Mincho: this
asks the same question of the other installed fonts with Moji_Joho sequences —

* **BabelStone Han**: its glyphs of the *calibration* variant characters fit the variant
  temperature (trust.json ``variant_temperature``); those of the benchmark's variant characters
  are a check (a design calibration saw, characters it did not);
* **VL Gothic**: a check only (a projection training font; nothing learns from or is fitted on
  its variant glyphs).

Variant characters the verifier did not learn from, each sequence as an outline (48–128 px) and a
1-bit bitmap (20–32 px), no readings. Per font, drawing and character split it prints ``MJ@1``
(the right variant first), ``MJ@2``, ``UCS@1`` (the right character, any variant), the mean
``confidence`` of rank 1 beside the share right (they should agree: confidence is a promise),
how many gaiji have ``confidence`` ≥ 0.95 and the share of those right, and the auto-accepts
with how many were wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from heldout import parser, report


def run() -> list[dict]:
    from gaiji.match.index import MODEL_DIR, load_match_index
    from gaiji.match.variant_designs import (
        CALIBRATION_VARIANT_FONTS,
        CHECK_VARIANT_FONTS,
        model_variant_split,
        variant_design_queries,
    )
    from gaiji.match.verified import rank_rasters_verified
    from gaiji.reference import load_reference

    reference = load_reference()
    index = load_match_index(reference)
    learnt, calibrated = model_variant_split(MODEL_DIR)
    fonts = CALIBRATION_VARIANT_FONTS + CHECK_VARIANT_FONTS
    for spec in fonts:
        if not spec.path.is_file():
            print(f"{spec.name}: {spec.path} not installed, skipped", file=sys.stderr)
    everything = {r.base_char for r in index.rows if r.base_char} - learnt
    q = variant_design_queries(index, reference.has_glyph, fonts, everything)
    if len(q["answers"]) == 0:
        raise SystemExit("no variant glyphs in other designs: install fonts-babelstone-han / fonts-vlgothic")
    ranked = rank_rasters_verified(index, q["rasters"], top_k=10, sides=q["sides"])
    answers, groups = q["answers"], index.groups
    first = ranked.rows[:, 0] == answers
    auto = np.asarray(ranked.auto_accept, bool)
    confidence = np.asarray(ranked.confidence, np.float64)[:, 0]
    split = np.array(["calibrated" if c in calibrated else "benchmark" for c in q["char"]])
    rows = []
    for f, spec in enumerate(fonts):
        role = "temperature" if spec in CALIBRATION_VARIANT_FONTS else "check"
        for drawing in ("outline", "bitmap", "all"):
            for chars in ("calibrated", "benchmark", "all"):
                m = (q["font"] == f) & ((q["drawing"] == drawing) | (drawing == "all")) & ((split == chars) | (chars == "all"))
                if not m.any():
                    continue
                sure = m & (confidence >= 0.95)
                rows.append({
                    "font": spec.name, "role": role, "drawing": drawing, "characters": chars, "queries": int(m.sum()),
                    "mj_at_1": round(float(first[m].mean()), 4),
                    "mj_at_2": round(float((ranked.rows[m, :2] == answers[m, None]).any(axis=1).mean()), 4),
                    "ucs_at_1": round(float((groups[ranked.rows[m, 0]] == groups[answers[m]]).mean()), 4),
                    "mean_confidence": round(float(np.nanmean(confidence[m])), 4),
                    "sure": int(sure.sum()), "sure_right": round(float(first[sure].mean()), 4) if sure.any() else None,
                    "auto": int((auto & m).sum()), "auto_wrong": int((auto & ~first & m).sum()),
                    "wrong_examples": [f"{index.rows[int(answers[i])].mj}→{index.rows[int(ranked.rows[i, 0])].mj}"
                                       for i in np.flatnonzero(m & ~first)[:3]],
                })
    return rows


def main() -> int:
    args = parser(__doc__, per_font=False).parse_args()

    def line(r: dict) -> str:
        sure_right = "    -" if r["sure_right"] is None else f"{r['sure_right']:5.3f}"
        return (f"{r['font']:14s} {r['role']:11s} {r['drawing']:7s} {r['characters']:10s} {r['queries']:4d} |"
                f" {r['mj_at_1']:5.3f} {r['mj_at_2']:5.3f} {r['ucs_at_1']:5.3f} | {r['mean_confidence']:5.3f} |"
                f" {r['sure']:5d} {sure_right} | {r['auto']:4d} {r['auto_wrong']:5d}  {' '.join(r['wrong_examples'])}")

    return report(
        run(), args.json,
        f"{'font':14s} {'role':11s} {'drawing':7s} {'chars':10s} {'n':>4s} | {'MJ@1':>5s} {'MJ@2':>5s} {'UCS@1':>5s} |"
        f" {'conf':>5s} | {'≥0.95':>5s} {'right':>5s} | {'auto':>4s} {'wrong':>5s}  wrong variant first",
        line,
    )


if __name__ == "__main__":
    raise SystemExit(main())
