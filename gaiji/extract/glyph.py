"""What every source reader produces: one :class:`Glyph` per gaiji, or a :class:`Problem`
naming the file (and code) that could not be read.

Readers are generators, so a 10,000-glyph font never sits in memory as 10,000 images: the
writer stores each bitmap as it arrives and keeps only the metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PIL import Image

_ID_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f]')


@dataclass
class Glyph:
    """One extracted gaiji: its bitmap (ink black on white) and where it came from."""

    gaiji_id: str
    source: str
    """File name of the source (no folders, so the set is the same wherever it was run)."""
    code: str
    """The code as the source has it: ``U+E000`` for fonts with a Unicode cmap, ``0x3021`` for
    bitmap fonts in another charset, the file stem for images (until a ledger gives a code)."""
    image: Image.Image
    sjis_code: str = ""
    """Shift_JIS user-defined code (``F040``) when *code* is in PUA U+E000–U+E757."""
    charset: str = ""
    """Bitmap fonts: CHARSET_REGISTRY-CHARSET_ENCODING (e.g. ``JISX0208.1983-0``)."""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """Something in a source that could not be read. It never stops the other glyphs."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def safe_id(text: str) -> str:
    """A gaiji id that is also a safe file name (path separators and control characters
    become ``_``; Japanese text is kept) and an inert spreadsheet cell: an id never starts
    with ``=`` ``+`` ``-`` ``@`` (a spreadsheet would run it as a formula) — such a name gets a
    leading ``_``, so the id is the same in glyphs.csv, candidates and the mapping table.

    >>> safe_id('EUDC-E000'), safe_id('a/b:c'), safe_id('辻'), safe_id('=cmd|x'), safe_id('-1')
    ('EUDC-E000', 'a_b_c', '辻', '_=cmd_x', '_-1')
    """
    cleaned = _ID_UNSAFE.sub("_", text).strip()
    if cleaned[:1] in ("=", "+", "-", "@"):
        cleaned = "_" + cleaned
    return cleaned if cleaned not in ("", ".", "..") else "_"
