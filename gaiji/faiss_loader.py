"""faiss, loaded once: exact search by BLAS from a few queries on, and a warning when its BLAS
runs far below the machine's speed.

faiss computes a flat index's inner products either query by query (SIMD loops) or as one matrix
product (BLAS), from ``distance_compute_blas_threshold`` on. faiss-cpu 1.15 compares it with the
number of queries times the dimension (128,000: 1,334 queries of 96 dimensions), and below
that the query-by-query path took 4× longer per query here (480 µs against 120 µs over 59,161
glyphs) — which every batch of small bitmaps, and every set of turned or mirrored queries,
fell under. :data:`BLAS_THRESHOLD` is the value faiss long had (20 queries); counted as faiss-cpu
1.15 counts, every search of gaiji's now takes the matrix product, which was faster here from 8
queries on (280 µs against 560 µs a query) and for every larger set.

The faiss-cpu wheels bundle their own OpenBLAS (0.3.15 in faiss-cpu 1.15). An OpenBLAS picks its
kernels by recognising the CPU as the library loads, and one that does not know a CPU newer than
itself falls back to old SSE kernels ("Prescott", on this AMD machine "Barcelona"; OpenBLAS
issues #3453 and #4267). On the
AMD EPYC (Zen 5) machines gaiji is benchmarked on, that makes the exact nearest-neighbour
search of `gaiji match` — about half of its ranking time — 2.4× slower than the AVX2 kernels
("Haswell") the CPU runs.

gaiji does not choose kernels for the user: an old OpenBLAS may compute wrong results on a CPU
it does not know, and the choice belongs to whoever runs the machine. It says what it found and
how to change it (``OPENBLAS_CORETYPE``, read by OpenBLAS as it loads).
"""

from __future__ import annotations

import ctypes
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: OpenBLAS kernel families that use no AVX2 (a CPU with AVX2 left on them is misrecognised)
SLOW_KERNELS = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Sandybridge",
                "Katmai", "Coppermine", "Northwood", "Banias", "Opteron", "Barcelona", "Bobcat"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The instruction-set flags of the first processor in ``cpuinfo`` (empty where there is none)."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def bundled_openblas_kernels(faiss: Any) -> str | None:
    """The kernel family the OpenBLAS bundled with ``faiss`` runs, or None (no bundled OpenBLAS)."""
    libs = Path(faiss.__file__).resolve().parents[1] / "faiss_cpu.libs"
    for path in sorted(libs.glob("libopenblas*.so*")):
        try:
            get = ctypes.CDLL(str(path)).openblas_get_corename
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        name = get()
        return name.decode("ascii", "replace") if name else None
    return None


def slow_kernels_warning(kernels: str | None, flags: set[str]) -> str | None:
    """What to tell the user when OpenBLAS runs pre-AVX2 kernels on a CPU with AVX2, else None."""
    if kernels is None or kernels not in SLOW_KERNELS or not {"avx2", "fma"} <= flags:
        return None
    return (f"faiss's OpenBLAS does not recognise this CPU and runs its {kernels} kernels, so "
            "matching is about twice as slow as it could be. This CPU has AVX2: start gaiji with "
            "OPENBLAS_CORETYPE=Haswell in the environment to use them.")


#: faiss's switch to BLAS (queries × dimension in faiss-cpu 1.15, so every search of gaiji's uses it)
BLAS_THRESHOLD = 20


@lru_cache(maxsize=1)
def load_faiss() -> Any:
    """``import faiss`` (ImportError as it raises) with :data:`BLAS_THRESHOLD` set, warning once if
    its BLAS runs slow kernels."""
    import faiss

    faiss.cvar.distance_compute_blas_threshold = BLAS_THRESHOLD

    message = slow_kernels_warning(bundled_openblas_kernels(faiss), cpu_flags())
    if message:
        log.warning(message)
    return faiss
