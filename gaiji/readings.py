"""Readings (よみ), normalised for comparison. Only readings are normalised — never
characters.

Ledger readings come in hiragana, katakana or half-width kana, often several in one cell
separated by ``・``, ``,``, ``、``, ``/`` or spaces.
"""

from __future__ import annotations

import re
import unicodedata

_SPLIT_RE = re.compile(r"[・･,，、/／;；\s\u3000]+")
_KATA_START, _KATA_END = 0x30A1, 0x30F6  # ァ … ヶ
_NOISE_RE = re.compile(r"[\-‐－ー゛゜()（）.．。「」]")


def normalize_reading(text: str) -> str:
    """One reading → comparable hiragana.

    Half-width kana are widened (NFKC, applied to the *reading* only), katakana become
    hiragana, okurigana dots and hyphens (``つじ-ぎり``, ``た.かい``) and spaces are dropped.

    >>> normalize_reading('ﾂｼﾞ'), normalize_reading('ツジ'), normalize_reading('つじ')
    ('つじ', 'つじ', 'つじ')
    >>> normalize_reading('たか.い')
    'たかい'
    """
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        cp = ord(ch)
        if _KATA_START <= cp <= _KATA_END:
            out.append(chr(cp - 0x60))
        else:
            out.append(ch)
    text = "".join(out)
    # keep the long-vowel mark out; it is spelled differently across ledgers
    text = _NOISE_RE.sub("", text)
    return text.strip().lower()


def split_readings(cell: str | None) -> list[str]:
    """A ledger cell → list of normalised readings, order kept, duplicates removed.

    What is not kana is a note, not part of a reading: a bracketed remark is a reading of its
    own when it is kana (``高（たか）``, ``たか（こう）``) and dropped when it is not (``たか(名)``);
    a question mark, a character written beside its reading, romaji are left out (MJ's readings
    are kana only, so they could never agree).

    >>> split_readings('つじ・ツジ／ﾂｼﾞ, しん')
    ['つじ', 'しん']
    >>> split_readings('たか(名)・高（たか）、こう（コウ）？')
    ['たか', 'こう']
    >>> split_readings(''), split_readings('不明'), split_readings('Taka')
    ([], [], [])
    """
    if not cell:
        return []
    seen: dict[str, None] = {}
    for part in _SPLIT_RE.split(unicodedata.normalize("NFKC", cell)):
        for piece in _pieces(part):
            norm = _KANA_ONLY_RE.sub("", normalize_reading(piece))
            if norm:
                seen.setdefault(norm, None)
    return list(seen)


_BRACKETED_RE = re.compile(r"[(（\[［【〔「『]([^)）\]］】〕」』]*)[)）\]］】〕」』]?")
_KANA_ONLY_RE = re.compile(r"[^\u3041-\u3096]")  # after normalize_reading: hiragana or nothing


def _pieces(part: str) -> list[str]:
    """A ledger token → the text outside its brackets, then each bracketed remark."""
    inside = _BRACKETED_RE.findall(part)
    return [_BRACKETED_RE.sub(" ", part), *inside] if inside else [part]


def is_kana_query(text: str) -> bool:
    """Does *text* look like a reading (kana only) rather than a character or code?

    >>> is_kana_query('つじ'), is_kana_query('ﾂｼﾞ'), is_kana_query('辻'), is_kana_query('U+8FBB')
    (True, True, False, False)
    """
    norm = normalize_reading(text)
    return bool(norm) and all(0x3041 <= ord(c) <= 0x3096 for c in norm)
