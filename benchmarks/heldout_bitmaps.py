#!/usr/bin/env python3
"""Match v2 on real bitmap fonts it neither learned from, was calibrated on, nor is benchmarked on.

    python benchmarks/heldout_bitmaps.py [--per-font 600] [--seed 5] [--json]

The fonts (Debian: ``apt-get install xfonts-mplus xfonts-a12k12 xfonts-jisx0213 xfonts-ayu
xfonts-kappa20``; absent ones are skipped) are drawn by other hands than every font gaiji
learns from, calibrates on or is benchmarked on: M+ 10 and 12 px, K12, jiskan16 (JIS X 0213),
Ayu 18 px Mincho and Gothic, Kappa 20 px. They are where a design change for small and mid-size
bitmaps is decided, so that `gaiji bench match` stays a benchmark nobody tuned on.

Per font it draws characters that have exactly one MJ glyph and that the matcher neither learned
nor was calibrated on, matches their bitmaps (no ledger readings) and prints:

* ``MJ@1`` / ``MJ@10`` — the answer first / among the first ten;
* ``auto`` and ``wrong`` — the share auto-accepted, and how many of those were not the answer;
* ``該当なし`` — the share with ``no_match`` ≥ 0.2 although MJ has the character;
* ``hidden auto`` — the same bitmaps with every MJ glyph of their character hidden from the
  search (a gaiji MJ lacks, drawn like these): how many would be auto-accepted as something else
  (each one a resident's character replaced), and ``hidden 該当なし`` the share flagged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from heldout import parser, present_and_hidden, report

X11 = Path("/usr/share/fonts/X11/misc")
#: (name, file): real bitmap fonts outside every split of the matcher (see the module docstring)
HELD_OUT_FONTS = (
    ("M+ 10 px", X11 / "mplus_j10r.pcf.gz"),
    ("M+ 12 px", X11 / "mplus_j12r.pcf.gz"),
    ("K12", X11 / "k12.pcf.gz"),
    ("jiskan16", X11 / "jiskan16-2004-1.pcf.gz"),
    ("Ayu 18 Mincho", X11 / "k18m.pcf.gz"),
    ("Ayu 18 Gothic", X11 / "k18gm.pcf.gz"),
    ("Kappa 20", X11 / "k20m.pcf.gz"),
)


def run(per_font: int, seed: int, trust: Path | None = None) -> list[dict]:
    from gaiji.match.bench import _unique_pool, pcf_glyphs
    from gaiji.match.index import load_match_index
    from gaiji.match.prepare import canonical_batch
    from gaiji.match.trust import NO_MATCH_SUGGEST
    from gaiji.reference import load_reference

    index = load_match_index(load_reference())
    if trust is not None:  # a trust model refitted on the same verifier (train_matcher.py --verifier-from)
        from gaiji.match.trust import TrustModel

        index.trust = TrustModel.from_dict(json.loads(Path(trust).read_text(encoding="utf-8")))
    pool = _unique_pool(index.rows, index.learned_chars())
    out = []
    for name, path in HELD_OUT_FONTS:
        if not path.is_file():
            print(f"{name}: {path} not installed, skipped", file=sys.stderr)
            continue
        glyphs = pcf_glyphs(path)
        usable = sorted(c for c in glyphs if c in pool)
        rng = np.random.default_rng(seed)
        chars = [usable[int(i)] for i in rng.permutation(len(usable))[:per_font]]
        rasters, sides = canonical_batch([glyphs[c].astype(np.float32) / 255.0 for c in chars])
        answers = np.array([pool[c] for c in chars])
        ranked = present_and_hidden(index, rasters, sides, answers)
        present, hidden, h_auto = ranked["present"], ranked["hidden"], ranked["hidden_auto"]
        wrong_auto = ranked["auto"] & ~ranked["first"]
        out.append({
            "font": name, "file": path.name, "queries": len(chars), "median_side": int(np.median(sides)),
            **ranked["row"],
            "hidden_auto": int(h_auto.sum()),
            "hidden_no_match_flagged": round(float((hidden.no_match >= NO_MATCH_SUGGEST).mean()), 4),
            "wrong_auto_examples": [f"{chars[i]}→{index.rows[int(present.rows[i, 0])].char}" for i in np.flatnonzero(wrong_auto)[:5]],
            "hidden_auto_examples": [f"{chars[i]}→{index.rows[int(hidden.rows[i, 0])].char}" for i in np.flatnonzero(h_auto)[:5]],
        })
    return out


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--trust", type=Path, default=None,
                    help="a trust.json refitted on the shipped verifier (scripts/train_matcher.py --verifier-from)")
    args = ap.parse_args()
    return report(
        run(args.per_font, args.seed, args.trust), args.json,
        f"{'font':14s} {'n':>4s} {'side':>4s} | {'MJ@1':>6s} {'MJ@10':>6s} {'auto':>6s} {'wrong':>5s} {'該当なし':>6s} |"
        f" {'hidden auto':>11s} {'hidden 該当なし':>12s}",
        lambda r: (f"{r['font']:14s} {r['queries']:4d} {r['median_side']:4d} | {r['mj_at_1']:6.3f} {r['mj_at_10']:6.3f}"
                   f" {r['auto']:6.3f} {r['auto_wrong']:5d} {r['no_match_flagged']:8.3f} | {r['hidden_auto']:11d}"
                   f" {r['hidden_no_match_flagged']:14.3f}  {' '.join(r['wrong_auto_examples'] + r['hidden_auto_examples'])}"),
    )


if __name__ == "__main__":
    raise SystemExit(main())
