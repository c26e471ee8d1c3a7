"""TrueType / EUDC fonts built with FontBuilder: codes and bitmaps round-trip exactly."""

from __future__ import annotations

import numpy as np
import pytest

from gaiji.errors import InputError
from gaiji.extract.fonts import parse_code_ranges, read_font
from gaiji.extract.glyph import Glyph, Problem

from .makers import add_bitmap_strikes, build_font, build_otf, expected_font_bitmap

# pixel-aligned at px=10, upem=1000 (one pixel = 100 units)
SHAPES = {
    0xE000: ([(100, 0, 500, 400)], []),
    0xE001: ([(0, -200, 1000, 800)], [(200, 0, 800, 600)]),  # a square with a hole
    0xE002: ([(100, -200, 300, 800), (500, 100, 900, 300)], []),
    0xE0BB: (
        [(0, 0, 1000, 100)],
        [],
    ),
    0xE757: ([(400, 200, 600, 700)], [(400, 400, 600, 500)]),  # hole cuts it in two
    0xE758: ([(100, 100, 200, 200)], []),  # PUA but beyond the Shift_JIS user area
    0x4E00: ([(0, 300, 1000, 400)], []),  # not PUA: ignored by default
}


def _glyphs(items):
    return [g for g in items if isinstance(g, Glyph)]


@pytest.fixture()
def eudc(tmp_path):
    return build_font(tmp_path / "EUDC.TTE", SHAPES)


def test_codes_ids_and_sjis_round_trip(eudc):
    glyphs = _glyphs(read_font(eudc, px=10))
    assert [g.code for g in glyphs] == ["U+E000", "U+E001", "U+E002", "U+E0BB", "U+E757", "U+E758"]
    assert [g.gaiji_id for g in glyphs][:2] == ["EUDC-E000", "EUDC-E001"]
    sjis = {g.code: g.sjis_code for g in glyphs}
    assert sjis["U+E000"] == "F040" and sjis["U+E0BB"] == "F0FC" and sjis["U+E757"] == "F9FC"
    assert sjis["U+E758"] == ""
    assert all(g.source == "EUDC.TTE" for g in glyphs)


@pytest.mark.parametrize("cp", sorted(c for c in SHAPES if c >= 0xE000))
def test_bitmaps_match_the_outlines_exactly(eudc, cp):
    glyphs = {g.code: g for g in _glyphs(read_font(eudc, px=10))}
    g = glyphs[f"U+{cp:04X}"]
    assert g.image.size == (10, 10)
    ink = np.asarray(g.image) < 128
    assert (ink == expected_font_bitmap(*SHAPES[cp], px=10)).all()
    # aligned edges give pure black and white
    assert set(np.unique(np.asarray(g.image)).tolist()) <= {0, 255}


def test_default_px_is_64_and_px_scales(eudc):
    g64 = _glyphs(read_font(eudc))[0]
    g20 = _glyphs(read_font(eudc, px=20))[0]
    assert g64.image.size == (64, 64) and g20.image.size == (20, 20)
    ink20 = np.asarray(g20.image) < 128
    assert (
        ink20 == np.kron(expected_font_bitmap(*SHAPES[0xE000], px=10), np.ones((2, 2), bool))
    ).all()


def test_code_ranges_select_glyphs(eudc):
    only = _glyphs(read_font(eudc, px=10, code_ranges=parse_code_ranges("E001-E002")))
    assert [g.code for g in only] == ["U+E001", "U+E002"]
    everything = _glyphs(read_font(eudc, px=10, code_ranges=parse_code_ranges("all")))
    assert "U+4E00" in [g.code for g in everything] and len(everything) == 7


def test_no_glyph_in_range_is_a_clear_error(tmp_path):
    font = build_font(tmp_path / "plain.ttf", {0x4E00: SHAPES[0x4E00]})
    with pytest.raises(InputError, match=r"plain\.ttf.*no characters in U\+E000.*--codes"):
        list(read_font(font))


def test_ink_outside_the_em_square_is_kept(tmp_path):
    font = build_font(tmp_path / "wide.ttf", {0xE000: ([(0, -400, 1300, 800)], [])})
    g = _glyphs(read_font(font, px=10))[0]
    assert g.image.width >= 13 and g.image.height >= 12
    assert (np.asarray(g.image) < 128).sum() == 13 * 12


