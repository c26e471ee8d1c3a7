"""Family admission rules on kept simulated corpora, counted exactly as corpus_scale.py counts.

The family thresholds of :mod:`gaiji.corpus.family` were chosen with this script on seeds 77
and 4242 only (corpora kept by ``corpus_scale.py --keep``); it re-forms the families from the
kept candidates under each rule — nothing is re-matched — and prints decisions, mixed families
and proposal rightness by the truth. Never choose a rule on the seed the numbers are reported on.

``--rival-ranks 1`` switches the rival rule off (no shortlist rank can be a rival), so a
threshold then admits on confidence alone; ``--sibling-confidence 2`` admits no
sibling-contested group, ``--uncontested-ucs 0.97`` no group below the confident floor.

Usage::

    python benchmarks/corpus_scale.py --sizes 10000 30000 100000 --seed 77 --keep /tmp/fam/s77
    python benchmarks/family_rules.py /tmp/fam/s77/sim-* --rule 2,0.97,1 --rule 0.99,0.85,5 --rule 0.98,0.6,5

Each ``--rule`` is ``SIBLING_CONFIDENCE,UNCONTESTED_UCS,RIVAL_RANKS``, optionally followed by
``,confident=UCS`` (the confident floor, ``family.MIN_UCS_CONFIDENCE``) and by ``,designs`` to
let groups join by the vote of their nearest admitted designs (:mod:`gaiji.corpus.neighbours`,
with its thresholds), e.g. ``--rule 0.993,0.85,4,designs``, or
by ``,designs:COSINE:AGREE:AGREE_SIBLING:UCS:SIBLING_CONFIDENCE`` with other thresholds
(``designs:0.9:2:3:0.8:0.95`` = the module's).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gaiji
sys.path.insert(0, str(Path(__file__).resolve().parent))


DESIGN_KNOBS = ("MIN_COSINE", "AGREE", "AGREE_SIBLING", "MIN_UCS_CONFIDENCE", "MIN_SIBLING_CONFIDENCE")


def evaluate(corpus: Path, rule: tuple, cache: dict) -> dict:
    import pyarrow.parquet as pq
    from corpus_scale import family_quality

    from gaiji.corpus import family, neighbours
    from gaiji.corpus.registry import read_registry
    from gaiji.corpus.tables import read_table

    if corpus not in cache:
        truth = {(r["set"], r["gaiji_id"]): r["mj"] for r in pq.read_table(corpus / "truth.parquet").to_pylist()}
        groups = read_table(corpus, "groups").to_pylist()
        rows = read_table(corpus, "memberships").to_pylist()
        vendor_of = {e.name: e.vendor for e in read_registry(corpus)}
        rank1, alternatives = family.read_shortlists(corpus, {g["representative_set"] for g in groups})
        features = family.representative_features(corpus, groups)
        cache.clear()  # one corpus in memory at a time
        cache[corpus] = truth, groups, rows, vendor_of, rank1, alternatives, features
    truth, groups, rows, vendor_of, rank1, alternatives, features = cache[corpus]
    saved = (family.MIN_SIBLING_CONFIDENCE, family.MIN_UNCONTESTED_UCS_CONFIDENCE, family.RIVAL_RANKS,
             family.MIN_UCS_CONFIDENCE)
    saved_design = tuple(getattr(neighbours, k) for k in DESIGN_KNOBS)
    family.MIN_SIBLING_CONFIDENCE, family.MIN_UNCONTESTED_UCS_CONFIDENCE, family.RIVAL_RANKS = rule[:3]
    if rule[4] is not None:
        family.MIN_UCS_CONFIDENCE = rule[4]
    for k, v in zip(DESIGN_KNOBS, rule[3] or ()):
        setattr(neighbours, k, v)
    try:
        fams = family.form_families(groups, rows, rank1, vendor_of, alternatives,
                                    features if rule[3] is not None else None)
    finally:
        (family.MIN_SIBLING_CONFIDENCE, family.MIN_UNCONTESTED_UCS_CONFIDENCE, family.RIVAL_RANKS,
         family.MIN_UCS_CONFIDENCE) = saved
        for k, v in zip(DESIGN_KNOBS, saved_design):
            setattr(neighbours, k, v)
    by_group: dict[str, list[str]] = {}
    for m in rows:
        if m["group_id"]:
            by_group.setdefault(m["group_id"], []).append(truth[(m["set"], m["gaiji_id"])])
    blank = sum(1 for m in rows if m["relation"] == "blank")
    return family_quality(corpus, truth, rows, by_group, rank1, len(rows), blank, fams.family_groups)


def _label(rule: tuple) -> str:
    confident = "" if rule[4] is None else f",confident={rule[4]}"
    designs = "" if rule[3] is None else ",designs" + "".join(f":{v}" for v in rule[3])
    return ",".join(map(str, rule[:3])) + confident + designs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", type=Path, nargs="+", help="kept simulated corpora (corpus_scale.py --keep)")
    ap.add_argument("--rule", action="append", required=True,
                    help="SIBLING_CONFIDENCE,UNCONTESTED_UCS,RIVAL_RANKS[,confident=UCS][,designs] (repeatable)")
    args = ap.parse_args()
    rules = []
    for text in args.rule:
        sib, ucs, ranks, *designs = text.split(",")
        confident = None
        if designs and designs[0].startswith("confident="):
            confident = float(designs.pop(0).split("=", 1)[1])
        knobs: tuple | None = None
        if designs:
            parts = designs[0].split(":")
            if len(designs) > 1 or parts[0] != "designs" or len(parts) not in (1, 6):
                ap.error(f"--rule {text}: expected SIBLING_CONFIDENCE,UNCONTESTED_UCS,RIVAL_RANKS[,confident=UCS]"
                         "[,designs[:COSINE:AGREE:AGREE_SIBLING:UCS:SIBLING_CONFIDENCE]]")
            knobs = () if len(parts) == 1 else (float(parts[1]), int(parts[2]), int(parts[3]), float(parts[4]),
                                                float(parts[5]))
        rules.append((float(sib), float(ucs), int(ranks), knobs, confident))
    cache: dict = {}
    print("corpus                     rule              decisions  families  mixed MJ (share)   unsplit wrong  "
          "not their glyph")
    for corpus in args.corpora:
        for rule in rules:
            q = evaluate(corpus, rule, cache)
            wrong = q["unsplit_family_proposals"] - q["unsplit_family_proposals_right"]
            print(f"{corpus.parent.name + '/' + corpus.name:26s} {_label(rule):40s} "
                  f"{100 * q['family_decision_share']:8.2f} % {q['families']:8,}  {q['mixed_mj_families']:3} "
                  f"({100 * q['mixed_mj_family_share']:.3f} %)  {wrong:4}/{q['unsplit_family_proposals']:<7,} "
                  f"{q['families_not_their_glyph']:4}", flush=True)


if __name__ == "__main__":
    main()
