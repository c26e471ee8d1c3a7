"""Progress reporting. Library functions take a ``progress`` callback and never print;
the CLI supplies :func:`stderr_progress`.

A callback is called as ``progress(done, total, label)``; ``total`` may be ``None``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

Progress = Callable[[int, "int | None", str], None]


def no_progress(done: int, total: int | None, label: str) -> None:
    """A progress callback that does nothing."""


def stderr_progress(*, quiet: bool = False, min_interval: float = 0.2) -> Progress:
    """A callback that draws one updating line on stderr (plain lines when not a TTY)."""
    if quiet:
        return no_progress
    is_tty = sys.stderr.isatty()
    state: dict[str, Any] = {"last": 0.0, "finished": None}

    def report(done: int, total: int | None, label: str) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - state["last"] < (min_interval if is_tty else 5.0):
            return
        if finished and state["finished"] == (label, done, total):
            return  # the same end reported twice (last chunk, then "done") prints once
        state["last"] = now
        state["finished"] = (label, done, total) if finished else None
        text = f"{label}: {done:,}" + (f"/{total:,} ({100 * done / max(total, 1):.0f}%)" if total else "")
        if is_tty:
            sys.stderr.write("\r\033[K" + text + ("\n" if finished else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return report
