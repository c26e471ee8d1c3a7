#!/usr/bin/env python3
"""Rebuild the matcher's shipped model (gaiji/match/model/) from installed fonts, reproducibly.

    python scripts/train_matcher.py                 # full training (~15-20 min on 2 cores)
    python scripts/train_matcher.py --cache /tmp/c  # keep rendered queries for the next run
    python scripts/train_matcher.py --out /tmp/m    # somewhere else, to compare

Needs the reference (`gaiji reference build`), the training and calibration fonts
(`bash scripts/setup.sh --test`), scikit-learn and onnx (`pip install -e '.[train]'`) and, for the
pair network, PyTorch (`pip install torch --index-url https://download.pytorch.org/whl/cpu`; or
reuse a fitted network with --pair-cnn-from). The font-level split it uses is written to
model.json and printed by `gaiji bench match`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gaiji.match.index import MODEL_DIR
from gaiji.match.training import train_matcher
from gaiji.progress import stderr_progress
from gaiji.reference import load_reference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder (default: the shipped one)")
    parser.add_argument("--scale", type=float, default=1.0, help="renderings per font and character (×)")
    parser.add_argument("--projections-from", type=Path, default=None,
                        help="reuse projections from a match index folder built by the same code and seed")
    parser.add_argument("--calibration-dump", type=Path, default=None,
                        help="also save the calibration queries' summaries (npz) for study")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep rendered training / calibration queries here between runs")
    parser.add_argument("--vectors", action="store_true",
                        help="verifier also on the 768 per-dimension features (measured worse; see benchmarks/MATCH.md)")
    parser.add_argument("--pair-cnn-from", type=Path, default=None,
                        help="reuse a pair_cnn.onnx fitted by the same code and seed (skips ~5 min with PyTorch)")
    parser.add_argument("--verifier-from", type=Path, default=None,
                        help="reuse a model folder's verifier and pair network; refit only look-alikes and trust")
    parser.add_argument("--variant-temperature-only", action="store_true",
                        help="refit only the shipped trust model's variant temperature (seconds; see gaiji/match/variant_designs.py)")
    args = parser.parse_args()
    if args.variant_temperature_only:
        from gaiji.match.training import refit_variant_temperature

        print(json.dumps(refit_variant_temperature(load_reference(), args.out), ensure_ascii=False, indent=1))
        return 0
    info = train_matcher(load_reference(), args.out, progress=stderr_progress(), scale=args.scale,
                         projections_from=args.projections_from, calibration_dump=args.calibration_dump, cache=args.cache,
                         vectors=args.vectors, pair_cnn_from=args.pair_cnn_from,
                         verifier_from=args.verifier_from)
    print(json.dumps({k: info[k] for k in ("seconds", "font_split", "verifier", "pair_cnn", "trust")}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
