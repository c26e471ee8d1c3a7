"""Verification over the shortlist: does this gaiji show *the same* glyph as this candidate?

Global feature similarity ranks the right MJ glyph near the top, but between near
neighbours — 辻 with one dot or two, 米偏 and 木偏, 髙 and 高 — it is the *place* where ink
differs that decides, the way a reviewer looks. For each (gaiji, candidate) pair this module:

1. **aligns** the two canonical rasters (32×32, ink-box normalised already) by the best
   shift of their row and column ink profiles (±2 px);
2. **compares where ink differs**, with stroke fringes forgiven: ink of one glyph farther
   than 1 or 2 px from any ink of the other (a missing dot, an extra stroke, a stroke that
   crosses instead of stopping) as totals and as the largest local blob (4×4 cells);
3. adds the feature-space evidence the search already has (projected and unprojected
   cosine, its margin to the rest of the shortlist, the largest per-cell difference of the
   gradient-direction features) and the input condition (ink size of the source);
4. scores the pair with a small multilayer perceptron, trained offline by
   ``scripts/train_matcher.py`` on pairs rendered from the training fonts with hard negatives
   (IVS siblings of one UCS, the shortlist's look-alikes, and shortlists with the right
   character hidden) and degradations, and shipped as
   ``gaiji/match/model/verifier.npz`` (numpy only at run time; no learning at set-up).

Everything is vectorised over pairs: ``P`` pairs cost a few dozen array operations on
``(P, 32, 32)`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: names of the pair features, in the order :func:`pair_features` returns them
FEATURE_NAMES = (
    "extra_ink_query_1px", "extra_ink_query_2px", "extra_ink_cand_1px", "extra_ink_cand_2px",
    "blob_query_1px", "blob_query_2px", "blob_cand_1px", "blob_cand_2px",
    "second_blob_query_2px", "second_blob_cand_2px",
    "iou", "pixel_cosine", "ink_ratio_log", "shift",
    "raw_cosine", "projected_cosine", "rerank_score", "below_best", "above_next",
    "cell_diff_max", "cell_diff_top3", "cell_diff_mean",
    "small", "mid", "side",
)
#: and, after them, two vectors the verifier weighs dimension by dimension: where in the glyph
#: and in which stroke direction the two gradient features differ (|Δ| of the 512-d feature),
#: and the discriminant (projected) features multiplied term by term (their sum is the cosine)
VECTOR_BLOCKS = (("abs_gradient_difference", 512), ("projected_product", 256))
SCALAR_DIM = len(FEATURE_NAMES)
PAIR_DIM = SCALAR_DIM + sum(n for _, n in VECTOR_BLOCKS)
GRID = 32
SHIFTS = (-2, -1, 0, 1, 2)
INK = 0.35  # a pooled pixel at least this dark is ink


def pooled32(rasters: np.ndarray) -> np.ndarray:
    """``(N, 64, 64)`` uint8/float canonical rasters → ``(N, 32, 32)`` float32 by 2×2 means."""
    arr = np.asarray(rasters)
    f = arr.astype(np.float32) * np.float32(1 / 255) if arr.dtype == np.uint8 else arr.astype(np.float32)
    # the mean over each 2×2 block, added in the order NumPy's mean over axes (2, 4) of the
    # (N, 32, 2, 32, 2) view adds them (the same float32 bits), by strided slices: 6× faster
    return ((f[:, 0::2, 0::2] + f[:, 0::2, 1::2]) + (f[:, 1::2, 0::2] + f[:, 1::2, 1::2])) / np.float32(4)


def _best_shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, the shift s of profile ``b`` (P, 32) that best correlates with ``a``."""
    scores = np.stack([np.einsum("pi,pi->p", a, np.roll(b, s, axis=1)) for s in SHIFTS], axis=1)
    return np.asarray(SHIFTS)[scores.argmax(axis=1)]


