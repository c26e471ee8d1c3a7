"""Export, validate and convert of gaiji decided to an added reference set's entries: the set's
code point (private-use or UCS), its name, identifier and font are written; validate accepts
a private-use code only on a row pointing at that set; convert writes the set's code."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gaiji.errors import ContractError
from gaiji.export import export_mapping
from gaiji.export.convert import convert_files, load_conversion_table
from gaiji.export.validate import validate_mapping
from gaiji.reference import refsets
from gaiji.review.store import ReviewStore
from tests.export.conftest import write_set
from tests.reference.test_refsets import build_ivs_font, write_csv

pytestmark = pytest.mark.reference

GLYPHS = [
    ("g1", "EUDC.TTE", "U+E001", None),  # → Vendor V1 (a private-use code only the set's font draws)
    ("g2", "EUDC.TTE", "U+E002", None),  # → MJ030302
    ("g3", "EUDC.TTE", "U+E003", None),  # → Vendor V2 (a UCS character)
]


@pytest.fixture(scope="module")
def vendor_set(tmp_path_factory):
    home = tmp_path_factory.mktemp("sets-home")
    font = build_ivs_font(home / "vendor.ttf")
    table = write_csv(home / "list.csv", ["文字ID", "UCS", "対応UCS", "読み"],
                      [["V1", "U+E000", "U+53E3", "くち"], ["V2", "U+4E8C", "", "に"]])
    refsets.add_set("Vendor", [font], table, home=home)
    return refsets.load_set("Vendor", home)


def _decide(folder: Path, reference, ref_set, *, set_version: str | None = None) -> None:
    store = ReviewStore.open(folder)
    try:
        for who in ("sato", "suzuki"):
            for gid, set_id in (("g1", "V1"), ("g3", "V2")):
                rec = ref_set.record(set_id)
                store.record_decision(gid, who, {"ref_set": ref_set.name, "ref_id": set_id, "char": rec.char,
                                                 "ucs": rec.ucs, "ivs": rec.ivs, "font_name": rec.font_name,
                                                 "ref_set_version": set_version or ref_set.version_label},
                                      "字形一致", reference_version=reference.version_label)
            store.record_decision("g2", who, {"mj": "MJ030302"}, "字形一致", reference_version=reference.version_label)
    finally:
        store.close()


@pytest.fixture()
def decided(tmp_path: Path, reference, vendor_set) -> Path:
    folder = write_set(tmp_path / "set", GLYPHS)
    _decide(folder, reference, vendor_set)
    return folder


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["gaiji_id"]: r for r in csv.DictReader(fh)}


def test_export_writes_the_sets_code_point_identifier_and_font(decided: Path, reference, vendor_set,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "mapping.csv"
    result = export_mapping(decided, out, reference=reference, ref_sets=[vendor_set])
    assert result.final == 3 and result.count("set-not-installed") == 0
    rows = _rows(out)
    v1 = rows["g1"]
    assert (v1["ref_set"], v1["ref_id"], v1["mj"], v1["ucs"], v1["ivs"], v1["char"]) == \
        ("Vendor", "V1", "", "U+E000", "", "\ue000")
    assert v1["ref_font"] == "RefsetTest" and v1["ref_set_version"] == vendor_set.version_label
    assert (v1["fallback_char"], v1["fallback_ucs"]) == ("口", "U+53E3")  # the list's related UCS
    assert (rows["g3"]["ref_set"], rows["g3"]["char"], rows["g3"]["ucs"]) == ("Vendor", "二", "U+4E8C")
    assert (rows["g2"]["ref_set"], rows["g2"]["ref_id"], rows["g2"]["mj"]) == ("MJ", "MJ030302", "MJ030302")
    # JSON and XML carry the same, and pass their schema (checked before they are written)
    export_mapping(decided, tmp_path / "m.json", reference=reference, ref_sets=[vendor_set])
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    by_id = {r["gaiji_id"]: r for r in doc["rows"]}
    assert (by_id["g1"]["ref_set"], by_id["g1"]["ref_font"], by_id["g1"]["char"]) == ("Vendor", "RefsetTest", "\ue000")
    export_mapping(decided, tmp_path / "m.xml", reference=reference, ref_sets=[vendor_set])
    assert "<ref_font>RefsetTest</ref_font>" in (tmp_path / "m.xml").read_text(encoding="utf-8")

    for table in (out, tmp_path / "m.json", tmp_path / "m.xml"):
        report = validate_mapping(table, reference, ref_sets=[vendor_set])
        assert report.valid and not report.warnings, [p.message for p in report.problems]


def test_validate_allows_a_private_use_code_only_on_a_row_of_that_set(decided: Path, reference, vendor_set,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "mapping.csv"
    export_mapping(decided, out, reference=reference, ref_sets=[vendor_set])
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    fields = list(rows[0])

    def write(rows: list[dict[str, str]]) -> Path:
        path = tmp_path / "edited.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\r\n")
            w.writeheader()
            w.writerows(rows)
        return path

    # without the set installed: a warning that it could not be checked, still valid
    unchecked = validate_mapping(out, reference, ref_sets=[])
    assert unchecked.valid and any("not installed" in p.message for p in unchecked.warnings)
    # the same private-use code on a row that does not point at the set: an error
    stripped = [dict(r, ref_set="", ref_id="", ref_font="", ref_set_version="", identification_class="該当なし")
                if r["gaiji_id"] == "g1" else r for r in rows]
    bad = validate_mapping(write(stripped), reference, ref_sets=[vendor_set])
    assert not bad.valid and any("private-use" in p.message for p in bad.errors)
    # a set row whose code is not the set's: an error naming the set's code
    wrong = [dict(r, ucs="U+E001", char="\ue001") if r["gaiji_id"] == "g1" else r for r in rows]
    bad = validate_mapping(write(wrong), reference, ref_sets=[vendor_set])
    assert any("Vendor V1 is U+E000" in p.message for p in bad.errors)
    # an identifier the set does not have
    unknown = [dict(r, ref_id="V9") if r["gaiji_id"] == "g1" else r for r in rows]
    bad = validate_mapping(write(unknown), reference, ref_sets=[vendor_set])
    assert any("V9 is not an identifier" in p.message for p in bad.errors)
    # a set row with an MJ number too breaks the schema
    both = [dict(r, mj="MJ030302") if r["gaiji_id"] == "g1" else r for r in rows]
    assert not validate_mapping(write(both), reference, ref_sets=[vendor_set]).valid


def test_convert_writes_the_sets_code(decided: Path, reference, vendor_set, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.csv"
    export_mapping(decided, mapping, reference=reference, ref_sets=[vendor_set])
    data = tmp_path / "residents.csv"
    data.write_text("1,山\ue001\n2,\ue002様\n3,\ue003\n", encoding="utf-8")
    table = load_conversion_table(mapping)
    result = convert_files([data], table, output=tmp_path / "out.csv")
    assert result.converted == 3 and result.unmapped == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == (
        f"1,山\ue000\n2,{reference.record('MJ030302').char}様\n3,二\n")
    # --fallback writes the list's related UCS instead of the private-use code
    fallback = load_conversion_table(mapping, fallback=True)
    assert fallback.targets[0xE001] == "口"


def test_export_without_the_set_and_across_set_builds(decided: Path, reference, vendor_set, tmp_path: Path) -> None:
    result = export_mapping(decided, tmp_path / "m.csv", reference=reference, ref_sets=[])
    assert result.count("set-not-installed") == 2
    assert _rows(tmp_path / "m.csv")["g1"]["char"] == "\ue000"  # as the decision recorded it
    # decisions made against another build of the set are refused until rechecked
    other = write_set(tmp_path / "other", GLYPHS)
    _decide(other, reference, vendor_set, set_version="Vendor (list 000000000000, fonts 000000000000; render 1)")
    with pytest.raises(ContractError, match="another reference version"):
        export_mapping(other, tmp_path / "o.csv", reference=reference, ref_sets=[vendor_set])
    allowed = export_mapping(other, tmp_path / "o.csv", reference=reference, ref_sets=[vendor_set],
                             allow_reference_change=True)
    assert allowed.final == 3


def test_the_minimal_profile_refuses_a_sets_private_use_code(decided: Path, reference, vendor_set,
                                                             tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="minimal"):
        export_mapping(decided, tmp_path / "m.csv", reference=reference, ref_sets=[vendor_set], profile="minimal")
    assert not (tmp_path / "m.csv").exists()
