"""Reuse of decisions across a group: proposals, never decisions; disagreements as conflicts.

A final decision on one member of a group (read from its set's ``review.sqlite``) becomes a
**proposal** for every other member that has no final decision of its own, with its basis —
"same glyph as 12 gaiji in 9 municipalities, decided MJ025761 by sato (checked by suzuki)".
Nothing is written into any review record: a reviewer of the other set still decides.
A group whose members were decided differently (other MJ, or 該当なし against an MJ) is a
**conflict**: every member is listed for review and none gets a proposal.

Across designs (:mod:`.family`): when a group's decision is the MJ glyph its *family* was
formed on (every group of the family has that glyph at rank 1), the decision is proposed to
the members of the family's groups that have no decision at all — with the basis "same MJ
glyph at rank 1 as 7 groups in 5 designs, decided … (family F-MJ…)". A group of the family
decided otherwise is *split off*: it keeps its own decision and proposes only within itself.
Group proposals (same glyph) come first; a member gets at most one proposal.

Decisions the matcher auto-accepted are not reused unless asked (they are the tool's, not
a reviewer's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from gaiji.corpus.group import MEMBERSHIPS
from gaiji.corpus.registry import read_registry
from gaiji.corpus.tables import read_table, write_partitioned
from gaiji.fsutil import atomic_write

PROPOSALS = "proposals"
CONFLICTS = "conflicts"
NO_MATCH = "該当なし"
PROPOSAL_COLUMNS = (
    "municipality", "set", "gaiji_id", "group_id", "relation", "mj", "char", "ucs", "ivs",
    "identification_class", "decided_gaiji", "decided_municipalities", "decided_by", "basis",
)
#: added after PROPOSAL_COLUMNS (additive): how the proposal was made — ``group`` (same glyph)
#: or ``family`` (same MJ glyph at rank 1 across designs) — and the family
REUSE_COLUMNS = ("reuse", "family_id")
#: added after REUSE_COLUMNS (additive): what was decided, whatever it was — an MJ number, an
#: added reference set's entry ``SET:ID`` (``mj`` is then empty) or 該当なし
DECISION_COLUMNS = ("decision",)
CONFLICT_COLUMNS = (
    "municipality", "set", "gaiji_id", "group_id", "own_decision", "decisions", "basis",
)


@dataclass(frozen=True)
class MemberDecision:
    """A final decision on one gaiji, as the corpus reuses it."""

    set: str
    gaiji_id: str
    mj: str | None
    char: str
    ucs: str
    ivs: str
    identification_class: str
    decided_by: str
    checked_by: str | None = None
    ref: str = ""  # an added reference set's entry, 'SET:ID' (mj is then None)

    @property
    def key(self) -> str:
        return self.mj or self.ref or NO_MATCH


def decisions_from_reviews(corpus: str | Path, *, include_auto: bool = False) -> list[MemberDecision]:
    """Final decisions of every registered set that has a review record."""
    from gaiji.review.store import DB_NAME, ReviewStore

    out: list[MemberDecision] = []
    for e in read_registry(corpus):
        set_dir = e.set_dir(Path(corpus))
        if not (set_dir / DB_NAME).is_file():
            continue
        store = ReviewStore.open(set_dir)
        try:
            for d in store.final_decisions():
                if d.auto_accepted and not include_auto:
                    continue
                out.append(MemberDecision(e.name, d.gaiji_id, d.mj, d.char, d.ucs, d.ivs,
                                          d.identification_class, d.decided_by, d.checked_by,
                                          ref=f"{d.ref_set}:{d.ref_id}" if d.ref_set else ""))
        finally:
            store.close()
    return out


@dataclass
class Reuse:
    proposals: pa.Table
    conflicts: pa.Table
    conflict_groups: int
    decided_groups: int
    family_proposals: int = 0  # of the proposals, made by a family decision
    families_decided: int = 0  # families with a group decided as the family's MJ glyph
    split_groups: int = 0  # groups of such families decided otherwise (split off)


def propose(memberships: pa.Table, decisions: Iterable[MemberDecision],
            family_groups: pa.Table | None = None) -> Reuse:
    """Proposals and conflicts from the group memberships and the final decisions (and, when
    given, the ``family_groups`` table: decisions proposed across a family's designs)."""
    by_member: dict[tuple[str, str], MemberDecision] = {(d.set, d.gaiji_id): d for d in decisions}
    members: dict[str, list[Mapping[str, Any]]] = {}
    for m in memberships.select(["municipality", "set", "gaiji_id", "group_id", "relation"]).to_pylist():
        if m["group_id"]:
            members.setdefault(m["group_id"], []).append(m)
    prop: dict[str, list[Any]] = {c: [] for c in PROPOSAL_COLUMNS + REUSE_COLUMNS + DECISION_COLUMNS}
    conf: dict[str, list[Any]] = {c: [] for c in CONFLICT_COLUMNS}
    conflict_groups = decided_groups = 0
    group_decisions: dict[str, list[MemberDecision]] = {}
    for gid, mems in members.items():
        decided = [(m, by_member[(m["set"], m["gaiji_id"])]) for m in mems if (m["set"], m["gaiji_id"]) in by_member]
        if not decided:
            continue
        decided_groups += 1
        group_decisions[gid] = [d for _, d in decided]
        keys = {d.key for _, d in decided}
        if len(keys) > 1:
            conflict_groups += 1
            summary = "; ".join(
                f"{k}: {sum(1 for _, d in decided if d.key == k)} gaiji "
                f"({', '.join(sorted({d.decided_by for _, d in decided if d.key == k}))})"
                for k in sorted(keys)
            )
            for m in mems:
                own = by_member.get((m["set"], m["gaiji_id"]))
                for c, v in (("municipality", m["municipality"]), ("set", m["set"]), ("gaiji_id", m["gaiji_id"]),
                             ("group_id", gid), ("own_decision", own.key if own else ""),
                             ("decisions", summary),
                             ("basis", f"same glyph decided differently in group {gid}: {summary}")):
                    conf[c].append(v)
            continue
        first = decided[0][1]
        munis = {m["municipality"] for m, _ in decided}
        who = sorted({d.decided_by + (f" (checked by {d.checked_by})" if d.checked_by else "") for _, d in decided})
        basis = (f"same glyph as {len(decided)} gaiji in {len(munis)} municipalities, decided "
                 f"{first.key} by {', '.join(who[:3])}{' …' if len(who) > 3 else ''} "
                 f"(e.g. {first.set}/{first.gaiji_id})")
        for m in mems:
            if (m["set"], m["gaiji_id"]) in by_member:
                continue
            row = {
                "municipality": m["municipality"], "set": m["set"], "gaiji_id": m["gaiji_id"], "group_id": gid,
                "relation": m["relation"], "mj": first.mj or "", "char": first.char, "ucs": first.ucs,
                "ivs": first.ivs, "identification_class": first.identification_class,
                "decided_gaiji": len(decided), "decided_municipalities": len(munis),
                "decided_by": ", ".join(who), "basis": basis, "reuse": "group", "family_id": "",
                "decision": first.key,
            }
            for c in PROPOSAL_COLUMNS + REUSE_COLUMNS + DECISION_COLUMNS:
                prop[c].append(row[c])
    fam = _family_proposals(members, group_decisions, family_groups, prop) if family_groups is not None else (0, 0, 0)
    schema_int = {"decided_gaiji", "decided_municipalities"}
    proposals = pa.table({c: pa.array(v, pa.int64() if c in schema_int else pa.string()) for c, v in prop.items()})
    conflicts = pa.table({c: pa.array(v, pa.string()) for c, v in conf.items()})
    return Reuse(proposals, conflicts, conflict_groups, decided_groups, *fam)


def _family_proposals(members: Mapping[str, list[Mapping[str, Any]]],
                      group_decisions: Mapping[str, list[MemberDecision]], family_groups: pa.Table,
                      prop: dict[str, list[Any]]) -> tuple[int, int, int]:
    """Append the proposals a family decision makes for its undecided groups (see module doc)."""
    families: dict[str, list[dict[str, Any]]] = {}
    for r in family_groups.select(["family_id", "mj", "group_id", "order", "vendor_names"]).to_pylist():
        families.setdefault(r["family_id"], []).append(r)
    made = decided_families = split = 0
    for fid, rows in sorted(families.items()):
        rows.sort(key=lambda r: r["order"])
        mj = rows[0]["mj"]
        confirming = [r["group_id"] for r in rows
                      if r["group_id"] in group_decisions and {d.key for d in group_decisions[r["group_id"]]} == {mj}]
        if not confirming:
            continue
        decided_families += 1
        # a group decided as one other glyph is split off (a group decided two ways is a conflict)
        split_off = [r["group_id"] for r in rows if len({d.key for d in group_decisions.get(r["group_id"], [])}) == 1
                     and r["group_id"] not in confirming]
        split += len(split_off)
        open_groups = [r for r in rows if r["group_id"] not in group_decisions]
        decided = [d for g in confirming for d in group_decisions[g]]
        first = decided[0]
        decided_ids = {(d.set, d.gaiji_id) for d in decided}
        munis = {m["municipality"] for g in confirming for m in members.get(g, [])
                 if (m["set"], m["gaiji_id"]) in decided_ids}
        who = sorted({d.decided_by + (f" (checked by {d.checked_by})" if d.checked_by else "") for d in decided})
        vendors = {v for r in rows for v in (r["vendor_names"] or "").split(", ") if v}
        designs = f"{len(rows)} designs" + (f" from {len(vendors)} vendors" if vendors else "")
        basis = (f"same MJ glyph at rank 1 as {len(rows) - 1} other groups ({designs}, family {fid}); "
                 f"decided {first.key} by {', '.join(who[:3])}{' …' if len(who) > 3 else ''} for "
                 f"{len(decided)} gaiji in {len(munis)} municipalities (e.g. {first.set}/{first.gaiji_id}) — "
                 f"another design of the glyph: compare the shapes")
        if split_off:
            basis += f"; {len(split_off)} group(s) of this family were decided otherwise and split off"
        for r in open_groups:
            for m in members.get(r["group_id"], []):
                row = {
                    "municipality": m["municipality"], "set": m["set"], "gaiji_id": m["gaiji_id"],
                    "group_id": r["group_id"], "relation": m["relation"], "mj": first.mj or "", "char": first.char,
                    "ucs": first.ucs, "ivs": first.ivs, "identification_class": first.identification_class,
                    "decided_gaiji": len(decided), "decided_municipalities": len(munis),
                    "decided_by": ", ".join(who), "basis": basis, "reuse": "family", "family_id": fid,
                    "decision": first.key,
                }
                for c in PROPOSAL_COLUMNS + REUSE_COLUMNS + DECISION_COLUMNS:
                    prop[c].append(row[c])
                made += 1
    return made, decided_families, split


def propose_corpus(corpus: str | Path, *, include_auto: bool = False,
                   decisions: list[MemberDecision] | None = None) -> dict[str, Any]:
    """Read memberships and review decisions; write the proposals and conflicts tables and
    one ``proposals/<set>.csv`` per set (what a reviewer of that set is offered)."""
    import csv

    from gaiji.corpus.family import families_corpus, read_family_groups

    mem = read_table(corpus, MEMBERSHIPS)
    if decisions is None:
        decisions = decisions_from_reviews(corpus, include_auto=include_auto)
    if (Path(corpus) / "candidates").is_dir():  # families from the current candidates
        families_corpus(corpus)
    reuse = propose(mem, decisions, read_family_groups(corpus))
    write_partitioned(corpus, PROPOSALS, reuse.proposals)
    write_partitioned(corpus, CONFLICTS, reuse.conflicts)
    per_set: dict[str, list[dict[str, Any]]] = {e.name: [] for e in read_registry(corpus)}
    for r in reuse.proposals.to_pylist():
        per_set.setdefault(r["set"], []).append({**r, "kind": "proposal"})
    for r in reuse.conflicts.to_pylist():
        per_set.setdefault(r["set"], []).append({**r, "kind": "conflict"})
    cols = ("kind",) + PROPOSAL_COLUMNS + ("own_decision", "decisions") + REUSE_COLUMNS + DECISION_COLUMNS
    for name, rows in per_set.items():
        with atomic_write(Path(corpus) / PROPOSALS / f"{name}.csv") as out:
            w = csv.DictWriter(out, fieldnames=list(cols), extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return {"corpus": str(corpus), "decisions": len(decisions), "decided_groups": reuse.decided_groups,
            "proposals": reuse.proposals.num_rows, "conflict_groups": reuse.conflict_groups,
            "conflict_members": reuse.conflicts.num_rows, "family_proposals": reuse.family_proposals,
            "families_decided": reuse.families_decided, "split_groups": reuse.split_groups}