def _shift_by_slices(img: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Each image moved by its (dy, dx), zeros shifted in: one slice copy per distinct shift."""
    m = max(abs(s) for s in SHIFTS)
    padded = np.zeros((len(img), GRID + 2 * m, GRID + 2 * m), img.dtype)
    padded[:, m : m + GRID, m : m + GRID] = img
    out = np.empty_like(img)
    code = (np.asarray(dy) + m) * (2 * m + 1) + (np.asarray(dx) + m)
    for c in np.unique(code):
        sel = np.flatnonzero(code == c)
        y, x = int(c) // (2 * m + 1) - m, int(c) % (2 * m + 1) - m
        out[sel] = padded[sel, m - y : m - y + GRID, m - x : m - x + GRID]
    return out


Profiles = tuple[np.ndarray, np.ndarray]


def ink_profiles(rasters32: np.ndarray) -> Profiles:
    """Column and row ink sums ``((N, 32), (N, 32))`` of pooled rasters, as the alignment reads
    them: float rasters in [0, 1] as they are, stored uint8 rasters scaled to [0, 1]. Each
    raster's sums depend on it alone, so they may be computed once per glyph and gathered."""
    a = np.asarray(rasters32)
    if a.dtype == np.uint8:
        return a.sum(axis=1, dtype=np.float32) / np.float32(255), a.sum(axis=2, dtype=np.float32) / np.float32(255)
    a = a.astype(np.float32, copy=False)
    return a.sum(axis=1), a.sum(axis=2)


def align_stored(query32: np.ndarray, cand8: np.ndarray, *, query_profiles: Profiles | None = None,
                 cand_profiles: Profiles | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stored uint8 pooled candidates ``(P, 32, 32)`` moved onto the queries ``(P, 32, 32)``
    (float, [0, 1]) by the best shift of their ink profiles: ``(shifted uint8, dy, dx)``.

    ``query_profiles`` / ``cand_profiles``: the pairs' :func:`ink_profiles`, when the caller has
    them already (a query's are the same for all its candidates, a reference glyph's for all
    queries): summing them pair by pair was a third of the pair features' time."""
    q = np.asarray(query32, np.float32)
    c8 = np.asarray(cand8, np.uint8)
    qx, qy = ink_profiles(q) if query_profiles is None else query_profiles
    cx, cy = ink_profiles(c8) if cand_profiles is None else cand_profiles
    dx = _best_shift(qx, cx)
    dy = _best_shift(qy, cy)
    return _shift_by_slices(c8, dy, dx), dy, dx


# --- bit-packed masks: a 32×32 mask is 32 uint32 words, bit 31 - x of word y is pixel (y, x) ------


def _pack(mask: np.ndarray) -> np.ndarray:
    """``(P, 32, 32)`` bool → ``(P, 32)`` uint32."""
    return np.packbits(mask, axis=2).view(">u4").reshape(len(mask), GRID).astype(np.uint32)


def _grow(words: np.ndarray, radius: int) -> np.ndarray:
    """Dilation of packed masks by a square of side ``2·radius + 1``."""
    out = words.copy()
    for _ in range(radius):
        out = out | (out >> np.uint32(1)) | (out << np.uint32(1))
    grown = out.copy()
    for k in range(1, radius + 1):
        grown[:, k:] |= out[:, :-k]
        grown[:, :-k] |= out[:, k:]
    return grown


def _count(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).sum(axis=1, dtype=np.int64).astype(np.float32)


def _cell_counts(words: np.ndarray) -> np.ndarray:
    """``(P, 16)`` ink counts of the 4×4 cells of 8×8 pixels, cell index ``cy·4 + cx``.

    A word's byte holds one cell's 8 pixels of a row, the most significant byte the leftmost
    cell: one population count per byte (at most 8), then each cell's 8 rows added by halves
    in uint8 (at most 64). A third of the time of masking the words once per cell column."""
    p = len(words)
    # (P, cell row, pixel row, cell column)
    counts = np.bitwise_count(np.ascontiguousarray(words, ">u4").view(np.uint8)).reshape(p, 4, 8, 4)
    while counts.shape[2] > 1:
        half = counts.shape[2] // 2
        counts = counts[:, :, :half] + counts[:, :, half:]
    return counts.reshape(p, 16).astype(np.float32)


def _two_largest(values: np.ndarray) -> np.ndarray:
    """``(P, 2)``: the largest and the second largest value of each row (a partial sort)."""
    return np.partition(values, values.shape[1] - 2, axis=1)[:, :-3:-1]


def pair_features(
    query32: np.ndarray,
    cand32: np.ndarray,
    query_raw: np.ndarray,
    cand_raw: np.ndarray,
    *,
    projected_cosine: np.ndarray,
    rerank_score: np.ndarray,
    below_best: np.ndarray,
    above_next: np.ndarray,
    side: np.ndarray,
    query_projected: np.ndarray | None = None,
    cand_projected: np.ndarray | None = None,
    vectors: bool = True,
    query_profiles: Profiles | None = None,
    cand_profiles: Profiles | None = None,
) -> np.ndarray:
    """``(P, PAIR_DIM)`` float32 features of P (query, candidate) pairs (``(P, SCALAR_DIM)``
    without ``vectors``).

    ``query32`` / ``cand32``: pooled rasters :func:`pooled32` ``(P, 32, 32)`` (``cand32`` may be
    the index's uint8 copy, 255 = ink); ``query_raw`` /
    ``cand_raw``: 512-d gradient features; ``projected_cosine`` / ``rerank_score``: the search's
    similarities of the pair; ``below_best`` / ``above_next``: how far its re-rank score is
    below the shortlist's best and above the best of the others. The verifier is trained
    with shortlists whose right character was hidden, so a look-alike is not believed for
    merely being first. Ink masks are compared bit-packed (a 32×32 mask is 32 words).
    ``query_profiles`` / ``cand_profiles``: see :func:`align_stored` (stored candidates only).
    """
    q = np.asarray(query32, np.float32)
    p = len(q)
    if np.asarray(cand32).dtype == np.uint8:  # stored references: shift the bytes, then scale
        shifted, dy, dx = align_stored(q, np.asarray(cand32), query_profiles=query_profiles, cand_profiles=cand_profiles)
        r = shifted.astype(np.float32) / np.float32(255)
    else:
        r = np.asarray(cand32, np.float32)
        dx = _best_shift(q.sum(axis=1), r.sum(axis=1))
        dy = _best_shift(q.sum(axis=2), r.sum(axis=2))
        r = _shift_by_slices(r, dy, dx)
    qw = _pack(q >= INK)
    rw = _pack(r >= INK)
    nq = np.maximum(_count(qw), 1)
    nr = np.maximum(_count(rw), 1)
    totals, blobs = {}, {}
    for radius in (1, 2):
        for who, mine, other in (("q", qw, rw), ("r", rw, qw)):
            extra = mine & ~_grow(other, radius)
            totals[(who, radius)] = _count(extra)
            blobs[(who, radius)] = _two_largest(_cell_counts(extra)) / 64
    feats: list[np.ndarray] = []
    feats += [totals[("q", 1)] / nq, totals[("q", 2)] / nq, totals[("r", 1)] / nr, totals[("r", 2)] / nr]
    feats += [blobs[("q", 1)][:, 0], blobs[("q", 2)][:, 0], blobs[("r", 1)][:, 0], blobs[("r", 2)][:, 0],
              blobs[("q", 2)][:, 1], blobs[("r", 2)][:, 1]]
    inter = _count(qw & rw)
    union = np.maximum(nq + nr - inter, 1)
    qg = q.reshape(p, -1)
    rg = r.reshape(p, -1)
    cos = np.einsum("pi,pi->p", qg, rg) / np.maximum(np.sqrt(np.einsum("pi,pi->p", qg, qg) * np.einsum("pi,pi->p", rg, rg)), 1e-9)
    ones = np.ones(GRID * GRID, np.float32)
    ink_ratio = np.log(np.maximum(qg @ ones, 1e-3) / np.maximum(rg @ ones, 1e-3))
    feats += [inter / union, cos, ink_ratio, (np.abs(dx) + np.abs(dy)).astype(np.float32)]
    qr = np.asarray(query_raw, np.float32)
    cr = np.asarray(cand_raw, np.float32)
    raw_cos = np.einsum("pi,pi->p", qr, cr)
    diff = np.abs(qr - cr).reshape(p, 8, 64).sum(axis=1)  # per 8×8 cell, over directions
    diff_sorted = -np.partition(-diff, 2, axis=1)[:, :3]
    side = np.asarray(side, np.float32)
    feats += [raw_cos, np.asarray(projected_cosine, np.float32), np.asarray(rerank_score, np.float32),
              np.asarray(below_best, np.float32), np.asarray(above_next, np.float32),
              diff_sorted.max(axis=1), diff_sorted.mean(axis=1), diff.mean(axis=1),
              ((side > 0) & (side <= 16)).astype(np.float32), ((side > 16) & (side <= 32)).astype(np.float32),
              np.minimum(side, 128) / 128]
    scalars = np.column_stack(feats).astype(np.float32)
    if not vectors:
        return scalars
    if query_projected is None or cand_projected is None:
        return np.concatenate([scalars, np.abs(qr - cr), np.zeros((p, 256), np.float32)], axis=1)
    qp, cp = np.asarray(query_projected, np.float32), np.asarray(cand_projected, np.float32)
    return np.concatenate([scalars, np.abs(qr - cr), qp * cp * np.float32(16)], axis=1)


@dataclass(frozen=True)
class Verifier:
    """A multilayer perceptron (ReLU hidden layers, logistic output) over standardised pair
    features: ``probability(features)`` is the chance the pair shows the same MJ glyph."""

    mean: np.ndarray
    scale: np.ndarray
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    columns: np.ndarray | None = None  # which of the pair features it reads (None: all)

    @property
    def needs_vectors(self) -> bool:
        """Whether it reads the vector blocks (else the scalar features are enough)."""
        return self.columns is None or bool(np.max(self.columns) >= SCALAR_DIM)

    def logit(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, np.float32)
        if self.columns is not None and x.shape[1] != len(self.columns):
            x = x[:, self.columns]
        h = (x - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w + b
            if i < len(self.weights) - 1:
                h = np.maximum(h, 0)
        return h[:, 0].astype(np.float64)

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(features), -40, 40)))

    def save(self, path: str | Path) -> None:
        names = _all_names()
        used = names if self.columns is None else tuple(names[i] for i in self.columns)
        arrays = {"mean": self.mean, "scale": self.scale, "names": np.array(used)}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            arrays[f"w{i}"] = w
            arrays[f"b{i}"] = b
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Verifier:
        with np.load(path) as data:
            names = tuple(str(n) for n in data["names"])
            where = {n: i for i, n in enumerate(_all_names())}
            if any(n not in where for n in names):
                raise ValueError(f"{path}: verifier was trained on other features; retrain it")
            columns = np.array([where[n] for n in names], np.intp)
            layers = sum(1 for k in data.files if k.startswith("w"))
            return cls(
                mean=data["mean"].astype(np.float32), scale=data["scale"].astype(np.float32),
                weights=tuple(data[f"w{i}"].astype(np.float32) for i in range(layers)),
                biases=tuple(data[f"b{i}"].astype(np.float32) for i in range(layers)),
                columns=None if len(columns) == len(where) else columns,
            )


def _all_names() -> tuple[str, ...]:
    return FEATURE_NAMES + tuple(f"{name}[{i}]" for name, n in VECTOR_BLOCKS for i in range(n))


def explain_difference(features: np.ndarray) -> str:
    """A reviewer's words for the strongest local difference in one pair's features.

    >>> f = np.zeros(PAIR_DIM, np.float32); f[FEATURE_NAMES.index("blob_cand_2px")] = 0.2
    >>> explain_difference(f)
    'the candidate has ink the gaiji lacks (a dot or stroke)'
    """
    f = np.asarray(features, np.float32)
    q = float(f[FEATURE_NAMES.index("blob_query_2px")])
    c = float(f[FEATURE_NAMES.index("blob_cand_2px")])
    if max(q, c) < 0.05:
        return "no local difference beyond stroke edges"
    if q >= c:
        return "the gaiji has ink the candidate lacks (a dot or stroke)"
    return "the candidate has ink the gaiji lacks (a dot or stroke)"
