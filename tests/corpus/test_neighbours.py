"""Cross-design evidence: a group the matcher alone does not admit to a family joins it when
its nearest admitted designs in the corpus are of the same glyph — never another glyph's."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gaiji.corpus.family import MIN_UCS_CONFIDENCE, form_families, representative_features
from gaiji.corpus.neighbours import (
    AGREE,
    AGREE_SIBLING,
    MIN_COSINE,
    MIN_SIBLING_CONFIDENCE,
    design_vote,
    joins_by_design,
    nearest_designs,
    unit_rows,
)
from gaiji.corpus.neighbours import (
    MIN_UCS_CONFIDENCE as MIN_DESIGN_UCS,
)
from gaiji.errors import InputError
from tests.corpus.helpers import bitmap, in_cell
from tests.corpus.test_family import _rank1, two_designs  # noqa: F401  (fixture)

CHARS = "崎髙榮櫻"
SIZES = (24, 28, 16)  # two sizes the matcher is sure of, one it is not


@pytest.fixture(scope="module")
def hanazono_features(tmp_path_factory) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """The matcher's own features of real Hanazono glyphs, each character at three sizes."""
    from gaiji.match.matcher import prepare_queries

    d = tmp_path_factory.mktemp("designs")
    paths, labels = [], []
    for px in SIZES:
        for c in CHARS:
            p = d / f"{ord(c):x}-{px}.png"
            Image.fromarray(255 - in_cell(bitmap(c, px), px)).save(p)
            paths.append(str(p))
            labels.append((c, px))
    _, feats, _ = prepare_queries(paths, workers=1)
    return feats, labels


def test_design_vote_counts_admitted_designs_of_one_glyph_nearest_first():
    admitted = ["MJ1", "MJ1", "", "MJ2", "MJ1"]
    assert design_vote([0.97, 0.95, 0.94, 0.9], [4, 1, 2, 3], admitted).agreeing == 2
    assert design_vote([0.97, 0.95, 0.94, 0.9], [3, 4, 1, 0], admitted).mj == "MJ2"  # the nearest decides
    assert design_vote([0.97, 0.95], [4, 1], admitted).cosine == pytest.approx(0.97)
    assert design_vote([0.9, 0.8], [2, -1], admitted) is None  # no admitted design among the neighbours


def test_real_glyphs_nearest_designs_are_the_same_character_at_other_sizes(hanazono_features):
    feats, labels = hanazono_features
    x = unit_rows(feats)
    small = [i for i, (_, px) in enumerate(labels) if px == 16]
    sims, idx = nearest_designs(x, small, k=AGREE)
    for row, i in enumerate(small):
        assert {labels[j][0] for j in idx[row]} == {labels[i][0]}, (labels[i], [labels[j] for j in idx[row]])
        assert i not in idx[row]  # a group is never its own neighbour
        assert sims[row][0] >= MIN_COSINE


def _groups(labels: list[tuple[str, int]]) -> tuple[list[dict], list[dict]]:
    groups = [{"group_id": f"G{k}", "size": 1, "sets": 1, "municipalities": 1, "representative_set": f"s{k}",
               "representative_gaiji": f"g{k}", "representative_municipality": f"{k:02d}100"}
              for k in range(len(labels))]
    mem = [{"municipality": f"{k:02d}100", "set": f"s{k}", "gaiji_id": f"g{k}", "group_id": f"G{k}",
            "relation": "representative"} for k in range(len(labels))]
    return groups, mem


