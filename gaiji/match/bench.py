"""The labelled match benchmark (`gaiji bench match`).

Queries are made from fonts that neither the projection nor the calibration learned from
(Hanazono Mincho, Noto Serif/Sans CJK JP, BIZ UD Mincho/Gothic, Klee One), written to disk as
a real gaiji set (``glyphs.csv`` + PNGs) with an ``answers.csv`` beside it, and matched
through :func:`gaiji.match.match_gaiji_set` — the library path `gaiji match` runs.

Subsets (MJ answers are unambiguous by construction):

* ``outline_mincho`` / ``outline_gothic`` — antialiased outlines at 48–128 px of characters
  that have exactly one MJ glyph;
* ``ivs`` — Hanazono glyphs reached by a Moji_Joho IVS (base + selector), answer: the MJ glyph
  with that IVS, so the right *variant* must win;
* ``bitmap_16_32`` — 1-bit (¾) or greyscale (¼) renderings at 16–32 px;
* ``bitmap_12`` — 1-bit at 12 px;
* ``scan`` — skew/shift, weight change, blur, paper noise and specks;
* ``hand`` — redrawn by hand (skeleton + pen + elastic wobble on a 16–40 px grid) and the
  handwriting-style font Klee One.

Characters the projection or the calibration learned from are left out.
Reported per subset and overall: MJ top-1/5/10, UCS top-1, MRR, auto-accept share and the
precision among auto-accepted; and speed beside a naive baseline measured in the same run.
"""

from __future__ import annotations

import csv
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from gaiji.blas_threads import blas_summary, cpu_summary
from gaiji.match.synth import FontRenderer, FontSpec, canonical_uint8, elastic, hand_drawn, scan
from gaiji.match.trust import NO_MATCH_SUGGEST
from gaiji.progress import Progress, no_progress

_FONTS = Path("/usr/share/fonts")
HANAZONO_A = FontSpec("HanaMinA", _FONTS / "truetype/hanazono/HanaMinA.ttf", "mincho")
HANAZONO_B = FontSpec("HanaMinB", _FONTS / "truetype/hanazono/HanaMinB.ttf", "mincho")
# BIZ UD Mincho / Gothic were benchmark fonts until match v2 calibrated its confidence on them
# (gaiji.match.projection.TRUST_FONTS); a font is in one part of the split only
MINCHO_FONTS = (
    HANAZONO_A,
    FontSpec("NotoSerifCJKjp", _FONTS / "opentype/noto/NotoSerifCJK-Regular.ttc", "mincho", 0),
)
GOTHIC_FONTS = (
    FontSpec("NotoSansCJKjp", _FONTS / "opentype/noto/NotoSansCJK-Regular.ttc", "gothic", 0),
)
HAND_FONTS = (FontSpec("KleeOne", _FONTS / "truetype/klee/KleeOne-Regular.ttf", "hand"),)
#: designs unlike every training and calibration font: a Meiji-period Mincho and a BeOS-era Gothic
OTHER_DESIGN_FONTS = (
    FontSpec("OradanoMincho", _FONTS / "truetype/oradano-mincho/OradanoGSRR.ttf", "mincho"),
    FontSpec("Konatu", _FONTS / "truetype/konatu/Konatu.ttf", "gothic"),
)
BENCH_FONTS = MINCHO_FONTS + (HANAZONO_B,) + GOTHIC_FONTS + HAND_FONTS + OTHER_DESIGN_FONTS
#: Debian packages that hold the benchmark fonts
BENCH_PACKAGES = ("fonts-hanazono", "fonts-noto-cjk", "fonts-klee", "xfonts-shinonome", "xfonts-intl-japanese",
                  "xfonts-intl-japanese-big", "fonts-oradano-mincho-gsrr", "fonts-konatu")

_X11 = Path("/usr/share/fonts/X11/misc")
#: real bitmap fonts (Debian xfonts-shinonome: JIS X 0208 at 12–16 px; xfonts-intl-japanese /
#: -big: JIS X 0212 補助漢字 at 16 and 24 px): px → files
REAL_BITMAP_FONTS: dict[int, tuple[Path, ...]] = {
    12: (_X11 / "shnmk12.pcf.gz", _X11 / "shnmk12min.pcf.gz"),
    14: (_X11 / "shnmk14.pcf.gz", _X11 / "shnmk14min.pcf.gz"),
    16: (_X11 / "shnmk16.pcf.gz", _X11 / "jksp16.pcf.gz"),
    24: (_X11 / "jksp24.pcf.gz",),
}
SUBSETS = ("outline_mincho", "outline_gothic", "ivs", "bitmap_16_32", "bitmap_12", "font_12px", "font_14px",
           "font_16px", "font_24px", "scan", "hand", "other_designs", "no_equivalent")
