"""The bundled sample municipality: extracting it gives exactly what the generator recorded."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from gaiji.extract import extract_gaiji_set, read_gaiji_set
from gaiji.sample import answers_path, record_path, sample_dir, sample_record


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "set"
    summary = extract_gaiji_set([sample_dir()], out)
    return summary, read_gaiji_set(out)


def test_counts_match_the_generators_record(sample_set):
    summary, gaiji_set = sample_set
    want = sample_record()["expected_extract"]
    assert summary.ok
    assert summary.glyph_count == len(gaiji_set) == want["glyphs"]
    per_source = {Path(s.path).name: s.glyphs for s in summary.sources if s.kind != "ledger"}
    assert per_source == want["per_source"]
    ledger = next(s for s in summary.sources if s.kind == "ledger")
    assert ledger.ledger_rows == want["ledger_rows"] and ledger.encoding == "cp932"
    assert len(summary.ledger_without_glyph) == want["ledger_rows_without_glyph"]
    assert len(summary.glyphs_without_ledger) == want["glyphs_without_ledger"]
    assert set(want["glyphs_without_ledger_in_font"]) <= set(summary.glyphs_without_ledger)
    assert len(summary.blank) == want["blank"]
    assert sum(len(g) - 1 for g in summary.duplicates) == want["duplicates"]


def test_every_answer_names_a_glyph_of_the_set(sample_set):
    _summary, gaiji_set = sample_set
    with open(answers_path(), encoding="utf-8", newline="") as fh:
        answers = list(csv.DictReader(fh))
    assert sorted(a["gaiji_id"] for a in answers) == sorted(gaiji_set.ids)
    assert (
        sum(1 for a in answers if not a["mj"])
        == sample_record()["expected_extract"]["no_mj_equivalent"]
    )
    ivs = [a for a in answers if a["ivs"]]
    assert ivs and all(a["char"][1:] == chr(int(a["ivs"].removeprefix("U+"), 16)) for a in ivs)


def test_ledger_readings_arrive_in_the_set(sample_set):
    _summary, gaiji_set = sample_set
    first = gaiji_set["EUDC-E000"]
    assert first.sjis_code == "F040" and first.reading and first.usage_count is not None


def test_generated_files_are_the_recorded_ones():
    outputs = sample_record()["outputs"]
    for name, digest in outputs.items():
        path = (
            sample_dir() / name if (sample_dir() / name).exists() else record_path().parent / name
        )
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name


def test_generator_reproduces_the_sample(tmp_path):
    from gaiji.sample import generate

    moji_db = generate.default_moji_db()
    if not moji_db.is_file() or not (generate.HANAZONO_DIR / "HanaMinA.ttf").is_file():
        pytest.skip("needs fonts-hanazono and mojidata's moji.db (scripts/setup.sh installs both)")
    if not generate.BABELSTONE.is_file():
        pytest.skip("needs fonts-babelstone-han (draws the gaiji only the added set has)")
    record = generate.generate(tmp_path, moji_db, generate.HANAZONO_DIR)
    assert record["outputs"] == sample_record()["outputs"]


@pytest.mark.reference
def test_answers_agree_with_the_reference(reference):
    with open(answers_path(), encoding="utf-8", newline="") as fh:
        answers = [a for a in csv.DictReader(fh) if a["mj"]]
    for a in answers:
        rec = reference.record(a["mj"])
        assert (rec.char, rec.ucs, rec.ivs) == (a["char"], a["ucs"], a["ivs"]), a["gaiji_id"]
        assert rec.has_glyph, a["gaiji_id"]
