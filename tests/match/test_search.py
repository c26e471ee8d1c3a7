"""The matcher on real glyphs of a font it never learned from (Hanazono Mincho)."""

from __future__ import annotations

import numpy as np
import pytest

from gaiji.match.prepare import query_raster_and_side, remove_specks
from gaiji.match.ranking import rank_rasters


def ranked_mjs(match_index, images, **kw):
    prepared = [query_raster_and_side(img) for img in images]
    rasters = np.stack([p[0] for p in prepared])
    sides = np.array([p[1] for p in prepared])
    batch = rank_rasters(match_index, rasters, top_k=10, sides=sides, **kw)
    return [[match_index.rows[int(r)].mj for r in row] for row in batch.rows], batch


@pytest.mark.parametrize(
    ("char", "right", "sibling"),
    [
        ("辻\U000E0102", "MJ025760", "MJ025761"),  # 辻 one-dot 辶
        ("辻\U000E0103", "MJ025761", "MJ025760"),  # 辻 two-dot 辶
        ("髙", "MJ028902", "MJ028901"),  # 髙 (hashigo-daka) vs 高
    ],
)
def test_right_variant_outranks_its_sibling(match_index, hanazono, char, right, sibling):
    img = hanazono.render(char, 96)
    assert img is not None, f"Hanazono lacks {char!r}"
    (mjs,), _ = ranked_mjs(match_index, [img])
    assert mjs[0] == right
    assert sibling in mjs and mjs.index(sibling) > 0


def test_yoshi_tsuchi_beats_yoshi(match_index):
    from gaiji.match.bench import HANAZONO_B
    from gaiji.match.synth import FontRenderer

    img = FontRenderer(HANAZONO_B).render("\U00020BB7", 96)  # 𠮷 (土 on top), in Hanazono B
    (mjs,), _ = ranked_mjs(match_index, [img])
    base = {r.mj: r.base_char for r in match_index.rows}
    assert base[mjs[0]] == "\U00020BB7"
    assert all(base[m] != "\U00020BB7" or i == 0 for i, m in enumerate(mjs) if base[m] == "吉")


def test_bitmap_and_outline_agree(match_index, hanazono):
    """The same character as a 96 px outline and a 24 px 1-bit bitmap finds the same MJ; a
    14 px bitmap (searched through the small-bitmap projection) keeps it in the top 5 — at
    14 px 鴎 and its look-alike 𪀘 are a few pixels apart."""
    images = [hanazono.render("鴎", 96), hanazono.render("鴎", 24, antialias=False),
              hanazono.render("鴎", 14, antialias=False)]
    (outline, bitmap, small), _ = ranked_mjs(match_index, images)
    assert outline[0] == bitmap[0] == "MJ029458"
    assert "MJ029458" in small[:5]


def test_small_bitmaps_use_their_own_projection(match_index, hanazono):
    from gaiji.match.prepare import query_raster_and_side

    raster, side = query_raster_and_side(hanazono.render("樋", 12, antialias=False))
    assert 8 <= side <= 12
    with_side = rank_rasters(match_index, raster[None], sides=np.array([side]))
    without = rank_rasters(match_index, raster[None])
    assert not np.allclose(with_side.image_score, without.image_score)


def test_polarity_does_not_matter(match_index, hanazono):
    img = hanazono.render("榊", 64)
    (a, b), _ = ranked_mjs(match_index, [img, 255 - img])
    assert a[:3] == b[:3]


def test_specks_are_removed_from_large_images_only():
    big = np.zeros((100, 100), np.float32)
    big[20:80, 48:52] = 1
    big[3, 95] = 1
    assert remove_specks(big)[3, 95] == 0 and remove_specks(big)[50, 50] == 1
    small = np.zeros((12, 12), np.float32)
    small[2:10, 5] = 1
    small[1, 1] = 1  # in a 12 px bitmap this could be a dot of the character
    assert remove_specks(small)[1, 1] == 1


def test_scores_sorted_and_gap_consistent(match_index, hanazono):
    _, batch = ranked_mjs(match_index, [hanazono.render("峯", 80), hanazono.render("嶋", 80)])
    assert np.all(np.diff(batch.score, axis=1) <= 1e-9)
    assert np.allclose(batch.gap[:, 0], batch.score[:, 0] - batch.score[:, 1])
    assert np.all(batch.gap[:, 1:] <= 0)


def test_mid_sized_queries_mix_in_the_general_projection(match_index, hanazono, monkeypatch):
    from gaiji.match import ranking

    tiny, tiny_side = query_raster_and_side(hanazono.render("樋", 12, antialias=False))
    mid, mid_side = query_raster_and_side(hanazono.render("樋", 16, antialias=False))
    assert tiny_side <= ranking.TINY_SIDE < mid_side <= ranking.SMALL_SIDE
    rasters, sides = np.stack([tiny, mid]), np.array([tiny_side, mid_side])
    mixed = rank_rasters(match_index, rasters, sides=sides)
    monkeypatch.setattr(ranking, "MID_GENERAL_WEIGHT", 0.0)
    small_only = rank_rasters(match_index, rasters, sides=sides)
    assert np.allclose(mixed.image_score[0], small_only.image_score[0])  # 12 px: untouched
    assert not np.allclose(mixed.image_score[1], small_only.image_score[1])
