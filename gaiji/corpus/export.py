"""``gaiji corpus export``: per-municipality mapping tables plus one national table of groups.

Each set's mapping table is written by the same library call as ``gaiji export SET``
(:func:`gaiji.export.mapping.export_mapping`): only final review decisions — proposals from
other municipalities never enter a mapping table. The national table lists every group once:
its size, how many sets and municipalities share it, its representative, the representative's
best candidate, and where review stands (decided / conflict / open).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from gaiji.corpus.group import GROUPS, MEMBERSHIPS
from gaiji.corpus.registry import read_registry
from gaiji.corpus.reuse import NO_MATCH, decisions_from_reviews
from gaiji.corpus.tables import read_table
from gaiji.fsutil import atomic_write
from gaiji.progress import Progress, no_progress

NATIONAL_COLUMNS = (
    "group_id", "status", "decided_mj", "size", "sets", "municipalities", "exact_classes",
    "representative_municipality", "representative_set", "representative_gaiji",
    "candidate_mj", "candidate_char", "candidate_confidence", "decided_gaiji",
)


def _rank1(corpus: Path, set_name: str) -> dict[str, dict[str, str]]:
    path = corpus / "candidates" / f"{set_name}.csv"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["gaiji_id"]: r for r in csv.DictReader(fh) if r["rank"] == "1"}


def export_corpus(corpus: str | Path, out: str | Path, *, reference: Any = None, fmt: str = "csv",
                  include_auto: bool = True, progress: Progress = no_progress) -> dict[str, Any]:
    """Write ``OUT/<code>/<set>.<fmt>`` per set and ``OUT/national_groups.csv``."""
    from gaiji.export.mapping import export_mapping

    root, out = Path(corpus), Path(out)
    if reference is None:
        from gaiji.reference import load_reference

        reference = load_reference()
    entries = read_registry(root)
    tables = []
    for i, e in enumerate(entries):
        res = export_mapping(e.set_dir(root), out / e.code / f"{e.name}.{fmt}", reference=reference, fmt=fmt)
        tables.append({"set": e.name, "municipality": e.code, "path": str(res.path), "rows": res.rows,
                       "final": res.final})
        progress(i + 1, len(entries), "exporting sets")
    groups = read_table(root, GROUPS).to_pylist()
    mem = read_table(root, MEMBERSHIPS, ["set", "gaiji_id", "group_id"]).to_pylist()
    decided: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    by_member = {(d.set, d.gaiji_id): d for d in decisions_from_reviews(root, include_auto=include_auto)}
    for m in mem:
        d = by_member.get((m["set"], m["gaiji_id"]))
        if d is not None and m["group_id"]:
            decided.setdefault(m["group_id"], set()).add(d.key)
            counts[m["group_id"]] = counts.get(m["group_id"], 0) + 1
    rank1: dict[str, dict[str, dict[str, str]]] = {}
    path = out / "national_groups.csv"
    with atomic_write(path) as fh:
        w = csv.DictWriter(fh, fieldnames=list(NATIONAL_COLUMNS), lineterminator="\n")
        w.writeheader()
        for g in groups:
            s = g["representative_set"]
            if s not in rank1:
                rank1[s] = _rank1(root, s)
            cand = rank1[s].get(g["representative_gaiji"], {})
            keys = decided.get(g["group_id"], set())
            status = "open" if not keys else "decided" if len(keys) == 1 else "conflict"
            w.writerow({
                **{k: g[k] for k in ("group_id", "size", "sets", "municipalities", "exact_classes",
                                     "representative_municipality", "representative_set", "representative_gaiji")},
                "status": status, "decided_mj": next(iter(keys)) if len(keys) == 1 else "",
                "candidate_mj": cand.get("mj", ""), "candidate_char": cand.get("char", ""),
                "candidate_confidence": cand.get("confidence", ""), "decided_gaiji": counts.get(g["group_id"], 0),
            })
    return {"corpus": str(root), "output": str(out), "sets": tables, "national": str(path), "groups": len(groups),
            "no_match_label": NO_MATCH}
