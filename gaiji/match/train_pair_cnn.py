"""Training the pair network (:mod:`gaiji.match.pair_cnn`) — offline, by ``scripts/train_matcher.py``.

Needs PyTorch and onnx (``pip install torch onnx``; `gaiji match` itself needs neither: it runs
the exported graph with onnxruntime). The network learns from the verifier's own pairs — every
(query, shortlist row) of the training queries, 35 % of them with the right character hidden —
as the 32×32 query raster, the candidate's raster aligned to it (the verifier's shift) and
their difference. Fixed seeds and a fixed thread count; ~5 minutes on 2 cores. Two fits on the
same pairs gave a byte-identical ``pair_cnn.onnx`` (2026-12-01).
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from gaiji.progress import Progress, no_progress

WIDTHS = (16, 32, 32)  # channels of the three convolutions
HIDDEN = 64  # units of the dense layer
EPOCHS = 4
BATCH = 512
LEARNING_RATE = 1e-3
THREADS = 2  # one thread was several times slower


def aligned_pairs(index: Any, rasters: np.ndarray, answers: np.ndarray, sides: np.ndarray, *,
                  hide: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(query32, candidate32, same)`` of every (query, verified shortlist row) pair: uint8
    ``(P, 32, 32)`` rasters (the candidate aligned as the verifier aligns it) and whether the row
    is the answer. ``hide``: per query, leave its character out of the search."""
    from gaiji.match.features import glyph_features
    from gaiji.match.pair_cnn import aligned_candidates
    from gaiji.match.ranking import SHORTLIST, search_shortlist
    from gaiji.match.verified import VERIFY
    from gaiji.match.verify import pooled32

    qs, cs, ys = [], [], []
    for i in range(0, len(rasters), 2048):
        r, a, s = rasters[i : i + 2048], answers[i : i + 2048], sides[i : i + 2048]
        exclude = None if hide is None else np.where(hide[i : i + 2048], index.groups[a], -1)
        short, _ = search_shortlist(index, glyph_features(r), s, SHORTLIST, exclude_groups=exclude)
        rows = short.rows[:, :VERIFY].reshape(-1)
        q = np.repeat(pooled32(r), VERIFY, axis=0)
        qs.append(np.round(q * 255).astype(np.uint8))
        cs.append(aligned_candidates(q, np.asarray(index.pooled[rows])))
        ys.append(rows == np.repeat(a, VERIFY))
    return np.concatenate(qs), np.concatenate(cs), np.concatenate(ys)


def _network(widths: tuple[int, ...] = WIDTHS, hidden: int = HIDDEN):  # type: ignore[no-untyped-def]
    from torch import nn

    a, b, c = widths
    return nn.Sequential(
        nn.Conv2d(3, a, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(b, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c * 16, hidden), nn.ReLU(), nn.Linear(hidden, 1),
    )


def _inputs(q: np.ndarray, c: np.ndarray):  # type: ignore[no-untyped-def]
    import torch

    a = torch.from_numpy(q.astype(np.float32) / 255)
    b = torch.from_numpy(c.astype(np.float32) / 255)
    return torch.stack([a, b, a - b], 1)


def fit_pair_cnn(query32: np.ndarray, cand32: np.ndarray, same: np.ndarray, *, seed: int,
                 epochs: int = EPOCHS, progress: Progress = no_progress) -> tuple[bytes, dict[str, Any]]:
    """Fit the network; returns the ONNX graph (input ``pairs`` ``(P, 3, 32, 32)``, output
    ``logit`` ``(P, 1)``) and what was fitted."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - training only
        raise RuntimeError("training the pair network needs PyTorch and onnx: pip install torch onnx") from exc

    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)  # a fixed thread count: the same partition of every sum
    net = _network()
    opt = torch.optim.Adam(net.parameters(), LEARNING_RATE)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    y = np.asarray(same, np.float32)
    rng = np.random.default_rng(seed)
    n = len(y)
    losses = []
    started = time.monotonic()
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        net.train()
        for i in range(0, n, BATCH):
            j = order[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(net(_inputs(query32[j], cand32[j])).squeeze(1), torch.from_numpy(y[j]))
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(j)
            if (i // BATCH) % 200 == 0:
                progress(epoch * n + i, epochs * n, "fitting the pair network")
        losses.append(round(total / n, 5))
    net.eval()
    buffer = io.BytesIO()
    torch.onnx.export(net, (torch.zeros(1, 3, 32, 32),), buffer, input_names=["pairs"], output_names=["logit"],
                      dynamic_axes={"pairs": {0: "n"}, "logit": {0: "n"}}, dynamo=False)
    info = {"method": f"CNN: 3×3 convolutions {WIDTHS} (ReLU, 2×2 max pool each), dense {HIDDEN}, logistic output;"
                      f" PyTorch, {THREADS} threads, Adam", "pairs": n, "positives": int(y.sum()), "epochs": epochs,
            "loss_per_epoch": losses, "seconds": round(time.monotonic() - started), "torch": torch.__version__}
    return buffer.getvalue(), info
