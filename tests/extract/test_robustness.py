"""Issue 13: extract never dies on one input, bounds glyph sizes, reports what it cannot read,
gives image glyphs a code, carries a partial set's problems forward, cleans up after killed runs."""

from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gaiji.extract import extract_gaiji_set, read_gaiji_set
from gaiji.extract.fonts import read_font
from gaiji.extract.glyph import Problem
from gaiji.fsutil import atomic_write

from .makers import bdf_text, build_font

ROOT = Path(__file__).resolve().parents[2]


def _png(path: Path, seed: int = 0) -> Path:
    ink = np.random.RandomState(seed).rand(24, 24) > 0.5
    Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).save(path)
    return path


def _rows(set_dir: Path) -> list[dict[str, str]]:
    with open(set_dir / "glyphs.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _damaged_tiff() -> bytes:
    """A real crash input: a grey TIFF with an ICC profile, one byte changed (byte 72, 4 → 2).
    Pillow 10/11 raise TypeError on it (not OSError)."""
    buf = io.BytesIO()
    Image.fromarray((np.random.RandomState(0).rand(16, 16) * 255).astype("uint8")).save(
        buf, "TIFF", icc_profile=b"x" * 200)
    data = bytearray(buf.getvalue())
    data[72] = 2
    return bytes(data)


# ------------------------------------------------------------ image glyphs get a code


def test_image_glyph_code_is_file_stem(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "tsuji.png")
    summary = extract_gaiji_set([scans], tmp_path / "set")
    assert summary.ok
    (row,) = _rows(tmp_path / "set")
    assert row["gaiji_id"] == "tsuji" and row["code"] == "tsuji"


def test_image_glyph_takes_the_ledgers_code_when_it_joins(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "g001.png", 1)
    _png(scans / "g002.png", 2)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("gaiji_id,code,reading\ng001,F040,つじ\ng002,U+E001,さき\n", encoding="utf-8")
    extract_gaiji_set([scans, ledger], tmp_path / "set")
    rows = {r["gaiji_id"]: r for r in _rows(tmp_path / "set")}
    assert (rows["g001"]["code"], rows["g001"]["sjis_code"], rows["g001"]["reading"]) == ("F040", "F040", "つじ")
    assert (rows["g002"]["code"], rows["g002"]["sjis_code"]) == ("U+E001", "F041")


# ------------------------------------------------------------ one input never kills extract


def test_decoder_crash_on_a_damaged_tiff_is_that_files_problem(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "good.png")
    (scans / "bad.tif").write_bytes(_damaged_tiff())
    summary = extract_gaiji_set([scans], tmp_path / "set")
    assert [r["gaiji_id"] for r in _rows(tmp_path / "set")] == ["good"]
    assert any("bad.tif" in p for p in summary.problems) and not summary.ok


def test_any_decoder_exception_becomes_a_problem(tmp_path, monkeypatch):
    """Pillow has raised IndexError (PNG iCCP chunk) and TypeError (TIFF) on damaged files."""
    from gaiji.extract import images

    real = images.load_image

    def flaky(path, **kw):
        if Path(path).stem == "boom":
            raise IndexError("index out of range")
        return real(path, **kw)

    monkeypatch.setattr(images, "load_image", flaky)
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "boom.png")
    _png(scans / "fine.png", 3)
    summary = extract_gaiji_set([scans], tmp_path / "set")
    assert [r["gaiji_id"] for r in _rows(tmp_path / "set")] == ["fine"]
    assert any("boom.png" in p and "IndexError" in p for p in summary.problems)


def test_a_reader_crash_fails_only_its_source(tmp_path, monkeypatch):
    from gaiji.extract import build

    def crash(*a, **kw):
        raise KeyError("decoder bug")

    monkeypatch.setattr(build, "read_bitmap_font", crash)
    (tmp_path / "v.bdf").write_text(bdf_text([("a", 0xE000, np.ones((8, 8), bool), (0, 0))]))
    _png(tmp_path / "img.png")
    summary = extract_gaiji_set([tmp_path / "v.bdf", tmp_path / "img.png"], tmp_path / "set")
    assert [r["gaiji_id"] for r in _rows(tmp_path / "set")] == ["img"]
    (failed,) = summary.failed_sources
    assert "v.bdf" in failed.error and "KeyError" in failed.error


# ------------------------------------------------------------ glyph size is bounded


def test_tiny_units_per_em_is_refused_per_glyph_quickly(tmp_path):
    """unitsPerEm 16 with coordinates meant for 1000: each glyph would be ~4,000 px at 64 px/em."""
    font = build_font(tmp_path / "tiny.ttf", {0xE000: ([(100, 0, 900, 800)], [])}, upem=16,
                      ascent=14, descent=-2)
    start = time.perf_counter()
    items = list(read_font(font))
    elapsed = time.perf_counter() - start
    (item,) = items
    assert isinstance(item, Problem) and "metrics are corrupt" in item.message
    assert elapsed < 5