TOP_K = 10


# --- metrics (pure functions; tested on hand-made cases) ------------------------------------


def answer_ranks(candidates: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """1-based rank of each answer in its candidate row (0 when absent).

    >>> answer_ranks(np.array([[5, 7, 9], [1, 2, 3]]), np.array([7, 4]))
    array([2, 0])
    """
    hits = np.asarray(candidates) == np.asarray(answers)[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0)


def top_k_accuracy(ranks: np.ndarray, k: int) -> float:
    """Share of queries whose answer is within the first ``k`` candidates.

    >>> top_k_accuracy(np.array([1, 2, 0, 6]), 5)
    0.5
    """
    ranks = np.asarray(ranks)
    return float(np.mean((ranks >= 1) & (ranks <= k))) if ranks.size else float("nan")


def mean_reciprocal_rank(ranks: np.ndarray) -> float:
    """Mean of 1/rank (0 for a miss).

    >>> mean_reciprocal_rank(np.array([1, 2, 0, 4]))
    0.4375
    """
    ranks = np.asarray(ranks, np.float64)
    if ranks.size == 0:
        return float("nan")
    return float(np.mean(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0)))


def accept_stats(accepted: np.ndarray, correct: np.ndarray) -> tuple[float, float, int]:
    """``(share accepted, precision among accepted, number accepted)``; precision is NaN when
    nothing was accepted.

    >>> accept_stats(np.array([1, 1, 0, 1], bool), np.array([1, 0, 1, 1], bool))
    (0.75, 0.6666666666666666, 3)
    """
    accepted = np.asarray(accepted, bool)
    correct = np.asarray(correct, bool)
    n = int(accepted.sum())
    share = float(accepted.mean()) if accepted.size else float("nan")
    precision = float(correct[accepted].mean()) if n else float("nan")
    return share, precision, n


@dataclass
class SubsetScores:
    name: str
    n: int
    top1: float
    top5: float
    top10: float
    ucs_top1: float
    mrr: float
    accept_share: float
    accept_precision: float
    accepted: int
    baseline_top1: float = float("nan")
    baseline_top10: float = float("nan")
    precision_lower95: float = float("nan")  # Clopper–Pearson 95 % lower bound
    no_match_suggested: float = float("nan")  # share with no_match ≥ NO_MATCH_SUGGEST (該当なし suggested)
    top1_without_readings: float = float("nan")


def score_subset(
    name: str,
    ranks: np.ndarray,
    ucs_right: np.ndarray,
    accepted: np.ndarray,
    baseline_ranks: np.ndarray | None = None,
) -> SubsetScores:
    from gaiji.match.trust import clopper_pearson_lower

    share, precision, n_acc = accept_stats(accepted, ranks == 1)
    out = SubsetScores(
        name=name, n=len(ranks), top1=top_k_accuracy(ranks, 1), top5=top_k_accuracy(ranks, 5),
        top10=top_k_accuracy(ranks, 10), ucs_top1=float(np.mean(ucs_right)) if len(ranks) else float("nan"),
        mrr=mean_reciprocal_rank(ranks), accept_share=share, accept_precision=precision, accepted=n_acc,
    )
    out.precision_lower95 = clopper_pearson_lower(int((np.asarray(accepted, bool) & (ranks == 1)).sum()), n_acc)
    if baseline_ranks is not None:
        out.baseline_top1 = top_k_accuracy(baseline_ranks, 1)
        out.baseline_top10 = top_k_accuracy(baseline_ranks, 10)
    return out


# --- the query set ----------------------------------------------------------------------------


FLIPPED_FONT = "HanaMinA mirrored"  # the no-equivalent glyphs that are MJ characters flipped
NO_EQUIVALENT_LACKS = " ↳ MJ lacks"
NO_EQUIVALENT_FLIPPED = " ↳ flipped"


