"""Corpus at national scale: group + match time, memory and reuse quality on simulated corpora.

For each size it simulates a corpus (``gaiji corpus simulate``; not timed as part of the
run), then runs ``group`` + ``match`` end to end on one Dask client — the embedded
LocalCluster of ``--workers`` processes, or ``--scheduler ADDRESS`` — and measures:

* wall time per stage and in total, the load average before and after (a shared machine);
* peak memory: the sum of the RSS of this process and every child (workers included),
  sampled every 0.5 s — an upper bound, as the memory-mapped index is counted per process;
* reviewer decisions: one per group, plus one per blank gaiji, plus conflicts, as a share
  of the gaiji (groups alone: the baseline, in the same run); and with cross-design
  families (:mod:`gaiji.corpus.family`): a family costs one decision plus one for every
  group in it whose true MJ differs from the family's (the reviewer splits it off and
  decides it separately); groups in no family cost one each. "After auto-accept": a group
  whose representative the matcher auto-accepted needs no decision (a family none of whose
  groups need one costs nothing);
* reuse quality, with the truth standing in for the reviewers: each group's representative
  is decided by its true MJ; that decision is proposed to every other member
  (:func:`gaiji.corpus.reuse.propose`); a proposal is right when the member's true MJ is the
  same. Groups holding two different true MJ are counted (target ≤ 0.1 %).
  With families, the reviewer decides each family's first (largest) group by its truth and
  splits off, by the truth, every group whose MJ differs; the family decision is proposed to
  the rest (:func:`gaiji.corpus.reuse.propose` with the ``family_groups`` table), and every
  proposal — same glyph or same family — is checked against the truth. As a bound that does
  not trust the reviewer to split: the same with *no* split (the family's decision proposed
  to every other group of it). Families holding two true MJ, or two characters, are counted;
  so are, apart from the count, families whose largest group is truly another glyph than the
  family's (all its groups wrong the same way: the family then proposes nothing).
* baseline (``--baseline``): what a data centre does today — ``gaiji match SET`` once per
  municipality, one process after another (process start and index load included).

Then it fits time = a + b·n per stage and extrapolates to 2 million gaiji, on 2 cores and on
N workers (the prepare and match stages spread over workers; grouping runs on the client).

Usage::

    python benchmarks/corpus_scale.py --sizes 10000 30000 --baseline --keep /tmp/corpus-bench
    python benchmarks/corpus_scale.py --sizes 10000 30000 100000 --baseline --baseline-upto 30000 --out r.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gaiji, not another install
GAIJI_PER = 1250


class PeakMemory:
    """Peak of the summed RSS of this process and all its descendants."""

    def __init__(self, interval: float = 0.5) -> None:
        import psutil

        self._me = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for p in [self._me, *self._me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):  # a process that just ended
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(interval)

    def __enter__(self) -> PeakMemory:  # noqa: PYI034
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def reuse_quality(corpus: Path) -> dict[str, float | int]:
    import pyarrow.parquet as pq

    from gaiji.corpus.reuse import MemberDecision, propose
    from gaiji.corpus.tables import read_table

    truth_rows = pq.read_table(corpus / "truth.parquet").to_pylist()
    truth = {(r["set"], r["gaiji_id"]): r["mj"] for r in truth_rows}
    # a floor no shape grouping can beat: each character in each vendor design is one group
    # (the design at another size counted as the same), each local drawing its own
    designs = {(r["mj"], r["design"].split("@")[0].split("~")[0]) for r in truth_rows
               if r["origin"] not in ("local", "blank")}
    design_floor = len(designs) + sum(1 for r in truth_rows if r["origin"] in ("local", "blank"))
    mem = read_table(corpus, "memberships")
    rows = mem.to_pylist()
    groups: dict[str, list[str]] = {}
    decisions = []
    for m in rows:
        if not m["group_id"]:
            continue
        groups.setdefault(m["group_id"], []).append(truth[(m["set"], m["gaiji_id"])])
        if m["relation"] == "representative":
            mj = truth[(m["set"], m["gaiji_id"])]
            decisions.append(MemberDecision(m["set"], m["gaiji_id"], mj, "", "", "", "字形一致", "truth"))
    reuse = propose(mem, decisions)
    # the matcher's auto-accept on each group's representative (candidates/<set>.csv)
    import csv

    reps = [m for m in rows if m["relation"] == "representative"]
    rank1: dict[tuple[str, str], dict[str, str]] = {}
    for name in sorted({m["set"] for m in reps}):
        with open(corpus / "candidates" / f"{name}.csv", encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r["rank"] == "1":
                    rank1[(name, r["gaiji_id"])] = r
    auto = [(m, rank1[(m["set"], m["gaiji_id"])]) for m in reps
            if rank1.get((m["set"], m["gaiji_id"]), {}).get("auto_accept") == "1"]
    auto_right = sum(1 for m, r in auto if r["mj"] == truth[(m["set"], m["gaiji_id"])])
    props = reuse.proposals.select(["set", "gaiji_id", "mj"]).to_pylist()
    right = sum(1 for p in props if truth[(p["set"], p["gaiji_id"])] == p["mj"])
    impure = sum(1 for v in groups.values() if len(set(v)) > 1)
    blank = sum(1 for m in rows if m["relation"] == "blank")
    n = len(rows)
    decisions_needed = len(groups) + blank + reuse.conflict_groups
    fam = family_quality(corpus, truth, rows, groups, rank1, n, blank)
    return {
        **fam,
        "gaiji": n, "groups": len(groups), "blank": blank, "conflict_groups": reuse.conflict_groups,
        "reviewer_decisions": decisions_needed, "decision_share": round(decisions_needed / n, 4),
        "design_floor": design_floor, "design_floor_share": round(design_floor / n, 4),
        "proposals": len(props), "proposals_right": right,
        "proposal_precision": round(right / len(props), 6) if props else None,
        "groups_auto_accepted": len(auto), "auto_accept_right": auto_right,
        "decisions_after_auto_accept": decisions_needed - len(auto),
        "decision_share_after_auto_accept": round((decisions_needed - len(auto)) / n, 4),
        "impure_groups": impure, "impure_group_share": round(impure / len(groups), 6) if groups else 0.0,
        "near_members": sum(1 for m in rows if m["relation"] == "near"),
        "identical_members": sum(1 for m in rows if m["relation"] == "identical"),
    }


def family_quality(corpus: Path, truth: dict[tuple[str, str], str], rows: list[dict], groups: dict[str, list[str]],
                   rank1: dict[tuple[str, str], dict[str, str]], n: int, blank: int,
                   family_groups: object = None) -> dict[str, float | int | None]:
    """Decisions and proposal precision with cross-design families (see the module doc);
    *family_groups* instead of the corpus's table (benchmarks/family_rules.py)."""
    import pyarrow.parquet as pq

    from gaiji.corpus.family import read_family_groups
    from gaiji.corpus.reuse import MemberDecision, propose
    from gaiji.corpus.tables import read_table

    chars = {(r["set"], r["gaiji_id"]): r["char"] for r in pq.read_table(corpus / "truth.parquet").to_pylist()}
    fg = read_family_groups(corpus) if family_groups is None else family_groups
    if fg is None:
        return {"families": None}
    mem = read_table(corpus, "memberships")
    rep = {m["group_id"]: (m["set"], m["gaiji_id"]) for m in rows if m["relation"] == "representative"}
    families: dict[str, list[dict]] = {}
    for r in fg.to_pylist():
        families.setdefault(r["family_id"], []).append(r)
    in_family = {r["group_id"] for fam in families.values() for r in fam}

    def decide(gid: str) -> MemberDecision:
        s, g = rep[gid]
        return MemberDecision(s, g, truth[(s, g)], "", "", "", "字形一致", "truth")

    cost = cost_auto = mixed_mj = mixed_char = splits = wrong_glyph = 0
    with_split: list[MemberDecision] = []
    no_split: list[MemberDecision] = []
    for fam in families.values():
        fam.sort(key=lambda r: r["order"])
        d = truth[rep[fam[0]["group_id"]]]
        wrong_glyph += d != fam[0]["mj"]
        split = [r for r in fam[1:] if truth[rep[r["group_id"]]] != d]
        splits += len(split)
        cost += 1 + len(split)
        open_ = [r for r in fam if not r["auto_accept"]]
        cost_auto += (1 + sum(1 for r in open_ if truth[rep[r["group_id"]]] != d)) if open_ else 0
        mixed_mj += len({truth[rep[r["group_id"]]] for r in fam}) > 1
        mixed_char += len({chars[rep[r["group_id"]]][:1] for r in fam}) > 1
        with_split += [decide(fam[0]["group_id"])] + [decide(r["group_id"]) for r in split]
        no_split.append(decide(fam[0]["group_id"]))
    alone = [g for g in groups if g not in in_family]
    alone_auto = sum(1 for g in alone if rank1.get(rep[g], {}).get("auto_accept") == "1")
    solo = [decide(g) for g in alone]
    reuse = propose(mem, with_split + solo, fg)
    props = reuse.proposals.select(["set", "gaiji_id", "mj", "reuse"]).to_pylist()
    right = sum(1 for p in props if truth[(p["set"], p["gaiji_id"])] == p["mj"])
    blind = propose(mem, no_split + solo, fg)
    fprops = [p for p in blind.proposals.select(["set", "gaiji_id", "mj", "reuse"]).to_pylist() if p["reuse"] == "family"]
    fright = sum(1 for p in fprops if truth[(p["set"], p["gaiji_id"])] == p["mj"])
    decisions = cost + len(alone) + blank + reuse.conflict_groups
    after_auto = cost_auto + len(alone) - alone_auto + blank + reuse.conflict_groups
    return {
        "families": len(families), "groups_in_families": len(in_family), "family_splits": splits,
        "family_decisions": decisions, "family_decision_share": round(decisions / n, 4),
        "family_decisions_after_auto_accept": after_auto,
        "family_decision_share_after_auto_accept": round(after_auto / n, 4),
        "family_proposals": len(props), "family_proposals_right": right,
        "family_proposal_precision": round(right / len(props), 6) if props else None,
        "family_proposals_across_designs": sum(1 for p in props if p["reuse"] == "family"),
        "unsplit_family_proposals": len(fprops), "unsplit_family_proposals_right": fright,
        "unsplit_family_proposal_precision": round(fright / len(fprops), 6) if fprops else None,
        "mixed_mj_families": mixed_mj, "mixed_mj_family_share": round(mixed_mj / len(families), 6) if families else 0.0,
        "mixed_character_families": mixed_char,
        "mixed_character_family_share": round(mixed_char / len(families), 6) if families else 0.0,
        # not part of the count above: families whose largest group is truly another glyph than
        # the family's (its decision confirms nothing, so the family proposes nothing)
        "families_not_their_glyph": wrong_glyph,
        "groups_uncontested": sum(1 for r in fg.to_pylist() if r.get("admission") == "uncontested"),
        "groups_by_designs": sum(1 for r in fg.to_pylist() if r.get("admission") == "designs"),
    }


