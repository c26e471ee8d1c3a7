#!/usr/bin/env python3
"""Match v2 on clean outlines of designs far from and close to what it learnt — and the
no-equivalent promise there.

    python benchmarks/heldout_outlines.py [--per-font 600] [--seed 5] [--json]

Fonts outside every split (Debian: ``apt-get install fonts-monapo fonts-kanjistrokeorders
fonts-aoyagi-kouzan-t fonts-kouzan-mouhitsu fonts-aoyagi-soseki``; absent ones are skipped):
brush and cursive designs (Aoyagi Kouzan, Kouzan Mouhitsu kaisho / gyosho / sousyo, Aoyagi Soseki),
KanjiStrokeOrders (numbered strokes) and Monapo (derived from IPA Gothic: a design like a training
font's); and, for reference, a training font (IPA Gothic) and a calibration font (BIZ UD Gothic).
Per font, characters with one MJ glyph that the matcher neither learnt nor was calibrated on,
each drawn once as a clean antialiased outline of 48–128 px, matched without readings; then again
with every MJ glyph of their character hidden (a gaiji MJ lacks, drawn so). It prints ``MJ@1``,
``MJ@10``, the share auto-accepted and how many of those were wrong, ``該当なし`` (share with
``no_match`` ≥ 0.2), and with the character hidden: how many were auto-accepted as something else
— leaving out, as calibration does, "near twins" whose accepted glyph overlaps the hidden one's
(IoU ≥ 0.75 of their ink) — and the share 該当なし flagged. Calibration promises a 95 % upper
bound of 0.5 % on hidden characters accepted, over its mix of renderings (outlines, bitmaps,
scans, hand-drawn, elastic); clean outlines are where the verifier is surest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from heldout import parser, present_and_hidden, report

_T = Path("/usr/share/fonts/truetype")
_O = Path("/usr/share/fonts/opentype")
#: (name, role, file)
FONTS = (
    ("Aoyagi Kouzan", "held out", _T / "aoyagi-kouzan-t/AoyagiKouzanT.ttf"),
    ("Kouzan kaisho", "held out", _T / "kouzan-mouhitsu/kouzan-mouhitsu.ttf"),
    ("Kouzan gyosho", "held out", _T / "kouzan-mouhitsu/kouzan-mouhitsu-gyosho.ttf"),
    ("Kouzan sousyo", "held out", _T / "kouzan-mouhitsu/KouzanBrushFontSousyo.ttf"),
    ("Aoyagi Soseki", "held out", _T / "aoyagi-soseki/aoyagi-soseki.ttf"),
    ("KanjiStrokeOrders", "held out", _T / "kanjistrokeorders/KanjiStrokeOrders_v4.003.ttf"),
    ("Monapo", "held out", _T / "monapo/monapo.ttf"),
    ("IPA Gothic", "training", _O / "ipafont-gothic/ipag.ttf"),
    ("BIZ UD Gothic", "calibration", _T / "bizud-gothic/BIZUDGothic-Regular.ttf"),
)


def run(per_font: int, seed: int) -> list[dict]:
    from gaiji.match.bench import _unique_pool
    from gaiji.match.index import load_match_index
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.projection import FontSpec
    from gaiji.match.synth import FontRenderer
    from gaiji.match.training import near_twins
    from gaiji.match.trust import NO_MATCH_SUGGEST
    from gaiji.reference import load_reference

    index = load_match_index(load_reference())
    pool = _unique_pool(index.rows, index.learned_chars())
    out = []
    for name, role, path in FONTS:
        if not path.is_file():
            print(f"{name}: {path} not installed, skipped", file=sys.stderr)
            continue
        renderer = FontRenderer(FontSpec(name, path, "mincho"))
        usable = sorted(c for c in pool if renderer.has(c))
        rng = np.random.default_rng(seed)
        rasters, sides, answers, chars = [], [], [], []
        for c in (usable[int(i)] for i in rng.permutation(len(usable))[:per_font]):
            img = renderer.render(c, int(rng.integers(48, 129)))
            if img is None or img.max() == 0:  # a code point the font maps to an empty glyph
                continue
            raster, side = query_raster_and_side(img)
            rasters.append(raster), sides.append(side), answers.append(pool[c]), chars.append(c)
        if not rasters:
            continue
        r, s, a = np.stack(rasters), np.asarray(sides), np.asarray(answers)
        ranked = present_and_hidden(index, r, s, a)
        hidden, h_auto = ranked["hidden"], ranked["hidden_auto"]
        twin = near_twins(index, hidden.rows[:, 0], a)
        out.append({
            "font": name, "role": role, "queries": len(a), **ranked["row"],
            "hidden_queries": int((~twin).sum()), "hidden_auto": int((h_auto & ~twin).sum()),
            "hidden_auto_twins": int((h_auto & twin).sum()),
            "hidden_no_match_flagged": round(float((hidden.no_match[~twin] >= NO_MATCH_SUGGEST).mean()), 4),
            "hidden_auto_examples": [f"{chars[i]}→{index.rows[int(hidden.rows[i, 0])].char}"
                                     for i in np.flatnonzero(h_auto & ~twin)[:6]],
        })
    return out


def main() -> int:
    args = parser(__doc__).parse_args()
    return report(
        run(args.per_font, args.seed), args.json,
        f"{'font':17s} {'role':11s} {'n':>4s} | {'MJ@1':>5s} {'MJ@10':>5s} {'auto':>5s} {'wrong':>5s} {'該当なし':>5s} |"
        f" {'hidden auto':>11s} {'(twins)':>7s} {'該当なし':>5s}",
        lambda r: (f"{r['font']:17s} {r['role']:11s} {r['queries']:4d} | {r['mj_at_1']:5.3f} {r['mj_at_10']:5.3f}"
                   f" {r['auto']:5.3f} {r['auto_wrong']:5d} {r['no_match_flagged']:7.3f} | {r['hidden_auto']:4d} of"
                   f" {r['hidden_queries']:4d} {r['hidden_auto_twins']:7d} {r['hidden_no_match_flagged']:7.3f}"
                   f"  {' '.join(r['hidden_auto_examples'])}"),
    )


if __name__ == "__main__":
    raise SystemExit(main())
