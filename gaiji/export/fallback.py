"""縮退 (fallback): the character to use where the target system cannot show the MJ glyph.

The MJ縮退マップ (IPA / 文字情報技術促進協議会) relates each MJ character to JIS X 0213 / UCS
characters through several tables. They are meant to be applied **step by step, most
faithful first**; we rank a record's fallbacks the same way:

1. ``JIS包摂規準UCS統合規則`` — JIS X 0213's own unification rules: the MJ glyph is a design
   variant of that very character (often the same base code point without its selector).
   Nothing about the person's name changes, only the glyph design.
2. ``法務省告示582号別表第四`` (一, then 二) — the Ministry of Justice notice table; within it the
   notice's own 順位 (rank 1 first).
3. The 戸籍 (family register) notices: ``戸籍統一文字情報_親字正字`` by fewest hops through the
   親字/正字 relation, then ``民一2842号通達`` (誤字俗字正字一覧表: 俗字, 無印, 別字 in that order —
   a 別字 is a different character), then ``民二5202号通知`` (正字俗字等対照表).
4. ``辞書類等による関連字`` — related characters in dictionaries.
5. ``読み字形による類推`` — an analogy by reading and shape: the weakest link.

Ties inside one table go to the fallback that is the record's own base character (no
identity change), then to one in JIS X 0213 plane 1 (which includes JIS X 0208, so most
legacy systems and CP932 carry it), then to the lower code point (deterministic output).

When the MJ縮退マップ has nothing for a record, the fallback is the base character with its
selector removed (``IVS除去``) — or, when it has no selector, the character itself
(``同一文字``: the MJ縮退マップ names nothing simpler; a target without the character needs
its own arrangement, which ``--target-font`` reveals).

Compared with jntajis-python
----------------------------
``tests/export/test_fallback_vs_jntajis.py`` runs every MJ character of the reference through
an independent implementation of the same map, jntajis-python's ``mj_shrink_candidates`` (all
four of its schemes). Measured with IPAmj明朝 005.01 + mojidata 1.8.1 and jntajis-python 0.1.0:
55,041 of 59,145 characters (93.1 %) get the same first choice. The rest differ for three
stated reasons, and the test fails on any other kind of difference:

1. **A table jntajis does not use** (1,607): our fallback comes from ``辞書類等による関連字``;
   jntajis, which implements JIS包摂規準・UCS統合規則, 読み字形による類推, 法務省告示582号 and the
   戸籍 notices only, offers nothing but the character itself.
2. **Same candidates, another order** (2,496): jntajis's first candidate is one of ours too,
   not our first. We rank by table and then by the table's own 順位 / hops (法務省告示582号 順位1
   before 順位2, 親字正字 hop 1 before hop 2), and keep the record's own base character when
   JIS包摂規準 says the MJ glyph is only a design variant of it (㐂 stays 㐂: no identity
   change); jntajis lists the transliteration targets first and the input last.
3. **Data version** (1: 麦 MJ029826, where jntajis offers 麥 by JIS包摂規準, which mojidata's
   copy of the map does not list): jntajis bundles its own copy of the MJ縮退マップ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gaiji.reference.mjtable import FALLBACK_BASIS_ORDER

BASIS_ORDER: tuple[str, ...] = FALLBACK_BASIS_ORDER  # one order, defined with the reference
BASIS_SELECTOR_REMOVED = "IVS除去"
BASIS_SAME_CHARACTER = "同一文字"


class FallbackLike(Protocol):
    char: str
    ucs: str
    x0213: str
    basis: str
    rank: int | None
    hops: int | None


class RecordLike(Protocol):
    char: str
    base_char: str
    fallbacks: list  # list[FallbackLike]


@dataclass(frozen=True)
class ChosenFallback:
    char: str
    ucs: str  # 'U+8FBB' (space separated if several code points)
    basis: str  # table name, with 順位 / hops when the table has them

    @property
    def is_empty(self) -> bool:
        return not self.char


NO_FALLBACK = ChosenFallback("", "", "")


def _ucs_of(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text)


def basis_label(fallback: FallbackLike) -> str:
    """Table name plus its rank or hop count.

    >>> from types import SimpleNamespace as F
    >>> basis_label(F(basis='法務省告示582号別表第四_一', rank=1, hops=None))
    '法務省告示582号別表第四_一 順位1'
    >>> basis_label(F(basis='戸籍統一文字情報_親字正字', rank=None, hops=2))
    '戸籍統一文字情報_親字正字 hop2'
    """
    if fallback.rank is not None:
        return f"{fallback.basis} 順位{fallback.rank}"
    if fallback.hops is not None:
        return f"{fallback.basis} hop{fallback.hops}"
    return fallback.basis


def rank_fallbacks(fallbacks: Iterable[FallbackLike], *, base_char: str = "") -> list[FallbackLike]:
    """The fallbacks best first (see the module docstring for the order and why).

    >>> from types import SimpleNamespace as F
    >>> fbs = [F(char='剱', ucs='U+5271', x0213='1-49-91', basis='辞書類等による関連字', rank=None, hops=None),
    ...        F(char='劍', ucs='U+528D', x0213='1-49-88', basis='法務省告示582号別表第四_一', rank=2, hops=None),
    ...        F(char='剣', ucs='U+5263', x0213='1-23-85', basis='法務省告示582号別表第四_一', rank=1, hops=None)]
    >>> [f.char for f in rank_fallbacks(fbs)]
    ['剣', '劍', '剱']
    """
    order = {name: i for i, name in enumerate(BASIS_ORDER)}

    def key(f: FallbackLike) -> tuple:
        plane = f.x0213.split("-", 1)[0] if f.x0213 else "9"
        return (
            order.get(f.basis, len(order)),
            f.rank if f.rank is not None else 0,
            f.hops if f.hops is not None else 0,
            0 if f.char == base_char else 1,
            plane,
            [ord(c) for c in f.char],
        )

    return sorted(fallbacks, key=key)


def choose_fallback(
    record: RecordLike, *, drawable: Callable[[str], bool] | None = None
) -> ChosenFallback:
    """The best fallback of an MJ record, optionally only among those *drawable* says a target
    font can draw. Returns :data:`NO_FALLBACK` when nothing qualifies.
    """
    ranked: Sequence[FallbackLike] = rank_fallbacks(record.fallbacks, base_char=record.base_char)
    for f in ranked:
        if f.char and (drawable is None or drawable(f.char)):
            return ChosenFallback(f.char, _ucs_of(f.char), basis_label(f))
    base = record.base_char
    if base and (drawable is None or drawable(base)):
        basis = BASIS_SAME_CHARACTER if record.char == base else BASIS_SELECTOR_REMOVED
        return ChosenFallback(base, _ucs_of(base), basis)
    return NO_FALLBACK
