"""Every BLAS and OpenMP pool runs one thread inside gaiji's ranking, OpenCV's none, and each is
given back after."""

from __future__ import annotations

import multiprocessing

import cv2
import numpy as np
from threadpoolctl import threadpool_info

from gaiji.blas_threads import one_thread, opencv_without_pool, use_one_thread
from gaiji.faiss_loader import load_faiss


def _pools() -> dict[str, int]:
    return {p["filepath"]: p["num_threads"] for p in threadpool_info()}


def test_one_thread_in_every_pool_inside_the_block_and_restored_after():
    load_faiss()
    np.ones((4, 4)) @ np.ones((4, 4))  # numpy's BLAS loaded
    before = _pools()
    opencv_before = cv2.getNumThreads()
    with one_thread():
        inside = _pools()
        opencv_inside = cv2.getNumThreads()
    assert inside and set(inside.values()) == {1}
    assert set(inside) >= set(before)  # faiss's OpenBLAS and OpenMP are among them
    assert any("openblas" in path.lower() for path in inside)
    assert opencv_inside == 1  # OpenCV runs each call on the calling thread
    assert _pools() == before
    assert cv2.getNumThreads() == opencv_before


def _worker_pools(queue) -> None:  # type: ignore[no-untyped-def]
    use_one_thread()
    # OpenCV work that its pool would split: labelling and resizing a large image
    mask = (np.random.default_rng(0).random((2000, 2000)) > 0.5).astype(np.uint8)
    count, _ = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_32S)
    cv2.resize(mask, (1000, 1000), interpolation=cv2.INTER_AREA)
    queue.put((sorted(set(_pools().values())), cv2.getNumThreads(), count > 1))


def test_a_worker_keeps_one_thread_and_opencv_without_its_pool_after_the_parent_ran_that_pool():
    # the parent runs OpenCV's pool first: a child forked then must not hang in OpenCV
    big = np.random.default_rng(1).random((3000, 3000)).astype(np.float32)
    cv2.resize(big, (1500, 1500), interpolation=cv2.INTER_AREA)
    cv2.GaussianBlur(big, (9, 9), 2.0)
    before = cv2.getNumThreads()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with opencv_without_pool():
        child = context.Process(target=_worker_pools, args=(queue,))
        child.start()
    assert cv2.getNumThreads() == before  # the parent's setting is back at once
    child.join(60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked worker hung in OpenCV"
    assert queue.get(timeout=5) == ([1], 1, True)


def test_the_summary_names_each_blas_and_its_kernels():
    from gaiji.blas_threads import blas_summary

    text = blas_summary()
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas and all(p["filepath"].rsplit("/", 1)[-1] in text for p in blas)
    assert "kernels" in text


def test_the_cpu_summary_names_the_vector_extensions_the_speed_depends_on():
    from gaiji.blas_threads import cpu_summary

    info = "processor : 0\nmodel name : Some CPU\nflags : sse avx2 fma avx512f\n\nprocessor : 1\nmodel name : Some CPU\n"
    assert cpu_summary(info) == "Some CPU, 2 cores, avx2 fma avx512f"
    assert cpu_summary("processor : 0\nflags : sse sse2\n") == "unknown CPU, 1 core, no AVX2"
    assert cpu_summary().count(",") >= 2  # this machine's, read from /proc/cpuinfo
