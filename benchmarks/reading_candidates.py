"""What reading candidates add (gaiji.match.reading_candidates), measured on calibration queries.

    GAIJI_HOME=glyph_db python benchmarks/reading_candidates.py --cache DIR [--queries 12000]

DIR: the folder ``python scripts/train_matcher.py --cache DIR`` keeps its rendered queries in
(``trust-designs-kinds-1.0.npz``: the seven calibration designs, present characters). A seeded
sample of them gets simulated ledgers as calibration gives them (25 % no reading, 5 % another
character's) and is ranked by the v2 matcher twice — without reading candidates and with
:data:`READING_EXTRAS` — printing per kind of drawing and size class: MJ@1, MJ@10, and the share
of gaiji whose answer was verified at all. The benchmark fonts are not read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    from gaiji.match import verified
    from gaiji.match.index import load_match_index
    from gaiji.match.training import simulated_ledger
    from gaiji.match.trust import is_small
    from gaiji.reference import load_reference

    path = args.cache / "trust-designs-kinds-1.0.npz"
    if not path.is_file():
        print(f"error: {path} missing: run `python scripts/train_matcher.py --cache {args.cache}` once", file=sys.stderr)
        return 2
    index = load_match_index(load_reference())
    with np.load(path) as d:
        pick = np.sort(np.random.default_rng(args.seed).choice(len(d["answers"]), args.queries, replace=False))
        rasters, answers, sides, kinds = d["rasters"][pick], d["answers"][pick], d["sides"][pick], d["kinds"][pick]
    hints = simulated_ledger(index, answers, seed=args.seed + 1)
    shipped = verified.READING_EXTRAS
    results = {}
    for extras in (0, shipped):
        verified.READING_EXTRAS = extras
        t = time.process_time()
        ranked = verified.rank_rasters_verified(index, rasters, hints, top_k=verified.VERIFY, sides=sides)
        results[extras] = (ranked.rows, time.process_time() - t)
    verified.READING_EXTRAS = shipped
    small = is_small(sides)
    groups = [("all", np.ones(len(answers), bool)), ("≤ 16 px", small), ("> 16 px", ~small)]
    groups += [(f"kind {k}", kinds == k) for k in np.unique(kinds)]
    print(f"{len(answers):,} calibration queries, simulated ledgers; reading candidates: 0 / {shipped}")
    print(f"{'':18s} {'n':>6s} | {'MJ@1':>13s} | {'MJ@10':>13s}")
    for label, mask in groups:
        cells = []
        for metric in (lambda r: r[:, 0] == answers, lambda r: (r == answers[:, None]).any(axis=1)):
            a, b = (metric(results[e][0])[mask].mean() for e in (0, shipped))
            cells.append(f"{a:.4f} {b:.4f}")
        print(f"{label:18s} {int(mask.sum()):6d} | {cells[0]} | {cells[1]}")
    print(f"CPU seconds (one process): {results[0][1]:.1f} / {results[shipped][1]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
