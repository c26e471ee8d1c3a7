"""What each Dask worker loads once: the match index.

The index (about 200 MB of memory-mapped arrays plus the row table) is never shipped with a
task. Every worker opens it from the shared ``GAIJI_HOME`` path the first time it is needed —
or at start-up through :class:`MatchIndexPlugin` — and keeps it for every later task.
On a cluster, ``GAIJI_HOME`` (the built reference and its ``match/`` index) and the corpus
folder must be on storage every worker can read (NFS, a shared volume, …).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_INDEXES: dict[str, Any] = {}


def worker_index(home: str | None) -> Any:
    """The match index for the reference in *home* (default ``$GAIJI_HOME``), loaded once per process."""
    from gaiji.paths import gaiji_home

    key = str(Path(home) if home else gaiji_home())
    index = _INDEXES.get(key)
    if index is None:
        from gaiji.match.index import load_match_index
        from gaiji.reference import load_reference

        index = _INDEXES[key] = load_match_index(load_reference(Path(key)))
    return index


def loaded_homes() -> list[str]:
    """Homes whose index this process has loaded (the tests check it is loaded once)."""
    return sorted(_INDEXES)


def process_id() -> int:
    return os.getpid()


try:  # the plugin is only defined where distributed is installed (a declared dependency)
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover
    WorkerPlugin = object  # type: ignore[assignment,misc]


class MatchIndexPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Loads the match index when a worker starts (and when it is restarted)."""

    name = "gaiji-match-index"

    def __init__(self, home: str | None) -> None:
        self.home = home

    def setup(self, worker: Any) -> None:
        worker_index(self.home)
