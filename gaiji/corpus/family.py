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
* and either **confident**: ``ucs_confidence`` ≥ :data:`MIN_UCS_CONFIDENCE` (the rank-1
  character is right) and not *sibling-contested* (no other variant of the same character on
  the shortlist — the stratum ``…/siblings``);
* or **uncontested in the corpus**: no *rival* — another glyph on the representative's shortlist
  (ranks 2–:data:`RIVAL_RANKS`) that is itself the rank 1 of some group of the corpus — and

  - sibling-contested, with the variant's ``confidence`` ≥ :data:`MIN_SIBLING_CONFIDENCE`, where
    a rival is another variant of the same character; or
  - not sibling-contested, with ``ucs_confidence`` ≥ :data:`MIN_UNCONTESTED_UCS_CONFIDENCE`,
    where a rival is a glyph of another character.

  A rival present in the corpus means the alternative the matcher hesitated over is really
  drawn somewhere, so the choice is live and belongs to a reviewer. A gaiji of glyph Y ranked X
  is thus kept out whenever another design of Y in the corpus is ranked Y (and Y is on its
  shortlist); it slips into X's family only when no design of Y is ranked Y first. The rule
  needs the whole corpus, so it is applied in
  :func:`form_families`; :func:`why_not_in_family` without the rival (``rival=None``) applies
  the confident rule alone.

A family is never formed across two rank-1 MJ glyphs, and a family has at least two groups.

How the numbers were chosen — against the answer key of simulated corpora on seeds 77 and 4242
only, at 10,000, 30,000 and 100,000 gaiji (``benchmarks/corpus_scale.py --keep``, families
re-formed from the kept candidates with the benchmark's own counting), as the fewest decisions
with at most 0.1 % of families holding two MJ glyphs at *every* seed and size, and unsplit family
proposals right ≥ 99.9 %:

* ``MIN_UCS_CONFIDENCE`` 0.97 (unchanged): lowering it for every group to 0.95 / 0.93 / 0.9 mixed
  0.14 % (100k) / 0.15 % (30k) / 0.20 % (100k) of families on seed 4242 — confident look-alikes
  such as 徸 ranked 㣫, 北󠄂 ranked 㐀 at 16 px, 䙦 ranked 𧜩 — for 100k decisions of 11.9 / 11.4 /
  11.0 % (seed 77).
* Sibling-contested groups on ``confidence`` alone: ≥ 0.99 mixed 0.09 % (4242, 100k), ≥ 0.98
  0.18 % (77, 100k); of those at ≥ 0.98, 1 in 66 has the wrong variant (77, 100k).
* The rival rule (``benchmarks/family_rules.py``; a rule = sibling confidence, ucs floor, rival
  ranks): without rivals (0.99, 0.85 on confidence alone) 9.7 / 9.2 % at 100k, but 0.30 / 0.27 %
  of families mixed. With rivals at ranks 2–4: siblings ≥ 0.98 mixed 0.20 % at 10k on seed 77
  (㿟󠄁 ranked 㿟󠄀, 㑂󠄀 ranked 㑂󠄁, 具󠄃 ranked 具󠄄: every design of the true variant ranked the
  other, so no rival shows); floors 0.8 / 0.6 mixed 0.12 % at 10k on seed 4242 (啥 ranked 唅 at
  0.81, its rival not in the corpus); 0.99 and 0.85 never more than the confident rule's own
  mixed families. Rival ranks 2–3 mixed 0.12 % at 10k on seed 4242; ranks 2–5 and 2–10 are as
  clean but let fewer groups join (100k, seed 77: 11.0 and 11.5 % against 10.8 %).
* Considered and dropped: a weaker group joining only a family that has a confident group
  (almost no gain: sibling-contestedness is a property of the glyph, so its groups rarely meet
  confident ones); a rival counted only when its own group's confidence ≥ 0.5 (more mixed
  families: the low-confidence rank-1s are the look-alikes that matter); a group's best member
  confidence across its sizes (+0.1 point, two more mixed families on seed 77).

