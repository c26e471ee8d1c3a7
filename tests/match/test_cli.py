"""`gaiji match` and `gaiji bench match` through the CLI (in-process)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from gaiji.cli import cli
from gaiji.match.writer import COLUMNS

CONTRACT_HEAD = ["gaiji_id", "rank", "mj", "ucs", "ivs", "char", "score", "confidence", "auto_accept"]


@pytest.fixture()
def tiny_set(tmp_path: Path, hanazono, match_index) -> Path:
    """Three gaiji as a gaiji set written by hand per the contract; one blank."""
    set_dir = tmp_path / "set"
    (set_dir / "glyphs").mkdir(parents=True)
    rows = []
    for gid, char, px, reading in [("a", "辻\U000E0103", 64, "つじ"), ("b", "髙", 24, "たか"), ("c", None, 16, "")]:
        if char is None:
            img = Image.new("L", (px, px), 255)
        else:
            ink = hanazono.render(char, px, antialias=px > 32)
            img = Image.fromarray(255 - ink)
        img.save(set_dir / "glyphs" / f"{gid}.png")
        rows.append([gid, "test", "", img.width, img.height, reading, "", "", f"glyphs/{gid}.png"])
    with open(set_dir / "glyphs.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["gaiji_id", "source", "code", "width", "height", "reading", "usage_count", "note", "image"])
        w.writerows(rows)
    return set_dir


def test_match_writes_the_contract_columns(tiny_set: Path, tmp_path: Path):
    out = tmp_path / "candidates.csv"
    result = CliRunner().invoke(cli, ["match", str(tiny_set), "-o", str(out), "--top", "3", "-q"])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames
        rows = list(reader)
    assert header[: len(CONTRACT_HEAD)] == CONTRACT_HEAD and tuple(header) == COLUMNS
    assert [r["gaiji_id"] for r in rows] == ["a"] * 3 + ["b"] * 3  # the blank glyph has no candidates
    assert [r["rank"] for r in rows[:3]] == ["1", "2", "3"]
    first = rows[0]
    assert first["mj"] == "MJ025761" and first["ucs"] == "U+8FBB" and first["ivs"] == "U+E0103"
    assert first["char"] == "辻\U000E0103"
    assert first["reading_matched"] == "つじ"
    assert rows[3]["mj"] == "MJ028902"
    for r in rows:
        # match v2: confidence (and ucs_confidence, no_match) belong to rank 1; other ranks leave it empty
        if r["rank"] == "1":
            assert 0.0 <= float(r["confidence"]) <= 1.0
            assert 0.0 <= float(r["no_match"]) <= 1.0 and 0.0 <= float(r["ucs_confidence"]) <= 1.0
        else:
            assert r["confidence"] == ""
        assert 0.0 <= float(r["score"]) <= 1.0
        assert r["auto_accept"] in ("0", "1")
        if r["rank"] != "1":
            assert r["auto_accept"] == "0"
    assert float(rows[0]["score"]) >= float(rows[1]["score"]) >= float(rows[2]["score"])
    assert "matched 2 gaiji (1 blank skipped)" in result.stderr


def test_match_jsonl_and_summary(tiny_set: Path, tmp_path: Path):
    out = tmp_path / "c.jsonl"
    result = CliRunner().invoke(cli, ["match", str(tiny_set), "-o", str(out), "--format", "jsonl", "-k", "2",
                                      "--json", "-q"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4 and list(lines[0]) == list(COLUMNS)
    assert isinstance(lines[0]["score"], float) and lines[0]["rank"] == 1
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["gaiji"] == 2 and summary["blank"] == 1 and summary["rows"] == 4


def test_match_counts_edited_glyphs(tiny_set: Path, hanazono, tmp_path: Path):
    """A mirrored 鷗 added to the set: the summary counts it and its row says what it looks like."""
    ink = hanazono.render("鷗", 80)
    Image.fromarray(255 - np.ascontiguousarray(ink[:, ::-1])).save(tiny_set / "glyphs" / "m.png")
    with open(tiny_set / "glyphs.csv", "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(["m", "test", "", 84, 84, "", "", "", "glyphs/m.png"])
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(cli, ["match", str(tiny_set), "-o", str(out), "--json", "-q"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["edited_glyphs"] == 1 and summary["no_match_suggested"] >= 1
    assert "look like an MJ glyph mirrored or turned" in result.stderr
    # the open gaiji and why: the mirrored one is among the 該当なし suggestions
    reasons = summary["for_review"]
    assert reasons["total"] == summary["gaiji"] - summary["auto_accepted"]
    assert reasons["no_match_suggested"] == summary["no_match_suggested"] >= 1
    assert f"left for review: {reasons['total']:,} — {reasons['no_match_suggested']:,} 該当なし suggested" in result.stderr
    with open(out, encoding="utf-8", newline="") as f:
        top = {r["gaiji_id"]: r for r in csv.DictReader(f) if r["rank"] == "1"}
    assert top["m"]["evidence"].startswith("looks like 鷗") and top["m"]["auto_accept"] == "0"
    assert not top["a"]["evidence"].startswith("looks like")


def test_match_refuses_a_folder_that_is_not_a_set(tmp_path: Path, reference):
    result = CliRunner().invoke(cli, ["match", str(tmp_path), "-o", str(tmp_path / "x.csv"), "-q"])
    assert result.exit_code == 1
    assert "not a gaiji set" in result.output and "gaiji extract" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_help_has_examples():
    for args in (["match", "--help"], ["bench", "match", "--help"], ["bench", "--help"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and "Example:" in result.output


@pytest.mark.slow
def test_bench_match_small_runs_and_reports_every_subset(match_index, tmp_path: Path):
    result = CliRunner().invoke(cli, ["bench", "match", "--per-subset", "12", "--json", "-q",
                                      "--keep", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    names = [s["name"] for s in report["subsets"]]
    from gaiji.match.bench import (
        GOTHIC_FONTS,
        NO_EQUIVALENT_FLIPPED,
        NO_EQUIVALENT_LACKS,
        OTHER_DESIGN_FONTS,
        SUBSETS,
    )

    # every subset, except those whose benchmark fonts are not installed
    fonts_of = {"outline_gothic": GOTHIC_FONTS, "other_designs": OTHER_DESIGN_FONTS}
    expected = [n for n in SUBSETS if any(f.path.is_file() for f in fonts_of.get(n, ())) or n not in fonts_of]
    assert names == expected + [NO_EQUIVALENT_LACKS, NO_EQUIVALENT_FLIPPED]  # and the no-equivalent halves
    by_name = {s["name"]: s for s in report["subsets"]}
    assert by_name[NO_EQUIVALENT_LACKS]["n"] + by_name[NO_EQUIVALENT_FLIPPED]["n"] == by_name["no_equivalent"]["n"]
    # overall leaves out the no-equivalent subset (it has no right answer)
    assert report["overall"]["n"] == sum(s["n"] for s in report["subsets"] if s["name"] in SUBSETS and s["name"] != "no_equivalent")
    assert report["overall"]["top1"] > report["overall"]["baseline_top1"]  # beats brute-force pixels
    assert [s["name"] for s in report["v1_subsets"]] == names  # the old matcher, side by side
    for s in report["subsets"]:  # precision's lower bound never exceeds the precision
        assert not s["accepted"] or s["precision_lower95"] <= s["accept_precision"]
    assert (tmp_path / "b" / "set" / "answers.csv").is_file()
    assert report["speed"]["v2_per_s"] > 0 and report["speed"]["cli_v2_per_s"] > 0
