"""Reading candidates: characters the ledger's reading brings to the verifier when the picture's
shortlist has none of them (gaiji.match.reading_candidates)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from gaiji.match.reading_candidates import READING_EXTRAS, ReadingLookup, reading_candidates


@dataclass
class _Row:
    readings: tuple[str, ...]


def test_readings_agree_as_the_ranking_scores_them():
    rows = [_Row(("たか", "こう")), _Row(("たかい",)), _Row(("か",)), _Row(("かい",)), _Row(("つじ",)), _Row(("たか",))]
    lookup = ReadingLookup(rows, np.array([0, 1, 2, 3, 4]))  # row 5 has no glyph
    assert sorted(lookup.rows_for(["つじ"]).tolist()) == [4]
    # an MJ reading of two kana that begins the ledger's (a name reading), and one the ledger's begins
    assert sorted(set(lookup.rows_for(["たかし"]).tolist())) == [0]
    assert sorted(set(lookup.rows_for(["たか"]).tolist())) == [0, 1]
    # one kana agrees only with itself
    assert sorted(set(lookup.rows_for(["か"]).tolist())) == [2]
    assert lookup.rows_for(["ゔゔ"]).size == 0
    assert lookup.row_readings[5] == frozenset()
    assert lookup.agreeing(["たか"]) & lookup.row_readings[1]


def _hints(*readings: str):  # type: ignore[no-untyped-def]
    from gaiji.match.ranking import QueryHints

    return [QueryHints(readings=(r,)) if r else QueryHints() for r in readings]


def _rows_of(index, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [i for i, r in enumerate(index.rows) if r.base_char == text]


@pytest.mark.reference
def test_the_reading_brings_its_characters_closest_glyph(match_index, hanazono):
    from gaiji.match.features import glyph_features
    from gaiji.match.prepare import query_raster_and_side

    raster, _ = query_raster_and_side(hanazono.render("辻", 96))
    raw = glyph_features(raster[None])
    unrelated = np.array([_rows_of(match_index, c)[0] for c in "一二三四五六七八九十"])[None]
    small = np.zeros(1, bool)
    extra = reading_candidates(match_index, _hints("つじ"), raw, small, unrelated)
    assert extra.shape == (1, READING_EXTRAS)
    assert match_index.rows[int(extra[0, 0])].base_char == "辻"  # the picture picks among the reading's characters
    groups = match_index.groups[extra[0][extra[0] >= 0]]
    assert len(set(groups.tolist())) == len(groups)  # one glyph per character
    # none when the search's best candidate carries the reading, or the gaiji has no reading
    tsuji = np.array(_rows_of(match_index, "辻")[:1] + unrelated[0, 1:].tolist())[None]
    assert (reading_candidates(match_index, _hints("つじ"), raw, small, tsuji) < 0).all()
    assert (reading_candidates(match_index, _hints(""), raw, small, unrelated) < 0).all()
    # a hidden character stays hidden
    hidden = reading_candidates(match_index, _hints("つじ"), raw, small, unrelated,
                                exclude_groups=match_index.groups[tsuji[:, 0]])
    assert all(match_index.rows[int(r)].base_char != "辻" for r in hidden[0] if r >= 0)


@pytest.mark.reference
def test_a_wrong_reading_is_shown_but_does_not_overrule_a_clear_picture(match_index, hanazono):
    """A ledger reading no shortlisted character has (みね for a 辻) brings glyphs of characters
    read so to the candidates; the picture keeps 辻 first; no candidate is listed twice."""
    from gaiji.match.prepare import query_raster_and_side
    from gaiji.match.verified import rank_rasters_verified

    raster, side = query_raster_and_side(hanazono.render("辻", 96))
    plain = rank_rasters_verified(match_index, raster[None], sides=np.array([side]))
    read = rank_rasters_verified(match_index, raster[None], _hints("みね"), sides=np.array([side]))
    assert match_index.rows[int(read.rows[0, 0])].base_char == "辻"
    assert int(read.rows[0, 0]) == int(plain.rows[0, 0])
    before = set(plain.rows[0].tolist())
    brought = [j for j, r in enumerate(read.rows[0].tolist()) if r not in before]
    assert brought and all(read.reading_score[0, j] >= 0.9 for j in brought)  # characters read みね (峯, 岫 …)
    assert len(set(read.rows[0].tolist())) == read.rows.shape[1]
    assert 0.0 <= read.score.min() and read.score.max() <= 1.0


@pytest.mark.reference
def test_reading_candidates_below_rank_one_leave_the_calibrated_decision_alone(match_index, hanazono, monkeypatch):
    """Confidence and auto-accept were calibrated on the picture's shortlist: a reading candidate
    ranked below rank 1 changes neither (the decision is the one made without it)."""
    from gaiji.match import verified
    from gaiji.match.prepare import query_raster_and_side

    images = [hanazono.render(c, 96) for c in "辻鷗櫻"]
    pairs = [query_raster_and_side(img) for img in images]
    rasters = np.stack([r for r, _ in pairs])
    sides = np.array([s for _, s in pairs])
    hints = _hints("みね", "つじ", "")  # one reading no look-alike has, one that belongs to another character, none
    with_extras = verified.rank_rasters_verified(match_index, rasters, hints, sides=sides)
    monkeypatch.setattr(verified, "READING_EXTRAS", 0)
    without = verified.rank_rasters_verified(match_index, rasters, hints, sides=sides)
    assert int(with_extras.rows[0, 0]) == int(without.rows[0, 0])
    assert set(with_extras.rows[0].tolist()) != set(without.rows[0].tolist())  # みね brought candidates
    for name in ("ucs_confidence", "no_match", "auto_accept"):
        np.testing.assert_allclose(np.asarray(getattr(with_extras, name), float),
                                   np.asarray(getattr(without, name), float), rtol=1e-9)
    np.testing.assert_allclose(with_extras.confidence[:, 0], without.confidence[:, 0], rtol=1e-9)
    assert "verified too" in with_extras.evidence[0] and "verified too" not in without.evidence[0]


@pytest.mark.reference
def test_a_reading_candidate_ranked_first_is_never_auto_accepted(match_index, hanazono, monkeypatch):
    """A 12 px 科 whose picture alone ranks other characters first (科 is not among the ten): its
    ledger reading か brings it, and it ranks first — but the trust model was calibrated on the
    search's candidates, so it is not auto-accepted even where the thresholds would let it."""
    from gaiji.match import verified
    from gaiji.match.prepare import query_raster_and_side

    small, small_side = query_raster_and_side(hanazono.render("科", 12, antialias=False))
    large, large_side = query_raster_and_side(hanazono.render("辻", 96))
    rasters, sides = np.stack([small, large]), np.array([small_side, large_side])
    hints = _hints("か", "つじ")
    assess = match_index.trust.assess

    def accepting_all(summary, sides):  # type: ignore[no-untyped-def]
        out = assess(summary, sides)
        out["auto_accept"] = np.ones(len(sides), bool)
        return out

    monkeypatch.setattr(match_index.trust, "assess", accepting_all)
    ranked = verified.rank_rasters_verified(match_index, rasters, hints, sides=sides)
    assert match_index.rows[int(ranked.rows[0, 0])].base_char == "科"
    assert not ranked.auto_accept[0] and ranked.auto_accept[1]
    assert verified.evidence_notes(ranked.evidence[0])["reading_first"]  # the desk and the summary say why
    assert not verified.evidence_notes(ranked.evidence[1])["reading_first"]
    monkeypatch.setattr(verified, "READING_EXTRAS", 0)
    without = verified.rank_rasters_verified(match_index, rasters, hints, sides=sides)
    assert "科" not in {match_index.rows[int(r)].base_char for r in without.rows[0]}
