"""Match the corpus and write every set's candidates, in one of two modes.

``exact`` (the default) ranks each set exactly as ``gaiji match SET`` does — the same
:func:`gaiji.match.matcher.match_rasters` call over the same rows in the same batches, from
the prepared rasters — so ``candidates/<set>.csv`` is byte-identical to the file
``gaiji match SET`` writes with the same number of BLAS threads (tested; Dask workers use
one). Sets are spread over the workers.

``dedupe`` ranks each distinct *match unit* once — what the matcher sees for one gaiji: its
canonical raster, the ink side in source pixels and its ledger hints. Identical glyphs with the same hints — the same vendor
bitmap in forty towns — are one unit, ranked once by
:func:`gaiji.match.matcher.match_rasters`; the ranking is then fanned out to every member and
each set's candidates are written by :func:`gaiji.match.writer.write_candidates`, the same
writer ``gaiji match`` uses. The matcher's linear algebra (BLAS) rounds the last bits
differently for a row in another batch, so a printed 4-decimal value can differ by 0.0001
from the per-set file (measured: 8 of 3,790 rows, in ``gap``); rankings are the same (tested).

Work is split into blocks of :data:`UNITS_PER_BLOCK` units (one Dask task each, its result
saved atomically under ``work/match/`` by a fingerprint of its content) and one task per set
for the candidates; a re-run skips every finished block and set.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from gaiji.corpus.prepare import FEATURE_DIM
from gaiji.corpus.prepare import TABLE as GAIJI_TABLE
from gaiji.corpus.registry import SetEntry
from gaiji.corpus.tables import table_dir
from gaiji.errors import ContractError
from gaiji.fsutil import atomic_write

UNITS_PER_BLOCK = 2048
MATCH_VERSION = "1"
WORK = "work"
CANDIDATES = "candidates"


@dataclass(frozen=True)
class MatchBlock:
    """Units to rank: where each unit's prepared row is (part file, row in it)."""

    corpus: str
    home: str | None
    refs: tuple[tuple[str, int], ...]
    top_k: int
    use_readings: bool
    fingerprint: str

    @property
    def path(self) -> Path:
        return Path(self.corpus) / WORK / "match" / f"{self.fingerprint}.pkl"


class _SetOutput:
    """Where a set's candidates file and its done-marker go (``corpus`` and ``entry`` fields)."""

    corpus: str
    entry: SetEntry

    @property
    def path(self) -> Path:
        return Path(self.corpus) / CANDIDATES / f"{self.entry.name}.csv"

    @property
    def done_marker(self) -> Path:
        return Path(self.corpus) / WORK / CANDIDATES / f"{self.entry.name}.json"


@dataclass(frozen=True)
class SetCandidates(_SetOutput):
    """One set's candidates file: its matched gaiji in set order, each pointing at a unit."""

    corpus: str
    home: str | None
    entry: SetEntry
    gaiji_ids: tuple[str, ...]
    picks: tuple[tuple[str, int], ...]  # (block fingerprint, row in block) per gaiji
    blank_ids: tuple[str, ...]
    top_k: int
    fingerprint: str


@dataclass(frozen=True)
class SetMatch(_SetOutput):
    """One set ranked the way ``gaiji match`` ranks it (exact mode)."""

    corpus: str
    home: str | None
    entry: SetEntry
    parts: tuple[str, ...]  # the set's prepared part files, in set order
    top_k: int
    use_readings: bool
    fingerprint: str


@dataclass
class MatchPlan:
    blocks: list[MatchBlock]
    sets: list[Any]  # SetCandidates (dedupe) or SetMatch (exact)
    gaiji: int
    units: int


MODES = ("exact", "dedupe")


