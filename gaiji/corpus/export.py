"""``gaiji corpus export``: per-municipality mapping tables plus one national table of groups.

Each set's mapping table is written by the same library call as ``gaiji export SET``
(:func:`gaiji.export.mapping.export_mapping`): only final review decisions — proposals from
other municipalities never enter a mapping table. The national table lists every group once:
its size, how many sets and municipalities share it, its representative, the representative's
best candidate, where review stands (decided / conflict / open) and its cross-design family
(or why it has none). ``national_families.csv`` is the family review sheet: per family, every
group's representative (with its image) beside the family's MJ glyph, and where each stands.
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
    "family_id", "family_note",  # added: the cross-design family, or why the group is in none
)
FAMILY_SHEET_COLUMNS = (
    "family_id", "mj", "char", "family_groups", "family_gaiji", "family_status", "order", "group_id",
    "group_status", "decided_mj", "size", "municipalities", "vendors", "representative_municipality",
    "representative_set", "representative_gaiji", "representative_image", "ucs_confidence", "confidence",
    "evidence",
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
    family_of = {r["group_id"]: r for r in fam_rows} if (fam_rows := _family_rows(root)) is not None else {}
    rivals = _rivals(root, groups) if fam_rows is not None else {}
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
                "family_id": family_of[g["group_id"]]["family_id"] if g["group_id"] in family_of else "",
                "family_note": _family_note(g, cand, family_of, fam_rows is not None, rivals.get(g["group_id"])),
            })
    summary = {"corpus": str(root), "output": str(out), "sets": tables, "national": str(path), "groups": len(groups),
               "no_match_label": NO_MATCH, "families": None, "families_sheet": None}
    if fam_rows is not None:
        summary["families"] = len({r["family_id"] for r in fam_rows})
        summary["families_sheet"] = str(_write_family_sheet(root, out, entries, fam_rows, decided))
    return summary


def _family_rows(root: Path) -> list[dict[str, Any]] | None:
    from gaiji.corpus.family import read_family_groups

    t = read_family_groups(root)
    return None if t is None else t.to_pylist()


def _rivals(root: Path, groups: list[dict[str, Any]]) -> dict[str, str]:
    """group_id → its representative's rival in the corpus ('' = none), as families were formed."""
    from gaiji.corpus.family import read_shortlists, rival_in_corpus

    rank1, alternatives = read_shortlists(root, {g["representative_set"] for g in groups})
    keys = [(g["group_id"], (g["representative_set"], g["representative_gaiji"])) for g in groups]
    glyphs = {rank1[k]["mj"] for _, k in keys if k in rank1 and rank1[k].get("mj")}  # representatives' rank 1s
    out = {}
    for gid, key in keys:
        if key in rank1:
            out[gid] = rival_in_corpus(rank1[key], alternatives.get(key, []), glyphs)
    return out


def _family_note(group: dict[str, Any], cand: dict[str, str], family_of: dict[str, Any], formed: bool,
                 rival: str | None = None) -> str:
    from gaiji.corpus.family import why_not_in_family

    if not formed:
        return "families not formed yet (gaiji corpus match)"
    if group["group_id"] in family_of:
        return family_of[group["group_id"]]["evidence"]
    why = why_not_in_family(cand, rival)
    return f"no family: {why}" if why else "no family: no other group ranks this MJ glyph first"


def _write_family_sheet(root: Path, out: Path, entries: list[Any], fam_rows: list[dict[str, Any]],
                        decided: dict[str, set[str]]) -> Path:
    """OUT/national_families.csv: one row per group in a family, families in MJ order."""
    images: dict[tuple[str, str], str] = {}
    set_dirs = {e.name: e.set_dir(root) for e in entries}
    for name in sorted({r["representative_set"] for r in fam_rows}):
        glyphs = set_dirs[name] / "glyphs.csv"
        if glyphs.is_file():
            with open(glyphs, encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    images[(name, r["gaiji_id"])] = str(set_dirs[name] / r.get("image", ""))
    by_family: dict[str, list[dict[str, Any]]] = {}
    for r in fam_rows:
        by_family.setdefault(r["family_id"], []).append(r)
    path = out / "national_families.csv"
    with atomic_write(path) as fh:
        w = csv.DictWriter(fh, fieldnames=list(FAMILY_SHEET_COLUMNS), lineterminator="\n")
        w.writeheader()
        for fid in sorted(by_family):
            rows = sorted(by_family[fid], key=lambda r: r["order"])
            mj = rows[0]["mj"]
            statuses = []
            for r in rows:
                k = decided.get(r["group_id"], set())
                statuses.append("open" if not k else "conflict" if len(k) > 1 else
                                "confirmed" if k == {mj} else "split off")
            fam_status = ("confirmed" if "confirmed" in statuses else
                          "open" if all(st == "open" for st in statuses) else "undecided (groups split off)")
            for r, st in zip(rows, statuses):
                k = decided.get(r["group_id"], set())
                w.writerow({
                    "family_id": fid, "mj": mj, "char": r["char"], "family_groups": len(rows),
                    "family_gaiji": sum(x["size"] for x in rows), "family_status": fam_status,
                    "order": r["order"], "group_id": r["group_id"], "group_status": st,
                    "decided_mj": next(iter(k)) if len(k) == 1 else "", "size": r["size"],
                    "municipalities": r["municipalities"], "vendors": r["vendor_names"],
                    "representative_municipality": r["representative_municipality"],
                    "representative_set": r["representative_set"], "representative_gaiji": r["representative_gaiji"],
                    "representative_image": images.get((r["representative_set"], r["representative_gaiji"]), ""),
                    "ucs_confidence": round(r["ucs_confidence"], 4), "confidence": round(r["confidence"], 4),
                    "evidence": r["evidence"],
                })
    return path
