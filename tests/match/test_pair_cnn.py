"""The pair network: the shipped graph is the documented network, fed the documented inputs, and
its logit joins the perceptron's only for the best candidates."""

from __future__ import annotations

import numpy as np
import pytest

from gaiji.match import pair_cnn
from gaiji.match.index import MODEL_DIR
from gaiji.match.pair_cnn import CNN_TOP, UNREAD_LOGIT, PairCNN, aligned_candidates, combined_logits

SHIPPED = MODEL_DIR / pair_cnn.FILE


def _numpy_forward(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The network of gaiji.match.train_pair_cnn written out in numpy: (P, 3, 32, 32) → (P,)."""
    convs = [k for k in weights if weights[k].ndim == 4]
    dense = [k for k in weights if weights[k].ndim == 2]
    bias = {w: weights[w.replace("weight", "bias")] for w in convs + dense}
    h = x.astype(np.float64)
    for w in sorted(convs, key=lambda k: int(k.split(".")[0])):
        kernel = weights[w].astype(np.float64)
        p, c, n, _ = h.shape
        padded = np.zeros((p, c, n + 2, n + 2))
        padded[:, :, 1:-1, 1:-1] = h
        out = np.zeros((p, len(kernel), n, n))
        for dy in range(3):
            for dx in range(3):
                out += np.einsum("pcyx,oc->poyx", padded[:, :, dy : dy + n, dx : dx + n], kernel[:, :, dy, dx])
        out = np.maximum(out + bias[w][None, :, None, None], 0)
        h = out.reshape(p, len(kernel), n // 2, 2, n // 2, 2).max(axis=(3, 5))
    h = h.reshape(len(h), -1)
    first, last = sorted(dense, key=lambda k: int(k.split(".")[0]))
    h = np.maximum(h @ weights[first].T + bias[first], 0)
    return (h @ weights[last].T + bias[last])[:, 0]


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no pair network shipped")
def test_the_shipped_graph_is_the_documented_network_on_real_pairs(match_index):
    """onnxruntime's output equals a plain numpy forward pass of the graph's own weights, on
    pairs of real MJ glyphs (the query = one glyph, the candidate = itself and a look-alike)."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(SHIPPED))
    weights = {t.name.removeprefix("f."): numpy_helper.to_array(t) for t in model.graph.initializer}
    assert [w.shape[0] for k, w in sorted(weights.items()) if w.ndim == 4] == sorted([16, 32, 32])
    rows = [i for i, r in enumerate(match_index.rows) if r.char in ("妹", "妺", "東", "束")]
    pooled = np.asarray(match_index.pooled[rows])
    q = np.repeat(pooled.astype(np.float32) / 255, len(rows), axis=0)
    c = aligned_candidates(q, np.tile(pooled, (len(rows), 1, 1)))
    net = PairCNN(SHIPPED)
    got = net.logit(q, c)
    a, b = q, c.astype(np.float32) / 255
    want = _numpy_forward(weights, np.stack([a, b, a - b], axis=1))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    same = got.reshape(len(rows), len(rows))
    # each glyph is its own best match: the network says so more than for any other of the four
    assert (same.argmax(axis=1) == np.arange(len(rows))).all()


class _Fixed:
    """A stand-in network that returns a fixed logit per (query, candidate) so the bookkeeping
    of combined_logits can be checked."""

    def __init__(self, table: dict[tuple[int, int], float]) -> None:
        self.table = table
        self.calls: list[int] = []

    def logit(self, query32: np.ndarray, cand32: np.ndarray) -> np.ndarray:
        self.calls.append(len(query32))
        return np.array([self.table[(round(float(q[0, 0]) * 255), int(c[0, 0]))] for q, c in zip(query32, cand32)],
                        np.float32)


def test_only_the_perceptrons_best_candidates_are_read_and_the_rest_stay_below():
    # 2 queries, CNN_TOP + 3 candidates each; pixel (0, 0) carries the query / candidate number
    v = CNN_TOP + 3
    pooled = np.zeros((v, 32, 32), np.uint8)
    pooled[:, 0, 0] = 10 * np.arange(1, v + 1)
    query = np.zeros((2, 32, 32), np.float32)
    query[:, 0, 0] = np.array([1, 2]) / 255
    rows = np.stack([np.arange(v), np.arange(v)[::-1]])
    mlp = np.random.default_rng(3).permutation(np.arange(2 * v, dtype=np.float64) - v).reshape(2, v)
    table = {(q, int(c)): (q * 1000 + int(c)) / 1000 for q in (1, 2) for c in pooled[:, 0, 0]}
    net = _Fixed(table)
    out = combined_logits(net, query, rows, pooled, mlp)  # type: ignore[arg-type]
    assert net.calls == [2 * CNN_TOP]
    best = np.argsort(-mlp, axis=1, kind="stable")[:, :CNN_TOP]
    for i in range(2):
        for j in range(v):
            cand = int(pooled[rows[i, j], 0, 0])
            extra = table[(i + 1, cand)] if j in best[i] else UNREAD_LOGIT
            assert out[i, j] == pytest.approx(mlp[i, j] + pair_cnn.CNN_WEIGHT * extra)
    # a candidate the network did not read never outranks one it read
    read = np.zeros_like(mlp, bool)
    np.put_along_axis(read, best, True, 1)
    assert (out[read].reshape(2, -1).min(axis=1) > np.where(read, -np.inf, out).max(axis=1)).all()


def test_a_session_is_opened_again_in_a_forked_process(tmp_path, monkeypatch):
    opened: list[str] = []

    class Session:
        def __init__(self, path, options, providers):  # type: ignore[no-untyped-def]
            opened.append(path)

        def run(self, _names, feeds):  # type: ignore[no-untyped-def]
            return [np.zeros((len(feeds["pairs"]), 1), np.float32)]

    import onnxruntime

    monkeypatch.setattr(onnxruntime, "InferenceSession", Session)
    net = PairCNN(tmp_path / "net.onnx")
    x = np.zeros((3, 32, 32), np.float32)
    net.logit(x, x.astype(np.uint8))
    net.logit(x, x.astype(np.uint8))
    assert len(opened) == 1
    net._pid = -2  # as a forked child sees it: another process
    net.logit(x, x.astype(np.uint8))
    assert len(opened) == 2
    import pickle

    copy = pickle.loads(pickle.dumps(net))  # as a Dask worker receives it: without the session
    assert copy.path == net.path and copy._session is None
    copy.logit(x, x.astype(np.uint8))
    assert len(opened) == 3
