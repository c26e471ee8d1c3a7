"""The gaiji set: contract columns, stable ids, atomic writes, nothing lost silently."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from gaiji.errors import ContractError, InputError
from gaiji.extract import ExtractOptions, extract_gaiji_set, read_gaiji_set
from gaiji.extract.gaijiset import CONTRACT_COLUMNS

from .makers import bdf_text, build_font

SHAPES = {
    0xE000: ([(100, 0, 500, 400)], []),
    0xE001: ([(0, -200, 1000, 800)], [(200, 0, 800, 600)]),
    0xE002: ([(100, 0, 500, 400)], []),  # identical to E000: a duplicate
    0xE003: ([], []),  # blank
}
PX = ExtractOptions(px=10)


@pytest.fixture()
def sources(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    build_font(src / "EUDC.TTE", SHAPES)
    ink = np.zeros((8, 8), bool)
    ink[2:6, 2:6] = True
    (src / "v16.bdf").write_text(
        bdf_text([("a", 0x7521, ink, (0, 0))], registry="JISX0208.1983", encoding="0")
    )
    imgs = src / "scans"
    imgs.mkdir()
    a = np.full((30, 30), 255, np.uint8)
    a[5:25, 14:16] = 0
    Image.fromarray(a).save(imgs / "渡邊-1.png")
    Image.fromarray(a).convert("1").save(imgs / "渡邊-2.bmp")
    (src / "ledger.csv").write_bytes(
        "外字コード,よみ,使用件数,備考\r\nF040,つじ・ﾂｼﾞ,12,旧字\r\nU+E001,たか,3,\r\nF9FC,,0,削除\r\n".encode(
            "cp932"
        )
    )
    (src / "ids.csv").write_text("gaiji_id,reading\n渡邊-1,わたなべ\n", encoding="utf-8")
    return src


def test_contract_columns_rows_and_summary(sources, tmp_path):
    s = sources
    out = tmp_path / "set"
    summary = extract_gaiji_set(
        [s / "EUDC.TTE", s / "v16.bdf", s / "scans", s / "ledger.csv", s / "ids.csv"],
        out,
        options=PX,
    )
    with open(out / "glyphs.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = (out / "glyphs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header[:9]) == CONTRACT_COLUMNS
    ids = [r["gaiji_id"] for r in rows]
    assert ids == [
        "EUDC-E000",
        "EUDC-E001",
        "EUDC-E002",
        "EUDC-E003",
        "v16-7521",
        "渡邊-1",
        "渡邊-2",
    ]
    by = {r["gaiji_id"]: r for r in rows}
    assert (
        by["EUDC-E000"]["reading"],
        by["EUDC-E000"]["usage_count"],
        by["EUDC-E000"]["note"],
    ) == ("つじ・ﾂｼﾞ", "12", "旧字")
    assert by["EUDC-E001"]["reading"] == "たか" and by["渡邊-1"]["reading"] == "わたなべ"
    assert (
        by["EUDC-E002"]["duplicate_of"] == "EUDC-E000" and by["渡邊-2"]["duplicate_of"] == "渡邊-1"
    )
    assert by["EUDC-E003"]["blank"] == "1" and by["EUDC-E000"]["blank"] == ""
    assert by["v16-7521"]["code"] == "0x7521" and by["v16-7521"]["charset"] == "JISX0208.1983-0"
    assert by["渡邊-1"]["code"] == "渡邊-1" and (by["渡邊-1"]["width"], by["渡邊-1"]["height"]) == (
        "30",
        "30",
    )
    for r in rows:
        assert (out / r["image"]).is_file()
    assert summary.ok and summary.written and summary.glyph_count == 7
    assert summary.blank == ["EUDC-E003"]
    assert sorted(map(sorted, summary.duplicates)) == [
        ["EUDC-E000", "EUDC-E002"],
        ["渡邊-1", "渡邊-2"],
    ]
    assert summary.ledger_without_glyph == ["ledger.csv line 4: F9FC"]
    assert set(summary.glyphs_without_ledger) == {"EUDC-E002", "EUDC-E003", "v16-7521", "渡邊-2"}


def test_provenance_records_sources_and_hashes(sources, tmp_path):
    out = tmp_path / "set"
    extract_gaiji_set([sources / "EUDC.TTE", sources / "ledger.csv"], out, options=PX)
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    font = next(s for s in prov["sources"] if s["name"] == "EUDC.TTE")
    assert font["sha256"] == hashlib.sha256((sources / "EUDC.TTE").read_bytes()).hexdigest()
    assert prov["tool"]["name"] == "gaiji" and prov["tool"]["version"]
    assert next(s for s in prov["sources"] if s["name"] == "ledger.csv")["encoding"] == "cp932"


def test_rerun_is_byte_identical(sources, tmp_path):
    args = [sources / "EUDC.TTE", sources / "v16.bdf", sources / "scans", sources / "ledger.csv"]
    extract_gaiji_set(args, tmp_path / "a", options=PX)
    extract_gaiji_set(args, tmp_path / "b", options=PX)
    assert (tmp_path / "a/glyphs.csv").read_bytes() == (tmp_path / "b/glyphs.csv").read_bytes()
    for png in (tmp_path / "a/glyphs").iterdir():
        assert png.read_bytes() == (tmp_path / "b/glyphs" / png.name).read_bytes()


def test_read_gaiji_set_records_and_images(sources, tmp_path):
    out = tmp_path / "set"
    extract_gaiji_set([sources / "EUDC.TTE", sources / "ledger.csv"], out, options=PX)
    gs = read_gaiji_set(out)
    rec = gs["EUDC-E000"]
    assert rec.usage_count == 12 and rec.sjis_code == "F040" and rec.code == "U+E000"
    assert gs["EUDC-E003"].blank and gs["EUDC-E002"].duplicate_of == "EUDC-E000"
    assert rec.load_image().size == (rec.width, rec.height)
    assert len(gs) == 4 and gs.provenance["glyph_count"] == 4


def test_one_bad_file_loses_nothing_else(sources, tmp_path):
    bad = sources / "broken.ttf"
    bad.write_bytes((sources / "EUDC.TTE").read_bytes()[:200])
    out = tmp_path / "set"
    summary = extract_gaiji_set([bad, sources / "EUDC.TTE", sources / "v16.bdf"], out, options=PX)
    assert summary.written and not summary.ok and summary.glyph_count == 5
    assert (
        summary.failed_sources[0].path.endswith("broken.ttf")
        and "broken.ttf" in summary.failed_sources[0].error
    )
    assert "broken.ttf" in summary.format_text()


def test_strict_writes_nothing_and_keeps_the_old_set(sources, tmp_path):
    out = tmp_path / "set"
    extract_gaiji_set([sources / "EUDC.TTE"], out, options=PX)
    before = (out / "glyphs.csv").read_bytes()
    bad = sources / "broken.bdf"
    bad.write_text("STARTFONT 2.1\nSTARTCHAR a\nENCODING 1\n")
    with pytest.raises(InputError, match="broken.bdf"):
        extract_gaiji_set(
            [sources / "v16.bdf", bad], out, options=ExtractOptions(px=10, strict=True)
        )
    assert (out / "glyphs.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".set")]


def test_duplicate_ids_across_sources_are_reported_not_merged(sources, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    build_font(other / "EUDC.TTE", {0xE000: ([(0, 0, 1000, 800)], [])})
    summary = extract_gaiji_set(
        [sources / "EUDC.TTE", other / "EUDC.TTE"], tmp_path / "set", options=PX
    )
    assert not summary.ok
    assert any("EUDC-E000" in p and "already used" in p and "rename" in p for p in summary.problems)
    gs = read_gaiji_set(tmp_path / "set")
    # the first font's glyph is kept, not overwritten by the second
    assert (np.asarray(gs["EUDC-E000"].load_image()) < 128).sum() == 16


def test_empty_folder_and_nothing_readable(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty.*nothing to extract"):
        extract_gaiji_set([empty], tmp_path / "set")
    assert not (tmp_path / "set").exists()


def test_refuses_to_replace_a_folder_that_is_not_a_set(sources, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(InputError, match="not a gaiji set"):
        extract_gaiji_set([sources / "EUDC.TTE"], precious, options=PX)
    assert (precious / "thesis.txt").exists()


def test_contract_errors_when_reading(tmp_path):
    with pytest.raises(ContractError, match="not a gaiji set"):
        read_gaiji_set(tmp_path)
    (tmp_path / "glyphs.csv").write_text("gaiji_id,source\nx,y\n", encoding="utf-8")
    with pytest.raises(ContractError, match="missing columns"):
        read_gaiji_set(tmp_path)
    header = ",".join(CONTRACT_COLUMNS)
    (tmp_path / "glyphs.csv").write_text(
        f"{header}\na,s,,1,1,,,,../../etc/passwd\n", encoding="utf-8"
    )
    with pytest.raises(ContractError, match="outside"):
        read_gaiji_set(tmp_path)
    (tmp_path / "glyphs.csv").write_text(
        f"{header}\na,s,,1,1,,,,\na,s,,1,1,,,,\n", encoding="utf-8"
    )
    with pytest.raises(ContractError, match="twice"):
        read_gaiji_set(tmp_path)


def test_set_written_inside_a_source_folder_is_not_read_back(sources):
    out = sources / "scans" / "set"
    first = extract_gaiji_set([sources / "scans"], out)
    again = extract_gaiji_set([sources / "scans"], out)
    assert first.glyph_count == again.glyph_count == 2
    assert (out / "glyphs.csv").read_bytes().count(b"\n") == 3


def test_later_stages_files_are_not_discarded_without_replace(sources, tmp_path):
    out = tmp_path / "set"
    extract_gaiji_set([sources / "EUDC.TTE"], out, options=PX)
    (out / "review.sqlite").write_bytes(b"decisions")
    with pytest.raises(InputError, match=r"review\.sqlite.*--replace"):
        extract_gaiji_set([sources / "EUDC.TTE"], out, options=PX)
    assert (out / "review.sqlite").read_bytes() == b"decisions"
    extract_gaiji_set(
        [sources / "EUDC.TTE"], out, options=ExtractOptions(px=10, replace_later_stages=True)
    )
    assert not (out / "review.sqlite").exists() and (out / "glyphs.csv").is_file()


def test_glyphs_drawn_in_the_alpha_channel_are_told_apart_and_identical_ones_found(tmp_path):
    """Transparent PNGs often keep every colour channel black and draw the glyph in alpha alone;
    in grey all of them looked the same, and each was marked a duplicate of the first."""
    src = tmp_path / "pngs"
    src.mkdir()

    def transparent(ink: np.ndarray, path) -> None:
        rgba = np.zeros(ink.shape + (4,), np.uint8)  # black everywhere, ink in alpha
        rgba[..., 3] = np.where(ink, 255, 0)
        Image.fromarray(rgba, "RGBA").save(path)

    bar = np.zeros((30, 30), bool)
    bar[5:25, 14:16] = True
    box = np.zeros((30, 30), bool)
    box[8:22, 8:22] = True
    transparent(bar, src / "A.png")
    transparent(box, src / "B.png")
    transparent(bar, src / "C.png")  # the same drawing as A
    Image.fromarray(np.where(bar, 0, 255).astype(np.uint8)).save(src / "D.png")  # A on white, grey
    summary = extract_gaiji_set([src], tmp_path / "set")
    by = {r.gaiji_id: r for r in read_gaiji_set(tmp_path / "set").records}
    assert by["B"].duplicate_of == ""
    assert by["C"].duplicate_of == "A" and by["D"].duplicate_of == "A"
    assert sorted(map(sorted, summary.duplicates)) == [["A", "C", "D"]]
