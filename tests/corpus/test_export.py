"""`gaiji corpus export`: a mapping table per set by municipality, one national table of groups."""

from __future__ import annotations

import csv

import pytest

from gaiji.corpus.export import export_corpus
from tests.corpus.test_reuse import TAKA, TSUJI, TSUJI_OTHER, _decide, _grouped

pytestmark = pytest.mark.reference


def test_export_writes_municipality_tables_and_the_national_groups(tmp_path, three_towns, reference):
    corpus = _grouped(tmp_path, three_towns)
    _decide(three_towns["town-a"], "a-taka", TAKA)
    _decide(three_towns["town-a"], "a-tsuji", TSUJI)
    _decide(three_towns["town-b"], "b-tsuji", TSUJI_OTHER, "suzuki", "ito")
    out = tmp_path / "export"
    summary = export_corpus(corpus, out, reference=reference)
    by_set = {t["set"]: t for t in summary["sets"]}
    assert by_set["town-a"]["final"] == 2 and by_set["town-c"]["final"] == 0  # proposals never exported
    assert (out / "01100" / "town-a.csv").is_file() and (out / "03100" / "town-c.csv").is_file()
    with open(out / "01100" / "town-a.csv", encoding="utf-8") as fh:
        rows = {r["gaiji_id"]: r for r in csv.DictReader(fh)}
    assert rows["a-taka"]["mj"] == "MJ028902"
    with open(out / "national_groups.csv", encoding="utf-8") as fh:
        groups = {r["representative_gaiji"]: r for r in csv.DictReader(fh)}
    assert groups["a-taka"]["status"] == "decided" and groups["a-taka"]["decided_mj"] == "MJ028902"
    assert groups["a-taka"]["size"] == "3" and groups["a-taka"]["municipalities"] == "3"
    assert groups["a-tsuji"]["status"] == "conflict" and groups["a-tsuji"]["decided_mj"] == ""
    assert groups["b-own"]["status"] == "open"
    assert len(groups) == summary["groups"]
