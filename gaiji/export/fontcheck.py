"""Does a target font draw a character — including its ideographic variation selector?

A plain code point is drawn when the font's best Unicode cmap maps it to a glyph other than
``.notdef``. A variation sequence (base + VS17…VS256) is drawn when cmap format 14 lists it,
either as a *default* UVS (the base glyph is the variant: the base must then be mapped too)
or as a *non-default* UVS (its own glyph). A font that maps only the base code point draws
some glyph for the sequence, but not necessarily the right one — so it does **not** count.
"""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from gaiji.codes import is_variation_selector
from gaiji.errors import InputError


class FontCoverage:
    """Which characters / variation sequences a font draws."""

    def __init__(self, path: str | Path, *, font_number: int = 0) -> None:
        self.path = Path(path)
        try:
            font = TTFont(str(self.path), lazy=True, fontNumber=font_number)
            cmap = font["cmap"]
        except (OSError, TTLibError, KeyError, AssertionError) as exc:
            raise InputError(
                f"cannot read target font {self.path}: {exc}; give a TrueType/OpenType font "
                "(.ttf/.otf/.ttc) of the system the data moves to"
            ) from exc
        best = cmap.getBestCmap() or {}
        self._glyph_of: dict[int, str] = {cp: g for cp, g in best.items() if g != ".notdef"}
        self._default_uvs: set[tuple[int, int]] = set()
        self._nondefault_uvs: set[tuple[int, int]] = set()
        for table in cmap.tables:
            if table.format != 14:
                continue
            for selector, entries in table.uvsDict.items():
                for base, glyph in entries:
                    if glyph is None:
                        self._default_uvs.add((base, selector))
                    elif glyph != ".notdef":
                        self._nondefault_uvs.add((base, selector))
        font.close()
        self.name = self.path.name

    def draws(self, text: str) -> bool:
        """True when every character (and every variation sequence) of *text* is drawn.

        An empty text is not drawn (there is nothing to show).
        """
        if not text:
            return False
        i = 0
        while i < len(text):
            cp = ord(text[i])
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt and is_variation_selector(nxt):
                sel = ord(nxt)
                if (cp, sel) in self._nondefault_uvs or (cp, sel) in self._default_uvs and cp in self._glyph_of:
                    pass
                else:
                    return False
                i += 2
                continue
            if cp not in self._glyph_of:
                return False
            i += 1
        return True