@pytest.mark.parametrize("edit", [("DWIDTH 16 0", "DWIDTH 1000000000 0"),
                                  ("BBX 8 8 0 0", "BBX 8 8 1000000000 0")])
def test_bdf_with_huge_metrics_is_one_glyphs_problem(tmp_path, edit):
    ink = np.ones((8, 8), bool)
    text = bdf_text([("a", 0xE000, ink, (0, 0)), ("b", 0xE001, ink, (0, 0))])
    # damage only the first glyph
    text = text.replace(edit[0], edit[1], 1)
    (tmp_path / "v.bdf").write_text(text)
    summary = extract_gaiji_set([tmp_path / "v.bdf"], tmp_path / "set")
    assert [r["gaiji_id"] for r in _rows(tmp_path / "set")] == ["v-E001"]
    assert any("not a plausible glyph" in p for p in summary.problems)


def test_bdf_font_ascent_of_a_billion_is_ignored_and_reported(tmp_path):
    text = bdf_text([("a", 0xE000, np.ones((8, 8), bool), (0, 0))]).replace("FONT_ASCENT 14",
                                                                            "FONT_ASCENT 1000000000")
    (tmp_path / "v.bdf").write_text(text)
    summary = extract_gaiji_set([tmp_path / "v.bdf"], tmp_path / "set")
    (row,) = _rows(tmp_path / "set")
    assert int(row["height"]) < 64
    assert any("FONT_ASCENT" in p for p in summary.problems)


# ------------------------------------------------------------ unreadable files are reported


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod-000 files")
def test_chmod_000_file_in_a_folder_is_a_failed_source(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "ok.png")
    locked = _png(scans / "locked.png", 4)
    locked.chmod(0)
    try:
        summary = extract_gaiji_set([scans], tmp_path / "set")
    finally:
        locked.chmod(0o644)
    assert any("locked.png" in s.error and "cannot be read" in s.error for s in summary.failed_sources)
    assert not summary.ok


def test_unreadable_file_in_a_folder_is_a_failed_source_even_as_root(tmp_path, monkeypatch):
    """As root chmod 000 does not stop reading, so refuse the open the way the OS would."""
    import builtins

    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "ok.png")
    locked = _png(scans / "locked.png", 4)
    real_open = builtins.open

    def refusing_open(file, *a, **kw):
        if Path(str(file)) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", refusing_open)
    summary = extract_gaiji_set([scans], tmp_path / "set")
    assert any("locked.png" in s.error and "Permission denied" in s.error for s in summary.failed_sources)
    assert [r["gaiji_id"] for r in _rows(tmp_path / "set")] == ["ok"]


def test_symlink_loop_given_directly_and_in_a_folder_is_reported(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "ok.png")
    (scans / "loop.png").symlink_to(scans / "loop.png")
    (scans / "up").symlink_to(scans)  # a folder link back up the tree: read once, no hang
    direct = tmp_path / "direct.png"
    direct.symlink_to(direct)
    summary = extract_gaiji_set([scans, direct], tmp_path / "set")
    errors = [s.error for s in summary.failed_sources]
    assert any("loop.png" in e and "symbolic link" in e for e in errors)
    assert any("direct.png" in e for e in errors)
    assert [r["gaiji_id"] for r in _rows(tmp_path / "set")] == ["ok"]


def test_cli_exit_status_1_for_a_symlink_loop(tmp_path):
    _png(tmp_path / "ok.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    proc = subprocess.run([sys.executable, "-m", "gaiji", "extract", str(tmp_path / "ok.png"),
                           str(tmp_path / "loop.png"), "-o", str(tmp_path / "set"), "-q"],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "loop.png" in proc.stderr


# ------------------------------------------------------------ a partial set says so later