def test_an_unsure_group_joins_the_family_of_its_designs_and_only_of_its_own_rank1(hanazono_features):
    feats, labels = hanazono_features
    groups, mem = _groups(labels)
    mj = {c: f"MJ00000{k + 1}" for k, c in enumerate(CHARS)}
    unsure = max(MIN_DESIGN_UCS, MIN_UCS_CONFIDENCE - 0.1)
    assert unsure < MIN_UCS_CONFIDENCE  # alone it joins no family
    rank1 = {}
    for k, (c, px) in enumerate(labels):
        rank1[(f"s{k}", f"g{k}")] = _rank1(mj[c]) if px != 16 else _rank1(mj[c], ucs=unsure)
    at16 = {c: next(k for k, (cc, px) in enumerate(labels) if cc == c and px == 16) for c in CHARS}
    # 榮 at 16 px ranked as 櫻: its designs vote 榮, which is not its rank 1 — it stays out
    rank1[(f"s{at16['榮']}", f"g{at16['榮']}")] = _rank1(mj["櫻"], ucs=unsure)
    # 髙 at 16 px too unsure of its character to be confirmed by anything
    rank1[(f"s{at16['髙']}", f"g{at16['髙']}")] = _rank1(mj["髙"], ucs=MIN_DESIGN_UCS - 0.05)
    # 櫻 at 16 px sibling-contested: needs more agreeing designs than the two the corpus has
    assert AGREE_SIBLING > 2
    rank1[(f"s{at16['櫻']}", f"g{at16['櫻']}")] = _rank1(mj["櫻"], stratum="mid/siblings",
                                                         confidence=MIN_SIBLING_CONFIDENCE + 0.01)
    fams = form_families(groups, mem, rank1, {}, features=feats)
    rows = {r["group_id"]: r for r in fams.family_groups.to_pylist()}
    joined = {labels[int(g[1:])] for g, r in rows.items() if r["admission"] == "designs"}
    assert joined == {("崎", 16)}
    saki = rows[f"G{at16['崎']}"]
    assert saki["mj"] == mj["崎"] and saki["family_id"] == f"F-{mj['崎']}"
    assert "2 nearest admitted designs in the corpus" in saki["evidence"]
    family = next(f for f in fams.families.to_pylist() if f["mj"] == mj["崎"])
    assert family["groups"] == 3 and "1 of them confirmed by their nearest designs" in family["evidence"]
    assert all(r["mj"] == mj[labels[int(g[1:])][0]] for g, r in rows.items())  # never another glyph's family
    # without the features only the matcher's own evidence counts
    alone = form_families(groups, mem, rank1, {})
    assert {r["admission"] for r in alone.family_groups.to_pylist()} == {"confident"}
    assert len(alone.family_groups) == 2 * len(CHARS)


def test_joins_need_an_admitted_design_and_the_feature_rows_to_match_the_groups():
    x = np.eye(3, dtype=np.float32)
    rows = [_rank1("MJ1", ucs=0.9)] * 3
    assert joins_by_design(x, rows, ["", "", ""]) == {}  # nothing admitted: nothing to vote
    groups, mem = _groups([("a", 1), ("b", 1)])
    with pytest.raises(ValueError, match="one row per group"):
        form_families(groups, mem, {}, {}, features=x)


@pytest.mark.reference
def test_representative_features_are_read_from_the_corpus_and_a_missing_one_is_an_error(two_designs):  # noqa: F811
    from gaiji.corpus.tables import read_table

    groups = read_table(two_designs, "groups").to_pylist()
    feats = representative_features(two_designs, groups)
    assert feats.shape == (len(groups), 512) and np.all(np.linalg.norm(feats, axis=1) > 0)
    with pytest.raises(InputError, match="missing from the gaiji table"):
        representative_features(two_designs, [*groups, {**groups[0], "representative_gaiji": "nope"}])



def test_the_approximate_search_above_the_exact_limit_finds_the_same_near_designs(monkeypatch):
    from gaiji.corpus import neighbours

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(40, 64)).astype(np.float32)
    x = unit_rows(np.repeat(centres, 3, axis=0) + 0.05 * rng.normal(size=(120, 64)).astype(np.float32))
    exact = nearest_designs(x, range(120), k=2)[1]
    monkeypatch.setattr(neighbours, "EXACT_SEARCH_MAX", 50)  # 120 rows: the IVF path
    approx = nearest_designs(x, range(120), k=2)[1]
    same_centre = [{int(j) // 3 for j in row} == {i // 3} for i, row in enumerate(approx)]
    assert sum(same_centre) >= 114  # each point's two near copies, nearly always
    assert (approx == exact).mean() > 0.9
