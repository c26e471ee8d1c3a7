"""Matching over MJ ∪ added reference sets (gaiji.match.refsets) on the real MJ index and the
bundled added set (Hanazono Ext C–F characters IPAmj lacks; gaiji drawn from BabelStone Han)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from gaiji.match import match_gaiji_set, write_candidates
from gaiji.match.ranking import RankedBatch
from gaiji.match.refsets import merge_batches
from gaiji.match.writer import read_candidates

pytestmark = pytest.mark.reference

SAMPLE = Path(__file__).resolve().parents[2] / "gaiji" / "sample" / "refset"


@pytest.fixture(scope="module")
def added_set(tmp_path_factory):
    from gaiji.reference import refsets

    home = tmp_path_factory.mktemp("sets-home")
    refsets.add_set("HanaExt", [SAMPLE / "refset-sample.ttf"], SAMPLE / "refset.csv", home=home)
    return refsets.load_set("HanaExt", home)


def _extract(source: Path, out: Path) -> Path:
    from gaiji.extract.build import extract_gaiji_set

    extract_gaiji_set([source], out)
    return out


@pytest.fixture(scope="module")
def refset_gaiji(tmp_path_factory) -> Path:
    return _extract(SAMPLE / "gaiji", tmp_path_factory.mktemp("refset-gaiji") / "set")


@pytest.fixture(scope="module")
def municipality(tmp_path_factory) -> Path:
    from gaiji.sample import sample_dir

    return _extract(sample_dir(), tmp_path_factory.mktemp("municipality") / "set")


def _top(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["gaiji_id"]: r for r in rows if r["rank"] == "1"}


def test_gaiji_only_in_the_added_set_rank_to_it_and_are_not_auto_accepted(
    reference, match_index, added_set, refset_gaiji: Path, tmp_path: Path
) -> None:
    answers = {a["gaiji_id"]: a for a in csv.DictReader((SAMPLE / "answers.csv").open(encoding="utf-8"))}
    mj_only = match_gaiji_set(refset_gaiji, reference, ref_sets=[])
    write_candidates(mj_only, tmp_path / "mj.csv")
    both = match_gaiji_set(refset_gaiji, reference, ref_sets=[added_set])
    write_candidates(both, tmp_path / "both.csv")
    top = _top(read_candidates(tmp_path / "both.csv"))
    assert set(top) == set(answers)
    right = sum(top[g]["ref_set"] == "HanaExt" and top[g]["ref_id"] == a["ref_id"] for g, a in answers.items())
    assert right / len(answers) >= 0.9, f"set@1 {right}/{len(answers)}"
    # nothing in this folder has an MJ equivalent: no auto-accept at all, least of all to an MJ look-alike
    assert all(r["auto_accept"] == "0" for r in top.values())
    # set rows carry the set's identity and no MJ number
    row = top[next(iter(answers))]
    assert row["mj"] == "" and row["ucs"].startswith("U+2") and row["char"]
    # without the set, the same gaiji are MJ look-alikes (what the set protects against)
    assert {r["ref_set"] for r in read_candidates(tmp_path / "mj.csv")} == {"MJ"}


def test_mj_only_gaiji_are_unchanged_by_adding_a_set(
    reference, match_index, added_set, municipality: Path, tmp_path: Path
) -> None:
    from gaiji.match.index import index_dir
    from gaiji.sample import answers_path

    meta_before = (index_dir(reference) / "meta.json").stat().st_mtime_ns
    write_candidates(match_gaiji_set(municipality, reference, ref_sets=[]), tmp_path / "mj.csv")
    write_candidates(match_gaiji_set(municipality, reference, ref_sets=[added_set]), tmp_path / "both.csv")
    # the MJ index was not rebuilt; the set's features were cached in its own folder
    assert (index_dir(reference) / "meta.json").stat().st_mtime_ns == meta_before
    assert json.loads((added_set.home / "match" / "meta.json").read_text())["rows"] == len(added_set)
    with answers_path().open(encoding="utf-8") as fh:
        mj_answered = {a["gaiji_id"] for a in csv.DictReader(fh) if a["mj"]}
    before, after = read_candidates(tmp_path / "mj.csv"), read_candidates(tmp_path / "both.csv")
    assert len(before) == len(after)
    keys = ("mj", "score", "confidence", "auto_accept", "image_score", "reading_score", "gap")
    by_gaiji: dict[str, list[tuple[str, ...]]] = {}
    for r in after:
        if r["ref_set"] == "MJ":
            by_gaiji.setdefault(r["gaiji_id"], []).append(tuple(r[k] for k in keys if k not in ("gap",)))
    checked = 0
    for gid in sorted(mj_answered & {r["gaiji_id"] for r in before}):
        old = [r for r in before if r["gaiji_id"] == gid]
        new = [r for r in after if r["gaiji_id"] == gid]
        # rank 1 keeps its glyph, score, confidence and auto-accept (its gap may shrink: a set glyph
        # can become the runner-up)
        same = tuple(k for k in keys if k != "gap")
        assert [tuple(r[k] for k in same) for r in new[:1]] == [tuple(r[k] for k in same) for r in old[:1]], gid
        # MJ candidates keep their order and scores (a set candidate may only push the last ones out)
        assert by_gaiji[gid] == [tuple(r[k] for k in keys if k != "gap") for r in old][: len(by_gaiji[gid])]
        checked += 1
    assert checked > 150


def _batch(rows: list[list[int]], scores: list[list[float]]) -> RankedBatch:
    r = np.array(rows, np.int64)
    s = np.array(scores, float)
    z = np.zeros_like(s)
    return RankedBatch(rows=r, score=s, image_score=s, rerank_score=s, reading_score=z, radical_strokes_score=z,
                       gap=z, confidence=z, auto_accept=np.array([True] * len(r)),
                       reading_matched=[[""] * r.shape[1] for _ in r])


def test_merge_orders_by_score_mj_first_on_a_tie_and_lists_each_row_once() -> None:
    mj = _batch([[1, 2, 3]], [[0.9, 0.8, 0.7]])
    added = _batch([[100, 100, 101]], [[0.8, 0.8, 0.95]])
    merged = merge_batches(mj, added, top_k=4)
    assert merged.rows.tolist() == [[101, 1, 2, 100]]
    assert merged.score.tolist() == [[0.95, 0.9, 0.8, 0.8]]


def test_cli_match_ranks_installed_sets_unless_mj_only(reference, match_index, refset_gaiji: Path,
                                                      tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gaiji.cli import cli

    home = tmp_path / "home"
    home.mkdir()
    (home / "reference").symlink_to(Path(reference.home).resolve())  # the real reference, read only
    runner = CliRunner()
    r = runner.invoke(cli, ["reference", "add-set", "HanaExt", "--font", str(SAMPLE / "refset-sample.ttf"),
                            "--table", str(SAMPLE / "refset.csv"), "--home", str(home), "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["match", str(refset_gaiji), "-o", str(tmp_path / "c.csv"), "--home", str(home), "-q"])
    assert r.exit_code == 0 and "added sets: HanaExt" in r.output, r.output
    assert {row["ref_set"] for row in read_candidates(tmp_path / "c.csv")} == {"MJ", "HanaExt"}
    r = runner.invoke(cli, ["match", str(refset_gaiji), "-o", str(tmp_path / "m.csv"), "--home", str(home), "-q",
                            "--mj-only"])
    assert r.exit_code == 0 and "added sets" not in r.output
    assert {row["ref_set"] for row in read_candidates(tmp_path / "m.csv")} == {"MJ"}
    # reference search finds the set's characters too
    r = runner.invoke(cli, ["reference", "search", "U+2A70C", "--home", str(home), "--json"])
    assert r.exit_code == 0, r.output
    assert [(h["set"], h["id"]) for h in json.loads(r.output)] == [("HanaExt", "HX0001")]
    r = runner.invoke(cli, ["reference", "search", "辻", "--home", str(home), "--json"])
    assert all("set" not in h for h in json.loads(r.output))