def plan_match(
    corpus: str | Path, entries: list[SetEntry], *, home: str | None, index_key: str, top_k: int = 10,
    use_readings: bool = True, mode: str = "exact",
) -> MatchPlan:
    """Plan the work: per set (exact), or distinct units in blocks plus per-set writes (dedupe)."""
    if mode not in MODES:
        raise ContractError(f"match mode {mode!r}: use one of {', '.join(MODES)}")
    root = table_dir(corpus, GAIJI_TABLE)
    files = sorted(root.rglob("*.parquet")) if root.is_dir() else []
    if not files:
        raise ContractError(f"{root}: nothing prepared yet; run `gaiji corpus group {corpus}` first")
    cols = ["set", "gaiji_id", "position", "blank", "raster_hash", "side", "hints"]
    per_set: dict[str, list[tuple[int, str, bool, tuple[str, int], str]]] = {}
    for f in files:
        t = pq.read_table(f, columns=cols).to_pydict()
        for row, (s, g, pos, blank, h, side, hints) in enumerate(zip(*(t[c] for c in cols))):
            key = "" if blank else f"{h}:{side}:{hints if use_readings else ''}"
            per_set.setdefault(s, []).append((pos, g, blank, (str(f), row), key))
    unit_of: dict[str, int] = {}
    unit_refs: list[tuple[str, int]] = []
    names = [e.name for e in entries]
    missing = [n for n in names if n not in per_set]
    if missing:
        raise ContractError(f"sets not prepared: {', '.join(missing[:5])}; run `gaiji corpus group {corpus}`")
    for name in names:
        per_set[name].sort()
    if mode == "exact":
        jobs: list[Any] = []
        for e in entries:
            set_parts = tuple(dict.fromkeys(ref[0] for _, _, _, ref, _ in per_set[e.name]))
            fp = hashlib.sha256(json.dumps([MATCH_VERSION, index_key, top_k, use_readings, "exact",
                                            [Path(f).name for f in set_parts]]).encode()).hexdigest()[:24]
            jobs.append(SetMatch(str(corpus), home, e, set_parts, top_k, use_readings, fp))
        n_units = len({k for rows in per_set.values() for *_, k in rows if k})
        return MatchPlan([], jobs, sum(len(v) for v in per_set.values()), n_units)
    for name in names:
        for _, _, blank, ref, key in per_set[name]:
            if not blank and key not in unit_of:
                unit_of[key] = len(unit_refs)
                unit_refs.append(ref)
    keys = sorted(unit_of, key=unit_of.__getitem__)
    blocks: list[MatchBlock] = []
    where: dict[str, tuple[str, int]] = {}
    for start in range(0, len(keys), UNITS_PER_BLOCK):
        chunk = keys[start : start + UNITS_PER_BLOCK]
        fp = hashlib.sha256(
            json.dumps([MATCH_VERSION, index_key, top_k, use_readings, chunk]).encode()
        ).hexdigest()[:24]
        blocks.append(MatchBlock(str(corpus), home, tuple(unit_refs[unit_of[k]] for k in chunk), top_k,
                                 use_readings, fp))
        for i, k in enumerate(chunk):
            where[k] = (fp, i)
    sets: list[SetCandidates] = []
    for e in entries:
        rows = per_set[e.name]
        kept = [(g, where[k]) for _, g, blank, _, k in rows if not blank]
        blank_ids = tuple(g for _, g, blank, _, _ in rows if blank)
        fp = hashlib.sha256(json.dumps([kept, blank_ids, top_k]).encode()).hexdigest()[:24]
        sets.append(SetCandidates(str(corpus), home, e, tuple(g for g, _ in kept), tuple(p for _, p in kept),
                                  blank_ids, top_k, fp))
    return MatchPlan(blocks, sets, sum(len(v) for v in per_set.values()), len(keys))


def match_block(block: MatchBlock) -> str:
    """Rank one block of units on this worker (index loaded once per worker); skip if done."""
    if block.path.is_file():
        return str(block.path)
    from gaiji.corpus.worker import worker_index
    from gaiji.match.matcher import hints_for, match_rasters

    n = len(block.refs)
    rasters = np.zeros((n, 64, 64), np.uint8)
    feats = np.zeros((n, FEATURE_DIM), np.float32)
    sides = np.zeros(n, np.int64)
    readings = [""] * n
    extras: list[dict[str, str]] = [{}] * n
    by_file: dict[str, list[tuple[int, int]]] = {}
    for i, (f, row) in enumerate(block.refs):
        by_file.setdefault(f, []).append((i, row))
    for f, items in by_file.items():
        t = pq.read_table(f, columns=["raster", "features", "side", "reading", "extra"])
        take = t.take([row for _, row in items])
        raster_col = take.column("raster").to_pylist()
        feat_col = take.column("features").to_pylist()
        side_col = take.column("side").to_pylist()
        reading_col = take.column("reading").to_pylist()
        extra_col = take.column("extra").to_pylist()
        for j, (i, _) in enumerate(items):
            rasters[i] = np.frombuffer(raster_col[j], np.uint8).reshape(64, 64)
            feats[i] = feat_col[j]
            sides[i] = side_col[j]
            readings[i] = reading_col[j]
            extras[i] = json.loads(extra_col[j])
    hints = [hints_for(r, x) for r, x in zip(readings, extras)] if block.use_readings else None
    index = worker_index(block.home)
    ranked = match_rasters(index, rasters, hints, top_k=block.top_k, features=feats, sides=sides)
    with atomic_write(block.path, "wb") as out:
        pickle.dump(ranked, out, protocol=pickle.HIGHEST_PROTOCOL)
    return str(block.path)


def gather_ranked(parts: list[Any], picks: list[int]) -> Any:
    """Rows *picks* of the concatenation of ranked batches, field by field.

    Works on whatever fields the matcher's batch type has (arrays indexed by query, lists
    of per-query lists), so additions to the matcher's output carry through unchanged.
    """
    cls = type(parts[0])
    idx = np.asarray(picks, np.int64)
    values: dict[str, Any] = {}
    for f in fields(cls):
        items = [getattr(p, f.name) for p in parts]
        if isinstance(items[0], np.ndarray):
            values[f.name] = np.concatenate(items)[idx]
        elif isinstance(items[0], list):
            flat = [x for it in items for x in it]
            values[f.name] = [flat[i] for i in picks] if flat else []
        else:
            values[f.name] = items[0]
    return cls(**values)


