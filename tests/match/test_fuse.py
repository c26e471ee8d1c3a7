"""Reading and radical/strokes fusion."""

from __future__ import annotations

import numpy as np

from gaiji.match.fuse import ledger_readings, radical_strokes_agreement, reading_agreement
from gaiji.match.ranking import QueryHints, rank_rasters


def test_reading_agreement_kinds():
    assert reading_agreement(ledger_readings("ツジ"), ["しん", "つじ"]) == (1.0, "つじ")
    assert reading_agreement(ledger_readings("ﾂｼﾞ"), ["つじ"]) == (1.0, "つじ")
    assert reading_agreement(["たか"], ["たかい"]) == (0.9, "たかい")
    assert reading_agreement(["やま"], ["かわ"]) == (0.0, "")
    assert reading_agreement([], ["つじ"]) == (0.0, "")
    # one kana in common is not agreement
    assert reading_agreement(["か"], ["たか"])[0] == 0.0


def test_radical_strokes_agreement():
    assert radical_strokes_agreement(162, None, [(162, 2)], 6) == 1.0
    assert radical_strokes_agreement(9, None, [(162, 2)], 6) == 0.0
    assert radical_strokes_agreement(None, 6, [], 6) == 1.0
    assert radical_strokes_agreement(None, 8, [], 6) == 0.0
    assert radical_strokes_agreement(None, None, [(1, 1)], 1) == 0.0


def _blend(reference, a: str, b: str) -> np.ndarray:
    """A glyph half-way between two look-alike characters: the picture cannot decide."""
    ra = reference.rasters[reference.index_of(reference.by_char(a)[0].mj)].astype(np.float32)
    rb = reference.rasters[reference.index_of(reference.by_char(b)[0].mj)].astype(np.float32)
    return np.round((ra + rb) / 2).astype(np.uint8)[None]


def test_reading_lifts_the_right_candidate(reference, match_index):
    query = _blend(reference, "末", "未")
    rows = match_index.rows
    bases = lambda batch: [rows[int(r)].base_char for r in batch.rows[0]]
    plain = rank_rasters(match_index, query, top_k=5)
    assert {"末", "未"} <= set(bases(plain)[:2])
    sue = rank_rasters(match_index, query, [QueryHints(readings=("すえ",))], top_k=5)
    mi = rank_rasters(match_index, query, [QueryHints(readings=("ひつじ",))], top_k=5)
    assert bases(sue)[0] == "末" and sue.reading_matched[0][0] == "すえ" and sue.reading_score[0, 0] == 1.0
    assert bases(mi)[0] == "未" and mi.reading_score[0, 0] == 1.0
    # the evidence is carried: image scores are untouched, only the fused score moves
    assert np.isclose(sue.score[0, 0], sue.rerank_score[0, 0] + 0.06)


def test_strokes_hint_breaks_a_tie(reference, match_index):
    query = _blend(reference, "土", "士")
    rows = match_index.rows
    for hint_strokes in (3,):
        batch = rank_rasters(match_index, query, [QueryHints(radical=32, strokes=hint_strokes)], top_k=5)
        assert rows[int(batch.rows[0, 0])].base_char == "土"  # radical 32 is 土
        assert batch.radical_strokes_score[0, 0] == 1.0


def test_ledger_remarks_beside_a_reading_do_not_hide_it(reference, match_index):
    """Ledger cells carry remarks: ``すえ(名)``, ``末（すえ）``, ``すえ？``. The reading still
    decides between look-alikes as plain ``すえ`` does; a remark alone is no reading."""
    from gaiji.match.matcher import hints_for

    assert hints_for("すえ(名)", {}).readings == ("すえ",)
    assert hints_for("末（すえ）・ミ？", {}).readings == ("すえ", "み")
    assert hints_for("不明", {}).readings == ()
    query = _blend(reference, "末", "未")
    rows = match_index.rows
    for cell in ("すえ(名)", "末（すえ）", "すえ？"):
        ranked = rank_rasters(match_index, query, [hints_for(cell, {})], top_k=5)
        assert rows[int(ranked.rows[0, 0])].base_char == "末" and ranked.reading_matched[0][0] == "すえ"


def test_radical_and_strokes_as_ledgers_write_them(reference):
    from gaiji.match.matcher import hints_for

    names = reference.radical_names()

    def h(radical: str, strokes: str) -> tuple[int | None, int | None]:
        hints = hints_for("", {"radical": radical, "strokes": strokes}, names)
        return hints.radical, hints.strokes

    assert h("75", "5") == (75, 5)
    assert h("木", "5画") == (75, 5) and h("⽊", "５") == (75, 5)
    assert h("氵", "１２画") == (85, 12) and h("辶", " 7 ") == (162, 7)
    assert h("きへん", "五画") == (None, None)  # names and kanji numerals are not guessed at
    assert h("999", "") == (None, None)
    assert hints_for("", {"部首": "木"}, None).radical is None  # a character needs the table


def test_radical_and_strokes_reorder_but_do_not_raise_confidence(reference, match_index):
    """Calibration's simulated ledgers carry readings only, so radical / strokes may reorder
    candidates between characters but must not move the calibrated confidence."""
    from gaiji.match.verified import rank_rasters_verified

    clear = reference.rasters[reference.index_of(reference.by_char("土")[0].mj)][None]
    plain = rank_rasters_verified(match_index, clear, None, sides=np.array([64]))
    hinted = rank_rasters_verified(match_index, clear, [QueryHints(radical=32, strokes=3)], sides=np.array([64]))
    rows = match_index.rows
    assert rows[int(plain.rows[0, 0])].base_char == "土" == rows[int(hinted.rows[0, 0])].base_char
    assert hinted.radical_strokes_score[0, 0] == 1.0
    assert hinted.confidence[0, 0] == plain.confidence[0, 0]
    assert hinted.ucs_confidence[0] == plain.ucs_confidence[0]
