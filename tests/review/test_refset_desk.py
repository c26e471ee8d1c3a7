"""The review desk with an added reference set: its entries are candidates and search hits, a
reviewer chooses one as the decision, and the record keeps (set, identifier) — through the
two-person rule, disputes, the audit chain and `review recheck` of a changed set entry."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gaiji.reference import refsets
from gaiji.reference.diff import Change, ReferenceDiff
from gaiji.review.app import create_app
from gaiji.review.recheck import recheck_set
from gaiji.review.store import ReviewError, ReviewStore
from tests.review.conftest import build_set
from tests.review.test_app import post, signed_in

pytestmark = pytest.mark.reference

SAMPLE = Path(__file__).resolve().parents[2] / "gaiji" / "sample" / "refset"
SET_ID, SET_CP = "HX0003", 0x2AC0A  # an Ext C character IPAmj lacks, in the bundled sample set


@pytest.fixture(scope="module")
def added_set(tmp_path_factory):
    home = tmp_path_factory.mktemp("sets-home")
    refsets.add_set("HanaExt", [SAMPLE / "refset-sample.ttf"], SAMPLE / "refset.csv", home=home)
    return refsets.load_set("HanaExt", home)


@pytest.fixture()
def set_with_set_candidate(tmp_path: Path) -> Path:
    """The review fixture set; gaiji E005 gets the added set's entry as its rank-1 candidate
    (as `gaiji match` writes it: mj empty, ref_set / ref_id naming the entry)."""
    folder = build_set(tmp_path / "city")
    with (folder / "candidates.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = [*rows[0].keys(), "ref_set", "ref_id"]
    for r in rows:
        r.update(ref_set="MJ", ref_id=r["mj"])
    rows.append({**dict.fromkeys(fields, ""), "gaiji_id": "E005", "rank": "1", "mj": "", "ucs": f"U+{SET_CP:04X}",
                 "char": chr(SET_CP), "score": "0.97", "confidence": "", "auto_accept": "0",
                 "ref_set": "HanaExt", "ref_id": SET_ID})
    with (folder / "candidates.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return folder


def _choose(client, gid: str, **choice):  # type: ignore[no-untyped-def]
    return post(client, "/api/decide", gaiji_id=gid, **{"class": "字形一致"}, **choice)


def test_set_entry_is_a_candidate_a_search_hit_and_a_decision(set_with_set_candidate: Path, reference,
                                                              added_set) -> None:
    app = create_app(set_with_set_candidate, reference=reference, ref_sets=[added_set])
    sato, suzuki = signed_in(app, "sato"), signed_in(app, "suzuki")

    item = sato.get("/api/item/E005").json
    top = item["candidates"][0]
    assert (top["ref_set"], top["ref_id"], top["mj"], top["char"]) == ("HanaExt", SET_ID, "", chr(SET_CP))
    assert top["font_name"] == "GaijiRefsetSample" and top["known"]
    picture = sato.get(top["image_url"])
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert sato.get(top["overlay_url"]).status_code == 200

    # search by the set's identifier and by the code point: the entry is found, labelled
    for query in (SET_ID, f"U+{SET_CP:04X}", chr(SET_CP)):
        found = sato.get("/api/search", query_string={"q": query, "gaiji_id": "E005"}).json
        hits = [r for r in found["results"] if r.get("ref_set") == "HanaExt"]
        assert [h["ref_id"] for h in hits] == [SET_ID], query
        assert hits[0]["matched_as"] == "set" and found["set_hits"] == 1
    # an MJ search still gives MJ results only
    mj_only = sato.get("/api/search", query_string={"q": "辻"}).json
    assert mj_only["results"] and not any(r.get("ref_set") for r in mj_only["results"])

    # the decision records (set, identifier) and the fields a vendor needs
    assert _choose(sato, "E005", ref_set="HanaExt", ref_id=SET_ID).status_code == 200
    assert _choose(suzuki, "E005", ref_set="HanaExt", ref_id=SET_ID).json["item"]["state"] == "checked"
    store = ReviewStore.open(set_with_set_candidate)
    try:
        final = {d.gaiji_id: d for d in store.final_decisions()}["E005"]
        assert (final.mj, final.ref_set, final.ref_id) == (None, "HanaExt", SET_ID)
        assert (final.char, final.ucs, final.ivs) == (chr(SET_CP), f"U+{SET_CP:04X}", "")
        assert final.font_name == "GaijiRefsetSample" and final.ref_set_version == added_set.version_label
        assert (final.decided_by, final.checked_by) == ("sato", "suzuki")
        assert store.verify_chain().ok
        # the log and the contact sheet name the set's entry (and picture it)
        from gaiji.review.log import event_line

        line = event_line([e for e in store.events(gaiji_id="E005") if e.kind == "decision"][-1])
        assert f"HanaExt {SET_ID} {chr(SET_CP)}" in line
    finally:
        store.close()
    from gaiji.review.sheet import sheet_html

    sheet = sheet_html(set_with_set_candidate, reference=reference, ref_sets=[added_set])
    start = sheet.rindex("<tr>", 0, sheet.index("<b>E005</b>"))
    row = sheet[start:sheet.index("</tr>", start)]
    assert f"<b>HanaExt {SET_ID}</b>" in row and "GaijiRefsetSample" in row and row.count("data:image/png") == 3
    views = sato.get("/api/item/E005").json["views"]
    assert {(v["ref_set"], v["ref_id"]) for v in views} == {("HanaExt", SET_ID)}
    assert all(v["image_url"] for v in views)


def test_set_choice_against_an_mj_choice_is_a_dispute_and_unknown_entries_are_refused(
        set_with_set_candidate: Path, reference, added_set) -> None:
    app = create_app(set_with_set_candidate, reference=reference, ref_sets=[added_set])
    sato, suzuki = signed_in(app, "sato"), signed_in(app, "suzuki")
    assert _choose(sato, "E005", ref_set="HanaExt", ref_id=SET_ID).status_code == 200
    answer = _choose(suzuki, "E005", mj="MJ028902")
    assert answer.status_code == 200 and answer.json["item"]["state"] == "disputed"

    refused = _choose(sato, "E004", ref_set="HanaExt", ref_id="HX9999")
    assert refused.status_code == 400 and "HX9999" in refused.json["error"]
    refused = _choose(sato, "E004", ref_set="NoSuchSet", ref_id=SET_ID)
    assert refused.status_code == 400 and "NoSuchSet" in refused.json["error"]
    # 該当なし with a set entry is a contradiction, refused by the store itself
    store = ReviewStore.open(set_with_set_candidate)
    try:
        with pytest.raises(ReviewError, match="該当なし"):
            store.record_decision("E004", "sato", {"ref_set": "HanaExt", "ref_id": SET_ID}, "該当なし")
        with pytest.raises(ReviewError, match="never auto-accepted"):
            store.record_auto_accept("E004", {"ref_set": "HanaExt", "ref_id": SET_ID, "mj": ""},
                                     reference_version="v")
    finally:
        store.close()


def test_recheck_of_a_changed_set_entry_sends_its_decisions_back(set_with_set_candidate: Path,
                                                                 added_set) -> None:
    store = ReviewStore.open(set_with_set_candidate)
    choice = {"ref_set": "HanaExt", "ref_id": SET_ID, "char": chr(SET_CP), "ucs": f"U+{SET_CP:04X}",
              "ref_set_version": added_set.version_label}
    for who in ("sato", "suzuki"):
        store.record_decision("E005", who, choice, "字形一致", reference_version="mj-v1")
    for who in ("sato", "suzuki"):  # an MJ decision with the same identifier text is not touched
        store.record_decision("E002", who, {"mj": "MJ028901"}, "字形一致", reference_version="mj-v1")
    store.close()
    diff = ReferenceDiff(old=added_set.version_label, new="HanaExt (list changed)", reference_set="HanaExt",
                         changes=[Change("glyph-changed", SET_ID, "raster", "", ""),
                                  Change("removed", "MJ028901", "", "", "")])
    result = recheck_set(set_with_set_candidate, diff, reviewer="tanaka")
    assert [a["gaiji_id"] for a in result.affected] == ["E005"]
    store = ReviewStore.open(set_with_set_candidate)
    try:
        assert store.state("E005").state == "pending"
        assert store.state("E002").state == "checked"
        assert store.verify_chain().ok
    finally:
        store.close()
