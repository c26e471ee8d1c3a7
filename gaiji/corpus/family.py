"""Cross-design families: groups the matcher ranks to the same MJ glyph, reviewed together.

A group (:mod:`.group`) is one *design* of a glyph — one vendor's bitmap in forty towns. The
same character drawn by six vendors is six groups, and shape alone can never join them
(Mincho and Gothic strokes differ far more than two variants of one character do). A
**family** joins the groups whose representatives the matcher ranks to the **same MJ glyph**
at rank 1: the reviewer sees every group's representative beside that MJ glyph, confirms the
family with one decision and splits off any group that does not belong.

A group joins a family only when its representative's rank 1 is trustworthy as a *glyph*:

* an MJ glyph (not an added reference set's entry), and not 該当なし-suggested
  (``no_match`` < :data:`gaiji.match.trust.NO_MATCH_SUGGEST`);
* not *sibling-contested* (no other variant of the same character on the shortlist — the
  stratum ``…/siblings``): there the matcher's choice between variants is a question for a
  reviewer, never a reason to merge;
* ``ucs_confidence`` ≥ :data:`MIN_UCS_CONFIDENCE` (the rank-1 character is right).

A family is never formed across two rank-1 MJ glyphs, and a family has at least two groups.
The threshold was chosen against the answer key of simulated corpora of 10,000 and 30,000 gaiji on
seeds 77 and 4242 (benchmarks/corpus_scale.py) as the lowest of 0.9 / 0.95 / 0.97 / 0.98 / 0.99
with at most 0.1 % of families holding two MJ glyphs on both seeds and sizes: 0.9, chosen on
seed 77 alone, mixed 0.19 % of families on seed 4242 (confident look-alikes such as 徸 ranked
㣫, 北󠄂 ranked 㐀 at 16 px). Numbers are reported on other seeds.

A decision on a family becomes **proposals** for the members of its other groups (never
decisions, see :mod:`.reuse`); a group decided otherwise is *split off*.

Tables (national, like ``groups``; each written atomically): ``families`` — one row per
family; ``family_groups`` — one row per group in a family, with its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from gaiji.corpus.group import GROUPS, MEMBERSHIPS
from gaiji.corpus.tables import read_table, table_dir, write_parquet

FAMILIES = "families"
FAMILY_GROUPS = "family_groups"
MIN_UCS_CONFIDENCE = 0.97
RANK1_COLUMNS = ("gaiji_id", "mj", "char", "ucs", "ivs", "confidence", "ucs_confidence", "no_match",
                 "stratum", "auto_accept", "ref_set")
FAMILY_COLUMNS = ("family_id", "mj", "char", "ucs", "ivs", "groups", "gaiji", "sets", "municipalities",
                  "vendors", "vendor_names", "min_ucs_confidence", "evidence")
FAMILY_GROUP_COLUMNS = ("family_id", "mj", "char", "order", "group_id", "representative_municipality",
                        "representative_set", "representative_gaiji", "size", "sets", "municipalities",
                        "vendor_names", "confidence", "ucs_confidence", "no_match", "auto_accept", "evidence")


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def family_id(mj: str) -> str:
    """A family is named by its MJ glyph (one family per MJ glyph).

    >>> family_id("MJ025761")
    'F-MJ025761'
    """
    return f"F-{mj}"


def why_not_in_family(rank1: Mapping[str, Any] | None) -> str:
    """Why a group whose representative has this rank-1 row joins no family ('' = it may).

    >>> why_not_in_family({"mj": "MJ1", "ref_set": "MJ", "stratum": "mid/siblings",
    ...                    "no_match": "0.01", "ucs_confidence": "0.99"})
    'sibling-contested: another variant of the character is on the shortlist'
    >>> why_not_in_family({"mj": "MJ1", "ref_set": "MJ", "stratum": "mid/distinct",
    ...                    "no_match": "0.01", "ucs_confidence": "0.99"})
    ''
    """
    from gaiji.match.trust import NO_MATCH_SUGGEST

    if not rank1 or not rank1.get("mj"):
        return "no MJ glyph at rank 1"
    if (rank1.get("ref_set") or "MJ") != "MJ":
        return f"rank 1 is an entry of the added set {rank1.get('ref_set')}"
    no_match = _float(rank1.get("no_match"))
    if not no_match < NO_MATCH_SUGGEST:
        return f"該当なし suggested (no_match {no_match:.3f} ≥ {NO_MATCH_SUGGEST})"
    if str(rank1.get("stratum", "")).endswith("siblings"):
        return "sibling-contested: another variant of the character is on the shortlist"
    ucs = _float(rank1.get("ucs_confidence"))
    if not ucs >= MIN_UCS_CONFIDENCE:
        return f"ucs_confidence {ucs:.3f} < {MIN_UCS_CONFIDENCE}"
    return ""


def read_rank1(corpus: str | Path, set_names: list[str] | set[str]) -> dict[tuple[str, str], dict[str, str]]:
    """(set, gaiji_id) → the rank-1 row of ``candidates/<set>.csv`` (text values)."""
    import pyarrow.csv as pcsv

    out: dict[tuple[str, str], dict[str, str]] = {}
    for name in sorted(set_names):
        path = Path(corpus) / "candidates" / f"{name}.csv"
        if not path.is_file():
            continue
        t = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            column_types={c: pa.string() for c in (*RANK1_COLUMNS, "rank")}, strings_can_be_null=False,
            include_columns=[*RANK1_COLUMNS, "rank"], include_missing_columns=True))
        cols = {c: t.column(c).to_pylist() for c in (*RANK1_COLUMNS, "rank")}
        for i, rank in enumerate(cols["rank"]):
            if rank == "1":
                out[(name, cols["gaiji_id"][i])] = {c: (cols[c][i] or "") for c in RANK1_COLUMNS}
    return out


@dataclass
class Families:
    families: pa.Table
    family_groups: pa.Table

    @property
    def count(self) -> int:
        return self.families.num_rows


def form_families(groups: list[dict[str, Any]], memberships: list[dict[str, Any]],
                  rank1: Mapping[tuple[str, str], Mapping[str, Any]],
                  vendor_of: Mapping[str, str]) -> Families:
    """Families from the groups, their members and each representative's rank-1 row."""
    members: dict[str, list[dict[str, Any]]] = {}
    for m in memberships:
        if m["group_id"]:
            members.setdefault(m["group_id"], []).append(m)
    by_mj: dict[str, list[tuple[dict[str, Any], Mapping[str, Any]]]] = {}
    for g in groups:
        r = rank1.get((g["representative_set"], g["representative_gaiji"]))
        if r is not None and not why_not_in_family(r):
            by_mj.setdefault(str(r["mj"]), []).append((g, r))
    fam: dict[str, list[Any]] = {c: [] for c in FAMILY_COLUMNS}
    fg: dict[str, list[Any]] = {c: [] for c in FAMILY_GROUP_COLUMNS}
    for mj in sorted(by_mj):
        items = by_mj[mj]
        if len(items) < 2:
            continue
        items.sort(key=lambda it: (-int(it[0]["size"]), it[0]["group_id"]))  # the largest group first
        fid = family_id(mj)
        mems = [m for g, _ in items for m in members.get(g["group_id"], [])]
        sets = {m["set"] for m in mems}
        munis = {m["municipality"] for m in mems}
        vendors = sorted({vendor_of.get(s, "") for s in sets} - {""})
        first = items[0][1]
        min_ucs = min(_float(r["ucs_confidence"]) for _, r in items)
        n_groups = len(items)
        design_note = f" from {len(vendors)} vendors" if vendors else ""
        fam_evidence = (f"{n_groups} groups (designs){design_note}, {len(mems)} gaiji in {len(munis)} "
                        f"municipalities: every representative ranks {mj} {first['char']} first, none "
                        f"sibling-contested or 該当なし-suggested, ucs_confidence ≥ {min_ucs:.3f}")
        for c, v in (("family_id", fid), ("mj", mj), ("char", first["char"]), ("ucs", first["ucs"]),
                     ("ivs", first["ivs"]), ("groups", n_groups), ("gaiji", len(mems)), ("sets", len(sets)),
                     ("municipalities", len(munis)), ("vendors", len(vendors)),
                     ("vendor_names", ", ".join(vendors)), ("min_ucs_confidence", round(min_ucs, 4)),
                     ("evidence", fam_evidence)):
            fam[c].append(v)
        for order, (g, r) in enumerate(items):
            own = members.get(g["group_id"], [])
            own_vendors = sorted({vendor_of.get(m["set"], "") for m in own} - {""})
            others = n_groups - 1
            evidence = (f"same MJ glyph at rank 1 ({mj} {first['char']}) as {others} other group"
                        f"{'s' if others != 1 else ''} in {fid}: {n_groups} designs{design_note}, "
                        f"{len(mems)} gaiji in {len(munis)} municipalities; this group: {int(g['size'])} gaiji, "
                        f"ucs_confidence {_float(r['ucs_confidence']):.3f}, confidence {_float(r['confidence']):.3f}")
            for c, v in (("family_id", fid), ("mj", mj), ("char", first["char"]), ("order", order),
                         ("group_id", g["group_id"]), ("representative_municipality", g["representative_municipality"]),
                         ("representative_set", g["representative_set"]),
                         ("representative_gaiji", g["representative_gaiji"]), ("size", int(g["size"])),
                         ("sets", int(g["sets"])), ("municipalities", int(g["municipalities"])),
                         ("vendor_names", ", ".join(own_vendors)), ("confidence", _float(r["confidence"])),
                         ("ucs_confidence", _float(r["ucs_confidence"])), ("no_match", _float(r["no_match"])),
                         ("auto_accept", str(r.get("auto_accept", "")) == "1"), ("evidence", evidence)):
                fg[c].append(v)
    ints = {"groups", "gaiji", "sets", "municipalities", "vendors", "order", "size"}
    floats = {"min_ucs_confidence", "confidence", "ucs_confidence", "no_match"}

    def typed(cols: dict[str, list[Any]]) -> pa.Table:
        return pa.table({c: pa.array(v, pa.int64() if c in ints else pa.float64() if c in floats
                                     else pa.bool_() if c == "auto_accept" else pa.string())
                         for c, v in cols.items()})

    return Families(typed(fam), typed(fg))


