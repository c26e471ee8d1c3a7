"""Cell borders of scanned ledger cells: reported, erased only on request, the glyph left whole."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gaiji.extract import ExtractOptions, extract_gaiji_set, read_gaiji_set
from gaiji.extract.frames import border_lines, has_border, strip_border


def _cell(*, box: bool = False, edge: bool = False, underline: bool = False, skew: bool = False) -> np.ndarray:
    """A 100 px cell with a glyph-like shape (a cross and a dot) well inside it, and borders."""
    a = np.full((100, 100), 255, np.uint8)
    a[30:70, 48:52] = 0
    a[48:52, 30:70] = 0
    a[25:28, 60:63] = 0
    if box:
        a[4:6, 4:96] = a[94:96, 4:96] = 0
        a[4:96, 4:6] = a[4:96, 94:96] = 0
    if edge:  # cut on the ruled line: ink all round the outermost pixels
        a[:2, :] = a[-2:, :] = 0
        a[:, :2] = a[:, -2:] = 0
    if underline:
        for x in range(5, 95):  # skewed by two pixels across the cell when asked
            y = 90 + (2 * (x - 5) // 90 if skew else 0)
            a[y : y + 2, x] = 0
    return a


def _glyph_part(a: np.ndarray) -> np.ndarray:
    return a[20:80, 20:80]


@pytest.mark.parametrize("kind", [dict(box=True), dict(edge=True), dict(underline=True), dict(underline=True, skew=True)])
def test_a_border_is_found_and_erased_leaving_the_glyph_untouched(kind):
    cell = _cell(**kind)
    image = Image.fromarray(cell)
    assert has_border(image)
    out = strip_border(image)
    assert out is not None and out.mode == "L"
    got = np.asarray(out)
    assert np.array_equal(_glyph_part(got), _glyph_part(_cell()))  # the glyph as it was
    assert (np.delete(got, np.s_[20:80], axis=0) == 255).all()  # and nothing else but paper
    assert (got[:, :20] == 255).all() and (got[:, 80:] == 255).all()


def test_a_glyph_without_a_border_is_left_alone():
    image = Image.fromarray(_cell())
    assert not has_border(image)
    assert strip_border(image) is None
    rows, cols = border_lines(image)
    assert rows.size == 0 and cols.size == 0


def test_a_picture_that_is_all_border_is_kept_as_it_is():
    """囗 cropped tight: erasing its lines would leave nothing; it stays (and is reported)."""
    a = np.full((40, 40), 255, np.uint8)
    a[:3, :] = a[-3:, :] = 0
    a[:, :3] = a[:, -3:] = 0
    image = Image.fromarray(a)
    assert has_border(image)
    assert strip_border(image) is None


def test_a_transparent_picture_with_a_border_comes_out_on_white():
    cell = _cell(box=True)
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[..., 3] = 255 - cell  # ink in alpha, colour black
    out = strip_border(Image.fromarray(rgba, "RGBA"))
    assert out is not None
    assert np.array_equal(np.asarray(out), _cell())


def test_extract_reports_borders_and_erases_them_only_with_strip_frames(tmp_path):
    src = tmp_path / "cells"
    src.mkdir()
    Image.fromarray(_cell(box=True)).save(src / "boxed.png")
    Image.fromarray(_cell()).save(src / "clean.png")
    kept = extract_gaiji_set([src], tmp_path / "kept")
    assert kept.framed == ["boxed"] and kept.frames_stripped == []
    assert "--strip-frames" in kept.format_text()
    stored = np.asarray(Image.open(tmp_path / "kept" / "glyphs" / "boxed.png"))
    assert np.array_equal(stored, _cell(box=True))  # reported, not changed
    stripped = extract_gaiji_set([src], tmp_path / "stripped", options=ExtractOptions(strip_frames=True))
    assert stripped.frames_stripped == ["boxed"] and stripped.framed == []
    stored = np.asarray(Image.open(tmp_path / "stripped" / "glyphs" / "boxed.png"))
    assert np.array_equal(stored, _cell())
    clean = np.asarray(Image.open(tmp_path / "stripped" / "glyphs" / "clean.png"))
    assert np.array_equal(clean, _cell())
    assert len(read_gaiji_set(tmp_path / "stripped").records) == 2


@pytest.mark.reference
def test_ledger_cells_with_borders_are_matched_once_the_borders_are_erased(reference):
    """Real glyphs (Hanazono Mincho, not IPAmj) in boxed cells: with the border the matcher reads a
    character inside 囗 (or 該当なし); erased, the glyph's own character comes first."""
    from gaiji.match.bench import HANAZONO_A
    from gaiji.match.index import load_match_index
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.synth import FontRenderer
    from gaiji.match.verified import rank_rasters_verified

    match_index = load_match_index(reference)
    renderer = FontRenderer(HANAZONO_A)
    chars = "髙吉渡齋"
    cells = []
    for ch in chars:
        ink = renderer.render(ch, 72)
        cell = np.zeros((120, 120), np.uint8)
        y, x = (120 - ink.shape[0]) // 2, (120 - ink.shape[1]) // 2
        cell[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
        cell[2:4, 2:118] = cell[116:118, 2:118] = 255  # the cell's ruled lines
        cell[2:118, 2:4] = cell[2:118, 116:118] = 255
        cells.append(Image.fromarray(255 - cell))

    def first_chars(images):
        prepared = [query_raster_and_side(im) for im in images]
        ranked = rank_rasters_verified(match_index, np.stack([p[0] for p in prepared]),
                                       sides=np.array([p[1] for p in prepared]))
        return [match_index.rows[int(r)].char[0] for r in ranked.rows[:, 0]]

    assert all(has_border(c) for c in cells)
    assert not any(a == b for a, b in zip(first_chars(cells), chars))
    assert first_chars([strip_border(c) for c in cells]) == list(chars)
