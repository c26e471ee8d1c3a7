"""Issue 13: validate catches one gaiji under two code forms and unregistered IVS, accepts the
minimal profile; export writes sjis_code and the minimal profile."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.export.columns import COLUMN_NAMES, MINIMAL_COLUMNS
from gaiji.export.mapping import export_mapping
from gaiji.export.validate import validate_mapping
from tests.export.conftest import read_csv_rows


def _write(path, rows, columns=COLUMN_NAMES):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns))
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})
    return path


def _row(reference, mj_number, **kw):
    rec = reference.record(mj_number)
    base = {"source": "EUDC.TTE", "code": "U+E000", "gaiji_id": "g1", "mj": rec.mj, "ucs": rec.ucs,
            "ivs": rec.ivs, "char": rec.char, "juki_code": rec.juki, "koseki_number": rec.koseki,
            "identification_class": "字形一致", "decided_by": "sato", "use_fallback": "0",
            "auto_accepted": "0", "status": "final"}
    base.update(kw)
    return base


def test_one_gaiji_under_two_code_forms_with_different_targets_is_an_error(tmp_path, reference):
    rows = [_row(reference, "MJ025760", gaiji_id="a"), _row(reference, "MJ006353", gaiji_id="b", code="F040")]
    report = validate_mapping(_write(tmp_path / "m.csv", rows), reference)
    assert not report.valid
    assert any("F040 and U+E000" in p.message and "two code forms" in p.message for p in report.errors)
    # the same target under both forms is no conflict
    same = [_row(reference, "MJ025760", gaiji_id="a"), _row(reference, "MJ025760", gaiji_id="b", code="0xF040")]
    assert validate_mapping(_write(tmp_path / "s.csv", same), reference).valid


def test_unregistered_ivs_is_an_error(tmp_path, reference):
    row = _row(reference, "MJ025760", mj="", ucs="U+8FBB", ivs="U+E0109", char="辻\U000e0109",
               juki_code="", koseki_number="", identification_class="該当なし")
    report = validate_mapping(_write(tmp_path / "m.csv", [row]), reference)
    assert any("not a registered variation sequence" in p.message for p in report.errors), report.problems
    ok = _row(reference, "MJ025760", mj="", juki_code="", koseki_number="", identification_class="該当なし")
    assert ok["char"] == "辻\U000e0102"
    assert not any("registered" in p.message for p in validate_mapping(_write(tmp_path / "o.csv", [ok]), reference).problems)


def test_minimal_profile(tmp_path, reference):
    rec = reference.record("MJ025760")
    rows = [{"source": "EUDC.TTE", "code": "F040", "mj": rec.mj, "ucs": rec.ucs, "ivs": rec.ivs, "char": rec.char}]
    path = _write(tmp_path / "m.csv", rows, MINIMAL_COLUMNS)
    assert not validate_mapping(path, reference).valid  # as a full table it lacks columns
    report = validate_mapping(path, reference, profile="minimal")
    assert report.valid and report.problems == [], report.problems
    bad = _write(tmp_path / "b.csv", [dict(rows[0], ucs="U+8FB6")], MINIMAL_COLUMNS)
    assert not validate_mapping(bad, reference, profile="minimal").valid
    res = CliRunner().invoke(cli, ["validate", str(path), "--profile", "minimal"])
    assert res.exit_code == 0, res.output
    # convert reads a minimal table as it is
    data = tmp_path / "d.txt"
    data.write_bytes(b"\xf0\x40\n")
    res = CliRunner().invoke(cli, ["convert", str(data), "-m", str(path), "-o", str(tmp_path / "o.txt"),
                                   "--encoding", "cp932", "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o.txt").read_bytes().decode("utf-8") == rec.char + "\n"


def test_export_sjis_code_and_minimal_profile(decided_set, reference, tmp_path):
    full = tmp_path / "m.csv"
    export_mapping(decided_set.path, full, reference=reference)
    rows = {r["gaiji_id"]: r for r in read_csv_rows(full)}
    assert rows["g1"]["sjis_code"] == "F040" and rows["g8"]["sjis_code"] == "F040"  # U+E000 and 0xF040
    assert list(rows["g1"])[: len(COLUMN_NAMES) - 2] == list(COLUMN_NAMES[:-2])  # new columns at the end
    minimal = tmp_path / "min.csv"
    export_mapping(decided_set.path, minimal, reference=reference, profile="minimal")
    header = minimal.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(MINIMAL_COLUMNS)
    assert validate_mapping(minimal, reference, profile="minimal").valid


def test_tables_without_the_new_columns_stay_valid(decided_set, reference, tmp_path):
    full = tmp_path / "m.csv"
    export_mapping(decided_set.path, full, reference=reference)
    old = tmp_path / "old.csv"
    rows = read_csv_rows(full)
    _write(old, rows, [c for c in COLUMN_NAMES if c not in ("sjis_code", "char_base_only")])
    assert validate_mapping(old, reference).valid
