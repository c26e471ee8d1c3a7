"""Reading the gaiji set and the candidates file (CSV or JSON Lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaiji.errors import ContractError
from gaiji.review.gaijiset import load_glyphs


def test_csv_candidates_best_first_with_evidence(gaiji_set: Path) -> None:
    glyphs = load_glyphs(gaiji_set)
    assert list(glyphs) == ["E001", "E002", "E003", "E004", "E005"]
    e2 = glyphs["E002"]
    assert (e2.width, e2.usage_count, e2.reading) == (32, 40, "たか")
    assert [c.mj for c in e2.candidates] == ["MJ028901", "MJ028902"]
    assert e2.candidates[0].auto_accept and not e2.candidates[1].auto_accept
    assert e2.confidence == pytest.approx(0.998)
    assert set(e2.candidates[0].evidence) == {"image_similarity", "reading_match"}
    assert glyphs["E005"].candidates == [] and glyphs["E005"].confidence is None


def test_jsonl_candidates(gaiji_set: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    rows = [
        {"gaiji_id": "E001", "rank": 2, "mj": "MJ025761", "char": "辻󠄃", "score": 0.5, "confidence": 0.1,
         "auto_accept": 0, "gap": -0.1, "reference_version": "IPAmj明朝 005.01"},
        {"gaiji_id": "E001", "rank": 1, "mj": "MJ025760", "char": "辻󠄂", "score": 0.6, "confidence": 0.9,
         "auto_accept": 1, "gap": 0.1, "reference_version": "IPAmj明朝 005.01"},
        {"gaiji_id": "ZZZ", "rank": 1, "mj": "MJ000001"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    glyphs = load_glyphs(gaiji_set, path)
    first = glyphs["E001"].candidates[0]
    assert (first.mj, first.char, first.auto_accept, first.score) == ("MJ025760", "辻󠄂", True, 0.6)
    assert first.evidence == {"gap": "0.1"}  # reference_version is provenance, not evidence
    assert glyphs["E003"].candidates == []


@pytest.mark.parametrize(
    ("glyphs_csv", "message"),
    [
        ("gaiji_id,source,code,width,height,reading,usage_count,note,image\nA,s,1,8,8,,,,\nA,s,2,8,8,,,,\n", "appears twice"),
        ("id,code\nA,1\n", "missing columns"),
    ],
)
def test_broken_sets_are_reported(tmp_path: Path, glyphs_csv: str, message: str) -> None:
    (tmp_path / "glyphs.csv").write_text(glyphs_csv, encoding="utf-8")
    with pytest.raises(ContractError, match=message):
        load_glyphs(tmp_path)


def test_wrong_encoding_and_missing_candidates(gaiji_set: Path, tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="gaiji match"):
        load_glyphs(gaiji_set, tmp_path / "nope.csv")
    (tmp_path / "glyphs.csv").write_bytes("gaiji_id,reading\nA,つじ\n".encode("cp932"))
    with pytest.raises(ContractError, match="UTF-8"):
        load_glyphs(tmp_path)