@dataclass(frozen=True)
class Query:
    gaiji_id: str
    subset: str
    font: str
    char: str
    row: int  # answer row in the reference; -1: no MJ glyph is this character
    reading: str = ""  # the ledger reading written to glyphs.csv ('' for none)


def _unique_pool(rows: list[Any], exclude: set[str]) -> dict[str, int]:
    """char → row for ideographs drawn by exactly one MJ glyph, minus learned characters."""
    from gaiji.match.index import _is_ideograph

    count: dict[str, int] = {}
    where: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r.base_char:
            count[r.base_char] = count.get(r.base_char, 0) + 1
            where[r.base_char] = i
    return {
        c: where[c] for c, n in count.items()
        if n == 1 and len(c) == 1 and _is_ideograph(c) and c not in exclude
    }


def _render_subset(
    subset: str, renderer: FontRenderer, char: str, rng: np.random.Generator
) -> np.ndarray | None:
    if subset in ("outline_mincho", "outline_gothic", "ivs"):
        return renderer.render(char, int(rng.integers(48, 129)))
    if subset == "other_designs":  # outlines or 17–48 px bitmaps, as an old system's font is exported
        if rng.random() < 0.5:
            return renderer.render(char, int(rng.integers(48, 129)))
        return renderer.render(char, int(rng.integers(17, 49)), antialias=bool(rng.random() < 0.5))
    if subset == "bitmap_16_32":
        return renderer.render(char, int(rng.integers(16, 33)), antialias=bool(rng.random() < 0.25))
    if subset == "bitmap_12":
        return renderer.render(char, 12, antialias=False)
    if subset == "scan":
        img = renderer.render(char, int(rng.integers(64, 129)))
        return None if img is None else scan(img, rng)
    if subset == "hand":
        if renderer.spec.style == "hand":  # a handwriting font, lightly wobbled, as a bitmap
            img = renderer.render(char, 96)
            if img is None:
                return None
            return render_query_bitmap(elastic(img, rng, alpha=0.02), rng)
        img = renderer.render(char, 96)
        return None if img is None else hand_drawn(img, rng)
    raise ValueError(f"unknown subset {subset!r}")


