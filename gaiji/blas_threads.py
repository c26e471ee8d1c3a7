"""One BLAS / OpenMP thread per process while gaiji fills the cores with processes.

gaiji parallelises by forking worker processes, one or two per core. The linear-algebra
libraries inside each process (numpy's OpenBLAS, faiss's own OpenBLAS and its OpenMP) start
threads of their own, one per core, by default — so three ranking workers on two cores ran
twelve threads that spun waiting for one another: ranking 13,000 gaiji took 8.3 s of CPU
instead of 5.7 s. A worker therefore limits every such pool to one thread as it starts
(:func:`use_one_thread`), and ranking inside the main process does the same for its duration
(:func:`one_thread`). One thread everywhere also keeps results the same whichever way a set
is ranked: a BLAS rounds a product by how it split it.

threadpoolctl finds and limits the pools of every library loaded, faiss's included.
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


def use_one_thread() -> None:
    """In a worker process: one thread in every BLAS and OpenMP pool from now on."""
    _limit()


@contextmanager
def one_thread() -> Iterator[None]:
    """One thread in every BLAS and OpenMP pool inside the block (restored afterwards)."""
    limits = _limit()
    try:
        yield
    finally:
        limits.restore_original_limits()  # type: ignore[attr-defined]
