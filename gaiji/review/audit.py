"""How often auto-accepts are right on *this* set, measured from the desk's random spot-checks.

The matcher's promise — at most :data:`gaiji.match.trust.MAX_ERROR` of auto-accepts wrong, a
95 % bound — was measured on calibration fonts. A municipality's own design may be unlike all
of them. The desk's spot-check shows reviewers a random sample of auto-accepted gaiji; every
gaiji shown is recorded (a ``spot_check`` event), whether it was confirmed or left out to be
looked at alone. For each sampled gaiji the outcome is what the reviewers finally agreed: the
auto-accepted entry (right), another entry or 該当なし (wrong), or nothing agreed yet (open: left
out and not yet decided, or a reviewer disagrees and nobody has settled it).

The desk draws each sample itself and records it as drawn before showing it (outcome ``drawn``),
so a sample cannot be chosen or drawn again until it looks good: a sample closed without a
verdict leaves its gaiji open — counted against the promise — until someone decides them.

The promise is about every auto-accept of the set. A random sample says how often the ones no
reviewer has decided are wrong; those decided by choice (perhaps opened because they looked
wrong) are known one by one. The bounds add the two: the known wrong ones, plus the sample's
95 % bound on the rate times the auto-accepts not decided by choice. Confirmations recorded
before the desk recorded samples (a decision with the comment :data:`LEGACY_COMMENT`) count as
sampled.
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
    drawn_not_closed: int = 0  # drawn and shown, the sample not closed (yet): open until decided
    overturned_by_choice: list[Overturned] = field(default_factory=list)  # not sampled
    right_by_choice: int = 0  # not sampled; opened by choice and agreed as auto-accepted
    disputed_by_choice: list[str] = field(default_factory=list)  # not sampled; views differ
    promise: float = 0.005

    @property
    def known_wrong_outside(self) -> int:
        """Auto-accepts outside the samples already known wrong (or disputed: counted so)."""
        return len(self.overturned_by_choice) + len(self.disputed_by_choice)

    @property
    def not_decided_by_choice(self) -> int:
        """Auto-accepts whose outcome only the random sample speaks for."""
        decided = self.right_by_choice + len(self.overturned_by_choice) + len(self.disputed_by_choice)
        return max(self.auto_accepted - decided, 0)

    def _share(self, known: int, rate: float) -> float:
        """Known wrong ones plus ``rate`` of those not decided by choice, among all auto-accepts."""
        if self.auto_accepted <= 0:
            return rate
        return min(1.0, (known + self.not_decided_by_choice * rate) / self.auto_accepted)

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
        """95 % lower bound on the share of all auto-accepts right (1 − :attr:`error_upper`):
        every open sampled gaiji counted as wrong, and those known wrong outside the samples."""
        return 1.0 - self.error_upper

    def _sample_upper(self, extra_right: int = 0) -> float:
        from gaiji.match.trust import clopper_pearson_upper

        return clopper_pearson_upper(len(self.wrong) + self.open, self.sampled + extra_right, alpha=ALPHA)

    @property
    def error_upper(self) -> float:
        """95 % upper bound on the share of all auto-accepts wrong: the sample's bound (open ones
        counted as wrong) for those not decided by choice, plus those known wrong or disputed."""
        return self._share(self.known_wrong_outside, self._sample_upper())

    @property
    def error_lower(self) -> float:
        """95 % lower bound on the share of all auto-accepts wrong (wrong ones only): above the
        promise, the calibration does not hold on this set."""
        from scipy.stats import beta

        k = len(self.wrong)
        rate = float(beta.ppf(ALPHA, k, self.sampled - k + 1)) if k and self.sampled else 0.0
        return self._share(len(self.overturned_by_choice), rate)

    @property
    def verdict(self) -> str:
        """``broken`` (wrong more often than promised, at 95 %), ``kept`` (shown to hold, at 95 %)
        or ``unknown`` (too few sampled to tell)."""
        if self.error_lower > self.promise:
            return "broken"
        if (self.sampled or (self.auto_accepted and not self.not_decided_by_choice)) and self.error_upper <= self.promise:
            return "kept"  # shown by random samples, or every auto-accept decided one by one
        return "unknown"

    def more_needed(self) -> int | None:
        """Random spot-checks still needed, all right, for the promise to be shown at 95 %
        (None when the errors already found rule it out)."""
        if self.verdict == "broken":
            return None
        if self.verdict == "kept":
            return 0
        if self._share(self.known_wrong_outside, 0.0) > self.promise:
            return None  # those known wrong (or disputed) outside the samples are too many already
        too_high = lambda extra: self._share(self.known_wrong_outside, self._sample_upper(extra)) > self.promise
        lo, hi = 0, 1
        while too_high(hi):
            lo, hi = hi, hi * 2
            if hi > 10**8:
                return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if too_high(mid):
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
            "drawn_not_closed": self.drawn_not_closed,
            "right_by_choice": self.right_by_choice,
            "disputed_by_choice": self.disputed_by_choice,
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
    audit.drawn_not_closed = sum(1 for o in sampled.values() if o == "drawn")
    states = store.states()
    for gid, (mj, char) in auto.items():
        item = states.get(gid)
        agreed = item.agreed() if item is not None else None
        if agreed is None:  # views differ (or, oddly, none): nothing agreed yet
            (audit.disputed if gid in sampled else audit.disputed_by_choice).append(gid)
            continue
        if agreed.target == mj:
            looked_at = set(item.proposals) != {AUTO_REVIEWER}
            if gid in sampled:
                if not looked_at:  # left out (or the sample not closed) and not looked at since
                    audit.not_yet_decided.append(gid)
                else:
                    audit.right += 1
            elif looked_at:
                audit.right_by_choice += 1
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
         f"left out to look at alone {audit.left_out:,}"
         + (f", in samples not closed {audit.drawn_not_closed:,}" if audit.drawn_not_closed else "") + ")"),
    ]
    if not audit.sampled:
        lines.append("no random spot-check yet: open the desk (`gaiji review serve SET`) and use "
                     "\"Spot-check auto-accepted\" to measure how often they are right on this set")
        if not audit.right_by_choice + audit.known_wrong_outside:
            return lines
    lines.append(f"outcome:                     {audit.right:,} right, {len(audit.wrong):,} wrong, "
                 f"{audit.open:,} open ({len(audit.disputed):,} disputed, {len(audit.not_yet_decided):,} "
                 "left out and not decided yet)")
    if audit.precision is not None:
        lines.append(f"precision:                   {audit.precision:.3f} in the samples (95 % lower bound over "
                     f"all auto-accepts {audit.precision_lower:.3f}, open ones counted as wrong)")
    decided = audit.right_by_choice + audit.known_wrong_outside
    if decided:
        lines.append(f"decided by choice:           {decided:,} outside the samples — {audit.right_by_choice:,} right, "
                     f"{len(audit.overturned_by_choice):,} wrong, {len(audit.disputed_by_choice):,} disputed "
                     "(known one by one: added to the bounds, not to the sample)")
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
                        "no number of random spot-checks can show it while those known wrong or disputed "
                        "outside the samples stand" if more is None else "settle the open ones first"))
    for o in audit.wrong:
        lines.append(f"  wrong: {o.gaiji_id}: auto-accepted {o.auto_mj} {o.auto_char} → agreed {o.final} {o.final_char}")
    if audit.overturned_by_choice:
        lines.append(f"overturned outside the samples (opened by choice; counted in the bounds above): "
                     f"{len(audit.overturned_by_choice):,}")
        for o in audit.overturned_by_choice[:20]:
            lines.append(f"  {o.gaiji_id}: auto-accepted {o.auto_mj} {o.auto_char} → agreed {o.final} {o.final_char}")
    return lines
