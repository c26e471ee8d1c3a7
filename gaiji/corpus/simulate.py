"""A national-scale simulated corpus: many municipalities' gaiji sets with a separate truth.

What it imitates (the seed's のべ200万 gaiji collapsing to tens of thousands of characters):

* **characters** drawn from a long-tailed (Zipf) distribution over MJ characters: the MJ
  glyphs whose character is unambiguous — a character with exactly one MJ glyph, or an
  IVS variant (base + selector) that the design font itself draws;
* **vendor glyph libraries** shared by many municipalities: each vendor draws a character
  once (one font, one pixel size) and every municipality it serves gets that bitmap on its
  own private code — identical, placed elsewhere in the cell (shifted), or the same design
  re-rasterised at another size (near-identical);
* **locally drawn variants**: a municipality's own drawing (hand-drawn on a coarse editor
  grid, or another font's bitmap wobbled), unique to it;
* sizes 16–32 px, designs only from fonts that are **not IPAmj** (Hanazono, Noto CJK, BIZ UD,
  Klee; see :data:`VENDORS`).

Truth (the MJ number, the character, how each glyph was made) goes to ``truth.parquet``
beside the corpus, never inside ``tables/``; no corpus stage reads it — only the benchmark.
Every random choice comes from one seed, so the same options give the same corpus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from gaiji.corpus.registry import SetEntry, check_digit_code, write_registry
from gaiji.errors import InputError
from gaiji.progress import Progress, no_progress

_FONTS = Path("/usr/share/fonts")
TRUTH = "truth.parquet"
SETS = "sets"


@dataclass(frozen=True)
class Design:
    """One way of drawing characters: a non-IPAmj font face at a bitmap size."""

    name: str
    font: str  # path under /usr/share/fonts
    px: int
    mono: bool = True
    index: int = 0


#: the vendors' glyph libraries (font, size); ``alt_px`` is the same design re-rasterised
VENDORS: tuple[tuple[Design, int], ...] = (
    (Design("hanazono24", "truetype/hanazono/HanaMinA.ttf", 24), 32),
    (Design("notoserif16", "opentype/noto/NotoSerifCJK-Regular.ttc", 16), 24),
    (Design("bizudmincho32", "truetype/bizud-mincho/BIZUDMincho-Regular.ttf", 32, mono=False), 24),
    (Design("notosans20", "opentype/noto/NotoSansCJK-Regular.ttc", 20), 28),
    (Design("bizudgothic24", "truetype/bizud-gothic/BIZUDGothic-Regular.ttf", 24), 32),
    (Design("klee28", "truetype/klee/KleeOne-Regular.ttf", 28), 20),
)
#: fonts a municipality's own staff start from when they draw a gaiji themselves
LOCAL_FONTS: tuple[str, ...] = (
    "truetype/hanazono/HanaMinA.ttf",
    "truetype/hanazono/HanaMinB.ttf",
    "opentype/noto/NotoSerifCJK-Regular.ttc",
    "truetype/bizud-mincho/BIZUDMincho-Regular.ttf",
)
#: where a vendor takes the glyphs its own font lacks (so two vendors may share a bitmap)
SHARED_LIBRARY: tuple[str, ...] = ("truetype/hanazono/HanaMinA.ttf", "truetype/hanazono/HanaMinB.ttf")
IPAMJ_MARK = "ipamj"


@dataclass(frozen=True)
class SimulationOptions:
    municipalities: int = 80
    gaiji_per: int = 1250
    seed: int = 20261130
    zipf: float = 1.0  # exponent of the character distribution
    pool: int = 4000  # MJ characters the towns' gaiji are drawn from (the long tail)
    duplicates: float = 0.01  # characters a town registered twice, on two codes
    shifted: float = 0.30  # of vendor glyphs: placed elsewhere in the cell
    resized: float = 0.10  # of vendor glyphs: at another size (half bitmap-scaled, half re-rasterised)
    local: float = 0.03  # of all gaiji: drawn locally (unique)
    blank: float = 0.0005  # registered codes with no ink (they exist in real EUDC files)


@dataclass(frozen=True)
class PoolEntry:
    mj: str
    char: str  # base + selector when a variant
    reading: str


def character_pool(reference: Any, fonts: list[Any], limit: int) -> list[PoolEntry]:
    """MJ glyphs whose character is unambiguous and that every one of *fonts* draws… or at
    least the first (Hanazono, the broadest): unique base characters, then IVS variants."""
    from collections import Counter

    records = [reference.record(i) for i in range(len(reference)) if reference.has_glyph[i]]
    per_base = Counter(r.base_char for r in records if r.base_char)
    broad = fonts[0]
    out: list[PoolEntry] = []
    for r in records:
        if not r.base_char or len(r.base_char) != 1:
            continue
        cp = ord(r.base_char)
        if not (0x3400 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x3FFFF):
            continue
        if r.ivs:
            char = r.base_char + chr(int(r.ivs.removeprefix("U+"), 16))
            if per_base[r.base_char] < 2 or not broad.has(char):
                continue
        else:
            char = r.base_char
            if per_base[r.base_char] != 1 or not broad.has(char):
                continue
        reading = r.readings[0] if r.readings else ""
        out.append(PoolEntry(r.mj, char, reading))
    return out[: limit * 4]


def _renderer(font: str, index: int = 0) -> Any:
    from gaiji.match.synth import FontRenderer, FontSpec

    path = _FONTS / font
    if IPAMJ_MARK in str(path).lower():
        raise InputError(f"{path}: the simulation never draws designs from IPAmj (the reference)")
    if not path.is_file():
        raise InputError(f"{path}: font not installed; run scripts/setup.sh (Debian fonts-* packages)")
    return FontRenderer(FontSpec(Path(path).stem, path, "mincho", index))


def _crop(img: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(img > 40)
    if len(ys) == 0:
        return None
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _in_cell(ink: np.ndarray, px: int, rng: np.random.Generator | None) -> np.ndarray:
    """Place cropped ink in a px×px cell: centred, or at a random offset (shifted)."""
    h, w = ink.shape
    side = max(px, h, w)
    cell = np.zeros((side, side), np.uint8)
    if rng is None:
        y, x = (side - h) // 2, (side - w) // 2
    else:
        y, x = int(rng.integers(0, side - h + 1)), int(rng.integers(0, side - w + 1))
    cell[y : y + h, x : x + w] = ink
    return cell


def _rescaled(ink: np.ndarray, alt_px: int, px: int, mono: bool) -> np.ndarray:
    """A bitmap scaled by alt_px/px (nearest neighbour for 1-bit, bilinear for grey)."""
    h, w = ink.shape
    size = (max(1, round(w * alt_px / px)), max(1, round(h * alt_px / px)))
    img = Image.fromarray(ink).resize(size, Image.Resampling.NEAREST if mono else Image.Resampling.BILINEAR)
    return np.asarray(img, np.uint8)


def _png(path: Path, ink: np.ndarray) -> None:
    Image.fromarray(255 - ink).save(path, optimize=False)


class _Drawer:
    def __init__(self) -> None:
        self._fonts: dict[tuple[str, int], Any] = {}
        self._cache: dict[tuple[str, str, int, bool], np.ndarray | None] = {}

    def renderer(self, font: str, index: int = 0) -> Any:
        key = (font, index)
        if key not in self._fonts:
            self._fonts[key] = _renderer(font, index)
        return self._fonts[key]

    def ink(self, font: str, char: str, px: int, mono: bool, index: int = 0) -> np.ndarray | None:
        key = (font, char, px, mono)
        if key not in self._cache:
            r = self.renderer(font, index)
            img = r.render(char, px, antialias=not mono) if r.has(char) else None
            self._cache[key] = None if img is None else _crop(img)
        return self._cache[key]


def _zipf_weights(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def simulate_corpus(
    out: str | Path,
    options: SimulationOptions = SimulationOptions(),
    *,
    reference: Any = None,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Write a simulated corpus to *out*: ``sets/<name>/`` (gaiji sets following the
    contract), ``corpus.json`` and ``truth.parquet``. Returns a summary."""
    import pyarrow as pa

    from gaiji.corpus.tables import write_parquet
    from gaiji.extract.gaijiset import rows_to_csv
    from gaiji.fsutil import atomic_write
    from gaiji.match.synth import elastic, hand_drawn

    if options.municipalities < 1 or options.gaiji_per < 1:
        raise InputError("--municipalities and --gaiji-per must be at least 1")
    if options.gaiji_per * 1.3 > min(options.pool, 4900):
        raise InputError(
            f"--gaiji-per {options.gaiji_per}: a town draws distinct characters from a pool of "
            f"{options.pool} on at most 6,400 private codes; use at most {int(min(options.pool, 4900) / 1.3)}"
        )
    root = Path(out)
    if (root / "corpus.json").exists():
        raise InputError(f"{root} already holds a corpus; choose a new folder for the simulation")
    if reference is None:
        from gaiji.reference import load_reference

        reference = load_reference()
    rng = np.random.default_rng(options.seed)
    drawer = _Drawer()
    vendor_fonts = [drawer.renderer(d.font, d.index) for d, _ in VENDORS]
    pool = character_pool(reference, vendor_fonts, options.pool)
    order = rng.permutation(len(pool))[: options.pool]
    pool = [pool[i] for i in order]
    weights = _zipf_weights(len(pool), options.zipf)
    vendor_weights = _zipf_weights(len(VENDORS), 0.8)
    entries: list[SetEntry] = []
    truth: dict[str, list[Any]] = {k: [] for k in ("set", "gaiji_id", "mj", "char", "origin", "design")}
    total = 0
    target = options.municipalities * options.gaiji_per
    for m in range(options.municipalities):
        vendor_no = int(rng.choice(len(VENDORS), p=vendor_weights))
        vendor, alt_px = VENDORS[vendor_no]
        code = check_digit_code(f"{1 + m % 47:02d}{100 + m // 47 * 3 + m % 3:03d}")
        name = f"m{m + 1:04d}-{code}"
        set_dir = root / SETS / name
        (set_dir / "glyphs").mkdir(parents=True, exist_ok=True)
        n = max(1, round(options.gaiji_per * rng.uniform(0.7, 1.3)))
        with_ledger = rng.random() < 0.6
        codes = rng.permutation(0x1900)[: n + n // 10] + 0xE000  # each town its own private codes
        rows: list[dict[str, str]] = []
        # a town registers a character once (a few twice, on two codes): draw without replacement
        picks = rng.choice(len(pool), size=min(n, len(pool)), replace=False, p=weights)
        dup = rng.random(len(picks)) < options.duplicates
        picks = np.concatenate([picks, picks[dup]])[:n]
        n = len(picks)
        for i in range(n):
            entry = pool[int(picks[i])]
            gid = f"{name}-{codes[i]:04X}"
            kind = "vendor"
            ink: np.ndarray | None
            u = rng.random()
            if u < options.blank:
                ink, kind, design = np.zeros((vendor.px, vendor.px), np.uint8), "blank", vendor.name
            else:
                font: str | None = vendor.font
                design = vendor.name
                ink = drawer.ink(vendor.font, entry.char, vendor.px, vendor.mono, vendor.index)
                if ink is None:  # the vendor took the glyph from a shared library (Hanazono)
                    font, design = _fallback_font(drawer, entry.char), f"{vendor.name}/hanazono"
                    ink = None if font is None else drawer.ink(font, entry.char, vendor.px, vendor.mono)
                if ink is None or u < options.blank + options.local:
                    ink, design = _local_drawing(drawer, entry.char, rng, hand_drawn, elastic)
                    kind = "local"
                    if ink is None:
                        continue
                elif rng.random() < options.resized:
                    if rng.random() < 0.5:  # the vendor's bitmap scaled to another cell size
                        ink = _rescaled(ink, alt_px, vendor.px, vendor.mono)
                        kind, design = "vendor_rescaled", f"{design}~{alt_px}"
                    else:  # the vendor's design rasterised again at another size
                        again = drawer.ink(str(font), entry.char, alt_px, vendor.mono, vendor.index)
                        ink = again if again is not None else _rescaled(ink, alt_px, vendor.px, vendor.mono)
                        kind, design = "vendor_resized", f"{design}@{alt_px}"
                    ink = _in_cell(ink, alt_px, None)
                elif rng.random() < options.shifted:
                    kind = "vendor_shifted"
                    ink = _in_cell(ink, vendor.px, rng)
                else:
                    ink = _in_cell(ink, vendor.px, None)
            _png(set_dir / "glyphs" / f"{gid}.png", ink)
            reading = entry.reading if with_ledger and kind != "blank" else ""
            rows.append({
                "gaiji_id": gid, "source": f"{vendor.name}.tte", "code": f"U+{codes[i]:04X}",
                "width": str(ink.shape[1]), "height": str(ink.shape[0]), "reading": reading,
                "usage_count": "", "note": "", "image": f"glyphs/{gid}.png",
                "blank": "1" if kind == "blank" else "",
            })
            truth["set"].append(name)
            truth["gaiji_id"].append(gid)
            truth["mj"].append("" if kind == "blank" else entry.mj)
            truth["char"].append("" if kind == "blank" else entry.char)
            truth["origin"].append(kind)
            truth["design"].append(design)
        with atomic_write(set_dir / "glyphs.csv") as fh:
            fh.write(rows_to_csv(rows))
        with atomic_write(set_dir / "provenance.json") as fh:
            json.dump({"simulated": True, "seed": options.seed, "municipality": m + 1,
                       "vendor": vendor.name}, fh)
        entries.append(SetEntry(name=name, path=f"{SETS}/{name}", municipality=f"模擬市{m + 1:04d}",
                                code=code, vendor=vendor.name))
        total += len(rows)
        progress(total, target, "simulating")
    write_registry(root, entries)
    write_parquet(pa.table(truth), root / TRUTH)
    origins = {k: truth["origin"].count(k) for k in sorted(set(truth["origin"]))}
    return {
        "corpus": str(root), "municipalities": len(entries), "gaiji": total,
        "distinct_mj": len(set(truth["mj"]) - {""}), "origins": origins, "truth": str(root / TRUTH),
        "options": options.__dict__,
    }


def _fallback_font(drawer: _Drawer, char: str) -> str | None:
    for font in SHARED_LIBRARY:
        if drawer.renderer(font).has(char):
            return font
    return None


def _local_drawing(drawer: _Drawer, char: str, rng: np.random.Generator, hand_drawn: Any, elastic: Any
                   ) -> tuple[np.ndarray | None, str]:
    """A municipality's own drawing: hand-drawn on a 16–32 grid, or a wobbled bitmap."""
    fonts = [f for f in LOCAL_FONTS if drawer.renderer(f).has(char)]
    if not fonts:
        return None, ""
    font = fonts[int(rng.integers(len(fonts)))]
    big = drawer.ink(font, char, 96, False)
    if big is None:
        return None, ""
    big = _in_cell(big, 104, None)
    if rng.random() < 0.5:
        for _ in range(5):
            drawn = hand_drawn(big, rng)
            if 16 <= max(drawn.shape) <= 32 and drawn.any():
                return _crop(drawn) if _crop(drawn) is not None else drawn, f"hand:{Path(font).stem}"
        return None, ""
    px = int(rng.integers(16, 33))
    img = Image.fromarray(elastic(big, rng)).resize((px, px), Image.Resampling.BILINEAR)
    arr = ((np.asarray(img) > 110) * 255).astype(np.uint8)
    return (arr if arr.any() else None), f"elastic:{Path(font).stem}@{px}"
