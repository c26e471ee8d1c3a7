"""The corpus stages as library calls (the CLI is a thin layer over these)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from gaiji.corpus.engine import dask_client, map_partitions
from gaiji.corpus.registry import read_registry
from gaiji.progress import Progress, no_progress


def resolved_home(home: str | Path | None) -> str:
    """The reference folder as an absolute path (workers on a cluster open the same path)."""
    from gaiji.paths import gaiji_home

    return str(Path(home).resolve() if home else gaiji_home().resolve())


def matcher_fingerprint(home: str) -> str:
    """What the rankings depend on: the reference version and the matcher's own code."""
    import gaiji.match
    from gaiji.reference import load_reference

    digest = hashlib.sha256()
    ref = load_reference(Path(home))
    digest.update(str(ref.version.get("key")).encode())
    for f in sorted(Path(gaiji.match.__file__).parent.glob("*.py")):
        digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()[:16]


def prepare_and_group(corpus: str | Path, *, client: Any, progress: Progress = no_progress) -> dict[str, Any]:
    """Stage 1 (prepare every set's glyphs, on the cluster) and 2 (group, here)."""
    from gaiji.corpus.group import group_corpus
    from gaiji.corpus.prepare import plan_prepare, prepare_partition, stale_parts

    t0 = time.monotonic()
    entries = read_registry(corpus)
    parts = plan_prepare(corpus, entries)
    reused = sum(1 for p in parts if p.path.is_file())
    map_partitions(client, prepare_partition, parts, label="preparing glyphs", progress=progress)
    for old in stale_parts(corpus, parts):
        old.unlink()
    t1 = time.monotonic()
    grouping = group_corpus(corpus, progress=progress)
    t2 = time.monotonic()
    rel = grouping.memberships.column("relation").to_pylist()
    return {
        "corpus": str(corpus), "sets": len(entries), "gaiji": len(rel), "blank": rel.count("blank"),
        "groups": grouping.group_count, "identical": rel.count("identical"), "near": rel.count("near"),
        "partitions": len(parts), "partitions_reused": reused,
        "seconds": {"prepare": round(t1 - t0, 2), "group": round(t2 - t1, 2)},
    }


def match_corpus(corpus: str | Path, *, client: Any, home: str, top_k: int = 10, use_readings: bool = True,
                 mode: str = "exact", progress: Progress = no_progress) -> dict[str, Any]:
    """Stage 3: write candidates/<set>.csv for every set (see :mod:`gaiji.corpus.match` for the modes)."""
    from gaiji.corpus.match import match_block, match_set_exact, plan_match, write_set_candidates

    t0 = time.monotonic()
    entries = read_registry(corpus)
    plan = plan_match(corpus, entries, home=home, index_key=matcher_fingerprint(home), top_k=top_k,
                      use_readings=use_readings, mode=mode)
    reused = sum(1 for b in plan.blocks if b.path.is_file())
    map_partitions(client, match_block, plan.blocks, label="matching distinct glyphs", progress=progress)
    t1 = time.monotonic()
    written = map_partitions(client, write_set_candidates if mode == "dedupe" else match_set_exact, plan.sets,
                             label="writing candidates" if mode == "dedupe" else "matching sets",
                             progress=progress)
    t2 = time.monotonic()
    families = _families_if_grouped(corpus)
    t3 = time.monotonic()
    return {
        "corpus": str(corpus), "mode": mode, "sets": len(plan.sets), "gaiji": plan.gaiji,
        "distinct_units": plan.units,
        "blocks": len(plan.blocks), "blocks_reused": reused,
        "sets_reused": sum(1 for w in written if w["skipped"]),
        "families": families,
        "seconds": {"match": round(t1 - t0, 2), "write": round(t2 - t1, 2), "families": round(t3 - t2, 2)},
    }


def _families_if_grouped(corpus: str | Path) -> dict[str, Any] | None:
    """Cross-design families from the candidates just written (:mod:`gaiji.corpus.family`),
    when the corpus has been grouped (``match`` alone does not need ``group``)."""
    from gaiji.corpus.family import families_corpus
    from gaiji.corpus.group import GROUPS
    from gaiji.corpus.tables import table_dir

    if not (table_dir(corpus, GROUPS) / "national.parquet").is_file():
        return None
    return families_corpus(corpus)


def run_stages(corpus: str | Path, stages: tuple[str, ...], *, scheduler: str | None = None,
               workers: int | None = None, home: str | Path | None = None, top_k: int = 10,
               use_readings: bool = True, mode: str = "exact", progress: Progress = no_progress) -> dict[str, Any]:
    """Run ``group`` and/or ``match`` on one Dask client (embedded or at *scheduler*)."""
    home_s = resolved_home(home)
    read_registry(corpus)  # a clear error before any cluster starts
    out: dict[str, Any] = {"engine": scheduler or f"LocalCluster({workers or 'auto'} workers)"}
    t0 = time.monotonic()
    with dask_client(scheduler, workers=workers, home=home_s) as client:
        out["workers"] = len(client.scheduler_info().get("workers", {}))
        if "group" in stages:
            out["group"] = prepare_and_group(corpus, client=client, progress=progress)
        if "match" in stages:
            out["match"] = match_corpus(corpus, client=client, home=home_s, top_k=top_k,
                                        use_readings=use_readings, mode=mode, progress=progress)
    out["seconds"] = round(time.monotonic() - t0, 2)
    return out
