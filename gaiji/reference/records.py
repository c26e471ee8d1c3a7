"""Typed records of the MJ reference."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fallback:
    """One 縮退マップ entry: a character for systems without IVS / MJ support."""

    char: str
    ucs: str
    x0213: str
    basis: str  # the 縮退マップ table it comes from
    rank: int | None = None  # 順位 (法務省告示582号 tables)
    hops: int | None = None  # ホップ数 (戸籍統一文字情報 親字/正字)


@dataclass(frozen=True)
class MJRecord:
    """Everything the MJ table says about one MJ文字図形名."""

    mj: str
    ucs: str  # base character, 'U+8FBB'
    ivs: str  # 'U+E0101' or ''
    char: str  # base + selector when the MJ table gives an IVS: the identity to export
    base_char: str
    corresponding_ucs: str  # 対応するUCS ('U+8FB6' for 辶 MJ030302)
    implemented_char: str  # 実装したUCS: the plain code point IPAmj draws it at ('' if only by IVS)
    implemented_ucs: bool  # IPAmj draws this glyph at the plain code point
    readings: list[str]
    radicals: list[tuple[int, int]]  # (康煕部首 number, inner strokes)
    total_strokes: int | None
    koseki: str  # 戸籍統一文字番号
    juki: str  # 住基ネット統一文字コード, e.g. 'J+FA66'
    nyukan: str  # 入管正字コード
    touki: str  # 登記統一文字番号
    x0213: str  # JIS X 0213 面-区-点
    compat: str  # 対応する互換漢字
    fallbacks: list[Fallback] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    note: str = ""
    in_table: bool = True  # False for the hentaigana table (mjih)
    has_glyph: bool = True
    glyph_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MJRecord:
        data = dict(data)
        data["fallbacks"] = [Fallback(**f) for f in data.get("fallbacks", [])]
        data["radicals"] = [tuple(r) for r in data.get("radicals", [])]
        return cls(**data)


@dataclass(frozen=True)
class SetRecord:
    """One character of an added reference set (see :mod:`gaiji.reference.refsets`):
    identified as (``set_name``, ``id``), never by its code alone."""

    set_name: str
    id: str  # the set's own identifier
    char: str  # base + selector ('' when the list gives no code)
    ucs: str  # 'U+2A700' (may be a private-use code)
    ivs: str  # 'U+E0100' or ''
    private_use: bool  # the code is in a Private Use Area: meaningful only with the set's font
    readings: list[str]
    radical: int | None
    inner_strokes: int | None
    total_strokes: int | None
    related_mj: str
    related_ucs: str
    koseki: str
    juki: str
    note: str
    font: str  # file name of the font that draws it ('' without a glyph)
    font_name: str  # the font's family name, for the vendor
    glyph_name: str
    has_glyph: bool
    line: int  # row in the list file

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SetRecord:
        return cls(**data)
