"""Match a whole gaiji set: read it, normalise every glyph, rank in vectorised batches.

Usage::

    from gaiji.match import match_gaiji_set, write_candidates
    result = match_gaiji_set("city-set/", top_k=10)
    write_candidates(result, "candidates.csv")
"""

from __future__ import annotations

import functools
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from gaiji.blas_threads import one_thread, opencv_without_pool, use_one_thread
from gaiji.errors import ContractError, InputError, UnreadableImages, listing
from gaiji.gc_pause import gc_paused
from gaiji.match.features import FEATURE_DIM, glyph_features
from gaiji.match.fuse import ledger_readings
from gaiji.match.index import MatchIndex, load_match_index
from gaiji.match.pieces import Pieces, read_without_pieces
from gaiji.match.ranking import QueryHints, RankedBatch, rank_rasters
from gaiji.match.verified import rank_rasters_verified
from gaiji.progress import Progress, no_progress

BATCH = 1024  # gaiji ranked at once by one worker (~1 s); smaller last batches leave less idle
BLOCK = 50_000  # gaiji prepared before ranking; bounds memory (~200 MB per block)
CHUNK = 512  # images per worker task
MATCHERS = ("v2", "v1")
DEFAULT_MATCHER = "v2"
PARALLEL_MIN = 2000  # below this, one process prepares images faster than starting workers


@dataclass
class MatchResult:
    """Candidates for every gaiji of a set (blank glyphs have none)."""

    gaiji_ids: list[str]  # gaiji with candidates, in set order
    ranked: RankedBatch
    index: MatchIndex
    blank_ids: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    extra_rows: list[Any] = field(default_factory=list)  # added reference sets' rows (gaiji.match.refsets)
    same_glyph: Any = None  # MJ entries that are one glyph (gaiji.match.twins.SameGlyphGroups)
    #: the candidates as output text, ``(format, text, rows)`` per batch in order, written out where
    #: they were ranked (``match_gaiji_set(…, formatting=…)``; gaiji.match.writer copies them)
    formatted: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def reference_version(self) -> str:
        return self.index.reference_version


_COUNT_CELL = re.compile(r"\s*(\d+)\s*(?:画|strokes?)?\s*$")  # 12, 12画, 12 strokes


def _int_or_none(value: str | None) -> int | None:
    """``'12'``, ``'１２'``, ``'12画'`` → 12; anything else None (only the digits are widened)."""
    m = _COUNT_CELL.match(unicodedata.normalize("NFKC", value or ""))
    return int(m.group(1)) if m else None


def _radical(value: str | None, radical_names: Mapping[str, int] | None) -> int | None:
    """A 康煕部首 number 1–214, or the radical as a character (``木``, ``氵``, ``⽊``) when
    ``radical_names`` (:meth:`gaiji.reference.database.Reference.radical_names`) knows it."""
    number = _int_or_none(value)
    if number is not None:
        return number if 1 <= number <= 214 else None
    name = (value or "").strip()
    return None if not name or radical_names is None else radical_names.get(name)


def hints_for(reading: str, extra: Mapping[str, str], radical_names: Mapping[str, int] | None = None) -> QueryHints:
    """Ledger hints of one gaiji: reading plus optional ``radical`` / ``strokes`` columns (as
    :mod:`gaiji.extract.ledger` carries them into the set; a radical given as a character is
    read with ``radical_names``)."""
    radical = _radical(extra.get("radical") or extra.get("部首"), radical_names)
    strokes = _int_or_none(extra.get("strokes") or extra.get("画数"))
    return QueryHints(readings=tuple(ledger_readings(reading)), radical=radical, strokes=strokes)


Chunk = tuple[np.ndarray, np.ndarray, np.ndarray, Pieces, np.ndarray]


def _prepare_chunk(paths: list[str]) -> Chunk:
    """Decode, normalise (vectorised over same-size images) and describe a chunk of images: its
    rasters, features and ink sides; a second reading of those with a piece of ink cut off at an
    edge, without it; and which had marks in colour taken out
    (:func:`gaiji.match.prepare.prepare_paths_and_pieces`)."""
    from gaiji.match.prepare import prepare_paths_and_pieces

    rasters, sides, which, other, other_sides, marked = prepare_paths_and_pieces(paths)
    pieces = Pieces(which, other, glyph_features(other), other_sides.astype(np.int64))
    return rasters, glyph_features(rasters), sides.astype(np.int64), pieces, marked