With that rule (0.99, 0.85, ranks 2–4), on seeds 77 / 4242 with the previous matcher: decisions
45.9 / 47.0 % at 10k, 24.1 / 24.7 % at 30k, 10.8 / 10.4 % at 100k, mixed families 0 / 1, 0 / 1,
0 / 2. Re-measured with the current matcher (pair network), it mixed 2 of 1,467 families
(0.14 %) at 10k on seed 77 (㿟󠄁 ranked 㿟󠄀 at 0.990, 㑂󠄀 ranked 㑂󠄁 at 0.995, Hanazono-drawn,
no other design of the true variant in a corpus that small) and left 10.7 / 10.4 % at 100k.

Then (stop 18): :data:`MIN_SIBLING_CONFIDENCE` 0.993 (the 㿟󠄁 family goes: 1 mixed of 1,448)
and, with the groups' glyph features, groups confirmed by their nearest admitted designs
(:mod:`.neighbours`): on seeds 77 / 4242, decisions 9.90 / 9.55 % at 100k, families with two MJ
glyphs ≤ 0.093 %.

**Now** (re-chosen for the matcher of stop 22, whose confidences are honest in ways that moved
them: the variant of a sibling-contested gaiji tempered, no credit from a hidden character's
twin): that rule left 10.46 / 10.12 % decisions at 100k on seeds 77 / 4242 and mixed up to
0.235 % of families (4242, 100k: 唅 ← 啥 uncontested at 0.902, 毫 ← 亳 and 俱 ← 倶󠄂 by designs at
0.81–0.90). Re-chosen on the same seeds: :data:`MIN_SIBLING_CONFIDENCE` **0.9** (in the grid, 0.95
kept 10.11 % decisions at 100k on seed 77 and 0.85 mixed 0.26 % of families at 10k),
:data:`MIN_UNCONTESTED_UCS_CONFIDENCE` **0.91** and the designs' floor
(``neighbours.MIN_UCS_CONFIDENCE``) **0.92**: decisions 45.3 / 46.1 % at 10k, 23.0 / 23.5 % at
30k, **10.08 / 9.74 %** at 100k; families with two MJ glyphs 0 / 1, 0 / 1, 0 / 1 (≤ 0.059 %);
unsplit family proposals right ≥ 99.97 %. Grid and what failed: ``benchmarks/CORPUS_FAMILIES.md``;
``benchmarks/family_rules.py --rule 0.9,0.91,4,designs:0.9:2:3:0.92:0.95`` reproduces these
numbers from kept corpora. Numbers are reported on other seeds.

A decision on a family becomes **proposals** for the members of its other groups (never
decisions, see :mod:`.reuse`); a group decided otherwise is *split off*.

Tables (national, like ``groups``; each written atomically): ``families`` — one row per
family; ``family_groups`` — one row per group in a family, with its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gaiji.corpus.group import GROUPS, MEMBERSHIPS
from gaiji.corpus.tables import read_table, table_dir, write_parquet
from gaiji.errors import InputError

FAMILIES = "families"
FAMILY_GROUPS = "family_groups"
MIN_UCS_CONFIDENCE = 0.97
#: a sibling-contested group joins when its variant is this sure and no other variant is a rival
MIN_SIBLING_CONFIDENCE = 0.9
#: a group below MIN_UCS_CONFIDENCE joins when this sure of its character and no other character is a rival
MIN_UNCONTESTED_UCS_CONFIDENCE = 0.91
#: shortlist ranks 2..RIVAL_RANKS are looked at for rivals
RIVAL_RANKS = 4
RANK1_COLUMNS = ("gaiji_id", "mj", "char", "ucs", "ivs", "confidence", "ucs_confidence", "no_match",
                 "stratum", "auto_accept", "ref_set")
FAMILY_COLUMNS = ("family_id", "mj", "char", "ucs", "ivs", "groups", "gaiji", "sets", "municipalities",
                  "vendors", "vendor_names", "min_ucs_confidence", "evidence")
FAMILY_GROUP_COLUMNS = ("family_id", "mj", "char", "order", "group_id", "representative_municipality",
                        "representative_set", "representative_gaiji", "size", "sets", "municipalities",
                        "vendor_names", "confidence", "ucs_confidence", "no_match", "auto_accept", "evidence",
                        "admission")  # admission: added after the others (additive)


def as_float(value: Any) -> float:
    """A table cell as a number; NaN where it is empty or not a number."""
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


