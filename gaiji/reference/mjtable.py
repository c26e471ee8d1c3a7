"""Read the MJ文字情報一覧表 and its companions out of mojidata's ``moji.db``.

Produces one :class:`MJRecord` per MJ文字図形名: the 58,862 rows of table ``mji`` plus the
hentaigana of ``mjih`` (MJ090001…, drawn by IPAmj but listed in their own table).
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from pathlib import Path

from gaiji.codes import split_ivs, ucs
from gaiji.errors import SourceError
from gaiji.reference.records import Fallback, MJRecord

# The MJ縮退マップ tables in the order they are meant to be applied, most faithful first
# (JIS X 0213's own unification rules, then the Ministry of Justice notice, then the family
# register notices, then dictionaries and analogy). gaiji.export.fallback explains the order
# and breaks ties within a table; records list their fallbacks in this order.
FALLBACK_BASIS_ORDER = (
    "JIS包摂規準UCS統合規則",
    "法務省告示582号別表第四_一",
    "法務省告示582号別表第四_二",
    "戸籍統一文字情報_親字正字",
    "民一2842号通達別表_誤字俗字正字一覧表_俗字",
    "民一2842号通達別表_誤字俗字正字一覧表_無印",
    "民一2842号通達別表_誤字俗字正字一覧表_別字",
    "民二5202号通知別表_正字俗字等対照表",
    "辞書類等による関連字",
    "読み字形による類推",
)

_IDC = set(range(0x2FF0, 0x3000)) | {0x303E, 0x31EF}


def _ids_components(ids: str) -> list[str]:
    """Characters named in an IDS string (description characters and ``&…;`` refs dropped).

    >>> _ids_components('⿺辶十')
    ['辶', '十']
    """
    text = re.sub(r"&[^;]*;", "", ids)
    return [c for c in text if ord(c) not in _IDC and not c.isspace() and c != "?"]


def read_mj_table(moji_db: Path) -> list[MJRecord]:
    """All MJ records of *moji_db*, sorted by MJ文字図形名."""
    try:
        con = sqlite3.connect(f"file:{moji_db}?mode=ro", uri=True)
        con.execute("select count(*) from mji").fetchone()
    except sqlite3.Error as exc:
        raise SourceError(f"{moji_db} is not a readable mojidata database ({exc}); delete it and rebuild") from exc
    try:
        return _read(con)
    except sqlite3.Error as exc:
        raise SourceError(f"{moji_db}: unexpected schema ({exc}); is it mojidata 1.8.1?") from exc
    finally:
        con.close()


def _read(con: sqlite3.Connection) -> list[MJRecord]:
    readings: dict[str, list[str]] = defaultdict(list)
    for mj, reading in con.execute('select "MJ文字図形名", "読み" from mji_reading order by rowid'):
        readings[mj].append(reading)
    radicals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for mj, rad, inner in con.execute('select "MJ文字図形名", "部首", "内画数" from mji_rsindex order by rowid'):
        # a few rows give '-' for the inner strokes (the radical itself): count 0
        radicals[mj].append((int(rad), int(inner) if str(inner).lstrip("-").isdigit() else 0))
    fallbacks: dict[str, list[Fallback]] = defaultdict(list)
    for mj, fb_ucs, fb_x0213, basis, rank, hops in con.execute(
        'select "MJ文字図形名", "縮退UCS", "縮退X0213", "表", "順位", "ホップ数" from mjsm'
    ):
        fallbacks[mj].append(
            Fallback(char=fb_ucs, ucs=" ".join(ucs(c) for c in fb_ucs), x0213=fb_x0213 or "",
                     basis=basis, rank=rank, hops=hops)
        )
    order = {name: i for i, name in enumerate(FALLBACK_BASIS_ORDER)}
    for items in fallbacks.values():
        items.sort(key=lambda f: (order.get(f.basis, len(order)), f.rank or 0, f.hops or 0))
    ids: dict[str, list[str]] = defaultdict(list)
    for char, source, text in con.execute('select "UCS", "source", "IDS" from ids'):
        # prefer the Japanese (J) decomposition first
        (ids[char].insert(0, text) if "J" in source else ids[char].append(text))

    records: list[MJRecord] = []
    for row in con.execute(
        'select "MJ文字図形名", "対応するUCS", "実装したUCS", "実装したMoji_JohoコレクションIVS", '
        '"戸籍統一文字番号", "住基ネット統一文字コード", "入管正字コード", "登記統一文字番号", '
        '"X0213", "総画数", "対応する互換漢字", "備考" from mji order by "MJ文字図形名"'
    ):
        mj, corr, impl, ivs_seq, koseki, juki, nyukan, touki, x0213, strokes, compat, note = row
        # The identity to export: the Moji_Joho IVS when the MJ table gives one, else the
        # code point IPAmj implements (which may be a compatibility ideograph: kept as is).
        char = ivs_seq or impl or corr or ""
        base, selector = split_ivs(char) if char else ("", "")
        records.append(
            MJRecord(
                mj=mj,
                ucs=ucs(base) if base else "",
                ivs=ucs(selector) if selector else "",
                char=char,
                base_char=base,
                corresponding_ucs=ucs(corr) if corr else "",
                implemented_char=impl or "",
                implemented_ucs=bool(impl),
                readings=readings.get(mj, []),
                radicals=radicals.get(mj, []),
                total_strokes=strokes,
                koseki=koseki or "",
                juki=juki or "",
                nyukan=nyukan or "",
                touki=touki or "",
                x0213=x0213 or "",
                compat=compat or "",
                fallbacks=fallbacks.get(mj, []),
                ids=ids.get(base, []) if base else [],
                note=note or "",
                in_table=True,
            )
        )
    for mj, hchar, name, cp, jibo, koseki, note in con.execute(
        'select "MJ文字図形名", "文字", "CharacterName", "UCS符号位置", "字母", "戸籍統一文字番号", "備考" '
        'from mjih order by "MJ文字図形名"'
    ):
        records.append(
            MJRecord(
                mj=mj, ucs=cp or "", ivs="", char=hchar or "", base_char=hchar or "",
                corresponding_ucs=cp or "", implemented_char=hchar or "", implemented_ucs=bool(hchar), readings=[], radicals=[], total_strokes=None,
                koseki=koseki or "", juki="", nyukan="", touki="", x0213="", compat="",
                fallbacks=[], ids=[], note="; ".join(x for x in (name, f"字母 {jibo}" if jibo else "", note) if x),
                in_table=False,
            )
        )
    records.sort(key=lambda r: r.mj)
    return records


def radical_names(moji_db: Path) -> dict[str, int]:
    """Radical characters (康煕部首 and their CJK/variant forms, e.g. 辵 ⾡ 辶 ⻌) → number."""
    con = sqlite3.connect(f"file:{moji_db}?mode=ro", uri=True)
    try:
        names: dict[str, int] = {}
        for number, simplified, rchar, cjk in con.execute(
            'select "radical_number", "radical_simplified", "radical_character", "radical_CJKUI" from radicals'
        ):
            for c in (rchar, cjk):
                if c and (simplified == 0 or c not in names):
                    names.setdefault(c, int(number))
        for variant, cjk in con.execute('select "radical_character", "radical_CJKUI" from radeqv'):
            if cjk in names and variant:
                names.setdefault(variant, names[cjk])
            elif variant in names and cjk:
                names.setdefault(cjk, names[variant])
        for form, number in _radical_variants().items():
            names.setdefault(form, number)
        return names
    finally:
        con.close()


def _radical_variants() -> dict[str, int]:
    """The shipped table of radical forms (radical_variants.tsv)."""
    text = (Path(__file__).with_name("radical_variants.tsv")).read_text(encoding="utf-8")
    table: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        form, number = line.split("\t")[:2]
        table[form] = int(number)
    return table


def ids_components_of(record: MJRecord) -> set[str]:
    return {c for text in record.ids for c in _ids_components(text)}
