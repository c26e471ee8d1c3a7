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
