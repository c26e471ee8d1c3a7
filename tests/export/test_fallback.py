"""縮退: ranking the MJ縮退マップ fallbacks of real MJ records."""

from __future__ import annotations

from gaiji.export.fallback import BASIS_ORDER, choose_fallback, rank_fallbacks
from gaiji.reference.records import Fallback


def test_order_covers_every_basis_table_the_reference_uses(reference) -> None:
    # any table the MJ縮退マップ grows later would silently sort last: notice it here
    seen = set()
    for mj in ("MJ007607", "MJ014168", "MJ000078", "MJ030302", "MJ026634"):
        seen |= {f.basis for f in reference.record(mj).fallbacks}
    assert seen <= set(BASIS_ORDER)


def test_ranked_by_table_then_rank_or_hops() -> None:
    fbs = [
        Fallback("剱", "U+5271", "1-49-91", "辞書類等による関連字"),
        Fallback("劍", "U+528D", "1-49-88", "戸籍統一文字情報_親字正字", hops=1),
        Fallback("劍", "U+528D", "1-49-88", "法務省告示582号別表第四_一", rank=2),
        Fallback("剣", "U+5263", "1-23-85", "法務省告示582号別表第四_一", rank=1),
        Fallback("𠝏", "U+2074F", "2-03-24", "読み字形による類推"),
        Fallback("剣", "U+5263", "1-23-85", "戸籍統一文字情報_親字正字", hops=2),
    ]
    ranked = rank_fallbacks(fbs)
    assert [(f.char, f.basis, f.rank, f.hops) for f in ranked] == [
        ("剣", "法務省告示582号別表第四_一", 1, None),
        ("劍", "法務省告示582号別表第四_一", 2, None),
        ("劍", "戸籍統一文字情報_親字正字", None, 1),
        ("剣", "戸籍統一文字情報_親字正字", None, 2),
        ("剱", "辞書類等による関連字", None, None),
        ("𠝏", "読み字形による類推", None, None),
    ]


def test_jis_unification_beats_the_notice_tables() -> None:
    fbs = [Fallback("A", "U+0041", "", "法務省告示582号別表第四_一", rank=1),
           Fallback("B", "U+0042", "1-01-01", "JIS包摂規準UCS統合規則")]
    assert rank_fallbacks(fbs)[0].char == "B"


def test_real_records(reference) -> None:
    ken = choose_fallback(reference.record("MJ007607"))  # 劎: the notice's 順位1 is 剣
    assert (ken.char, ken.basis) == ("剣", "法務省告示582号別表第四_一 順位1")
    shinnyo = choose_fallback(reference.record("MJ030302"))  # 辶 + IVS → JIS 2-89-73 = U+FA66
    assert (shinnyo.char, shinnyo.ucs) == ("\ufa66", "U+FA66")
    tei = choose_fallback(reference.record("MJ017235"))  # no 縮退マップ entry: drop the selector
    assert (tei.char, tei.basis) == ("珵", "IVS除去")


def test_drawable_filter_skips_what_the_target_cannot_show(reference) -> None:
    rec = reference.record("MJ007607")
    chosen = choose_fallback(rec, drawable=lambda text: text != "剣")
    assert chosen.char == "劍" and "順位2" in chosen.basis
    assert choose_fallback(rec, drawable=lambda text: False).is_empty
