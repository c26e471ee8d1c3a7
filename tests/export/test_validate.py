"""`gaiji validate`: every kind of bad mapping table is caught, naming its rows, with the
documented exit code (0 valid, 1 invalid, 2 not examined)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.export.columns import COLUMN_NAMES
from gaiji.export.mapping import export_mapping
from gaiji.export.validate import validate_mapping
from tests.export.conftest import read_csv_rows


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


@pytest.fixture
def good_csv(decided_set, reference, tmp_path) -> Path:
    out = tmp_path / "good.csv"
    export_mapping(decided_set.path, out, reference=reference)
    return out


def rewrite(src: Path, dst: Path, change) -> Path:
    rows = read_csv_rows(src)
    rows = change(rows) or rows
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    dst.write_text(buf.getvalue(), encoding="utf-8")
    return dst


def row(rows, gid):
    return next(r for r in rows if r["gaiji_id"] == gid)


def test_our_exports_are_valid_in_every_format(decided_set, reference, tmp_path) -> None:
    for name in ("m.csv", "m.tsv", "m.json", "m.xml"):
        export_mapping(decided_set.path, tmp_path / name, reference=reference, include_pending=True)
        res = run(str(tmp_path / name))
        assert res.exit_code == 0, res.output
        assert "valid — 8 rows, 0 errors" in res.output
        assert "3 row(s) are pending or disputed" in res.output


def test_unknown_mj_number(good_csv, tmp_path) -> None:
    bad = rewrite(good_csv, tmp_path / "bad.csv", lambda rows: row(rows, "g8").update(mj="MJ999999"))
    res = run(str(bad))
    assert res.exit_code == 1
    assert "g8" in res.output and "MJ999999 is not in the MJ table" in res.output


def test_ivs_that_disagrees_with_the_mj_table(good_csv, tmp_path) -> None:
    # selector changed consistently in char and ivs: still not MJ030302
    def change(rows):
        row(rows, "g1").update(char="\u8fb6\U000e0101", ivs="U+E0101")
    res = run(str(rewrite(good_csv, tmp_path / "bad.csv", change)))
    assert res.exit_code == 1
    assert "(line 3, g1)" in res.output
    assert "MJ030302 is U+8FB6 U+E0102 in the MJ table, but the row says U+8FB6 U+E0101" in res.output
    # ivs column disagreeing with the char column
    res = run(str(rewrite(good_csv, tmp_path / "bad2.csv", lambda rows: row(rows, "g1").update(ivs="U+E0100"))))
    assert res.exit_code == 1 and "but ucs/ivs say U+8FB6 U+E0100" in res.output


def test_juki_and_fallback_disagreements(good_csv, tmp_path) -> None:
    def change(rows):
        row(rows, "g2").update(juki_code="J+0000")
        row(rows, "g1").update(fallback_ucs="U+8FB6")
    res = run(str(rewrite(good_csv, tmp_path / "bad.csv", change)))
    assert res.exit_code == 1
    assert "juki_code J+0000 disagrees" in res.output and "but fallback_ucs says U+8FB6" in res.output


def test_conflicting_duplicates_and_one_target_per_code(good_csv, tmp_path) -> None:
    def change(rows):
        dup = dict(row(rows, "g2"), mj="MJ000078", ucs="U+3468", char="㑨")
        twin = dict(row(rows, "g8"), gaiji_id="g9", mj="MJ007607", ucs="U+528E", char="劎",
                    juki_code="", koseki_number="", fallback_char="", fallback_ucs="")
        return rows + [dup, twin]
    res = run(str(rewrite(good_csv, tmp_path / "bad.csv", change)))
    assert res.exit_code == 1
    assert "gaiji_id g2 also in row 3 (line 4, g2) with a different mj" in res.output
    assert "code U+E000 of source 'gaiji.bdf' maps to 2 different targets" in res.output
    # an exact repeat is only a warning
    res = run(str(rewrite(good_csv, tmp_path / "rep.csv", lambda rows: rows + [dict(row(rows, "g2"))])))
    assert res.exit_code == 0 and "warning" in res.output and "repeats row 3" in res.output


def test_formula_cells_are_rejected(good_csv, tmp_path) -> None:
    text = good_csv.read_text(encoding="utf-8").replace(",sato,", ",=cmd|' /C calc'!A0,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    res = run(str(bad))
    assert res.exit_code == 1 and "decided_by" in res.output and "formula" in res.output


def test_schema_problems_name_rows(good_csv, tmp_path) -> None:
    def change(rows):
        row(rows, "g1").update(ucs="8FB6")
        row(rows, "g2").update(status="maybe")
        row(rows, "g8").update(auto_accepted="yes")
    res = run(str(rewrite(good_csv, tmp_path / "bad.csv", change)))
    assert res.exit_code == 1
    out = res.output
    assert "g1" in out and "ucs '8FB6': does not match" in out
    assert "status 'maybe': must be one of" in out
    assert "auto_accepted 'yes': must be 1 or 0" in out
    # a missing column
    def drop(rows):
        for r in rows:
            r.pop("koseki_number")
    res = run(str(rewrite(good_csv, tmp_path / "bad2.csv", drop)))
    assert res.exit_code == 1 and "missing column(s): koseki_number" in res.output


def test_wrong_encoding(decided_set, reference, good_csv, tmp_path) -> None:
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(good_csv.read_bytes().replace(b"suzuki", "鈴木".encode("cp932")))
    res = run(str(mixed))
    assert res.exit_code == 1 and "not valid UTF-8 at line 2" in res.output and "--encoding cp932" in res.output
    # a real CP932 table: invalid unless the encoding is given
    from tests.export.conftest import record_reviews, write_set

    glyphs = [("k1", "EUDC.TTE", "U+E000", ("two", None, "該当なし"))]
    folder = write_set(tmp_path / "set2", glyphs)
    record_reviews(folder, reference, glyphs)
    sj = tmp_path / "sj.csv"
    export_mapping(folder, sj, reference=reference, encoding="cp932")
    assert run(str(sj)).exit_code == 1
    assert run(str(sj), "--encoding", "cp932").exit_code == 0


def test_json_and_xml_problems(decided_set, reference, tmp_path) -> None:
    export_mapping(decided_set.path, tmp_path / "m.json", reference=reference)
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    doc["rows"][1]["mj"] = "MJ999999"
    doc["rows"][2]["extra"] = "x"
    (tmp_path / "bad.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    res = run(str(tmp_path / "bad.json"))
    assert res.exit_code == 1 and "row 2 (g1)" in res.output and "MJ999999" in res.output
    assert "row 3 (g2)" in res.output and "'extra' was unexpected" in res.output
    (tmp_path / "broken.json").write_text('{"rows": [', encoding="utf-8")
    res = run(str(tmp_path / "broken.json"))
    assert res.exit_code == 1 and "not valid JSON" in res.output

    export_mapping(decided_set.path, tmp_path / "m.xml", reference=reference)
    text = (tmp_path / "m.xml").read_text(encoding="utf-8")
    (tmp_path / "bad.xml").write_text(text.replace("<mj>MJ030302</mj>", "<mj>MJ30302</mj>"), encoding="utf-8")
    res = run(str(tmp_path / "bad.xml"))
    assert res.exit_code == 1 and "XSD" in res.output and "MJ30302" in res.output
    (tmp_path / "bad2.xml").write_text(text[:200], encoding="utf-8")
    assert run(str(tmp_path / "bad2.xml")).exit_code == 1


def test_not_examined_exits_2(tmp_path) -> None:
    res = run(str(tmp_path / "missing.csv"))
    assert res.exit_code == 2 and "no such file" in res.output
    (tmp_path / "m.txt").write_text("x", encoding="utf-8")
    assert run(str(tmp_path / "m.txt")).exit_code == 2
    assert run().exit_code == 2  # usage


def test_library_report_counts(good_csv, reference) -> None:
    report = validate_mapping(good_csv, reference)
    assert report.valid and report.rows == 5 and report.exit_code == 0
    assert report.format == "csv" and list(read_csv_rows(good_csv)[0]) == list(COLUMN_NAMES)


def test_schema_only_needs_no_reference(good_csv, tmp_path) -> None:
    bad = rewrite(good_csv, tmp_path / "bad.csv", lambda rows: row(rows, "g8").update(mj="MJ999999"))
    res = run(str(bad), "--schema-only")
    assert res.exit_code == 0 and "schema only" in res.output


def test_rules_within_a_row(good_csv, tmp_path) -> None:
    def change(rows):
        row(rows, "g3").update(mj="MJ000078", ucs="U+3468", char="㑨")
        row(rows, "g2").update(decided_by="")
        row(rows, "g8").update(fallback_char="\t")
    res = run(str(rewrite(good_csv, tmp_path / "bad.csv", change)))
    assert res.exit_code == 1
    assert "g3): identification_class is 該当なし but mj is MJ000078" in res.output
    assert "warning: row 3 (line 4, g2): final, but decided_by is empty" in res.output
    assert "g8): fallback_char contains U+0009" in res.output


def test_json_output_for_batch_jobs(good_csv, tmp_path) -> None:
    import json as _json

    bad = rewrite(good_csv, tmp_path / "bad.csv", lambda rows: row(rows, "g8").update(mj="MJ999999"))
    res = CliRunner().invoke(cli, ["validate", str(bad), "--json"])
    assert res.exit_code == 1
    doc = _json.loads(res.stdout)
    assert doc["valid"] is False and doc["rows"] == 5
    assert any(p["severity"] == "error" and "g8" in p["where"] and "MJ999999" in p["message"]
               for p in doc["problems"])
