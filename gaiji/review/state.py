"""Where each gaiji stands, folded from the append-only events.

Each reviewer holds at most one *view* per gaiji (their latest decision): the chosen MJ (or
an added reference set's entry, ``SET:ID``, or ``None`` for 該当なし) together with the
identification class. The auto-accept counts as a
view held by :data:`AUTO_REVIEWER`. From the views:

* no view                          → ``pending``
* only the auto-accept             → ``auto-accepted`` (final)
* views that differ                → ``disputed`` (both shown; settle or let one side agree)
* one view, two or more holders    → ``checked`` (final: a second person confirmed it)
* one view, settled by someone     → ``checked``
* a ``recheck`` event              → the views are set aside: ``pending`` again
  (the reference changed under the chosen entry, :mod:`gaiji.review.recheck`)
* one view, one human holder       → ``decided`` (final only when the two-person rule was off
                                       when that decision was recorded — never retroactively)

A reviewer may *undo* their own latest decision on a gaiji while nobody has confirmed it:
an ``undo`` event (never an erase) puts back the view they held before it, if any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUTO_REVIEWER = "auto-accept"
CLASSES = ("字形一致", "デザイン差", "類似", "該当なし")
NO_MATCH_CLASS = "該当なし"
STATES = ("pending", "auto-accepted", "decided", "checked", "disputed")
#: an auto-accepted gaiji shown in a random spot-check sample (changes no view; see gaiji.review.audit)
SPOT_CHECK = "spot_check"
#: drawn: the desk drew it into a sample and showed it (recorded before it is shown); confirmed /
#: left_out: how the reviewer closed the sample (confirmed at sight, or left out to look at alone)
SPOT_CHECK_OUTCOMES = ("drawn", "confirmed", "left_out")


@dataclass(frozen=True)
class Proposal:
    """One reviewer's current view of one gaiji."""

    reviewer: str
    mj: str | None
    char: str
    ucs: str
    ivs: str
    identification_class: str
    comment: str
    at: str
    seq: int
    since_seq: int  # first event at which this reviewer held this same view
    since_at: str
    reference_version: str
    two_person: bool = True  # the rule in force when this decision was recorded
    kind: str = "decision"  # decision | auto_accept | settle
    # an added reference set's entry chosen instead of an MJ one (mj is then None)
    ref_set: str = ""
    ref_id: str = ""
    font_name: str = ""  # the set's font that draws it (what a vendor needs to render it)
    ref_set_version: str = ""  # the set's build the decision was made against

    @property
    def target(self) -> str | None:
        """What was chosen: the MJ number, ``SET:ID`` for an added set's entry, None for 該当なし."""
        return choice_target(self.mj, self.ref_set, self.ref_id)

    @property
    def view(self) -> tuple[str | None, str]:
        return (self.target, self.identification_class)

    def as_dict(self) -> dict[str, Any]:
        out = {
            "reviewer": self.reviewer,
            "mj": self.mj,
            "char": self.char,
            "ucs": self.ucs,
            "ivs": self.ivs,
            "identification_class": self.identification_class,
            "comment": self.comment,
            "at": self.at,
            "seq": self.seq,
        }
        if self.ref_set:
            out.update(ref_set=self.ref_set, ref_id=self.ref_id, font_name=self.font_name)
        return out


def choice_target(mj: str | None, ref_set: str = "", ref_id: str = "") -> str | None:
    """One key for a choice, whichever reference it is in.

    >>> choice_target("MJ025760"), choice_target(None, "HanaExt", "HX0003"), choice_target(None)
    ('MJ025760', 'HanaExt:HX0003', None)
    """
    if ref_set and ref_set != "MJ":
        return f"{ref_set}:{ref_id}"
    return mj


