"""`gaiji match SET` end to end, as users run it: a new process per run (start, index load,
PNGs from disk, matching, candidates written), peak RSS by GNU time — the end-to-end part of
`gaiji bench match`, on its own and repeated, optionally beside another source tree.

    GAIJI_HOME=glyph_db python benchmarks/match_e2e.py SET [--rounds 4] [--compare-tree DIR]

SET: a gaiji set on disk, e.g. the one `gaiji bench match --keep DIR` leaves in ``DIR/set``.
``--compare-tree DIR``: a checkout of another revision (``git archive main | tar -x -C DIR``);
its `gaiji match` runs interleaved with this tree's, round by round, so both see the same
machine load, and the candidate files of the two trees are compared byte for byte. When the two
trees ship different matcher models, each needs a reference folder of its own (the match index
beside the reference is rebuilt for whichever model runs, so the trees would rebuild it for each
other every round): ``--compare-home DIR`` is the compare tree's GAIJI_HOME (a copy of yours).

Prints per run: gaiji/s, wall seconds, CPU seconds (user + system, workers included), peak
RSS, the 1-minute load average before it; then per tree and matcher the best round and the
means, beside the plain baseline (``python -m gaiji.match.baseline``: PNG → crop → 32×32 pixel
cosine over all glyphs) measured in the same invocation; with a compare tree, the ratios of
the means. On a busy machine, compare the means over several rounds (``--rounds 4`` or more),
CPU above all: the best round is an outlier either way. The trees take turns going first in a
round (the first ran ~5 % slower, whichever it was): use an even number of rounds.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]


def run(tree: Path, args: list[str], home: Path | None = None):  # type: ignore[no-untyped-def]
    """``python ARGS`` started in ``tree`` (GAIJI_HOME ``home`` if given), timed: wall seconds,
    peak RSS MB, CPU seconds (:class:`gaiji.match.bench.CliRun`)."""
    sys.path.insert(0, str(ROOT))
    from gaiji.match.bench import run_cli

    env = {**os.environ, "PYTHONPATH": str(tree)}
    if home is not None:
        env["GAIJI_HOME"] = str(home)
    return run_cli(args, cwd=tree, env=env)


def model_files_digest(tree: Path) -> str:
    """SHA-256 over the matcher model files a source tree ships (``gaiji/match/model``)."""
    h = hashlib.sha256()
    folder = tree / "gaiji" / "match" / "model"
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--compare-tree", type=Path, default=None)
    parser.add_argument("--compare-home", type=Path, default=None,
                        help="GAIJI_HOME for the compare tree (needed when the trees ship different models)")
    parser.add_argument("--matchers", default="v2,v1")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    set_dir = args.set_dir.resolve()
    from gaiji.extract.gaijiset import read_gaiji_set

    n = sum(1 for r in read_gaiji_set(set_dir).records if not r.blank)
    trees = {"this": ROOT}
    homes: dict[str, Path | None] = {"this": None, "compare": args.compare_home}
    if args.compare_tree is not None:
        trees["compare"] = args.compare_tree.resolve()
        if args.compare_home is None and model_files_digest(ROOT) != model_files_digest(trees["compare"]):
            print(f"error: {trees['compare']} ships another matcher model than this tree; both would rebuild "
                  "the match index beside the one reference for each other in every round (and be timed "
                  "doing it). Give the compare tree a reference folder of its own: copy GAIJI_HOME "
                  "(cp -r \"$GAIJI_HOME\" /tmp/compare-home) and pass --compare-home /tmp/compare-home.",
                  file=sys.stderr)
            return 2
    out = Path(tempfile.mkdtemp(prefix="gaiji-e2e-"))
    runs: dict[tuple[str, str], list] = {}
    print(f"{n:,} gaiji from {set_dir}; trees: " + ", ".join(f"{k}={v}" for k, v in trees.items()))
    try:
        for rnd in range(args.rounds):
            for matcher in args.matchers.split(","):
                # the tree run first in a round ran ~5 % slower (stop 23, in either order): the
                # trees take turns going first, so an even number of rounds cancels that
                order = list(trees.items())
                for name, tree in order[rnd % 2:] + order[: rnd % 2]:
                    load = os.getloadavg()[0]
                    timed = run(tree, ["-m", "gaiji", "match", str(set_dir), "-o", str(out / f"{name}-{matcher}.csv"),
                                       "-q", "--matcher", matcher], homes[name])
                    print(f"round {rnd + 1} {matcher} {name:8s} {n / timed.wall:7,.0f} gaiji/s  {timed.wall:5.1f} s  "
                          f"CPU {timed.cpu:5.1f} s  peak RSS {timed.peak_rss_mb:6,.0f} MB  load {load:.2f}", flush=True)
                    runs.setdefault((name, matcher), []).append(timed)
        base = None
        if not args.no_baseline:
            load = os.getloadavg()[0]
            base = run(ROOT, ["-m", "gaiji.match.baseline", str(set_dir)]).wall
            print(f"plain baseline {n / base:7,.0f} gaiji/s  {base:5.1f} s  load {load:.2f}")
        print("best of the rounds, and the mean (wall, CPU):")
        for (name, matcher), timed in sorted(runs.items()):
            fastest = min(timed, key=lambda t: t.wall)
            wall, cpu = mean(t.wall for t in timed), mean(t.cpu for t in timed)
            print(f"  {matcher} {name:8s} {n / fastest.wall:7,.0f} gaiji/s ({fastest.wall:.1f} s, peak RSS "
                  f"{fastest.peak_rss_mb:,.0f} MB); mean {n / wall:,.0f} gaiji/s ({wall:.2f} s, CPU {cpu:.1f} s)")
        if "compare" in trees:
            # on a busy machine the best round is an outlier either way; means over interleaved rounds,
            # and CPU time above all, tell the trees apart (stop 20: the best of 3 rounds saw no
            # difference between two trees whose means over 4 rounds were 7–12 % apart)
            for matcher in args.matchers.split(","):
                a, b = runs[("this", matcher)], runs[("compare", matcher)]
                print(f"  {matcher} this / compare: wall {mean(t.wall for t in a) / mean(t.wall for t in b):.3f}, "
                      f"CPU {mean(t.cpu for t in a) / mean(t.cpu for t in b):.3f} (means over {len(a)} rounds)")
        if base is not None:
            print(f"  plain baseline {n / base:,.0f} gaiji/s ({base:.1f} s)")
        if "compare" in trees:
            for matcher in args.matchers.split(","):
                same = filecmp.cmp(out / f"this-{matcher}.csv", out / f"compare-{matcher}.csv", shallow=False)
                print(f"candidates {matcher}: {'byte-identical' if same else 'DIFFERENT'} between the trees")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