def render_query_bitmap(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Downsample an ink image to a 24–48 px 1-bit editor bitmap."""
    import cv2

    grid = int(rng.choice([24, 32, 40, 48]))
    small = cv2.resize(img, (grid, grid), interpolation=cv2.INTER_AREA)
    return ((small > 100) * 255).astype(np.uint8)


def real_bitmap_glyphs(px: int) -> list[tuple[str, dict[str, np.ndarray]]]:
    """``[(font name, {character: uint8 ink image})]`` of the installed real bitmap fonts of
    ``px`` pixels."""
    return [(path.name.split(".")[0], pcf_glyphs(path)) for path in REAL_BITMAP_FONTS.get(px, ()) if path.is_file()]


def pcf_glyphs(path: Path) -> dict[str, np.ndarray]:
    """``{character: uint8 ink image}`` of a JIS X 0208 / 0212 PCF font (codes decoded through
    EUC-JP), each glyph drawn in the font's cell."""
    from gaiji.extract.bitmapfonts import _cell, char_image, parse_pcf
    from gaiji.extract.detect import read_maybe_gzipped

    font = parse_pcf(read_maybe_gzipped(path), str(path))
    cell = _cell(font)
    glyphs: dict[str, np.ndarray] = {}
    # JIS X 0208 is EUC-JP's two-byte plane; JIS X 0212 (補助漢字) its 0x8F-prefixed one
    prefix = b"\x8f" if font.charset.upper().startswith("JISX0212") else b""
    for ch in font.chars:
        if ch.ink is None or ch.encoding < 0x2121:
            continue
        try:
            char = (prefix + bytes([(ch.encoding >> 8) | 0x80, (ch.encoding & 0xFF) | 0x80])).decode("euc_jp")
        except UnicodeDecodeError:
            continue
        img = 255 - np.asarray(char_image(ch, cell).convert("L"), np.uint8)
        if img.max() > 0:
            glyphs[char] = img
    return glyphs


def no_equivalent_chars(renderers: list[FontRenderer], mj_chars: set[str]) -> list[tuple[str, FontRenderer]]:
    """Ideographs a benchmark font draws that no MJ glyph is (characters IPAmj lacks)."""
    from fontTools.ttLib import TTFont

    from gaiji.match.index import _is_ideograph

    out = []
    for r in renderers:
        font = TTFont(str(r.spec.path), fontNumber=r.spec.index, lazy=True)
        cmap = font.getBestCmap() or {}
        for cp in sorted(cmap):
            c = chr(cp)
            # compatibility ideographs (U+2F800…) are canonically another character: not "absent"
            if _is_ideograph(c) and c not in mj_chars and cp >= 0x20000 and not 0x2F800 <= cp <= 0x2FA1F:
                out.append((c, r))
    return out


def make_queries(
    index: Any, *, per_subset: int, seed: int, out_dir: Path, progress: Progress = no_progress
) -> list[Query]:
    """Render the labelled queries and write them as a gaiji set (+ answers.csv) to ``out_dir``."""
    from PIL import Image

    missing = [f for f in BENCH_FONTS if not f.path.is_file()]
    if any(f in missing for f in (HANAZONO_A,)):
        from gaiji.errors import ReferenceMissing

        raise ReferenceMissing(
            f"the benchmark needs Hanazono Mincho ({HANAZONO_A.path}); "
            f"install it: apt-get install {' '.join(BENCH_PACKAGES)}"
        )
    rng = np.random.default_rng(seed)
    rows = index.rows
    learned = index.learned_chars()
    pool = _unique_pool(rows, learned)
    pool_chars = sorted(pool)
    renderers = {f.name: FontRenderer(f) for f in BENCH_FONTS if f.path.is_file()}
    hana_b = renderers.get(HANAZONO_B.name)
    glyph_dir = out_dir / "glyphs"
    glyph_dir.mkdir(parents=True, exist_ok=True)
    queries: list[Query] = []
    by_char_ivs = {r.char: i for i, r in enumerate(rows) if r.ivs}

    def fonts_for(subset: str) -> list[FontRenderer]:
        names = {
            "outline_mincho": [f.name for f in MINCHO_FONTS],
            "outline_gothic": [f.name for f in GOTHIC_FONTS],
            "hand": [f.name for f in MINCHO_FONTS + GOTHIC_FONTS + HAND_FONTS],
            "other_designs": [f.name for f in OTHER_DESIGN_FONTS],
        }.get(subset, [f.name for f in MINCHO_FONTS + GOTHIC_FONTS])
        return [renderers[n] for n in names if n in renderers]

    ivs_pairs: list[tuple[str, int]] = []
    hana_a = renderers[HANAZONO_A.name]
    vmap = hana_a.variation_map()
    for char, row in by_char_ivs.items():
        if len(char) == 2 and (ord(char[0]), ord(char[1])) in vmap and char[0] not in learned:
            ivs_pairs.append((char, row))
    ivs_pairs.sort()

    mj_chars = {r.base_char for r in rows if r.base_char}
    absent = no_equivalent_chars([r for r in (hana_a, hana_b) if r is not None], mj_chars)
    absent_order = rng.permutation(len(absent))

    def reading_for(row: int) -> str:
        readings = rows[row].readings
        if not readings or rng.random() < 0.2:  # ledgers often lack a reading
            return ""
        return str(readings[int(rng.integers(len(readings)))])

    def save(subset: str, made: int, img: np.ndarray, font: str, char: str, row: int) -> None:
        gid = f"{subset}-{made:05d}"
        Image.fromarray(255 - img).save(glyph_dir / f"{gid}.png")  # black ink on white
        queries.append(Query(gid, subset, font, char, int(row), reading_for(row) if row >= 0 else ""))

    for s_index, subset in enumerate(SUBSETS):
        made = 0
        if subset.startswith("font_"):
            px = int(subset[5:-2])
            sources = real_bitmap_glyphs(px)
            if not sources:
                continue
            usable = sorted({c for _, g in sources for c in g if c in pool})
            for i in rng.permutation(len(usable)):
                if made >= per_subset:
                    break
                char = usable[int(i)]
                have = [(name, g[char]) for name, g in sources if char in g]
                name, img = have[made % len(have)]
                save(subset, made, img, name, char, pool[char])
                made += 1
            progress(s_index + 1, len(SUBSETS), "rendering benchmark queries")
            continue
        if subset == "no_equivalent":
            # half: characters IPAmj lacks (Hanazono, CJK Ext. B and beyond); half: mirrored glyphs
            for i in absent_order:
                if made >= per_subset // 2:
                    break
                char, renderer = absent[int(i)]
                img = renderer.render(char, int(rng.integers(24, 97)), antialias=bool(rng.random() < 0.5))
                if img is None or img.max() == 0:
                    continue
                save(subset, made, img, renderer.spec.name, char, -1)
                made += 1
            for i in rng.permutation(len(pool_chars)):
                if made >= per_subset:
                    break
                char = pool_chars[int(i)]
                if not hana_a.has(char):
                    continue
                img = hana_a.render(char, int(rng.integers(32, 97)))
                if img is None or img.max() == 0:
                    continue
                flipped = img[:, ::-1] if rng.random() < 0.7 else img[::-1, :]
                a = canonical_uint8(img) > 90
                b = canonical_uint8(np.ascontiguousarray(flipped)) > 90
                if (a & b).sum() / max((a | b).sum(), 1) > 0.45:  # nearly symmetric: still the same character
                    continue
                save(subset, made, np.ascontiguousarray(flipped), FLIPPED_FONT, char, -1)
                made += 1
            progress(s_index + 1, len(SUBSETS), "rendering benchmark queries")
            continue
        fonts = fonts_for(subset)
        if not fonts:  # its fonts are not installed (bash scripts/setup.sh --test installs them)
            continue
        if subset == "ivs":
            order = rng.permutation(len(ivs_pairs))
            candidates = ((ivs_pairs[i][0], ivs_pairs[i][1], [hana_a]) for i in order)
        else:
            order = rng.permutation(len(pool_chars))
            candidates = ((pool_chars[i], pool[pool_chars[i]], fonts) for i in order)
        for char, row, font_list in candidates:
            if made >= per_subset:
                break
            renderer = font_list[made % len(font_list)]
            if not renderer.has(char):
                alternatives = [f for f in font_list if f.has(char)]
                if subset == "outline_mincho" and not alternatives and hana_b is not None and hana_b.has(char):
                    alternatives = [hana_b]
                if not alternatives:
                    continue
                renderer = alternatives[int(rng.integers(len(alternatives)))]
            img = _render_subset(subset, renderer, char, rng)
            if img is None or img.max() == 0:
                continue
            save(subset, made, img, renderer.spec.name, char, row)
            made += 1
        progress(s_index + 1, len(SUBSETS), "rendering benchmark queries")
    with open(out_dir / "glyphs.csv", "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(["gaiji_id", "source", "code", "width", "height", "reading", "usage_count", "note", "image"])
        for q in queries:
            with Image.open(glyph_dir / f"{q.gaiji_id}.png") as im:
                width, height = im.size
            w.writerow([q.gaiji_id, f"bench:{q.font}", q.gaiji_id, width, height, q.reading, "", q.subset,
                        f"glyphs/{q.gaiji_id}.png"])
    with open(out_dir / "answers.csv", "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(["gaiji_id", "subset", "font", "char", "mj"])
        for q in queries:
            w.writerow([q.gaiji_id, q.subset, q.font, q.char, rows[q.row].mj if q.row >= 0 else ""])
    return queries


# --- the naive baseline -----------------------------------------------------------------------


def baseline_vectors(rasters: np.ndarray) -> np.ndarray:
    """Canonical rasters (already cropped to the ink box) → 32×32 pixels, L2-normalised."""
    import cv2

    out = np.zeros((len(rasters), 32 * 32), np.float32)
    for i in range(len(rasters)):
        out[i] = cv2.resize(np.asarray(rasters[i], np.float32), (32, 32), interpolation=cv2.INTER_AREA).ravel()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def baseline_rank(ref_vectors: np.ndarray, query_vectors: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Brute-force cosine over all references; ``(Q, k)`` rows best first."""
    out = np.zeros((len(query_vectors), k), np.int64)
    for i in range(0, len(query_vectors), 1024):
        sims = query_vectors[i : i + 1024] @ ref_vectors.T
        part = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, 1), axis=1)
        out[i : i + 1024] = np.take_along_axis(part, order, 1)
    return out


# --- the run ----------------------------------------------------------------------------------


@dataclass
class BenchReport:
    subsets: list[SubsetScores]  # the new matcher (v2), with readings
    overall: SubsetScores
    speed: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)
    v1_subsets: list[SubsetScores] = field(default_factory=list)  # the old matcher, same queries
    v1_overall: SubsetScores | None = None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "subsets": [asdict(s) for s in self.subsets],
            "overall": asdict(self.overall),
            "v1_subsets": [asdict(s) for s in self.v1_subsets],
            "v1_overall": asdict(self.v1_overall) if self.v1_overall else None,
            "speed": self.speed,
            "info": self.info,
        }

    def format_text(self) -> str:
        split = self.info.get("font_split") or {}
        lines = ["font-level split (disjoint):"]
        for part in ("training", "calibration", "benchmark"):
            lines.append(f"  {part:<12} {', '.join(split.get(part, []))}")
        lines.append(f"  benchmark fonts in this run: {', '.join(self.info.get('fonts', []))}")
        lines.append("")
        head = (f"{'subset':<15} {'n':>5} | {'v1@1':>5} {'v1auto':>6} {'v1prec':>7} | {'MJ@1':>5} {'MJ@10':>5} "
                f"{'UCS@1':>5} {'noRd@1':>6} {'auto':>5} {'prec':>7} {'low95':>6} {'該当なし':>6} | {'base@1':>6}")
        lines += [head, "-" * len(head)]
        v1 = {s.name: s for s in self.v1_subsets + ([self.v1_overall] if self.v1_overall else [])}
        for s in self.subsets + [self.overall]:
            if s is self.overall:
                lines.append("-" * len(head))
            o = v1.get(s.name)
            old = (f"{o.top1:>5.3f} {o.accept_share:>6.3f} {_pct(o.accept_precision):>7}" if o else " " * 20)
            lines.append(
                f"{s.name:<15} {s.n:>5} | {old} | {s.top1:>5.3f} {s.top10:>5.3f} {s.ucs_top1:>5.3f} "
                f"{s.top1_without_readings:>6.3f} {s.accept_share:>5.3f} {_pct(s.accept_precision):>7} "
                f"{_pct(s.precision_lower95)[:6]:>6} {s.no_match_suggested:>6.3f} | {s.baseline_top1:>6.3f}"
            )
        sp = self.speed
        lines += [
            "",
            "v1 = the old matcher (--matcher v1); MJ@k, UCS@1, auto, prec = the new matcher (v2) with ledger readings;",
            "noRd@1 = v2 MJ@1 without readings; low95 = Clopper–Pearson 95 % lower bound of prec; 該当なし = share",
            "with no_match ≥ 0.2 (該当なし suggested); no_equivalent rows have no MJ answer: its 'auto' must be 0; base = naive baseline",
            f"readings in glyphs.csv for {self.info.get('queries_with_reading', 0):,} of {sp['queries']:,} queries",
            "",
            (f"`gaiji match SET` end to end (new process: start + index load + read PNGs + match + write CSV), "
             f"{sp['queries']:,} gaiji from disk:"),
            *(f"  {m} {sp[f'cli_{m}_per_s']:,.0f} gaiji/s ({sp[f'cli_{m}_seconds']:.1f} s, CPU "
              f"{sp.get(f'cli_{m}_cpu_seconds', float('nan')):.1f} s, peak RSS {sp[f'cli_{m}_rss_mb']:,.0f} MB)"
              for m in ("v2", "v1")),
            (f"  plain baseline (read PNG, crop, 32×32 pixel cosine over all glyphs, same process start): "
             f"{sp['baseline_cli_per_s']:,.0f} gaiji/s ({sp['baseline_cli_seconds']:.1f} s)"),
            (f"in-process with the index loaded, best of {sp['repeat']}: v2 {sp['v2_per_s']:,.0f} gaiji/s, "
             f"v1 {sp['v1_per_s']:,.0f} gaiji/s"),
            f"match index build {sp['index_build_seconds']:.1f} s; load average at start {sp['load_average']:.2f}",
            f"BLAS: {sp.get('blas', '?')}",
            f"CPU: {sp.get('cpu', '?')}",
        ]
        return "\n".join(lines)


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.4f}"


class CliRun(NamedTuple):
    """One timed run of a command in a new process."""

    wall: float  # seconds
    peak_rss_mb: float  # of that process (NaN without GNU time)
    cpu: float  # user + system seconds of the process and the workers it waited for (NaN without GNU time)


def run_cli(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliRun:
    """Run ``python ARGS`` in a new process and time it (:class:`CliRun`).

    The peak and the CPU time are read by GNU time (``/usr/bin/time``) when installed: a forked
    child's own ``ru_maxrss`` starts from the parent's size, which would report the benchmark's
    memory. CPU time tells two builds apart on a busy machine better than wall time does.
    """
    import shutil
    import subprocess
    import sys
    import tempfile

    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    with tempfile.TemporaryDirectory() as tmp:
        out_file = Path(tmp) / "time"
        cmd = [sys.executable, *args]
        if gnu_time:
            cmd = [gnu_time, "-f", "%M %U %S", "-o", str(out_file), *cmd]
        t = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.monotonic() - t
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr.decode(errors='replace')[-500:]}")
        try:
            rss_kb, user, system = (float(v) for v in out_file.read_text().split()[-3:])
        except (OSError, ValueError):
            rss_kb, user, system = float("nan"), float("nan"), float("nan")
    return CliRun(wall=wall, peak_rss_mb=rss_kb / 1024, cpu=user + system)


def _scores(queries: list[Query], result: Any, index: Any, b_ranks: np.ndarray | None,
            no_readings: Any = None) -> tuple[list[SubsetScores], SubsetScores]:
    pos = {gid: i for i, gid in enumerate(result.gaiji_ids)}
    order = np.array([pos.get(q.gaiji_id, -1) for q in queries])
    if (order < 0).any():
        raise RuntimeError("some benchmark glyphs were not matched (blank after normalising?)")
    cand = result.ranked.rows[order]
    answers = np.array([q.row for q in queries])
    ranks = answer_ranks(cand, answers)
    ucs_right = np.array([a >= 0 and index.rows[int(c)].ucs == index.rows[int(a)].ucs for c, a in zip(cand[:, 0], answers)])
    accepted = result.ranked.auto_accept[order]
    nm = result.ranked.no_match[order] if result.ranked.no_match is not None else np.full(len(order), np.nan)
    nr_ranks = None
    if no_readings is not None:
        pos2 = {gid: i for i, gid in enumerate(no_readings.gaiji_ids)}
        nr_ranks = answer_ranks(no_readings.ranked.rows[np.array([pos2[q.gaiji_id] for q in queries])], answers)
    subset_arr = np.array([q.subset for q in queries])

    def one(name: str, m: np.ndarray) -> SubsetScores:
        sc = score_subset(name, ranks[m], ucs_right[m], accepted[m], None if b_ranks is None else b_ranks[m])
        sc.no_match_suggested = float(np.mean(nm[m] >= NO_MATCH_SUGGEST)) if m.any() and not np.isnan(nm[m]).all() else float("nan")
        if nr_ranks is not None:
            sc.top1_without_readings = top_k_accuracy(nr_ranks[m], 1)
        return sc

    present = [s for s in SUBSETS if any(q.subset == s for q in queries)]
    scored = [one(s, subset_arr == s) for s in present]
    if "no_equivalent" in present:  # its two halves: characters MJ lacks, and MJ glyphs flipped (editing slips)
        flipped = np.array([q.font == FLIPPED_FONT for q in queries])
        scored += [one(NO_EQUIVALENT_LACKS, (subset_arr == "no_equivalent") & ~flipped),
                   one(NO_EQUIVALENT_FLIPPED, (subset_arr == "no_equivalent") & flipped)]
    return scored, one("overall", subset_arr != "no_equivalent")


def run_match_bench(
    reference: Any = None,
    *,
    per_subset: int = 1500,
    seed: int = 7,
    work_dir: Path | None = None,
    rebuild_index: bool = False,
    repeat: int = 1,
    progress: Progress = no_progress,
    end_to_end: bool = True,
) -> BenchReport:
    """Generate the labelled set, match it with the new and the old matcher through the library
    path of `gaiji match` (and, with ``end_to_end``, as a new `gaiji match` process), score it.

    Accuracy figures other than ``overall`` are per subset; ``overall`` leaves out the
    no-equivalent subset (it has no right answer).
    """
    import tempfile

    from gaiji.match.index import load_match_index
    from gaiji.match.matcher import match_gaiji_set

    if reference is None:
        from gaiji.reference import load_reference

        reference = load_reference()
    t0 = time.monotonic()
    index = load_match_index(reference, rebuild=rebuild_index, progress=progress)
    index.searcher, index.small_searcher  # noqa: B018 - load the search structures before timing
    built_now_seconds = time.monotonic() - t0
    cleanup = None
    if work_dir is None:
        cleanup = tempfile.TemporaryDirectory(prefix="gaiji-bench-")
        work_dir = Path(cleanup.name)
    set_dir = Path(work_dir) / "set"
    try:
        queries = make_queries(index, per_subset=per_subset, seed=seed, out_dir=set_dir, progress=progress)
        load_average = os.getloadavg()[0]
        times: dict[str, list[float]] = {"v1": [], "v2": []}
        results: dict[str, Any] = {}
        for _ in range(max(1, repeat)):
            for m in ("v2", "v1"):
                t1 = time.monotonic()
                results[m] = match_gaiji_set(set_dir, reference, top_k=TOP_K, progress=progress, matcher=m, ref_sets=[])
                times[m].append(time.monotonic() - t1)
        without = match_gaiji_set(set_dir, reference, top_k=TOP_K, progress=progress, use_readings=False, ref_sets=[])
        # the naive baseline, same images, same run
        ref_vecs = baseline_vectors(np.asarray(reference.rasters))
        ref_vecs[~np.asarray(reference.has_glyph, bool)] = 0
        paths = [str(set_dir / "glyphs" / f"{q.gaiji_id}.png") for q in queries]
        from gaiji.render import canonical_raster, load_image, to_uint8

        base_rasters = np.stack([to_uint8(canonical_raster(load_image(p))) for p in paths])
        base_top = baseline_rank(ref_vecs, baseline_vectors(base_rasters))
        cli: dict[str, float] = {}
        if end_to_end:
            home = ["--home", str(Path(reference.home).parent)] if getattr(reference, "home", None) else []
            for m in ("v2", "v1"):
                wall, rss, cpu = run_cli(["-m", "gaiji", "match", str(set_dir), "-o", str(Path(work_dir) / f"c-{m}.csv"),
                                          "-q", "--matcher", m, *home])
                cli[f"cli_{m}_seconds"], cli[f"cli_{m}_rss_mb"], cli[f"cli_{m}_cpu_seconds"] = wall, rss, cpu
                cli[f"cli_{m}_per_s"] = len(queries) / wall
            wall, _, _ = run_cli(["-m", "gaiji.match.baseline", str(set_dir), *home])
            cli["baseline_cli_seconds"], cli["baseline_cli_per_s"] = wall, len(queries) / wall
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    b_ranks = answer_ranks(base_top, np.array([q.row for q in queries]))
    scores, overall = _scores(queries, results["v2"], index, b_ranks, no_readings=without)
    v1_scores, v1_overall = _scores(queries, results["v1"], index, b_ranks)
    n = len(queries)
    nan = float("nan")
    speed = {
        "queries": n,
        "repeat": max(1, repeat),
        "load_average": load_average,
        "blas": blas_summary(),
        "cpu": cpu_summary(),
        "v2_per_s": n / min(times["v2"]),
        "v1_per_s": n / min(times["v1"]),
        "index_build_seconds": built_now_seconds if rebuild_index else float(index.meta.get("build_seconds", nan)),
        **{k: cli.get(k, nan) for k in ("cli_v2_seconds", "cli_v2_rss_mb", "cli_v2_cpu_seconds", "cli_v2_per_s",
                                        "cli_v1_seconds", "cli_v1_rss_mb", "cli_v1_cpu_seconds", "cli_v1_per_s",
                                        "baseline_cli_seconds", "baseline_cli_per_s")},
    }
    info = {
        "reference_version": index.reference_version,
        "per_subset": per_subset,
        "seed": seed,
        "fonts": sorted({q.font for q in queries}),
        "font_split": index.meta.get("font_split"),
        "trust": (index.trust.info if index.trust is not None else None),
        "excluded_learned_chars": len(index.learned_chars()),
        "queries_with_reading": sum(1 for q in queries if q.reading),
    }
    return BenchReport(subsets=scores, overall=overall, speed=speed, info=info,
                       v1_subsets=v1_scores, v1_overall=v1_overall)
