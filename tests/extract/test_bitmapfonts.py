"""BDF written as text, PCF written from its layout (every byte/bit order, padding, scan
unit) and by X.Org's bdftopcf: codes, charsets and bitmaps round-trip exactly."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import numpy as np
import pytest

from gaiji.errors import InputError
from gaiji.extract.bitmapfonts import parse_pcf, read_bitmap_font
from gaiji.extract.glyph import Glyph, Problem

from .makers import bdf_text, pcf_bytes

ASCENT, DESCENT, SIZE = 14, 2, 16


def _chars(seed: int = 1, n: int = 6, first: int = 0x7521):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = int(rng.integers(1, 16)), int(rng.integers(1, 16))
        xo, yo = int(rng.integers(0, 16 - w + 1)), int(rng.integers(-DESCENT, ASCENT - h + 1))
        out.append((f"c{i}", first + i, rng.random((h, w)) > 0.5, (xo, yo)))
    return out


def _expected_cell(ink: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    cell = np.zeros((ASCENT + DESCENT, SIZE), bool)
    h, w = ink.shape
    xo, yo = offset
    top = ASCENT - (yo + h)
    cell[top : top + h, xo : xo + w] = ink
    return cell


def _glyphs(items):
    return [g for g in items if isinstance(g, Glyph)]


def test_bdf_round_trip_codes_charset_bitmaps(tmp_path):
    chars = _chars()
    path = tmp_path / "vendor16.bdf"
    path.write_text(bdf_text(chars, registry="JISX0208.1983", encoding="0"))
    glyphs = _glyphs(read_bitmap_font(path, "bdf"))
    assert [g.code for g in glyphs] == [f"0x{c[1]:04X}" for c in chars]
    assert [g.gaiji_id for g in glyphs] == [f"vendor16-{c[1]:04X}" for c in chars]
    assert {g.charset for g in glyphs} == {"JISX0208.1983-0"}
    for g, (_n, _e, ink, off) in zip(glyphs, chars):
        assert g.image.mode == "1" and g.image.size == (SIZE, ASCENT + DESCENT)
        assert (~np.asarray(g.image) == _expected_cell(ink, off)).all()


def test_iso10646_bdf_reports_ucs_and_sjis(tmp_path):
    chars = _chars(first=0xE000, n=3)
    path = tmp_path / "u.bdf"
    path.write_text(bdf_text(chars))
    glyphs = _glyphs(read_bitmap_font(path, "bdf"))
    assert [g.code for g in glyphs] == ["U+E000", "U+E001", "U+E002"]
    assert [g.sjis_code for g in glyphs] == ["F040", "F041", "F042"]


def test_jisx0213_code_is_kept_exactly(tmp_path):
    chars = _chars(first=0x2E21, n=2)
    path = tmp_path / "x0213.bdf"
    path.write_text(bdf_text(chars, registry="JISX0213.2004", encoding="2"))
    glyphs = _glyphs(read_bitmap_font(path, "bdf"))
    assert [g.code for g in glyphs] == ["0x2E21", "0x2E22"]
    assert glyphs[0].charset == "JISX0213.2004-2"


@pytest.mark.parametrize("msb_bytes", [True, False])
@pytest.mark.parametrize("msb_bits", [True, False])
@pytest.mark.parametrize("pad,scan_unit", [(1, 1), (2, 2), (4, 1), (4, 4), (8, 4)])
@pytest.mark.parametrize("compressed", [True, False])
def test_pcf_any_layout_matches_bdf(tmp_path, msb_bytes, msb_bits, pad, scan_unit, compressed):
    chars = _chars(seed=7)
    bdf = tmp_path / "f.bdf"
    bdf.write_text(bdf_text(chars, registry="JISX0208.1983", encoding="0"))
    pcf = tmp_path / "f.pcf"
    pcf.write_bytes(
        pcf_bytes(
            chars,
            registry="JISX0208.1983",
            encoding="0",
            msb_bytes=msb_bytes,
            msb_bits=msb_bits,
            pad=pad,
            scan_unit=scan_unit,
            compressed=compressed,
        )
    )
    a, b = _glyphs(read_bitmap_font(bdf, "bdf")), _glyphs(read_bitmap_font(pcf, "pcf"))
    assert [g.code for g in a] == [g.code for g in b]
    assert [g.charset for g in b] == ["JISX0208.1983-0"] * len(chars)
    for x, y in zip(a, b):
        assert np.array_equal(np.asarray(x.image), np.asarray(y.image))


@pytest.mark.skipif(
    shutil.which("bdftopcf") is None, reason="bdftopcf (Debian xfonts-utils) not installed"
)
# bit order and byte order alike, as X servers write them (bdftopcf's output for mixed orders
# such as -m -L does not even keep the ink count, so it is no reference to test against)
@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["-p1", "-u1"],
        ["-l", "-L", "-p4", "-u4"],
        ["-m", "-M", "-p2", "-u2"],
        ["-l", "-L", "-p2", "-u1"],
    ],
)
def test_pcf_from_xorg_bdftopcf_gz_matches_bdf(tmp_path, flags):
    chars = _chars(seed=3, n=10)
    bdf = tmp_path / "x.bdf"
    bdf.write_text(bdf_text(chars, registry="JISX0208.1983", encoding="0"))
    pcf_gz = tmp_path / "x.pcf.gz"
    raw = subprocess.run(["bdftopcf", *flags, str(bdf)], check=True, capture_output=True).stdout
    pcf_gz.write_bytes(gzip.compress(raw, mtime=0))
    a, b = _glyphs(read_bitmap_font(bdf, "bdf")), _glyphs(read_bitmap_font(pcf_gz, "pcf"))
    assert [g.code for g in a] == [g.code for g in b] and len(b) == 10
    assert b[0].gaiji_id == "x-7521"  # .pcf.gz stem
    for x, y in zip(a, b):
        assert np.array_equal(np.asarray(x.image), np.asarray(y.image))


def test_bdf_glyph_with_bad_rows_is_a_problem_others_kept(tmp_path):
    chars = _chars(n=3)
    text = bdf_text(chars)
    lines = text.splitlines()
    start = lines.index("STARTCHAR c1")
    bitmap_at = lines.index("BITMAP", start)
    del lines[bitmap_at + 1]  # one bitmap row fewer than BBX says
    path = tmp_path / "bad.bdf"
    path.write_text("\n".join(lines) + "\n")
    items = list(read_bitmap_font(path, "bdf"))
    problems = [i for i in items if isinstance(i, Problem)]
    assert len(_glyphs(items)) == 2 and len(problems) == 1
    assert "c1" in problems[0].message and "bad.bdf" in problems[0].path


@pytest.mark.parametrize("cut", [0.5, 0.7, 0.9])
def test_truncated_bdf_keeps_the_glyphs_before_the_cut(tmp_path, cut):
    chars = _chars(n=8)
    data = bdf_text(chars).encode()
    path = tmp_path / "cut.bdf"
    path.write_bytes(data[: int(len(data) * cut)])
    items = list(read_bitmap_font(path, "bdf"))
    glyphs, problems = _glyphs(items), [i for i in items if isinstance(i, Problem)]
    assert 0 < len(glyphs) < 8
    assert [g.code for g in glyphs] == [f"U+{c[1]:04X}" for c in chars[: len(glyphs)]]
    assert any("truncated" in p.message for p in problems)
    assert all(p.path.endswith("cut.bdf") for p in problems)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated_pcf_raises_input_error(cut):
    pcf = pcf_bytes(_chars())
    with pytest.raises(InputError, match="t.pcf"):
        parse_pcf(pcf[: int(len(pcf) * cut)], "t.pcf")


def test_bdf_cut_before_any_glyph_is_an_error(tmp_path):
    path = tmp_path / "head.bdf"
    path.write_text("STARTFONT 2.1\nSIZE 16 75 75\nSTARTPROPERTIES 2\n")
    with pytest.raises(InputError, match="head.bdf"):
        list(read_bitmap_font(path, "bdf"))


def test_glyph_without_endchar_is_reported_next_one_kept(tmp_path):
    chars = _chars(n=3)
    lines = bdf_text(chars).splitlines()
    first_end = lines.index("ENDCHAR")
    del lines[first_end]
    path = tmp_path / "noend.bdf"
    path.write_text("\n".join(lines) + "\n")
    items = list(read_bitmap_font(path, "bdf"))
    assert [g.code for g in _glyphs(items)] == [f"U+{c[1]:04X}" for c in chars[1:]]
    problems = [i.message for i in items if isinstance(i, Problem)]
    assert any("c0" in m and "ENDCHAR" in m for m in problems)
    # the damaged glyph is still counted as found, so CHARS agrees
    assert not any("CHARS says" in m for m in problems)


def test_damaged_gzip_is_named(tmp_path):
    path = tmp_path / "broken.pcf.gz"
    path.write_bytes(gzip.compress(pcf_bytes(_chars()))[:40])
    with pytest.raises(InputError, match="broken.pcf.gz"):
        list(read_bitmap_font(path, "pcf"))
