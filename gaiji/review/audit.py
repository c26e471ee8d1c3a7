"""How often auto-accepts are right on *this* set, measured from the desk's random spot-checks.

The matcher's promise — at most :data:`gaiji.match.trust.MAX_ERROR` of auto-accepts wrong, a
95 % bound — was measured on calibration fonts. A municipality's own design may be unlike all
of them. The desk's spot-check shows reviewers a random sample of auto-accepted gaiji; every
gaiji shown is recorded (a ``spot_check`` event), whether it was confirmed or left out to be
looked at alone. For each sampled gaiji the outcome is what the reviewers finally agreed: the
auto-accepted entry (right), another entry or 該当なし (wrong), or nothing agreed yet (open: left
out and not yet decided, or a reviewer disagrees and nobody has settled it).

Only sampled gaiji are counted: an auto-accept a reviewer opened by choice was perhaps opened
because it looked wrong. Those overturned are listed apart. Confirmations recorded before the
desk recorded samples (a decision with the comment :data:`LEGACY_COMMENT`) count as sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gaiji.review.state import AUTO_REVIEWER, SPOT_CHECK
from gaiji.review.store import ReviewStore

LEGACY_COMMENT = "spot-check: batch confirmed"
ALPHA = 0.05


@dataclass(frozen=True)
class Overturned:
    """An auto-accept the reviewers agreed was wrong."""

    gaiji_id: str
    auto_mj: str
    auto_char: str
    final: str  # the agreed MJ number (or SET:ID), "該当なし" when none
    final_char: str


@dataclass
class SpotCheckAudit:
    """The spot-check evidence of one set (see the module docstring)."""

    auto_accepted: int = 0
    sampled: int = 0
    confirmed_at_sight: int = 0  # confirmed in the sample itself
    left_out: int = 0  # left out of a sample to be looked at alone
    right: int = 0
    wrong: list[Overturned] = field(default_factory=list)
    disputed: list[str] = field(default_factory=list)  # sampled; a reviewer disagrees, not settled
    not_yet_decided: list[str] = field(default_factory=list)  # sampled, left out, nobody decided yet
    overturned_by_choice: list[Overturned] = field(default_factory=list)  # not sampled
    promise: float = 0.005

    @property
    def open(self) -> int:
        return len(self.disputed) + len(self.not_yet_decided)

    @property
    def precision(self) -> float | None:
        """Right among sampled auto-accepts with an agreed outcome."""
        done = self.right + len(self.wrong)
        return self.right / done if done else None

    @property
    def precision_lower(self) -> float:
        """95 % lower bound on the precision, every open sampled gaiji counted as wrong."""
        from gaiji.match.trust import clopper_pearson_lower

        return clopper_pearson_lower(self.right, self.sampled, alpha=ALPHA)

    @property
    def error_upper(self) -> float:
        """95 % upper bound on the share wrong (open ones counted as wrong)."""
        from gaiji.match.trust import clopper_pearson_upper

        return clopper_pearson_upper(len(self.wrong) + self.open, self.sampled, alpha=ALPHA)

    @property
    def error_lower(self) -> float:
        """95 % lower bound on the share wrong (wrong ones only): above the promise, the
        calibration does not hold on this set."""
        from scipy.stats import beta

        k = len(self.wrong)
        if k == 0 or self.sampled == 0:
            return 0.0
        return float(beta.ppf(ALPHA, k, self.sampled - k + 1))

    @property
    def verdict(self) -> str:
        """``broken`` (wrong more often than promised, at 95 %), ``kept`` (shown to hold, at 95 %)
        or ``unknown`` (too few sampled to tell)."""
        if self.error_lower > self.promise:
            return "broken"
        if self.sampled and self.error_upper <= self.promise:
            return "kept"
        return "unknown"

    def more_needed(self) -> int | None:
        """Random spot-checks still needed, all right, for the promise to be shown at 95 %
        (None when the errors already found rule it out)."""
        from gaiji.match.trust import clopper_pearson_upper

        bad = len(self.wrong) + self.open
        if self.verdict == "broken":
            return None
        if self.verdict == "kept":
            return 0
        lo, hi = 0, 1
        while clopper_pearson_upper(bad, self.sampled + hi, alpha=ALPHA) > self.promise:
            lo, hi = hi, hi * 2
            if hi > 10**8:
                return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if clopper_pearson_upper(bad, self.sampled + mid, alpha=ALPHA) > self.promise:
                lo = mid
            else:
                hi = mid
        return hi

    def as_dict(self) -> dict[str, Any]:
        def rows(items: list[Overturned]) -> list[dict[str, str]]:
            return [vars(o) for o in items]

        return {
            "auto_accepted": self.auto_accepted,
            "sampled": self.sampled,
            "confirmed_at_sight": self.confirmed_at_sight,
            "left_out": self.left_out,
            "right": self.right,
            "wrong": rows(self.wrong),
            "disputed": self.disputed,
            "not_yet_decided": self.not_yet_decided,
            "precision": None if self.precision is None else round(self.precision, 4),
            "precision_lower95": round(self.precision_lower, 4),
            "error_upper95": round(self.error_upper, 4),
            "promise_max_error": self.promise,
            "verdict": self.verdict,
            "more_needed": self.more_needed(),
            "overturned_by_choice": rows(self.overturned_by_choice),
        }


def spot_check_audit(store: ReviewStore) -> SpotCheckAudit:
    """Fold the set's events into the spot-check evidence."""
    from gaiji.match.trust import MAX_ERROR

    auto: dict[str, tuple[str, str]] = {}  # gaiji → the auto-accepted (mj, char) now standing
    sampled: dict[str, str] = {}  # gaiji → outcome when it was shown (the latest)
    for ev in store.events():
        gid = ev.gaiji_id
        if ev.kind == "auto_accept":
            accepted = (str(ev.body.get("mj") or ""), str(ev.body.get("char") or ""))
            if auto.get(gid) != accepted:  # a new auto-accept (matched again): earlier samples were of another
                sampled.pop(gid, None)
            auto[gid] = accepted
        elif ev.kind == "recheck":  # the reference changed under it: earlier evidence is about another entry
            auto.pop(gid, None)
            sampled.pop(gid, None)
        elif ev.kind == SPOT_CHECK and gid in auto:
            sampled[gid] = str(ev.body.get("outcome") or "")
        elif ev.kind == "decision" and gid in auto and ev.body.get("comment") == LEGACY_COMMENT:
            sampled.setdefault(gid, "confirmed")
    audit = SpotCheckAudit(auto_accepted=len(auto), sampled=len(sampled), promise=MAX_ERROR)
    audit.confirmed_at_sight = sum(1 for o in sampled.values() if o == "confirmed")
    audit.left_out = sum(1 for o in sampled.values() if o == "left_out")
    states = store.states()
    for gid, (mj, char) in auto.items():
        item = states.get(gid)
        agreed = item.agreed() if item is not None else None
        if agreed is None:  # views differ (or, oddly, none): nothing agreed yet
            if gid in sampled:
                audit.disputed.append(gid)
            continue
        if agreed.target == mj:
            if gid in sampled:
                if set(item.proposals) == {AUTO_REVIEWER}:  # left out and not looked at since
                    audit.not_yet_decided.append(gid)
                else:
                    audit.right += 1
            continue
        wrong = Overturned(gid, mj, char, agreed.target or "該当なし", agreed.char)
        (audit.wrong if gid in sampled else audit.overturned_by_choice).append(wrong)
    return audit


