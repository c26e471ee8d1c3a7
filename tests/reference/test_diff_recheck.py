"""`gaiji reference diff` (added sets and the real MJ build with a modified table) and
`gaiji review recheck` (decisions on changed entries back to review, in the audit chain;
export refuses unrechecked version changes)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.errors import ContractError
from gaiji.reference import refsets
from gaiji.reference.diff import Change, ReferenceDiff, diff_builds
from gaiji.review.recheck import recheck_set
from gaiji.review.store import ReviewStore
from tests.export.conftest import write_set
from tests.reference.test_refsets import build_ivs_font, write_csv

HEADER = ["ID", "code", "glyph", "related_mj"]


def _set_build(home: Path, font: Path, rows: list[list[str]]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    table = write_csv(home / "list.csv", HEADER, rows)
    refsets.add_set("V", [font], table, home=home)
    return home / "reference_sets" / "V"


def test_diff_of_two_set_builds_lists_exactly_what_changed(tmp_path: Path) -> None:
    font = build_ivs_font(tmp_path / "t.ttf")
    old = _set_build(tmp_path / "old", font, [
        ["A1", "U+4E00", "", ""],
        ["A2", "U+4E00 U+E0101", "", ""],
        ["A5", "U+E000", "", "MJ000001"],
        ["A6", "", "two", ""],
        ["A9", "U+4E09", "", ""],
    ])
    new = _set_build(tmp_path / "new", font, [
        ["A1", "U+4E00", "", ""],
        ["A2", "U+4E00 U+E0101", "#3", ""],  # same code, now drawn by another glyph
        ["A5", "U+E000", "", "MJ000002"],  # related MJ re-pointed
        ["A9", "U+4E09", "", ""],
        ["A10", "U+4E8C", "", ""],  # new
    ])  # A6 removed
    d = diff_builds(old, new)
    assert d.changes == [
        Change("added", "A10", "", "", "\u4e8c"),
        Change("removed", "A6", "", "", ""),
        Change("re-pointed", "A5", "related_mj", "MJ000001", "MJ000002"),
        Change("glyph-changed", "A2", "raster", "", ""),
    ]
    assert diff_builds(old, old).changes == []
    r = CliRunner().invoke(cli, ["reference", "diff", str(old), str(new), "--json", "-o", str(tmp_path / "d.json")])
    assert r.exit_code == 0, r.output
    assert "1 added, 1 removed, 1 re-pointed, 1 glyph-changed" in r.output
    saved = ReferenceDiff.from_dict(json.loads((tmp_path / "d.json").read_text(encoding="utf-8")))
    assert saved.changes == d.changes and saved.digest() == d.digest()
    r = CliRunner().invoke(cli, ["reference", "diff", str(old), str(tmp_path)])
    assert r.exit_code == 1 and "not a reference build" in r.output


@pytest.fixture(scope="module")
def modified_mj(reference, tmp_path_factory) -> Path:
    """The real MJ build with its table changed: 戸籍統一文字番号 of MJ025760 moved to MJ025761
    (re-pointed) and MJ000078's UCS altered. Rasters shared (symlinked, read only)."""
    folder = tmp_path_factory.mktemp("mj-modified") / "reference"
    folder.mkdir()
    src = Path(reference.home)
    shutil.copy(src / "records.sqlite", folder / "records.sqlite")
    shutil.copy(src / "provenance.json", folder / "provenance.json")
    (folder / "rasters.u8").symlink_to(src / "rasters.u8")
    con = sqlite3.connect(folder / "records.sqlite")
    koseki = con.execute("select koseki from records where mj = 'MJ025760'").fetchone()[0]
    con.execute("update records set koseki = ? where mj = 'MJ025761'", (koseki,))
    con.execute("update records set koseki = '' where mj = 'MJ025760'")
    con.execute("update records set ucs = 'U+FFFF' where mj = 'MJ000078'")
    con.commit()
    con.close()
    return folder


