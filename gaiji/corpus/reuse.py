"""Reuse of decisions across a group: proposals, never decisions; disagreements as conflicts.

A final decision on one member of a group (read from its set's ``review.sqlite``) becomes a
**proposal** for every other member that has no final decision of its own, with its basis —
"same glyph as 12 gaiji in 9 municipalities, decided MJ025761 by sato (checked by suzuki)".
Nothing is written into any review record: a reviewer of the other set still decides.
A group whose members were decided differently (other MJ, or 該当なし against an MJ) is a
**conflict**: every member is listed for review and none gets a proposal.

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


def propose(memberships: pa.Table, decisions: Iterable[MemberDecision]) -> Reuse:
    """Proposals and conflicts from the group memberships and the final decisions."""
    by_member: dict[tuple[str, str], MemberDecision] = {(d.set, d.gaiji_id): d for d in decisions}
    members: dict[str, list[Mapping[str, Any]]] = {}
    for m in memberships.select(["municipality", "set", "gaiji_id", "group_id", "relation"]).to_pylist():
        if m["group_id"]:
            members.setdefault(m["group_id"], []).append(m)
    prop: dict[str, list[Any]] = {c: [] for c in PROPOSAL_COLUMNS}
    conf: dict[str, list[Any]] = {c: [] for c in CONFLICT_COLUMNS}
    conflict_groups = decided_groups = 0
    for gid, mems in members.items():
        decided = [(m, by_member[(m["set"], m["gaiji_id"])]) for m in mems if (m["set"], m["gaiji_id"]) in by_member]
        if not decided:
            continue
        decided_groups += 1
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
                "decided_by": ", ".join(who), "basis": basis,
            }
            for c in PROPOSAL_COLUMNS:
                prop[c].append(row[c])
    schema_int = {"decided_gaiji", "decided_municipalities"}
    proposals = pa.table({c: pa.array(v, pa.int64() if c in schema_int else pa.string()) for c, v in prop.items()})
    conflicts = pa.table({c: pa.array(v, pa.string()) for c, v in conf.items()})
    return Reuse(proposals, conflicts, conflict_groups, decided_groups)


def propose_corpus(corpus: str | Path, *, include_auto: bool = False,
                   decisions: list[MemberDecision] | None = None) -> dict[str, Any]:
    """Read memberships and review decisions; write the proposals and conflicts tables and
    one ``proposals/<set>.csv`` per set (what a reviewer of that set is offered)."""
    import csv

    mem = read_table(corpus, MEMBERSHIPS)
    if decisions is None:
        decisions = decisions_from_reviews(corpus, include_auto=include_auto)
    reuse = propose(mem, decisions)
    write_partitioned(corpus, PROPOSALS, reuse.proposals)
    write_partitioned(corpus, CONFLICTS, reuse.conflicts)
    per_set: dict[str, list[dict[str, Any]]] = {e.name: [] for e in read_registry(corpus)}
    for r in reuse.proposals.to_pylist():
        per_set.setdefault(r["set"], []).append({**r, "kind": "proposal"})
    for r in reuse.conflicts.to_pylist():
        per_set.setdefault(r["set"], []).append({**r, "kind": "conflict"})
    cols = ("kind",) + PROPOSAL_COLUMNS + ("own_decision", "decisions")
    for name, rows in per_set.items():
        with atomic_write(Path(corpus) / PROPOSALS / f"{name}.csv") as out:
            w = csv.DictWriter(out, fieldnames=list(cols), extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return {"corpus": str(corpus), "decisions": len(decisions), "decided_groups": reuse.decided_groups,
            "proposals": reuse.proposals.num_rows, "conflict_groups": reuse.conflict_groups,
            "conflict_members": reuse.conflicts.num_rows}