def audit_lines(audit: SpotCheckAudit) -> list[str]:
    """The audit as a person reads it."""
    pct = 100 * audit.promise
    lines = [
        f"auto-accepted:               {audit.auto_accepted:,} gaiji",
        (f"shown in random spot-checks: {audit.sampled:,} (confirmed at sight {audit.confirmed_at_sight:,}, "
         f"left out to look at alone {audit.left_out:,})"),
    ]
    if not audit.sampled:
        lines.append("no random spot-check yet: open the desk (`gaiji review serve SET`) and use "
                     "\"Spot-check auto-accepted\" to measure how often they are right on this set")
        return lines
    lines.append(f"outcome:                     {audit.right:,} right, {len(audit.wrong):,} wrong, "
                 f"{audit.open:,} open ({len(audit.disputed):,} disputed, {len(audit.not_yet_decided):,} "
                 "left out and not decided yet)")
    if audit.precision is not None:
        lines.append(f"precision:                   {audit.precision:.3f} (95 % lower bound "
                     f"{audit.precision_lower:.3f}, open ones counted as wrong)")
    lines.append(f"calibration's promise:       at most {pct:g} % of auto-accepts wrong (95 % bound, measured "
                 "on calibration fonts)")
    verdict = audit.verdict
    if verdict == "broken":
        lines.append(f"VERDICT: NOT KEPT on this set — at least {100 * audit.error_lower:.2f} % of auto-accepts are "
                     "wrong (95 %). Review every auto-accepted gaiji before the table is exported.")
    elif verdict == "kept":
        lines.append(f"verdict: kept on this set — at most {100 * audit.error_upper:.2f} % wrong (95 %)")
    else:
        more = audit.more_needed()
        lines.append(f"verdict: not shown yet — at most {100 * audit.error_upper:.1f} % wrong (95 %); "
                     + (f"{more:,} more random spot-checks, all right, would show it" if more else
                        "settle the open ones first"))
    for o in audit.wrong:
        lines.append(f"  wrong: {o.gaiji_id}: auto-accepted {o.auto_mj} {o.auto_char} → agreed {o.final} {o.final_char}")
    if audit.overturned_by_choice:
        lines.append(f"overturned outside the samples (opened by choice, not counted above): "
                     f"{len(audit.overturned_by_choice):,}")
        for o in audit.overturned_by_choice[:20]:
            lines.append(f"  {o.gaiji_id}: auto-accepted {o.auto_mj} {o.auto_char} → agreed {o.final} {o.final_char}")
    return lines
