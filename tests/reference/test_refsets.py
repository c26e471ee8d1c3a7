"""Added reference sets: `gaiji reference add-set / sets / remove-set` and the list reader.

Fonts are the committed Hanazono subset (gaiji/sample/refset/, made by its generator) or
built here with FontBuilder (IVS via cmap 14, private-use codes)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from PIL import Image, ImageDraw, ImageFont

from gaiji.cli import cli
from gaiji.errors import InputError
from gaiji.reference import refsets
from gaiji.reference.settable import read_set_table
from gaiji.render import canonical_raster

SAMPLE = Path(__file__).resolve().parents[2] / "gaiji" / "sample" / "refset"
FONT = SAMPLE / "refset-sample.ttf"
LIST = SAMPLE / "refset.csv"


def _bars(*rects: tuple[int, int, int, int]):  # type: ignore[no-untyped-def]
    pen = TTGlyphPen(None)
    for x0, y0, x1, y1 in rects:
        pen.moveTo((x0, y0))
        pen.lineTo((x0, y1))
        pen.lineTo((x1, y1))
        pen.lineTo((x1, y0))
        pen.closePath()
    return pen.glyph()


def build_ivs_font(path: Path) -> Path:
    """U+4E00 (one bar), its variant U+4E00 U+E0101 (two bars), PUA U+E000 (a box), U+4E8C
    (three bars), and 'spare' (a glyph on U+4E09 that the lists below never name)."""
    names = [".notdef", "one", "one_v1", "pua", "two", "spare"]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({0x4E00: "one", 0xE000: "pua", 0x4E8C: "two", 0x4E09: "spare"},
                         uvs=[(0x4E00, 0xE0101, "one_v1"), (0x4E00, 0xE0100, None)])
    glyf = {
        ".notdef": _bars(),
        "one": _bars((100, 350, 900, 450)),
        "one_v1": _bars((100, 150, 900, 250), (100, 550, 900, 650)),
        "pua": _bars((100, 100, 900, 200), (100, 700, 900, 800), (100, 100, 200, 800), (800, 100, 900, 800)),
        "two": _bars((100, 100, 900, 200), (200, 400, 800, 500), (100, 700, 900, 800)),
        "spare": _bars((450, 100, 550, 800)),
    }
    fb.setupGlyf(glyf)
    fb.setupHorizontalMetrics({n: (1000, 100 if n != ".notdef" else 0) for n in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "RefsetTest", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- the bundled sample set --------------------------------------------------------------------


def test_sample_set_joins_every_row_to_its_own_glyph(tmp_path: Path) -> None:
    s = refsets.add_set("HanaExt", [FONT], LIST, home=tmp_path)
    assert (s.rows, s.rows_with_glyph, s.counts) == (24, 24, {})
    ref = refsets.load_set("HanaExt", tmp_path)
    # each stored raster is closest to its own character drawn independently (PIL), not to another row's
    face = ImageFont.truetype(str(FONT), 96)
    drawn = []
    for rec in ref.records:
        im = Image.new("L", (128, 128), 255)
        ImageDraw.Draw(im).text((8, 8), rec.char, font=face, fill=0)
        drawn.append(canonical_raster(im).ravel())
    stored = ref.rasters.reshape(len(ref), -1).astype(np.float32) / 255
    a = np.array(drawn)
    sims = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (stored / np.linalg.norm(stored, axis=1, keepdims=True)).T
    assert (sims.argmax(axis=1) == np.arange(len(ref))).all()
    others = (sims - np.eye(len(ref)) * 10).max(axis=1)
    assert (sims.diagonal() - others).min() > 0.1  # PIL hints and anti-aliases differently, hence not ~1.0


def test_provenance_records_sha256_and_re_adding_is_a_no_op(tmp_path: Path) -> None:
    refsets.add_set("HanaExt", [FONT], LIST, home=tmp_path)
    folder = tmp_path / "reference_sets" / "HanaExt"
    prov = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert prov["sources"]["fonts"][0]["sha256"] == sha(FONT)
    assert prov["sources"]["table"]["sha256"] == sha(LIST)
    assert prov["columns"] == {"id": "文字ID", "code": "UCS", "readings": "読み", "strokes": "総画数",
                               "related_ucs": "対応UCS", "note": "備考"}
    again = refsets.add_set("HanaExt", [FONT], LIST, home=tmp_path)
    assert again.skipped
    # a changed list is rebuilt
    changed = tmp_path / "changed.csv"
    changed.write_text(LIST.read_text(encoding="utf-8-sig").replace("HX0001", "HX9999"), encoding="utf-8")
    rebuilt = refsets.add_set("HanaExt", [FONT], changed, home=tmp_path)
    assert not rebuilt.skipped
    assert refsets.load_set("HanaExt", tmp_path).record("HX9999").ucs == "U+2A70C"


# ---- the join, row by row ---------------------------------------------------------------------


def test_every_row_problem_is_reported(tmp_path: Path) -> None:
    font = build_ivs_font(tmp_path / "t.ttf")
    table = write_csv(tmp_path / "list.csv", ["ID", "code", "glyph", "radical", "reading"], [
        ["A1", "U+4E00", "", "1", "いち"],
        ["A2", "U+4E00 U+E0101", "", "", ""],
        ["A3", "U+4E00 U+E0102", "", "", ""],  # sequence the font does not have
        ["A4", "U+9999", "", "", ""],  # code not in the font
        ["A1", "U+4E8C", "", "", ""],  # duplicate identifier
        ["A5", "U+E000", "", "300", ""],  # private use; radical out of range
        ["A6", "", "two", "", ""],  # by glyph name
        ["A7", "U+4E00", "#1", "", ""],  # glyph index wins over the code; same code as A1
        ["A8", "U+4E00 U+E0100", "", "", ""],  # default variation glyph → the plain glyph (a code of its own)
    ])
    s = refsets.add_set("T", [font], table, home=tmp_path)
    got = sorted((r.kind, r.line, r.id) for r in s.report)
    assert got == sorted([
        ("row_without_glyph", 4, "A3"),
        ("row_without_glyph", 5, "A4"),
        ("duplicate_id", 6, "A1"),
        ("bad_value", 7, "A5"),
        ("duplicate_code", 9, "A7"),
        ("same_glyph", 9, "A7"),
        ("same_glyph", 10, "A8"),
        ("glyph_without_row", None, ""),
    ])
    no_seq = next(r for r in s.report if r.id == "A3")
    assert "cmap 14" in no_seq.detail
    spare = next(r for r in s.report if r.kind == "glyph_without_row")
    assert (spare.glyph, spare.code) == ("spare", "U+4E09")
    ref = refsets.load_set("T", tmp_path)
    assert [r.id for r in ref.records] == ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"]
    assert ref.record("A2").char == "\u4e00\U000e0101" and ref.record("A2").ivs == "U+E0101"
    assert ref.record("A2").glyph_name == "one_v1" and ref.record("A8").glyph_name == "one"
    assert ref.record("A5").private_use and ref.record("A5").radical is None
    assert ref.record("A6").glyph_name == "two" and ref.record("A7").glyph_name == "one"
    assert ref.record("A1").readings == ["いち"] and ref.record("A1").radical == 1
    assert not ref.record("A3").has_glyph and not ref.rasters[ref.index_of("A3")].any()
    # the two different glyphs of U+4E00 are different rasters
    assert not np.array_equal(ref.rasters[ref.index_of("A1")], ref.rasters[ref.index_of("A2")])
    # the whole report is on disk, one line per item
    with (tmp_path / "reference_sets" / "T" / "report.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(s.report)
    assert [r.id for r in ref.search("いち")] == ["A1"]
    assert {r.id for r in ref.search("一")} >= {"A1", "A2"}


def test_columns_by_override_and_xlsx(tmp_path: Path) -> None:
    import openpyxl

    font = build_ivs_font(tmp_path / "t.ttf")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "一覧"
    ws.append(["No.", "符号", "関連MJ"])
    ws.append(["X1", "U+4E00", "MJ000001"])
    ws.append(["X2", "U+4E8C", "mj000002"])
    book.save(tmp_path / "list.xlsx")
    with pytest.raises(InputError, match="no identifier column.*--columns id="):
        refsets.add_set("X", [font], tmp_path / "list.xlsx", home=tmp_path)
    s = refsets.add_set("X", [font], tmp_path / "list.xlsx", home=tmp_path,
                        columns={"id": "No.", "code": "符号"}, sheet="一覧")
    assert s.rows_with_glyph == 2
    ref = refsets.load_set("X", tmp_path)
    assert ref.record("X2").related_mj == "MJ000002"
    assert [r.id for r in ref.search("MJ000002")] == ["X2"]
    with pytest.raises(InputError, match="no column 'nope'"):
        read_set_table(tmp_path / "list.xlsx", columns={"id": "nope"})
    with pytest.raises(InputError, match="no sheet"):
        read_set_table(tmp_path / "list.xlsx", sheet="missing")


def test_cp932_list_is_read(tmp_path: Path) -> None:
    font = build_ivs_font(tmp_path / "t.ttf")
    table = write_csv(tmp_path / "l.csv", ["文字ID", "文字", "読み"], [["K1", "一", "イチ・ひと"]], encoding="cp932")
    refsets.add_set("K", [font], table, home=tmp_path)
    assert refsets.load_set("K", tmp_path).record("K1").readings == ["イチ", "ひと"]


@pytest.mark.parametrize("name", ["MJ", "mj", "", "a/b", "../x", "名前"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError):
        refsets.add_set(name, [FONT], LIST, home=tmp_path)
    assert not (tmp_path / "reference_sets").exists()


def test_a_failed_build_leaves_the_installed_set_as_it_was(tmp_path: Path, monkeypatch) -> None:
    refsets.add_set("HanaExt", [FONT], LIST, home=tmp_path)
    before = sha(tmp_path / "reference_sets" / "HanaExt" / "provenance.json")

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(refsets, "render_set", boom)
    with pytest.raises(Exception, match="No space left"):
        refsets.add_set("HanaExt", [FONT], LIST, home=tmp_path, force=True)
    assert sha(tmp_path / "reference_sets" / "HanaExt" / "provenance.json") == before
    assert [p.name for p in (tmp_path / "reference_sets").iterdir()] == ["HanaExt"]


# ---- the commands ------------------------------------------------------------------------------


def test_cli_add_list_remove(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path)
    r = runner.invoke(cli, ["reference", "add-set", "HanaExt", "--font", str(FONT), "--table", str(LIST),
                            "--home", home, "-q"])
    assert r.exit_code == 0, r.output
    assert "rows joined to a glyph:      24" in r.output
    r = runner.invoke(cli, ["reference", "sets", "--home", home, "--json"])
    assert [s["name"] for s in json.loads(r.output)] == ["HanaExt"]
    r = runner.invoke(cli, ["reference", "remove-set", "HanaExt", "--home", home])
    assert r.exit_code == 0 and not (tmp_path / "reference_sets" / "HanaExt").exists()
    r = runner.invoke(cli, ["reference", "remove-set", "HanaExt", "--home", home])
    assert r.exit_code == 1 and "no added set 'HanaExt'" in r.output
    r = runner.invoke(cli, ["reference", "add-set", "Y", "--font", str(FONT), "--table", str(LIST),
                            "--columns", "id", "--home", home])
    assert r.exit_code == 1 and "FIELD=COLUMN" in r.output


def test_sample_set_regenerates_byte_identical(tmp_path: Path) -> None:
    from gaiji.sample.refset import generate

    for path in (generate.HANAZONO_DIR / "HanaMinB.ttf", generate.BABELSTONE, generate.IPAMJ):
        if not path.is_file():
            pytest.fail(f"{path} missing: bash scripts/setup.sh --test installs it", pytrace=False)
    record = generate.generate(tmp_path, generate.HANAZONO_DIR, generate.BABELSTONE, generate.IPAMJ)
    committed = json.loads((SAMPLE / "record.json").read_text(encoding="utf-8"))
    assert record["outputs"] == committed["outputs"]
    assert record["inputs"] == committed["inputs"]
