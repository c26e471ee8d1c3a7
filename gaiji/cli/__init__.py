"""Command-line interface: one thin command per pipeline stage.

Each stage's commands live in their own module here and call one library function;
importing a stage module registers its commands on `cli`.
"""

from __future__ import annotations

from gaiji.cli import bench as _bench  # noqa: F401
from gaiji.cli import corpus as _corpus  # noqa: F401
from gaiji.cli import demo as _demo  # noqa: F401
from gaiji.cli import export as _export  # noqa: F401
from gaiji.cli import extract as _extract  # noqa: F401
from gaiji.cli import match as _match  # noqa: F401
from gaiji.cli import reference as _reference  # noqa: F401
from gaiji.cli import review as _review  # noqa: F401
from gaiji.cli.base import cli


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so atomic writes remove their temporary files (a SIGKILL
    cannot be caught: its leftovers are removed by the next run, see
    :func:`gaiji.fsutil.remove_stale_temporaries`)."""
    import signal
    import sys

    def stop(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread
        pass


def _short_blas_spin() -> None:
    """Idle OpenBLAS threads spin about 0.1 s (2^28 cycles) after every product before they
    sleep; beside `gaiji match`'s worker processes, which fill every core, that spinning was
    ~10 % of a run's CPU time. Shorten it (only how long idle threads wait changes, never a
    result). Read when NumPy loads, hence here, before any command runs; a value the user set
    wins."""
    import os

    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def main() -> None:
    """Console-script entry point."""
    _exit_on_sigterm()
    _short_blas_spin()
    cli(prog_name="gaiji")


__all__ = ["cli", "main"]