@pytest.mark.reference
def test_mj_diff_against_a_modified_table(reference, modified_mj: Path) -> None:
    con = sqlite3.connect(Path(reference.home) / "records.sqlite")
    k60, k61, ucs78 = (con.execute(f"select {c} from records where mj = ?", (m,)).fetchone()[0]
                       for c, m in (("koseki", "MJ025760"), ("koseki", "MJ025761"), ("ucs", "MJ000078")))
    con.close()
    d = diff_builds(reference.home, modified_mj)
    assert d.reference_set == "MJ" and d.old == reference.version_label
    assert d.changes == [
        Change("re-pointed", "MJ000078", "ucs", ucs78, "U+FFFF"),
        Change("re-pointed", "MJ025760", "koseki", k60, ""),
        Change("re-pointed", "MJ025761", "koseki", k61 or "", k60),
    ]


def _decide(folder: Path, gid: str, mj: str, version: str, *, who=("sato", "suzuki")) -> None:
    store = ReviewStore.open(folder)
    for name in who:
        store.record_decision(gid, name, {"mj": mj}, "字形一致", reference_version=version)
    store.close()


@pytest.mark.reference
def test_recheck_sends_decisions_on_changed_entries_back_and_the_chain_verifies(
    reference, modified_mj: Path, tmp_path: Path
) -> None:
    folder = write_set(tmp_path / "set", [(g, "EUDC.TTE", f"U+E00{i}", ("none",))
                                          for i, g in enumerate(["g1", "g2", "g3", "g4"])])
    v = reference.version_label
    _decide(folder, "g1", "MJ025760", v)  # final, entry re-pointed
    _decide(folder, "g2", "MJ017235", v)  # final, untouched
    _decide(folder, "g3", "MJ025761", v, who=("sato",))  # open view on a re-pointed entry
    _decide(folder, "g4", "MJ000078", v)  # final, UCS changed
    diff = diff_builds(reference.home, modified_mj)
    result = recheck_set(folder, diff, reviewer="tanaka")
    assert sorted((a["gaiji_id"], a["entry"], a["was_final"]) for a in result.affected) == [
        ("g1", "MJ025760", True), ("g3", "MJ025761", False), ("g4", "MJ000078", True)]
    store = ReviewStore.open(folder)
    try:
        assert store.verify_chain().ok
        states = {g: s.state for g, s in store.states().items()}
        assert states == {"g1": "pending", "g2": "checked", "g3": "pending", "g4": "pending"}
        assert [d.gaiji_id for d in store.final_decisions()] == ["g2"]
        events = [e for e in store.events() if e.kind in ("recheck", "reference_recheck")]
        assert [(e.kind, e.gaiji_id) for e in events] == [
            ("recheck", "g1"), ("recheck", "g3"), ("recheck", "g4"), ("reference_recheck", "")]
        assert events[0].body["set_aside"][0]["mj"] == "MJ025760" and events[0].reviewer == "tanaka"
        # the earlier decisions are still in the chain, untouched
        assert sum(e.kind == "decision" for e in store.events()) == 7
    finally:
        store.close()
    # the same recheck again changes nothing; a new decision after it stands
    _decide(folder, "g1", "MJ025761", v)
    again = recheck_set(folder, diff, reviewer="tanaka")
    assert again.already_done and again.affected == []
    store = ReviewStore.open(folder)
    assert store.state("g1").state == "checked"
    store.close()
    r = CliRunner().invoke(cli, ["review", "log", str(folder), "--verify"])
    assert r.exit_code == 0 and "back to review" in r.output