def test_partial_set_problems_are_carried_forward(tmp_path, caplog):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "ok.png")
    (scans / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    extract_gaiji_set([scans], tmp_path / "set")
    with caplog.at_level(logging.WARNING):
        gset = read_gaiji_set(tmp_path / "set")
    assert any("bad.png" in p for p in gset.extract_problems)
    assert "partial gaiji set" in caplog.text and "bad.png" in caplog.text
    caplog.clear()
    clean = tmp_path / "clean"
    clean.mkdir()
    _png(clean / "ok.png")
    extract_gaiji_set([clean], tmp_path / "set2")
    with caplog.at_level(logging.WARNING):
        assert read_gaiji_set(tmp_path / "set2").extract_problems == []
    assert "partial" not in caplog.text


# ------------------------------------------------------------ leftovers of killed runs


def test_temporaries_of_a_killed_run_are_removed_by_the_next(tmp_path):
    from gaiji.fsutil import stale_temporaries

    target = tmp_path / "out.csv"
    # a child process starts writing and is killed -9 before it can rename or clean up
    code = (
        "import os, sys, time\n"
        "from gaiji.fsutil import atomic_write, atomic_directory\n"
        f"with atomic_directory({str(tmp_path / 'set')!r}) as d:\n"
        "    (d / 'big').write_bytes(b'x' * 100000)\n"
        f"    with atomic_write({str(target)!r}) as fh:\n"
        "        fh.write('partial'); fh.flush()\n"
        "        print('ready', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=ROOT, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert len(stale_temporaries(target)) == 0  # alive: its work is not stale
    finally:
        child.kill()
        child.wait(timeout=30)
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert len(leftovers) == 2
    assert stale_temporaries(target) and stale_temporaries(tmp_path / "set")
    with atomic_write(target) as fh:
        fh.write("done")
    from gaiji.fsutil import atomic_directory

    with atomic_directory(tmp_path / "set") as d:
        (d / "x").write_text("1")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert target.read_text() == "done"


def test_sigterm_lets_the_cli_clean_up(tmp_path):
    """SIGTERM unwinds (exit 143) so the atomic writers remove their temporaries."""
    code = (
        "import time\n"
        "from gaiji.cli import _exit_on_sigterm\n"
        "from gaiji.fsutil import atomic_write\n"
        "_exit_on_sigterm()\n"
        f"with atomic_write({str(tmp_path / 'o.csv')!r}) as fh:\n"
        "    print('ready', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=ROOT, text=True)
    assert child.stdout.readline().strip() == "ready"
    child.terminate()
    assert child.wait(timeout=30) == 143
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ formula / control cells


def test_glyphs_csv_cells_are_inert_and_read_back_exactly(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    _png(scans / "=HYPERLINK(1).png")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text('gaiji_id,reading,note\n_=HYPERLINK(1),=つじ,"@SUM(A1)\x1b[31m"\n', encoding="utf-8")
    extract_gaiji_set([scans, ledger], tmp_path / "set")
    with open(tmp_path / "set" / "glyphs.csv", encoding="utf-8", newline="") as fh:
        raw = list(csv.reader(fh))
    dangerous = [c for row in raw[1:] for c in row if c and (c[0] in "=+-@\t\r" or "\x1b" in c)]
    assert dangerous == []
    (rec,) = read_gaiji_set(tmp_path / "set").records
    assert rec.gaiji_id == "_=HYPERLINK(1)" and rec.reading == "=つじ" and rec.note == "@SUM(A1)␛[31m"


def test_one_corrupt_coordinate_is_that_glyphs_problem_and_fast(tmp_path):
    """A flipped byte in one coordinate (30 ems wide) used to render a 4,000 px glyph for tens
    of seconds; now that glyph is reported and the others are read."""
    font = build_font(tmp_path / "flip.ttf", {0xE000: ([(100, 0, 30000, 800)], []),
                                             0xE001: ([(100, 0, 900, 800)], [])})
    start = time.perf_counter()
    items = list(read_font(font))
    assert time.perf_counter() - start < 5
    assert isinstance(items[0], Problem) and "U+E000" in items[0].message
    assert not isinstance(items[1], Problem) and max(items[1].image.size) < 70


# ------------------------------------------------------------ memory bounded on the crash inputs


def test_crash_inputs_stay_within_a_memory_limit(tmp_path):
    """The issue's memory bombs (unitsPerEm 16 → a 2 GB glyph; BDF DWIDTH 10⁹) run in a child
    limited to 1.5 GB of address space: extract must finish with its own message (exit 1),
    never a MemoryError or a traceback."""
    font = build_font(tmp_path / "tiny.ttf", {0xE000: ([(100, 0, 900, 800)], [])}, upem=16, ascent=14, descent=-2)
    bdf = tmp_path / "wide.bdf"
    bdf.write_text(bdf_text([("a", 0xE000, np.ones((8, 8), bool), (0, 0)),
                             ("b", 0xE001, np.ones((8, 8), bool), (0, 0))]).replace("DWIDTH 16 0", "DWIDTH 1000000000 0"))
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))\n"
        "from gaiji.cli import main\n"
        "sys.argv = ['gaiji', 'extract', *sys.argv[1:]]\n"
        "main()\n"
    )
    for i, src in enumerate((font, bdf)):
        proc = subprocess.run([sys.executable, "-c", code, str(src), "-o", str(tmp_path / f"set{i}"), "-q"],
                              check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
        assert "corrupt" in proc.stderr or "plausible" in proc.stderr
