"""Issue 13: `gaiji export diff` and `gaiji export merge`."""

from __future__ import annotations

from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.export.lifecycle import diff_tables, merge_tables
from tests.export.conftest import read_csv_rows
from tests.export.test_table_lifecycle import _row, _write


def test_diff_added_removed_changed_by_gaiji(tmp_path, reference):
    old = _write(tmp_path / "old.csv", [_row(reference, "MJ025760", gaiji_id="a", code="U+E000"),
                                        _row(reference, "MJ006353", gaiji_id="b", code="U+E001")])
    new = _write(tmp_path / "new.csv", [_row(reference, "MJ025761", gaiji_id="a", code="F040"),  # same gaiji, new MJ
                                        _row(reference, "MJ006399", gaiji_id="c", code="U+E002")])
    diff = diff_tables(old, new)
    assert [v["gaiji_id"] for v in diff.added] == ["c"] and [v["gaiji_id"] for v in diff.removed] == ["b"]
    (_old, _new, columns), = diff.changed
    assert {"mj", "ivs", "char", "code"} <= set(columns)
    res = CliRunner().invoke(cli, ["export", "diff", str(old), str(new)])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0] == "change,source,code,gaiji_id,column,old,new"
    assert any(line.startswith("changed,EUDC.TTE,F040,a,mj,MJ025760,MJ025761") for line in lines)
    assert CliRunner().invoke(cli, ["export", "diff", str(old), str(old)]).exit_code == 0


def test_merge_dedupes_and_lists_conflicts(tmp_path, reference):
    north = _write(tmp_path / "north.csv", [_row(reference, "MJ025760", gaiji_id="n1", code="U+E000"),
                                            _row(reference, "MJ006353", gaiji_id="n2", code="U+E001")])
    south = _write(tmp_path / "south.csv", [_row(reference, "MJ006399", gaiji_id="s1", code="F040"),  # clash on U+E000
                                            _row(reference, "MJ006353", gaiji_id="n2", code="U+E001")])  # same row
    result = merge_tables([north, south], tmp_path / "m.csv")
    assert len(result.conflicts) == 1 and "U+E000" in result.conflicts[0] and "mj" in result.conflicts[0]
    assert not (tmp_path / "m.csv").exists()
    res = CliRunner().invoke(cli, ["export", "merge", str(north), str(south), "-o", str(tmp_path / "m.csv")])
    assert res.exit_code == 1 and "conflict:" in res.output and "nothing was written" in res.output
    result = merge_tables([north, south], tmp_path / "m.csv", prefix_sources=True)
    rows = read_csv_rows(tmp_path / "m.csv")
    assert sorted(r["source"] for r in rows) == ["north/EUDC.TTE", "north/EUDC.TTE", "south/EUDC.TTE", "south/EUDC.TTE"]
    assert all(r["sjis_code"] for r in rows)
    assert CliRunner().invoke(cli, ["validate", str(tmp_path / "m.csv")]).exit_code == 0


def test_export_keeps_its_old_command_line(decided_set, reference, tmp_path):
    res = CliRunner().invoke(cli, ["export", str(decided_set.path), "-o", str(tmp_path / "a.csv"), "-q"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["export", "table", str(decided_set.path), "-o", str(tmp_path / "b.csv"), "-q"])
    assert res.exit_code == 0, res.output
    assert diff_tables(tmp_path / "a.csv", tmp_path / "b.csv", ignore=()).same