def why_not_in_family(rank1: Mapping[str, Any] | None, rival: str | None = None) -> str:
    """Why a group whose representative has this rank-1 row joins no family ('' = it may).

    *rival* is what :func:`rival_in_corpus` found for it: ``None`` when the corpus is not known
    (only the confident rule applies), ``""`` when no rival is in the corpus, else the rival.

    >>> row = {"mj": "MJ1", "ref_set": "MJ", "stratum": "mid/siblings", "no_match": "0.01",
    ...        "ucs_confidence": "0.995", "confidence": "0.993"}
    >>> why_not_in_family(row)
    'sibling-contested: another variant of the character is on the shortlist'
    >>> why_not_in_family(row, "")
    ''
    >>> why_not_in_family(row, "MJ2 字")
    'sibling-contested: another variant of the character is on the shortlist, and MJ2 字 is the rank 1 of another group'
    >>> why_not_in_family({**row, "stratum": "mid/distinct", "ucs_confidence": "0.92"}, "")
    ''
    >>> why_not_in_family({**row, "stratum": "mid/distinct", "ucs_confidence": "0.9"}, "")
    'ucs_confidence 0.900 < 0.91 (no rival in the corpus)'
    """
    from gaiji.match.trust import NO_MATCH_SUGGEST

    if not rank1 or not rank1.get("mj"):
        return "no MJ glyph at rank 1"
    if (rank1.get("ref_set") or "MJ") != "MJ":
        return f"rank 1 is an entry of the added set {rank1.get('ref_set')}"
    no_match = as_float(rank1.get("no_match"))
    if not no_match < NO_MATCH_SUGGEST:
        return f"該当なし suggested (no_match {no_match:.3f} ≥ {NO_MATCH_SUGGEST})"
    ucs = as_float(rank1.get("ucs_confidence"))
    if str(rank1.get("stratum", "")).endswith("siblings"):
        why = "sibling-contested: another variant of the character is on the shortlist"
        if rival is None:
            return why
        if rival:
            return f"{why}, and {rival} is the rank 1 of another group"
        conf = as_float(rank1.get("confidence"))
        if not conf >= MIN_SIBLING_CONFIDENCE:
            return f"{why} (confidence {conf:.3f} < {MIN_SIBLING_CONFIDENCE})"
        return ""
    if ucs >= MIN_UCS_CONFIDENCE:
        return ""
    why = f"ucs_confidence {ucs:.3f} < {MIN_UCS_CONFIDENCE}"
    if rival is None:
        return why
    if rival:
        return f"{why}, and {rival} on its shortlist is the rank 1 of another group"
    if not ucs >= MIN_UNCONTESTED_UCS_CONFIDENCE:
        return f"ucs_confidence {ucs:.3f} < {MIN_UNCONTESTED_UCS_CONFIDENCE} (no rival in the corpus)"
    return ""


def admission(rank1: Mapping[str, Any]) -> str:
    """How a group admitted on its own rank 1 got in: ``confident`` or ``uncontested`` (see the
    module doc; a group admitted by its designs is ``designs``, :mod:`.neighbours`)."""
    sib = str(rank1.get("stratum", "")).endswith("siblings")
    return "uncontested" if sib or as_float(rank1.get("ucs_confidence")) < MIN_UCS_CONFIDENCE else "confident"


def rival_in_corpus(rank1: Mapping[str, Any], alternatives: Sequence[Mapping[str, Any]],
                    rank1_glyphs: set[str]) -> str:
    """The first glyph of ranks 2–:data:`RIVAL_RANKS` that some group of the corpus ranks first
    ('' = none): for a sibling-contested rank 1 another variant of its character, else a glyph
    of another character.

    >>> r1 = {"ucs": "U+5B57", "stratum": "mid/siblings"}
    >>> alts = [{"mj": "MJ2", "ucs": "U+5B57", "char": "字", "rank": "2"},
    ...         {"mj": "MJ3", "ucs": "U+5B58", "char": "存", "rank": "3"}]
    >>> rival_in_corpus(r1, alts, {"MJ3"}), rival_in_corpus(r1, alts, {"MJ2"})
    ('', 'MJ2 字')
    >>> rival_in_corpus({**r1, "stratum": "mid/distinct"}, alts, {"MJ3"})
    'MJ3 存'
    """
    sib = str(rank1.get("stratum", "")).endswith("siblings")
    for a in alternatives:
        if not a.get("mj") or int(a.get("rank") or 0) > RIVAL_RANKS:
            continue
        if (a.get("ucs") == rank1.get("ucs")) == sib and a["mj"] in rank1_glyphs:
            return f"{a['mj']} {a.get('char', '')}".strip()
    return ""


