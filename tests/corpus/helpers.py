"""Small gaiji sets for the corpus tests, drawn from Hanazono Mincho (never IPAmj).

Each glyph is FreeType's 1-bit rendering at a bitmap size; the same bitmap can be placed
elsewhere in its cell (shifted) or scaled to another cell size by nearest neighbour
(rescaled), as vendors' libraries do when one glyph travels between systems.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from gaiji.extract.gaijiset import rows_to_csv
from gaiji.match.synth import FontRenderer, FontSpec

HANAZONO = FontSpec("HanaMinA", Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"), "mincho")
_RENDERER = FontRenderer(HANAZONO)


def bitmap(char: str, px: int) -> np.ndarray:
    """Cropped 1-bit ink (255 = ink) of *char* at *px*."""
    img = _RENDERER.render(char, px, antialias=False)
    assert img is not None, f"Hanazono lacks {char!r}"
    ys, xs = np.nonzero(img)
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def in_cell(ink: np.ndarray, cell: int, dy: int = -1, dx: int = -1) -> np.ndarray:
    """*ink* in a cell×cell square: centred, or at offset (dy, dx)."""
    h, w = ink.shape
    out = np.zeros((max(cell, h + max(dy, 0)), max(cell, w + max(dx, 0))), np.uint8)
    y = (out.shape[0] - h) // 2 if dy < 0 else dy
    x = (out.shape[1] - w) // 2 if dx < 0 else dx
    out[y : y + h, x : x + w] = ink
    return out


def rescaled(ink: np.ndarray, factor: float) -> np.ndarray:
    h, w = ink.shape
    return np.asarray(Image.fromarray(ink).resize((round(w * factor), round(h * factor)), Image.NEAREST))


def write_set(folder: Path, glyphs: dict[str, np.ndarray], readings: dict[str, str] | None = None,
              blank: tuple[str, ...] = ()) -> Path:
    """A gaiji set (contract: glyphs.csv + glyphs/<id>.png, black ink on white)."""
    (folder / "glyphs").mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (gid, ink) in enumerate(glyphs.items()):
        Image.fromarray(255 - ink).save(folder / "glyphs" / f"{gid}.png")
        rows.append({"gaiji_id": gid, "source": "EUDC.TTE", "code": f"U+{0xE000 + i:04X}", "width": str(ink.shape[1]),
                     "height": str(ink.shape[0]), "reading": (readings or {}).get(gid, ""), "usage_count": "",
                     "note": "", "image": f"glyphs/{gid}.png", "blank": "1" if gid in blank else ""})
    (folder / "glyphs.csv").write_text(rows_to_csv(rows), encoding="utf-8")
    return folder