@pytest.mark.parametrize("damage", ["truncate", "zero-tables", "not-a-font"])
def test_damaged_font_raises_input_error_naming_file(eudc, damage):
    data = eudc.read_bytes()
    if damage == "truncate":
        data = data[: len(data) // 3]
    elif damage == "zero-tables":
        data = data[:12] + bytes(len(data) - 12)
    else:
        data = b"\x00\x01\x00\x00" + b"garbage" * 10
    eudc.write_bytes(data)
    with pytest.raises(InputError, match="EUDC.TTE"):
        list(read_font(eudc, px=10))


def test_bad_code_range_text():
    with pytest.raises(InputError, match="not understood"):
        parse_code_ranges("E000-XYZ")
    with pytest.raises(InputError, match="empty"):
        parse_code_ranges("E100-E000")


def _strike(ppem: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"g{cp:05X}": rng.random((ppem, ppem)) > 0.5 for cp in (0xE000, 0xE001)}


def test_bitmap_only_font_gives_its_strike_exactly(tmp_path):
    outline = build_font(tmp_path / "o.ttf", {0xE000: SHAPES[0xE000], 0xE001: SHAPES[0xE001]})
    strikes = {12: _strike(12, 1), 16: _strike(16, 2)}
    font = add_bitmap_strikes(outline, tmp_path / "EUDC16.TTE", strikes)
    default = _glyphs(read_font(font))  # no --px: the largest strike
    assert [g.image.size for g in default] == [(16, 16), (16, 16)]
    for g, name in zip(default, ("g0E000", "g0E001")):
        assert np.array_equal(np.asarray(g.image) < 128, strikes[16][name])
    small = _glyphs(read_font(font, px=12))
    assert np.array_equal(np.asarray(small[1].image) < 128, strikes[12]["g0E001"])


def test_strike_matching_px_is_preferred_over_outlines(tmp_path):
    outline = build_font(tmp_path / "o.ttf", {0xE000: SHAPES[0xE000], 0xE001: SHAPES[0xE001]})
    strikes = {10: _strike(10, 3)}
    # strike metrics agree with the outlines' (ascent 800/1000 → 8 of 10 px)
    font = add_bitmap_strikes(
        outline, tmp_path / "both.ttf", strikes, descent=2, drop_outlines=False
    )
    at10 = _glyphs(read_font(font, px=10))
    assert np.array_equal(np.asarray(at10[0].image) < 128, strikes[10]["g0E000"])
    at20 = _glyphs(read_font(font, px=20))  # no 20 px strike: the outline is rendered
    ink20 = np.asarray(at20[0].image) < 128
    assert (
        ink20.shape == (20, 20)
        and (
            ink20 == np.kron(expected_font_bitmap(*SHAPES[0xE000], px=10), np.ones((2, 2), bool))
        ).all()
    )


def test_opentype_cff_font_in_a_chosen_range(tmp_path):
    rects = [(100, 0, 500, 400)]
    font = build_otf(tmp_path / "vendor.otf", {0xF0001: rects, 0x4E00: rects})
    glyphs = _glyphs(read_font(font, px=10, code_ranges=parse_code_ranges("F0000-FFFFD")))
    assert [(g.gaiji_id, g.code, g.sjis_code) for g in glyphs] == [("vendor-F0001", "U+F0001", "")]
    assert ((np.asarray(glyphs[0].image) < 128) == expected_font_bitmap(rects, [], px=10)).all()


def test_one_corrupt_glyph_is_a_problem_the_others_are_read(tmp_path):
    from fontTools.ttLib import TTFont

    font = build_font(tmp_path / "EUDC.TTE", {cp: SHAPES[cp] for cp in (0xE000, 0xE001, 0xE002)})
    tt = TTFont(str(font))
    gid = tt.getGlyphID("g0E001")
    start, end = tt["loca"][gid], tt["loca"][gid + 1]
    offset = tt.reader.tables["glyf"].offset
    tt.close()
    data = bytearray(font.read_bytes())
    data[offset + start : offset + end] = b"\x00\x01" + b"\xff" * (
        end - start - 2
    )  # garbage outline
    font.write_bytes(bytes(data))
    items = list(read_font(font, px=10))
    assert [g.code for g in _glyphs(items)] == ["U+E000", "U+E002"]
    problems = [i for i in items if isinstance(i, Problem)]
    assert (
        len(problems) == 1
        and problems[0].message.startswith("U+E001")
        and problems[0].path.endswith("EUDC.TTE")
    )