def read_rank1(corpus: str | Path, set_names: list[str] | set[str]) -> dict[tuple[str, str], dict[str, str]]:
    """(set, gaiji_id) → the rank-1 row of ``candidates/<set>.csv`` (text values)."""
    return read_shortlists(corpus, set_names)[0]


def read_shortlists(corpus: str | Path, set_names: list[str] | set[str]
                    ) -> tuple[dict[tuple[str, str], dict[str, str]], dict[tuple[str, str], list[dict[str, str]]]]:
    """(set, gaiji_id) → the rank-1 row, and → its ranks 2–:data:`RIVAL_RANKS` (``mj``, ``ucs``,
    ``char``, ``rank``), from ``candidates/<set>.csv`` (text values)."""
    import pyarrow.csv as pcsv

    out: dict[tuple[str, str], dict[str, str]] = {}
    alts: dict[tuple[str, str], list[dict[str, str]]] = {}
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
            elif rank.isdigit() and int(rank) <= RIVAL_RANKS:
                alts.setdefault((name, cols["gaiji_id"][i]), []).append(
                    {"mj": cols["mj"][i] or "", "ucs": cols["ucs"][i] or "", "char": cols["char"][i] or "", "rank": rank})
    return out, alts


@dataclass
class Families:
    families: pa.Table
    family_groups: pa.Table

    @property
    def count(self) -> int:
        return self.families.num_rows


def form_families(groups: list[dict[str, Any]], memberships: list[dict[str, Any]],
                  rank1: Mapping[tuple[str, str], Mapping[str, Any]],
                  vendor_of: Mapping[str, str],
                  alternatives: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] | None = None,
                  features: np.ndarray | None = None) -> Families:
    """Families from the groups, their members and each representative's rank-1 row.

    With *alternatives* (each representative's ranks 2–:data:`RIVAL_RANKS`, from
    :func:`read_shortlists`) groups uncontested in the corpus may join too (module doc);
    without, only confident ones. With *features* (one row per group, its representative's
    glyph features) a group the matcher alone does not admit may join by the vote of its nearest
    admitted designs (:mod:`.neighbours`)."""
    from gaiji.corpus.neighbours import joins_by_design
    members: dict[str, list[dict[str, Any]]] = {}
    for m in memberships:
        if m["group_id"]:
            members.setdefault(m["group_id"], []).append(m)
    by_mj: dict[str, list[tuple[dict[str, Any], Mapping[str, Any]]]] = {}
    reps = [(g, rank1.get((g["representative_set"], g["representative_gaiji"]))) for g in groups]
    rank1_glyphs = {str(r["mj"]) for _, r in reps if r is not None and r.get("mj")}
    how: dict[str, str] = {}  # group_id -> admission
    admitted = [""] * len(reps)
    for k, (g, r) in enumerate(reps):
        if r is None:
            continue
        rival = None
        if alternatives is not None:
            rival = rival_in_corpus(r, alternatives.get((g["representative_set"], g["representative_gaiji"]), []),
                                    rank1_glyphs)
        if not why_not_in_family(r, rival):
            admitted[k] = str(r["mj"])
            how[g["group_id"]] = admission(r)
    votes = {}
    if features is not None:
        if len(features) != len(groups):
            raise ValueError(f"features: {len(features)} rows for {len(groups)} groups (one row per group)")
        votes = joins_by_design(features, [r for _, r in reps], admitted)
        for k, vote in votes.items():
            admitted[k] = vote.mj
            how[reps[k][0]["group_id"]] = "designs"
    vote_of = {reps[k][0]["group_id"]: v for k, v in votes.items()}
    for k, (g, r) in enumerate(reps):
        if admitted[k]:
            by_mj.setdefault(admitted[k], []).append((g, r))
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
        min_ucs = min(as_float(r["ucs_confidence"]) for _, r in items)
        n_groups = len(items)
        n_uncontested = sum(1 for g, _ in items if how[g["group_id"]] == "uncontested")
        n_designs = sum(1 for g, _ in items if how[g["group_id"]] == "designs")
        design_note = f" from {len(vendors)} vendors" if vendors else ""
        fam_evidence = (f"{n_groups} groups (designs){design_note}, {len(mems)} gaiji in {len(munis)} "
                        f"municipalities: every representative ranks {mj} {first['char']} first, none "
                        f"該当なし-suggested, ucs_confidence ≥ {min_ucs:.3f}"
                        + (f"; {n_uncontested} of them uncontested (no rival glyph is another group's rank 1)"
                           if n_uncontested else "")
                        + (f"; {n_designs} of them confirmed by their nearest designs in the corpus"
                           if n_designs else ""))
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
                        f"ucs_confidence {as_float(r['ucs_confidence']):.3f}, confidence {as_float(r['confidence']):.3f}"
                        + ("; uncontested: no rival glyph on its shortlist is another group's rank 1"
                           if how[g["group_id"]] == "uncontested" else "")
                        + (f"; its {vote_of[g['group_id']].agreeing} nearest admitted designs in the corpus "
                           f"(feature cosine {vote_of[g['group_id']].cosine:.3f}) are of this glyph"
                           if how[g["group_id"]] == "designs" else ""))
            for c, v in (("family_id", fid), ("mj", mj), ("char", first["char"]), ("order", order),
                         ("group_id", g["group_id"]), ("representative_municipality", g["representative_municipality"]),
                         ("representative_set", g["representative_set"]),
                         ("representative_gaiji", g["representative_gaiji"]), ("size", int(g["size"])),
                         ("sets", int(g["sets"])), ("municipalities", int(g["municipalities"])),
                         ("vendor_names", ", ".join(own_vendors)), ("confidence", as_float(r["confidence"])),
                         ("ucs_confidence", as_float(r["ucs_confidence"])), ("no_match", as_float(r["no_match"])),
                         ("auto_accept", str(r.get("auto_accept", "")) == "1"), ("evidence", evidence),
                         ("admission", how[g["group_id"]])):
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
    rank1, alternatives = read_shortlists(root, {g["representative_set"] for g in groups})
    features = representative_features(root, groups)
    fams = form_families(groups, mem, rank1, vendor_of, alternatives, features)
    write_parquet(fams.families, table_dir(root, FAMILIES) / "national.parquet")
    write_parquet(fams.family_groups, table_dir(root, FAMILY_GROUPS) / "national.parquet")
    in_families = fams.family_groups.num_rows
    how = fams.family_groups.column("admission").to_pylist()
    return {"families": fams.count, "groups_in_families": in_families,
            "groups_uncontested": how.count("uncontested"), "groups_by_designs": how.count("designs"),
            "groups": len(groups),
            "review_items": fams.count + len(groups) - in_families}


