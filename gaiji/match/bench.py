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
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.match.synth import FontRenderer, FontSpec, elastic, hand_drawn, scan
from gaiji.progress import Progress, no_progress

_FONTS = Path("/usr/share/fonts")
HANAZONO_A = FontSpec("HanaMinA", _FONTS / "truetype/hanazono/HanaMinA.ttf", "mincho")
HANAZONO_B = FontSpec("HanaMinB", _FONTS / "truetype/hanazono/HanaMinB.ttf", "mincho")
MINCHO_FONTS = (
    HANAZONO_A,
    FontSpec("NotoSerifCJKjp", _FONTS / "opentype/noto/NotoSerifCJK-Regular.ttc", "mincho", 0),
    FontSpec("BIZUDMincho", _FONTS / "truetype/bizud-mincho/BIZUDMincho-Regular.ttf", "mincho"),
)
GOTHIC_FONTS = (
    FontSpec("NotoSansCJKjp", _FONTS / "opentype/noto/NotoSansCJK-Regular.ttc", "gothic", 0),
    FontSpec("BIZUDGothic", _FONTS / "truetype/bizud-gothic/BIZUDGothic-Regular.ttf", "gothic"),
)
HAND_FONTS = (FontSpec("KleeOne", _FONTS / "truetype/klee/KleeOne-Regular.ttf", "hand"),)
BENCH_FONTS = MINCHO_FONTS + (HANAZONO_B,) + GOTHIC_FONTS + HAND_FONTS
#: Debian packages that hold the benchmark fonts
BENCH_PACKAGES = ("fonts-hanazono", "fonts-noto-cjk", "fonts-morisawa-bizud-mincho",
                  "fonts-morisawa-bizud-gothic", "fonts-klee")

SUBSETS = ("outline_mincho", "outline_gothic", "ivs", "bitmap_16_32", "bitmap_12", "scan", "hand")
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


def score_subset(
    name: str,
    ranks: np.ndarray,
    ucs_right: np.ndarray,
    accepted: np.ndarray,
    baseline_ranks: np.ndarray | None = None,
) -> SubsetScores:
    share, precision, n_acc = accept_stats(accepted, ranks == 1)
    out = SubsetScores(
        name=name, n=len(ranks), top1=top_k_accuracy(ranks, 1), top5=top_k_accuracy(ranks, 5),
        top10=top_k_accuracy(ranks, 10), ucs_top1=float(np.mean(ucs_right)) if len(ranks) else float("nan"),
        mrr=mean_reciprocal_rank(ranks), accept_share=share, accept_precision=precision, accepted=n_acc,
    )
    if baseline_ranks is not None:
        out.baseline_top1 = top_k_accuracy(baseline_ranks, 1)
        out.baseline_top10 = top_k_accuracy(baseline_ranks, 10)
    return out