def write_set_candidates(job: SetCandidates) -> dict[str, Any]:
    """Write one set's candidates CSV from the ranked blocks (skip if already written)."""
    marker = job.done_marker
    if _already_written(job.path, marker, job.fingerprint):
        return {"set": job.entry.name, "rows": None, "skipped": True}
    from gaiji.corpus.worker import worker_index
    from gaiji.match.matcher import MatchResult, match_rasters, withhold_framed
    from gaiji.match.writer import write_candidates

    index = worker_index(job.home)
    needed = sorted({fp for fp, _ in job.picks})
    offsets: dict[str, int] = {}
    parts: list[Any] = []
    total = 0
    for fp in needed:
        path = Path(job.corpus) / WORK / "match" / f"{fp}.pkl"
        with open(path, "rb") as fh:
            part = pickle.load(fh)
        offsets[fp] = total
        total += len(part)
        parts.append(part)
    if parts:
        ranked = gather_ranked(parts, [offsets[fp] + row for fp, row in job.picks])
    else:
        ranked = match_rasters(index, np.zeros((0, 64, 64), np.uint8), None, top_k=job.top_k)
    ranked = withhold_framed(ranked, list(job.gaiji_ids), job.entry.set_dir(Path(job.corpus)))
    result = MatchResult(gaiji_ids=list(job.gaiji_ids), ranked=ranked, index=index,
                         blank_ids=list(job.blank_ids))
    rows = write_candidates(result, job.path)
    with atomic_write(marker) as out:
        json.dump({"fingerprint": job.fingerprint, "rows": rows}, out)
    return {"set": job.entry.name, "rows": rows, "skipped": False,
            "auto_accepted": int(np.asarray(ranked.auto_accept).sum())}


def _already_written(path: Path, marker: Path, fingerprint: str) -> bool:
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
    except ValueError:
        return False


def match_set_exact(job: SetMatch) -> dict[str, Any]:
    """Rank one set as ``gaiji match`` does and write its candidates (skip if already written).

    Mirrors :func:`gaiji.match.matcher.match_gaiji_set` from the prepared rows: gaiji marked
    blank in glyphs.csv are left out first, the rest ranked in blocks of the matcher's
    ``BLOCK`` rows with glyphs that turned out empty skipped, one ``match_rasters`` call per block.
    """
    if _already_written(job.path, job.done_marker, job.fingerprint):
        return {"set": job.entry.name, "rows": None, "skipped": True}
    import pyarrow as pa

    from gaiji.corpus.prepare import features_of, rasters_of
    from gaiji.corpus.worker import worker_index
    from gaiji.match.matcher import BLOCK, MatchResult, hints_for, match_rasters, withhold_framed
    from gaiji.match.writer import write_candidates

    index = worker_index(job.home)
    table = pa.concat_tables([pq.read_table(f) for f in job.parts])
    table = table.sort_by("position")
    declared = np.asarray(table.column("declared_blank").to_pylist(), bool)
    ids = table.column("gaiji_id").to_pylist()
    blank_ids = [g for g, d in zip(ids, declared) if d]
    rec = np.flatnonzero(~declared)
    rasters_all = rasters_of(table)
    feats_all = features_of(table)
    sides_all = table.column("side").to_numpy()
    readings = table.column("reading").to_pylist()
    extras = table.column("extra").to_pylist()
    parts: list[Any] = []
    kept: list[str] = []
    for start in range(0, len(rec), BLOCK):
        rows = rec[start : start + BLOCK]
        empty = rasters_all[rows].reshape(len(rows), -1).max(axis=1) == 0
        blank_ids += [ids[i] for i, e in zip(rows, empty) if e]
        keep = rows[~empty]
        if len(keep):
            hints = [hints_for(readings[i], json.loads(extras[i])) for i in keep] if job.use_readings else None
            parts.append(match_rasters(index, rasters_all[keep], hints, top_k=job.top_k,
                                       features=feats_all[keep], sides=sides_all[keep]))
            kept += [ids[i] for i in keep]
    if parts:
        ranked = gather_ranked(parts, list(range(len(kept)))) if len(parts) > 1 else parts[0]
    else:
        ranked = match_rasters(index, np.zeros((0, 64, 64), np.uint8), None, top_k=job.top_k)
    ranked = withhold_framed(ranked, kept, job.entry.set_dir(Path(job.corpus)))
    result = MatchResult(gaiji_ids=kept, ranked=ranked, index=index, blank_ids=blank_ids)
    written = write_candidates(result, job.path)
    with atomic_write(job.done_marker) as out:
        json.dump({"fingerprint": job.fingerprint, "rows": written}, out)
    return {"set": job.entry.name, "rows": written, "skipped": False,
            "auto_accepted": int(np.asarray(ranked.auto_accept).sum())}
