"""The national-scale simulation: valid sets, truth kept apart, never IPAmj, reproducible."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

import gaiji.corpus
from gaiji.corpus.simulate import (
    LOCAL_FONTS,
    SHARED_LIBRARY,
    TRUTH,
    VENDORS,
    SimulationOptions,
    _renderer,
    simulate_corpus,
)
from gaiji.errors import InputError
from gaiji.extract.gaijiset import read_gaiji_set


@pytest.mark.reference
def test_a_small_simulation_is_valid_and_reproducible(tmp_path, reference):
    opts = SimulationOptions(municipalities=3, gaiji_per=40, seed=5)
    s1 = simulate_corpus(tmp_path / "a", opts, reference=reference)
    s2 = simulate_corpus(tmp_path / "b", opts, reference=reference)
    assert s1["gaiji"] == s2["gaiji"] > 80
    truth = pq.read_table(tmp_path / "a" / TRUTH).to_pylist()
    assert len(truth) == s1["gaiji"]
    for name in {t["set"] for t in truth}:
        a = (tmp_path / "a" / "sets" / name / "glyphs.csv").read_bytes()
        assert a == (tmp_path / "b" / "sets" / name / "glyphs.csv").read_bytes()
        gset = read_gaiji_set(tmp_path / "a" / "sets" / name)  # the gaiji-set contract holds
        assert all(r.image_path.is_file() for r in gset.records)
        assert "mj" not in (tmp_path / "a" / "sets" / name / "glyphs.csv").read_text(encoding="utf-8").lower().split(",")
    # every non-blank truth row names a real MJ glyph
    assert all(reference.index_of(t["mj"]) >= 0 for t in truth if t["origin"] != "blank")


def test_no_design_comes_from_ipamj():
    fonts = [d.font for d, _ in VENDORS] + list(LOCAL_FONTS) + list(SHARED_LIBRARY)
    assert not [f for f in fonts if "ipamj" in f.lower()]
    with pytest.raises(InputError, match="never draws designs from IPAmj"):
        _renderer("truetype/ipamj/ipamjm.ttf")


def test_no_stage_reads_the_truth():
    stages = Path(gaiji.corpus.__file__).parent
    readers = [f.name for f in stages.glob("*.py") if f.name != "simulate.py"
               and ("truth" in f.read_text(encoding="utf-8") or "TRUTH" in f.read_text(encoding="utf-8"))]
    assert readers == []