def representative_features(corpus: str | Path, groups: list[dict[str, Any]]) -> np.ndarray:
    """Each group's representative's glyph features (one row per group, in order), read from
    the ``gaiji`` table one partition at a time."""
    import pyarrow.parquet as pq

    from gaiji.corpus.prepare import FEATURE_DIM, features_of
    from gaiji.corpus.prepare import TABLE as GAIJI_TABLE

    row_of = {(g["representative_set"], g["representative_gaiji"]): k for k, g in enumerate(groups)}
    out = np.zeros((len(groups), FEATURE_DIM), np.float32)
    found = 0
    for f in sorted(table_dir(corpus, GAIJI_TABLE).rglob("*.parquet")):
        meta = pq.read_table(f, columns=["set", "gaiji_id"])
        hits = [(i, row_of[key]) for i, key in enumerate(zip(meta.column("set").to_pylist(),
                                                             meta.column("gaiji_id").to_pylist())) if key in row_of]
        if not hits:
            continue
        part = pq.read_table(f, columns=["features"]).take(pa.array([i for i, _ in hits]))
        out[[k for _, k in hits]] = features_of(part)
        found += len(hits)
    if found < len(groups):
        raise InputError(f"{corpus}: {len(groups) - found} group representatives are missing from the gaiji "
                         "table; run `gaiji corpus group` again")
    return out


def read_family_groups(corpus: str | Path) -> pa.Table | None:
    """The ``family_groups`` table, or None when families were not formed yet."""
    d = table_dir(corpus, FAMILY_GROUPS)
    if not d.is_dir() or not any(d.rglob("*.parquet")):
        return None
    return read_table(corpus, FAMILY_GROUPS)