def _prepare_chunk_here(paths: list[str]) -> Chunk:
    """:func:`_prepare_chunk` in this process, with one thread everywhere, as a worker runs it."""
    with one_thread():
        return _prepare_chunk(paths)


def _fork_context() -> Any:
    """The ``fork`` start method where the platform has it (workers inherit the loaded index
    and the prepared queries without copying them), else ``None``: run in this process — also
    inside a daemonic process (a Dask worker, a pool's worker), which may not have children."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return None
    try:
        return multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - Windows
        return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _keep_freed_memory() -> None:
    """In a worker process: let glibc keep freed heap memory for the next batch instead of
    handing it back to the system at once. Every chunk allocates and frees arrays of tens
    of MB; fresh pages cost a page fault each, and those were a third of a run's CPU time
    in the system. Nothing happens where the C library is not glibc."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: give memory back above 1 GB free only
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: the largest glibc takes
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _worker_start() -> None:
    """A worker (preparing or ranking) runs one thread (BLAS, OpenMP; OpenCV none, as forked):
    the workers themselves fill the cores."""
    _keep_freed_memory()
    use_one_thread()


class PreparingQueries:
    """Glyph images being loaded, normalised and described, in :data:`CHUNK`-image chunks.

    Large sets are spread over worker processes (one per core) that start at once, so the
    caller can load the match index meanwhile; :meth:`result` collects the chunks in order.
    """

    def __init__(self, paths: list[str], *, workers: int | None = None) -> None:
        self.n = len(paths)
        workers = workers if workers is not None else _cores()
        self.starts = list(range(0, self.n, CHUNK))
        #: the images with a piece of ink cut off at an edge, read again without it (set by :meth:`result`)
        self.pieces = Pieces.none()
        #: per image, whether marks in colour were taken out of it (set by :meth:`result`)
        self.marked = np.zeros(self.n, bool)
        self._chunks = [paths[i : i + CHUNK] for i in self.starts]
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Any] = []
        context = _fork_context() if self.n >= PARALLEL_MIN and workers > 1 else None
        if context is not None:
            with opencv_without_pool():  # the workers are forked at the first submit
                self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start)
                self._futures = [self._pool.submit(_prepare_chunk, chunk) for chunk in self._chunks]

    def chunks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, Pieces, np.ndarray]]:
        """``(start, rasters, features, sides, pieces, marked)`` per chunk, in order. Chunks with unreadable
        images are skipped until every chunk has been read; then one
        :class:`~gaiji.errors.UnreadableImages` names the images of all of them."""
        problems: list[tuple[str, str]] = []
        try:
            if self._pool is not None:
                results = [future.result for future in self._futures]
            else:
                results = [functools.partial(_prepare_chunk_here, chunk) for chunk in self._chunks]
            for start, result in zip(self.starts, results):
                try:
                    prepared = result()
                except UnreadableImages as exc:
                    problems += exc.problems
                    continue
                if not problems:  # after a bad chunk only the problems matter
                    yield (start, *prepared)
        finally:
            self.close()
        if problems:
            raise UnreadableImages(problems)

    def close(self) -> None:
        """Stop the workers (unfinished chunks are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def result(self, progress: Progress = no_progress) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rasters = np.zeros((self.n, 64, 64), np.uint8)
        feats = np.zeros((self.n, FEATURE_DIM), np.float32)
        sides = np.zeros(self.n, np.int64)
        pieces = []
        for start, r, f, sd, more, marked in self.chunks():
            rasters[start : start + len(r)] = r
            feats[start : start + len(r)] = f
            sides[start : start + len(r)] = sd
            pieces.append(more.moved(start))
            self.marked[start : start + len(r)] = marked
            progress(start + len(r), self.n, "reading glyphs")
        self.pieces = Pieces.joined(pieces)
        return rasters, feats, sides


def prepared_chunks(
    paths: list[str], *, workers: int | None = None
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(start, rasters, features, sides)`` per chunk of :data:`CHUNK` images, in order.

    Large sets are spread over worker processes (one per core).
    """
    for start, rasters, features, sides, *_ in PreparingQueries(paths, workers=workers).chunks():
        yield start, rasters, features, sides