# --- the query set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    gaiji_id: str
    subset: str
    font: str
    char: str
    row: int  # answer row in the reference


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
        }.get(subset, [f.name for f in MINCHO_FONTS + GOTHIC_FONTS])
        return [renderers[n] for n in names if n in renderers]

    ivs_pairs: list[tuple[str, int]] = []
    hana_a = renderers[HANAZONO_A.name]
    vmap = hana_a.variation_map()
    for char, row in by_char_ivs.items():
        if len(char) == 2 and (ord(char[0]), ord(char[1])) in vmap and char[0] not in learned:
            ivs_pairs.append((char, row))
    ivs_pairs.sort()

    for s_index, subset in enumerate(SUBSETS):
        made = 0
        fonts = fonts_for(subset)
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
            gid = f"{subset}-{made:05d}"
            Image.fromarray(255 - img).save(glyph_dir / f"{gid}.png")  # black ink on white
            queries.append(Query(gid, subset, renderer.spec.name, char, int(row)))
            made += 1
        progress(s_index + 1, len(SUBSETS), "rendering benchmark queries")
    with open(out_dir / "glyphs.csv", "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(["gaiji_id", "source", "code", "width", "height", "reading", "usage_count", "note", "image"])
        for q in queries:
            with Image.open(glyph_dir / f"{q.gaiji_id}.png") as im:
                width, height = im.size
            w.writerow([q.gaiji_id, f"bench:{q.font}", "", width, height, "", "", q.subset, f"glyphs/{q.gaiji_id}.png"])
    with open(out_dir / "answers.csv", "w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(["gaiji_id", "subset", "font", "char", "mj"])
        for q in queries:
            w.writerow([q.gaiji_id, q.subset, q.font, q.char, rows[q.row].mj])
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
    subsets: list[SubsetScores]
    overall: SubsetScores
    speed: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "subsets": [asdict(s) for s in self.subsets],
            "overall": asdict(self.overall),
            "speed": self.speed,
            "info": self.info,
        }

    def format_text(self) -> str:
        head = (
            f"{'subset':<15} {'n':>6} {'MJ@1':>6} {'MJ@5':>6} {'MJ@10':>6} {'UCS@1':>6} {'MRR':>6} "
            f"{'auto':>6} {'prec':>7} | {'base@1':>6} {'base@10':>6}"
        )
        lines = [head, "-" * len(head)]
        for s in self.subsets + [self.overall]:
            if s is self.overall:
                lines.append("-" * len(head))
            lines.append(
                f"{s.name:<15} {s.n:>6} {s.top1:>6.3f} {s.top5:>6.3f} {s.top10:>6.3f} {s.ucs_top1:>6.3f} "
                f"{s.mrr:>6.3f} {s.accept_share:>6.3f} {_pct(s.accept_precision):>7} | "
                f"{s.baseline_top1:>6.3f} {s.baseline_top10:>6.3f}"
            )
        sp = self.speed
        built = " (measured now)" if sp.get("index_built_now") else " (recorded when the cached index was built)"
        lines += [
            "",
            (
                "auto = share of gaiji auto-accepted; prec = MJ-level precision among them; "
                "base = naive baseline (cosine over 32×32 cropped pixels)"
            ),
            (
                f"speed, index loaded: {sp['gaiji_per_s']:,.0f} gaiji/s end to end, best of {sp['repeat']} "
                f"(median {sp['gaiji_per_s_median']:,.0f}; read PNG + normalise + features + search + fusion "
                f"+ calibration; {sp['queries']:,} queries, {sp['match_seconds']:.2f} s); "
                f"ranking alone {sp['rank_per_s']:,.0f} gaiji/s"
            ),
            (
                f"baseline: {sp['baseline_per_s']:,.0f} gaiji/s end to end, best of {sp['repeat']}; "
                f"baseline index build {sp['baseline_build_seconds']:.1f} s"
            ),
            f"match index build: {sp['index_build_seconds']:.1f} s{built}; index load {sp['index_load_seconds']:.2f} s",
            (
                f"peak memory (max RSS): {sp['peak_rss_mb']:,.0f} MB (this process), "
                f"{sp['peak_rss_children_mb']:,.0f} MB (largest worker); load average at start "
                f"{sp['load_average']:.2f} (other work on the machine slows every number here)"
            ),
        ]
        return "\n".join(lines)


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.4f}"