@pytest.mark.reference
def test_export_refuses_another_reference_version_until_rechecked(reference, tmp_path: Path) -> None:
    from gaiji.export.mapping import export_mapping

    folder = write_set(tmp_path / "set", [("r1", "EUDC.TTE", "U+E000", ("none",)),
                                          ("r2", "EUDC.TTE", "U+E001", ("none",))])
    old = "IPAmj明朝 004.01 + mojidata 1.0.0 (render 1)"
    _decide(folder, "r1", "MJ000078", old)
    _decide(folder, "r2", "MJ025760", old)
    with pytest.raises(ContractError, match="gaiji review recheck"):
        export_mapping(folder, tmp_path / "m.csv", reference=reference)
    diff = ReferenceDiff(old=old, new=reference.version_label, reference_set="MJ",
                         changes=[Change("glyph-changed", "MJ025760", "raster")])
    runner = CliRunner()
    (tmp_path / "d.json").write_text(json.dumps(diff.as_dict(), ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(cli, ["review", "recheck", str(folder), "--diff", str(tmp_path / "d.json"),
                            "--reviewer", "tanaka"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("r2\tMJ025760\tfinal\tglyph-changed")
    result = export_mapping(folder, tmp_path / "m.csv", reference=reference)
    assert result.final == 1 and [i.gaiji_id for i in result.report if i.kind == "pending"] == ["r2"]
    r = runner.invoke(cli, ["review", "recheck", str(folder), "--reviewer", "x"])
    assert r.exit_code == 2 and "--diff" in r.output


@pytest.mark.reference
def test_a_new_build_of_an_added_set_rechecks_the_decisions_on_its_changed_entries(reference, tmp_path: Path) -> None:
    """Two builds of one added set (the list re-points one entry); decisions made at the desk
    on the old build: export refuses them, `reference diff` + `review recheck` (CLI) send the
    one on the changed entry back to review, the chain verifies, and export accepts the rest."""
    from gaiji.export.mapping import export_mapping

    font = build_ivs_font(tmp_path / "t.ttf")
    rows = [["A1", "U+4E00", "", ""], ["A5", "U+E000", "", "MJ000001"], ["A9", "U+4E09", "", ""]]
    old = _set_build(tmp_path / "home", font, rows)
    shutil.copytree(old, tmp_path / "backup" / "V")  # what a municipality keeps before the new edition
    old_set = refsets.load_set("V", tmp_path / "home")
    folder = write_set(tmp_path / "set", [("s1", "EUDC.TTE", "U+E100", ("none",)),
                                          ("s5", "EUDC.TTE", "U+E101", ("none",))])
    store = ReviewStore.open(folder)
    for gid, set_id in (("s1", "A1"), ("s5", "A5")):
        rec = old_set.record(set_id)
        for who in ("sato", "suzuki"):
            store.record_decision(gid, who, {"ref_set": "V", "ref_id": set_id, "char": rec.char, "ucs": rec.ucs,
                                             "ref_set_version": old_set.version_label},
                                  "字形一致", reference_version=reference.version_label)
    store.close()
    # the new edition: A5's related MJ re-pointed
    new = _set_build(tmp_path / "home", font, [r if r[0] != "A5" else ["A5", "U+E000", "", "MJ000002"] for r in rows])
    new_set = refsets.load_set("V", tmp_path / "home")
    assert new_set.version_label != old_set.version_label
    with pytest.raises(ContractError, match="gaiji review recheck"):
        export_mapping(folder, tmp_path / "m.csv", reference=reference, ref_sets=[new_set])
    runner = CliRunner()
    r = runner.invoke(cli, ["reference", "diff", str(tmp_path / "backup" / "V"), str(new), "--json",
                            "-o", str(tmp_path / "d.json")])
    assert r.exit_code == 0 and "1 re-pointed" in r.output, r.output
    r = runner.invoke(cli, ["review", "recheck", str(folder), "--diff", str(tmp_path / "d.json"),
                            "--reviewer", "tanaka"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("s5\tA5\tfinal\tre-pointed")
    store = ReviewStore.open(folder)
    try:
        assert store.verify_chain().ok
        assert {g: s.state for g, s in store.states().items()} == {"s1": "checked", "s5": "pending"}
    finally:
        store.close()
    result = export_mapping(folder, tmp_path / "m.csv", reference=reference, ref_sets=[new_set])
    assert result.final == 1 and [i.gaiji_id for i in result.report if i.kind == "pending"] == ["s5"]
    assert runner.invoke(cli, ["review", "log", str(folder), "--verify"]).exit_code == 0