def prepare_queries(
    paths: list[str], *, progress: Progress = no_progress, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load, normalise and describe glyph images:
    ``(rasters (N,64,64) uint8, features (N,512), ink side in source pixels (N,))``."""
    return PreparingQueries(paths, workers=workers).result(progress)


def prepare_rasters(paths: list[str], *, progress: Progress = no_progress, workers: int | None = None) -> np.ndarray:
    """Load and normalise glyph images to canonical rasters."""
    return prepare_queries(paths, progress=progress, workers=workers)[0]


#: what forked ranking workers read (set just before the pool forks, cleared after)
_RANKING: dict[str, Any] = {}


def _rank_batch(start: int) -> RankedBatch:
    """In a forked worker: rank the batch starting at ``start`` of the inherited job."""
    return _rank_job(_RANKING, start)


def _rank_job(job: dict[str, Any], start: int) -> RankedBatch:
    stop = start + BATCH
    hints, features, sides = job["hints"], job["features"], job["sides"]
    batch = {"start": start, "rasters": np.asarray(job["rasters"][start:stop]),
             "hints": None if hints is None else hints[start:stop],
             "features": None if features is None else np.asarray(features[start:stop]),
             "sides": None if sides is None else sides[start:stop]}
    exclude = job.get("exclude_groups")
    more = {} if exclude is None else {"exclude_groups": exclude[start:stop]}
    ranked = job["rank"](job["index"], batch["rasters"], batch["hints"], top_k=job["top_k"],
                         features=batch["features"], sides=batch["sides"], **more)
    return ranked if job["then"] is None else job["then"](ranked, batch)


@gc_paused()  # ranking makes no reference cycles; see gaiji.gc_pause
def match_rasters(
    index: MatchIndex,
    rasters: np.ndarray,
    hints: list[QueryHints] | None = None,
    *,
    top_k: int = 10,
    features: np.ndarray | None = None,
    sides: np.ndarray | None = None,
    progress: Progress = no_progress,
    matcher: str = DEFAULT_MATCHER,
    workers: int = 1,
    then: Callable[[RankedBatch, dict[str, Any]], RankedBatch] | None = None,
    exclude_groups: np.ndarray | None = None,
) -> RankedBatch:
    """Rank in batches of :data:`BATCH` and stitch the results.

    ``then(ranked, batch)``: applied to each batch's ranking where it was ranked (in the worker),
    with the batch's ``start`` (its first gaiji's position in ``rasters``), ``rasters``,
    ``hints``, ``features`` and ``sides`` — for what is decided gaiji by gaiji after MJ (added
    reference sets, the same-glyph tie rule) and for writing the rows out there.

    ``matcher``: ``v2`` (default: shortlist verified pair by pair, trusted confidence,
    ``no_match`` and ``ucs_confidence``) or ``v1`` (the earlier feature-similarity ranking).
    ``workers`` > 1: batches are ranked by that many forked processes at once, each with one
    search thread (the batches are the same, so are the results). ``exclude_groups`` (v2 only):
    per gaiji, a character group left out of its search (see :func:`rank_rasters_verified`).
    """
    if matcher not in MATCHERS:
        raise InputError(f"unknown matcher {matcher!r}; use one of {', '.join(MATCHERS)}")
    if exclude_groups is not None and matcher != "v2":
        raise ValueError("exclude_groups is a v2 ranking option")
    n = len(rasters)
    starts = list(range(0, n, BATCH))
    job = {"index": index, "rasters": rasters, "hints": hints, "top_k": top_k, "features": features, "sides": sides,
           "rank": rank_rasters if matcher == "v1" else rank_rasters_verified, "then": then,
           "exclude_groups": exclude_groups}
    context = _fork_context() if workers > 1 and len(starts) > 1 else None
    parts: list[RankedBatch] = []
    if context is None:
        with one_thread():
            for start in starts:
                parts.append(_rank_job(job, start))
                progress(min(start + BATCH, n), n, "matching")
    else:
        _RANKING.update(job)  # inherited by the workers at fork
        try:
            with opencv_without_pool(), ProcessPoolExecutor(
                max_workers=min(workers, len(starts)), mp_context=context, initializer=_worker_start
            ) as pool:
                for start, part in zip(starts, pool.map(_rank_batch, starts)):
                    parts.append(part)
                    progress(min(start + BATCH, n), n, "matching")
        finally:
            _RANKING.clear()
    if not parts:
        return _empty(top_k)
    return concat_batches(parts)


def _empty(top_k: int) -> RankedBatch:
    z = np.zeros((0, top_k))
    return RankedBatch(
        rows=z.astype(np.int64), score=z, image_score=z, rerank_score=z, reading_score=z,
        radical_strokes_score=z, gap=z, confidence=z, auto_accept=np.zeros(0, bool), reading_matched=[],
    )


def concat_batches(parts: list[RankedBatch]) -> RankedBatch:
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])
    opt = lambda name: None if any(getattr(p, name) is None for p in parts) else cat(name)
    return RankedBatch(
        verify_score=opt("verify_score"), ucs_confidence=opt("ucs_confidence"), no_match=opt("no_match"),
        stratum=[s for p in parts for s in p.stratum], evidence=[e for p in parts for e in p.evidence],
        rows=cat("rows"), score=cat("score"), image_score=cat("image_score"),
        rerank_score=cat("rerank_score"), reading_score=cat("reading_score"),
        radical_strokes_score=cat("radical_strokes_score"), gap=cat("gap"),
        confidence=cat("confidence"), auto_accept=cat("auto_accept"),
        reading_matched=[m for p in parts for m in p.reading_matched],
        formatted=[t for p in parts for t in p.formatted] if all(p.formatted for p in parts) else [],
    )


def _withhold(ranked: RankedBatch, ids: list[str], flagged: set[str], note: str) -> RankedBatch:
    """No auto-accept for the gaiji ``flagged``, and their evidence begins with ``note``: pictures
    with straight lines of ink along their edges (:mod:`gaiji.extract.frames`: a cell's border
    read as part of the glyph turns 木 into 困 and 二 into 三, and calibration never saw one), read
    without a piece at the edge (:mod:`gaiji.match.pieces`), or with marks in colour taken out."""
    mask = np.array([g in flagged for g in ids], bool)
    if not mask.any():
        return ranked
    evidence = ranked.evidence
    if len(evidence) == len(ids):
        evidence = [note + e if m else e for e, m in zip(evidence, mask)]
    return replace(ranked, auto_accept=np.asarray(ranked.auto_accept, bool) & ~mask, evidence=evidence)


def withhold_framed(ranked: RankedBatch, ids: list[str], set_dir: str | Path) -> RankedBatch:
    """:func:`_withhold` for the framed pictures among the gaiji ``ids`` of the set in ``set_dir``, as its
    provenance lists them (``gaiji corpus`` writes each set's candidates so)."""
    import json

    from gaiji.extract.gaijiset import PROVENANCE_JSON, framed_pictures

    try:
        provenance = json.loads((Path(set_dir) / PROVENANCE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ranked  # no provenance: nothing was flagged (read_gaiji_set reported it already)
    from gaiji.match.verified import FRAMED_NOTE

    framed = set(framed_pictures(provenance))
    return _withhold(ranked, ids, framed, FRAMED_NOTE) if framed else ranked


def _rank_workers(cores: int) -> int:
    """Ranking processes: one per core. Each starts by paying for the memory its first batches
    touch (on this project's 2-core VM, ~9 ms of system time per fresh MB); a third process on 2
    cores, meant to keep both busy over the last uneven batches of 2,048, cost as much as it won
    (batches of 1,024 now: `benchmarks/match_e2e.py`, 4 rounds each, means within 1 %)."""
    return cores


@gc_paused()  # loading the index and ranking make no reference cycles; see gaiji.gc_pause
def match_gaiji_set(
    set_dir: str | Path,
    reference: Any = None,
    *,
    top_k: int = 10,
    progress: Progress = no_progress,
    rebuild_index: bool = False,
    use_readings: bool = True,
    matcher: str = DEFAULT_MATCHER,
    ref_sets: list[Any] | None = None,
    home: Path | None = None,
    formatting: str | None = None,
) -> MatchResult:
    """Rank MJ candidates for every gaiji in the set folder ``set_dir``.

    ``reference`` defaults to :func:`gaiji.reference.load_reference` of ``home`` (loaded while
    the images are being read). The match index is
    built on first use (a few minutes) and cached beside the reference. ``ref_sets``: added
    reference sets to rank too (default: every set installed beside the reference; ``[]``
    for MJ only), see :mod:`gaiji.match.refsets`. ``formatting`` (``csv`` or ``jsonl``): also
    write each batch's rows out as that text where the batch is ranked, so that
    :func:`gaiji.match.writer.write_candidates` has only to copy them (:attr:`MatchResult.formatted`).
    """
    from gaiji.extract.gaijiset import framed_pictures, read_gaiji_set

    if matcher not in MATCHERS:
        raise InputError(f"--matcher {matcher}: use one of {', '.join(MATCHERS)}")
    if top_k < 1 or top_k > 100:
        raise InputError(f"--top {top_k}: choose between 1 and 100 candidates per gaiji")
    if formatting is not None:
        from gaiji.match.writer import FORMATS

        if formatting not in FORMATS:
            raise InputError(f"unknown format {formatting!r}; use one of {', '.join(FORMATS)}")
    # check the set first: a broken set should fail before a (first-run) index build
    gset = read_gaiji_set(set_dir)
    if len(gset) == 0:
        raise ContractError(f"{set_dir}: the gaiji set has no glyphs; run `gaiji extract` on your sources first")
    records = [r for r in gset.records if not r.blank]
    blank_ids = [r.gaiji_id for r in gset.records if r.blank]
    root = str(gset.path)
    paths = [os.path.join(root, r.image) for r in records]  # r.image_path, without pathlib's cost
    missing = [f"{path} (gaiji {r.gaiji_id})" for r, path in zip(records, paths) if not os.path.isfile(path)]
    if missing:
        raise ContractError(f"{len(missing):,} image{'s' if len(missing) != 1 else ''} of the set "
                            f"{'are' if len(missing) != 1 else 'is'} missing:\n{listing(missing)}\nre-run gaiji extract")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    cores = _cores()
    # the first block's images are read by worker processes while this one loads the index
    preparing = PreparingQueries(paths[:BLOCK], workers=cores)
    try:
        if reference is None:
            from gaiji.reference import load_reference

            reference = load_reference(home)
        index = load_match_index(reference, rebuild=rebuild_index, progress=progress)
        # -- beyond the MJ index (issue 11): added reference sets (gaiji.match.refsets: own cached
        # features, merged by score) and same-glyph MJ entries (gaiji.match.twins: the tie rule)
        from gaiji.match.refsets import open_set_indexes, rank_with_sets
        from gaiji.match.twins import apply_tie_rule, same_glyph_groups
        from gaiji.match.verified import CUT_NOTE, FRAMED_NOTE, MARKS_NOTE
        from gaiji.reference.refsets import load_sets

        set_indexes = open_set_indexes(load_sets(Path(reference.home).parent) if ref_sets is None else ref_sets,
                                       index, progress=progress)
        same_glyph = same_glyph_groups(reference)
        if len(records) > BATCH:  # build the search structures once, before workers fork
            from gaiji.match.reading_candidates import reading_lookup

            for idx in (index, *set_indexes.indexes):
                idx.searcher, idx.small_searcher, idx.pooled_profiles  # noqa: B018
                if use_readings:  # else each ranking worker would index MJ's readings again (~0.25 s)
                    reading_lookup(idx)
    except BaseException:
        preparing.close()
        raise
    timings["index_load"] = time.monotonic() - t0
    t1 = time.monotonic()
    radical_names = reference.radical_names() if use_readings and hasattr(reference, "radical_names") else None
    hints = [hints_for(r.reading, r.extra, radical_names) for r in records] if use_readings else None

    def after_mj(ranked: RankedBatch, batch: dict[str, Any]) -> RankedBatch:
        """Added reference sets ranked for the same gaiji and merged, then the same-glyph tie rule
        (issue 11) — in the ranking workers, batch by batch, as each gaiji is decided alone."""
        ranked, batch, second = read_without_pieces(index, ranked, batch, block_pieces, matcher, top_k)
        ranked = rank_with_sets(index, set_indexes, ranked, batch["rasters"], batch["hints"], top_k=top_k,
                                features=batch["features"], sides=batch["sides"])
        ranked = apply_tie_rule(ranked, same_glyph)
        ids = block_ids[batch["start"] : batch["start"] + len(ranked)]
        if len(second):  # read without a piece cut off at the edge: perhaps not the whole glyph
            ranked = _withhold(ranked, ids, {ids[i] for i in second}, CUT_NOTE)
        if marked:  # marks in colour taken out: the colour may have been the glyph
            ranked = _withhold(ranked, ids, marked, MARKS_NOTE)
        if framed:
            ranked = _withhold(ranked, ids, framed, FRAMED_NOTE)
        if formatting is not None:  # the rows as text, here in the worker (the same text as written later)
            from gaiji.match.writer import format_rows

            part = MatchResult(gaiji_ids=ids, ranked=ranked, index=index, extra_rows=set_indexes.rows,
                               same_glyph=same_glyph)
            ranked.formatted = [(formatting, *format_rows(part, formatting, 0, len(ids)))]
        return ranked

    parts: list[RankedBatch] = []
    framed = set(framed_pictures(gset.provenance))  # extract saw lines along their edges: never auto-accepted
    block_pieces = Pieces.none()  # of the block being ranked (read by after_mj in the workers)
    marked: set[str] = set()  # pictures with marks in colour taken out: never auto-accepted
    block_ids: list[str] = []  # the gaiji of the block being ranked (read by after_mj in the workers)
    kept: list[str] = []
    n = len(records)
    # prepare a block of images on every core, then rank it in batches on every core (the
    # block bounds memory); worker processes are forked, so they share the loaded index
    for block in range(0, n, BLOCK):
        block_records = records[block : block + BLOCK]
        if block > 0:
            preparing = PreparingQueries(paths[block : block + BLOCK], workers=cores)
        t_block = time.monotonic()
        rasters, feats, sides = preparing.result(progress)
        marked.update(r.gaiji_id for r, m in zip(block_records, preparing.marked) if m)
        timings["prepare"] = timings.get("prepare", 0.0) + time.monotonic() - t_block
        t_block = time.monotonic()
        empty = rasters.reshape(len(rasters), -1).max(axis=1) == 0
        blank_ids += [r.gaiji_id for r, e in zip(block_records, empty) if e]
        keep = ~empty
        if keep.any():
            block_hints = None if hints is None else [h for h, k in zip(hints[block : block + BLOCK], keep) if k]
            block_ids[:] = [r.gaiji_id for r, k in zip(block_records, keep) if k]
            block_pieces = preparing.pieces
            if not keep.all():  # else no copy: ~80 MB of fresh memory per 13,000 gaiji, 0.7 s of system time here
                rasters, feats, sides = rasters[keep], feats[keep], sides[keep]
                block_pieces = block_pieces.kept(keep)
            ranked = match_rasters(index, rasters, block_hints, top_k=top_k, features=feats,
                                   sides=sides, progress=progress, matcher=matcher, workers=_rank_workers(cores),
                                   then=after_mj)
            parts.append(ranked)
            kept += block_ids
        timings["rank"] = timings.get("rank", 0.0) + time.monotonic() - t_block
    ranked = concat_batches(parts) if parts else _empty(top_k)
    formatted, ranked.formatted = ranked.formatted, []
    timings["prepare_and_rank"] = time.monotonic() - t1
    return MatchResult(
        gaiji_ids=kept, ranked=ranked, index=index, blank_ids=blank_ids, seconds=timings,
        extra_rows=set_indexes.rows, same_glyph=same_glyph, formatted=formatted,
    )
