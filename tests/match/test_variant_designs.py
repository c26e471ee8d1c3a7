"""Variants drawn in another design (gaiji.match.variant_designs): the queries are the MJ glyphs
their IVS sequences name, and the shipped variant temperature makes `confidence` of "which
variant?" gaiji say about how often the variant is right — on VL Gothic, a font nothing was
fitted on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def check_queries(reference, match_index):
    from gaiji.match.index import MODEL_DIR
    from gaiji.match.variant_designs import (
        CHECK_VARIANT_FONTS,
        model_variant_split,
        variant_design_queries,
    )

    if not CHECK_VARIANT_FONTS[0].path.is_file():
        pytest.fail(f"{CHECK_VARIANT_FONTS[0].path} missing: apt-get install fonts-vlgothic (scripts/setup.sh does)")
    learnt, _ = model_variant_split(MODEL_DIR)
    chars = {r.base_char for r in match_index.rows if r.base_char} - learnt
    return variant_design_queries(match_index, reference.has_glyph, CHECK_VARIANT_FONTS, chars), learnt


def test_queries_are_the_mj_glyphs_their_sequences_name(match_index, check_queries):
    q, learnt = check_queries
    assert len(q["answers"]) > 100
    for answer, char in zip(q["answers"], q["char"]):
        row = match_index.rows[int(answer)]
        assert row.ivs and row.char[0] == char and char not in learnt
        # another MJ glyph of the same character exists: a "which variant?" question
        assert (match_index.groups == match_index.groups[answer]).sum() >= 2
    assert set(q["drawing"]) == {"outline", "bitmap"}


def test_the_shipped_temperature_makes_variant_confidence_say_how_often_it_is_right(match_index, check_queries):
    from gaiji.match.variant_designs import variant_factors
    from gaiji.match.verified import rank_rasters_verified

    q, _ = check_queries
    shipped = match_index.trust
    assert 0.05 <= shipped.variant_temperature < 1.0
    assert shipped.info["variant_temperature"]["fonts"] == ["BabelStoneHan"]
    gaps = {}
    for name, trust in (("shipped", shipped), ("untempered", dataclasses.replace(shipped, variant_temperature=1.0))):
        index = dataclasses.replace(match_index, trust=trust)
        ranked = rank_rasters_verified(index, q["rasters"], top_k=10, sides=q["sides"])
        right = ranked.rows[:, 0] == q["answers"]
        confidence = ranked.confidence[:, 0]
        gaps[name] = float(np.mean(confidence) - np.mean(right))
        factor = variant_factors(ranked)
        np.testing.assert_allclose(factor * ranked.ucs_confidence, confidence, rtol=1e-12)
    # untempered, the verifier is surer of the variant than it is right; tempered, about as sure
    assert gaps["untempered"] > 0.07
    assert abs(gaps["shipped"]) < 0.06
    assert gaps["untempered"] - gaps["shipped"] > 0.05
