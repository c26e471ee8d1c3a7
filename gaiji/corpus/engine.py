"""The Dask side: a client on an embedded ``LocalCluster`` or on an existing cluster, and a
helper that maps a library function over partitions with progress.

Tasks are the corpus library functions themselves (pure functions of a small partition
description that read and write the shared corpus folder), so what runs on a cluster is
exactly what runs here. The match index never travels with a task: :class:`MatchIndexPlugin`
loads it on each worker once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from gaiji.errors import GaijiError, InputError
from gaiji.progress import Progress, no_progress


class EngineError(GaijiError):
    """The Dask cluster cannot be reached or a task failed."""


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None, home: str | None = None,
                memory_limit: str = "auto") -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` (``tcp://host:8786``) when given, else on an
    embedded ``LocalCluster`` of *workers* single-threaded processes. The match index for
    *home* is loaded on every worker once (also on workers that join later)."""
    from distributed import Client, LocalCluster

    from gaiji.corpus.worker import MatchIndexPlugin

    cluster = client = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise EngineError(
                    f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address "
                    "(e.g. tcp://10.0.0.5:8786) and that `dask scheduler` is running"
                ) from exc
        else:
            n = workers or default_workers()
            if n < 1:
                raise InputError(f"--workers {n}: need at least one worker")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", memory_limit=memory_limit)
            client = Client(cluster)
        client.register_plugin(MatchIndexPlugin(home))
        yield client
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def map_partitions(client: Any, func: Callable[[Any], Any], items: Sequence[Any], *, label: str,
                   progress: Progress = no_progress) -> list[Any]:
    """Run ``func`` on every item on the cluster; results in item order; progress on stderr.

    A failed task stops the run with the task's error; tasks already finished keep their
    outputs on disk, so a re-run resumes.
    """
    from distributed import as_completed

    if not items:
        return []
    futures = client.map(func, list(items), pure=False)
    position = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(items)
    done = 0
    progress(0, len(items), label)
    try:
        for fut in as_completed(futures):
            try:
                results[position[fut.key]] = fut.result()
            except GaijiError:
                raise
            except Exception as exc:  # a worker-side failure: say which partition
                raise EngineError(f"{label}: a task failed on the cluster: {exc!r}") from exc
            done += 1
            progress(done, len(items), label)
    finally:
        client.cancel([f for f in futures if not f.done()])
    return results
