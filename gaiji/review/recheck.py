"""``gaiji review recheck SET``: when the reference moves (a new MJ table, a new build of an
added set), every decision that points at a changed entry goes back to review.

Nothing is rewritten: for each affected gaiji a ``recheck`` event is appended to the audit
chain (naming the entry, what changed, both reference versions and the views it sets aside),
which returns the gaiji to ``pending``; then one ``reference_recheck`` event records that the
set was rechecked from the old version to the new one (with the diff's SHA-256). Running the
same recheck again adds nothing, so decisions made after it are never set aside twice.

Export then accepts the decisions that were made against the old version and were not
affected (:func:`reference_change_problems`); without a recheck it refuses them unless told
``--allow-reference-change``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaiji.errors import ContractError
from gaiji.reference.diff import ReferenceDiff

RECHECK = "recheck"
REFERENCE_RECHECK = "reference_recheck"


@dataclass
class RecheckResult:
    set_dir: Path
    from_version: str
    to_version: str
    already_done: bool
    affected: list[dict[str, Any]] = field(default_factory=list)  # gaiji_id, entry, was_final, changes

    def as_dict(self) -> dict[str, Any]:
        return {"set": str(self.set_dir), "from_version": self.from_version, "to_version": self.to_version,
                "already_done": self.already_done, "affected": self.affected}


def _views_pointing_at(store: Any, ids: set[str], reference_set: str = "MJ"
                       ) -> dict[str, tuple[str, bool, list[dict[str, Any]]]]:
    """gaiji_id → (the changed entry of *reference_set* its views point at, whether it was
    final, the views)."""
    out = {}
    for gid, item in store.states().items():
        if reference_set == "MJ":
            hit = sorted({p.mj for p in item.proposals.values() if p.mj in ids})
        else:
            hit = sorted({p.ref_id for p in item.proposals.values() if p.ref_set == reference_set and p.ref_id in ids})
        if hit:
            out[gid] = (hit[0], item.is_final(), [p.as_dict() for p in item.ordered()])
    return out


def recheck_set(set_dir: str | Path, diff: ReferenceDiff, *, reviewer: str) -> RecheckResult:
    """Send every decision of *set_dir* that points at an entry *diff* changed back to review."""
    from gaiji.review.log import verify
    from gaiji.review.store import ReviewStore

    set_dir = Path(set_dir)
    if not (set_dir / "review.sqlite").is_file():
        raise ContractError(f"{set_dir}: nothing has been reviewed yet (no review.sqlite), so nothing to recheck")
    store = ReviewStore.open(set_dir)
    try:
        verify(store)  # a record edited outside the desk is not built upon
        digest = diff.digest()
        result = RecheckResult(set_dir, diff.old, diff.new, already_done=False)
        if any(ev.kind == REFERENCE_RECHECK and ev.body.get("diff_sha256") == digest for ev in store.events()):
            result.already_done = True
            return result
        by_id: dict[str, list[dict[str, str]]] = {}
        for c in diff.changes:
            if c.kind != "added":
                by_id.setdefault(c.id, []).append({"kind": c.kind, "field": c.field, "old": c.old, "new": c.new})
        # decisions name MJ entries, or (set, identifier) for an added set's entries
        targets = _views_pointing_at(store, set(by_id), diff.reference_set)
        for gid, (entry, was_final, views) in targets.items():
            body = {"reference_set": diff.reference_set, "entry": entry, "changes": by_id[entry],
                    "from_version": diff.old, "to_version": diff.new, "was_final": was_final, "set_aside": views}
            store.append_review_event(gid, RECHECK, reviewer, body)
            result.affected.append({"gaiji_id": gid, "entry": entry, "was_final": was_final,
                                    "changes": by_id[entry]})
        store.append_review_event("", REFERENCE_RECHECK, reviewer, {
            "reference_set": diff.reference_set, "from_version": diff.old, "to_version": diff.new,
            "diff_sha256": digest, "counts": diff.as_dict()["counts"],
            "affected": [a["gaiji_id"] for a in result.affected],
        })
        verify(store)
        return result
    finally:
        store.close()


def rechecked_versions(store: Any) -> set[tuple[str, str]]:
    """(from, to) reference versions this set was rechecked across."""
    return {(ev.body.get("from_version", ""), ev.body.get("to_version", ""))
            for ev in store.events() if ev.kind == REFERENCE_RECHECK}


def reference_change_problems(store: Any, decisions: list[Any], current_version: str) -> list[str]:
    """Final decisions made against another reference version and not covered by a recheck
    to *current_version* (one line per version, naming a few gaiji)."""
    if not current_version:
        return []
    stale: dict[str, list[str]] = {}
    for d in decisions:
        if d.reference_version and d.reference_version != current_version:
            stale.setdefault(d.reference_version, []).append(d.gaiji_id)
    if not stale:
        return []
    done = rechecked_versions(store) if store is not None else set()
    return [f"{len(ids)} decided against {version} (e.g. {', '.join(ids[:3])})"
            for version, ids in stale.items() if current_version not in _reachable(version, done)]


def _reachable(version: str, steps: set[tuple[str, str]]) -> set[str]:
    """Versions reached from *version* by rechecks in a row (v1 → v2, then v2 → v3)."""
    seen, todo = {version}, [version]
    while todo:
        v = todo.pop()
        for a, b in steps:
            if a == v and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen
