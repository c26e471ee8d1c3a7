"""Cross-design families: groups ranked to the same MJ glyph are one review item; a family
decision is proposed (never decided) for the other designs; two characters never share one."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from gaiji.corpus.family import (
    MIN_SIBLING_CONFIDENCE,
    MIN_UCS_CONFIDENCE,
    MIN_UNCONTESTED_UCS_CONFIDENCE,
    RIVAL_RANKS,
    form_families,
    rival_in_corpus,
    why_not_in_family,
)
from gaiji.corpus.reuse import MemberDecision, propose
from gaiji.match.synth import FontRenderer, FontSpec
from tests.corpus.helpers import bitmap, in_cell, write_set
from tests.corpus.test_reuse import _decide

GOTHIC = FontRenderer(FontSpec("BIZUDGothic", Path("/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf"),
                               "gothic"))
# 崎 髙 榮 櫻: one MJ glyph each; 濵 邊: many variants, which the two designs rank differently
CHARS = "崎髙榮櫻濵邊"
SAKI = {"mj": "MJ010541", "char": "崎", "ucs": "U+5D0E", "ivs": ""}


def gothic_bitmap(char: str, px: int) -> np.ndarray:
    img = GOTHIC.render(char, px, antialias=False)
    assert img is not None, f"BIZ UDGothic lacks {char!r}"
    ys, xs = np.nonzero(img)
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@pytest.fixture()
def two_designs(tmp_path: Path) -> Path:
    """Three towns: two share a Hanazono Mincho library (one shifted in a bigger cell), one
    draws the same characters in BIZ UDGothic — another design no shape grouping joins."""
    from gaiji.corpus.family import families_corpus
    from gaiji.corpus.group import group_corpus
    from gaiji.corpus.match import match_set_exact, plan_match
    from gaiji.corpus.pipeline import resolved_home
    from gaiji.corpus.prepare import plan_prepare, prepare_partition
    from gaiji.corpus.registry import add_sets, read_registry

    sets = {
        "mincho-a": {f"a-{i}": in_cell(bitmap(c, 24), 24) for i, c in enumerate(CHARS)},
        "gothic-b": {f"b-{i}": in_cell(gothic_bitmap(c, 24), 24) for i, c in enumerate(CHARS)},
        "mincho-c": {f"c-{i}": in_cell(bitmap(c, 24), 26, 1, 0) for i, c in enumerate(CHARS)},
    }
    corpus = tmp_path / "corpus"
    for k, (name, glyphs) in enumerate(sets.items()):
        write_set(tmp_path / name, glyphs)
        add_sets(corpus, [tmp_path / name], municipality=f"町{k}", code=f"0{k + 1}100",
                 vendor="明朝社" if name.startswith("mincho") else "ゴシック社")
    for part in plan_prepare(corpus, read_registry(corpus)):
        prepare_partition(part)
    group_corpus(corpus)
    for job in plan_match(corpus, read_registry(corpus), home=resolved_home(None), index_key="test").sets:
        match_set_exact(job)
    families_corpus(corpus)
    return corpus


def _char_of(gaiji_id: str) -> str:
    return CHARS[int(gaiji_id.split("-")[1])]


@pytest.mark.reference
def test_a_family_joins_two_designs_of_one_character(two_designs):
    from gaiji.corpus.tables import read_table

    mem = {m["gaiji_id"]: m for m in read_table(two_designs, "memberships").to_pylist()}
    # shape grouping: the Mincho bitmap in two towns is one group, the Gothic design another
    assert mem["a-0"]["group_id"] == mem["c-0"]["group_id"] != mem["b-0"]["group_id"]
    fam = [r for r in read_table(two_designs, "family_groups").to_pylist() if r["mj"] == SAKI["mj"]]
    assert {r["group_id"] for r in fam} == {mem["a-0"]["group_id"], mem["b-0"]["group_id"]}
    assert [r["order"] for r in sorted(fam, key=lambda r: r["size"], reverse=True)] == [0, 1]  # largest first
    assert all(r["ucs_confidence"] >= MIN_UCS_CONFIDENCE for r in fam)
    assert "same MJ glyph at rank 1 (MJ010541 崎) as 1 other group in F-MJ010541: 2 designs from 2 vendors, " \
           "3 gaiji in 3 municipalities" in fam[0]["evidence"]
    summary = {r["family_id"]: r for r in read_table(two_designs, "families").to_pylist()}
    assert summary["F-MJ010541"]["groups"] == 2 and summary["F-MJ010541"]["gaiji"] == 3
    assert summary["F-MJ010541"]["vendors"] == 2


@pytest.mark.reference
def test_two_characters_never_share_a_family(two_designs):
    from gaiji.corpus.tables import read_table

    rows = read_table(two_designs, "family_groups").to_pylist()
    mem = read_table(two_designs, "memberships").to_pylist()
    chars_of_group: dict[str, set[str]] = {}
    for m in mem:
        chars_of_group.setdefault(m["group_id"], set()).add(_char_of(m["gaiji_id"]))
    by_family: dict[str, set[str]] = {}
    for r in rows:
        by_family.setdefault(r["family_id"], set()).update(chars_of_group[r["group_id"]])
    assert len(by_family) >= 3  # 崎 髙 榮 櫻 in both designs: families do form
    assert all(len(chars) == 1 for chars in by_family.values()), by_family
    # 濵 and 邊: each design's rank 1 is contested by another variant — never merged
    in_family = {r["group_id"] for r in rows}
    for gid in ("a-4", "b-4", "a-5", "b-5"):
        assert next(m["group_id"] for m in mem if m["gaiji_id"] == gid) not in in_family


def _rank1(mj: str, *, stratum: str = "mid/distinct", ucs: float = 0.99, no_match: float = 0.01,
           ref_set: str = "MJ", confidence: float = 0.95) -> dict[str, str]:
    return {"mj": mj, "char": "字", "ucs": "U+5B57", "ivs": "", "confidence": str(confidence),
            "ucs_confidence": str(ucs), "no_match": str(no_match), "stratum": stratum, "auto_accept": "0",
            "ref_set": ref_set}


def _groups(n: int) -> tuple[list[dict], list[dict]]:
    groups = [{"group_id": f"G{k}", "size": 2, "sets": 2, "municipalities": 2, "representative_set": f"s{k}",
               "representative_gaiji": f"g{k}-0", "representative_municipality": f"0{k}100"} for k in range(n)]
    mem = [{"municipality": f"0{k}100" if j == 0 else "09100", "set": f"s{k}" if j == 0 else "s9",
            "gaiji_id": f"g{k}-{j}", "group_id": f"G{k}", "relation": "representative" if j == 0 else "identical"}
           for k in range(n) for j in range(2)]
    return groups, mem


def test_only_trustworthy_rank1_glyphs_join_and_never_two_glyphs():
    groups, mem = _groups(7)
    rank1 = {
        ("s0", "g0-0"): _rank1("MJ000001"), ("s1", "g1-0"): _rank1("MJ000001"),
        ("s2", "g2-0"): _rank1("MJ000002"),  # another glyph: not with the first two
        ("s3", "g3-0"): _rank1("MJ000001", stratum="mid/siblings"),
        ("s4", "g4-0"): _rank1("MJ000001", ucs=MIN_UCS_CONFIDENCE - 0.01),
        ("s5", "g5-0"): _rank1("MJ000001", no_match=0.3),
        ("s6", "g6-0"): _rank1("", ref_set="town-list"),
    }
    fams = form_families(groups, mem, rank1, {})
    rows = fams.family_groups.to_pylist()
    assert fams.count == 1 and {r["group_id"] for r in rows} == {"G0", "G1"}
    assert {r["mj"] for r in rows} == {"MJ000001"}
    assert why_not_in_family(rank1[("s3", "g3-0")]).startswith("sibling-contested")
    assert why_not_in_family(rank1[("s4", "g4-0")]).startswith("ucs_confidence")
    assert why_not_in_family(rank1[("s5", "g5-0")]).startswith("該当なし suggested")
    assert why_not_in_family(rank1[("s6", "g6-0")]) == "no MJ glyph at rank 1"


def _alt(mj: str, rank: int, *, ucs: str = "U+5B57") -> dict[str, str]:
    return {"mj": mj, "ucs": ucs, "char": "字" if ucs == "U+5B57" else "存", "rank": str(rank)}


def test_uncontested_groups_join_unless_a_rival_glyph_is_another_groups_rank1():
    groups, mem = _groups(9)
    sure_variant = max(MIN_SIBLING_CONFIDENCE + 0.005, 0.995)
    weak_char = (MIN_UNCONTESTED_UCS_CONFIDENCE + MIN_UCS_CONFIDENCE) / 2
    rank1 = {
        ("s0", "g0-0"): _rank1("MJ000001"), ("s1", "g1-0"): _rank1("MJ000001"),
        # sibling-contested, sure of its variant; the other variant MJ000009 is nobody's rank 1: joins
        ("s2", "g2-0"): _rank1("MJ000001", stratum="mid/siblings", confidence=sure_variant),
        # the same, less sure of its variant: stays out
        ("s3", "g3-0"): _rank1("MJ000001", stratum="mid/siblings", confidence=MIN_SIBLING_CONFIDENCE - 0.01),
        # unsure of its character, and its rank 2 (another character) is G5's rank 1: stays out
        ("s4", "g4-0"): _rank1("MJ000001", ucs=weak_char),
        ("s5", "g5-0"): _rank1("MJ000002"),
        # unsure of its character, no rival in the corpus (its rival beyond RIVAL_RANKS does not count): joins
        ("s6", "g6-0"): _rank1("MJ000001", ucs=weak_char),
        # too unsure even without a rival
        ("s7", "g7-0"): _rank1("MJ000001", ucs=MIN_UNCONTESTED_UCS_CONFIDENCE - 0.01),
        # sure of its variant and uncontested, but no other group ranks MJ000008 first: no family of one
        ("s8", "g8-0"): _rank1("MJ000008", stratum="mid/siblings", confidence=sure_variant),
    }
    alternatives = {
        ("s2", "g2-0"): [_alt("MJ000009", 2), _alt("MJ000002", 3, ucs="U+5B58")],
        ("s3", "g3-0"): [_alt("MJ000009", 2)],
        ("s4", "g4-0"): [_alt("MJ000002", 2, ucs="U+5B58")],
        ("s6", "g6-0"): [_alt("MJ000003", 2, ucs="U+5B58"), _alt("MJ000002", RIVAL_RANKS + 1, ucs="U+5B58")],
        ("s7", "g7-0"): [],
        ("s8", "g8-0"): [],
    }
    # a sibling's rival is another *variant*; a glyph of another character (MJ000002 at rank 3) is not
    assert rival_in_corpus(rank1[("s2", "g2-0")], alternatives[("s2", "g2-0")], {"MJ000001", "MJ000002"}) == ""
    assert rival_in_corpus(rank1[("s2", "g2-0")], alternatives[("s2", "g2-0")], {"MJ000009"}) == "MJ000009 字"
    fams = form_families(groups, mem, rank1, {}, alternatives)
    rows = {r["group_id"]: r for r in fams.family_groups.to_pylist()}
    assert set(rows) == {"G0", "G1", "G2", "G6"} and fams.count == 1
    assert {r["mj"] for r in rows.values()} == {"MJ000001"}
    assert (rows["G0"]["admission"], rows["G2"]["admission"], rows["G6"]["admission"]) == (
        "confident", "uncontested", "uncontested")
    assert "uncontested: no rival glyph on its shortlist is another group's rank 1" in rows["G2"]["evidence"]
    assert "2 of them uncontested" in fams.families.to_pylist()[0]["evidence"]
    assert "confidence" in why_not_in_family(rank1[("s3", "g3-0")], "")
    assert why_not_in_family(rank1[("s4", "g4-0")], "MJ000002 存").endswith(
        "MJ000002 存 on its shortlist is the rank 1 of another group")
    assert why_not_in_family(rank1[("s7", "g7-0")], "").endswith("(no rival in the corpus)")
    # without the shortlists (the corpus not known) only confident groups join
    strict = form_families(groups, mem, rank1, {})
    assert {r["group_id"] for r in strict.family_groups.to_pylist()} == {"G0", "G1"}


def _decision(set_name: str, gaiji_id: str, mj: str) -> MemberDecision:
    return MemberDecision(set_name, gaiji_id, mj, "字", "U+5B57", "", "字形一致", "sato", "suzuki")


def test_a_family_decision_is_proposed_to_undecided_groups_and_a_split_group_keeps_its_own():
    groups, mem = _groups(3)
    rank1 = {(g["representative_set"], g["representative_gaiji"]): _rank1("MJ000001") for g in groups}
    fams = form_families(groups, mem, rank1, {"s0": "A社", "s1": "B社", "s2": "C社", "s9": "A社"})
    table = pa.Table.from_pylist(mem)
    # G0 decided as the family's glyph; G1 decided as another one (split off); G2 undecided
    reuse = propose(table, [_decision("s0", "g0-0", "MJ000001"), _decision("s1", "g1-0", "MJ000009")],
                    fams.family_groups)
    props = {p["gaiji_id"]: p for p in reuse.proposals.to_pylist()}
    assert props["g0-1"]["reuse"] == "group" and props["g0-1"]["mj"] == "MJ000001"
    assert props["g1-1"]["reuse"] == "group" and props["g1-1"]["mj"] == "MJ000009"  # the split group's own
    assert props["g2-0"]["reuse"] == props["g2-1"]["reuse"] == "family"
    assert props["g2-0"]["mj"] == "MJ000001" and props["g2-0"]["family_id"] == "F-MJ000001"
    assert "same MJ glyph at rank 1 as 2 other groups (3 designs from 3 vendors, family F-MJ000001)" in props["g2-0"]["basis"]
    assert "1 group(s) of this family were decided otherwise and split off" in props["g2-0"]["basis"]
    assert (reuse.family_proposals, reuse.families_decided, reuse.split_groups) == (2, 1, 1)
    # a decision other than the family's glyph confirms nothing: no proposal across designs
    only_split = propose(table, [_decision("s1", "g1-0", "MJ000009")], fams.family_groups)
    assert {p["reuse"] for p in only_split.proposals.to_pylist()} == {"group"}
    assert only_split.family_proposals == 0


@pytest.mark.reference
def test_family_decision_is_proposed_never_decided_and_exported(two_designs, tmp_path, reference):
    from gaiji.corpus.export import export_corpus
    from gaiji.corpus.reuse import propose_corpus
    from gaiji.corpus.status import corpus_status

    sets = {e: two_designs.parent / e for e in ("mincho-a", "gothic-b", "mincho-c")}
    _decide(sets["mincho-a"], "a-0", SAKI)
    summary = propose_corpus(two_designs)
    assert summary["family_proposals"] == 1 and summary["families_decided"] == 1
    with open(two_designs / "proposals" / "gothic-b.csv", encoding="utf-8") as fh:
        rows = {r["gaiji_id"]: r for r in csv.DictReader(fh)}
    assert rows["b-0"]["kind"] == "proposal" and rows["b-0"]["mj"] == SAKI["mj"]
    assert rows["b-0"]["reuse"] == "family" and rows["b-0"]["family_id"] == "F-MJ010541"
    assert "decided MJ010541 by sato (checked by tanaka)" in rows["b-0"]["basis"]
    assert not (sets["gothic-b"] / "review.sqlite").exists()  # a proposal is never a decision
    with open(two_designs / "proposals" / "mincho-c.csv", encoding="utf-8") as fh:
        assert {r["gaiji_id"]: r["reuse"] for r in csv.DictReader(fh)}["c-0"] == "group"
    status = corpus_status(two_designs)
    assert status["families"] >= 3 and status["groups_in_families"] == 2 * status["families"]
    out = tmp_path / "export"
    res = export_corpus(two_designs, out, reference=reference)
    assert res["families"] == status["families"]
    with open(out / "national_families.csv", encoding="utf-8") as fh:
        sheet = [r for r in csv.DictReader(fh) if r["family_id"] == "F-MJ010541"]
    assert [(r["representative_gaiji"], r["group_status"], r["family_status"]) for r in sheet] == [
        ("a-0", "confirmed", "confirmed"), ("b-0", "open", "confirmed")]
    assert all(Path(r["representative_image"]).is_file() for r in sheet)
    with open(out / "national_groups.csv", encoding="utf-8") as fh:
        groups = {r["representative_gaiji"]: r for r in csv.DictReader(fh)}
    assert groups["b-0"]["family_id"] == "F-MJ010541"
    assert groups["a-4"]["family_id"] == "" and "sibling-contested" in groups["a-4"]["family_note"]
    assert "is the rank 1 of another group" in groups["a-4"]["family_note"]  # its rival, as families were formed


@pytest.mark.reference
def test_two_designs_ranking_different_variants_are_each_others_rival(two_designs):
    """濵 and 邊 (many MJ variants): the Mincho and the Gothic design rank different variants
    first, so each is the other's rival and neither joins a family, however sure it is."""
    from gaiji.corpus.family import read_shortlists
    from gaiji.corpus.tables import read_table

    groups = read_table(two_designs, "groups").to_pylist()
    rank1, alternatives = read_shortlists(two_designs, {g["representative_set"] for g in groups})
    glyphs = {rank1[(g["representative_set"], g["representative_gaiji"])]["mj"] for g in groups}
    in_family = {r["group_id"] for r in read_table(two_designs, "family_groups").to_pylist()}
    by_rep = {g["representative_gaiji"]: g for g in groups}
    rivals = {}
    for rep in ("a-4", "b-4", "a-5", "b-5"):
        g = by_rep[rep]
        key = (g["representative_set"], rep)
        rivals[rep] = rival_in_corpus(rank1[key], alternatives.get(key, []), glyphs)
        assert rank1[key]["stratum"].endswith("siblings")
        assert g["group_id"] not in in_family
        assert "is the rank 1 of another group" in why_not_in_family(rank1[key], rivals[rep])
    for a, b in (("a-4", "b-4"), ("a-5", "b-5")):  # each design's rank 1 is the other's rival
        assert rivals[a].split()[0] == rank1[(by_rep[b]["representative_set"], b)]["mj"]
        assert rivals[b].split()[0] == rank1[(by_rep[a]["representative_set"], a)]["mj"]
