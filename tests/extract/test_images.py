"""Image files in every format and mode: id = stem, pixels kept exactly, bombs refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from gaiji.errors import InputError
from gaiji.extract.glyph import Glyph, Problem
from gaiji.extract.images import read_image, read_images


def _glyph_array(h: int = 24, w: int = 20) -> np.ndarray:
    a = np.full((h, w), 255, np.uint8)
    a[3:20, 5:8] = 0
    a[10:13, 2:18] = 0
    return a


MODES_AND_FORMATS = [
    ("1", "png"),
    ("1", "bmp"),
    ("1", "tiff"),
    ("1", "gif"),
    ("L", "png"),
    ("L", "bmp"),
    ("L", "tiff"),
    ("L", "gif"),
    ("RGB", "png"),
    ("RGB", "bmp"),
    ("RGB", "tiff"),
    ("RGBA", "png"),
    ("P", "gif"),
    ("P", "png"),
]


@pytest.mark.parametrize("mode,fmt", MODES_AND_FORMATS)
def test_every_mode_round_trips_pixels(tmp_path, mode, fmt):
    base = Image.fromarray(_glyph_array())
    image = (
        base.convert(mode)
        if mode != "RGB"
        else Image.merge("RGB", [base, base.point(lambda v: v // 2), base])
    )
    path = tmp_path / f"佐藤-{mode}.{fmt}"
    image.save(path)
    glyph = read_image(path)
    assert glyph.gaiji_id == f"佐藤-{mode}" and glyph.code == glyph.gaiji_id and glyph.source == path.name
    assert glyph.image.size == (20, 24)
    with Image.open(path) as original:
        want = np.asarray(original.convert("RGBA"))
    assert np.array_equal(np.asarray(glyph.image.convert("RGBA")), want)


def test_16_bit_grey_becomes_8_bit_keeping_order(tmp_path):
    a = _glyph_array().astype(np.uint16) * 257
    path = tmp_path / "deep.tiff"
    Image.fromarray(a).save(path)
    glyph = read_image(path)
    assert glyph.image.mode == "L"
    assert np.array_equal(np.asarray(glyph.image) < 128, _glyph_array() < 128)


def test_large_scan_is_kept_at_its_own_resolution(tmp_path):
    big = Image.fromarray(np.kron(_glyph_array(), np.ones((20, 20), np.uint8)))
    path = tmp_path / "scan.png"
    big.save(path)
    assert read_image(path).image.size == (400, 480)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_image_bomb_is_a_problem_naming_the_file_others_kept(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(_glyph_array()).save(good)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (6000, 6000), 1).save(bomb)  # 36 Mpx: small file, huge image
    items = list(read_images([bomb, good]))
    assert [i.gaiji_id for i in items if isinstance(i, Glyph)] == ["good"]
    problems = [i for i in items if isinstance(i, Problem)]
    assert (
        len(problems) == 1
        and problems[0].path.endswith("bomb.png")
        and "too large" in problems[0].message
    )


def test_corrupt_image_raises_input_error(tmp_path):
    path = tmp_path / "broken.png"
    data = bytearray()
    Image.fromarray(_glyph_array()).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="broken.png"):
        read_image(path)


def test_image_bomb_is_refused_without_a_python_warning(tmp_path):
    path = tmp_path / "big.png"
    Image.new("1", (30, 20), 1).save(path)  # 600 px: between the limit and twice the limit
    saved_limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(InputError, match="too large for one glyph"):
                read_image(path, max_pixels=400)
    finally:
        Image.MAX_IMAGE_PIXELS = saved_limit
    assert [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)] == []


def _stroke(size: int = 40) -> np.ndarray:
    a = np.full((size, size), 255, np.uint8)
    a[5 : size - 5, size // 2 - 2 : size // 2 + 2] = 0
    return a


@pytest.mark.parametrize("fmt", ["TIFF", "GIF"])
def test_an_image_of_several_pages_is_a_problem_naming_it_not_its_first_page_alone(tmp_path, fmt):
    """A scanner's multi-page TIFF or an animated GIF holds several glyphs; reading its first page
    would drop the others without a word."""
    first = Image.fromarray(_stroke())
    second = Image.fromarray(_stroke().T.copy())
    path = tmp_path / f"pages.{fmt.lower()}"
    first.save(path, format=fmt, save_all=True, append_images=[second])
    Image.fromarray(_stroke()).save(tmp_path / "one.png")
    out = list(read_images([path, tmp_path / "one.png"]))
    assert isinstance(out[0], Problem) and "2 pages or frames" in out[0].message
    assert "one PNG per page" in out[0].message
    assert isinstance(out[1], Glyph)


def test_a_tiff_page_with_a_reduced_resolution_copy_is_one_glyph(tmp_path):
    """A scanner may store a thumbnail beside the page (TIFF NewSubfileType bit 0): not a glyph."""
    import tifffile

    page = _stroke(64)
    path = tmp_path / "scan.tif"
    with tifffile.TiffWriter(path) as tif:
        tif.write(page)
        tif.write(page[::4, ::4], subfiletype=1)
    glyph = read_image(path)
    assert glyph.image.size == (64, 64)
    assert np.array_equal(np.asarray(glyph.image.convert("L")), page)
