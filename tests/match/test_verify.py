"""The shortlist verifier: its pair features on drawn shapes, and its decisions on real glyph pairs.

The real pairs are the ones a reviewer dreads: 辻 with one dot or two, 髙 and 高, 𠮷 and 吉,
粴 (米偏) and 梩 (木偏). Queries are Hanazono Mincho renderings (a benchmark design the matcher
never learned from), ranked by the full v2 matcher against the real IPAmj reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from gaiji.match.trust import NO_MATCH_SUGGEST
from gaiji.match.verify import (
    FEATURE_NAMES,
    PAIR_DIM,
    _cell_counts,
    _grow,
    _pack,
    _shift_by_slices,
    align_stored,
    ink_profiles,
    pair_features,
    pooled32,
)


def _pair(query: np.ndarray, cand: np.ndarray) -> dict[str, float]:
    z = np.zeros(1, np.float32)
    raw = np.zeros((1, 512), np.float32)
    f = pair_features(query[None], cand[None], raw, raw, projected_cosine=z, rerank_score=z, below_best=z,
                      above_next=z, side=np.array([64.0]))
    assert f.shape == (1, PAIR_DIM)
    return dict(zip(FEATURE_NAMES, f[0].tolist()))


def _cross() -> np.ndarray:
    a = np.zeros((32, 32), np.float32)
    a[4:28, 14:17] = 1
    a[14:17, 4:28] = 1
    return a


def test_identical_glyphs_have_no_extra_ink():
    f = _pair(_cross(), _cross())
    assert f["extra_ink_query_1px"] == 0 and f["extra_ink_cand_1px"] == 0
    assert f["iou"] == pytest.approx(1.0)


def test_a_missing_dot_shows_as_a_local_blob_on_the_side_that_has_it():
    dotted = _cross()
    dotted[4:7, 4:7] = 1  # a dot far from every stroke
    f = _pair(_cross(), dotted)
    assert f["blob_cand_2px"] > 0.1 > f["blob_query_2px"]
    g = _pair(dotted, _cross())
    assert g["blob_query_2px"] > 0.1 > g["blob_cand_2px"]


def test_a_one_pixel_shift_is_aligned_away():
    moved = np.roll(_cross(), 1, axis=1)
    f = _pair(_cross(), moved)
    assert f["extra_ink_query_1px"] == 0 and f["shift"] >= 1


def test_dilation_matches_scipy():
    from scipy.ndimage import binary_dilation

    rng = np.random.default_rng(1)
    masks = (rng.random((5, 32, 32)) > 0.93).astype(np.uint8)
    for radius in (1, 2):
        mine = np.unpackbits(_grow(_pack(masks.astype(bool)), radius).astype(">u4").view(np.uint8),
                             axis=1).reshape(5, 32, 32)
        theirs = np.stack([binary_dilation(m, np.ones((2 * radius + 1,) * 2), border_value=0) for m in masks])
        assert np.array_equal(mine.astype(bool), theirs)


def test_shift_images_moves_each_image_by_its_own_offset():
    img = np.zeros((2, 32, 32), np.float32)
    img[:, 10, 10] = 1
    out = _shift_by_slices(img, np.array([1, -2]), np.array([0, 2]))
    assert out[0, 11, 10] == 1 and out[1, 8, 12] == 1 and out.sum() == 2


def test_cell_counts_count_each_8x8_cells_pixels():
    rng = np.random.default_rng(2)
    masks = rng.random((6, 32, 32)) > 0.5
    masks[0] = True  # a full cell holds 64
    masks[1] = False
    expected = masks.reshape(6, 4, 8, 4, 8).sum(axis=(2, 4)).reshape(6, 16)
    assert np.array_equal(_cell_counts(_pack(masks)), expected.astype(np.float32))


def test_alignment_with_given_profiles_is_the_alignment_without():
    rng = np.random.default_rng(3)
    stored = (rng.random((40, 32, 32)) > 0.7).astype(np.uint8) * 255
    queries = np.roll(stored.astype(np.float32) / 255, 1, axis=2)[rng.permutation(40)]
    qx, qy = ink_profiles(queries)
    sx, sy = ink_profiles(stored)
    picked = rng.integers(0, 40, 40)
    # a reference glyph's profiles worked out once for all of them, then gathered
    given = align_stored(queries, stored[picked], query_profiles=(qx, qy), cand_profiles=(sx[picked], sy[picked]))
    plain = align_stored(queries, stored[picked])
    for a, b in zip(given, plain):
        assert np.array_equal(a, b)


def test_pooled32_keeps_ink_mass():
    r = np.zeros((1, 64, 64), np.uint8)
    r[0, 10:20, 10:20] = 255
    assert pooled32(r).sum() == pytest.approx(25.0)


# --- real glyph pairs through the whole v2 matcher ------------------------------------------



def _rank(match_index, images: list[np.ndarray], readings: list[str] | None = None):
    from gaiji.match.matcher import hints_for
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.verified import rank_rasters_verified

    prepared = [query_raster_and_side(255 - img) for img in images]
    rasters = np.stack([p[0] for p in prepared])
    sides = np.array([p[1] for p in prepared])
    hints = None if readings is None else [hints_for(r, {}) for r in readings]
    return rank_rasters_verified(match_index, rasters, hints, sides=sides)


def _hana_b():
    from gaiji.match.bench import HANAZONO_B
    from gaiji.match.synth import FontRenderer

    return FontRenderer(HANAZONO_B)


@pytest.mark.reference
@pytest.mark.parametrize("text", ["髙", "高", "粴", "梩"])
def test_verifier_tells_lookalike_characters_apart(match_index, hanazono, text):
    ranked = _rank(match_index, [hanazono.render(text, 96)])
    top = match_index.rows[int(ranked.rows[0, 0])]
    assert top.base_char == text, f"{text} ranked as {top.char} ({top.mj})"
    assert 0.0 <= ranked.score.min() and ranked.score.max() <= 1.0


@pytest.mark.reference
def test_verifier_tells_tsuchiyoshi_from_yoshi(match_index):
    hana_b = _hana_b()
    for text, font in (("𠮷", hana_b), ("吉", None)):
        from gaiji.match.bench import HANAZONO_A
        from gaiji.match.synth import FontRenderer

        renderer = font or FontRenderer(HANAZONO_A)
        ranked = _rank(match_index, [renderer.render(text, 96)])
        assert match_index.rows[int(ranked.rows[0, 0])].base_char == text


@pytest.mark.reference
def test_verifier_picks_the_right_variant_of_tsuji(match_index, hanazono):
    """辻 has MJ glyphs with one-dot and two-dot 辶; each Hanazono IVS glyph must find its own."""
    rows = [i for i, r in enumerate(match_index.rows) if r.base_char == "辻" and r.ivs]
    assert len(rows) >= 2
    tried = 0
    for row in rows:
        char = match_index.rows[row].char
        if not hanazono.has(char):
            continue
        tried += 1
        ranked = _rank(match_index, [hanazono.render(char, 96)])
        assert int(ranked.rows[0, 0]) == row, f"{char!r} ranked as {match_index.rows[int(ranked.rows[0, 0])].mj}"
        sibling = [j for j in range(ranked.rows.shape[1]) if int(ranked.rows[0, j]) in rows and j > 0]
        assert sibling and ranked.verify_score[0, 0] > ranked.verify_score[0, sibling[0]]
    assert tried >= 2


@pytest.mark.reference
def test_a_reading_never_raises_confidence_between_siblings(match_index, hanazono):
    """The variant factor of confidence ignores readings; only the character factor may use them."""
    rows = [r for r in match_index.rows if r.base_char == "辻" and r.ivs]
    img = hanazono.render(rows[0].char, 96)
    plain = _rank(match_index, [img])
    with_reading = _rank(match_index, [img], ["つじ"])
    assert int(plain.rows[0, 0]) == int(with_reading.rows[0, 0])
    variant_plain = plain.confidence[0, 0] / plain.ucs_confidence[0]
    variant_read = with_reading.confidence[0, 0] / with_reading.ucs_confidence[0]
    assert variant_read == pytest.approx(variant_plain, rel=1e-6)
    # siblings keep the verifier's order and their scores stay in [0, 1]
    assert with_reading.score.max() <= 1.0


@pytest.mark.reference
def test_mirrored_and_turned_glyphs_are_not_accepted(match_index, hanazono):
    """Edited glyphs no MJ character is drawn like (the sample municipality's 5 such gaiji)."""
    images = []
    for text in ("鷗", "齋", "鷹", "﨑", "辻", "櫻", "鶴", "龍"):  # none left-right symmetric
        img = hanazono.render(text, 80)
        images += [np.ascontiguousarray(img[:, ::-1]), np.ascontiguousarray(img[::-1, :])]
    ranked = _rank(match_index, images)
    assert not ranked.auto_accept.any()
    assert np.mean(ranked.no_match >= NO_MATCH_SUGGEST) >= 0.5  # most are suggested as 該当なし


@pytest.mark.reference
def test_characters_ipamj_lacks_are_rarely_accepted_and_mostly_suggested_as_missing(match_index):
    """Characters of CJK Ext. B+ that MJ lacks. The issue's target is that none is accepted; the
    measured rate is about 1.5 % (look-alikes such as 𡤞 for 䶯, see benchmarks/MATCH.md): this
    test holds the line at 1 of 40 and checks 該当なし is suggested for most."""
    from gaiji.match.bench import no_equivalent_chars

    mj_chars = {r.base_char for r in match_index.rows if r.base_char}
    absent = no_equivalent_chars([_hana_b()], mj_chars)
    assert len(absent) > 100
    picks = [absent[i] for i in np.random.default_rng(3).choice(len(absent), 40, replace=False)]
    ranked = _rank(match_index, [r.render(c, 64) for c, r in picks])
    assert int(ranked.auto_accept.sum()) <= 1
    assert np.mean(ranked.no_match >= NO_MATCH_SUGGEST) > 0.75


@pytest.mark.reference
def test_a_few_rows_profiles_are_summed_alone_and_equal_the_gathered_ones(match_index):
    import dataclasses

    fresh = dataclasses.replace(match_index, _pooled_profiles=None)
    rows = np.array([[0, 5, 17], [1234, 5, 40000]])
    few = fresh.pooled_profiles_of(rows)
    assert fresh._pooled_profiles is None  # a few rows do not pay for every glyph's profiles
    every = fresh.pooled_profiles_of(np.arange(len(fresh.pooled)))
    assert fresh._pooled_profiles is not None
    for a, b in zip(few, every):
        assert np.array_equal(a, b[rows.reshape(-1)])