def run_match_bench(
    reference: Any = None,
    *,
    per_subset: int = 1500,
    seed: int = 7,
    work_dir: Path | None = None,
    rebuild_index: bool = False,
    repeat: int = 1,
    progress: Progress = no_progress,
) -> BenchReport:
    """Generate the labelled set, match it through the library path of `gaiji match`, score it.

    Timings are the best of ``repeat`` runs (the machine may be shared); accuracy comes from
    the first run (every run gives the same candidates).
    """
    import tempfile

    from gaiji.match.index import load_match_index
    from gaiji.match.matcher import match_gaiji_set, prepare_queries

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
        # the matcher, exactly as `gaiji match` runs it (index already loaded = cached)
        load_average = os.getloadavg()[0]
        match_times = []
        runs = []
        for _ in range(max(1, repeat)):
            t1 = time.monotonic()
            runs.append(match_gaiji_set(set_dir, reference, top_k=TOP_K, progress=progress, ref_sets=[]))
            match_times.append(time.monotonic() - t1)
        result = runs[0]
        del runs[1:]
        match_seconds = min(match_times)
        # the naive baseline, same images, same run
        t2 = time.monotonic()
        ref_vecs = baseline_vectors(np.asarray(reference.rasters))
        has = np.asarray(reference.has_glyph, bool)
        ref_vecs[~has] = 0
        baseline_build = time.monotonic() - t2
        paths = [str(set_dir / "glyphs" / f"{q.gaiji_id}.png") for q in queries]
        from gaiji.render import canonical_raster, load_image, to_uint8

        baseline_times = []
        for _ in range(max(1, repeat)):
            t3 = time.monotonic()
            base_rasters = np.stack([to_uint8(canonical_raster(load_image(p))) for p in paths])
            base_top = baseline_rank(ref_vecs, baseline_vectors(base_rasters))
            baseline_times.append(time.monotonic() - t3)
        baseline_seconds = min(baseline_times)
        # ranking alone (features + search + fusion on prepared rasters)
        rasters, _, sides = prepare_queries(paths)
        from gaiji.match.matcher import match_rasters

        rank_times = []
        for _ in range(max(1, repeat)):
            t4 = time.monotonic()
            match_rasters(index, rasters, top_k=TOP_K, sides=sides)
            rank_times.append(time.monotonic() - t4)
        rank_seconds = min(rank_times)
    finally:
        if cleanup is not None:
            cleanup.cleanup()

    pos = {gid: i for i, gid in enumerate(result.gaiji_ids)}
    order = np.array([pos.get(q.gaiji_id, -1) for q in queries])
    if (order < 0).any():
        raise RuntimeError("some benchmark glyphs were not matched (blank after normalising?)")
    cand = result.ranked.rows[order]
    answers = np.array([q.row for q in queries])
    ranks = answer_ranks(cand, answers)
    ucs_right = np.array([index.rows[int(c)].ucs == index.rows[int(a)].ucs for c, a in zip(cand[:, 0], answers)])
    accepted = result.ranked.auto_accept[order]
    b_ranks = answer_ranks(base_top, answers)
    subsets_present = [s for s in SUBSETS if any(q.subset == s for q in queries)]
    subset_arr = np.array([q.subset for q in queries])
    scores = [
        score_subset(s, ranks[subset_arr == s], ucs_right[subset_arr == s], accepted[subset_arr == s],
                     b_ranks[subset_arr == s])
        for s in subsets_present
    ]
    overall = score_subset("overall", ranks, ucs_right, accepted, b_ranks)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = len(queries)
    speed = {
        "queries": n,
        "match_seconds": match_seconds,
        "gaiji_per_s": n / match_seconds if match_seconds else float("nan"),
        "gaiji_per_s_median": n / float(np.median(match_times)),
        "repeat": max(1, repeat),
        "load_average": load_average,
        "rank_per_s": n / rank_seconds if rank_seconds else float("nan"),
        "baseline_per_s": n / baseline_seconds if baseline_seconds else float("nan"),
        "baseline_build_seconds": baseline_build,
        "index_build_seconds": built_now_seconds if rebuild_index else float(index.meta.get("build_seconds", float("nan"))),
        "index_built_now": bool(rebuild_index),
        "index_load_seconds": result.seconds.get("index_load", float("nan")),
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_rss_children_mb": children.ru_maxrss / 1024,
    }
    info = {
        "reference_version": index.reference_version,
        "per_subset": per_subset,
        "seed": seed,
        "fonts": sorted({q.font for q in queries}),
        "projection_fonts": index.meta.get("projection", {}).get("fonts"),
        "calibration": index.meta.get("calibration_info"),
        "excluded_learned_chars": len(index.learned_chars()),
    }
    return BenchReport(subsets=scores, overall=overall, speed=speed, info=info)
