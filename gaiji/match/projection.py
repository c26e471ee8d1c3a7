"""A linear projection 512 → 256 that keeps what tells characters apart and suppresses what
varies within one character (font design, resolution, degradation).

Learned locally, at index-build time, by Fisher's linear discriminant analysis (R. A. Fisher,
1936; the regularised form of J. H. Friedman, "Regularized discriminant analysis", JASA 84,
1989) over renderings of the same characters in several installed *training* fonts, at
12–128 px, with synthetic degradations (:mod:`gaiji.match.synth`). No model is downloaded;
the same seed, fonts and characters give the same matrix.

Only characters with exactly one MJ glyph serve as classes, so the projection never learns
to ignore the differences between MJ variants of one character (one dot of 辻, 髙/高).

The fonts benchmarked by ``gaiji bench`` (Hanazono, Noto CJK, BIZ UD, Klee) are never
training fonts, nor is the calibration font (:data:`CALIBRATION_FONTS`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaiji.match.features import FEATURE_DIM, glyph_features, l2_normalize
from gaiji.match.synth import QUERY_KINDS, FontRenderer, FontSpec, render_query
from gaiji.progress import Progress, no_progress

PROJECTION_VERSION = "2"
PROJECTED_DIM = 256

_FONTS = Path("/usr/share/fonts")

#: fonts the projection learns from (those installed are used; IPAmj itself is always added)
TRAINING_FONTS: tuple[FontSpec, ...] = (
    FontSpec("IPAMincho", _FONTS / "opentype/ipafont-mincho/ipam.ttf", "mincho"),
    FontSpec("IPAGothic", _FONTS / "opentype/ipafont-gothic/ipag.ttf", "gothic"),
    FontSpec("IPAexMincho", _FONTS / "opentype/ipaexfont-mincho/ipaexm.ttf", "mincho"),
    FontSpec("IPAexGothic", _FONTS / "opentype/ipaexfont-gothic/ipaexg.ttf", "gothic"),
    FontSpec("VLGothic", _FONTS / "truetype/vlgothic/VL-Gothic-Regular.ttf", "gothic"),
    FontSpec("TakaoMincho", _FONTS / "truetype/takao-mincho/TakaoMincho.ttf", "mincho"),
)

#: fonts the confidence calibration is fitted on: neither learned from nor benchmarked
CALIBRATION_FONTS: tuple[FontSpec, ...] = (
    FontSpec("UmeMincho", _FONTS / "truetype/horai-umefont/ume-tmo3.ttf", "mincho"),
    FontSpec("UmeGothic", _FONTS / "truetype/horai-umefont/ume-tgo4.ttf", "gothic"),
)

#: more designs the match-v2 verifier learns from (never the projections): a rounded gothic,
#: a second gothic, M+ and a handwriting font, so that the verifier's pairs span more than the
#: IPA family's drawing
VERIFIER_FONTS: tuple[FontSpec, ...] = (
    FontSpec("MotoyaLMaruberi", _FONTS / "truetype/motoya-l-maruberi/MTLmr3m.ttf", "gothic"),
    FontSpec("SawarabiGothic", _FONTS / "truetype/sawarabi-gothic/sawarabi-gothic-medium.ttf", "gothic"),
    FontSpec("Mplus1", _FONTS / "opentype/mplus/Mplus1-Regular.otf", "gothic"),
    FontSpec("Kiloji", _FONTS / "truetype/kiloji/kiloji.ttf", "gothic"),
)

#: fonts the match-v2 confidence (gaiji.match.trust) is calibrated on: never learned from (the
#: verifier learns from the training fonts, the Ume fonts above and VERIFIER_FONTS), never
#: benchmarked. Several designs (Mincho, Gothic, an antique Mincho, a 16 px dot design,
#: handwriting), so the thresholds hold on designs unlike the training fonts, not only on one
TRUST_FONTS: tuple[FontSpec, ...] = (
    FontSpec("BIZUDMincho", _FONTS / "truetype/bizud-mincho/BIZUDMincho-Regular.ttf", "mincho"),
    FontSpec("BIZUDGothic", _FONTS / "truetype/bizud-gothic/BIZUDGothic-Regular.ttf", "gothic"),
    FontSpec("MotoyaLCedar", _FONTS / "truetype/motoya-l-cedar/MTLc3m.ttf", "mincho"),
    FontSpec("SawarabiMincho", _FONTS / "truetype/sawarabi-mincho/sawarabi-mincho-medium.ttf", "mincho"),
    FontSpec("DejimaMincho", _FONTS / "truetype/dejima-mincho/dejima-mincho-r227.ttf", "mincho"),
    FontSpec("DotGothic16", _FONTS / "truetype/dotgothic16/DotGothic16-Regular.ttf", "gothic"),
    FontSpec("Setofont", _FONTS / "truetype/seto/setofont.ttf", "gothic"),
)

#: how often each query kind is drawn for a training or calibration rendering
KIND_WEIGHTS: dict[str, float] = {
    "outline": 0.25,
    "bitmap": 0.2,
    "small_bitmap": 0.1,
    "scan": 0.15,
    "hand": 0.15,
    "elastic": 0.15,
}


#: the projection for small bitmaps (ink ≤ SMALL_SIDE px): learned mostly from 12–16 px
#: renderings against clean outlines, so it models what low resolution does to a glyph
SMALL_KIND_WEIGHTS: dict[str, float] = {"small_bitmap": 0.5, "bitmap": 0.3, "outline": 0.2}


def installed(fonts: tuple[FontSpec, ...]) -> list[FontSpec]:
    return [f for f in fonts if f.path.is_file()]


@dataclass(frozen=True)
class Projection:
    """``project(x) = l2_normalize((x - mean) @ matrix)``."""

    matrix: np.ndarray  # (512, k) float32
    mean: np.ndarray  # (512,) float32

    def project(self, features: np.ndarray) -> np.ndarray:
        return l2_normalize((np.asarray(features, np.float32) - self.mean) @ self.matrix)

    def save(self, path: Path) -> None:
        np.savez(path, matrix=self.matrix, mean=self.mean)

    @classmethod
    def load(cls, path: Path) -> Projection:
        with np.load(path) as data:
            return cls(matrix=data["matrix"].astype(np.float32), mean=data["mean"].astype(np.float32))


def sample_kinds(rng: np.random.Generator, n: int, weights: dict[str, float] | None = None) -> list[str]:
    weights = KIND_WEIGHTS if weights is None else weights
    kinds = list(weights)
    p = np.array([weights[k] for k in kinds])
    return [kinds[i] for i in rng.choice(len(kinds), n, p=p / p.sum())]


def render_variations(
    fonts: list[FontSpec],
    chars: list[str],
    *,
    per_font: int,
    seed: int,
    progress: Progress = no_progress,
    label: str = "rendering training glyphs",
    workers: int | None = None,
    weights: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Render each char in each font ``per_font`` times with random query kinds.

    Returns ``(rasters (M, 64, 64) uint8, class index per raster (M,), kind per raster,
    native ink size per raster (M,): the longer side of the ink box in rendered pixels)``.
    Characters a font lacks are skipped for that font. Each character draws from its own
    generator (``seed``, character number), so the result does not depend on ``workers``.
    """
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    chunk = 100
    jobs = [(fonts, chars[i : i + chunk], i, per_font, seed, weights) for i in range(0, len(chars), chunk)]
    results: list[tuple[list[np.ndarray], list[int], list[str], list[int]]] = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, res in enumerate(pool.map(_render_chunk, jobs), 1):
                results.append(res)
                progress(min(done * chunk, len(chars)), len(chars), label)
    else:
        for done, job in enumerate(jobs, 1):
            results.append(_render_chunk(job))
            progress(min(done * chunk, len(chars)), len(chars), label)
    rasters = [r for res in results for r in res[0]]
    labels = [lab for res in results for lab in res[1]]
    kinds = [k for res in results for k in res[2]]
    sides = [s for res in results for s in res[3]]
    if not rasters:
        return np.zeros((0, 64, 64), np.uint8), np.zeros(0, np.int64), [], np.zeros(0, np.int64)
    return np.stack(rasters), np.asarray(labels, np.int64), kinds, np.asarray(sides, np.int64)