def baseline(corpus: Path) -> float:
    """Seconds for `gaiji match SET` once per set, sequentially (today's way)."""
    from gaiji.corpus.registry import read_registry

    t0 = time.monotonic()
    for e in read_registry(corpus):
        subprocess.run([sys.executable, "-m", "gaiji", "match", str(e.set_dir(corpus)), "-o",
                        str(corpus / "baseline" / f"{e.name}.csv"), "-q"], check=True)
    return time.monotonic() - t0


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    if len(xs) < 2:
        return 0.0, ys[0] / xs[0]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 30000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1,
                    help="simulation seed (the grouping thresholds were set on seed 20261130, the family thresholds "
                         "and rival rule on seeds 77 and 4242: measure on another)")
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--baseline", action="store_true", help="also time gaiji match per set")
    ap.add_argument("--baseline-upto", type=int, default=None,
                    help="with --baseline: only for sizes up to this many gaiji (spares a shared machine)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the corpora under this folder")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()

    from gaiji.corpus.pipeline import run_stages
    from gaiji.corpus.simulate import SimulationOptions, simulate_corpus
    from gaiji.reference import load_reference

    reference = load_reference()
    base = args.keep or Path(tempfile.mkdtemp(prefix="corpus-bench-"))
    results = []
    for size in args.sizes:
        municipalities = max(1, round(size / GAIJI_PER))
        corpus = base / f"sim-{size}"
        if corpus.exists():
            shutil.rmtree(corpus)
        t0 = time.monotonic()
        sim = simulate_corpus(corpus, SimulationOptions(municipalities=municipalities, gaiji_per=GAIJI_PER,
                                                                seed=args.seed),
                              reference=reference)
        t_sim = time.monotonic() - t0
        load_before = os.getloadavg()
        with PeakMemory() as mem:
            t1 = time.monotonic()
            run = run_stages(corpus, ("group", "match"), scheduler=args.scheduler,
                             workers=None if args.scheduler else args.workers)
            wall = time.monotonic() - t1
        load_after = os.getloadavg()
        quality = reuse_quality(corpus)
        row = {
            "gaiji": sim["gaiji"], "municipalities": municipalities, "distinct_mj": sim["distinct_mj"],
            "origins": sim["origins"], "simulate_s": round(t_sim, 1), "group_match_s": round(wall, 1),
            "stages_s": {**run["group"]["seconds"], **run["match"]["seconds"]},
            "peak_rss_gb": round(mem.peak / 2**30, 2), "workers": run["workers"], "engine": run["engine"],
            "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
            "distinct_units": run["match"]["distinct_units"], **quality,
        }
        if args.baseline and (args.baseline_upto is None or size <= args.baseline_upto):
            row["baseline_per_set_match_s"] = round(baseline(corpus), 1)
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if not args.keep:
            shutil.rmtree(corpus, ignore_errors=True)
    xs = [r["gaiji"] for r in results]
    parallel = [r["stages_s"]["prepare"] + r["stages_s"]["match"] + r["stages_s"]["write"] for r in results]
    serial = [r["stages_s"]["group"] + r["stages_s"].get("families", 0.0) for r in results]
    pa_, pb = fit(xs, parallel)
    sa, sb = fit(xs, serial)
    overhead = sum(r["group_match_s"] - p - s for r, p, s in zip(results, parallel, serial)) / len(results)
    w = args.workers

    def extrapolate(n: int, workers: int) -> float:
        return overhead + sa + sb * n + (pa_ + pb * n) * w / workers

    summary = {
        "per_gaiji_ms_parallel_stages": round(pb * 1000, 3), "per_gaiji_ms_grouping": round(sb * 1000, 4),
        "startup_overhead_s": round(overhead, 1),
        "extrapolated_2M_s": {f"{k}_workers": round(extrapolate(2_000_000, k)) for k in (w, 8, 32, 128)},
    }
    print(json.dumps(summary), flush=True)
    print("\n gaiji    munis  group+match  prepare  group  match  peak RSS  decisions (after auto)  proposals right  impure groups  load")
    for r in results:
        s = r["stages_s"]
        print(f"{r['gaiji']:>7,} {r['municipalities']:>6} {r['group_match_s']:>10.1f}s {s['prepare']:>7.1f} "
              f"{s['group']:>6.1f} {s['match'] + s['write']:>6.1f} {r['peak_rss_gb']:>7.2f} GB "
              f"{100 * r['decision_share']:>8.1f} % ({100 * r['decision_share_after_auto_accept']:.1f} %) {r['proposals_right']:>7,}/{r['proposals']:<7,} "
              f"{r['impure_groups']:>4} ({100 * r['impure_group_share']:.3f} %)  {r['load_before'][0]:.1f}→{r['load_after'][0]:.1f}"
              + (f"  baseline {r['baseline_per_set_match_s']:.0f}s" if "baseline_per_set_match_s" in r else ""))
    print("\n with families: decisions (after auto)  proposals right (reviewer splits)  unsplit family proposals right  mixed families (MJ / character)")
    for r in results:
        if r.get("families") is None:
            continue
        print(f"{r['gaiji']:>7,} {r['families']:>6,} fam. {100 * r['family_decision_share']:>6.1f} % "
              f"({100 * r['family_decision_share_after_auto_accept']:.1f} %)  {r['family_proposals_right']:>7,}/"
              f"{r['family_proposals']:<7,}  {r['unsplit_family_proposals_right']:>7,}/{r['unsplit_family_proposals']:<7,}  "
              f"{r['mixed_mj_families']} ({100 * r['mixed_mj_family_share']:.3f} %) / {r['mixed_character_families']} "
              f"({100 * r['mixed_character_family_share']:.3f} %)")
    if args.out:
        args.out.write_text(json.dumps({"runs": results, "summary": summary}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
