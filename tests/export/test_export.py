"""`gaiji export`: the mapping table from real review decisions, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from lxml import etree

from gaiji.cli import cli
from gaiji.errors import ContractError
from gaiji.export.columns import COLUMN_NAMES
from gaiji.export.mapping import export_mapping
from gaiji.export.readers import read_mapping
from gaiji.export.schemas import json_schema_text, xsd_text
from gaiji.export.writers import UnencodableRows
from gaiji.review.store import ReviewStore
from tests.export.conftest import FORMULA_SOURCE, GLYPHS, read_csv_rows

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def test_shipped_schemas_are_generated_from_the_column_list() -> None:
    assert (MAPPINGS / "mapping.schema.json").read_text(encoding="utf-8") == json_schema_text()
    assert (MAPPINGS / "mapping.xsd").read_text(encoding="utf-8") == xsd_text()
    schema = json.loads((MAPPINGS / "mapping.schema.json").read_text(encoding="utf-8"))
    assert list(schema["$defs"]["row"]["properties"]) == list(COLUMN_NAMES)
    xsd = etree.parse(str(MAPPINGS / "mapping.xsd"))
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    names = xsd.xpath("//xs:complexType[@name='Row']/xs:sequence/xs:element/@name", namespaces=ns)
    assert names == list(COLUMN_NAMES)


def test_csv_rows_join_decisions_glyphs_and_mj_table(decided_set, reference, tmp_path) -> None:
    out = tmp_path / "mapping.csv"
    result = export_mapping(decided_set.path, out, reference=reference)
    rows = read_csv_rows(out)
    assert [r["gaiji_id"] for r in rows] == ["g6", "g1", "g2", "g3", "g8"]  # source, code, id order
    by_id = {r["gaiji_id"]: r for r in rows}
    assert set(by_id) == {"g1", "g2", "g3", "g6", "g8"}  # final only
    for gid, char in decided_set.expected.items():
        rec = reference.record(by_id[gid]["mj"])
        assert by_id[gid]["char"] == char == rec.char
        assert (by_id[gid]["ucs"], by_id[gid]["ivs"]) == (rec.ucs, rec.ivs)
        assert by_id[gid]["juki_code"] == rec.juki and by_id[gid]["koseki_number"] == rec.koseki
        assert by_id[gid]["reference_version"] == reference.version_label
    g1 = by_id["g1"]
    assert g1["char"] == "\u8fb6\U000e0102" and g1["fallback_char"] == "\ufa66"
    assert g1["fallback_basis"] == "JIS包摂規準UCS統合規則"
    assert (g1["decided_by"], g1["checked_by"], g1["auto_accepted"]) == ("sato", "suzuki", "0")
    assert by_id["g2"]["auto_accepted"] == "1" and by_id["g2"]["decided_by"] == "auto-accept"
    assert by_id["g2"]["fallback_basis"].startswith("法務省告示582号別表第四_一 順位1")
    assert by_id["g6"]["fallback_basis"] == "IVS除去" and by_id["g6"]["fallback_char"] == "珵"
    assert by_id["g3"]["identification_class"] == "該当なし" and by_id["g3"]["mj"] == ""
    # pending and disputed gaiji are listed in the report, not the table
    report = read_csv_rows(result.report_path)
    kinds = {(r["kind"], r["gaiji_id"]) for r in report}
    assert {("pending", "g4"), ("pending", "g7"), ("disputed", "g5")} <= kinds
    assert not any(r["kind"] == "mj-table-differs" for r in report)


def test_formula_cells_are_neutralised_and_read_back_exactly(decided_set, reference, tmp_path) -> None:
    out = tmp_path / "mapping.csv"
    export_mapping(decided_set.path, out, reference=reference)
    raw = out.read_text(encoding="utf-8")
    assert "\n\"'=HYPERLINK" in raw and "\n\"=HYPERLINK" not in raw
    table = read_mapping(out)
    assert not table.problems
    assert {r.values["source"] for r in table.rows} == {FORMULA_SOURCE, "EUDC.TTE", "gaiji.bdf"}
    report = (tmp_path / "mapping.report.csv").read_text(encoding="utf-8")
    assert "=HYPERLINK" not in report.replace("'=HYPERLINK", "")


def test_json_and_xml_are_valid_against_the_shipped_schemas(decided_set, reference, tmp_path) -> None:
    export_mapping(decided_set.path, tmp_path / "m.json", reference=reference, include_pending=True)
    export_mapping(decided_set.path, tmp_path / "m.xml", reference=reference, include_pending=True)
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    schema = json.loads((MAPPINGS / "mapping.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["reference_version"] == reference.version_label
    assert len(doc["rows"]) == 8
    xsd = etree.XMLSchema(etree.parse(str(MAPPINGS / "mapping.xsd")))
    xml = etree.parse(str(tmp_path / "m.xml"))
    assert xsd.validate(xml), xsd.error_log
    ns = {"m": "urn:gaiji:mapping:1"}
    assert xml.xpath("count(//m:row)", namespaces=ns) == 8
    statuses = {r["gaiji_id"]: r["status"] for r in doc["rows"]}
    assert statuses["g4"] == statuses["g7"] == "pending" and statuses["g5"] == "disputed"
    pending_g7 = next(r for r in doc["rows"] if r["gaiji_id"] == "g7")
    assert pending_g7["mj"] == "MJ000078" and pending_g7["identification_class"] == ""
    # the schema itself rejects what it should
    bad = json.loads(json.dumps(doc))
    bad["rows"][0]["ucs"] = "8FBB"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)


def test_bom_and_tsv(decided_set, reference, tmp_path) -> None:
    export_mapping(decided_set.path, tmp_path / "m.csv", reference=reference, bom=True)
    assert (tmp_path / "m.csv").read_bytes().startswith(b"\xef\xbb\xbfsource,code,")
    export_mapping(decided_set.path, tmp_path / "m.tsv", reference=reference)
    assert (tmp_path / "m.tsv").read_text(encoding="utf-8").startswith("source\tcode\tgaiji_id\t")


def test_cp932_refuses_unencodable_cells_naming_rows(decided_set, reference, tmp_path) -> None:
    """Issue 13: an IVS no longer makes a row fail (base + char_base_only); a character CP932
    has no code for still does, named with its row."""
    out = tmp_path / "m.csv"
    with pytest.raises(UnencodableRows) as info:
        export_mapping(decided_set.path, out, reference=reference, encoding="cp932")
    message = str(info.value)
    assert not out.exists()
    bad_rows = {(gid, col) for _n, gid, col, _v in info.value.problems}
    assert ("g1", "char") in bad_rows  # 辶 + U+E0102: the base 辶 (U+8FB6) itself is not in CP932
    assert ("g6", "char") not in bad_rows  # 珵 + IVS: 珵 is in CP932, so base + char_base_only
    assert "(g1) char" in message and "U+8FB6" in message and "Write UTF-8" in message
    assert all(gid != "g3" for gid, _ in bad_rows)  # 該当なし has no character


def test_cp932_export_writes_ivs_rows_as_base_plus_flag(tmp_path, reference) -> None:
    from gaiji.export.readers import read_mapping
    from gaiji.export.validate import full_char
    from tests.export.conftest import record_reviews, write_set

    glyphs = [("i1", "EUDC.TTE", "U+E000", ("two", "MJ025760", "字形一致")),  # 辻 + U+E0102
              ("i2", "EUDC.TTE", "U+E001", ("two", "MJ006353", "字形一致"))]  # 串, no IVS
    folder = write_set(tmp_path / "set", glyphs)
    record_reviews(folder, reference, glyphs)
    out = tmp_path / "m.csv"
    export_mapping(folder, out, reference=reference, encoding="cp932")
    rows = {r.values["gaiji_id"]: r.values for r in read_mapping(out, encoding="cp932").rows}
    assert rows["i1"]["char"] == "辻" and rows["i1"]["char_base_only"] == "1" and rows["i1"]["ivs"] == "U+E0102"
    assert full_char(rows["i1"]) == reference.record("MJ025760").char  # nothing lost
    assert rows["i2"]["char_base_only"] == "0" and rows["i1"]["sjis_code"] == "F040"
    from click.testing import CliRunner

    from gaiji.cli import cli

    res = CliRunner().invoke(cli, ["validate", str(out), "--encoding", "cp932"])
    assert res.exit_code == 0, res.output
    data = tmp_path / "d.txt"
    data.write_bytes("\ue000\ue001\n".encode("cp932"))
    res = CliRunner().invoke(cli, ["convert", str(data), "-m", str(out), "--mapping-encoding", "cp932",
                                   "-o", str(tmp_path / "o.txt"), "--encoding", "cp932", "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o.txt").read_bytes().decode("utf-8") == reference.record("MJ025760").char + "串\n"


def test_cp932_export_of_encodable_rows(tmp_path, reference) -> None:
    from tests.export.conftest import record_reviews, write_set

    glyphs = [("k1", "EUDC.TTE", "U+E000", ("two", "MJ000078", "字形一致"))]
    folder = write_set(tmp_path / "set", glyphs)
    record_reviews(folder, reference, glyphs)
    # 㑨 (U+3468) is JIS X 0213 plane 2, not CP932: still refused
    with pytest.raises(UnencodableRows):
        export_mapping(folder, tmp_path / "m.csv", reference=reference, encoding="cp932")
    glyphs = [("k2", "EUDC.TTE", "U+E000", ("two", None, "該当なし"))]
    folder = write_set(tmp_path / "set2", glyphs)
    record_reviews(folder, reference, glyphs)
    export_mapping(folder, tmp_path / "m2.csv", reference=reference, encoding="cp932")
    rows = read_csv_rows(tmp_path / "m2.csv", encoding="cp932")
    assert rows[0]["identification_class"] == "該当なし"


def _font(path: Path, cmap: dict[int, str], uvs: list[tuple[int, int, str | None]]) -> Path:
    names = [".notdef"] + sorted(set(cmap.values()) | {g for _, _, g in uvs if g})
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap(cmap, uvs=uvs)
    glyphs = {}
    for n in names:
        pen = TTGlyphPen(None)
        if n != ".notdef":
            pen.moveTo((100, 100)); pen.lineTo((900, 100)); pen.lineTo((500, 800)); pen.closePath()
        glyphs[n] = pen.glyph()
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (1000, 0) for n in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "TargetTest", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    fb.save(str(path))
    return path


def test_target_font_fallback_via_cmap14(decided_set, reference, tmp_path) -> None:
    from gaiji.export.fontcheck import FontCoverage

    # draws 辶 at U+8FB6 (no IVS), its fallback U+FA66, 劎, 剣, 㑨 and 珵 + its IVS sequence
    font = _font(tmp_path / "target.ttf",
                 {0x8FB6: "shinnyo", 0xFA66: "shinnyo_compat", 0x528E: "ken", 0x5263: "ken2",
                  0x3468: "ki", 0x73F5: "tei"},
                 [(0x73F5, 0xE0101, None)])
    cov = FontCoverage(font)
    assert cov.draws("\u8fb6") and not cov.draws("\u8fb6\U000e0102") and cov.draws("\u73f5\U000e0101")
    result = export_mapping(decided_set.path, tmp_path / "m.csv", reference=reference, target_font=font)
    by_id = {r["gaiji_id"]: r for r in read_csv_rows(tmp_path / "m.csv")}
    assert by_id["g1"]["use_fallback"] == "1" and by_id["g1"]["fallback_char"] == "\ufa66"
    assert by_id["g6"]["use_fallback"] == "0"  # default UVS + base mapped → drawn
    assert by_id["g2"]["use_fallback"] == "0"
    report = {(r["kind"], r["gaiji_id"]) for r in read_csv_rows(result.report_path)}
    assert ("font-fallback", "g1") in report
    # a font that draws neither the sequence nor any fallback
    bare = _font(tmp_path / "bare.ttf", {0x3468: "ki"}, [])
    result = export_mapping(decided_set.path, tmp_path / "m2.csv", reference=reference, target_font=bare)
    report = {(r["kind"], r["gaiji_id"]) for r in read_csv_rows(result.report_path)}
    assert ("font-missing", "g1") in report and ("font-missing", "g2") in report
    assert ("font-missing", "g8") not in report


def test_export_cli_summary_and_errors(decided_set, tmp_path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["export", str(decided_set.path), "-o", str(tmp_path / "m.xml"), "-q"])
    assert res.exit_code == 0, res.output
    assert "5 final" in res.output and "1 disputed (left out)" in res.output
    res = runner.invoke(cli, ["export", str(decided_set.path), "-o", str(tmp_path / "m.txt")])
    assert res.exit_code == 1 and "name it .csv, .tsv, .json or .xml" in res.output
    res = runner.invoke(cli, ["export", str(decided_set.path), "-o", str(tmp_path / "m.csv"), "--encoding", "cp932"])
    assert res.exit_code == 1 and "CP932 cannot encode" in res.output



def test_export_warns_when_random_spot_checks_found_auto_accepts_wrong(decided_set, reference, tmp_path) -> None:
    store = ReviewStore.open(decided_set.path)
    store.record_spot_check("g2", "sato", sample="s1", outcome="left_out")
    other = {"mj": "MJ000078", "char": reference.record("MJ000078").char}
    store.record_decision("g2", "sato", other, "字形一致", reference_version=reference.version_label)
    store.settle("g2", "suzuki", other, "字形一致", reference_version=reference.version_label, basis="sato")
    store.close()
    res = CliRunner().invoke(cli, ["export", str(decided_set.path), "-o", str(tmp_path / "m.csv")])
    assert res.exit_code == 0, res.output
    assert "WARNING: random spot-checks found 1 of 1 auto-accepts wrong" in res.output
    report = read_csv_rows(tmp_path / "m.report.csv")
    audit = [r for r in report if r["kind"] == "auto-accept-audit"]
    assert [r["gaiji_id"] for r in audit] == ["", "g2"] and "MJ007607" in audit[1]["detail"]


def test_export_to_an_unwritable_path_is_a_clean_error(decided_set, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be\n")
    res = CliRunner().invoke(cli, ["export", str(decided_set.path), "-o", str(blocker / "m.csv"), "-q"])
    assert res.exit_code == 1, res.output
    assert "cannot write" in res.output and "choose an output path" in res.output
    assert not isinstance(res.exception, OSError)
    assert blocker.read_text() == "a file where the output folder should be\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_export_before_any_review_lists_every_gaiji_and_creates_no_review_store(tmp_path, reference) -> None:
    from tests.export.conftest import write_set

    folder = write_set(tmp_path / "set")
    result = export_mapping(folder, tmp_path / "m.csv", reference=reference)
    assert result.rows == 0 and result.final == 0
    report = read_csv_rows(tmp_path / "m.report.csv")
    assert sorted(r["gaiji_id"] for r in report) == sorted(g for g, *_ in GLYPHS)
    assert {r["detail"] for r in report} == {"not reviewed yet"}
    assert sorted(p.name for p in folder.iterdir()) == ["glyphs.csv"]


def test_a_review_record_edited_outside_the_desk_is_not_exported(decided_set, tmp_path) -> None:
    import sqlite3

    conn = sqlite3.connect(decided_set.path / "review.sqlite")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")  # what someone editing the file by hand would do
    conn.execute("UPDATE events SET body = replace(body, 'MJ030302', 'MJ030303') WHERE seq = 1")
    conn.commit()
    conn.close()
    res = CliRunner().invoke(cli, ["export", str(decided_set.path), "-o", str(tmp_path / "m.csv"), "-q"])
    assert res.exit_code == 1 and "audit trail does not verify" in res.output, res.output
    assert not (tmp_path / "m.csv").exists() and not (tmp_path / "m.report.csv").exists()

def test_decisions_against_another_reference_version_are_reported(tmp_path, reference) -> None:
    from gaiji.review.store import ReviewStore
    from tests.export.conftest import write_set

    folder = write_set(tmp_path / "set", [("r1", "EUDC.TTE", "U+E000", ("none",))])
    store = ReviewStore.open(folder)
    for who in ("sato", "suzuki"):
        store.record_decision("r1", who, {"mj": "MJ000078"}, "字形一致", reference_version="IPAmj明朝 004.01")
    store.close()
    # refused until rechecked (gaiji review recheck) or explicitly allowed
    with pytest.raises(ContractError, match=r"another reference version.*IPAmj明朝 004.01.*--allow-reference-change"):
        export_mapping(folder, tmp_path / "m.csv", reference=reference)
    assert not (tmp_path / "m.csv").exists()
    result = export_mapping(folder, tmp_path / "m.csv", reference=reference, allow_reference_change=True)
    assert [(i.kind, i.gaiji_id) for i in result.report] == [("reference-changed", "r1")]
    assert "IPAmj明朝 004.01" in result.report[0].detail
    # the row records the version it was decided against
    assert read_csv_rows(tmp_path / "m.csv")[0]["reference_version"] == "IPAmj明朝 004.01"