def _render_chunk(
    job: tuple[list[FontSpec], list[str], int, int, int, dict[str, float] | None],
) -> tuple[list[np.ndarray], list[int], list[str], list[int]]:
    from gaiji.match.prepare import query_raster_and_side

    fonts, chars, offset, per_font, seed, weights = job
    renderers = [FontRenderer(f) for f in fonts]
    rasters: list[np.ndarray] = []
    labels: list[int] = []
    kinds_out: list[str] = []
    sides: list[int] = []
    for ci, char in enumerate(chars, offset):
        rng = np.random.default_rng([seed, ci])
        for renderer in renderers:
            if not renderer.has(char):
                continue
            for kind in sample_kinds(rng, per_font, weights):
                img = render_query(renderer, char, kind, rng)
                if img is None or img.max() == 0:
                    continue
                raster, side = query_raster_and_side(img)
                rasters.append(raster)
                labels.append(ci)
                kinds_out.append(kind)
                sides.append(side)
    return rasters, labels, kinds_out, sides


def fit_lda(
    features: np.ndarray, labels: np.ndarray, *, dim: int = PROJECTED_DIM, shrinkage: float = 0.05
) -> Projection:
    """Regularised LDA: the ``dim`` leading solutions of ``S_b v = λ (S_w + εI) v``.

    ``S_w`` is the within-class scatter, ``S_b`` the scatter of class means, ``ε`` is
    ``shrinkage`` times the mean eigenvalue of ``S_w``. Columns are scaled so the projected
    within-class covariance is the identity (so cosine similarity afterwards weighs every
    discriminant direction by how reliable it is).
    """
    x = np.asarray(features, np.float64)
    if x.ndim != 2 or x.shape[1] != FEATURE_DIM:
        raise ValueError(f"features must be (M, {FEATURE_DIM}), got {x.shape}")
    classes, inverse = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("LDA needs at least two classes")
    mean = x.mean(axis=0)
    counts = np.bincount(inverse).astype(np.float64)
    sums = np.zeros((len(classes), x.shape[1]))
    np.add.at(sums, inverse, x)
    class_means = sums / counts[:, None]
    within = x - class_means[inverse]
    s_w = within.T @ within / len(x)
    centred_means = class_means - mean
    s_b = (centred_means * counts[:, None]).T @ centred_means / len(x)
    s_w += shrinkage * np.trace(s_w) / s_w.shape[0] * np.eye(s_w.shape[0])
    # whiten S_w, then diagonalise S_b in the whitened space
    evals_w, evecs_w = np.linalg.eigh(s_w)
    whitener = evecs_w / np.sqrt(np.maximum(evals_w, 1e-12))
    evals_b, evecs_b = np.linalg.eigh(whitener.T @ s_b @ whitener)
    order = np.argsort(evals_b)[::-1][:dim]
    matrix = whitener @ evecs_b[:, order]
    return Projection(matrix=matrix.astype(np.float32), mean=mean.astype(np.float32))


