"""Character codes, kept explicit: ``U+XXXX``, IVS selectors, ``MJxxxxxx``, Shift_JIS
user-defined area ↔ PUA, JIS X 0213 面-区-点.

Characters are identity: nothing here normalises (no NFKC, which would fold compatibility
ideographs such as U+FA11 﨑 into U+5D0E 崎).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VS_RANGE = range(0xE0100, 0xE01F0)
"""Ideographic variation selectors VS17…VS256."""

SJIS_UDA_FIRST, SJIS_UDA_LAST = 0xF040, 0xF9FC
PUA_FIRST, PUA_LAST = 0xE000, 0xF8FF
UDA_PUA_LAST = 0xE757  # F9FC

_UCS_RE = re.compile(r"^(?:U\+|u\+|0x)?([0-9A-Fa-f]{4,6})$")
_MJ_RE = re.compile(r"^(?:MJ|mj)?(\d{6})$")


def ucs(text: str) -> str:
    """``'辻'`` → ``'U+8FBB'`` (one code point).

    >>> ucs('辻'), ucs('𠮷')
    ('U+8FBB', 'U+20BB7')
    """
    if len(text) != 1:
        raise ValueError(f"ucs() takes one code point, got {text!r}")
    return f"U+{ord(text):04X}"


def char(code: str) -> str:
    """``'U+8FBB'`` → ``'辻'``; also accepts ``8FBB`` and ``0x8FBB``.

    >>> char('U+8FBB'), char('20BB7')
    ('辻', '𠮷')
    """
    m = _UCS_RE.match(code.strip())
    if not m:
        raise ValueError(f"not a code point: {code!r} (expected U+XXXX)")
    return chr(int(m.group(1), 16))


def is_ucs_notation(text: str) -> bool:
    """Is *text* written as ``U+XXXX``?

    >>> is_ucs_notation('U+8FBB'), is_ucs_notation('辻')
    (True, False)
    """
    return bool(re.match(r"^[Uu]\+[0-9A-Fa-f]{4,6}$", text.strip()))


def is_variation_selector(c: str) -> bool:
    return len(c) == 1 and ord(c) in VS_RANGE


def split_ivs(text: str) -> tuple[str, str]:
    """Split a character with an optional ideographic variation selector.

    Returns ``(base, selector)`` with *selector* ``''`` when there is none.

    >>> split_ivs('辻\U000E0101')
    ('辻', '\U000e0101')
    >>> split_ivs('﨑')
    ('﨑', '')
    """
    if len(text) == 2 and is_variation_selector(text[1]):
        return text[0], text[1]
    if len(text) == 1:
        return text, ""
    raise ValueError(f"not one character with optional IVS selector: {text!r}")


def ivs_notation(text: str) -> str:
    """``'辻\\U000E0101'`` → ``'U+8FBB U+E0101'``.

    >>> ivs_notation('辻\U000E0101')
    'U+8FBB U+E0101'
    """
    return " ".join(ucs(c) for c in text)


def format_mj(number: int | str) -> str:
    """Canonical MJ name.

    >>> format_mj(30302), format_mj('mj030302'), format_mj('MJ030302')
    ('MJ030302', 'MJ030302', 'MJ030302')
    """
    if isinstance(number, int):
        return f"MJ{number:06d}"
    m = _MJ_RE.match(number.strip())
    if not m:
        raise ValueError(f"not an MJ文字図形名: {number!r} (expected MJ plus six digits)")
    return f"MJ{m.group(1)}"


def is_mj(text: str) -> bool:
    """Is *text* an MJ文字図形名?

    >>> is_mj('MJ030302'), is_mj('mj030302'), is_mj('030302'), is_mj('辻')
    (True, True, False, False)
    """
    return bool(re.match(r"^(?:MJ|mj)\d{6}$", text.strip()))


def sjis_to_pua(code: int) -> int:
    """Windows (CP932) rule: Shift_JIS user-defined area F040–F9FC → PUA U+E000–U+E757.

    188 code points per lead byte; trail bytes 40–7E and 80–FC.

    >>> hex(sjis_to_pua(0xF040)), hex(sjis_to_pua(0xF09F)), hex(sjis_to_pua(0xF9FC))
    ('0xe000', '0xe05e', '0xe757')
    """
    lead, trail = code >> 8, code & 0xFF
    if not (0xF0 <= lead <= 0xF9) or not (0x40 <= trail <= 0xFC) or trail == 0x7F:
        raise ValueError(f"0x{code:04X} is not in the Shift_JIS user-defined area F040–F9FC")
    offset = trail - 0x40 - (1 if trail > 0x7F else 0)
    return PUA_FIRST + (lead - 0xF0) * 188 + offset


def pua_to_sjis(cp: int) -> int:
    """Inverse of :func:`sjis_to_pua`.

    >>> hex(pua_to_sjis(0xE000)), hex(pua_to_sjis(0xE05E)), hex(pua_to_sjis(0xE757))
    ('0xf040', '0xf09f', '0xf9fc')
    >>> all(pua_to_sjis(sjis_to_pua(c)) == c for c in range(0xF040, 0xF9FD)
    ...     if 0x40 <= c & 0xFF <= 0xFC and c & 0xFF != 0x7F)
    True
    """
    if not (PUA_FIRST <= cp <= UDA_PUA_LAST):
        raise ValueError(f"U+{cp:04X} is outside U+E000–U+E757, the PUA range of Shift_JIS F040–F9FC")
    index = cp - PUA_FIRST
    lead, offset = divmod(index, 188)
    trail = 0x40 + offset + (1 if offset >= 0x3F else 0)
    return ((0xF0 + lead) << 8) | trail


def is_pua(cp: int) -> bool:
    return PUA_FIRST <= cp <= PUA_LAST or 0xF0000 <= cp <= 0x10FFFD


@dataclass(frozen=True)
class MenKuTen:
    """A JIS X 0213 position (面-区-点)."""

    men: int
    ku: int
    ten: int

    @classmethod
    def parse(cls, text: str) -> MenKuTen:
        """Parse ``'1-14-01'``.

        >>> MenKuTen.parse('1-14-01')
        MenKuTen(men=1, ku=14, ten=1)
        """
        m = re.match(r"^([12])-(\d{1,2})-(\d{1,2})$", text.strip())
        if not m:
            raise ValueError(f"not a JIS X 0213 面-区-点: {text!r} (expected e.g. 1-14-01)")
        men, ku, ten = (int(g) for g in m.groups())
        if not (1 <= ku <= 94 and 1 <= ten <= 94):
            raise ValueError(f"区 and 点 must be 1–94: {text!r}")
        return cls(men, ku, ten)

    def __str__(self) -> str:
        return f"{self.men}-{self.ku:02d}-{self.ten:02d}"

    def euc_bytes(self) -> bytes:
        """EUC-JIS-2004 bytes; plane 2 uses the SS3 (0x8F) prefix."""
        b = bytes([0xA0 + self.ku, 0xA0 + self.ten])
        return b if self.men == 1 else b"\x8f" + b

    def decode(self) -> str:
        """The character(s) at this position.

        >>> MenKuTen.parse('1-14-01').decode(), MenKuTen.parse('1-01-25').decode()
        ('俱', '々')
        """
        return self.euc_bytes().decode("euc_jis_2004")
