"""The spot-check audit: how often auto-accepts are right on one set, from random samples only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.review.audit import LEGACY_COMMENT, Overturned, SpotCheckAudit, spot_check_audit
from gaiji.review.store import ReviewError, ReviewStore
from tests.review.test_store import make_set

TSUJI_1 = {"mj": "MJ025760", "char": "辻", "ucs": "U+8FBB", "ivs": ""}
TSUJI_2 = {"mj": "MJ025761", "char": "辻󠄀", "ucs": "U+8FBB", "ivs": "U+E0100"}
TAKA = {"mj": "MJ028901", "char": "高", "ucs": "U+9AD8", "ivs": ""}
HASHIGO = {"mj": "MJ028902", "char": "髙", "ucs": "U+9AD9", "ivs": ""}


@pytest.fixture()
def store(tmp_path: Path) -> ReviewStore:
    s = ReviewStore.open(make_set(tmp_path / "set", n=6))
    for gid, row in (("g0", TSUJI_1), ("g1", TSUJI_1), ("g2", TAKA), ("g3", TAKA), ("g4", TSUJI_1)):
        s.record_auto_accept(gid, row, reference_version="test")
    return s


def test_only_random_samples_count_and_their_outcome_is_what_was_finally_agreed(store: ReviewStore) -> None:
    # g0: shown and confirmed at sight → right
    store.record_spot_check("g0", "sato", sample="s1", outcome="confirmed")
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    # g1: left out, then a reviewer disagrees and a third settles for them → wrong
    store.record_spot_check("g1", "sato", sample="s1", outcome="left_out")
    store.record_decision("g1", "sato", TSUJI_2, "字形一致")
    assert spot_check_audit(store).disputed == ["g1"]
    store.settle("g1", "suzuki", TSUJI_2, "字形一致", basis="sato")
    # g2: left out and nobody has looked at it since → open
    store.record_spot_check("g2", "sato", sample="s1", outcome="left_out")
    # g3: never sampled, opened by choice and overturned → listed apart, not counted
    store.record_decision("g3", "sato", HASHIGO, "字形一致")
    store.settle("g3", "suzuki", HASHIGO, "字形一致", basis="sato")
    # g4: auto-accepted, never looked at → not counted
    audit = spot_check_audit(store)
    assert (audit.auto_accepted, audit.sampled, audit.confirmed_at_sight, audit.left_out) == (5, 3, 1, 2)
    assert audit.right == 1 and audit.not_yet_decided == ["g2"] and audit.disputed == []
    assert audit.wrong == [Overturned("g1", "MJ025760", "辻", "MJ025761", "辻󠄀")]
    assert audit.overturned_by_choice == [Overturned("g3", "MJ028901", "高", "MJ028902", "髙")]
    assert audit.precision == 0.5
    # one wrong in three random ones is already too many for "at most 0.5 %" (P < 0.015)
    assert audit.verdict == "broken" and audit.more_needed() is None
    assert audit.as_dict()["wrong"][0]["final"] == "MJ025761"


def test_a_spot_check_changes_no_view_and_is_only_for_auto_accepts(store: ReviewStore) -> None:
    store.record_spot_check("g0", "sato", sample="s1", outcome="left_out")
    assert store.state("g0").state == "auto-accepted"
    with pytest.raises(ReviewError, match="not auto-accepted"):
        store.record_spot_check("g5", "sato", sample="s1", outcome="confirmed")
    with pytest.raises(ReviewError, match="outcome"):
        store.record_spot_check("g0", "sato", sample="s1", outcome="maybe")


def test_confirmations_from_before_samples_were_recorded_still_count(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致", comment=LEGACY_COMMENT)
    store.record_decision("g1", "sato", TSUJI_1, "字形一致", comment="looked at it")  # by choice
    audit = spot_check_audit(store)
    assert (audit.sampled, audit.right) == (1, 1)


def test_a_recheck_sets_the_earlier_evidence_aside(store: ReviewStore) -> None:
    store.record_spot_check("g0", "sato", sample="s1", outcome="confirmed")
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    store.append_review_event("g0", "recheck", "admin", {"entry": "MJ025760", "from_version": "a", "to_version": "b"})
    audit = spot_check_audit(store)
    assert (audit.auto_accepted, audit.sampled, audit.right) == (4, 0, 0)


def test_a_new_auto_accept_sets_the_samples_of_the_old_one_aside(store: ReviewStore) -> None:
    store.record_spot_check("g0", "sato", sample="s1", outcome="left_out")
    store.record_auto_accept("g0", TSUJI_2, reference_version="test")  # matched again, another entry
    audit = spot_check_audit(store)
    assert (audit.auto_accepted, audit.sampled) == (5, 0)


def audit_of(sampled: int, wrong: int, open_: int = 0) -> SpotCheckAudit:
    bad = [Overturned(f"w{i}", "MJ000001", "一", "MJ000002", "丁") for i in range(wrong)]
    return SpotCheckAudit(auto_accepted=10_000, sampled=sampled, right=sampled - wrong - open_, wrong=bad,
                          not_yet_decided=[f"o{i}" for i in range(open_)])


def test_the_verdict_follows_the_binomial_bounds() -> None:
    # 598 right of 598: the 95 % upper bound on the error is 0.5 % — the promise is shown
    assert audit_of(598, 0).verdict == "kept" and audit_of(598, 0).more_needed() == 0
    assert audit_of(597, 0).verdict == "unknown" and audit_of(597, 0).more_needed() == 1
    assert audit_of(100, 0).more_needed() == 498
    # an open gaiji counts against the promise until it is settled
    assert audit_of(598, 0, open_=1).verdict == "unknown"
    # 3 wrong of 40: at least 2 % wrong at 95 %, far above 0.5 %
    broken = audit_of(40, 3)
    assert broken.verdict == "broken" and broken.more_needed() is None and broken.error_lower > 0.005
    # 1 wrong of 400 neither rules the promise out nor shows it; 1 of 1,000 shows it
    assert audit_of(400, 1).verdict == "unknown" and audit_of(400, 1).more_needed() > 0
    assert audit_of(1000, 1).verdict == "kept"


def test_audit_command_reports_and_fails_when_the_promise_is_ruled_out(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set", n=8)
    s = ReviewStore.open(folder)
    for i in range(8):
        s.record_auto_accept(f"g{i}", TSUJI_1, reference_version="test")
        s.record_spot_check(f"g{i}", "sato", sample="s1", outcome="left_out")
    runner = CliRunner()
    result = runner.invoke(cli, ["review", "audit", str(folder)])
    assert result.exit_code == 0, result.output
    assert "shown in random spot-checks: 8" in result.output and "8 open" in result.output
    for i in range(3):  # three of the eight were another variant
        s.record_decision(f"g{i}", "sato", TSUJI_2, "字形一致")
        s.settle(f"g{i}", "suzuki", TSUJI_2, "字形一致", basis="sato")
    result = runner.invoke(cli, ["review", "audit", str(folder)])
    assert result.exit_code == 1, result.output
    assert "NOT KEPT" in result.output and "g0: auto-accepted MJ025760" in result.output
    as_json = runner.invoke(cli, ["review", "audit", str(folder), "--json"])
    assert '"verdict": "broken"' in as_json.output


def test_audit_without_a_review_record_says_how_to_start(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    result = CliRunner().invoke(cli, ["review", "audit", str(folder)])
    assert result.exit_code != 0 and "gaiji review serve" in result.output


def test_a_drawn_sample_counts_from_the_draw_even_if_never_closed(store: ReviewStore) -> None:
    for gid in ("g0", "g1"):
        store.record_spot_check(gid, "sato", sample="s1", outcome="drawn")
    audit = spot_check_audit(store)
    # closed without a verdict (or still on screen): sampled, and open until someone decides them
    assert (audit.sampled, audit.drawn_not_closed, audit.not_yet_decided) == (2, 2, ["g0", "g1"])
    store.record_spot_check("g0", "sato", sample="s1", outcome="confirmed")
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")
    audit = spot_check_audit(store)
    assert (audit.right, audit.drawn_not_closed, audit.not_yet_decided) == (1, 1, ["g1"])


def test_auto_accepts_found_wrong_outside_the_samples_count_against_the_promise() -> None:
    def with_outside(wrong: int, right: int = 0) -> SpotCheckAudit:
        audit = audit_of(598, 0)
        audit.auto_accepted = 1_000
        audit.overturned_by_choice = [Overturned(f"c{i}", "MJ000001", "一", "MJ000002", "丁") for i in range(wrong)]
        audit.right_by_choice = right
        return audit

    # 598 random ones all right show the promise for those nobody opened — but 3 of the 1,000
    # were found wrong by choice: 0.3 % known, plus 0.5 % of the other 997 at 95 %
    assert with_outside(0).verdict == "kept"
    three = with_outside(3)
    assert three.verdict == "unknown" and 0.0079 < three.error_upper < 0.0081
    assert three.more_needed() > 598
    # 6 of 1,000 known wrong: more than 0.5 % for certain, whatever the samples say
    six = with_outside(6)
    assert six.verdict == "broken" and six.more_needed() is None and six.error_lower >= 0.006
    # every auto-accept decided one by one, none wrong: shown without a sample
    everyone = SpotCheckAudit(auto_accepted=50, right_by_choice=50)
    assert everyone.verdict == "kept" and everyone.error_upper == 0.0


def test_the_audit_counts_decisions_by_choice(store: ReviewStore) -> None:
    store.record_decision("g0", "sato", TSUJI_1, "字形一致")  # opened by choice, agreed
    store.record_decision("g2", "sato", HASHIGO, "字形一致")  # opened by choice, disagrees: disputed
    audit = spot_check_audit(store)
    assert (audit.right_by_choice, audit.disputed_by_choice, audit.not_decided_by_choice) == (1, ["g2"], 3)
    # no sample yet: the verdict cannot be "kept", and the disputed one counts as wrong in the bound
    assert audit.verdict == "unknown" and audit.error_upper == 1.0 * 3 / 5 + 1 / 5