def build_projection(
    chars: list[str],
    *,
    reference_font: Path | None,
    seed: int = 20240501,
    per_font: int = 4,
    weights: dict[str, float] | None = None,
    progress: Progress = no_progress,
) -> tuple[Projection, dict[str, object]]:
    """Render ``chars`` in the installed training fonts (+ the reference font) and fit LDA.

    Returns the projection and a provenance dict (fonts, counts, seed, seconds) for the
    index metadata.
    """
    started = time.monotonic()
    fonts = installed(TRAINING_FONTS)
    if reference_font is not None and Path(reference_font).is_file():
        fonts.append(FontSpec("IPAmjMincho", Path(reference_font), "mincho"))
    if len(fonts) < 2:
        from gaiji.errors import ReferenceMissing

        raise ReferenceMissing(
            "the matcher learns from installed fonts and found fewer than two "
            f"(looked for {', '.join(str(f.path) for f in TRAINING_FONTS)}); install them: "
            "apt-get install fonts-ipafont-mincho fonts-ipafont-gothic fonts-ipaexfont fonts-vlgothic"
        )
    weights = KIND_WEIGHTS if weights is None else weights
    rasters, labels, _, _ = render_variations(
        fonts, chars, per_font=per_font, seed=seed, progress=progress, weights=weights
    )
    features = glyph_features(rasters)
    projection = fit_lda(features, labels)
    info: dict[str, object] = {
        "version": PROJECTION_VERSION,
        "method": "regularised LDA (shrinkage 0.05), 512 → 256",
        "fonts": [f.name for f in fonts],
        "classes": len(set(labels.tolist())),
        "samples": len(labels),
        "kinds": weights,
        "seed": seed,
        "seconds": round(time.monotonic() - started, 1),
    }
    return projection, info


__all__ = [
    "CALIBRATION_FONTS",
    "PROJECTED_DIM",
    "PROJECTION_VERSION",
    "QUERY_KINDS",
    "TRAINING_FONTS",
    "Projection",
    "build_projection",
    "fit_lda",
    "render_variations",
]
