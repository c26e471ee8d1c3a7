"""Adding a 10,000-character reference set (target ≤ 60 s) and matching against it.

    GAIJI_HOME=glyph_db python benchmarks/refset_add.py [--chars 10000] [--workers N]

The set: CJK Ext C–F characters of Hanazono Mincho B (``fonts-hanazono``) that IPAmj明朝
lacks — the kind of characters 行政事務標準文字 adds to MJ — with a list in the documented
format written to a temporary folder (the bundled sample set's 24 characters included).
Everything is written under a temporary GAIJI_HOME-like folder; the MJ reference and its
match index are only read.

Prints, measured in this run:

* ``add-set``   — ``gaiji reference add-set`` end to end in a fresh process (font and list
  hashed, list read and joined, every glyph rendered and normalised, records, report,
  provenance, atomic folder);
* ``baseline``  — the bare render + canonical normalisation of the same glyphs, one process,
  nothing else (the ceiling for one core);
* ``features``  — the set's match features (cached in the set's folder on first match), and
  whether the MJ index was rebuilt (it must not be);
* ``match``     — the bundled sample's gaiji (only in the added set) matched over MJ ∪ the
  10,000-character set: set@1, set@5, auto-accepted, and ``gaiji match`` seconds for the
  sample municipality with and without the set.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HANA_B = Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf")
IPAMJ = Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf")
SAMPLE = REPO / "gaiji" / "sample" / "refset"
sys.path.insert(0, str(REPO))  # this checkout's gaiji, not another installed one


def pick_code_points(n: int) -> list[int]:
    from fontTools.ttLib import TTFont

    from gaiji.sample.refset.generate import EXT_RANGES

    hana = TTFont(HANA_B, lazy=True).getBestCmap()
    ipa = TTFont(IPAMJ, lazy=True).getBestCmap()
    pool = sorted(cp for cp in hana if any(a <= cp <= b for a, b in EXT_RANGES) and cp not in ipa)
    with (SAMPLE / "refset.csv").open(encoding="utf-8-sig") as fh:
        must = {int(r["UCS"].removeprefix("U+"), 16) for r in csv.DictReader(fh)}
    rest = [cp for cp in pool if cp not in must]
    chosen = sorted(must | set(random.Random(1).sample(rest, min(len(rest), n - len(must)))))
    if len(chosen) < n:
        sys.exit(f"only {len(chosen)} Ext C–F characters of Hanazono B lack an IPAmj glyph; ask for fewer")
    return chosen


def write_list(path: Path, cps: list[int]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["文字ID", "UCS", "読み", "備考"])
        for i, cp in enumerate(cps, start=1):
            w.writerow([f"B{i:05d}", f"U+{cp:04X}", "", ""])


def baseline_render(cps: list[int]) -> float:
    import freetype
    from fontTools.ttLib import TTFont

    from gaiji.reference.build import RENDER_PX, face_glyph_raster

    started = time.monotonic()
    cmap = TTFont(HANA_B, lazy=True).getBestCmap()
    font = TTFont(HANA_B, lazy=True)
    ids = {n: i for i, n in enumerate(font.getGlyphOrder())}
    face = freetype.Face(str(HANA_B))
    face.set_pixel_sizes(0, RENDER_PX)
    for cp in cps:
        face_glyph_raster(face, ids[cmap[cp]])
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if not HANA_B.is_file():
        sys.exit(f"{HANA_B} missing: apt-get install fonts-hanazono")
    from gaiji.match.index import index_dir, load_match_index
    from gaiji.reference import load_reference

    reference = load_reference()
    mj_index = load_match_index(reference)  # built before the clock starts, as a user's would be
    mj_meta = index_dir(reference) / "meta.json"
    mj_mtime = mj_meta.stat().st_mtime_ns
    cps = pick_code_points(args.chars)
    with tempfile.TemporaryDirectory(prefix="gaiji-refset-bench-") as tmp:
        home = Path(tmp) / "home"
        table = Path(tmp) / "list.csv"
        write_list(table, cps)
        cmd = [sys.executable, "-m", "gaiji", "reference", "add-set", "Bench", "--font", str(HANA_B),
               "--table", str(table), "--home", str(home), "-q"]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        started = time.monotonic()
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=os.environ.copy(), check=False)
        add_seconds = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(done.stderr)
        joined = [line.strip() for line in done.stderr.splitlines() if "joined" in line]
        base_seconds = baseline_render(cps)
        print(f"add-set   {len(cps):,} chars  {add_seconds:6.1f} s  ({len(cps) / add_seconds:,.0f} chars/s, "
              f"process start, hashing and writing included; target ≤ 60 s)  {joined[0] if joined else ''}")
        print(f"baseline  {len(cps):,} chars  {base_seconds:6.1f} s  (bare render + normalise, one process)")

        from gaiji.match.refsets import load_set_index
        from gaiji.reference.refsets import load_set

        ref_set = load_set("Bench", home)
        t0 = time.monotonic()
        load_set_index(ref_set, mj_index)
        feat_seconds = time.monotonic() - t0
        rebuilt = mj_meta.stat().st_mtime_ns != mj_mtime
        print(f"features  {len(cps):,} chars  {feat_seconds:6.1f} s  (cached in the set's folder); "
              f"MJ index rebuilt: {'YES' if rebuilt else 'no'}")

        from gaiji.extract.build import extract_gaiji_set
        from gaiji.match import match_gaiji_set
        from gaiji.match.refsets import ref_set_of, row_info
        from gaiji.sample import sample_dir

        gaiji_set = Path(tmp) / "gaiji"
        extract_gaiji_set([SAMPLE / "gaiji"], gaiji_set)
        with (SAMPLE / "answers.csv").open(encoding="utf-8") as fh:
            answers = {a["gaiji_id"]: a["ucs"] for a in csv.DictReader(fh)}
        result = match_gaiji_set(gaiji_set, reference, ref_sets=[ref_set])
        at1 = at5 = auto = auto_mj = 0
        for i, gid in enumerate(result.gaiji_ids):
            infos = [row_info(mj_index.rows, result.extra_rows, int(r)) for r in result.ranked.rows[i]]
            hits = [ref_set_of(x) == "Bench" and x.ucs == answers[gid] for x in infos]
            at1 += hits[0]
            at5 += any(hits[:5])
            auto += bool(result.ranked.auto_accept[i])
            auto_mj += bool(result.ranked.auto_accept[i]) and ref_set_of(infos[0]) == "MJ"
        n = len(result.gaiji_ids)
        mj_only = match_gaiji_set(gaiji_set, reference, ref_sets=[])
        print(f"match     {n} gaiji only in the added set, over MJ ∪ {len(cps):,}: set@1 {at1}/{n} = {at1 / n:.3f}, "
              f"set@5 {at5}/{n}, auto-accepted {auto} (to an MJ glyph: {auto_mj}); "
              f"MJ only: auto-accepted to an MJ look-alike {int(mj_only.ranked.auto_accept.sum())}")
        municipality = Path(tmp) / "municipality"
        extract_gaiji_set([sample_dir()], municipality)
        timings, results = {}, {}
        for label, sets in (("MJ only", []), (f"MJ ∪ {len(cps):,}", [ref_set])):
            t0 = time.monotonic()
            results[label] = match_gaiji_set(municipality, reference, ref_sets=sets)
            timings[label] = time.monotonic() - t0
        print(f"match     sample municipality ({len(results['MJ only'].gaiji_ids)} gaiji, index loaded): "
              + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
        municipality_figures(mj_index, results["MJ only"], results[f"MJ ∪ {len(cps):,}"], len(cps))


def municipality_figures(mj_index, mj_only, with_set, n_set: int) -> None:  # type: ignore[no-untyped-def]
    """The sample municipality's gaiji: those only the added set has (set@1 among n_set
    distractors, auto-accepts) and the MJ-answered ones (rank 1, score, confidence and
    auto-accept the same with and without the set)."""
    from gaiji.match.refsets import ref_set_of, row_info
    from gaiji.sample import answers_path

    with answers_path().open(encoding="utf-8") as fh:
        answers = {a["gaiji_id"]: a for a in csv.DictReader(fh)}
    pos = {gid: i for i, gid in enumerate(with_set.gaiji_ids)}
    only = [g for g, a in answers.items() if (a.get("ref_set") or "MJ") != "MJ"]
    tops = {g: row_info(mj_index.rows, with_set.extra_rows, int(with_set.ranked.rows[pos[g], 0])) for g in only}
    at1 = sum(1 for g in only if ref_set_of(tops[g]) == "Bench" and tops[g].ucs == answers[g]["drawn_as"])
    auto = sum(bool(with_set.ranked.auto_accept[pos[g]]) for g in only)
    auto_mj_only = sum(bool(mj_only.ranked.auto_accept[pos[g]]) for g in only)
    print(f"sample    {len(only)} gaiji only in the added set, over MJ ∪ {n_set:,}: set@1 {at1}/{len(only)}; "
          f"auto-accepted {auto}; MJ only: auto-accepted to an MJ look-alike {auto_mj_only}")
    mj_answered = [g for g, a in answers.items() if a["mj"]]
    same = sum(1 for g in mj_answered
               if int(mj_only.ranked.rows[pos[g], 0]) == int(with_set.ranked.rows[pos[g], 0])
               and float(mj_only.ranked.score[pos[g], 0]) == float(with_set.ranked.score[pos[g], 0])
               and float(mj_only.ranked.confidence[pos[g], 0]) == float(with_set.ranked.confidence[pos[g], 0]))
    auto_same = sum(1 for g in mj_answered
                    if bool(mj_only.ranked.auto_accept[pos[g]]) == bool(with_set.ranked.auto_accept[pos[g]]))
    moved = [g for g in mj_answered if int(mj_only.ranked.rows[pos[g], 0]) != int(with_set.ranked.rows[pos[g], 0])]
    print(f"sample    {len(mj_answered)} MJ-answered gaiji, unchanged by the {n_set:,}-character set: rank-1 glyph, "
          f"score and confidence {same}/{len(mj_answered)}, auto-accept {auto_same}/{len(mj_answered)}"
          + (f" (rank 1 moved to a set glyph: {', '.join(moved)})" if moved else ""))


if __name__ == "__main__":
    main()
