"""The review desk shows a corpus proposal beside the gaiji, and records nothing from it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gaiji.errors import ContractError
from gaiji.review.app import create_app
from gaiji.review.proposals import load_proposals
from gaiji.review.store import ReviewStore
from tests.review.conftest import build_set
from tests.review.test_app import signed_in

pytestmark = pytest.mark.reference


def _proposals(path: Path, gid: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["kind", "gaiji_id", "group_id", "mj", "char", "basis"])
        w.writeheader()
        w.writerow({"kind": "proposal", "gaiji_id": gid, "group_id": "G1", "mj": "MJ028902", "char": "髙",
                    "basis": "same glyph as 3 gaiji in 2 municipalities, decided MJ028902 by sato"})
    return path


def test_the_desk_shows_the_proposal_and_records_nothing(tmp_path, reference):
    gset = build_set(tmp_path / "city")
    with open(gset / "glyphs.csv", encoding="utf-8") as fh:
        gid = next(iter(csv.DictReader(fh)))["gaiji_id"]
    app = create_app(gset, reference=reference, proposals_path=_proposals(tmp_path / "p.csv", gid))
    client = signed_in(app)
    item = client.get(f"/api/item/{gid}").json
    assert item["corpus"]["mj"] == "MJ028902" and "2 municipalities" in item["corpus"]["basis"]
    assert ReviewStore.open(gset).state(gid).state == "pending"
    page = client.get("/").get_data(as_text=True)
    assert 'id="f-corpus"' in page  # the desk has a place for it (filled by desk.js from item.corpus)


def test_a_wrong_proposals_file_is_explained(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("gaiji_id,mj\nx,MJ000001\n", encoding="utf-8")
    with pytest.raises(ContractError, match="gaiji corpus propose"):
        load_proposals(bad)
