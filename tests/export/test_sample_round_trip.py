"""Round trip over the whole bundled sample: extract → two-person review of every gaiji (each
reviewer picks the sample's known answer, or 該当なし) → export in every format → validate →
convert resident data in CP932 (user-defined area) and UTF-8 (PUA) → every gaiji comes out as
its answer's character, with its IVS selector; the ones without an MJ equivalent are reported,
never dropped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaiji.cli import cli
from gaiji.codes import char as code_char
from gaiji.codes import pua_to_sjis
from gaiji.export import export_mapping
from gaiji.extract import ExtractOptions, extract_gaiji_set, read_gaiji_set
from gaiji.review.store import ReviewStore
from gaiji.sample import answers_path, sample_dir


@pytest.fixture(scope="module")
def reviewed_sample(tmp_path_factory, reference) -> tuple[Path, dict[int, str], set[int]]:
    """The sample set with every EUDC gaiji decided by two reviewers."""
    set_dir = tmp_path_factory.mktemp("sample") / "set"
    extract_gaiji_set([sample_dir()], set_dir, options=ExtractOptions(), progress=lambda *a: None)
    answers = {row["gaiji_id"]: row for row in csv.DictReader(answers_path().open(encoding="utf-8"))}
    gset = read_gaiji_set(set_dir)
    store = ReviewStore.open(set_dir)
    expected: dict[int, str] = {}
    no_equivalent: set[int] = set()
    for rec in gset.records:
        if rec.source != "EUDC.TTE":  # the BDF's vendor codes never appear in UDA/PUA data
            continue
        mj = answers[rec.gaiji_id]["mj"] or None
        choice = {"mj": mj, "char": reference.record(mj).char} if mj else None
        klass = "字形一致" if mj else "該当なし"
        for reviewer in ("sato", "suzuki"):
            store.record_decision(rec.gaiji_id, reviewer, choice, klass,
                                  reference_version=reference.version_label)
        cp = ord(code_char(rec.code))
        if mj:
            expected[cp] = reference.record(mj).char
        else:
            no_equivalent.add(cp)
    store.close()
    assert len(expected) >= 190 and no_equivalent  # the whole sample, not a token few
    assert sum(1 for c in expected.values() if len(c) == 2) >= 40  # IVS variants among them
    assert len(expected) + len(no_equivalent) == sum(1 for r in gset.records if r.source == "EUDC.TTE")
    return set_dir, expected, no_equivalent


FORMATS = [("csv", {}), ("csv", {"bom": True}), ("tsv", {}), ("json", {}), ("xml", {})]


@pytest.mark.parametrize("fmt,options", FORMATS, ids=["csv", "csv-bom", "tsv", "json", "xml"])
@pytest.mark.parametrize("data_encoding", ["cp932", "utf-8"])
def test_every_sample_gaiji_converts_to_its_answer(reviewed_sample, reference, tmp_path, fmt, options,
                                                   data_encoding):
    set_dir, expected, no_equivalent = reviewed_sample
    mapping = tmp_path / f"mapping.{fmt}"
    export_mapping(set_dir, mapping, reference=reference, **options)
    runner = CliRunner()
    check = runner.invoke(cli, ["validate", str(mapping)])
    assert check.exit_code == 0, check.output

    codes = sorted(expected) + sorted(no_equivalent)
    lines = [f"{i},{chr(cp)}様" for i, cp in enumerate(codes)]
    data = tmp_path / "residents.csv"
    if data_encoding == "cp932":
        # gaiji as Shift_JIS user-defined-area bytes, the rest as ordinary CP932
        raw = b""
        for i, cp in enumerate(codes):
            raw += f"{i},".encode("cp932") + pua_to_sjis(cp).to_bytes(2, "big") + "様\r\n".encode("cp932")
        data.write_bytes(raw)
    else:
        data.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8", newline="")
    out = tmp_path / "out.csv"
    result = runner.invoke(cli, ["convert", str(data), "--mapping", str(mapping), "--source", "EUDC.TTE",
                                 "-o", str(out), "--encoding", data_encoding, "-q"])
    # gaiji with no MJ equivalent are unmapped: reported (exit 1), kept, never dropped
    assert result.exit_code == (1 if no_equivalent else 0), result.output
    converted = out.read_text(encoding="utf-8").splitlines()
    assert len(converted) == len(codes)
    for line, cp in zip(converted, codes):
        value = line.split(",", 1)[1]
        if cp in expected:
            assert value == expected[cp] + "様", (hex(cp), value)
        else:
            assert value == chr(cp) + "様"  # still the private-use code point, to be reviewed
    with open(f"{out}.unmapped.csv", encoding="utf-8") as handle:
        reported = list(csv.DictReader(handle))
    assert len(reported) == len(no_equivalent)
