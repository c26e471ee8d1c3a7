"""Same-glyph MJ entries (gaiji.match.twins): found from the MJ table's notes and identical
rasters, listed together in a documented order, named in the evidence, never auto-accepted."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from gaiji.match.ranking import RankedBatch
from gaiji.match.twins import SameGlyphGroups, _preference_key, apply_tie_rule, same_glyph_groups


def _batch(rows: list[list[int]]) -> RankedBatch:
    r = np.array(rows, np.int64)
    s = np.tile(np.linspace(0.9, 0.5, r.shape[1]), (len(r), 1))
    z = np.zeros_like(s)
    return RankedBatch(rows=r, score=s, image_score=s + 0.01, rerank_score=s, reading_score=z,
                       radical_strokes_score=z, gap=z, confidence=z, auto_accept=np.array([True] * len(r)),
                       reading_matched=[[str(x) for x in row] for row in rows])


def test_a_group_is_listed_together_in_preference_order() -> None:
    groups = SameGlyphGroups(groups=((100, 7),), sources=("note",))
    out = apply_tie_rule(_batch([[5, 7, 9], [7, 3, 4], [1, 2, 3]]), groups)
    assert out.rows.tolist() == [[5, 100, 7], [100, 7, 3], [1, 2, 3]]
    # the absent twin takes its member's picture evidence; the member keeps its own
    assert out.score[0].tolist() == pytest.approx([0.9, 0.7, 0.7])
    assert out.reading_matched[0] == ["5", "7", "7"]
    # a same-glyph entry at rank 1 is a reviewer's call; others are untouched
    assert out.auto_accept.tolist() == [True, False, True]


@pytest.mark.reference
def test_groups_of_the_real_reference(reference) -> None:
    groups = same_glyph_groups(reference)
    by_mj = {reference.mj_ids[g[0]]: [reference.mj_ids[m] for m in g] for g in groups.groups}
    # declared by the MJ table's notes
    assert by_mj["MJ059042"] == ["MJ059042", "MJ059043"]  # 059043 has no 戸籍統一文字番号
    assert by_mj["MJ040580"] == ["MJ040580", "MJ040579"]
    assert by_mj["MJ033215"] == ["MJ033215", "MJ033216"]  # both 戸籍; 033215 drawn at the plain code point
    note_groups = sum("note" in s for s in groups.sources)
    assert note_groups >= 15
    for g in groups.groups:  # every group is in the documented order
        keys = [_preference_key(reference.record(m)) for m in g]
        assert keys == sorted(keys)
    # the raster-identical ones really are identical
    for g, source in zip(groups.groups, groups.sources):
        if source == "raster":
            first = np.asarray(reference.rasters[g[0]])
            assert all(np.array_equal(first, reference.rasters[m]) for m in g[1:])


@pytest.mark.reference
def test_a_gaiji_of_a_same_glyph_pair_lists_both_and_names_the_pair(reference, match_index, tmp_path: Path) -> None:
    from gaiji.extract.build import extract_gaiji_set
    from gaiji.match import match_gaiji_set, write_candidates
    from gaiji.match.writer import read_candidates

    images = tmp_path / "images"
    images.mkdir()
    reference.glyph_image("MJ033216", 64).save(images / "pair.png")
    extract_gaiji_set([images], tmp_path / "set")
    write_candidates(match_gaiji_set(tmp_path / "set", reference, ref_sets=[]), tmp_path / "c.csv")
    rows = read_candidates(tmp_path / "c.csv")
    assert [(r["mj"], r["same_glyph_as"]) for r in rows[:2]] == [("MJ033215", "MJ033216"), ("MJ033216", "MJ033215")]
    assert rows[0]["auto_accept"] == "0"
    assert all(r["same_glyph_as"] == "" for r in rows[2:] if r["mj"] not in ("MJ033215", "MJ033216"))
    with (tmp_path / "c.csv").open(encoding="utf-8") as fh:
        assert "same_glyph_as" in next(csv.reader(fh))
