"""Pen and seal marks in colour on a black glyph (a reviewer's red circle or tick, a vermilion
seal) are taken out before matching; a glyph drawn in colour keeps its ink."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gaiji.match.prepare import decode_ink, decode_ink_and_marks, query_raster_and_side
from gaiji.render import ink_and_marks, ink_intensity
from tests.match.test_low_contrast import FULL

RED, VERMILION_FILL, BLUE = (205, 35, 45), (240, 150, 140), (40, 70, 200)


def coloured(glyph_rgb: tuple[int, int, int] = (0, 0, 0), marks: str = "") -> Image.Image:
    """The 木-like glyph of test_low_contrast in ``glyph_rgb`` on white, with ``marks`` in colour
    multiplied over it (inks layer: where a mark crosses a black stroke the stroke stays black)."""
    amount = 1.0 - FULL.astype(np.float64)[..., None] / 255.0
    rgb = 255 * (1 - amount) + np.asarray(glyph_rgb, np.float64) * amount
    h, w = FULL.shape
    layer = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(layer)
    if "circle" in marks:
        d.ellipse((4, 4, w - 5, h - 5), outline=RED, width=3)
    if "seal" in marks:
        d.ellipse((w * 0.55, h * 0.55, w * 1.05, h * 1.05), fill=VERMILION_FILL, outline=RED, width=3)
    if "tick" in marks:
        d.line([(w * 0.2, h * 0.5), (w * 0.42, h * 0.78), (w * 0.85, h * 0.15)], fill=BLUE, width=4)
    out = rgb * np.asarray(layer, np.float64) / 255
    return Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8), "RGB")


@pytest.mark.parametrize("marks", ["circle", "seal", "tick", "circle seal tick"])
def test_marks_in_colour_are_taken_out_of_a_black_glyph(marks: str) -> None:
    want, want_side = query_raster_and_side(FULL)
    got, side = query_raster_and_side(coloured(marks=marks))
    assert side == want_side, marks  # the marks no longer widen the ink's box
    diff = np.abs(got.astype(int) - want.astype(int))
    # the glyph as drawn, but for the few pixels where a mark crossed a stroke
    assert diff.mean() < 2.0 and (diff > 64).mean() < 0.01, marks


def test_a_glyph_drawn_in_colour_keeps_its_ink() -> None:
    for ink in (RED, BLUE, (120, 60, 20)):
        got = ink_intensity(coloured(ink))
        assert got.max() > 0.5
        # read as the grey picture PIL makes of it, untouched
        assert np.array_equal(got, ink_intensity(coloured(ink).convert("L"))), ink


def test_coloured_paper_and_brown_ink_are_read_as_before() -> None:
    photo = np.asarray(coloured((70, 50, 30)), np.float64) * np.asarray((0.98, 0.93, 0.78))  # yellowed paper
    image = Image.fromarray(np.round(photo).astype(np.uint8), "RGB")
    assert np.array_equal(ink_intensity(image), ink_intensity(image.convert("L")))


def test_a_transparent_picture_with_a_mark_and_the_file_path_agree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marked = coloured(marks="circle")
    rgba = marked.convert("RGBA")
    alpha = np.where(np.asarray(marked.convert("L")) > 250, 0, 255).astype(np.uint8)
    rgba.putalpha(Image.fromarray(alpha))
    clean = ink_intensity(coloured())
    for picture in (marked, rgba):
        assert np.abs(ink_intensity(picture) - clean).mean() < 0.01
    path = tmp_path / "marked.png"
    marked.save(path)
    assert np.array_equal(decode_ink(str(path)), ink_intensity(marked))
    # the matcher is told which pictures had marks taken out (it never auto-accepts those)
    assert decode_ink_and_marks(str(path))[1] and ink_and_marks(rgba)[1]
    assert not ink_and_marks(coloured())[1] and not ink_and_marks(coloured(RED))[1]


@pytest.mark.reference
def test_a_picture_with_marks_taken_out_is_never_auto_accepted(tmp_path, reference, hanazono) -> None:  # type: ignore[no-untyped-def]
    """The colour taken for a mark may have been the glyph: a gaiji written in blue beside a
    printed character in black would otherwise be auto-accepted as the printed one."""
    from gaiji.match.matcher import match_gaiji_set
    from gaiji.match.verified import MARKS_NOTE, evidence_notes
    from tests.match.test_edge_pieces import write_set

    sakura, taka = hanazono.render("桜", 96) / 255.0, hanazono.render("高", 96) / 255.0
    h = max(len(sakura), len(taka))
    sakura, taka = (np.pad(a, ((0, h - len(a)), (0, 0))) for a in (sakura, taka))
    blue = np.concatenate([sakura, taka], axis=1)[..., None] * 0  # the blue 桜 left, the black 高 right
    rgb = np.full(blue.shape[:2] + (3,), 255.0)
    w = sakura.shape[1]
    rgb[:, :w] = 255 * (1 - sakura[..., None]) + np.asarray(BLUE) * sakura[..., None]
    rgb[:, w:] = 255 * (1 - taka[..., None])
    folder = tmp_path / "set"
    write_set(folder, {})
    Image.fromarray(np.round(rgb).astype(np.uint8), "RGB").save(folder / "glyphs" / "mixed.png")
    (folder / "glyphs.csv").write_text((folder / "glyphs.csv").read_text(encoding="utf-8")
                                       + f"mixed,test,,{rgb.shape[1]},{rgb.shape[0]},,,,glyphs/mixed.png\n", encoding="utf-8")
    result = match_gaiji_set(folder, reference, ref_sets=[])
    assert result.gaiji_ids == ["mixed"]
    assert not result.ranked.auto_accept[0] and result.ranked.evidence[0].startswith(MARKS_NOTE)
    assert evidence_notes(result.ranked.evidence[0])["colour_marks"]
