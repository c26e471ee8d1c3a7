"""Issue 13: a set built from an image folder goes extract → match → review → export →
validate → convert (it used to fail at export: image glyphs had no code).

The images are the bundled sample municipality's EUDC glyphs (drawn from Hanazono Mincho,
never IPAmj) saved as PNG files, with a CP932 ledger giving each its Shift_JIS code."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.extract.fonts import read_font
from gaiji.review.store import ReviewStore
from gaiji.sample import sample_dir

pytestmark = pytest.mark.reference

CODES = {0xE000: "F040", 0xE002: "F042", 0xE003: "F043"}


def test_image_folder_set_goes_through_every_stage(tmp_path, reference):
    scans = tmp_path / "scans"
    scans.mkdir()
    for glyph in read_font(sample_dir() / "EUDC.TTE"):
        cp = int(glyph.code[2:], 16)  # noqa: FURB166 - the prefix is U+, not 0x
        if cp in CODES:
            glyph.image.save(scans / f"scan{cp - 0xE000:03d}.png")
    ledger = tmp_path / "台帳.csv"
    ledger.write_bytes("外字ID,外字コード,よみ\r\n".encode("cp932")
                       + "".join(f"scan{cp - 0xE000:03d},{code},\r\n" for cp, code in CODES.items()).encode("cp932"))
    runner = CliRunner()
    set_dir = tmp_path / "set"

    res = runner.invoke(cli, ["extract", str(scans), str(ledger), "-o", str(set_dir), "-q"])
    assert res.exit_code == 0, res.output
    with open(set_dir / "glyphs.csv", encoding="utf-8", newline="") as fh:
        codes = {r["gaiji_id"]: r["code"] for r in csv.DictReader(fh)}
    assert codes == {f"scan{cp - 0xE000:03d}": code for cp, code in CODES.items()}

    res = runner.invoke(cli, ["match", str(set_dir), "-o", str(set_dir / "candidates.csv"), "-q"])
    assert res.exit_code == 0, res.output
    with open(set_dir / "candidates.csv", encoding="utf-8", newline="") as fh:
        best = {r["gaiji_id"]: r for r in csv.DictReader(fh) if r["rank"] == "1"}
    assert set(best) == set(codes)

    store = ReviewStore.open(set_dir)  # two reviewers accept each rank-1 candidate
    try:
        for gid, row in best.items():
            for reviewer in ("sato", "suzuki"):
                store.record_decision(gid, reviewer, {"mj": row["mj"], "char": row["char"]}, "字形一致",
                                      reference_version=reference.version_label)
    finally:
        store.close()

    mapping = tmp_path / "mapping.csv"
    res = runner.invoke(cli, ["export", str(set_dir), "-o", str(mapping), "-q"])
    assert res.exit_code == 0, res.output
    with open(mapping, encoding="utf-8", newline="") as fh:
        rows = {r["gaiji_id"]: r for r in csv.DictReader(fh)}
    assert {g: r["sjis_code"] for g, r in rows.items()} == codes and all(r["status"] == "final" for r in rows.values())

    res = runner.invoke(cli, ["validate", str(mapping)])
    assert res.exit_code == 0, res.output

    data = tmp_path / "residents.csv"
    data.write_bytes(b"1," + bytes.fromhex("F040") + "田,".encode("cp932") + bytes.fromhex("F042F043") + b"\r\n")
    out = tmp_path / "residents.utf8.csv"
    res = runner.invoke(cli, ["convert", str(data), "-m", str(mapping), "-o", str(out), "--encoding", "cp932", "-q"])
    assert res.exit_code == 0, res.output
    chars = {code: rows[f"scan{cp - 0xE000:03d}"]["char"] for cp, code in CODES.items()}
    assert out.read_bytes().decode("utf-8") == f"1,{chars['F040']}田,{chars['F042']}{chars['F043']}\r\n"


def test_export_of_a_partial_set_lists_what_extract_could_not_read(tmp_path, reference, caplog):
    from gaiji.export.mapping import export_mapping
    from gaiji.extract import extract_gaiji_set

    scans = tmp_path / "scans"
    scans.mkdir()
    for glyph in read_font(sample_dir() / "EUDC.TTE"):
        glyph.image.save(scans / "ok.png")
        break
    (scans / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    extract_gaiji_set([scans], tmp_path / "set")
    with caplog.at_level("WARNING"):
        result = export_mapping(tmp_path / "set", tmp_path / "m.csv", reference=reference)
    assert "partial gaiji set" in caplog.text
    partial = [r for r in result.report if r.kind == "partial-set"]
    assert len(partial) == 1 and "broken.png" in partial[0].detail
    with open(result.report_path, encoding="utf-8", newline="") as fh:
        assert any(r["kind"] == "partial-set" for r in csv.DictReader(fh))
