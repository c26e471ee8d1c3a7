"""Faint and low-contrast pictures are normalised like the full-contrast ones the matcher was
calibrated on — and are never taken for blank."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gaiji.extract.images import read_image
from gaiji.match.prepare import prepare_paths, query_raster_and_side
from gaiji.render import full_contrast, ink_intensity, is_blank


def drawn(paper: int, ink: int, size: int = 96) -> np.ndarray:
    """A 木-like glyph of strokes and a dot, antialiased, in the given grey levels (0–255)."""
    scale = 4
    im = Image.new("L", (size * scale, size * scale), 255)
    d = ImageDraw.Draw(im)
    s = scale
    d.line([(16 * s, 36 * s), (80 * s, 36 * s)], fill=0, width=5 * s)
    d.line([(48 * s, 10 * s), (48 * s, 88 * s)], fill=0, width=5 * s)
    d.line([(46 * s, 40 * s), (18 * s, 74 * s)], fill=0, width=5 * s)
    d.line([(50 * s, 40 * s), (78 * s, 74 * s)], fill=0, width=5 * s)
    d.ellipse([(70 * s, 12 * s), (78 * s, 20 * s)], fill=0)
    grey = np.asarray(im.resize((size, size), Image.LANCZOS), dtype=np.float64) / 255.0
    return np.round(ink + (paper - ink) * grey).astype(np.uint8)


FULL = drawn(255, 0)


@pytest.mark.parametrize(
    ("paper", "ink", "what"),
    [
        (255, 200, "light grey pencil"),
        (240, 170, "pale scan"),
        (215, 110, "grey paper, grey ink"),
        (90, 0, "black on dark-grey paper"),
        (0, 120, "light ink on black"),
    ],
)
def test_a_low_contrast_picture_gives_the_raster_of_its_full_contrast_twin(paper, ink, what):
    want, want_side = query_raster_and_side(FULL)
    got, side = query_raster_and_side(drawn(paper, ink))
    assert not is_blank(drawn(paper, ink)), what
    assert side == want_side, what
    # the same glyph up to the rounding of fewer grey levels
    assert np.abs(got.astype(int) - want.astype(int)).mean() < 2.0, what
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 40, what


def test_a_full_contrast_picture_is_left_exactly_as_it_was():
    ink = ink_intensity(FULL)
    assert np.array_equal(ink, 1.0 - FULL.astype(np.float32) / 255.0)
    assert full_contrast(ink) is ink


def test_a_dust_speck_does_not_set_the_ink_level_of_a_faint_glyph():
    faint = drawn(250, 190)
    faint[3:5, 3:5] = 0  # a black speck near the corner
    ink = ink_intensity(faint)
    assert float(np.median(ink[FULL < 40])) > 0.9  # the strokes reach full strength


@pytest.mark.parametrize("light", ["linear", "vignette"])
def test_paper_lit_unevenly_is_flattened_before_normalising(light):
    h, w = FULL.shape
    y, x = np.mgrid[0:h, 0:w]
    if light == "linear":
        shade = np.linspace(1.0, 0.5, w)[None, :].repeat(h, 0)
    else:
        shade = 1.0 - 0.5 * (((y - h / 2) ** 2 + (x - w / 2) ** 2) / ((h / 2) ** 2 + (w / 2) ** 2))
    amount = 1.0 - FULL.astype(np.float64) / 255.0
    photo = np.round(255 * shade * (1 - amount) + 30 * amount).astype(np.uint8)
    want, want_side = query_raster_and_side(FULL)
    got, side = query_raster_and_side(photo)
    assert side == want_side
    assert np.abs(got.astype(int) - want.astype(int)).mean() < 4.0
    # the dark side's paper stays well below the strokes' ink
    ink = ink_intensity(photo)
    assert float(ink[:, -3:].max()) < 0.3 and float(np.median(ink[FULL < 40])) > 0.8


@pytest.mark.parametrize("sigma", [1.0, 3.0])
def test_paper_noise_alone_stays_blank(sigma):
    rng = np.random.default_rng(7)
    noise = np.clip(np.round(rng.normal(245, sigma, (80, 80))), 0, 255).astype(np.uint8)
    assert is_blank(noise)
    # and so does an empty cell under light falling off across it
    shaded = np.linspace(255, 170, 100)[None, :].repeat(100, 0) + rng.normal(0, sigma, (100, 100))
    assert is_blank(np.clip(np.round(shaded), 0, 255).astype(np.uint8))


def test_a_faint_picture_is_extracted_and_prepared_not_called_blank(tmp_path):
    Image.fromarray(drawn(255, 200)).save(tmp_path / "faint.png")
    Image.fromarray(FULL).save(tmp_path / "full.png")
    glyph = read_image(tmp_path / "faint.png")
    assert not is_blank(glyph.image)
    rasters, sides = prepare_paths([str(tmp_path / "faint.png"), str(tmp_path / "full.png")])
    assert sides[0] == sides[1] > 0
    assert np.abs(rasters[0].astype(int) - rasters[1].astype(int)).mean() < 2.0


# -- pictures enlarged pixel by pixel --------------------------------------------------------


def bitmap16() -> np.ndarray:
    """A 16 px 1-bit glyph (the 木-like one, reduced), 255 = paper."""
    small = np.asarray(Image.fromarray(FULL).resize((16, 16), Image.BOX))
    return np.where(small < 160, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("margin", [0, 5])
def test_a_bitmap_enlarged_pixel_by_pixel_is_read_as_it_was_drawn(factor, margin):
    small = bitmap16()
    big = np.kron(small, np.ones((factor, factor), np.uint8))
    big = np.pad(big, margin, constant_values=255)  # a margin of paper that is no multiple of the factor
    want, want_side = query_raster_and_side(np.pad(small, margin // factor, constant_values=255))
    got, side = query_raster_and_side(big)
    assert side == want_side <= 16  # the glyph's size as drawn, so the small strata apply
    assert np.array_equal(got, want)


def test_pictures_not_enlarged_pixel_by_pixel_are_left_as_they_are():
    from gaiji.render import native_resolution

    smooth = ink_intensity(FULL)  # antialiased
    assert native_resolution(smooth) is smooth
    small = ink_intensity(bitmap16())  # a bitmap at its own size, some strokes 2 px wide
    assert native_resolution(small) is small
    blurred = np.kron(small, np.ones((4, 4), np.float32))
    blurred[20, 21] = 0.5  # one pixel off the blocks: not a whole-pixel enlargement
    assert native_resolution(blurred) is blurred


# -- which way round: a glyph that fills its cell ---------------------------------------------

#: a 12 px bitmap font's glyph drawn from edge to edge of its cell (its border is mostly ink)
FILLS_ITS_CELL = """
#####.#####.
#...#.#...#.
#####.#####.
#...#.#...#.
#####.#####.
#.........#.
#..#####..#.
#..#...#..#.
#..#...#..#.
#..#####..#.
#.........#.
#........##.
"""


def cell_bitmap() -> np.ndarray:
    rows = FILLS_ITS_CELL.split()
    return np.array([[0 if c == "#" else 255 for c in row] for row in rows], np.uint8)


def test_a_glyph_that_fills_its_cell_is_read_dark_on_light():
    glyph = cell_bitmap()
    ink = ink_intensity(glyph)
    assert np.array_equal(ink > 0.5, glyph == 0)  # ink where the font has ink
    with_margin, _ = query_raster_and_side(np.pad(glyph, 3, constant_values=255))
    assert np.array_equal(query_raster_and_side(glyph)[0], with_margin)


def test_light_ink_on_dark_paper_is_still_read_as_such():
    inverted = 255 - np.pad(cell_bitmap(), 3, constant_values=255)  # white glyph on black, a margin
    assert np.array_equal(ink_intensity(inverted) > 0.5, inverted > 127)
