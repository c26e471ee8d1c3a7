"""`gaiji demo` end to end on the bundled sample, and rerun after a review."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.demo import best_candidates, read_candidates, run_demo
from gaiji.export.validate import validate_mapping
from gaiji.review.store import ReviewStore
from tests.export.conftest import read_csv_rows

pytestmark = pytest.mark.slow


def test_demo_runs_and_reruns_keeping_reviews(reference, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Next:" in res.output and f"gaiji review serve {out / 'set'}" in res.output

    gaiji = read_csv_rows(out / "set" / "glyphs.csv")
    candidates = read_candidates(out / "set" / "candidates.csv")
    best = best_candidates(candidates)
    accepted = {gid for gid, row in best.items() if row["auto_accept"] == "1"}
    mapping = read_csv_rows(out / "mapping.csv")
    # the mapping holds exactly the auto-accepted gaiji, each with the matcher's MJ
    assert {r["gaiji_id"] for r in mapping} == accepted
    assert all(r["auto_accepted"] == "1" and r["mj"] == best[r["gaiji_id"]]["mj"] for r in mapping)
    assert 0 < len(accepted) < len(gaiji)
    assert validate_mapping(out / "mapping.csv", reference).valid
    # every other gaiji is in the export report
    report = {r["gaiji_id"] for r in read_csv_rows(out / "mapping.report.csv") if r["kind"] == "pending"}
    assert report == {g["gaiji_id"] for g in gaiji} - accepted
    # the converted resident file carries the mapped characters where they are final
    chars = {r["code"]: r["char"] for r in mapping if r["source"] == "EUDC.TTE"}
    converted = (out / "residents.utf8.csv").read_bytes().decode("utf-8")
    original = (out / "residents.cp932.csv").read_bytes().decode("cp932")
    assert converted.count("\n") == original.count("\n")
    for char in chars.values():
        assert char in converted
    unmapped = read_csv_rows(out / "residents.utf8.csv.unmapped.csv")
    eudc = [g for g in gaiji if g["source"] == "EUDC.TTE"]
    assert len(unmapped) + len(chars) == len(eudc)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("class='card") == len(gaiji)

    # a review between runs: two reviewers settle one open gaiji; the rerun keeps it
    open_gid = min(set(best) - accepted)
    store = ReviewStore.open(out / "set")
    choice = {"mj": best[open_gid]["mj"]}
    store.record_decision(open_gid, "sato", choice, "字形一致")
    store.record_decision(open_gid, "suzuki", choice, "字形一致")
    store.close()
    result = run_demo(out)
    extract_note = next(t.note for t in result.timings if t.stage == "extract")
    assert extract_note.startswith("reused")
    assert result.counts["auto_accepted"] == len(accepted)
    assert "(0 newly recorded)" in next(t.note for t in result.timings if t.stage == "auto-accept")
    assert result.counts["stale_auto_accepts"] == 0
    rows = {r["gaiji_id"]: r for r in read_csv_rows(out / "mapping.csv")}
    assert set(rows) == accepted | {open_gid}
    assert rows[open_gid]["checked_by"] == "suzuki" and rows[open_gid]["auto_accepted"] == "0"


def test_example_table_in_mappings_is_valid(reference) -> None:
    example = Path(__file__).resolve().parents[2] / "mappings" / "example-mapping.csv"
    report = validate_mapping(example, reference)
    assert report.valid, [str(p) for p in report.problems]
    with open(example, encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == report.rows > 0


def test_demo_into_an_unwritable_folder_is_a_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x\n")
    result = CliRunner().invoke(cli, ["demo", "-o", str(blocker / "out"), "-q"])
    assert result.exit_code == 1 and "cannot write the demo to" in result.output, result.output
    assert not isinstance(result.exception, OSError)


def test_demo_identifies_the_gaiji_only_the_added_set_has(reference, tmp_path: Path) -> None:
    """The sample's gaiji that only the bundled added set has: ranked first to their set entry,
    never auto-accepted (with the set, or to an MJ look-alike without it); once reviewers choose
    the set's entries, the rerun exports and converts them to the set's code. The shared
    reference is not touched: the set lives in the demo's own working home."""
    from gaiji.match import match_gaiji_set, write_candidates
    from gaiji.reference.refsets import list_sets, load_set
    from gaiji.sample import sample_record

    shared_sets_before = [s.name for s in list_sets(Path(reference.home).parent)]
    out = tmp_path / "demo"
    result = run_demo(out)
    only_in_set = sample_record()["expected_extract"]["only_in_added_set"]
    assert len(only_in_set) == result.counts["set_only"] >= 4
    best = best_candidates(read_candidates(out / "set" / "candidates.csv"))
    ranked = {gid: (best[gid]["ref_set"], best[gid]["ref_id"]) for gid in only_in_set}
    assert ranked == {gid: ("HanaExt", set_id) for gid, set_id in only_in_set.items()}
    assert result.counts["set_only_at_1"] == len(only_in_set) and result.counts["set_only_auto_accepted"] == 0
    assert all(best[gid]["auto_accept"] == "0" and best[gid]["mj"] == "" for gid in only_in_set)
    assert result.work_home is not None and "HanaExt" in result.ref_sets
    assert [s.name for s in list_sets(Path(reference.home).parent)] == shared_sets_before
    # the demo's other figures hold: the 5 no-equivalent gaiji are counted apart from the set's
    assert "no_match_suggested_right" in result.counts and result.counts["auto_accepted_right"] == \
        result.counts["auto_accepted"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"{len(only_in_set)} of {len(only_in_set)} gaiji are ranked first to their set entry" in html

    # without the set the same gaiji go to MJ look-alikes — and none of them is auto-accepted
    write_candidates(match_gaiji_set(out / "set", reference, ref_sets=[]), tmp_path / "mj-only.csv")
    mj_best = best_candidates(read_candidates(tmp_path / "mj-only.csv"))
    assert all(mj_best[gid]["ref_set"] == "MJ" and mj_best[gid]["auto_accept"] == "0" for gid in only_in_set)

    # two reviewers choose the set's entries; the rerun exports and converts them
    hana = load_set("HanaExt", result.work_home)
    store = ReviewStore.open(out / "set")
    for gid, set_id in only_in_set.items():
        rec = hana.record(set_id)
        choice = {"ref_set": "HanaExt", "ref_id": set_id, "char": rec.char, "ucs": rec.ucs,
                  "font_name": rec.font_name, "ref_set_version": hana.version_label}
        for who in ("sato", "suzuki"):
            store.record_decision(gid, who, choice, "デザイン差", reference_version=reference.version_label)
    store.close()
    run_demo(out)
    rows = {r["gaiji_id"]: r for r in read_csv_rows(out / "mapping.csv")}
    converted = (out / "residents.utf8.csv").read_text(encoding="utf-8")
    for gid, set_id in only_in_set.items():
        row = rows[gid]
        assert (row["ref_set"], row["ref_id"], row["mj"], row["ref_font"]) == \
            ("HanaExt", set_id, "", "GaijiRefsetSample")
        assert row["char"] == hana.record(set_id).char and row["char"] in converted
    assert validate_mapping(out / "mapping.csv", reference, ref_sets=[hana]).valid
