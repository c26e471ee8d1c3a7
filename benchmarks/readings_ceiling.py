#!/usr/bin/env python3
"""How much ledger readings *could* add to MJ@1 on a kept benchmark set, per subset.

    gaiji bench match --keep DIR                      # DIR/set, DIR/c-v2.csv (with readings)
    gaiji match DIR/set -o DIR/c-v2-noreadings.csv --no-readings
    python benchmarks/readings_ceiling.py DIR

Issue #9 asks readings to add ≥ 0.02 to MJ@1 on every subset that carries them. A reading can
only turn a gaiji the shapes alone get wrong into a right one when the ledger's reading is one
of the answer's readings and *not* one of the wrong rank-1 glyph's (a reading both share cannot
tell them apart — always so between IVS siblings, whose readings are one character's). That
count, per subset, is a ceiling on the gain; the script prints it beside MJ@1 without and with
readings and the share of ledgers whose reading is right (the benchmark leaves 20 % without one
and gives 5 % a wrong one).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rank1(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {r["gaiji_id"]: r["mj"] for r in csv.DictReader(handle) if r["rank"] == "1"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kept", type=Path, help="the folder of `gaiji bench match --keep`")
    ap.add_argument("--with-readings", type=Path, default=None, help="default: KEPT/c-v2.csv")
    ap.add_argument("--without-readings", type=Path, default=None, help="default: KEPT/c-v2-noreadings.csv")
    args = ap.parse_args()
    from gaiji.match.fuse import ledger_readings
    from gaiji.readings import normalize_reading
    from gaiji.reference import load_reference

    ref = load_reference()
    row_of = {ref.record(i).mj: i for i in range(len(ref))}

    def readings(mj: str) -> set[str]:
        return {normalize_reading(x) for x in ref.record(row_of[mj]).readings} - {""} if mj in row_of else set()

    with open(args.kept / "set" / "answers.csv", encoding="utf-8", newline="") as handle:
        answers = list(csv.DictReader(handle))
    with open(args.kept / "set" / "glyphs.csv", encoding="utf-8", newline="") as handle:
        ledger = {r["gaiji_id"]: set(ledger_readings(r["reading"])) for r in csv.DictReader(handle)}
    without = rank1(args.without_readings or args.kept / "c-v2-noreadings.csv")
    with_ = rank1(args.with_readings or args.kept / "c-v2.csv")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for a in answers:
        if not a["mj"]:
            continue
        g, right = a["gaiji_id"], a["mj"]
        told = ledger[g] & readings(right)
        c = counts[a["subset"]]
        c[0] += 1
        c[1] += without[g] == right
        c[2] += with_[g] == right
        c[3] += without[g] != right and bool(told) and not ledger[g] & readings(without[g])
        c[4] += bool(told)
    print(f"{'subset':15s} {'n':>5s} {'noRd@1':>7s} {'MJ@1':>6s} {'gain':>6s} {'ceiling':>7s} {'reading right':>13s}")
    for subset, (n, a0, a1, fixable, good) in sorted(counts.items()):
        print(f"{subset:15s} {n:5d} {a0 / n:7.3f} {a1 / n:6.3f} {(a1 - a0) / n:+6.3f} {fixable / n:+7.3f} {good / n:13.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
