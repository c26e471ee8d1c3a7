"""Benchmark the reference: full build time, size on disk, load time, lookup latency.

    python benchmarks/reference_bench.py            # lookups against the built reference
    python benchmarks/reference_bench.py --build    # also a full rebuild into a temp folder

Prints numbers; asserts nothing. Lookup latency is measured per query kind over many
real queries drawn from the MJ table itself (a fixed seed), in-process (no CLI start-up).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaiji.reference import build_reference, load_reference
from gaiji.reference.database import Reference


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", action="store_true", help="time a full build into a temporary folder")
    parser.add_argument("--queries", type=int, default=2000, help="queries per kind")
    args = parser.parse_args()

    if args.build:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            summary = build_reference(Path(tmp), force=True)
            build_s = time.perf_counter() - t0
            print(f"full build: {build_s:.1f} s wall, {summary.total_rows:,} rows, "
                  f"{summary.size_bytes / 1e6:.0f} MB on disk")

    t0 = time.perf_counter()
    ref = load_reference()
    load_ms = (time.perf_counter() - t0) * 1000
    size = sum(p.stat().st_size for p in ref.home.iterdir() if p.is_file())
    print(f"reference: {len(ref):,} rows, {size / 1e6:.0f} MB on disk "
          f"(rasters {(ref.home / 'rasters.u8').stat().st_size / 1e6:.0f} MB, "
          f"records {(ref.home / 'records.sqlite').stat().st_size / 1e6:.0f} MB); load {load_ms:.0f} ms")

    rng = random.Random(1)
    sample = [ref.record(i) for i in rng.sample(range(len(ref)), args.queries)]
    kinds: dict[str, list[str]] = {
        "MJ number": [r.mj for r in sample],
        "character (±IVS)": [r.char for r in sample if r.char],
        "U+XXXX": [r.ucs for r in sample if r.ucs],
        "住基 J+XXXX": [r.juki for r in sample if r.juki],
        "戸籍 number": [r.koseki for r in sample if r.koseki],
        "reading (katakana)": [
            "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in r.readings[0])
            for r in sample if r.readings],
        "radical+strokes": [f"{r.radicals[0][0]}+{r.radicals[0][1]}" for r in sample if r.radicals],
        "IDS components": ["".join(sorted({c for c in r.ids[0] if ord(c) > 0x3000 and not 0x2FF0 <= ord(c) <= 0x2FFF})[:2])
                           for r in sample if r.ids and len(r.ids[0]) > 2],
    }
    print(f"{'query kind':<22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'hit rate':>9}")
    for kind, queries in kinds.items():
        times, hits = [], 0
        for q in queries:
            t = time.perf_counter()
            found = Reference.search(ref, q, limit=50)
            times.append((time.perf_counter() - t) * 1000)
            hits += bool(found)
        if times:
            print(f"{kind:<22} {len(times):>5} {statistics.median(times):>8.2f} {percentile(times, 0.95):>8.2f} "
                  f"{max(times):>8.2f} {hits / len(times):>9.1%}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