def families_corpus(corpus: str | Path) -> dict[str, Any]:
    """Form the families from ``groups``, ``memberships`` and ``candidates/``; write both tables."""
    from gaiji.corpus.registry import read_registry

    root = Path(corpus)
    groups = read_table(root, GROUPS).to_pylist()
    mem = read_table(root, MEMBERSHIPS, ["municipality", "set", "gaiji_id", "group_id"]).to_pylist()
    vendor_of = {e.name: e.vendor for e in read_registry(root)}
    rank1 = read_rank1(root, {g["representative_set"] for g in groups})
    fams = form_families(groups, mem, rank1, vendor_of)
    write_parquet(fams.families, table_dir(root, FAMILIES) / "national.parquet")
    write_parquet(fams.family_groups, table_dir(root, FAMILY_GROUPS) / "national.parquet")
    in_families = fams.family_groups.num_rows
    return {"families": fams.count, "groups_in_families": in_families, "groups": len(groups),
            "review_items": fams.count + len(groups) - in_families}


def read_family_groups(corpus: str | Path) -> pa.Table | None:
    """The ``family_groups`` table, or None when families were not formed yet."""
    d = table_dir(corpus, FAMILY_GROUPS)
    if not d.is_dir() or not any(d.rglob("*.parquet")):
        return None
    return read_table(corpus, FAMILY_GROUPS)
