"""A small convolutional network that looks at a (gaiji, candidate) pair the way a reviewer does.

The verifier's multilayer perceptron (:mod:`gaiji.match.verify`) reads 25 numbers per pair —
how much ink differs, where the largest blob of difference sits, the search's similarities.
Stroke *lengths* and *ends* — 未 / 末 (妹 / 妺), 東 / 束, a short or a long hook — hardly move
those numbers. This network reads the pictures: the query's 32×32 raster, the candidate's
aligned to it (the verifier's shift) and their difference, through three 3×3 convolutions
(ReLU and 2×2 max pooling after each) and two dense layers, to one logit — the same glyph?

Its logit is added to the perceptron's for the perceptron's first :data:`CNN_TOP` candidates,
those it does not all but rule out (:data:`CNN_FLOOR`;
:func:`gaiji.match.verified.rank_rasters_verified`); the trust model is calibrated on the sum.
On the calibration fonts this raised rank-1 accuracy from 0.955 to 0.966 (see MATCH.md).
It reads gaiji of every size. Small bitmaps (at most 16 px) were left out until stop 19: on
real bitmap fonts neither learnt from nor benchmarked on, the network raised rank-1 accuracy
(+0.02 to +0.05) but ``no_match``, calibrated then on one map for all sizes, flagged gaiji that
have an MJ glyph three to four times as often. Small bitmaps now have trust maps of their own
(:class:`gaiji.match.trust.TrustModel`), fitted on the summed logits: on the held-out fonts of
``benchmarks/heldout_bitmaps.py`` rank 1 right rises by 0.020–0.043 (M+ 10 / 12 px, K12,
jiskan16) and 該当なし finds 2.5–3.4× as many of the gaiji whose character was hidden, while
flagging 1.3–15.5 % of those that have one (was 0.8–8.8 %); nothing that small is
auto-accepted either way.

Trained offline (:mod:`gaiji.match.train_pair_cnn`, PyTorch) and shipped as the ONNX graph
``gaiji/match/model/pair_cnn.onnx``, run with onnxruntime on one thread per process (matching
already spreads batches over forked workers; each process opens its own session).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

#: the perceptron's first this-many candidates per gaiji are also read by the network (calibration
#: fonts, rank 1 right: best 2 0.9660 / 0.9398 on one-glyph / variant queries, best 5 0.9687 /
#: 0.9414, all 10 0.9691 / 0.9414; see MATCH.md)
CNN_TOP = 5
#: … of those, only candidates the perceptron gives at least this log-odds (p ≈ 4.5·10⁻⁵). On 8,500
#: calibration queries (6,000 one-glyph, 2,500 variant): rank 1 right unchanged (0.9493 / 0.9428), half the
#: pairs read (42,500 → 21,696), ranking 15 % less CPU; a floor of −8 / −6 cost 0.0001 / 0.0003
CNN_FLOOR = -10.0
#: weight of the network's logit in the sum (chosen on the calibration fonts, see MATCH.md)
CNN_WEIGHT = 1.0
#: what a candidate the network did not read gets instead of its logit (it stays below the read ones)
UNREAD_LOGIT = -12.0
FILE = "pair_cnn.onnx"
BLOCK = 128  # pairs per run of the graph: ~28 MB of working memory, in cache (512: ~110 MB and a
#: third slower in a fresh process, whose first runs fault those pages in; the same logits)


def aligned_candidates(query32: np.ndarray, cand8: np.ndarray, *, cand_profiles: Any = None) -> np.ndarray:
    """The candidates' uint8 pooled rasters ``(P, 32, 32)`` moved onto the queries as the
    verifier moves them (:func:`gaiji.match.verify.align_stored`; ``cand_profiles``: theirs)."""
    from gaiji.match.verify import align_stored

    return align_stored(query32, cand8, cand_profiles=cand_profiles)[0]


class PairCNN:
    """The shipped network, opened lazily in each process (a session does not survive a fork)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._session = None
        self._pid = -1

    def __getstate__(self) -> dict[str, object]:  # pickled (to a Dask worker): the path, not a session
        return {"path": self.path}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(Path(str(state["path"])))  # type: ignore[misc]

    def _run(self, pairs: np.ndarray) -> np.ndarray:
        if self._session is None or self._pid != os.getpid():
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
            self._pid = os.getpid()
        return self._session.run(None, {"pairs": pairs})[0][:, 0]  # type: ignore[attr-defined]

    def logit(self, query32: np.ndarray, cand32_u8: np.ndarray) -> np.ndarray:
        """Per pair, the log-odds that query ``(P, 32, 32)`` float in [0, 1] and the aligned
        candidate ``(P, 32, 32)`` uint8 (255 = ink) show the same glyph."""
        q = np.asarray(query32, np.float32)
        c = np.asarray(cand32_u8, np.float32) * np.float32(1 / 255)
        if q.shape != c.shape or q.shape[1:] != (32, 32):
            raise ValueError(f"pairs of 32×32 rasters expected, got {q.shape} and {c.shape}")
        out = np.empty(len(q), np.float32)
        for i in range(0, len(q), BLOCK):
            a, b = q[i : i + BLOCK], c[i : i + BLOCK]
            out[i : i + BLOCK] = self._run(np.ascontiguousarray(np.stack([a, b, a - b], axis=1)))
        return out


def load_pair_cnn(folder: Path) -> PairCNN | None:
    path = Path(folder) / FILE
    return PairCNN(path) if path.is_file() else None


def combined_logits(cnn: PairCNN, query32: np.ndarray, rows: np.ndarray, pooled: np.ndarray,
                    mlp_logit: np.ndarray, *, profiles_of: Any = None) -> np.ndarray:
    """``(Q, V)``: the perceptron's logits of each query's shortlist ``rows`` plus the network's
    (times :data:`CNN_WEIGHT`) for the :data:`CNN_TOP` best by the perceptron that reach
    :data:`CNN_FLOOR`; the others get :data:`UNREAD_LOGIT` in its place. ``query32``:
    ``(Q, 32, 32)``; ``pooled``: the index's uint8 rasters; ``profiles_of(rows)``: their ink
    profiles (:meth:`gaiji.match.index.MatchIndex.pooled_profiles_of`), if at hand."""
    q, v = mlp_logit.shape
    k = min(CNN_TOP, v)
    top = np.argsort(-mlp_logit, axis=1, kind="stable")[:, :k]
    # a candidate the perceptron all but rules out is not read (calibration: the same rank 1)
    qi, kj = np.nonzero(np.take_along_axis(mlp_logit, top, 1) >= CNN_FLOOR)
    read = np.full((q, k), UNREAD_LOGIT, np.float64)
    if len(qi):
        qq = np.asarray(query32, np.float32)[qi]
        picked = rows[qi, top[qi, kj]]
        cc = np.asarray(pooled[picked])
        cand_profiles = None if profiles_of is None else profiles_of(picked)
        read[qi, kj] = cnn.logit(qq, aligned_candidates(qq, cc, cand_profiles=cand_profiles))
    extra = np.full((q, v), UNREAD_LOGIT, np.float64)
    np.put_along_axis(extra, top, read, 1)
    return mlp_logit + CNN_WEIGHT * extra
