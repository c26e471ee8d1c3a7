"""One BLAS / OpenMP thread per process while gaiji fills the cores with processes.

gaiji parallelises by forking worker processes, one or two per core. The linear-algebra
libraries inside each process (numpy's OpenBLAS, faiss's own OpenBLAS and its OpenMP) start
threads of their own, one per core, by default — so three ranking workers on two cores ran
twelve threads that spun waiting for one another: ranking 13,000 gaiji took 8.3 s of CPU
instead of 5.7 s. A worker therefore limits every such pool to one thread as it starts
(:func:`use_one_thread`), and ranking inside the main process does the same for its duration
(:func:`one_thread`). One thread everywhere also keeps results the same whichever way a set
is ranked: a BLAS rounds a product by how it split it.

threadpoolctl finds and limits the pools of every library loaded, faiss's included. OpenCV's
pool is not one it knows, and it is not fork-safe: ``cv2.setNumThreads`` in a forked child whose
parent had run that pool once hung for ever (stop 20's test suite caught it). So OpenCV's pool is switched off in the parent — inside
:func:`one_thread`, and by :func:`opencv_without_pool` around each fork (the children inherit
OpenCV without a pool and never touch the setting) — else every small call, labelling one
glyph's ink, say, woke the pool up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def _limit() -> object:
    from threadpoolctl import threadpool_limits

    from gaiji.faiss_loader import load_faiss

    try:
        load_faiss()  # loaded first, so that its pools are found and limited too
    except ImportError:  # pragma: no cover - faiss is a declared dependency
        pass
    return threadpool_limits(limits=1)


@contextmanager
def opencv_without_pool() -> Iterator[None]:
    """OpenCV runs every call on the calling thread inside the block, its setting restored
    after. Processes forked inside the block inherit OpenCV so (call this in the parent, never
    in a forked child)."""
    try:
        import cv2
    except ImportError:  # pragma: no cover - OpenCV is a declared dependency
        yield
        return
    before = cv2.getNumThreads()
    cv2.setNumThreads(0)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def use_one_thread() -> None:
    """In a worker process: one thread in every BLAS and OpenMP pool from now on (OpenCV's was
    switched off by the parent before the fork: :func:`opencv_without_pool`)."""
    _limit()


@contextmanager
def one_thread() -> Iterator[None]:
    """One thread in every BLAS and OpenMP pool inside the block, and OpenCV on the calling
    thread (each restored afterwards)."""
    limits = _limit()
    try:
        with opencv_without_pool():
            yield
    finally:
        limits.restore_original_limits()  # type: ignore[attr-defined]


def blas_summary() -> str:
    """The BLAS libraries loaded, with version and the kernels they run (for benchmark reports:
    the same code runs 2–4× apart on kernels a BLAS picked by recognising the CPU, or not)."""
    from threadpoolctl import threadpool_info

    from gaiji.faiss_loader import load_faiss

    try:
        load_faiss()
    except ImportError:  # pragma: no cover - faiss is a declared dependency
        pass
    found = [f"{p.get('internal_api', '?')} {p.get('version') or '?'} ({p.get('architecture') or '?'} kernels, "
             f"{p.get('filepath', '?').rsplit('/', 1)[-1]})" for p in threadpool_info() if p.get("user_api") == "blas"]
    return "; ".join(found) or "none found"


#: vector extensions that decide how fast the search, the features and the pair network run
CPU_FEATURES = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni")


def cpu_summary(cpuinfo: str | None = None) -> str:
    r"""The processor's model, core count and vector extensions (for benchmark reports: two
    machines of one kind ran the same code 2× apart, an AVX2 EPYC against an AVX-512 one).

    >>> cpu_summary("processor : 0\nmodel name : AMD EPYC\nflags : fpu sse avx2 fma\n")
    'AMD EPYC, 1 core, avx2 fma'
    """
    import os

    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                cpuinfo = handle.read()
        except OSError:
            return f"{os.cpu_count() or '?'} cores (no /proc/cpuinfo)"
    fields = [line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line]
    model = next((v.strip() for k, v in fields if k.strip() == "model name"), "unknown CPU")
    cores = sum(1 for k, _ in fields if k.strip() == "processor")
    flags = set(next((v.split() for k, v in fields if k.strip() == "flags"), []))
    have = " ".join(f for f in CPU_FEATURES if f in flags) or "no AVX2"
    return f"{model}, {cores} core{'s' if cores != 1 else ''}, {have}"
