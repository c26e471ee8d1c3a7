"""Lookups agree with the real MJ table (table-driven; each row says why it matters)."""

from __future__ import annotations

import pytest

from gaiji.codes import split_ivs

# (query, MJ expected among the hits, why)
SEARCH_CASES = [
    ("MJ030302", "MJ030302", "MJ number"),
    ("mj030302", "MJ030302", "MJ number in lower case"),
    ("J+FA66", "MJ030302", "住基ネット統一文字コード of 辶"),
    ("437570", "MJ030302", "戸籍統一文字番号 of 辶"),
    ("辶", "MJ030302", "the compatibility ideograph U+FA66 IPAmj implements"),
    ("U+FA66", "MJ030302", "U+ notation of the compatibility form"),
    ("辻", "MJ025760", "辻: the one-dot variant is an MJ glyph of 辻"),
    ("辻", "MJ025761", "辻: the two-dot variant too"),
    ("辻\U000E0102", "MJ025760", "辻 + VS19 selects MJ025760"),
    ("U+8FBB U+E0103", "MJ025761", "IVS in U+ notation"),
    ("つじ", "MJ025761", "reading in hiragana"),
    ("ツジ", "MJ025760", "reading in katakana"),
    ("ﾂｼﾞ", "MJ025760", "reading in half-width kana"),
    ("髙", "MJ028902", "髙 (はしごだか) is its own UCS"),
    ("高", "MJ028901", "高 is a different MJ glyph"),
    ("U+9AD9", "MJ028902", "髙 by code point"),
    ("﨑", "MJ030196", "﨑 U+FA11 is a unified ideograph with IVS variants"),
    ("崎", "MJ010541", "崎 U+5D0E is not folded into 﨑"),
    ("𠮷", "MJ032129", "つちよし, outside the BMP"),
    ("162+2", "MJ025761", "radical number + inner strokes"),
    ("辵+2", "MJ025760", "radical character + inner strokes"),
    ("辶+2", "MJ025760", "the radical form people write (しんにょう)"),
    ("辶十", "MJ025761", "IDS components"),
    ("component:辶", "MJ025760", "IDS component prefix"),
]


@pytest.mark.parametrize(("query", "expected", "why"), SEARCH_CASES, ids=[c[2] for c in SEARCH_CASES])
def test_search_finds(reference, query, expected, why):
    hits = [r.mj for r in reference.search(query, limit=500)]
    assert expected in hits, f"{why}: {query!r} → {hits[:10]}"


def test_related_characters_come_after_the_own_glyphs(reference):
    """Reviewers typing 崎 must also see 﨑 (and the reverse), linked by the 縮退マップ —
    listed after the character's own glyphs, never merged into them."""
    saki = [r.mj for r in reference.search("崎", limit=500)]
    assert saki[0] == "MJ010541" and "MJ030196" in saki
    tatesaki = [r.mj for r in reference.search("﨑", limit=500)]
    assert tatesaki[:2] == ["MJ030196", "MJ030197"] and "MJ010541" in tatesaki
    assert [r.mj for r in reference.by_char("崎")] == ["MJ010541"]  # by_char alone stays exact


def test_reading_lists_everyday_characters_first(reference):
    hits = [r for r in reference.search("たか", limit=500)]
    top = {r.char for r in hits[:15]}
    assert {"高", "髙"} <= top, [r.char for r in hits[:15]]
    jis = [bool(r.x0213) for r in hits if "たか" in [x for x in r.readings]]
    assert jis == sorted(jis, reverse=True)  # within exact readings, JIS X 0213 ones come first


def test_mj030302_record_matches_table(reference):
    rec = reference.record("MJ030302")
    assert rec.juki == "J+FA66"
    assert rec.koseki == "437570"
    assert rec.implemented_char == "\uFA66"
    assert rec.char == "\u8FB6\U000E0102"  # the Moji_Joho IVS, not the compatibility char
    assert rec.ucs == "U+8FB6" and rec.ivs == "U+E0102"
    assert rec.x0213 == "2-89-73"


def test_tsuji_variants_are_distinct(reference):
    one, two = reference.record("MJ025760"), reference.record("MJ025761")
    assert split_ivs(one.char) == ("辻", "\U000E0102")
    assert split_ivs(two.char) == ("辻", "\U000E0103")
    assert one.total_strokes == 5 and two.total_strokes == 6
    a, b = reference.rasters[reference.index_of("MJ025760")], reference.rasters[reference.index_of("MJ025761")]
    # the one-dot / two-dot difference survives rendering
    assert int((a.astype(int) - b.astype(int)).__abs__().sum()) > 0


def test_taka_and_saki_not_folded(reference):
    assert reference.record("MJ028902").char == "髙"
    assert reference.record("MJ028901").char == "高"
    # 﨑's fallback (縮退) is 崎 by the register's own relation — the data keeps both
    saki = reference.record("MJ030196")
    assert saki.base_char == "\uFA11"
    assert any(f.char == "崎" for f in saki.fallbacks)


def test_fallbacks_are_ordered_and_sourced(reference):
    rec = reference.record("MJ028902")
    assert rec.fallbacks, "髙 has a 縮退 entry to 高"
    assert rec.fallbacks[0].char == "高"
    assert all(f.basis for f in rec.fallbacks)


def test_no_silent_drops(reference):
    counts = reference.version["counts"]
    assert counts["glyphs_in_font"] == 59161
    assert counts["table_rows"] == 58862
    assert counts["total_rows"] == len(reference) == 59161
    assert counts["rows_without_glyph"] + counts["rows_joined"] == counts["table_rows"] + counts["hentaigana_rows"]
    assert reference.has_glyph.sum() == counts["glyphs_in_font"]


def test_every_rendered_glyph_has_ink(reference):
    sums = reference.rasters.reshape(len(reference), -1).max(axis=1)
    assert int((sums[reference.has_glyph] == 0).sum()) == reference.version["counts"]["blank_glyphs"]


def test_glyph_image_is_a_picture(reference):
    img = reference.glyph_image("MJ028902", px=64)
    assert img.size == (64, 64) and img.mode == "L"
    assert img.getextrema()[0] < 64  # ink present


def test_provenance_records_sources(reference):
    src = reference.version["sources"]
    assert src["ipamj_font"]["version"] == "005.01"
    assert len(src["ipamj_font"]["sha256"]) == 64
    assert src["mojidata"]["version"] == "1.8.1"
    assert "render" in reference.version_label


def test_unknown_queries_return_nothing(reference):
    assert reference.search("MJ999999") == []
    assert reference.search("") == []
    with pytest.raises(KeyError):
        reference.record("MJ999999")