@dataclass
class ItemState:
    """Everything the queue and the export need to know about one gaiji."""

    gaiji_id: str
    proposals: dict[str, Proposal] = field(default_factory=dict)
    settled_by: str | None = None
    settled_at: str | None = None
    last_seq: int = 0
    events: int = 0
    history: dict[str, list[Proposal]] = field(default_factory=dict)  # each reviewer's views, oldest first

    def copy(self) -> ItemState:
        return ItemState(self.gaiji_id, dict(self.proposals), self.settled_by, self.settled_at,
                         self.last_seq, self.events, {k: list(v) for k, v in self.history.items()})

    # -- derived -------------------------------------------------------------------------
    def ordered(self) -> list[Proposal]:
        return sorted(self.proposals.values(), key=lambda p: p.since_seq)

    @property
    def views(self) -> set[tuple[str | None, str]]:
        return {p.view for p in self.proposals.values()}

    @property
    def state(self) -> str:
        if not self.proposals:
            return "pending"
        if len(self.views) > 1:
            return "disputed"
        if self.settled_by is not None and self.settled_by in self.proposals:
            return "checked"
        if set(self.proposals) == {AUTO_REVIEWER}:
            return "auto-accepted"
        if len(self.proposals) >= 2:
            return "checked"
        return "decided"

    def is_final(self) -> bool:
        """Final: auto-accepted, checked, or decided alone under a one-person rule that was in
        force when that decision was recorded."""
        state = self.state
        if state in ("auto-accepted", "checked"):
            return True
        return state == "decided" and not self.ordered()[0].two_person

    def undo_refusal(self, reviewer: str) -> str | None:
        """Why *reviewer* cannot undo their latest decision here (None when they can)."""
        mine = self.proposals.get(reviewer)
        if mine is None:
            return f"{reviewer} has no decision on {self.gaiji_id} to undo"
        if mine.kind != "decision":
            return f"{reviewer}'s last action on {self.gaiji_id} settled it; a settlement is final"
        if self.settled_by is not None and self.settled_by != reviewer:
            return f"{self.settled_by} already settled {self.gaiji_id}"
        confirmed = [p.reviewer for p in self.proposals.values()
                     if p.reviewer != reviewer and p.view == mine.view and p.since_seq > mine.since_seq]
        if confirmed:
            return f"{', '.join(confirmed)} already confirmed it; record a new decision instead"
        return None

    def agreed(self) -> Proposal | None:
        """The first holder of the single agreed view (None while pending or disputed)."""
        if not self.proposals or len(self.views) > 1:
            return None
        return self.ordered()[0]

    def checker(self) -> Proposal | None:
        """Who confirmed the agreed view: the settler, else the second holder."""
        if self.agreed() is None:
            return None
        if self.settled_by is not None and self.settled_by in self.proposals:
            settler = self.proposals[self.settled_by]
            if settler.reviewer != self.ordered()[0].reviewer:
                return settler
        holders = self.ordered()
        return holders[1] if len(holders) > 1 else None

    # -- folding -------------------------------------------------------------------------
    def apply(
        self, seq: int, at: str, kind: str, reviewer: str, body: dict[str, Any], *, two_person: bool = True
    ) -> None:
        """Fold one event. *two_person* is the rule in force at this event, used for decisions
        recorded before each decision carried its own ``two_person`` field."""
        self.last_seq = seq
        self.events += 1
        if kind == "recheck":  # the reference changed under the chosen entry: back to review
            self.proposals = {}
            self.history = {}  # nothing to undo back to: the earlier views were made against the old entry
            self.settled_by = self.settled_at = None
            return
        if kind == "undo":
            stack = self.history.get(reviewer, [])
            if stack and stack[-1].seq == body.get("undoes_seq"):
                stack.pop()
                if stack:
                    self.proposals[reviewer] = stack[-1]
                else:
                    self.proposals.pop(reviewer, None)
            return
        if kind not in ("decision", "auto_accept", "settle"):
            return
        mj = body.get("mj")
        cls = body.get("identification_class", "")
        ref_set, ref_id = str(body.get("ref_set") or ""), str(body.get("ref_id") or "")
        old = self.proposals.get(reviewer)
        same = old is not None and old.view == (choice_target(mj, ref_set, ref_id), cls)
        proposal = Proposal(
            reviewer=reviewer,
            mj=mj,
            char=body.get("char", ""),
            ucs=body.get("ucs", ""),
            ivs=body.get("ivs", ""),
            identification_class=cls,
            comment=body.get("comment", ""),
            at=at,
            seq=seq,
            since_seq=old.since_seq if same and old else seq,
            since_at=old.since_at if same and old else at,
            reference_version=body.get("reference_version", ""),
            two_person=bool(body.get("two_person", two_person)),
            kind=kind,
            ref_set=ref_set,
            ref_id=ref_id,
            font_name=str(body.get("font_name") or ""),
            ref_set_version=str(body.get("ref_set_version") or ""),
        )
        self.history.setdefault(reviewer, []).append(proposal)
        if kind == "settle":
            # the settler's view wins; views that differ from it are set aside (for good)
            kept = {r: p for r, p in self.proposals.items() if p.view == proposal.view and r != reviewer}
            kept[reviewer] = proposal
            for r in self.proposals:
                if r not in kept:
                    self.history.pop(r, None)
            self.proposals = kept
            self.settled_by, self.settled_at = reviewer, at
            return
        self.proposals[reviewer] = proposal

    def summary(self) -> dict[str, Any]:
        agreed = self.agreed()
        return {
            "gaiji_id": self.gaiji_id,
            "state": self.state,
            "final": self.is_final(),
            "views": [p.as_dict() for p in self.ordered()],
            "agreed_mj": agreed.mj if agreed else None,
            "agreed_ref": ({"ref_set": agreed.ref_set, "ref_id": agreed.ref_id, "char": agreed.char,
                            "ucs": agreed.ucs, "ivs": agreed.ivs, "font_name": agreed.font_name}
                           if agreed and agreed.ref_set else None),
            "settled_by": self.settled_by,
            "last_seq": self.last_seq,
        }
