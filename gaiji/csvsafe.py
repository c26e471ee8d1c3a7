"""Cells every CSV gaiji writes are made inert for spreadsheets and terminals.

* A cell a spreadsheet would run as a formula — starting with ``=`` ``+`` ``-`` ``@``, a tab or
  a carriage return (OWASP "CSV injection") — gets a leading apostrophe, as does a cell that
  already starts with one, so :func:`unneutralise` gives back the exact value.
* Control characters that could drive a terminal or hide text (ESC, BEL, the other C0 codes
  except tab / line feed / carriage return, DEL, and the C1 codes U+0080–U+009F such as CSI)
  become visible: C0 and DEL as their Control Pictures (ESC → ␛ U+241B), C1 as U+FFFD. That
  part is one-way: no identified character or reading contains them.

Used by the gaiji set (``glyphs.csv``), the candidates file, the mapping table and every report.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c < 0x20:
        return chr(0x2400 + c)
    if c == 0x7F:
        return "\u2421"
    return "\ufffd"


def neutralise(value: str) -> str:
    """A cell that is safe to open in a spreadsheet or print on a terminal.

    >>> neutralise('=HYPERLINK("x")'), neutralise('-1'), neutralise("'quoted"), neutralise('辻')
    ('\\'=HYPERLINK("x")', "'-1", "''quoted", '辻')
    >>> neutralise('a\\x1b[31mred'), neutralise('x\\x9by')
    ('a␛[31mred', 'x\\ufffdy')
    """
    if not value:
        return value
    if _CONTROLS.search(value):
        value = _CONTROLS.sub(_visible, value)
    if value[0] in FORMULA_START or value[0] == "'":
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Inverse of the formula part of :func:`neutralise`.

    >>> all(unneutralise(neutralise(v)) == v for v in ['=1', "'", "''", 'a', '', '@x', '\\tq'])
    True
    """
    if len(value) >= 2 and value[0] == "'" and (value[1] in FORMULA_START or value[1] == "'"):
        return value[1:]
    return value
