"""A decision in one set becomes a proposal in another; disagreements become conflicts."""

from __future__ import annotations

import csv
from pathlib import Path

from gaiji.corpus.group import group_corpus
from gaiji.corpus.prepare import plan_prepare, prepare_partition
from gaiji.corpus.registry import add_sets, read_registry
from gaiji.corpus.reuse import propose_corpus
from gaiji.corpus.tables import read_table
from gaiji.review.store import ReviewStore

TAKA = {"mj": "MJ028902", "char": "髙", "ucs": "U+9AD9", "ivs": ""}
TSUJI = {"mj": "MJ025760", "char": "辻\U000E0102", "ucs": "U+8FBB", "ivs": "U+E0102"}
TSUJI_OTHER = {"mj": "MJ025761", "char": "辻\U000E0103", "ucs": "U+8FBB", "ivs": "U+E0103"}


def _grouped(tmp_path: Path, sets: dict[str, Path]) -> Path:
    corpus = tmp_path / "corpus"
    for i, path in enumerate(sets.values()):
        add_sets(corpus, [path], municipality=f"町{i}", code=f"0{i + 1}100")
    for part in plan_prepare(corpus, read_registry(corpus)):
        prepare_partition(part)
    group_corpus(corpus)
    return corpus


def _decide(set_dir: Path, gaiji_id: str, choice: dict, reviewer: str = "sato", checker: str = "tanaka") -> None:
    """A final decision: decided by one reviewer and checked by a second (the two-person rule)."""
    store = ReviewStore.open(set_dir)
    try:
        store.record_decision(gaiji_id, reviewer, choice, "字形一致")
        store.record_decision(gaiji_id, checker, choice, "字形一致")
    finally:
        store.close()


def test_a_decision_in_one_set_is_proposed_in_the_others(tmp_path, three_towns):
    corpus = _grouped(tmp_path, three_towns)
    _decide(three_towns["town-a"], "a-taka", TAKA)
    summary = propose_corpus(corpus)
    assert summary["decisions"] == 1 and summary["conflict_groups"] == 0
    props = {p["gaiji_id"]: p for p in read_table(corpus, "proposals").to_pylist()}
    assert set(props) == {"b-taka", "c-taka"}  # the members without a decision of their own
    assert props["b-taka"]["mj"] == "MJ028902" and props["b-taka"]["char"] == "髙"
    assert "same glyph as 1 gaiji in 1 municipalities, decided MJ028902 by sato (checked by tanaka)" in props["b-taka"]["basis"]
    # the other set's review record is untouched: a proposal is never a decision
    assert not (three_towns["town-b"] / "review.sqlite").exists()
    with open(corpus / "proposals" / "town-b.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["kind"], r["gaiji_id"], r["mj"]) for r in rows] == [("proposal", "b-taka", "MJ028902")]


def test_members_decided_differently_are_a_conflict(tmp_path, three_towns):
    corpus = _grouped(tmp_path, three_towns)
    _decide(three_towns["town-a"], "a-tsuji", TSUJI, "sato")
    _decide(three_towns["town-b"], "b-tsuji", TSUJI_OTHER, "suzuki", "ito")
    summary = propose_corpus(corpus)
    assert summary["conflict_groups"] == 1 and summary["proposals"] == 0
    conflicts = {c["gaiji_id"]: c for c in read_table(corpus, "conflicts").to_pylist()}
    assert set(conflicts) == {"a-tsuji", "b-tsuji"}
    assert conflicts["a-tsuji"]["own_decision"] == "MJ025760"
    assert "MJ025761" in conflicts["a-tsuji"]["decisions"] and "suzuki" in conflicts["a-tsuji"]["decisions"]


def test_auto_accepted_decisions_are_not_reused_unless_asked(tmp_path, three_towns):
    corpus = _grouped(tmp_path, three_towns)
    store = ReviewStore.open(three_towns["town-a"])
    try:
        store.record_auto_accept("a-taka", {**TAKA, "rank": 1}, reference_version="test")
    finally:
        store.close()
    assert propose_corpus(corpus)["proposals"] == 0
    assert propose_corpus(corpus, include_auto=True)["proposals"] == 2


def test_a_decision_for_an_added_sets_entry_is_reused_as_that_entry_not_as_no_match(tmp_path, three_towns):
    corpus = _grouped(tmp_path, three_towns)
    entry = {"ref_set": "MJplus", "ref_id": "JX0001", "char": "髙", "ucs": "U+9AD9"}
    _decide(three_towns["town-a"], "a-taka", entry)
    store = ReviewStore.open(three_towns["town-b"])
    try:  # another town said 該当なし for the same glyph: that is a conflict, not agreement
        store.record_decision("b-taka", "sato", None, "該当なし")
        store.record_decision("b-taka", "tanaka", None, "該当なし")
    finally:
        store.close()
    summary = propose_corpus(corpus)
    assert summary["conflict_groups"] == 1
    conflicts = {c["gaiji_id"]: c for c in read_table(corpus, "conflicts").to_pylist()}
    assert conflicts["a-taka"]["own_decision"] == "MJplus:JX0001"
    assert "該当なし" in conflicts["a-taka"]["decisions"]


def test_a_proposal_says_what_was_decided_even_without_an_mj_number(tmp_path, three_towns):
    """An added set's entry and 該当なし have no MJ number: the proposal's ``decision`` names them,
    in the table, in each set's CSV and as the desk reads it."""
    from gaiji.review.proposals import load_proposals

    corpus = _grouped(tmp_path, three_towns)
    _decide(three_towns["town-a"], "a-taka", {"ref_set": "MJplus", "ref_id": "JX0001", "char": "髙", "ucs": "U+9AD9"})
    store = ReviewStore.open(three_towns["town-a"])
    try:
        store.record_decision("a-tsuji", "sato", None, "該当なし")
        store.record_decision("a-tsuji", "tanaka", None, "該当なし")
    finally:
        store.close()
    propose_corpus(corpus)
    props = {p["gaiji_id"]: p for p in read_table(corpus, "proposals").to_pylist()}
    assert props["b-taka"]["mj"] == "" and props["b-taka"]["decision"] == "MJplus:JX0001"
    assert props["b-tsuji"]["mj"] == "" and props["b-tsuji"]["decision"] == "該当なし"
    shown = load_proposals(corpus / "proposals" / "town-b.csv")
    assert shown["b-taka"]["decision"] == "MJplus:JX0001" and shown["b-tsuji"]["decision"] == "該当なし"


def test_the_desk_reads_a_proposals_file_written_before_the_decision_column(tmp_path):
    from gaiji.review.proposals import load_proposals

    old = tmp_path / "town.csv"
    old.write_text("kind,gaiji_id,mj,char,basis,group_id\nproposal,g1,MJ028902,髙,same glyph,G1\n", encoding="utf-8")
    assert load_proposals(old)["g1"]["decision"] == "MJ028902"
