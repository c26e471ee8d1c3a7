"""faiss's bundled OpenBLAS: which kernels it runs, and the warning when they are far too slow."""

from __future__ import annotations

import os

import pytest

from gaiji.faiss_loader import bundled_openblas_kernels, cpu_flags, load_faiss, slow_kernels_warning


def test_cpu_flags_read_the_first_processor(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(info) == {"fpu", "sse2", "avx2", "fma"}
    assert cpu_flags(tmp_path / "missing") == set()


def test_warns_only_for_pre_avx2_kernels_on_an_avx2_cpu():
    message = slow_kernels_warning("Prescott", {"avx2", "fma", "sse3"})
    assert message is not None and "OPENBLAS_CORETYPE=Haswell" in message and "Prescott" in message
    assert slow_kernels_warning("Barcelona", {"avx2", "fma"}) is not None
    assert slow_kernels_warning("Haswell", {"avx2", "fma"}) is None
    assert slow_kernels_warning("SkylakeX", {"avx2", "fma", "avx512f"}) is None
    assert slow_kernels_warning("Prescott", {"sse3"}) is None  # the CPU has nothing better
    assert slow_kernels_warning(None, {"avx2", "fma"}) is None  # no bundled OpenBLAS


def test_reports_the_kernels_the_loaded_openblas_runs():
    faiss = load_faiss()
    kernels = bundled_openblas_kernels(faiss)
    if kernels is None:
        pytest.skip("this faiss brings no OpenBLAS of its own")
    assert kernels.strip()
    chosen = os.environ.get("OPENBLAS_CORETYPE")
    if chosen:  # set before the library loaded: OpenBLAS runs what it names
        assert kernels.lower() == chosen.lower()


def test_a_few_queries_are_searched_by_blas_and_rank_exactly():
    import numpy as np

    from gaiji.faiss_loader import BLAS_THRESHOLD
    from gaiji.match.search import FlatSearcher

    faiss = load_faiss()
    assert faiss.cvar.distance_compute_blas_threshold == BLAS_THRESHOLD
    rng = np.random.default_rng(7)
    refs = rng.standard_normal((3000, 96)).astype(np.float32)
    queries = rng.standard_normal((300, 96)).astype(np.float32)  # fewer than faiss's own switch (1,334)
    scores, rows = FlatSearcher(refs, np.arange(3000) + 10).search(queries, 5)
    exact = queries.astype(np.float64) @ refs.T.astype(np.float64)
    assert np.array_equal(rows - 10, np.argsort(-exact, axis=1)[:, :5])
    assert np.allclose(scores, np.sort(exact, axis=1)[:, ::-1][:, :5], atol=1e-4)
